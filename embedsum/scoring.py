"""Scoring rows with numpy only: the bit-exact decision value and a stable sigmoid.

The contract every scoring path keeps (batch, one row, exported code): the decision
value is ``intercept + score_0[b_0] + score_1[b_1] + ...`` added in float64, left to
right, in feature order. Nothing here imports scipy.
"""

from __future__ import annotations

import numpy as np

from .digitizer import bin_codes

__all__ = ["decision_values", "bin_scores_of_rows", "sigmoid"]


def decision_values(X: np.ndarray, cuts, scores, intercept: float) -> np.ndarray:
    """Decision values of the rows of a 2-D float64 X.

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5], [2.0], [np.nan]])
    >>> decision_values(X, [np.array([1.0])], [np.array([-1.0, 1.0, 0.25])], 0.5).tolist()
    [-0.5, 1.5, 0.75]
    """
    z = np.full(X.shape[0], intercept, dtype=np.float64)
    for j, (feature_cuts, feature_scores) in enumerate(zip(cuts, scores)):
        z += feature_scores[bin_codes(X[:, j], feature_cuts)]
    return z


def bin_scores_of_rows(X: np.ndarray, cuts, scores) -> np.ndarray:
    """The score of the bin each value falls in, shape (n_samples, n_features).

    Adding its columns to the intercept left to right gives :func:`decision_values`.

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5, 3.0], [2.0, np.nan]])
    >>> bin_scores_of_rows(X, [np.array([1.0]), np.array([2.0])],
    ...                    [np.array([-1.0, 1.0, 0.0]), np.array([0.1, 0.2, 0.3])]).tolist()
    [[-1.0, 0.2], [1.0, 0.3]]
    """
    out = np.empty(X.shape, dtype=np.float64)
    for j, (feature_cuts, feature_scores) in enumerate(zip(cuts, scores)):
        out[:, j] = feature_scores[bin_codes(X[:, j], feature_cuts)]
    return out


def sigmoid(z) -> np.ndarray:
    """``1 / (1 + exp(-z))`` without overflow for any float64, ±inf included.

    Example
    -------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):  # exp(-|z|) underflows to 0 for |z| > 745: exact enough
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
