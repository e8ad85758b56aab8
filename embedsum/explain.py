"""Exact explanations of an additive step-function model.

A fitted model's decision value is ``intercept_`` plus one bin score per feature, so
each feature's contribution to a row is simply the score of the bin the row falls in.
"""

from __future__ import annotations

import numpy as np

from .scoring import bin_scores_of_rows

__all__ = ["contributions"]


def contributions(model, X) -> np.ndarray:
    """Each feature's contribution to the decision value of each row, shape (n_samples, n_features).

    ``model.intercept_`` plus the columns, added left to right, equals
    ``model.decision_function(X)`` bit for bit.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
    >>> c = contributions(model, X[:3])
    >>> bool(np.all(model.intercept_ + c[:, 0] + c[:, 1] == model.decision_function(X[:3])))
    True
    """
    X = model._validated(X)
    return bin_scores_of_rows(X, model.cuts_, model.bin_scores_)
