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
        grad = np.zeros_like(coef)
        n_pairs = len(layout.step_left)
        if n_pairs == 0 or self.weight == 0:
            return 0.0, grad
        table, grad_table = layout.table(coef), layout.table(grad)
        diff = table[layout.step_right] - table[layout.step_left]
        scaled = (2.0 * self.weight / n_pairs) * diff
        # Each bin row is the left (or right) end of at most one pair: no repeated indices.
        grad_table[layout.step_right] += scaled
        grad_table[layout.step_left] -= scaled
        return self.weight * float(np.sum(diff * diff)) / n_pairs, grad


class EmbeddingSumLoss(Regularizer):
    """``weight * mean over features of (training-weighted mean score of the feature)**2``.

    Pins each feature's shape function to mean zero on the training data, so that the
    intercept carries the base rate (the published embedding-sum loss).

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
        means = np.add.reduceat(u * layout.table(coef), layout.offsets[:-1], axis=0)  # (d, K)
        d = layout.n_features
        layout.table(grad)[:] = (2.0 * self.weight / d) * means[layout.feature_of[:-1]] * u
        return self.weight * float(np.sum(means * means)) / d, grad


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
