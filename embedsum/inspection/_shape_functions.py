"""Each feature's shape function as a tidy record: its bins, their scores and training weights, in display order.

Bin codes are those of docs/design.md#bin-codes: interval bins then the missing bin for a
numeric feature; kept categories, "other", missing (and the unseen score) for a categorical one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._bins import category_other, numeric_missing
from .._validation import check_is_fitted
from ._kinds import _is_categorical, feature_names


@dataclass(frozen=True, eq=False)  # fields are arrays: "==" would be ambiguous, so identity
class ShapeFunction:
    """One feature's shape function: its bins, their scores and training weights, in display order.

    Numeric feature: bin k covers ``(lower[k], upper[k]]`` (the first lower bound is -inf,
    the last upper bound +inf); ``categories`` is None.

    Categorical feature: ``lower``/``upper`` are None; ``categories`` holds the kept
    categories **ordered by score, highest first** (for a multiclass model grouped by the
    class each favours most, see :func:`category_order`), and ``scores``/``weights``/
    ``bins`` follow that order. ``other_score``/``other_weight`` are the "other" bin shared
    by the ``rare_categories`` (seen fewer than ``min_category_count`` times), and
    ``unseen_score`` what a category never seen in training scores.

    Either way the missing-value bin is apart (``missing_score``, ``missing_weight``), and
    ``bins[i]`` is the index in ``model.bin_scores_[j]`` of row i of ``scores``. A score is
    a float for a binary classifier (log-odds of ``classes_[1]``) or a regressor (target
    units), and an array of K class scores for a multiclass classifier (``scores`` is then
    (n_bins, K)).

    Example
    -------
    >>> import numpy as np
    >>> s = ShapeFunction("x0", np.array([-np.inf, 0.0]), np.array([0.0, np.inf]),
    ...                   np.array([-1.0, 1.0]), np.array([0.5, 0.5]), 0.0, 0.0, 1.0)
    >>> s.upper.tolist(), s.is_categorical
    ([0.0, inf], False)
    """

    name: str
    lower: np.ndarray | None
    upper: np.ndarray | None
    scores: np.ndarray
    weights: np.ndarray
    missing_score: float | np.ndarray
    missing_weight: float
    importance: float
    bins: np.ndarray | None = None
    categories: np.ndarray | None = None
    other_score: float | np.ndarray | None = None
    other_weight: float = 0.0
    rare_categories: np.ndarray | None = None
    unseen_score: float | np.ndarray | None = None

    @property
    def is_categorical(self) -> bool:
        """Whether this is a categorical feature (its bins are categories, not intervals)."""
        return self.categories is not None


def category_order(scores) -> np.ndarray:
    """Indices of category bins in display order.

    One score per bin: by score, highest first. K class scores per bin (multiclass): grouped
    by the class each category favours most (its highest score; groups in ``classes_``
    order), and within a group by how much it favours that class (highest score minus the
    mean of its K scores), most first. Softmax scores are only defined up to a constant per
    bin, so the mean over classes says nothing: this order uses only what changes the
    probabilities. Ties keep the given (sorted) order.

    Example
    -------
    >>> category_order(np.array([0.5, 2.0, -1.0])).tolist()
    [1, 0, 2]
    >>> category_order(np.array([[0.0, 1.0], [3.0, 0.0], [2.0, -2.0]])).tolist()
    [2, 1, 0]
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:
        return np.argsort(-scores, kind="stable")
    if len(scores) == 0:
        return np.arange(0)
    favoured = np.argmax(scores, axis=1)
    margin = scores.max(axis=1) - scores.mean(axis=1)
    return np.lexsort((-margin, favoured))  # lexsort is stable: ties keep the given order


def _category_text(value) -> str:
    """How a category is shown: a string as is, a number category as ``%g``."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def _as_score(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value.copy()


def shape_functions(model) -> list[ShapeFunction]:
    """Each feature's shape function as a tidy record (see :class:`ShapeFunction`), in feature order.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> s = shape_functions(EmbeddingSumClassifier(max_bins=2).fit(X, X[:, 0] > 0))[0]
    >>> s.name, len(s.lower), len(s.scores), float(s.missing_weight)
    ('x0', 2, 2, 0.0)
    >>> X = np.array([["tcp"] * 30 + ["udp"] * 20 + ["icmp"]], dtype=object).T
    >>> s = shape_functions(EmbeddingSumClassifier().fit(X, X[:, 0] == "udp"))[0]
    >>> s.categories.tolist(), s.rare_categories.tolist()
    (['udp', 'tcp'], ['icmp'])
    """
    check_is_fitted(model, "bin_scores_")
    names = feature_names(model)
    unseen, categories, rare = model.unseen_scores_, model.categories_, model.rare_categories_
    records = []
    for j, (scores, weights) in enumerate(zip(model.bin_scores_, model.bin_weights_)):
        scores = np.asarray(scores, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64)
        # The missing bin is the last of either kind (docs/design.md#bin-codes).
        common = dict(name=names[j], missing_score=_as_score(scores[-1]), missing_weight=float(weights[-1]),
                      importance=float(model.feature_importances_[j]))
        if not _is_categorical(model, j):
            cuts = np.asarray(model.cuts_[j], dtype=np.float64)
            intervals = np.arange(numeric_missing(len(cuts)))  # the interval codes: every code below missing
            records.append(ShapeFunction(
                lower=np.concatenate([[-np.inf], cuts]), upper=np.concatenate([cuts, [np.inf]]),
                scores=scores[intervals], weights=weights[intervals], bins=intervals, **common,
            ))
            continue
        m = len(categories[j])
        order = category_order(scores[:m])
        other = category_other(m)
        records.append(ShapeFunction(
            lower=None, upper=None, scores=scores[order], weights=weights[order], bins=order,
            categories=np.asarray(categories[j])[order], other_score=_as_score(scores[other]),
            other_weight=float(weights[other]), rare_categories=np.asarray(rare[j]).copy(),
            unseen_score=_as_score(unseen[j]), **common,
        ))
    return records
