"""Baseline points for baseline-relative attributions, chosen among rows of a baseline class.

These are the group-specific baselines of Enhanced Integrated Gradients (Jha et al., 2019):
the rows nearest the class median, k-means centroids, the rows close to each explained row,
or random rows. Distances are Euclidean on robustly standardised features (see
:func:`robust_standardise`). numpy only, except "kmeans", which imports scipy when used.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["robust_standardise", "distances", "baseline_points"]

# A standardised ±inf is clamped here so that distances and k-means stay finite: a value a
# million interquartile ranges away is as far as any distance needs to tell.
_CLAMP = 1e6
# Rows of the explained block times baseline rows held in memory at once by `distances`.
_BLOCK_CELLS = 1 << 20


def _center_scale(reference):
    reference = np.asarray(reference, dtype=np.float64)
    with warnings.catch_warnings():  # all-NaN columns warn; they are handled just below
        warnings.simplefilter("ignore", RuntimeWarning)
        center = np.nanmedian(reference, axis=0)
        q25, q75 = np.nanpercentile(reference, [25, 75], axis=0)
    scale = q75 - q25
    center = np.where(np.isfinite(center), center, 0.0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
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
    with np.errstate(invalid="ignore"):
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
    from scipy.cluster.vq import kmeans2  # imported here: only this baseline needs scipy

    data = np.where(np.isnan(Z), 0.0, Z)  # 0 is the median: k-means needs complete rows
    with warnings.catch_warnings():  # an empty cluster keeps its previous centroid: acceptable
        warnings.simplefilter("ignore", UserWarning)
        try:
            centroids, _ = kmeans2(data, k, minit="++", rng=rng)
        except TypeError:  # scipy before 1.15 calls the generator `seed`
            centroids, _ = kmeans2(data, k, minit="++", seed=rng)
    return centroids


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
        "kmeans": ``n_points`` k-means centroids (seeded ``scipy.cluster.vq.kmeans2`` on the
        standardised rows, missing values at the median; a feature missing in every row
        stays missing in the centroids);
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
