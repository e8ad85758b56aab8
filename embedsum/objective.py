"""The training objective of an embedding-sum classifier and its gradient, fused.

With ``z_i = coef[-1] + sum_j coef[offsets[j] + codes[i, j]]`` (layout: see
:mod:`embedsum.layout`), the objective is the published one (MIRAD)::

    mean_i( w_i * (softplus(z_i) - y_i * z_i) )  +  sum of the regularisers

The classification term is a mean over the n rows, not a division by ``sum(w)``,
exactly as published; with ``w = 1`` it is the plain mean log-loss.
"""

from __future__ import annotations

import numpy as np

from .layout import ParameterLayout

__all__ = ["EmbeddingSumObjective", "log_loss_terms"]


def log_loss_terms(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``softplus(z) - y*z`` and its derivative ``sigmoid(z) - y``, stable for any z.

    Example
    -------
    >>> import numpy as np
    >>> loss, dz = log_loss_terms(np.array([0.0, 800.0]), np.array([1.0, 1.0]))
    >>> loss.tolist(), dz.tolist()
    ([0.6931471805599453, 0.0], [-0.5, 0.0])
    """
    # In place where possible: at 10^5 rows these passes are the largest cost of a fit.
    e = np.abs(z)
    np.negative(e, out=e)
    with np.errstate(under="ignore"):  # exp(-|z|) underflows to 0 for |z| > 745: exact enough
        np.exp(e, out=e)
    loss = np.log1p(e)
    loss += np.maximum(z, 0.0)
    loss -= y * z
    sig = np.where(z >= 0, 1.0, e)
    e += 1.0
    sig /= e
    sig -= y
    return loss, sig


def _feature_groups(n_bins, max_cells: int) -> list[list[int]]:
    """Consecutive features whose joint bin grid has at most ``max_cells`` cells."""
    groups, cells = [], max_cells + 1
    for j, k in enumerate(n_bins):
        if cells * int(k) > max_cells:
            groups.append([])
            cells = 1
        groups[-1].append(j)
        cells *= int(k)
    return groups


class EmbeddingSumObjective:
    """Loss and gradient of the flat parameter vector on binned training data.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_features)
        Bin codes (from :class:`~embedsum.digitizer.Digitizer`).
    y : ndarray of shape (n_samples,)
        Targets in {0, 1}.
    sample_weight : ndarray of shape (n_samples,)
    layout : ParameterLayout
    regularizers : sequence
        Objects with ``name`` and ``value_gradient(coef, layout)``.
    max_cells : int, optional
        Largest joint bin grid of a group of features (see below).

    After each call, ``last_components`` maps "classification" and each
    regulariser's name to its (weighted) value at the coef just evaluated.

    Neighbouring features are fused into groups whose joint bin grid is small (at
    most ``max_cells`` cells, so the grid stays in cache): each row keeps one joint
    code per group, a pass over the rows gathers from the grid of summed scores, and
    one ``bincount`` per group gives a histogram whose margins are the gradients.
    This visits the rows a few times per evaluation instead of twice per feature.
    ``max_cells`` defaults to an eighth of the rows, at most 2**14; the loss and
    gradient do not depend on it beyond rounding.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.layout import ParameterLayout
    >>> objective = EmbeddingSumObjective(
    ...     np.array([[0], [1]]), np.array([0.0, 1.0]), np.ones(2), ParameterLayout([3]))
    >>> loss, grad = objective.loss_gradient(np.zeros(4))
    >>> round(loss, 6), grad.tolist()
    (0.693147, [0.25, -0.25, 0.0, 0.0])
    """

    def __init__(self, codes, y, sample_weight, layout: ParameterLayout, regularizers=(),
                 max_cells: int | None = None):
        codes = np.asarray(codes)
        self.n_samples, self.n_features = codes.shape
        self.layout = layout
        if max_cells is None:
            # A grid larger than a fraction of the rows costs more to build than it saves.
            max_cells = int(np.clip(self.n_samples // 8, 1, 2**14))
        self._groups = _feature_groups(layout.n_bins, max_cells)
        self._shapes = [tuple(int(layout.n_bins[j]) for j in group) for group in self._groups]
        self._sizes = [int(np.prod(shape)) for shape in self._shapes]
        self._grid_offsets = np.concatenate([[0], np.cumsum(self._sizes)]).astype(np.intp)
        # One joint code per (group, row): group g's grid is indexed by the codes of its
        # features in C order.
        dtype = np.uint16 if max(self._sizes) <= 2**16 else np.intp
        joint = np.zeros((len(self._groups), self.n_samples), dtype=dtype)
        for codes_g, group, shape in zip(joint, self._groups, self._shapes):
            for j, k in zip(group, shape):
                codes_g *= dtype(k)
                codes_g += codes[:, j].astype(dtype)
        # Few rows: per-call overhead dominates, so gather and bincount all groups at once
        # through one index into the concatenated grids. Many rows: loop over the groups,
        # which keeps each histogram small and skips the repeated weights.
        self._one_call = self.n_samples * len(self._groups) <= 2**17
        # With one feature per group the concatenated grids are coef[:-1] itself.
        self._singletons = all(len(group) == 1 for group in self._groups)
        if self._one_call:
            self._index = (joint.T + self._grid_offsets[:-1]).astype(np.intp)
            self._flat_index = self._index.ravel()
        else:
            self._joint = joint
        self._y = np.asarray(y, dtype=np.float64)
        self._w_over_n = np.asarray(sample_weight, dtype=np.float64) / self.n_samples
        self.regularizers = list(regularizers)
        self.last_components: dict[str, float] = {}

    def _grids(self, coef: np.ndarray) -> list:
        """Per group, the flattened grid of summed scores of its features."""
        scores, _ = self.layout.split(coef)
        grids = []
        for group in self._groups:
            grid = scores[group[0]]
            for j in group[1:]:
                grid = np.add.outer(grid, scores[j])
            grids.append(grid.ravel())
        return grids

    def decision(self, coef: np.ndarray) -> np.ndarray:
        """Decision value of every training row (summation order not guaranteed)."""
        if self._one_call:
            flat = coef[:-1] if self._singletons else np.concatenate(self._grids(coef))
            return flat[self._index].sum(axis=1) + coef[-1]
        z = np.full(self.n_samples, coef[-1])
        for grid, joint in zip(self._grids(coef), self._joint):
            z += grid[joint]
        return z

    def _scatter_to_bins(self, dz: np.ndarray, grad: np.ndarray) -> None:
        """Write the sum of ``dz`` over the rows of each bin into ``grad[:-1]``."""
        if self._one_call:
            hist = np.bincount(
                self._flat_index, weights=np.repeat(dz, len(self._groups)), minlength=self._grid_offsets[-1]
            )
            if self._singletons:
                grad[:-1] = hist
                return
            hists = [hist[a:b] for a, b in zip(self._grid_offsets[:-1], self._grid_offsets[1:])]
        else:
            hists = [np.bincount(joint, weights=dz, minlength=size) for joint, size in zip(self._joint, self._sizes)]
        feature_grads, _ = self.layout.split(grad)
        for hist, group, shape in zip(hists, self._groups, self._shapes):
            hist = hist.reshape(shape)
            for axis, j in enumerate(group):
                others = tuple(a for a in range(len(group)) if a != axis)
                feature_grads[j][:] = hist.sum(axis=others) if others else hist

    def loss_gradient(self, coef: np.ndarray) -> tuple[float, np.ndarray]:
        """Return ``(objective value, gradient)`` at ``coef``."""
        coef = np.asarray(coef, dtype=np.float64)
        loss_rows, dz = log_loss_terms(self.decision(coef), self._y)
        # Not `@`: a BLAS dot here wakes numpy's thread pool, whose spinning threads then
        # slow down the BLAS calls inside L-BFGS-B (measured: ~2x on a 100k-row fit).
        classification = float(np.sum(loss_rows * self._w_over_n))
        dz *= self._w_over_n
        grad = np.empty_like(coef)
        self._scatter_to_bins(dz, grad)
        grad[-1] = dz.sum()
        components = {"classification": classification}
        total = classification
        for reg in self.regularizers:
            value, reg_grad = reg.value_gradient(coef, self.layout)
            components[reg.name] = components.get(reg.name, 0.0) + value
            total += value
            grad += reg_grad
        self.last_components = components
        return total, grad

    __call__ = loss_gradient
