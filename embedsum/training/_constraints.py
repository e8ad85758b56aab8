"""Monotone constraints, enforced exactly by optimising differences under bounds.

For a feature constrained to increase (+1) or decrease (-1), the solver does not see
its interval-bin scores ``theta_0 .. theta_{m-1}`` but ``theta_0`` and the differences
``delta_k = theta_k - theta_{k-1}``, with L-BFGS-B bounds ``delta_k >= 0`` (or ``<= 0``).
Every point the solver visits, the optimum included, is therefore monotone, on any data
(a cumulative sum of same-signed numbers), not approximately as with a penalty. The
missing bin stays free. One output per bin only (binary classification, regression).
"""

from __future__ import annotations

import numpy as np


def resolve_monotonic_cst(monotonic_cst, n_features: int, names, is_categorical) -> np.ndarray:
    """The -1/0/+1 constraint of each feature from a sequence or a {name: cst} dict.

    Example
    -------
    >>> resolve_monotonic_cst({"b": -1}, 2, ["a", "b"], [False, False]).tolist()
    [0, -1]
    """
    cst = np.zeros(n_features, dtype=np.int8)
    if monotonic_cst is None:
        return cst
    if isinstance(monotonic_cst, dict):
        if names is None:
            raise ValueError(
                "monotonic_cst is a dict of feature names, but X has no column names; pass a sequence "
                "with one -1/0/+1 per feature."
            )
        position = {name: i for i, name in enumerate(list(names))}
        unknown = [key for key in monotonic_cst if key not in position]
        if unknown:
            raise ValueError(f"monotonic_cst names features that X does not have: {unknown}")
        values = np.zeros(n_features, dtype=object)
        for key, value in monotonic_cst.items():
            values[position[key]] = value
    else:
        values = np.asarray(monotonic_cst, dtype=object)
        if values.ndim != 1 or len(values) != n_features:
            raise ValueError(
                f"monotonic_cst must have one value per feature ({n_features}), got {np.shape(monotonic_cst)}"
            )
    for j, value in enumerate(values.tolist()):
        if isinstance(value, bool) or value not in (-1, 0, 1):
            raise ValueError(f"monotonic_cst values must be -1, 0 or 1; feature {j} has {value!r}")
        cst[j] = value
    bad = np.flatnonzero((cst != 0) & np.asarray(is_categorical, dtype=bool))
    if len(bad):
        raise ValueError(
            f"monotonic_cst constrains categorical feature(s) {bad.tolist()}; categories have no order, "
            "so only numeric features can be monotone."
        )
    return cst


class MonotoneParameterization:
    """Map between the flat coef (one output per bin) and the solver's bounded coordinates.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> p = MonotoneParameterization(ParameterLayout([4]), np.array([1]))
    >>> p.to_coef(np.array([1.0, 0.5, 0.0, 9.0, 2.0])).tolist()   # 3 interval bins, missing, intercept
    [1.0, 1.5, 1.5, 9.0, 2.0]
    >>> p.bounds[:3]
    [(None, None), (0.0, None), (0.0, None)]
    """

    def __init__(self, layout, monotonic_cst):
        if layout.n_outputs != 1:
            raise ValueError("monotone constraints need one value per bin (not multiclass)")
        self.layout = layout
        self.cst = np.asarray(monotonic_cst)
        # Each constrained feature's interval bins: coef[a:b] (its missing bin is b).
        self.segments = [(int(layout.offsets[j]), int(layout.missing_rows[j]), int(self.cst[j]))
                         for j in np.flatnonzero(self.cst)]
        bounds = [(None, None)] * layout.n_params
        for a, b, sign in self.segments:
            for i in range(a + 1, b):
                bounds[i] = (0.0, None) if sign > 0 else (None, 0.0)
        self.bounds = bounds

    def to_coef(self, u: np.ndarray) -> np.ndarray:
        coef = np.array(u, dtype=np.float64)
        for a, b, _ in self.segments:
            np.cumsum(u[a:b], out=coef[a:b])
        return coef

    def from_coef(self, coef: np.ndarray) -> np.ndarray:
        """Solver coordinates of a coef, clipped into the bounds (a monotone coef is exact)."""
        u = np.array(coef, dtype=np.float64)
        for a, b, sign in self.segments:
            diff = np.diff(coef[a:b])
            u[a + 1:b] = np.maximum(diff, 0.0) if sign > 0 else np.minimum(diff, 0.0)
        return u

    def gradient_to_u(self, grad: np.ndarray) -> np.ndarray:
        # d/du_i of f(cumsum(u)) = sum of d/dtheta_k for k >= i: a reversed cumulative sum.
        out = np.array(grad, dtype=np.float64)
        for a, b, _ in self.segments:
            out[a:b] = np.cumsum(grad[a:b][::-1])[::-1]
        return out

    def curvature_weights(self, weights: np.ndarray) -> np.ndarray:
        """Per-coordinate weights for preconditioning: a difference moves every bin after it."""
        return self.gradient_to_u(weights)


class ReparameterizedObjective:
    """``objective`` seen from the bounded coordinates of a :class:`MonotoneParameterization`."""

    def __init__(self, objective, parameterization: MonotoneParameterization):
        self.objective, self.parameterization = objective, parameterization

    @property
    def last_components(self) -> dict:
        return self.objective.last_components

    def loss_gradient(self, u: np.ndarray):
        loss, grad = self.objective.loss_gradient(self.parameterization.to_coef(u))
        return loss, self.parameterization.gradient_to_u(grad)
