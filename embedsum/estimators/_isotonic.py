"""Weighted isotonic projection by pool-adjacent-violators (numpy only; docs/design.md#edits).

``monotonize`` moves a feature's interval-bin scores to the closest monotone step function, the
distance weighted by each bin's share of the training rows. scipy has this as
``scipy.optimize.isotonic_regression`` from 1.12 only (embedsum needs scipy >= 1.9, and an edit
without data needs numpy alone), so it is written here: a few lines over the bins.
"""

from __future__ import annotations

import numpy as np


def isotonic_projection(values, weights, increasing: bool = True) -> np.ndarray:
    """The non-decreasing (or non-increasing) sequence closest to ``values`` in weighted squares.

    Bins of weight 0 do not pull: each takes its own value clipped between the result before it
    and the next weighted bin's, so the result stays monotone.

    Example
    -------
    >>> isotonic_projection([1.0, 3.0, 2.0, 4.0], [1.0, 1.0, 3.0, 1.0]).tolist()
    [1.0, 2.25, 2.25, 4.0]
    >>> isotonic_projection([1.0, 3.0, 2.0], [1.0, 0.0, 1.0]).tolist()
    [1.0, 2.0, 2.0]
    >>> isotonic_projection([1.0, 3.0, 2.0], [1.0, 1.0, 1.0], increasing=False).tolist()
    [2.0, 2.0, 2.0]
    """
    sign = 1.0 if increasing else -1.0  # non-increasing: the non-decreasing fit of -values
    values = sign * np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    heavy = np.flatnonzero(weights > 0)
    out = values.copy()
    if len(heavy):
        out[heavy] = _pool_adjacent_violators(values[heavy], weights[heavy])
    # Weightless bins, left to right: their own value, clipped between the result before them
    # and the next weighted bin's.
    for i in np.flatnonzero(weights <= 0):
        after = heavy[heavy > i]
        low = out[i - 1] if i > 0 else -np.inf
        high = out[after[0]] if len(after) else np.inf
        out[i] = min(max(values[i], low), high)
    return sign * out


def _pool_adjacent_violators(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Non-decreasing weighted least squares fit of y (weights > 0): pools of equal values."""
    means, totals, sizes = [], [], []
    for value, weight in zip(y.tolist(), w.tolist()):
        means.append(value)
        totals.append(weight)
        sizes.append(1)
        # Merge the last two pools while they violate the order: their weighted mean replaces both.
        while len(means) > 1 and means[-2] > means[-1]:
            weight = totals[-2] + totals[-1]
            means[-2] = (means[-2] * totals[-2] + means[-1] * totals[-1]) / weight
            totals[-2] = weight
            sizes[-2] += sizes[-1]
            del means[-1], totals[-1], sizes[-1]
    return np.repeat(np.array(means), sizes)
