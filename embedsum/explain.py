"""Exact explanations of an additive step-function model.

A fitted model's decision value is ``intercept_`` plus one bin score per feature, so
each feature's contribution to a row is simply the score of the bin the row falls in.
Against a baseline point ``b`` the attribution of feature j is ``f_j(x_j) - f_j(b_j)``:
for a step-function model this is exactly what (Enhanced) Integrated Gradients computes,
since the path integral of one feature's shape function is its difference of values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scoring import bin_scores_of_rows
from .validation import check_is_fitted

__all__ = ["feature_names", "contributions", "attributions", "significance", "FeatureSignificance",
           "shape_functions", "ShapeFunction"]

_AGNOSTIC = ("zero", "expected")
_GROUP = ("median", "kmeans", "close", "random")


def contributions(model, X) -> np.ndarray:
    """Each feature's contribution to the decision value of each row, shape (n_samples, n_features).

    ``model.intercept_`` plus the columns, added left to right, equals
    ``model.decision_function(X)`` bit for bit.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
    >>> c = contributions(model, X[:3])
    >>> bool(np.all(model.intercept_ + c[:, 0] + c[:, 1] == model.decision_function(X[:3])))
    True
    """
    X = model._validated(X)
    return bin_scores_of_rows(X, model.cuts_, model.bin_scores_)


def _expected_scores(model) -> np.ndarray:
    # Weights are normalised so that a model whose weights do not quite sum to 1 (rounding in
    # a saved file) still gets the mean of its shape function.
    return np.array([float(np.asarray(w) @ np.asarray(s)) / float(np.sum(w))
                     for s, w in zip(model.bin_scores_, model.bin_weights_)])


def attributions(model, X, baseline="expected", *, baseline_X=None, n_points=10, random_state=None,
                 skip_nearest=1) -> np.ndarray:
    """Baseline-relative attributions of each feature to each row, shape (n_samples, n_features).

    Enhanced Integrated Gradients (Jha et al., 2019) for a step-function model: the
    attribution of feature j to row x against baseline point b is exactly
    ``f_j(x_j) - f_j(b_j)``, with ``f_j`` the score of the bin. With several baseline
    points it is the mean over them, so each row's attributions sum to its decision value
    minus the mean decision value of its baseline points (completeness).

    Parameters
    ----------
    baseline : str, default="expected"
        Group-agnostic: "zero" (the all-zero row) or "expected" (each shape function's
        training-weighted mean ``sum_k w_jk f_jk``; the attributions are then the exact
        interventional SHAP values of the model). Group-specific, among the rows of
        ``baseline_X`` (a baseline class): "median" (the ``n_points`` rows nearest the
        coordinate-wise median), "kmeans" (``n_points`` centroids of seeded
        ``scipy.cluster.vq.kmeans2``), "close" (for each row, its ``n_points`` nearest
        baseline rows after skipping the ``skip_nearest`` very nearest, as the paper does:
        the nearest may be the row itself or a near copy, which explains nothing) or
        "random" (``n_points`` rows drawn with ``random_state``).
        Distances are Euclidean after standardising each feature by the baseline rows'
        median and interquartile range (NaN ignored by ``np.nanmedian``/``np.nanpercentile``;
        a zero IQR counts as 1); a value missing on one side only adds 1 to the squared
        distance (see :mod:`embedsum.baselines`).
    baseline_X : array-like of shape (m, n_features), required by the group-specific baselines.
    n_points : int, default=10
    random_state : int, numpy Generator or None
        Seeds "kmeans" and "random".
    skip_nearest : int, default=1

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
    >>> a = attributions(model, X[:3], "zero")
    >>> zero = model.decision_function(np.zeros((1, 2)))
    >>> bool(np.allclose(a.sum(axis=1), model.decision_function(X[:3]) - zero))
    True
    >>> attributions(model, X[:3], "close", baseline_X=X[X[:, 0] <= 0], n_points=5).shape
    (3, 2)
    """
    X = model._validated(X)
    F = bin_scores_of_rows(X, model.cuts_, model.bin_scores_)
    if baseline in _AGNOSTIC:
        if baseline_X is not None:
            raise ValueError(f"baseline {baseline!r} does not use baseline_X; pass one of {_GROUP} to use it.")
        if baseline == "expected":
            return F - _expected_scores(model)
        zero = np.zeros((1, X.shape[1]))
        return F - bin_scores_of_rows(zero, model.cuts_, model.bin_scores_)
    if baseline not in _GROUP:
        raise ValueError(f"unknown baseline {baseline!r}; use one of {_AGNOSTIC + _GROUP}")
    if baseline_X is None:
        raise ValueError(f"baseline {baseline!r} chooses among rows of a baseline class: pass baseline_X.")
    from .baselines import baseline_points

    B = model._validated(baseline_X)
    points = baseline_points(X, B, baseline, n_points=n_points, random_state=random_state,
                             skip_nearest=skip_nearest)
    if baseline == "close":  # one set of points per row: shape (n, p, d)
        n, p, d = points.shape
        fb = bin_scores_of_rows(points.reshape(n * p, d), model.cuts_, model.bin_scores_)
        return F - fb.reshape(n, p, d).mean(axis=1)
    return F - bin_scores_of_rows(points, model.cuts_, model.bin_scores_).mean(axis=0)


@dataclass(frozen=True)
class FeatureSignificance:
    """One feature's class-wide significance (see :func:`significance`).

    Example
    -------
    >>> FeatureSignificance("x0", 3.2, 0.001, 0.002, True).significant
    True
    """

    name: str
    statistic: float
    p_value: float
    adjusted_p_value: float
    significant: bool


def significance(model, X_class, X_reference, *, alpha=0.05, baseline="expected", random_state=None,
                 **baseline_kw) -> list[FeatureSignificance]:
    """Which features matter for a whole class, as in Enhanced Integrated Gradients.

    Attributions (see :func:`attributions`) are computed for the rows of the class of
    interest and for an equally large random sample of the reference rows (all of them
    when there are fewer). Within each row the features are ranked by attribution
    (``scipy.stats.rankdata``, 1 = lowest); per feature a one-sided Welch t-test asks
    whether the class ranks are greater than the reference ranks; the p-values are
    Bonferroni-corrected (times the number of features, capped at 1). A feature whose
    ranks do not vary at all gets p = 1. Group-specific baselines choose among
    ``baseline_X``, by default the reference rows.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3))
    >>> y = X[:, 0] + 0.3 * rng.normal(size=600) > 0
    >>> model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    >>> result = significance(model, X[y], X[~y], random_state=0)
    >>> [r.name for r in result if r.significant]
    ['x0']
    """
    from scipy.stats import rankdata, ttest_ind  # scipy only when this is used

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    X_class = model._validated(X_class)
    X_reference = model._validated(X_reference)
    rng = np.random.default_rng(random_state)
    size = min(len(X_class), len(X_reference))
    sample = X_reference[np.sort(rng.choice(len(X_reference), size=size, replace=False))]
    if baseline in _GROUP:
        baseline_kw.setdefault("baseline_X", X_reference)
    A_class = attributions(model, X_class, baseline, random_state=rng, **baseline_kw)
    A_ref = attributions(model, sample, baseline, random_state=rng, **baseline_kw)
    R_class = rankdata(A_class, axis=1)
    R_ref = rankdata(A_ref, axis=1)
    d = X_class.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        test = ttest_ind(R_class, R_ref, axis=0, equal_var=False, alternative="greater")
    statistic = np.asarray(test.statistic, dtype=np.float64)
    p = np.asarray(test.pvalue, dtype=np.float64)
    p = np.where(np.isnan(p), 1.0, p)  # no variation in either group: no evidence
    adjusted = np.minimum(p * d, 1.0)
    names = feature_names(model)
    return [FeatureSignificance(names[j], float(statistic[j]), float(p[j]), float(adjusted[j]),
                                bool(adjusted[j] < alpha)) for j in range(d)]


@dataclass(frozen=True, eq=False)  # fields are arrays: "==" would be ambiguous, so identity
class ShapeFunction:
    """One feature's step function: bin k covers ``(lower[k], upper[k]]``, plus a missing bin.

    Example
    -------
    >>> import numpy as np
    >>> s = ShapeFunction("x0", np.array([-np.inf, 0.0]), np.array([0.0, np.inf]),
    ...                   np.array([-1.0, 1.0]), np.array([0.5, 0.5]), 0.0, 0.0, 1.0)
    >>> s.upper.tolist()
    [0.0, inf]
    """

    name: str
    lower: np.ndarray
    upper: np.ndarray
    scores: np.ndarray
    weights: np.ndarray
    missing_score: float
    missing_weight: float
    importance: float


def feature_names(model) -> list[str]:
    """The model's feature names: ``feature_names_in_`` when it has them, else ``x0, x1, ...``.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> feature_names(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0))
    ['x0', 'x1']
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(model.n_features_in_)]
    return [str(n) for n in names]


def shape_functions(model) -> list[ShapeFunction]:
    """Each feature's step function as a tidy record, in feature order.

    Bin k holds the values ``lower[k] < v <= upper[k]``; the first lower bound is -inf
    and the last upper bound +inf. ``scores``/``weights`` are those of the interval
    bins; the missing-value bin is apart.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> s = shape_functions(EmbeddingSumClassifier(max_bins=2).fit(X, X[:, 0] > 0))[0]
    >>> s.name, len(s.lower), len(s.scores), float(s.missing_weight)
    ('x0', 2, 2, 0.0)
    """
    check_is_fitted(model, "bin_scores_")
    records = []
    for name, cuts, scores, weights, importance in zip(
        feature_names(model), model.cuts_, model.bin_scores_, model.bin_weights_, model.feature_importances_
    ):
        cuts = np.asarray(cuts, dtype=np.float64)
        records.append(ShapeFunction(
            name=name,
            lower=np.concatenate([[-np.inf], cuts]),
            upper=np.concatenate([cuts, [np.inf]]),
            scores=np.array(scores[:-1], dtype=np.float64),
            weights=np.array(weights[:-1], dtype=np.float64),
            missing_score=float(scores[-1]),
            missing_weight=float(weights[-1]),
            importance=float(importance),
        ))
    return records
