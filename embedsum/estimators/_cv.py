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

The path (:func:`regularization_path`) and the estimator logic (``_CrossValidated``)
are shared; each estimator adds only its target, its default folds and its held-out
score (:func:`held_out_log_loss`, :func:`held_out_squared_error`).
"""

from __future__ import annotations

import heapq
import numbers
import warnings

import numpy as np

from .._exceptions import ConvergenceWarning
from .._hyperparameters import HYPERPARAMETERS, check_hyperparameters, check_number
from .._validation import check_regression_target, check_sample_weight, feature_names_of, sample_weight_counts
from ..training._layout import ParameterLayout
from ..training._objective import EmbeddingSumObjective, log_loss_terms, softmax_loss_terms
from ._classifier import EmbeddingSumClassifier
from ._regressor import EmbeddingSumRegressor


# The default grid of step-loss weights is (GRID_HIGH .. GRID_LOW) / n_rows: the data term
# is a mean over rows, so the weight a penalty needs falls like 1 / n. The range holds the
# cross-validated optima of both benchmark training sets well inside it (about 3000/n with
# 64 bins; fewer bins want less). The regressor uses the same grid: its loss and penalties
# are all quadratic, so scaling y scales the model and leaves the best weight unchanged.
GRID_HIGH = 30000.0
GRID_LOW = 10.0
# The hyperparameters a cross-validated estimator shares with the estimator each candidate
# fits: all but the step-loss weight, which the grid replaces.
_SHARED = tuple(name for name in HYPERPARAMETERS if name != "step_loss_weight")


def stratified_folds(labels, n_splits: int, random_state=None, *, sample_weight=None) -> list:
    """``(train, test)`` row indices of ``n_splits`` folds with the classes spread evenly.

    The rows of each class are shuffled (``numpy.random.default_rng(random_state)``)
    and dealt to the folds in turn, so fold sizes differ by at most one per class.

    With ``sample_weight``, rows of weight 0 are in no fold (they weigh nothing in a fit or
    a score, and the other rows are dealt as if they were not there), and the folds are
    balanced by weight, counted as repeated rows (see
    :func:`~embedsum._validation.sample_weight_counts`): the shuffled rows of each class are
    dealt heaviest first, each to the fold that holds the least weight of its class so far
    (then the least weight in all, then the first fold). A row stays whole: a row of weight
    3 is one record, never split between training and test. With equal weights this deal is
    dealing in turn: the folds above.

    Example
    -------
    >>> folds = stratified_folds([0, 0, 0, 0, 1, 1], 2, random_state=0)
    >>> [sorted(test.tolist()) for _, test in folds]
    [[1, 2, 5], [0, 3, 4]]
    >>> folds = stratified_folds([0, 0, 0, 0, 1, 1], 2, random_state=0, sample_weight=[1, 1, 0, 1, 1, 1])
    >>> [sorted(test.tolist()) for _, test in folds]  # row 2 weighs nothing: in no fold
    [[1, 3, 4], [0, 5]]
    """
    labels = np.asarray(labels)
    n = len(labels)
    rng = np.random.default_rng(random_state)
    counts = np.ones(n) if sample_weight is None else sample_weight_counts(sample_weight)
    used = counts > 0
    equal = bool(np.all(counts[used] == counts[used][0])) if used.any() else True
    fold = np.full(n, -1, dtype=np.intp)
    start = 0
    total = [0.0] * n_splits
    for value in np.unique(labels[used]):
        rows = np.flatnonzero(used & (labels == value))
        rows = rows[rng.permutation(len(rows))]
        if equal:
            # Dealing in turn, continuing where the previous class stopped (the folds stay
            # balanced in size): what the weighted deal below does for equal weights.
            fold[rows] = (start + np.arange(len(rows))) % n_splits
            start += len(rows)
            continue
        # Heaviest first (a stable sort: the shuffle decides among equals), so that the
        # lighter rows even out the fold weights.
        rows = rows[np.argsort(-counts[rows], kind="stable")]
        heap = [(0.0, total[k], k) for k in range(n_splits)]
        heapq.heapify(heap)
        for row, count in zip(rows.tolist(), counts[rows].tolist()):
            class_weight, _, k = heapq.heappop(heap)
            fold[row] = k
            total[k] += count
            heapq.heappush(heap, (class_weight + count, total[k], k))
    return [(np.flatnonzero((fold != k) & (fold >= 0)), np.flatnonzero(fold == k)) for k in range(n_splits)]


def shuffled_folds(n_rows: int, n_splits: int, random_state=None, *, sample_weight=None) -> list:
    """``(train, test)`` row indices of ``n_splits`` folds of shuffled rows (plain k-fold).

    The rows are shuffled (``numpy.random.default_rng(random_state)``) and dealt to the
    folds in turn, so fold sizes differ by at most one: :func:`stratified_folds` with one
    class, ``sample_weight`` included.

    Example
    -------
    >>> folds = shuffled_folds(5, 2, random_state=0)
    >>> sorted(np.concatenate([test for _, test in folds]).tolist())
    [0, 1, 2, 3, 4]
    >>> [len(test) for _, test in folds]
    [3, 2]
    """
    return stratified_folds(np.zeros(n_rows, dtype=np.intp), n_splits, random_state, sample_weight=sample_weight)


def held_out_log_loss(y, z, sample_weight) -> float:
    """Weighted mean log-loss of targets y at decision values z (exact, no clipping).

    Binary: ``y`` holds 0/1 and ``z`` the log-odds, shape (n,). Multiclass: ``y`` holds
    class indices and ``z`` the K class scores, shape (n, K); the loss of a row is
    ``logsumexp(z_i) - z_i[y_i]``. The mean is ``sum(w * loss) / sum(w)``.

    Example
    -------
    >>> import numpy as np
    >>> round(held_out_log_loss(np.array([0.0, 1.0]), np.zeros(2), np.array([1.0, 3.0])), 6)
    0.693147
    >>> round(held_out_log_loss(np.array([2, 0]), np.zeros((2, 3)), np.ones(2)), 6)  # log(3)
    1.098612
    """
    z = np.array(z, dtype=np.float64)
    if z.ndim == 2:
        loss, _ = softmax_loss_terms(z, np.asarray(y).astype(np.intp))
    else:
        loss, _ = log_loss_terms(z, np.asarray(y, dtype=np.float64))
    return float(np.sum(loss * sample_weight) / np.sum(sample_weight))


def held_out_squared_error(y, z, sample_weight) -> float:
    """Weighted mean squared error ``sum(w * (z - y)**2) / sum(w)`` of predictions z.

    Example
    -------
    >>> import numpy as np
    >>> held_out_squared_error(np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([1.0, 3.0]))
    0.25
    """
    residual = np.asarray(z, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return float(np.sum(sample_weight * residual**2) / np.sum(sample_weight))


def _decision(coef: np.ndarray, codes: np.ndarray, layout: ParameterLayout) -> np.ndarray:
    """Decision values of binned rows: (n,) with one output, (n, K) with K."""
    z = layout.table(coef)[codes.astype(np.intp) + layout.offsets[:-1]].sum(axis=1)
    z += layout.intercepts(coef)
    return z[:, 0] if layout.n_outputs == 1 else z


def regularization_path(solve, score, codes, y, sample_weight, layout: ParameterLayout, folds, paths) -> dict:
    """Fit every fold along every path of candidates, warm-starting each fit from the previous.

    ``solve(candidate, codes, y, sample_weight, layout, x0)`` returns a
    :class:`~embedsum.training._solver.SolverResult`; ``score(y, z, sample_weight)`` scores the
    held-out rows at decision values ``z`` ((n,), or (n, K) with K outputs; lower is
    better). ``paths`` is a list of lists of candidates (any objects ``solve``
    understands); within a path the fits are warm-started in order, so order each path
    from strong to weak regularisation. The first fit of a path starts from the previous
    fold's first fit of that path (the folds share the layout): the strongest
    regularisation is the slowest to fit from zero.

    Returns a dict of arrays indexed ``[candidate, fold]`` (candidates in path order):
    ``"scores"``, ``"n_iter"``, ``"converged"``, and ``"coefs"`` (``[candidate, fold, param]``).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier, ParameterLayout
    >>> codes, y = np.array([[0], [0], [1], [1]] * 5), np.array([0.0, 1.0, 1.0, 1.0] * 5)
    >>> layout = ParameterLayout([3], [[0.5, 0.5, 0.0]])
    >>> def solve(weight, codes, y, w, layout, x0):
    ...     return EmbeddingSumClassifier(step_loss_weight=weight)._solve(codes, y, w, layout, x0)
    >>> folds = stratified_folds(y, 2, random_state=0)
    >>> path = regularization_path(solve, held_out_log_loss, codes, y, np.ones(20), layout, folds, [[1.0, 0.0]])
    >>> path["scores"].shape, path["coefs"].shape
    ((2, 2), (2, 2, 4))
    """
    candidates = [c for path in paths for c in path]
    n_folds = len(folds)
    scores = np.empty((len(candidates), n_folds))
    n_iter = np.zeros((len(candidates), n_folds), dtype=np.intp)
    converged = np.zeros((len(candidates), n_folds), dtype=bool)
    coefs = np.empty((len(candidates), n_folds, layout.n_params))
    path_starts = [None] * len(paths)
    for k, (train, test) in enumerate(folds):
        codes_train, codes_test = codes[train], codes[test]
        i = 0
        for p, path in enumerate(paths):
            # The folds share the bins and overlap in most rows: the previous fold's model at the
            # head of the path (the strongest regularisation, the slowest fit) is a close start.
            x0 = path_starts[p]
            for j, candidate in enumerate(path):
                result = solve(candidate, codes_train, y[train], sample_weight[train], layout, x0)
                x0 = result.coef
                if j == 0:
                    path_starts[p] = result.coef
                scores[i, k] = score(y[test], _decision(result.coef, codes_test, layout), sample_weight[test])
                n_iter[i, k], converged[i, k], coefs[i, k] = result.n_iter, result.converged, result.coef
                i += 1
    return {"scores": scores, "n_iter": n_iter, "converged": converged, "coefs": coefs}


def _check_grid(name: str, value) -> None:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        check_number(name, value, low=1, integer=True)
        return
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a positive integer (a grid of that size) or a sequence of "
                         f"weights >= 0, got {value!r}")
    values = list(value)
    if not values:
        raise ValueError(f"{name} must not be empty")
    for v in values:
        check_number(f"every value of {name}", v, low=0)


class _CrossValidated:
    """The cross-validated fit shared by the CV estimators (mixed in before the base estimator).

    A subclass sets ``_base`` (the ordinary estimator that one candidate fits),
    ``_score_name`` (the held-out loss, in the keys of ``cv_results_``), ``_held_out_score``
    (a function ``(y, z, sample_weight) -> float``, lower is better) and
    ``_unfittable_fold`` (why a fold's training rows cannot fit), and defines
    ``_cv_target`` and ``_int_folds``.
    """

    _base: type
    _score_name: str
    _unfittable_fold: str

    def _check_params(self) -> None:
        _check_grid("step_loss_weights", self.step_loss_weights)
        if self.l2s is not None:
            _check_grid("l2s", self.l2s)
            if isinstance(self.l2s, numbers.Integral):
                raise ValueError(f"l2s must be a sequence of weights >= 0 or None, got {self.l2s!r}")
        if not isinstance(self.cv, numbers.Integral) and not hasattr(self.cv, "split") \
                and not hasattr(self.cv, "__iter__"):
            raise ValueError(f"cv must be an int >= 2, a splitter with a split(X, y) method or an iterable "
                             f"of (train, test) index arrays, got {self.cv!r}")
        if isinstance(self.cv, numbers.Integral):
            check_number("cv", self.cv, low=2, integer=True)
        if not isinstance(self.average_folds, (bool, np.bool_)):
            raise ValueError(f"average_folds must be True or False, got {self.average_folds!r}")
        check_hyperparameters({name: getattr(self, name) for name in _SHARED})

    def _candidate_estimator(self, step_loss_weight: float, l2: float):
        """The ordinary estimator that one candidate fits: this one's parameters, the candidate's weights."""
        shared = {name: getattr(self, name) for name in _SHARED if name != "l2"}
        return self._base(step_loss_weight=float(step_loss_weight), l2=float(l2), **shared)

    def _saved_params(self) -> dict:
        """Hyperparameters of the ordinary estimator that this fitted model is (what ``save`` writes)."""
        return self._candidate_estimator(self.step_loss_weight_, self.l2_).get_params()

    def _folds(self, X, y, target, sw) -> list:
        n = len(target)
        if isinstance(self.cv, numbers.Integral):
            return self._int_folds(target, int(self.cv), sw)
        splits = self.cv.split(X, y) if hasattr(self.cv, "split") else self.cv
        folds = []
        for split in splits:
            train, test = (np.asarray(part) for part in split)
            if train.dtype == bool and len(train) == n:  # boolean masks are fine too
                train, test = np.flatnonzero(train), np.flatnonzero(test)
            if train.dtype.kind not in "iu" or test.dtype.kind not in "iu" or len(test) == 0 or len(train) == 0 \
                    or train.min() < 0 or test.min() < 0 or max(train.max(), test.max()) >= n:
                raise ValueError(f"cv gave a fold that is not two non-empty arrays of row indices in [0, {n}): "
                                 f"{split!r:.200}")
            folds.append((train.astype(np.intp), test.astype(np.intp)))
        if len(folds) < 1:
            raise ValueError("cv gave no folds")
        return folds

    def _grid(self, sw: np.ndarray) -> list:
        """The candidate paths: one per l2 value, each a list of (step, l2) from strong to weak."""
        steps = self.step_loss_weights
        if isinstance(steps, numbers.Integral):
            # 1 / n for n rows of unit weight; with sample weights, n is what the rows count
            # for as repeated rows (so a row of weight 2 is the row twice, here too).
            row_scale = 1.0 / float(np.sum(sample_weight_counts(sw)))
            steps = np.geomspace(GRID_HIGH, GRID_LOW, int(steps)) * row_scale if steps > 1 \
                else np.array([np.sqrt(GRID_HIGH * GRID_LOW) * row_scale])
        steps = sorted((float(s) for s in steps), reverse=True)  # strong to weak: warm starts
        l2s = [float(self.l2)] if self.l2s is None else [float(v) for v in self.l2s]
        return [[(s, l2) for s in steps] for l2 in l2s]

    def fit(self, X, y, sample_weight=None):
        """Choose the regularisation by cross-validation on (X, y), then fit the model.

        Returns self.
        """
        self._check_params()
        names = feature_names_of(X)
        bins = self._bins(X, names, sample_weight)
        target, sw, classes = self._cv_target(len(bins.codes), y, sample_weight)
        n_outputs = self._n_outputs_for(classes)
        sw = sw / sw.max()  # only ratios matter: held-out sums of weights of 1e300 must not overflow
        cst = self._monotonic(bins, names, n_outputs)
        folds = self._folds(X, y, target, sw)
        for k, (train, test) in enumerate(folds):
            if not self._fittable(target[train], sw[train], n_outputs):
                raise ValueError(f"the training rows of fold {k} {self._unfittable_fold}")
            if not np.any(sw[test] > 0):
                raise ValueError(f"the test rows of fold {k} all have sample_weight 0; they cannot score it")

        layout = bins.layout(n_outputs)
        codes = bins.codes
        paths = self._grid(sw)

        def solve(candidate, codes_, y_, sw_, layout_, x0):
            return self._candidate_estimator(*candidate)._solve(
                codes_, y_, sw_, layout_, x0, warn=False, limit_blas_threads=False, monotonic_cst=cst)

        from ..training._solver import one_blas_thread

        with one_blas_thread():  # once for all the solves: setting it costs more than a small solve
            path = regularization_path(solve, self._held_out_score, codes, target, sw, layout, folds, paths)
        candidates = [c for p in paths for c in p]
        mean = path["scores"].mean(axis=1)
        best = int(np.argmin(mean))  # the first of equals: the strongest regularisation
        step_loss_weight, l2 = candidates[best]

        coef = path["coefs"][best].mean(axis=0)
        n_iter = int(path["n_iter"].sum())
        final = self._candidate_estimator(step_loss_weight, l2)
        if self.average_folds:
            converged = bool(path["converged"][best].all())
            with EmbeddingSumObjective(codes, target, sw, layout, final._all_regularizers(),
                                       loss=self._loss(n_outputs)) as objective:
                loss, _ = objective.loss_gradient(coef)
            history = {"loss": np.array([loss])}
            history.update({k: np.array([v]) for k, v in objective.last_components.items()})
        else:
            with one_blas_thread():
                result = final._solve(codes, target, sw, layout, coef, warn=False, limit_blas_threads=False,
                                      monotonic_cst=cst)
            coef, converged, history = result.coef, result.converged, result.history
            n_iter += result.n_iter
        if not converged:
            warnings.warn(
                f"L-BFGS-B did not converge within max_iter={self.max_iter} for the chosen weights "
                f"(step_loss_weight={step_loss_weight:.4g}, l2={l2:.4g}). Increase max_iter, or raise tol.",
                ConvergenceWarning,
                stacklevel=2,
            )

        bins.codes = bins.values = None
        self._set_fitted_bins(bins, layout.split(coef), monotonic_cst=cst, names=names, classes=classes,
                              n_iter=n_iter, history=history)
        self.step_loss_weight_ = step_loss_weight
        self.l2_ = l2
        self.best_index_ = best
        name = self._score_name
        results = {
            "step_loss_weight": np.array([c[0] for c in candidates]),
            "l2": np.array([c[1] for c in candidates]),
            f"mean_test_{name}": mean,
            f"std_test_{name}": path["scores"].std(axis=1),
            f"rank_test_{name}": np.argsort(np.argsort(mean, kind="stable"), kind="stable") + 1,
        }
        for k in range(len(folds)):
            results[f"split{k}_test_{name}"] = path["scores"][:, k]
        results["n_iter"] = path["n_iter"]
        self.cv_results_ = results
        return self


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
        rows of weight 0 are in no fold (see :func:`stratified_folds`). An object with a ``split(X, y)`` method (a scikit-learn splitter) or an iterable
        of ``(train, test)`` index arrays gives the folds as they are.
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
    embedding_sum_loss_weight, l2, regularizers, max_iter, verbose, categorical_features, \
min_category_count, monotonic_cst
        As in :class:`~embedsum.EmbeddingSumClassifier`.

    Attributes
    ----------
    step_loss_weight_ : float
        The chosen step-loss weight.
    l2_ : float
        The chosen (or given) l2 weight.
    best_index_ : int
        Index of the chosen candidate in ``cv_results_``.
    cv_results_ : dict of ndarray
        One entry per candidate: ``"step_loss_weight"``, ``"l2"``, ``"mean_test_log_loss"``,
        ``"std_test_log_loss"``, ``"rank_test_log_loss"``, ``"split<k>_test_log_loss"`` for
        each fold k, and ``"n_iter"`` (candidates x folds).
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
    >>> model.cv_results_["mean_test_log_loss"].shape
    (4,)
    >>> model.step_loss_weight_ in model.cv_results_["step_loss_weight"]
    True
    >>> model.predict([[2.0, 0.0, 0.0], [-2.0, 0.0, 0.0]]).tolist()
    ['attack', 'benign']
    """

    _base = EmbeddingSumClassifier
    _score_name = "log_loss"
    _held_out_score = staticmethod(held_out_log_loss)
    _unfittable_fold = "have positive sample_weight in one class only; use fewer folds, or stratified ones"

    def __init__(self, step_loss_weights=8, l2s=None, cv=5, average_folds=False, random_state=0, max_bins=64,
                 embedding_sum_loss_weight=0.01, l2=0.0, regularizers=None, max_iter=1000, tol=1e-4, verbose=0,
                 categorical_features="auto", min_category_count=10, monotonic_cst=None):
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
    tol : float, default=1e-4
        As in :class:`EmbeddingSumClassifierCV`. ``tol`` bounds the gradient of the squared
        error, which grows with the scale of y: for a target far from unit scale, standardise
        y or adapt ``tol``.
    embedding_sum_loss_weight, l2, regularizers, max_iter, verbose, categorical_features, \
min_category_count, monotonic_cst
        As in :class:`~embedsum.EmbeddingSumRegressor`.

    Attributes
    ----------
    step_loss_weight_, l2_, best_index_, n_iter_, history_
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
    >>> model.cv_results_["mean_test_squared_error"].shape
    (4,)
    >>> np.round(model.predict([[0.5, 0.0], [-0.5, 0.0]])).tolist()
    [2.0, -2.0]
    """

    _base = EmbeddingSumRegressor
    _score_name = "squared_error"
    _held_out_score = staticmethod(held_out_squared_error)
    _unfittable_fold = "all have sample_weight 0; they cannot fit a model"

    def __init__(self, step_loss_weights=8, l2s=None, cv=5, average_folds=False, random_state=0, max_bins=64,
                 embedding_sum_loss_weight=0.01, l2=0.0, regularizers=None, max_iter=1000, tol=1e-4, verbose=0,
                 categorical_features="auto", min_category_count=10, monotonic_cst=None):
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

    def _cv_target(self, n_rows: int, y, sample_weight) -> tuple:
        target = check_regression_target(y, n_rows)
        return target, check_sample_weight(sample_weight, n_rows), None

    def _int_folds(self, target, n_splits: int, sw) -> list:
        n_rows = int(np.count_nonzero(sw > 0))  # rows of weight 0 are dealt to no fold
        if n_rows < n_splits:
            raise ValueError(f"cv={n_splits} folds need at least {n_splits} rows; got n_samples={n_rows} "
                             "(of positive weight). Lower cv.")
        return shuffled_folds(len(target), n_splits, self.random_state, sample_weight=sw)
