"""Regularisation chosen by cross-validation: :class:`EmbeddingSumClassifierCV` and :class:`EmbeddingSumRegressorCV`.

The published weights (0.01) are one fixed guess; on small or noisy data the steps
overfit. These estimators fit the step-loss weight (and, if asked, the l2 weight) by
k-fold cross-validation on the training rows, scored by held-out log-loss (classifier:
binary, or multinomial with more than two classes) or held-out mean squared error
(regressor), weighted by the sample weights, in the style of scikit-learn's
``LogisticRegressionCV``:

- sample weights mean repeated rows: a row of weight 2 fits and is scored as the row
  twice, a row of weight 0 as no row; folds are balanced by weight, each row whole in one
  fold;

- the bins are fitted once, on all training rows (binning, numeric or categorical, does
  not look at the target), and the folds fit on row subsets of the same codes, so every
  fold model lives on the same bins and in the same parameter layout;
- each fold walks the grid from strong to weak regularisation, each fit starting from
  the previous one (warm start), and the first from the previous fold's first;
- the final model is refitted on all rows at the chosen weight, from the mean of the k
  fold models (a mean of additive models on the same bins is one additive model of the
  same size, and a mean of monotone step functions is monotone; ``average_folds=True``
  keeps that mean as the model, without the refit).

The path (:mod:`~embedsum.estimators._regularization_path`) and the estimator logic
(:mod:`~embedsum.estimators._cross_validated`) are shared; each estimator adds only its target,
its default folds (:mod:`~embedsum.estimators._folds`) and its held-out score.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import check_regression_target, check_sample_weight
from ._classifier import EmbeddingSumClassifier
from ._cross_validated import _CrossValidated
from ._folds import shuffled_folds, stratified_folds
from ._regressor import EmbeddingSumRegressor


class EmbeddingSumClassifierCV(_CrossValidated, EmbeddingSumClassifier):
    """EmbeddingSumClassifier whose regularisation is chosen by k-fold cross-validation.

    The recommended way to fit an embedding-sum classifier when you do not want to tune
    it: the step-loss weight (and optionally l2) is the one with the lowest mean held-out
    log-loss over ``cv`` folds of the training rows (the multinomial log-loss with more
    than two classes). The bins are fitted once on all rows; each fold fits the grid from
    strong to weak regularisation with warm starts; the final model is refitted on all
    rows at the chosen weight, starting from the mean of the fold models (or is that mean,
    with ``average_folds=True``). Categorical features, monotone constraints and
    multiclass targets work as in :class:`~embedsum.EmbeddingSumClassifier`. The fitted
    model has every attribute of :class:`~embedsum.EmbeddingSumClassifier`, so
    prediction, explanations, plots, export and ``save`` work as for any model; ``save``
    writes an ordinary ``EmbeddingSumClassifier`` document with the chosen weights.

    Parameters
    ----------
    step_loss_weights : int or sequence of float, default=8
        The candidate step-loss weights. An int n gives n values log-spaced from
        ``30000 / n_rows`` down to ``10 / n_rows``, for n_rows training rows, because the
        weight a penalty needs falls like 1 / n_rows (the data term is a mean over rows).
        With sample weights, n_rows is what the rows count for as repeated rows: their total
        weight in units of the smallest positive weight (see
        :func:`~embedsum._validation.sample_weight_counts`).
    l2s : sequence of float, default=None
        Candidate l2 weights, tried in combination with every step-loss weight;
        None tries ``l2`` only.
    cv : int, splitter or iterable, default=5
        An int k gives k stratified folds (shuffled by ``random_state``), which need k rows of
        each of two classes; with more classes a rarer class only warns (some folds then lack
        it). With sample weights the folds are balanced by weight, a row stays whole, and
        rows of weight 0 are in no fold (see :func:`~embedsum.estimators._folds.stratified_folds`).
        An object with a ``split(X, y)`` method (a scikit-learn splitter) or an iterable of
        ``(train, test)`` index arrays gives the folds as they are.
    average_folds : bool, default=False
        False: the model is refitted on all rows with the chosen weights, warm-started from
        the mean of the fold models. True: it is that mean (no refit; a mean of additive
        models on the same bins is one additive model). The two generalised alike in
        nested cross-validation (``benchmarks/cv_defaults.py``); the refit is the optimum
        of the objective its saved parameters describe.
    random_state : int, numpy Generator or None, default=0
        Shuffles the rows into folds when ``cv`` is an int; the same value gives the same model.
    max_bins : int, default=64
        As in :class:`~embedsum.EmbeddingSumClassifier`; more bins than its 20, because the
        cross-validated step loss smooths them (in nested cross-validation 64 did as well
        as 32 and 128, and better than 20).
    tol : float, default=1e-4
        As in :class:`~embedsum.EmbeddingSumClassifier`; looser than its 1e-6: a sixth to a
        quarter of the time, and within 0.004 of its held-out log-loss either way in nested
        cross-validation.
    binning : {"quantile", "adaptive"}, default="adaptive"
        As in :class:`~embedsum.EmbeddingSumClassifier`; adaptive rather than its published
        quantile cuts, because the cross-validated step loss smooths the extra tail bins that
        adaptive cuts give a column with a point mass. ``binning="quantile"`` gives the
        published cuts.
    min_bin_count : int, default=5
        As in :class:`~embedsum.EmbeddingSumClassifier` (with binning="adaptive" only).
    embedding_sum_loss_weight, l2, regularizers, max_iter, verbose, categorical_features, \
min_category_count, monotonic_cst, uncertainty, fairness, fairness_tolerance, interaction_bins
        As in :class:`~embedsum.EmbeddingSumClassifier`; ``uncertainty=True`` computes the standard
        errors of the final model (at the chosen weights) only; with ``fairness`` every fit keeps
        the bound on its training rows (``fit(..., sensitive_features=...)``).
    interactions : int or list of pairs, default=32
        As in :class:`~embedsum.EmbeddingSumClassifier`, but cross-validated: after the main
        effects' weights are chosen, each fold ranks the pairs on its own training rows, adds at
        most this many and fits them at every ``interaction_weights`` candidate; the model keeps
        pairs only when one beats the main effects alone on the mean held-out score
        (``interaction_weight_`` says which, ``pair_cv_results_`` the scores). 0 fits no pairs.
    interaction_weights : sequence of float, default=(1.0, 0.1, 0.01, 0.001, 0.0)
        The candidate ``interaction_weight`` values (the pair cells' ridge relative to the step
        loss), tried from strong to weak with warm starts until one does not improve the mean held-out score.
    category_weights : sequence of float, default=(0.0, 1.0)
        The candidate ``category_weight`` values (how strongly each category is pulled to its
        feature's mean), each a path of the step-loss grid: a rare category is shrunk when that
        predicts the held-out rows better. Without a categorical feature only the first is tried.
    screening : "auto", float in (0, 1] or None, default="auto"
        Drop, before the fit, the features whose score test of "no signal" (Pearson's
        chi-square of bins x classes; docs/design.md#feature-screening) is not rejected at this
        family-wise level (Bonferroni over the features); their scores stay 0. "auto" screens
        at 0.05 tables of more than 50 features (wide tables of counters, mostly noise) unless
        ``uncertainty=True``; None keeps every feature. A feature whose effect shows only
        together with another's is not seen by the test.

    Attributes
    ----------
    dropped_features_ : ndarray
        The features the screening dropped (names when X had column names, else indices);
        empty when it dropped none.
    step_loss_weight_ : float
        The chosen step-loss weight.
    l2_ : float
        The chosen (or given) l2 weight.
    best_index_ : int
        Index of the chosen candidate in ``cv_results_``.
    cv_results_ : dict of ndarray
        One entry per candidate: ``"step_loss_weight"``, ``"l2"``, ``"category_weight"``, ``"mean_test_log_loss"``,
        ``"std_test_log_loss"``, ``"rank_test_log_loss"``, ``"split<k>_test_log_loss"`` for
        each fold k, and ``"n_iter"`` (candidates x folds).
    category_weight_ : float
        The chosen ``category_weight``.
    interaction_weight_ : float or None
        The chosen ``interaction_weight`` of the pair tables; None when the model has no pairs
        (the main effects alone scored best, or ``interactions=0``).
    pair_cv_results_ : dict
        ``"interaction_weight"`` (the candidates tried), ``"scores"`` (candidates x folds, the
        held-out score with pairs; a fold whose ranking found no pair gaining repeats its main
        effects' score), ``"main_effects"`` (the folds' scores without pairs) and ``"chosen"``.
    n_iter_ : int
        L-BFGS-B iterations of the whole fit (every fold, every candidate, the refit).
    history_ : dict of ndarray
        With ``average_folds``: the objective and its terms at the final model on all
        rows (one entry); otherwise the refit's history.
    classes_, n_features_in_, feature_names_in_, intercept_, is_categorical_, monotonic_cst_, cuts_, \
categories_, rare_categories_, bin_scores_, unseen_scores_, bin_weights_, feature_importances_
        As in :class:`~embedsum.EmbeddingSumClassifier`.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = np.where(X[:, 0] + rng.normal(size=300) > 0, "attack", "benign")
    >>> model = EmbeddingSumClassifierCV(step_loss_weights=4, cv=3, max_bins=8).fit(X, y)
    >>> model.cv_results_["mean_test_log_loss"].shape  # 4 step-loss weights (no categories: one category weight)
    (4,)
    >>> model.step_loss_weight_ in model.cv_results_["step_loss_weight"]
    True
    >>> model.predict([[2.0, 0.0, 0.0], [-2.0, 0.0, 0.0]]).tolist()
    ['attack', 'benign']
    """

    _base = EmbeddingSumClassifier
    _score_name = "log_loss"
    _unfittable_fold = "have positive sample_weight in one class only; use fewer folds, or stratified ones"

    def __init__(self, step_loss_weights=8, l2s=None, cv=5, average_folds=False, random_state=0, max_bins=64,
                 embedding_sum_loss_weight=0.01, l2=0.0, regularizers=None, max_iter=1000, tol=1e-4, verbose=0,
                 categorical_features="auto", min_category_count=10, monotonic_cst=None, binning="adaptive",
                 min_bin_count=5, uncertainty=False, fairness=None, fairness_tolerance=0.05, interactions=32,
                 interaction_bins=16, interaction_weights=(1.0, 0.1, 0.01, 0.001, 0.0),
                 category_weights=(0.0, 1.0), screening="auto"):
        self.step_loss_weights = step_loss_weights
        self.l2s = l2s
        self.cv = cv
        self.average_folds = average_folds
        self.random_state = random_state
        self.max_bins = max_bins
        self.embedding_sum_loss_weight = embedding_sum_loss_weight
        self.l2 = l2
        self.regularizers = regularizers
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.categorical_features = categorical_features
        self.min_category_count = min_category_count
        self.monotonic_cst = monotonic_cst
        self.binning = binning
        self.min_bin_count = min_bin_count
        self.uncertainty = uncertainty
        self.fairness = fairness
        self.fairness_tolerance = fairness_tolerance
        self.interactions = interactions
        self.interaction_bins = interaction_bins
        self.interaction_weights = interaction_weights
        self.category_weights = category_weights
        self.screening = screening

    def _cv_target(self, n_rows: int, y, sample_weight) -> tuple:
        classes, target, sw = self._fit_input(n_rows, y, sample_weight)
        return target, sw, classes

    def _int_folds(self, target, n_splits: int, sw) -> list:
        labels = target.astype(np.intp)
        counts = np.bincount(labels[sw > 0])  # rows of weight 0 are dealt to no fold
        counts = counts[counts > 0]
        if counts.min() < n_splits:
            if len(counts) == 2:  # a binary fold without one of its classes cannot fit or says little
                raise ValueError(f"cv={n_splits} stratified folds need at least {n_splits} rows of each class; "
                                 f"the least populated class has {counts.min()}. Lower cv.")
            # With more classes the others still make every fold fittable (as scikit-learn's
            # StratifiedKFold, warn and go on): a rare class is then missing from some folds.
            warnings.warn(f"the least populated class has only {counts.min()} rows, fewer than cv={n_splits}: "
                          "some folds train or score without it. Lower cv to avoid this.", UserWarning, stacklevel=4)
        return stratified_folds(labels, n_splits, self.random_state, sample_weight=sw)


class EmbeddingSumRegressorCV(_CrossValidated, EmbeddingSumRegressor):
    """EmbeddingSumRegressor whose regularisation is chosen by k-fold cross-validation.

    The step-loss weight (and optionally l2) is the one with the lowest mean held-out
    (weighted) mean squared error over ``cv`` folds of the training rows; everything else
    is as in :class:`EmbeddingSumClassifierCV`: bins fitted once on all rows, a warm-started
    path from strong to weak regularisation in each fold, and a refit on all rows from the
    mean of the fold models. The data term and the built-in penalties are all quadratic,
    so the fit is scale-equivariant in y and the classifier's relative grid applies. The
    fitted model has every attribute of :class:`~embedsum.EmbeddingSumRegressor`; ``save``
    writes an ordinary ``EmbeddingSumRegressor`` document with the chosen weights.

    Parameters
    ----------
    step_loss_weights : int or sequence of float, default=8
        As in :class:`EmbeddingSumClassifierCV`: an int n gives n values log-spaced from
        ``30000 / n_rows`` down to ``10 / n_rows`` (sample weights rescale them alike).
    l2s : sequence of float, default=None
        Candidate l2 weights, tried in combination with every step-loss weight;
        None tries ``l2`` only.
    cv : int, splitter or iterable, default=5
        An int k gives k folds of shuffled rows (shuffled by ``random_state``; with sample
        weights, by weight, as in :class:`EmbeddingSumClassifierCV`); an object with
        a ``split(X, y)`` method or an iterable of ``(train, test)`` index arrays gives the
        folds as they are.
    average_folds : bool, default=False
        As in :class:`EmbeddingSumClassifierCV`.
    random_state : int, numpy Generator or None, default=0
        Shuffles the rows into folds when ``cv`` is an int.
    max_bins : int, default=64
    binning : {"quantile", "adaptive"}, default="adaptive"
    min_bin_count : int, default=5
    tol : float, default=1e-4
        As in :class:`EmbeddingSumClassifierCV`. ``tol`` bounds the gradient of the squared
        error, which grows with the scale of y: for a target far from unit scale, standardise
        y or adapt ``tol``.
    embedding_sum_loss_weight, l2, regularizers, max_iter, verbose, categorical_features, \
min_category_count, monotonic_cst, uncertainty, fairness, fairness_tolerance, interaction_bins, interactions, \
interaction_weights, category_weights
        As in :class:`EmbeddingSumClassifierCV` (pairs judged by the held-out squared error).
    screening : "auto", float in (0, 1] or None, default="auto"
        As in :class:`EmbeddingSumClassifierCV`; the test is the between-bins sum of squares
        over the variance of y.

    Attributes
    ----------
    dropped_features_, step_loss_weight_, l2_, category_weight_, best_index_, interaction_weight_, \
pair_cv_results_, n_iter_, history_
        As in :class:`EmbeddingSumClassifierCV`.
    cv_results_ : dict of ndarray
        As in :class:`EmbeddingSumClassifierCV`, with the held-out mean squared error in
        place of the log-loss: ``"mean_test_squared_error"``, ``"std_test_squared_error"``,
        ``"rank_test_squared_error"`` and ``"split<k>_test_squared_error"``.
    n_features_in_, feature_names_in_, intercept_, is_categorical_, monotonic_cst_, cuts_, categories_, \
rare_categories_, bin_scores_, unseen_scores_, bin_weights_, feature_importances_
        As in :class:`~embedsum.EmbeddingSumRegressor`.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(300, 2))
    >>> y = np.where(X[:, 0] > 0, 2.0, -2.0) + 0.5 * rng.normal(size=300)
    >>> model = EmbeddingSumRegressorCV(step_loss_weights=4, cv=3, max_bins=8).fit(X, y)
    >>> model.cv_results_["mean_test_squared_error"].shape  # 4 step-loss weights (no categories: one category weight)
    (4,)
    >>> np.round(model.predict([[0.5, 0.0], [-0.5, 0.0]])).tolist()
    [2.0, -2.0]
    """

    _base = EmbeddingSumRegressor
    _score_name = "squared_error"
    _unfittable_fold = "all have sample_weight 0; they cannot fit a model"

    def __init__(self, step_loss_weights=8, l2s=None, cv=5, average_folds=False, random_state=0, max_bins=64,
                 embedding_sum_loss_weight=0.01, l2=0.0, regularizers=None, max_iter=1000, tol=1e-4, verbose=0,
                 categorical_features="auto", min_category_count=10, monotonic_cst=None, binning="adaptive",
                 min_bin_count=5, uncertainty=False, fairness=None, fairness_tolerance=0.05, interactions=32,
                 interaction_bins=16, interaction_weights=(1.0, 0.1, 0.01, 0.001, 0.0),
                 category_weights=(0.0, 1.0), screening="auto"):
        self.step_loss_weights = step_loss_weights
        self.l2s = l2s
        self.cv = cv
        self.average_folds = average_folds
        self.random_state = random_state
        self.max_bins = max_bins
        self.embedding_sum_loss_weight = embedding_sum_loss_weight
        self.l2 = l2
        self.regularizers = regularizers
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.categorical_features = categorical_features
        self.min_category_count = min_category_count
        self.monotonic_cst = monotonic_cst
        self.binning = binning
        self.min_bin_count = min_bin_count
        self.uncertainty = uncertainty
        self.fairness = fairness
        self.fairness_tolerance = fairness_tolerance
        self.interactions = interactions
        self.interaction_bins = interaction_bins
        self.interaction_weights = interaction_weights
        self.category_weights = category_weights
        self.screening = screening

    def _cv_target(self, n_rows: int, y, sample_weight) -> tuple:
        target = check_regression_target(y, n_rows)
        return target, check_sample_weight(sample_weight, n_rows), None

    def _int_folds(self, target, n_splits: int, sw) -> list:
        n_rows = int(np.count_nonzero(sw > 0))  # rows of weight 0 are dealt to no fold
        if n_rows < n_splits:
            raise ValueError(f"cv={n_splits} folds need at least {n_splits} rows; got n_samples={n_rows} "
                             "(of positive weight). Lower cv.")
        return shuffled_folds(len(target), n_splits, self.random_state, sample_weight=sw)
