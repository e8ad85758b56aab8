"""MIRAD feature importance: how much each feature's shape function moves (docs/design.md#feature-importance).

Fit and load compute it with this code from the bin scores and weights, so a loaded model
has the importances of the fitted one bit for bit.
"""

from __future__ import annotations

import numpy as np


def mirad_importances(bin_scores, bin_weights) -> np.ndarray:
    """MIRAD feature importance: the weighted mean absolute deviation of each shape function.

    ``importance_j = sum_k u_jk |theta_jk - sum_k u_jk theta_jk|`` with ``u_j`` the
    training weights of feature j's bins, normalised to sum to 1. With K values per bin
    (multiclass), the mean over the K classes.

    Example
    -------
    >>> mirad_importances([[1.0, -1.0, 0.0]], [[0.5, 0.5, 0.0]]).tolist()
    [1.0]
    >>> mirad_importances([[1.7e308, -1.7e308]], [[0.9, 0.1]]).tolist()
    [6.119999999999999e+307]
    """
    out = []
    for theta, v in zip(bin_scores, bin_weights):
        u = np.asarray(v, dtype=np.float64)
        u = u / u.sum()
        theta = np.asarray(theta, dtype=np.float64)
        # Scores near the float64 limit: deviations computed on scores scaled by a power of
        # two (exact), capped at the largest |score| they cannot exceed, then scaled back.
        largest = np.max(np.abs(theta), axis=0)
        scale = np.ldexp(1.0, np.frexp(largest)[1] - 1)
        with np.errstate(under="ignore"):
            t = theta / scale
            deviation = u @ np.abs(t - u @ t)
            importance = np.minimum(deviation, largest / scale) * scale
            if theta.ndim == 1:
                # One class: a number (np.mean would add 8 us per feature to every model load).
                out.append(float(importance))
            else:
                shrink = np.ldexp(1.0, -int(np.ceil(np.log2(len(importance)))))
                out.append(float(np.mean(importance * shrink) / shrink))
    return np.array(out)
