"""The fitted model as the audit reads it: its kind, its rows' bin codes, and decisions from codes.

Every decision value here comes from the scoring contract's one codes -> decision function
(docs/design.md#scoring-contract), so an audit scores rows bit for bit as the model does,
also after it has changed some codes (what-if, recourse).
"""

from __future__ import annotations

import math

import numpy as np

from ..inspection._kinds import _kind, feature_names
from ..inspection._scores import _codes_and_tables
from ..scoring._decision import decision_values_of_codes, sigmoid


class ModelView:
    """A fitted model's kind, names, codes and tables, read once for one audit call.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> view = ModelView(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0))
    >>> view.kind, view.names
    ('binary', ['x0', 'x1'])
    """

    def __init__(self, model):
        if not hasattr(model, "bin_scores_"):
            raise TypeError(f"expected a fitted embedsum model, got {type(model).__name__}; fit it or load one "
                            "with embedsum.load.")
        self.model = model
        self.kind = _kind(model)
        self.names = feature_names(model)
        self.n_features = int(model.n_features_in_)

    def codes(self, X) -> tuple[list, list]:
        """Each feature's bin codes for the rows of X, and the tables those codes index."""
        return self.coded(self.model._validated(X))

    def coded(self, data) -> tuple[list, list]:
        """:meth:`codes` of rows already validated (``model._validated``'s form)."""
        return _codes_and_tables(self.model, data)

    def decisions(self, codes, tables) -> np.ndarray:
        """Decision values of coded rows: the model's own bits (predictions for a regressor)."""
        return decision_values_of_codes(codes, tables, self.model.intercept_)

    def column(self, j_or_name) -> int:
        """The index of a feature given by index or by name."""
        if isinstance(j_or_name, (int, np.integer)) and not isinstance(j_or_name, bool):
            if not 0 <= int(j_or_name) < self.n_features:
                raise ValueError(f"feature index {j_or_name} is out of range: the model has {self.n_features} "
                                 "features")
            return int(j_or_name)
        if j_or_name in self.names:
            return self.names.index(j_or_name)
        raise ValueError(f"unknown feature {j_or_name!r}; the model's features are {self.names[:10]}"
                         + (" ..." if self.n_features > 10 else ""))


def refuse_pairs(model, what: str) -> None:
    """A ValueError for a model with pair terms, which ``what`` does not support.

    Recourse searches bins feature by feature as an exact knapsack over an additive model of
    the features; a pair term couples two features' choices, so that search would no longer
    be exact (docs/design.md#pair-terms).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> refuse_pairs(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0), "recourse")  # no pairs: no error
    """
    pairs = getattr(model, "pairs_", None) or []
    if len(pairs):
        raise ValueError(f"pair terms are not supported by {what} yet: its exact search assumes one term per "
                         f"feature, and the model has {len(pairs)} pair term(s); fit it with interactions=0 "
                         "for recourse")


def decision_threshold(threshold: float) -> float:
    """The decision value above which a binary model selects a row: ``logit(threshold)``.

    A row is selected (predicted ``classes_[1]``) when its decision value is strictly greater;
    at 0.5 this is 0, ``predict``'s own rule.

    Example
    -------
    >>> decision_threshold(0.5), round(decision_threshold(0.75), 6)
    (0.0, 1.098612)
    """
    t = float(threshold)
    if not 0.0 < t < 1.0:
        raise ValueError(f"threshold is a probability strictly between 0 and 1, got {threshold!r}")
    return 0.0 if t == 0.5 else math.log(t / (1.0 - t))


def probabilities(z: np.ndarray) -> np.ndarray:
    """P(classes_[1]) of binary decision values, by the portable sigmoid of the scoring contract."""
    return np.asarray(sigmoid(np.asarray(z, dtype=np.float64)), dtype=np.float64)
