"""Baseline points for baseline-relative attributions, chosen among rows of a baseline class.

These are the group-specific baselines of Enhanced Integrated Gradients (Jha et al., 2019):
the rows nearest the class median, k-means centroids, the rows close to each explained row,
or random rows. Distances are Euclidean on robustly standardised features (see
:func:`robust_standardise`). numpy only.

No call here touches the process-wide warning filters (``warnings.catch_warnings`` is not
thread-safe): the cases numpy would warn about are handled before they arise, and the
floating-point ones under ``np.errstate``, which is local to the calling thread.
"""

from __future__ import annotations

import numpy as np


# A standardised ±inf is clamped here so that distances and k-means stay finite: a value a
# million interquartile ranges away is as far as any distance needs to tell.
_CLAMP = 1e6
# Rows of the explained block times baseline rows held in memory at once by `distances`.
_BLOCK_CELLS = 1 << 20


# Lloyd iterations of the "kmeans" baseline (at most: it stops when no centroid moves).
_KMEANS_ITERATIONS = 10


def _center_scale(reference):
    reference = np.asarray(reference, dtype=np.float64)
    d = reference.shape[1]
    center, scale = np.zeros(d), np.ones(d)
    # numpy warns on a column with no observed value: such a column keeps 0 and 1 and is
    # not passed to it (no row at all leaves every column so).
    observed = ~np.all(np.isnan(reference), axis=0) if len(reference) else np.zeros(d, dtype=bool)
    if observed.any():
        columns = reference[:, observed]
        # -inf and inf together give a NaN median or an infinite IQR: replaced just below.
        with np.errstate(invalid="ignore", over="ignore"):
            median = np.nanmedian(columns, axis=0)
            q25, q75 = np.nanpercentile(columns, [25, 75], axis=0)
            iqr = q75 - q25
        center[observed] = np.where(np.isfinite(median), median, 0.0)
        scale[observed] = np.where(np.isfinite(iqr) & (iqr > 0), iqr, 1.0)
    return center, scale


def robust_standardise(X, reference):
    """``(X - median) / IQR`` per feature, both taken on the reference rows, NaN ignored.

    The median and the interquartile range come from ``np.nanmedian`` / ``np.nanpercentile``
    over the reference rows. A zero or non-finite IQR is replaced by 1 and a non-finite
    median (an all-missing column) by 0, so every column stays usable. NaN stays NaN;
    ±inf become ±1e6.

    Example
    -------
    >>> import numpy as np
    >>> ref = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, np.nan]])
    >>> robust_standardise(np.array([[1.5, 6.0]]), ref).tolist()
    [[0.0, 1.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    center, scale = _center_scale(reference)
    with np.errstate(invalid="ignore", over="ignore"):  # ±inf (and overflow to it) are clamped
        return np.clip((X - center) / scale, -_CLAMP, _CLAMP)


def distances(A, B) -> np.ndarray:
    """Euclidean distances between the rows of two standardised arrays, shape (len(A), len(B)).

    A missing value is a value of its own: both missing adds 0, exactly one missing adds 1
    (one interquartile range, squared), so rows that differ in what is missing are apart.

    Example
    -------
    >>> import numpy as np
    >>> distances(np.array([[0.0, np.nan]]), np.array([[3.0, np.nan], [3.0, 4.0]])).tolist()
    [[3.0, 3.1622776601683795]]
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    out = np.empty((A.shape[0], B.shape[0]))
    step = max(1, _BLOCK_CELLS // max(1, B.shape[0]))
    for start in range(0, A.shape[0], step):
        a = A[start:start + step]
        sq = np.zeros((a.shape[0], B.shape[0]))
        for j in range(A.shape[1]):  # a loop over features keeps memory at one (rows, rows) block
            diff = a[:, j, None] - B[None, :, j]
            missing = np.isnan(diff)
            one_missing = np.isnan(a[:, j, None]) != np.isnan(B[None, :, j])
            sq += np.where(missing, one_missing.astype(np.float64), diff * diff)
        out[start:start + step] = np.sqrt(sq)
    return out


def _kmeans_centroids(Z, k, rng):
    """``k`` centroids of the rows of Z: k-means++ seeding, then Lloyd iterations.

    k-means++ (Arthur and Vassilvitskii, 2007): the first centre is a row drawn uniformly,
    each next one a row drawn with probability proportional to its squared distance to the
    nearest centre so far. Lloyd: each row goes to its nearest centroid, each centroid moves
    to the mean of its rows; a centroid left without rows stays where it is.
    """
    data = np.where(np.isnan(Z), 0.0, Z)  # 0 is the median: k-means needs complete rows
    n = len(data)
    centroids = np.empty((k, data.shape[1]))
    centroids[0] = data[rng.integers(n)]
    nearest = np.sum((data - centroids[0]) ** 2, axis=1)
    for i in range(1, k):
        total = float(nearest.sum())
        # All rows on a centre already (fewer distinct rows than k): any row will do.
        row = rng.choice(n, p=nearest / total) if total > 0 else rng.integers(n)
        centroids[i] = data[row]
        np.minimum(nearest, np.sum((data - centroids[i]) ** 2, axis=1), out=nearest)
    for _ in range(_KMEANS_ITERATIONS):
        labels = _nearest_centroid(data, centroids)
        counts = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, weights=column, minlength=k) for column in data.T], axis=1)
        moved = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centroids)
        if np.array_equal(moved, centroids):
            break
        centroids = moved
    return centroids


def _nearest_centroid(data, centroids):
    """Index of each row's nearest centroid (the first on ties); memory of one (n,) column per step."""
    best = np.full(len(data), np.inf)
    labels = np.zeros(len(data), dtype=np.intp)
    for i, c in enumerate(centroids):
        d2 = np.sum((data - c) ** 2, axis=1)
        closer = d2 < best
        best[closer], labels[closer] = d2[closer], i
    return labels


def baseline_points(X, baseline_X, baseline, *, n_points=10, random_state=None, skip_nearest=1):
    """Baseline points among (or from) the rows of ``baseline_X``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The rows to explain (used by "close" only).
    baseline_X : ndarray of shape (m, d)
        Rows of the baseline class.
    baseline : {"median", "kmeans", "close", "random"}
        "median": the ``n_points`` rows nearest the coordinate-wise median;
        "kmeans": ``n_points`` k-means centroids (k-means++ seeded by ``random_state``,
        then 10 Lloyd iterations, on the standardised rows, missing values at the median;
        a feature missing in every row stays missing in the centroids);
        "close": for each row of X, its ``n_points`` nearest rows after skipping the
        ``skip_nearest`` very nearest; "random": ``n_points`` rows drawn without replacement.
    n_points, random_state, skip_nearest
        As above; ``n_points`` is capped at the number of rows available.

    Returns
    -------
    ndarray of shape (p, d), or (n, p, d) for "close".

    Example
    -------
    >>> import numpy as np
    >>> B = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> baseline_points(None, B, "median", n_points=1).tolist()
    [[1.0]]
    >>> baseline_points(np.array([[0.1]]), B, "close", n_points=2).tolist()
    [[[1.0], [2.0]]]
    """
    baseline_X = np.asarray(baseline_X, dtype=np.float64)
    m = baseline_X.shape[0]
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 1:
        raise ValueError(f"n_points must be an integer >= 1, got {n_points!r}")
    if baseline == "random":
        rng = np.random.default_rng(random_state)
        return baseline_X[np.sort(rng.choice(m, size=min(n_points, m), replace=False))]
    Z = robust_standardise(baseline_X, baseline_X)
    if baseline == "median":
        d = distances(np.zeros((1, Z.shape[1])), Z)[0]
        return baseline_X[np.argsort(d, kind="stable")[:min(n_points, m)]]
    if baseline == "kmeans":
        k = min(n_points, m)
        centroids = _kmeans_centroids(Z, k, np.random.default_rng(random_state))
        center, scale = _center_scale(baseline_X)
        points = centroids * scale + center
        points[:, np.all(np.isnan(baseline_X), axis=0)] = np.nan  # never observed: stays missing
        return points
    if baseline == "close":
        if isinstance(skip_nearest, bool) or not isinstance(skip_nearest, (int, np.integer)) or skip_nearest < 0:
            raise ValueError(f"skip_nearest must be an integer >= 0, got {skip_nearest!r}")
        if skip_nearest >= m:
            raise ValueError(
                f"baseline 'close' skips the {skip_nearest} nearest rows but baseline_X has only {m}; "
                "pass more baseline rows or a smaller skip_nearest."
            )
        d = distances(robust_standardise(X, baseline_X), Z)
        order = np.argsort(d, axis=1, kind="stable")[:, skip_nearest:skip_nearest + n_points]
        return baseline_X[order]
    raise ValueError(f"unknown group baseline {baseline!r}; use 'median', 'kmeans', 'close' or 'random'")
