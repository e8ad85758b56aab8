"""The reference loop: per feature ``np.searchsorted``, a gather, an add.

The plain statement of docs/design.md#scoring-contract in numpy: the codes of each column
by :func:`embedsum._bins.interval_codes` (docs/design.md#bin-codes), its scores gathered
at them, added to the running sum one feature at a time, left to right. The fast paths
are tested against it, the benchmarks time it as their baseline, and the dispatcher
falls back on it for input the fast paths do not take.
"""

from __future__ import annotations

import numpy as np

from .._bins import interval_codes


def decision_values_reference(X: np.ndarray, cuts, scores, intercept: float) -> np.ndarray:
    """Decision values by the plain loop: per feature ``np.searchsorted``, a gather, an add.

    The reference the fast paths are tested against (and the benchmark baseline).

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5], [2.0], [np.nan]])
    >>> decision_values_reference(X, [np.array([1.0])], [np.array([-1.0, 1.0, 0.25])], 0.5).tolist()
    [-0.5, 1.5, 0.75]
    """
    z = np.full(X.shape[0], intercept, dtype=np.float64)
    for j, (feature_cuts, feature_scores) in enumerate(zip(cuts, scores)):
        z += feature_scores[interval_codes(feature_cuts, X[:, j])]
    return z

