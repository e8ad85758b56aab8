"""Regularisation chosen by cross-validation: :class:`EmbeddingSumClassifierCV`.

The published weights (0.01) are one fixed guess; on small or noisy data the steps
overfit. ``EmbeddingSumClassifierCV`` fits the step-loss weight (and, if asked, the
l2 weight) by k-fold cross-validation on the training rows, scored by held-out
log-loss, in the style of scikit-learn's ``LogisticRegressionCV``:

- the bins are fitted once, on all training rows (binning does not look at labels),
  and the folds fit on row subsets of the same codes, so every fold model lives on
  the same bins and in the same parameter layout;
- each fold walks the grid from strong to weak regularisation, each fit starting from
  the previous one (warm start), and the first from the previous fold's first;
- the final model is refitted on all rows at the chosen weight, from the mean of the k
  fold models (a mean of additive models on the same bins is one additive model of the
  same size; ``average_folds=True`` keeps that mean as the model, without the refit).

Only two pieces are classification-specific: the estimator that solves one fit
(:meth:`EmbeddingSumClassifierCV._candidate_estimator`) and the held-out score
(:func:`held_out_log_loss`); :func:`regularization_path` takes both as arguments,
so that a regressor can reuse it with squared error.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .digitizer import Digitizer
from .estimator import EmbeddingSumClassifier, _weight_in_both_classes
from .model import _check_number
from .exceptions import ConvergenceWarning
from .layout import ParameterLayout
from .objective import EmbeddingSumObjective, log_loss_terms

__all__ = ["EmbeddingSumClassifierCV", "stratified_folds", "held_out_log_loss", "regularization_path"]

# The default grid of step-loss weights is (GRID_HIGH .. GRID_LOW) / n_rows: the data term
# is a mean over rows, so the weight a penalty needs falls like 1 / n. The range holds the
# cross-validated optima of both benchmark training sets well inside it (about 3000/n with
# 64 bins; fewer bins want less).
GRID_HIGH = 30000.0
GRID_LOW = 10.0


def stratified_folds(labels, n_splits: int, random_state=None) -> list:
    """``(train, test)`` row indices of ``n_splits`` folds with the classes spread evenly.

    The rows of each class are shuffled (``numpy.random.default_rng(random_state)``)
    and dealt to the folds in turn, so fold sizes differ by at most one per class.

    Example
    -------
    >>> folds = stratified_folds([0, 0, 0, 0, 1, 1], 2, random_state=0)
    >>> [sorted(test.tolist()) for _, test in folds]
    [[1, 2, 5], [0, 3, 4]]
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(random_state)
    fold = np.empty(len(labels), dtype=np.intp)
    start = 0
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        rows = rows[rng.permutation(len(rows))]
        # Continue the deal where the previous class stopped: the folds stay balanced in size.
        fold[rows] = (start + np.arange(len(rows))) % n_splits
        start += len(rows)
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_splits)]


def held_out_log_loss(y01, z, sample_weight) -> float:
    """Weighted mean log-loss of 0/1 targets at decision values z (exact, no clipping).

    Example
    -------
    >>> import numpy as np
    >>> round(held_out_log_loss(np.array([0.0, 1.0]), np.zeros(2), np.array([1.0, 3.0])), 6)
    0.693147
    """
    loss, _ = log_loss_terms(np.array(z, dtype=np.float64), np.asarray(y01, dtype=np.float64))
    return float(np.sum(loss * sample_weight) / np.sum(sample_weight))


def _decision(coef: np.ndarray, codes: np.ndarray, layout: ParameterLayout) -> np.ndarray:
    return coef[codes.astype(np.intp) + layout.offsets[:-1]].sum(axis=1) + coef[-1]


def regularization_path(solve, score, codes, y, sample_weight, layout: ParameterLayout, folds, paths) -> dict:
    """Fit every fold along every path of candidates, warm-starting each fit from the previous.

    ``solve(candidate, codes, y, sample_weight, layout, x0)`` returns a
    :class:`~embedsum.solver.SolverResult`; ``score(y, z, sample_weight)`` scores the
    held-out rows at decision values ``z`` (lower is better). ``paths`` is a list of
    lists of candidates (any objects ``solve`` understands); within a path the fits are
    warm-started in order, so order each path from strong to weak regularisation. The
    first fit of a path starts from the previous fold's first fit of that path (the folds
    share the layout): the strongest regularisation is the slowest to fit from zero.

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
        _check_number(name, value, low=1, integer=True)
        return
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a positive integer (a grid of that size) or a sequence of "
                         f"weights >= 0, got {value!r}")
    values = list(value)
    if not values:
        raise ValueError(f"{name} must not be empty")
    for v in values:
        _check_number(f"every value of {name}", v, low=0)


class EmbeddingSumClassifierCV(EmbeddingSumClassifier):
    """EmbeddingSumClassifier whose regularisation is chosen by k-fold cross-validation.

    The recommended way to fit an embedding-sum model when you do not want to tune it:
    the step-loss weight (and optionally l2) is the one with the lowest mean held-out
    log-loss over ``cv`` folds of the training rows. The bins are fitted once on all
    rows; each fold fits the grid from strong to weak regularisation with warm starts;
    the final model is refitted on all rows at the chosen weight, starting from the mean
    of the fold models (or is that mean, with ``average_folds=True``). The fitted model
    has every attribute of :class:`~embedsum.EmbeddingSumClassifier`, so prediction,
    explanations, plots, export and ``save`` work as for any model; ``save`` writes an
    ordinary ``EmbeddingSumClassifier`` document with the chosen weights.

    Parameters
    ----------
    step_loss_weights : int or sequence of float, default=8
        The candidate step-loss weights. An int n gives n values log-spaced from
        ``30000 / n_rows`` down to ``10 / n_rows``, for n_rows training rows, because the
        weight a penalty needs falls like 1 / n_rows (the data term is a mean over rows).
        With sample weights w, ``sum(w**2) / (n_rows * sum(w))`` replaces ``1 / n_rows``:
        the mean weight over the effective number of rows.
    l2s : sequence of float, default=None
        Candidate l2 weights, tried in combination with every step-loss weight;
        None tries ``l2`` only.
    cv : int, splitter or iterable, default=5
        An int k gives k stratified folds (shuffled by ``random_state``); an object with a
        ``split(X, y)`` method (a scikit-learn splitter) or an iterable of
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
    embedding_sum_loss_weight, l2, regularizers, max_iter, verbose
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
    classes_, n_features_in_, feature_names_in_, intercept_, cuts_, bin_scores_, bin_weights_, feature_importances_
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

    def __init__(self, step_loss_weights=8, l2s=None, cv=5, average_folds=False, random_state=0, max_bins=64,
                 embedding_sum_loss_weight=0.01, l2=0.0, regularizers=None, max_iter=1000, tol=1e-4, verbose=0):
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
            _check_number("cv", self.cv, low=2, integer=True)
        if not isinstance(self.average_folds, (bool, np.bool_)):
            raise ValueError(f"average_folds must be True or False, got {self.average_folds!r}")
        _check_number("l2", self.l2, low=0)
        # The other base parameters are checked by the estimator that each candidate fits.
        self._candidate_estimator(0.0, self.l2)._check_params()

    def _candidate_estimator(self, step_loss_weight: float, l2: float) -> EmbeddingSumClassifier:
        """The ordinary estimator that one candidate fits (the model kind's only hook here)."""
        return EmbeddingSumClassifier(
            max_bins=self.max_bins, step_loss_weight=float(step_loss_weight),
            embedding_sum_loss_weight=self.embedding_sum_loss_weight, l2=float(l2),
            regularizers=self.regularizers, max_iter=self.max_iter, tol=self.tol, verbose=self.verbose,
        )

    def _saved_params(self) -> dict:
        """Hyperparameters of the ordinary EmbeddingSumClassifier that this fitted model is."""
        return self._candidate_estimator(self.step_loss_weight_, self.l2_).get_params()

    def _folds(self, X, y, encoded) -> list:
        n = len(encoded)
        if isinstance(self.cv, numbers.Integral):
            counts = np.bincount(encoded)
            if counts.min() < self.cv:
                raise ValueError(f"cv={self.cv} stratified folds need at least {self.cv} rows of each class; "
                                 f"the least populated class has {counts.min()}. Lower cv.")
            return stratified_folds(encoded, int(self.cv), self.random_state)
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

    def fit(self, X, y, sample_weight=None) -> "EmbeddingSumClassifierCV":
        """Choose the regularisation by cross-validation on (X, y), then fit the model.

        Returns self.
        """
        self._check_params()
        names, X, classes, y01, sw = self._fit_input(X, y, sample_weight)
        folds = self._folds(X, y, y01.astype(np.intp))
        for k, (train, test) in enumerate(folds):
            if not _weight_in_both_classes(y01[train], sw[train]):
                raise ValueError(f"the training rows of fold {k} have positive sample_weight in one class only; "
                                 "use fewer folds, or stratified ones")
            if not np.any(sw[test] > 0):
                raise ValueError(f"the test rows of fold {k} all have sample_weight 0; they cannot score it")

        digitizer = Digitizer(max_bins=self.max_bins).fit(X)
        layout = ParameterLayout(digitizer.n_bins_, digitizer.bin_weights_)
        codes = digitizer.transform(X)

        steps = self.step_loss_weights
        if isinstance(steps, numbers.Integral):
            # sum(w^2) / (n sum(w)): 1 / n for unit weights; the mean weight over the
            # effective number of rows otherwise (the scale of the data term per row).
            row_scale = float(np.sum(sw**2) / (len(sw) * np.sum(sw)))
            steps = np.geomspace(GRID_HIGH, GRID_LOW, int(steps)) * row_scale if steps > 1 \
                else np.array([np.sqrt(GRID_HIGH * GRID_LOW) * row_scale])
        steps = sorted((float(s) for s in steps), reverse=True)  # strong to weak: warm starts
        l2s = [float(self.l2)] if self.l2s is None else [float(v) for v in self.l2s]
        paths = [[(s, l2) for s in steps] for l2 in l2s]

        def solve(candidate, codes_, y_, sw_, layout_, x0):
            return self._candidate_estimator(*candidate)._solve(codes_, y_, sw_, layout_, x0, warn=False,
                                                                limit_blas_threads=False)

        from .solver import one_blas_thread

        with one_blas_thread():  # once for all the solves: setting it costs more than a small solve
            path = regularization_path(solve, held_out_log_loss, codes, y01, sw, layout, folds, paths)
        candidates = [c for p in paths for c in p]
        mean = path["scores"].mean(axis=1)
        best = int(np.argmin(mean))  # the first of equals: the strongest regularisation
        step_loss_weight, l2 = candidates[best]

        coef = path["coefs"][best].mean(axis=0)
        n_iter = int(path["n_iter"].sum())
        final = self._candidate_estimator(step_loss_weight, l2)
        if self.average_folds:
            converged = bool(path["converged"][best].all())
            with EmbeddingSumObjective(codes, y01, sw, layout, final._all_regularizers()) as objective:
                loss, _ = objective.loss_gradient(coef)
            history = {"loss": np.array([loss])}
            history.update({k: np.array([v]) for k, v in objective.last_components.items()})
        else:
            with one_blas_thread():
                result = final._solve(codes, y01, sw, layout, coef, warn=False, limit_blas_threads=False)
            coef, converged, history = result.coef, result.converged, result.history
            n_iter += result.n_iter
        if not converged:
            warnings.warn(
                f"L-BFGS-B did not converge within max_iter={self.max_iter} for the chosen weights "
                f"(step_loss_weight={step_loss_weight:.4g}, l2={l2:.4g}). Increase max_iter, or raise tol.",
                ConvergenceWarning,
                stacklevel=2,
            )

        self._set_fitted(digitizer, classes, names, X.shape[1], layout.split(coef))
        self.step_loss_weight_ = step_loss_weight
        self.l2_ = l2
        self.best_index_ = best
        results = {
            "step_loss_weight": np.array([c[0] for c in candidates]),
            "l2": np.array([c[1] for c in candidates]),
            "mean_test_log_loss": mean,
            "std_test_log_loss": path["scores"].std(axis=1),
            "rank_test_log_loss": np.argsort(np.argsort(mean, kind="stable"), kind="stable") + 1,
        }
        for k in range(len(folds)):
            results[f"split{k}_test_log_loss"] = path["scores"][:, k]
        results["n_iter"] = path["n_iter"]
        self.cv_results_ = results
        self.n_iter_ = n_iter
        self.history_ = history
        return self
