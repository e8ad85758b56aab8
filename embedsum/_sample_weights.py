"""Sample weights: checked, and read as how many rows each row counts for (docs/design.md#sample-weights)."""

from __future__ import annotations

import numbers

import numpy as np


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Return sample weights as a float64 array of length n (ones when None).

    Weights must be finite and non-negative, and not all zero.

    Example
    -------
    >>> check_sample_weight(None, 2).tolist(), check_sample_weight([1, 3], 2).tolist()
    ([1.0, 1.0], [1.0, 3.0])
    """
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        sw = np.full(n_samples, float(sample_weight))
    else:
        try:
            sw = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"sample_weight must be numbers ({err}).") from err
    if sw.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar, got shape {sw.shape}.")
    if sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight.shape == ({sw.shape[0]},), expected ({n_samples},): one weight per row of X.")
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinity; every weight must be a finite number >= 0.")
    if np.any(sw < 0):
        raise ValueError("Negative values in sample_weight; every weight must be >= 0.")
    if not np.any(sw > 0):
        raise ValueError("sample_weight is zero everywhere; at least one row must have a positive weight.")
    return sw


def sample_weight_counts(sample_weight) -> np.ndarray:
    """How many rows each row counts for: its weight in units of the smallest positive weight.

    This is what makes a weight mean what scikit-learn users expect wherever embedsum counts
    rows (quantile cuts, category counts, folds, the default grid of step-loss weights): with
    integer weights that include a 1, a weight of k counts as the row repeated k times, a
    weight of 0 as the row removed, and multiplying every weight by a constant changes
    nothing. Counts are rounded to multiples of 2**-20, so that their sums are exact in
    float64 and rounding in the weights never moves a cut; the unit is at least 2**-32 of
    the total weight, so that counts stay finite and exact whatever the weights' range (a
    row lighter than that share counts for a fraction of one).

    Example
    -------
    >>> sample_weight_counts([0.5, 1.0, 0.0, 1.5]).tolist()
    [1.0, 2.0, 0.0, 3.0]
    >>> sample_weight_counts([3e300, 1e300]).tolist()
    [3.0, 1.0]
    """
    w = np.asarray(sample_weight, dtype=np.float64)
    top = w.max()
    w = w / top  # in [0, 1]: no sum below can overflow, whatever the weights' scale
    unit = max(float(w[w > 0].min()), float(w.sum()) * 2.0**-32)
    return counts_in_units(sample_weight, top, unit)


def counts_in_units(sample_weight, top: float, unit: float) -> np.ndarray:
    """The counts of :func:`sample_weight_counts` given its largest weight ``top`` and its
    ``unit`` (of the weights over ``top``), which a partitioned table finds over all its rows.

    Example
    -------
    >>> counts_in_units([0.5, 1.0, 0.0, 1.5], 1.5, 1 / 3).tolist()
    [1.0, 2.0, 0.0, 3.0]
    """
    return np.round(np.asarray(sample_weight, dtype=np.float64) / top / unit * 2.0**20) * 2.0**-20
