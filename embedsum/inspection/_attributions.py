"""Baseline-relative attributions: each feature's bin score minus its score at a baseline point.

For a step-function model this is exactly what (Enhanced) Integrated Gradients computes; the
baselines are group-agnostic ("zero", "expected") or chosen among the rows of a baseline class
(:mod:`embedsum.inspection._baselines`).
"""

from __future__ import annotations

import numpy as np

from .._frames import like_input
from ._kinds import _class_choice, _is_categorical, _select, term_names
from ._scores import _numeric_part, _scores_of


_AGNOSTIC = ("zero", "expected")
_GROUP = ("median", "kmeans", "close", "random")


def _numeric_points_scores(model, points: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Scores of baseline points given on the numeric features only; their categorical
    features score as missing, and the caller replaces those."""
    d = model.n_features_in_
    full = np.full((len(points), d), np.nan)
    full[:, numeric] = points
    if numeric.size == d:
        return _scores_of(model, full)
    columns = [np.full(len(points), None, dtype=object) if _is_categorical(model, j) else None for j in range(d)]
    return _scores_of(model, (full, columns))


def _expected_scores(model) -> np.ndarray:
    """Each term's training-weighted mean score: the features', then the pairs' over their
    training cells (a categorical axis's last entry, for unseen categories, has no weight)."""
    # Weights are normalised so that a model whose weights do not quite sum to 1 (rounding in
    # a saved file) still gets the mean of its shape function.
    means = [np.asarray(w, dtype=np.float64) @ np.asarray(s, dtype=np.float64) / float(np.sum(w))
             for s, w in zip(model.bin_scores_, model.bin_weights_)]
    for table, w in zip(getattr(model, "pair_scores_", None) or (), getattr(model, "pair_weights_", None) or ()):
        w = np.asarray(w, dtype=np.float64)
        cells = np.asarray(table, dtype=np.float64)[:w.shape[0], :w.shape[1]]
        means.append(w.ravel() @ cells.reshape((w.size,) + cells.shape[2:]) / float(np.sum(w)))
    return np.stack(means)


def _categorical_terms(model) -> np.ndarray:
    """Which terms read a categorical feature: the categorical features, and each pair with a categorical axis."""
    d = model.n_features_in_
    features = [_is_categorical(model, j) for j in range(d)]
    return np.array(features + [features[a] or features[b] for a, b in getattr(model, "pairs_", None) or ()],
                    dtype=bool)


def _zero_row(model):
    """The all-zero row as validated data: a categorical feature reads the number 0."""
    d = model.n_features_in_
    zero = np.zeros((1, d))
    if not any(_is_categorical(model, j) for j in range(d)):
        return zero
    return zero, [np.zeros(1) if _is_categorical(model, j) else None for j in range(d)]


def attributions(model, X, baseline="expected", *, baseline_X=None, n_points=10, random_state=None,
                 skip_nearest=1, class_=None) -> np.ndarray:
    """Baseline-relative attributions of each term (feature, then pair) to each row.

    Shape (n_samples, n_terms), or (n_samples, n_terms, n_classes) for a multiclass
    model unless ``class_`` picks one class (see :mod:`embedsum.inspection._explain`); a pandas
    DataFrame X gives a DataFrame, as :func:`~embedsum.inspection._explain.contributions` does.

    Enhanced Integrated Gradients (Jha et al., 2019) for a step-function model: the
    attribution of feature j to row x against baseline point b is exactly
    ``f_j(x_j) - f_j(b_j)``, with ``f_j`` the score of the bin (per class); a pair term
    ``(a, b)`` gets ``f_ab(x_a, x_b) - f_ab(b_a, b_b)``, exact too (its columns follow the
    features', named by :func:`~embedsum.inspection._kinds.term_names`). With several
    baseline points it is the mean over them, so each row's attributions sum to its decision
    value minus the mean decision value of its baseline points (completeness).

    Parameters
    ----------
    baseline : str, default="expected"
        Group-agnostic: "zero" (the all-zero row as the model scores it: a categorical
        feature reads the number 0, usually a category never seen, which scores
        ``unseen_scores_[j]``) or "expected" (each shape function's training-weighted mean
        ``sum_k w_jk f_jk``; the attributions are then the exact interventional SHAP values
        of the model, per term: a pair term's value is not split between its two features).
        Group-specific, among the rows of ``baseline_X`` (a baseline class):
        "median" (the ``n_points`` rows nearest the coordinate-wise median), "kmeans"
        (``n_points`` k-means centroids, k-means++ seeded by ``random_state``), "close" (for each
        row, its ``n_points`` nearest baseline rows after skipping the ``skip_nearest`` very
        nearest, as the paper does: the nearest may be the row itself or a near copy, which
        explains nothing) or "random" (``n_points`` rows drawn with ``random_state``).
        Distances are Euclidean after standardising each numeric feature by the baseline
        rows' median and interquartile range (NaN ignored by ``np.nanmedian``/
        ``np.nanpercentile``; a zero IQR counts as 1); a value missing on one side only adds
        1 to the squared distance (see :mod:`embedsum.inspection._baselines`). Categorical features have
        no distance nor centroid: for every group baseline, a categorical feature's baseline
        score is its mean score over all the rows of ``baseline_X``, and so is a pair's with
        a categorical axis.
    baseline_X : array-like of shape (m, n_features), required by the group-specific baselines.
    n_points : int, default=10
    random_state : int, numpy Generator or None
        Seeds "kmeans" and "random".
    skip_nearest : int, default=1
    class_ : a label of ``classes_`` or None, default=None
        See :mod:`embedsum.inspection._explain`.

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
    k, sign = _class_choice(model, class_)
    values = _select(_attributions(model, model._validated(X), baseline, baseline_X, n_points, random_state,
                                   skip_nearest), k, sign)
    return like_input(X, values, term_names(model), getattr(model, "classes_", None))


def _attributions_kw(model, data, baseline, *, baseline_X=None, n_points=10, random_state=None, skip_nearest=1):
    """:func:`_attributions` with the keyword arguments of :func:`attributions`."""
    return _attributions(model, data, baseline, baseline_X, n_points, random_state, skip_nearest)


def _attributions(model, data, baseline, baseline_X, n_points, random_state, skip_nearest) -> np.ndarray:
    """:func:`attributions` of validated rows, for every class."""
    F = _scores_of(model, data)
    if baseline in _AGNOSTIC:
        if baseline_X is not None:
            raise ValueError(f"baseline {baseline!r} does not use baseline_X; pass one of {_GROUP} to use it.")
        reference = _expected_scores(model) if baseline == "expected" else _scores_of(model, _zero_row(model))
        return F - reference
    if baseline not in _GROUP:
        raise ValueError(f"unknown baseline {baseline!r}; use one of {_AGNOSTIC + _GROUP}")
    if baseline_X is None:
        raise ValueError(f"baseline {baseline!r} chooses among rows of a baseline class: pass baseline_X.")
    from ._baselines import baseline_points

    B = model._validated(baseline_X)
    d = model.n_features_in_
    numeric = np.flatnonzero([not _is_categorical(model, j) for j in range(d)])
    # A pair with a categorical axis has no baseline point on that axis: like a categorical
    # feature, its baseline score is its mean over the baseline rows (docs/design.md#pair-terms).
    categorical = _categorical_terms(model)
    per_row = False  # "close" gives one reference per row, the others one for all rows
    reference = np.zeros(F.shape[1:])
    if numeric.size:
        points = baseline_points(_numeric_part(data)[:, numeric], _numeric_part(B)[:, numeric], baseline,
                                 n_points=n_points, random_state=random_state, skip_nearest=skip_nearest)
        if baseline == "close":  # one set of points per row: shape (n, p, d_numeric)
            n, p, _ = points.shape
            fb = _numeric_points_scores(model, points.reshape(n * p, numeric.size), numeric)
            reference, per_row = fb.reshape((n, p) + fb.shape[1:]).mean(axis=1), True
        else:
            reference = _numeric_points_scores(model, points, numeric).mean(axis=0)
    if categorical.any():
        group_mean = _scores_of(model, B)[:, categorical].mean(axis=0)
        if per_row:
            reference[:, categorical] = group_mean
        else:
            reference[categorical] = group_mean
    return F - reference
