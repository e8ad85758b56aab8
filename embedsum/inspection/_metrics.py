"""Scores of probabilistic predictions, numpy only: log-loss and ROC AUC."""

from __future__ import annotations

import numpy as np


def log_loss(y_true, proba, sample_weight=None) -> float:
    """Mean negative log-likelihood of binary labels y_true (0/1) under P(y=1) = proba.

    Probabilities are clipped to [1e-15, 1 - 1e-15] so that one confident error is finite.
    ``sample_weight`` makes it the weighted mean (only the weights' ratios matter).

    Example
    -------
    >>> round(log_loss([0, 1], [0.5, 0.5]), 6)
    0.693147
    """
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1 - 1e-15)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        sample_weight = sample_weight / sample_weight.max()  # only ratios matter: no overflow at 1e300
    return float(np.average(-(y * np.log(p) + (1 - y) * np.log1p(-p)), weights=sample_weight))


def roc_auc(y_true, score) -> float:
    """Area under the ROC curve: the chance that a random positive outranks a random negative.

    Ties count one half (the Mann-Whitney statistic with mid-ranks).

    Example
    -------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y = np.asarray(y_true).astype(bool)
    score = np.asarray(score, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both positive and negative labels.")
    order = np.argsort(score, kind="mergesort")
    sorted_scores = score[order]
    ranks = np.empty(len(score))
    # Mid-ranks: every member of a run of equal scores gets the run's mean rank.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(score)]
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
