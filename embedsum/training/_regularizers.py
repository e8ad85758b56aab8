"""Regularisers: each returns its value and gradient on the flat parameter vector.

A regulariser is any object with a ``name`` and a method
``value_gradient(coef, layout) -> (float, ndarray)``, where ``coef`` and the gradient
follow :mod:`embedsum.training._layout`'s Conventions and ``layout`` is a
:class:`~embedsum.training._layout.ParameterLayout` (offsets, ``bin_weights``, neighbour pairs,
``table(coef)`` for the (bins, K) view). The returned value is already multiplied by
the regulariser's weight. Pass your own to ``EmbeddingSumClassifier(regularizers=[...])``;
none of them touches the intercepts. With K outputs per bin (multiclass), each built-in
regulariser is the sum over the K outputs of its one-output value.
"""

from __future__ import annotations

import numpy as np


def _mean_squared_steps(weight: float, coef, layout, left, right) -> tuple[float, np.ndarray]:
    """``weight * mean over the neighbour pairs (left[i], right[i]) of (theta[right] - theta[left])**2``
    and its gradient (bin rows of ``layout.table``; a row may end several pairs)."""
    grad = np.zeros_like(coef)
    n_pairs = len(left)
    if n_pairs == 0 or weight == 0:
        return 0.0, grad
    table, grad_table = layout.table(coef), layout.table(grad)
    diff = table[right] - table[left]
    scaled = (2.0 * weight / n_pairs) * diff
    np.add.at(grad_table, right, scaled)
    np.subtract.at(grad_table, left, scaled)
    return weight * float(np.sum(diff * diff)) / n_pairs, grad


def _sum_of_squares(weight: float, coef, layout, rows) -> tuple[float, np.ndarray]:
    """``weight * sum of theta**2`` over the bin rows ``rows`` (of ``layout.table``) and its gradient."""
    grad = np.zeros_like(coef)
    if len(rows) == 0 or weight == 0:
        return 0.0, grad
    theta = layout.table(coef)[rows]
    layout.table(grad)[rows] = 2.0 * weight * theta
    return weight * float(np.sum(theta * theta)), grad


class Regularizer:
    """Base class: a weighted penalty on the bin scores.

    Subclasses set ``name`` and implement :meth:`value_gradient`.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> class FlatMissingBins(Regularizer):
    ...     name = "flat_missing"
    ...     def value_gradient(self, coef, layout):
    ...         missing = layout.missing_rows             # each feature's missing bin
    ...         grad = np.zeros_like(coef)
    ...         grad[missing] = 2 * self.weight * coef[missing]
    ...         return self.weight * float(coef[missing] @ coef[missing]), grad
    >>> FlatMissingBins(0.5).value_gradient(np.array([0.0, 0.0, 2.0, 1.0]), ParameterLayout([3]))[0]
    2.0
    """

    name = "regularizer"

    def __init__(self, weight: float = 1.0):
        self.weight = weight

    def value_gradient(self, coef: np.ndarray, layout) -> tuple[float, np.ndarray]:
        """Return ``(weighted value, gradient)`` at the flat parameter vector ``coef``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.weight!r})"


class StepLoss(Regularizer):
    """``weight * mean over neighbouring interval bins of (theta[k+1] - theta[k])**2``.

    One mean over all pairs of all features, as published; missing bins take no part.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> StepLoss(1.0).value_gradient(np.array([0.0, 1.0, 3.0, 9.0, 0.0]), ParameterLayout([4]))[0]
    2.5
    """

    name = "step"

    def value_gradient(self, coef, layout):
        return _mean_squared_steps(self.weight, coef, layout, layout.step_left, layout.step_right)


class EmbeddingSumLoss(Regularizer):
    """``weight * mean over terms of (training-weighted mean score of the term)**2``.

    Pins each feature's shape function (and each pair table) to mean zero on the training
    data, so that the intercept carries the base rate (the published embedding-sum loss;
    without pairs the terms are the features).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> layout = ParameterLayout([2], bin_weights=[[0.5, 0.5]])
    >>> EmbeddingSumLoss(1.0).value_gradient(np.array([1.0, 3.0, 0.0]), layout)[0]
    4.0
    """

    name = "embedding_sum"

    def value_gradient(self, coef, layout):
        grad = np.zeros_like(coef)
        if self.weight == 0:
            return 0.0, grad
        u = layout.normalized_weights[:-1, None]
        means = np.add.reduceat(u * layout.table(coef), layout.term_offsets[:-1], axis=0)  # (terms, K)
        n = layout.n_terms  # the features, and the pairs if any
        layout.table(grad)[:] = (2.0 * self.weight / n) * means[layout.term_of[:-1]] * u
        return self.weight * float(np.sum(means * means)) / n, grad


class L2(Regularizer):
    """``weight * mean of theta**2`` over all bins (the intercept excluded; summed over outputs).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> L2(1.0).value_gradient(np.array([1.0, 3.0, 5.0]), ParameterLayout([2]))[0]
    5.0
    """

    name = "l2"

    def value_gradient(self, coef, layout):
        grad = np.zeros_like(coef)
        if self.weight == 0:
            return 0.0, grad
        theta, n = layout.table(coef), layout.n_bin_rows
        layout.table(grad)[:] = (2.0 * self.weight / n) * theta
        return self.weight * float(np.sum(theta * theta)) / n, grad


class PairStepLoss(Regularizer):
    """``weight * mean over neighbouring cells of the pair tables of (theta[c'] - theta[c])**2``.

    The 2-D smoothness of pair terms: neighbours along each ordered axis of each pair table,
    interval bins only (docs/design.md#pair-terms); 0 without pairs.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> layout = ParameterLayout([3, 3], pairs=[(0, 1)], pair_shapes=[(3, 3)])
    >>> coef = np.zeros(layout.n_params)
    >>> coef[6:15] = [0, 1, 9, 2, 3, 9, 9, 9, 9]  # the pair table; its last row and column are missing bins
    >>> PairStepLoss(1.0).value_gradient(coef, layout)[0]  # (1 + 1 + 4 + 4) / 4
    2.5
    """

    name = "pair_step"

    def value_gradient(self, coef, layout):
        return _mean_squared_steps(self.weight, coef, layout, layout.pair_step_left, layout.pair_step_right)


class CategoryRidge(Regularizer):
    """``weight * sum over the category bins of theta**2`` (every bin of a categorical feature).

    A category's score is pulled to 0, where the embedding-sum loss holds each feature's
    training-weighted mean, so a rare category stays near its feature's mean until its rows
    say otherwise (docs/design.md#categorical-features); the estimators set ``weight`` from
    ``category_weight`` times the step loss's weight per neighbour pair.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> layout = ParameterLayout([3, 3], ordered=[True, False])
    >>> CategoryRidge(0.5).value_gradient(np.array([9.0, 9.0, 9.0, 1.0, 2.0, 0.0, 0.0]), layout)[0]
    2.5
    """

    name = "category_ridge"

    def value_gradient(self, coef, layout):
        return _sum_of_squares(self.weight, coef, layout, np.flatnonzero(~np.repeat(layout.ordered, layout.n_bins)))


class PairRidge(Regularizer):
    """``weight * sum over the cells of every pair table of theta**2`` (a sum, not a mean).

    A cell no neighbour smooths (on a categorical axis, or a rare corner) is pulled to 0
    as strongly as the estimators pull two neighbouring bins together: they set ``weight``
    to the step loss's weight per neighbour pair (docs/design.md#pair-terms); 0 without pairs.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> layout = ParameterLayout([2, 2], pairs=[(0, 1)], pair_shapes=[(2, 2)])
    >>> coef = np.zeros(layout.n_params)
    >>> coef[4:8] = [1.0, 2.0, 0.0, 0.0]
    >>> PairRidge(0.5).value_gradient(coef, layout)[0]
    2.5
    """

    name = "pair_ridge"

    def value_gradient(self, coef, layout):
        return _sum_of_squares(self.weight, coef, layout, np.arange(layout.term_offsets[layout.n_features],
                                                                   layout.n_bin_rows))


class PairMarginLoss(Regularizer):
    """``weight * mean over pairs of the weighted mean squares of each table's row and column means``.

    For a pair table with cell weights ``w`` (training fractions) its row means are
    ``m_a = sum_b w_ab theta_ab / W_a`` (``W_a = sum_b w_ab``), and likewise its column means;
    the penalty is ``sum_a W_a m_a**2 + sum_b W_b m_b**2`` per pair. It pushes what a pair
    could share with its features' main effects into the main effects, so that the main
    effects read as they would alone (docs/design.md#pair-terms); 0 without pairs.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> layout = ParameterLayout([2, 2], [[0.5, 0.5], [0.5, 0.5]], pairs=[(0, 1)], pair_shapes=[(2, 2)],
    ...                          pair_weights=[[0.25, 0.25, 0.25, 0.25]])
    >>> coef = np.zeros(layout.n_params)
    >>> coef[4:8] = [1.0, 1.0, -1.0, -1.0]  # a main effect of feature 0 in disguise
    >>> PairMarginLoss(1.0).value_gradient(coef, layout)[0]  # rows: 0.5 * 1 + 0.5 * 1; columns: 0
    1.0
    """

    name = "pair_margins"

    def value_gradient(self, coef, layout):
        grad = np.zeros_like(coef)
        if layout.n_pairs == 0 or self.weight == 0:
            return 0.0, grad
        table, grad_table = layout.table(coef), layout.table(grad)
        scale = self.weight / layout.n_pairs
        value = 0.0
        for p, (n_a, n_b) in enumerate(layout.pair_shapes):
            rows = slice(layout.term_offsets[layout.n_features + p], layout.term_offsets[layout.n_features + p + 1])
            theta = table[rows].reshape(n_a, n_b, -1)
            w = layout.normalized_weights[rows].reshape(n_a, n_b, 1)
            g = np.zeros_like(theta)
            for axis in (1, 0):  # row means (over b), then column means (over a)
                total = w.sum(axis=axis, keepdims=True)
                means = np.divide((w * theta).sum(axis=axis, keepdims=True), total,
                                  out=np.zeros_like(total * theta[:1, :1]), where=total > 0)
                value += float(np.sum(total * means * means))
                g += 2.0 * means * w
            grad_table[rows] = scale * g.reshape(n_a * n_b, -1)
        return scale * value, grad
