"""The cross-validated fit shared by :class:`EmbeddingSumClassifierCV` and :class:`EmbeddingSumRegressorCV`.

Its parameters and candidates, its folds (:mod:`~embedsum.estimators._folds`), the path over
them (:mod:`~embedsum.estimators._regularization_path`), the choice, and the final model
(docs/design.md#cross-validation).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._exceptions import ConvergenceWarning
from .._hyperparameters import HYPERPARAMETERS, check_hyperparameters, check_number
from .._validation import feature_names_of, sample_weight_counts
from ..training._objective import EmbeddingSumObjective
from ._dask_rows import is_dask_collection
from ._regularization_path import regularization_path


# The default grid of step-loss weights is (GRID_HIGH .. GRID_LOW) / n_rows: the data term
# is a mean over rows, so the weight a penalty needs falls like 1 / n. The range holds the
# cross-validated optima of both benchmark training sets well inside it (about 3000/n with
# 64 bins; fewer bins want less). The regressor uses the same grid: its loss and penalties
# are all quadratic, so scaling y scales the model and leaves the best weight unchanged.
GRID_HIGH = 30000.0
GRID_LOW = 10.0
# screening="auto" screens tables wider than this (docs/design.md#feature-screening): on a few
# dozen columns a weak feature is cheap to keep, on hundreds of noise counters it is not.
AUTO_SCREENING_FEATURES = 50
AUTO_SCREENING_LEVEL = 0.05
# The hyperparameters a cross-validated estimator shares with the estimator each candidate
# fits: all but the weights its grids replace.
_GRIDDED = ("step_loss_weight", "category_weight", "interaction_weight")
_SHARED = tuple(name for name in HYPERPARAMETERS if name not in _GRIDDED)


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
        for name in ("category_weights", "interaction_weights"):
            _check_grid(name, getattr(self, name))
            if isinstance(getattr(self, name), numbers.Integral):
                raise ValueError(f"{name} must be a sequence of weights >= 0, got {getattr(self, name)!r}")
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
        if not (self.screening is None or isinstance(self.screening, str) and self.screening == "auto"):
            check_number("screening", self.screening, low=0, low_inclusive=False, high=1)
            if self.uncertainty:
                raise ValueError("screening drops features before the fit, and uncertainty=True needs every "
                                 "feature's curvature: use screening=None (or \"auto\") with uncertainty=True.")
        check_hyperparameters({name: getattr(self, name) for name in _SHARED})

    def _candidate_estimator(self, step_loss_weight: float, l2: float, category_weight: float = 0.0,
                             interaction_weight: float = 1.0):
        """The ordinary estimator that one candidate fits: this one's parameters, the candidate's weights."""
        shared = {name: getattr(self, name) for name in _SHARED if name != "l2"}
        return self._base(step_loss_weight=float(step_loss_weight), l2=float(l2),
                          category_weight=float(category_weight), interaction_weight=float(interaction_weight),
                          **shared)

    def _saved_params(self) -> dict:
        """Hyperparameters of the ordinary estimator that this fitted model is (what ``save`` writes)."""
        weight = 1.0 if self.interaction_weight_ is None else self.interaction_weight_
        return self._candidate_estimator(self.step_loss_weight_, self.l2_, self.category_weight_,
                                         weight).get_params()

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

    def _checked_folds(self, X, y, target, sw, n_outputs: int) -> list:
        """The folds, each with training rows that can fit and test rows that can score."""
        folds = self._folds(X, y, target, sw)
        for k, (train, test) in enumerate(folds):
            if not self._fittable(target[train], sw[train], n_outputs):
                raise ValueError(f"the training rows of fold {k} {self._unfittable_fold}")
            if not np.any(sw[test] > 0):
                raise ValueError(f"the test rows of fold {k} all have sample_weight 0; they cannot score it")
        return folds

    def _screened(self, codes, n_bins, target, sw, n_outputs: int):
        """The features kept by the score-test screening (docs/design.md#feature-screening), or None
        when every feature is kept or none is screened."""
        level = self.screening
        if level == "auto":
            if self.uncertainty or codes.shape[1] <= AUTO_SCREENING_FEATURES:
                return None
            level = AUTO_SCREENING_LEVEL
        if level is None:
            return None
        from ..training._screening import feature_p_values, screened_features

        if self._kind == "regressor":
            _, _, p = feature_p_values(codes, n_bins, target, sw)
        else:  # class indices: 0/1 for two classes
            _, _, p = feature_p_values(codes, n_bins, target.astype(np.intp), sw, n_classes=max(2, n_outputs))
        kept = screened_features(p, float(level))
        return None if len(kept) == codes.shape[1] else kept

    def _grid(self, sw: np.ndarray, categorical: bool = True) -> list:
        """The candidate paths: one per (l2, category weight), each a list of (step, l2, category
        weight) from strong to weak; without a ``categorical`` feature, the first category weight
        only (the others would fit the same model again)."""
        steps = self.step_loss_weights
        if isinstance(steps, numbers.Integral):
            # 1 / n for n rows of unit weight; with sample weights, n is what the rows count
            # for as repeated rows (so a row of weight 2 is the row twice, here too).
            row_scale = 1.0 / float(np.sum(sample_weight_counts(sw)))
            steps = np.geomspace(GRID_HIGH, GRID_LOW, int(steps)) * row_scale if steps > 1 \
                else np.array([np.sqrt(GRID_HIGH * GRID_LOW) * row_scale])
        steps = sorted((float(s) for s in steps), reverse=True)  # strong to weak: warm starts
        l2s = [float(self.l2)] if self.l2s is None else [float(v) for v in self.l2s]
        category_weights = list(self.category_weights) if categorical else list(self.category_weights)[:1]
        return [[(s, l2, float(c)) for s in steps] for l2 in l2s for c in category_weights]

    def fit(self, X, y, sample_weight=None, *, sensitive_features=None):
        """Choose the regularisation by cross-validation on (X, y), then fit the model.

        With ``fairness``, every fit (each fold's and the final one) bounds the disparity
        between the groups of ``sensitive_features`` on its training rows, and the held-out
        score chooses among the bounded models. Returns self.
        """
        if is_dask_collection(X):  # binned and summed on the workers (docs/design.md#dask)
            from ._dask_cv import cv_fit_dask

            return cv_fit_dask(self, X, y, sample_weight, sensitive_features, choice=_choice,
                               screened_from=AUTO_SCREENING_FEATURES)
        self._check_params()
        names = feature_names_of(X)
        bins = self._bins(X, names, sample_weight)
        target, sw, classes = self._cv_target(len(bins.codes), y, sample_weight)
        n_outputs = self._n_outputs_for(classes)
        groups = self._fairness_groups(sensitive_features, len(target), n_outputs)
        if groups is not None and self.average_folds:
            raise ValueError("average_folds=True averages models whose bounds hold on different rows: the "
                             "average need not keep the fairness bound; use average_folds=False.")
        sw = sw / sw.max()  # only ratios matter: held-out sums of weights of 1e300 must not overflow
        cst = self._monotonic(bins, names, n_outputs)
        folds = self._checked_folds(X, y, target, sw, n_outputs)

        full_layout = layout = bins.layout(n_outputs)
        codes = bins.codes
        kept = self._screened(codes, bins.n_bins, target, sw, n_outputs)
        full_cst = cst
        if kept is not None:  # solve on the kept features; the others' scores stay 0
            layout = bins.layout(n_outputs, features=kept)
            codes = codes[:, kept]
            cst = None if cst is None else cst[kept]
        solved = np.arange(len(bins.n_bins)) if kept is None else kept
        paths = self._grid(sw, categorical=bool(np.asarray(bins.is_categorical)[solved].any()))

        def solve(candidate, codes_, y_, sw_, layout_, x0, groups=None):
            return self._candidate_estimator(*candidate)._solve(
                codes_, y_, sw_, layout_, x0, warn=False, limit_blas_threads=False, monotonic_cst=cst,
                groups=groups)

        from ..training._solver import one_blas_thread

        with one_blas_thread():  # once for all the solves: setting it costs more than a small solve
            path = regularization_path(solve, self._loss(n_outputs).held_out, codes, target, sw, layout, folds, paths,
                                       groups=groups)
        best, candidate, coef = _choice(path, paths)
        n_iter = int(path["n_iter"].sum())
        final = self._candidate_estimator(*candidate)
        if self.average_folds:  # a mean of fold models with different pairs is no one model: no pairs
            converged = bool(path["converged"][best].all())
            with EmbeddingSumObjective(codes, target, sw, layout, final._all_regularizers(layout),
                                       loss=self._loss(n_outputs)) as objective:
                loss, _ = objective.loss_gradient(coef)
            history = {"loss": np.array([loss])}
            history.update({k: np.array([v]) for k, v in objective.last_components.items()})
            pairs, self.pair_cv_results_ = None, {"interaction_weight": [], "scores": np.empty((0, len(folds))),
                                                  "chosen": None}
        else:
            from ._cv_pairs import pairs_by_cross_validation

            with one_blas_thread():  # the refit, then the pair stage
                result = final._solve(codes, target, sw, layout, coef, warn=False, limit_blas_threads=False,
                                      monotonic_cst=cst, groups=groups)
                coef, converged, history = result.coef, result.converged, result.history
                n_iter += result.n_iter
                fitted, self.pair_cv_results_ = pairs_by_cross_validation(
                    self, bins, kept, codes, target, sw, layout, folds, path, best, coef, final, cst, names, groups)
            pairs = None
            if fitted is not None:
                layout, codes, result, pairs, final = fitted
                coef, converged, history = result.coef, result.converged, result.history
                n_iter += result.n_iter
        self.pair_cv_results_["main_effects"] = path["scores"][best].copy()
        self.interaction_weight_ = self.pair_cv_results_["chosen"]
        if not converged:
            self._warn_not_converged(*candidate[:2], stacklevel=2)  # at the caller of fit

        if kept is not None:
            coef = _expand(coef, layout, full_layout, kept)
            layout, cst = full_layout, full_cst
        uncertainty = final._laplace(codes, target, sw, layout, coef) if self.uncertainty else None
        bins.codes = bins.values = None
        self._set_fitted_bins(bins, layout.split(coef), monotonic_cst=cst, names=names, classes=classes,
                              n_iter=n_iter, history=history, uncertainty=uncertainty, pairs=pairs)
        if groups is not None:  # training diagnostics of the bound (not saved)
            self.fairness_disparity_, self.fairness_groups_ = result.disparity, result.groups
        dropped = [] if kept is None else sorted(set(range(len(bins.n_bins))) - set(kept.tolist()))
        self._record(path, paths, best, len(folds), dropped, names)
        return self

    def _warn_not_converged(self, step_loss_weight: float, l2: float, stacklevel: int) -> None:
        warnings.warn(
            f"L-BFGS-B did not converge within max_iter={self.max_iter} for the chosen weights "
            f"(step_loss_weight={step_loss_weight:.4g}, l2={l2:.4g}). Increase max_iter, or raise tol.",
            ConvergenceWarning,
            stacklevel=stacklevel + 1,
        )

    def _record(self, path: dict, paths: list, best: int, n_folds: int, dropped: list, names) -> None:
        """Set the attributes of the choice: the weights, ``best_index_``, ``dropped_features_``, ``cv_results_``."""
        candidates = [c for p in paths for c in p]
        step_loss_weight, l2, category_weight = candidates[best]
        mean = path["scores"].mean(axis=1)
        self.dropped_features_ = np.array(dropped if names is None else [names[j] for j in dropped],
                                          dtype=np.intp if names is None else object)
        self.step_loss_weight_ = step_loss_weight
        self.l2_ = l2
        self.category_weight_ = category_weight
        self.best_index_ = best
        name = self._score_name
        results = {
            "step_loss_weight": np.array([c[0] for c in candidates]),
            "l2": np.array([c[1] for c in candidates]),
            "category_weight": np.array([c[2] for c in candidates]),
            f"mean_test_{name}": mean,
            f"std_test_{name}": path["scores"].std(axis=1),
            f"rank_test_{name}": np.argsort(np.argsort(mean, kind="stable"), kind="stable") + 1,
        }
        for k in range(n_folds):
            results[f"split{k}_test_{name}"] = path["scores"][:, k]
        results["n_iter"] = path["n_iter"]
        self.cv_results_ = results


def _choice(path: dict, paths: list) -> tuple:
    """``(best index, its (step, l2) candidate, the mean of its fold models)``: the lowest mean
    held-out score, the first of equals (the strongest regularisation)."""
    candidates = [c for p in paths for c in p]
    best = int(np.argmin(path["scores"].mean(axis=1)))
    return best, candidates[best], path["coefs"][best].mean(axis=0)


def _expand(coef: np.ndarray, layout, full_layout, kept) -> np.ndarray:
    """A coef of the kept features' layout as a coef of every feature, the others' scores 0."""
    scores, intercept = layout.split(coef)
    full = [np.zeros((n, full_layout.n_outputs)) if full_layout.n_outputs > 1 else np.zeros(n)
            for n in full_layout.n_bins]
    for j, s in zip(kept, scores):
        full[j] = s
    return full_layout.join(full, intercept)
