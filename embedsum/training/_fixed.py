"""Coordinates held at given values: the solver optimises over the others only.

An edit that refits (docs/design.md#edits) fixes some entries of the flat parameter vector
(docs/design.md#parameter-layout): a dropped feature's scores at 0, a fixed feature's at the
given values. They leave the L-BFGS-B vector altogether, so every iterate holds them exactly
and the solver's stopping rules see the free coordinates only. :class:`FixedCoordinates` has the
interface of :class:`~embedsum.training._constraints.MonotoneParameterization` (``to_coef``,
``from_coef``, ``gradient_to_u``, ``bounds``) and wraps one (or none), so the fit's solve, with
its monotone constraints and its fairness bound, runs unchanged on the smaller vector.
"""

from __future__ import annotations

import numpy as np


class FixedCoordinates:
    """The free coordinates of an inner parameterization (or of the coef itself), the others fixed.

    ``mask`` (bool, one per entry of the inner vector) marks the fixed entries and ``values``
    (same length) holds them; fixed entries must lie outside the inner parameterization's
    monotone segments, where its coordinates are the coef's own.

    Example
    -------
    >>> import numpy as np
    >>> fixed = FixedCoordinates(None, np.array([False, True, False]), np.array([0.0, 5.0, 0.0]))
    >>> fixed.to_coef(np.array([1.0, 2.0])).tolist(), fixed.from_coef(np.array([7.0, 8.0, 9.0])).tolist()
    ([1.0, 5.0, 2.0], [7.0, 9.0])
    >>> fixed.gradient_to_u(np.array([0.1, 0.2, 0.3])).tolist(), fixed.bounds
    ([0.1, 0.3], [(None, None), (None, None)])
    """

    def __init__(self, inner, mask, values):
        self.inner = inner
        self.mask = np.asarray(mask, dtype=bool)
        self.free = np.flatnonzero(~self.mask)
        self.values = np.where(self.mask, np.asarray(values, dtype=np.float64), 0.0)
        inner_bounds = [(None, None)] * len(self.mask) if inner is None else inner.bounds
        self.bounds = [inner_bounds[i] for i in self.free]

    def to_coef(self, v: np.ndarray) -> np.ndarray:
        u = self.values.copy()
        u[self.free] = v
        return u if self.inner is None else self.inner.to_coef(u)

    def from_coef(self, coef: np.ndarray) -> np.ndarray:
        u = np.asarray(coef, dtype=np.float64) if self.inner is None else self.inner.from_coef(coef)
        return np.array(u[self.free], dtype=np.float64)

    def gradient_to_u(self, grad: np.ndarray) -> np.ndarray:
        g = np.asarray(grad, dtype=np.float64) if self.inner is None else self.inner.gradient_to_u(grad)
        return np.array(g[self.free], dtype=np.float64)

    def reduce(self, vector: np.ndarray) -> np.ndarray:
        """The free entries of a per-coordinate vector (the preconditioning scale)."""
        return np.asarray(vector)[self.free]
