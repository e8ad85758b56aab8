"""The metrics of a group report, for one set of rows: numpy only.

Binary (or one class against the rest): base rate, mean predicted probability, selection rate,
TPR, FPR, FNR, ROC AUC, log-loss and the expected calibration error (ECE). Regression: mean
target, mean prediction, RMSE, MAE. A metric that a group cannot define (a TPR without
positives, an AUC with one class) is NaN.
"""

from __future__ import annotations

import numpy as np

from ..inspection._metrics import log_loss, roc_auc

BINARY_METRICS = ("base_rate", "mean_proba", "selection_rate", "tpr", "fpr", "fnr", "auc", "log_loss", "ece")
REGRESSION_METRICS = ("mean_target", "mean_prediction", "rmse", "mae")
ECE_BINS = 10


def expected_calibration_error(y, proba, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error over ``n_bins`` equal-width bins of the predicted probability.

    ``sum_b (n_b / n) * |mean(y in b) - mean(proba in b)|``; bin b holds
    ``b / n_bins <= proba < (b + 1) / n_bins`` (the last bin includes 1).

    Example
    -------
    >>> round(expected_calibration_error([0, 1, 1, 1], [0.05, 0.95, 0.65, 0.65]), 6)
    0.2
    """
    y = np.asarray(y, dtype=np.float64)
    proba = np.asarray(proba, dtype=np.float64)
    if len(y) == 0:
        return float("nan")
    b = np.minimum((proba * n_bins).astype(np.intp), n_bins - 1)
    count = np.bincount(b, minlength=n_bins)
    gap = np.abs(np.bincount(b, y, minlength=n_bins) - np.bincount(b, proba, minlength=n_bins))
    return float(gap.sum() / len(y))


def binary_metrics(positive: np.ndarray, proba: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """:data:`BINARY_METRICS` of one group's rows: booleans ``positive`` and ``selected``, P(positive).

    Example
    -------
    >>> m = binary_metrics(np.array([0, 1, 1, 0], bool), np.array([0.2, 0.8, 0.4, 0.6]),
    ...                    np.array([0, 1, 0, 1], bool))
    >>> dict(zip(BINARY_METRICS, m.round(3).tolist()))["tpr"]
    0.5
    """
    n = len(positive)
    out = np.full(len(BINARY_METRICS), np.nan)
    if n == 0:
        return out
    n_pos = int(np.count_nonzero(positive))
    out[0] = n_pos / n
    out[1] = float(np.mean(proba))
    out[2] = np.count_nonzero(selected) / n
    if n_pos:
        out[3] = np.count_nonzero(selected & positive) / n_pos
        out[5] = 1.0 - out[3]
    if n_pos < n:
        out[4] = np.count_nonzero(selected & ~positive) / (n - n_pos)
        if n_pos:
            out[6] = roc_auc(positive, proba)
    out[7] = log_loss(positive, proba)
    out[8] = expected_calibration_error(positive, proba)
    return out


def regression_metrics(y: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """:data:`REGRESSION_METRICS` of one group's rows.

    Example
    -------
    >>> regression_metrics(np.array([1.0, 3.0]), np.array([2.0, 2.0])).tolist()
    [2.0, 2.0, 1.0, 1.0]
    """
    if len(y) == 0:
        return np.full(len(REGRESSION_METRICS), np.nan)
    error = prediction - y
    return np.array([float(np.mean(y)), float(np.mean(prediction)), float(np.sqrt(np.mean(error * error))),
                     float(np.mean(np.abs(error)))])
