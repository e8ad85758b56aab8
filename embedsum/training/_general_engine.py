"""The general engine: any loss object, K outputs per bin, fused groups, chunks on threads.

It serves the losses the binary engine (:mod:`embedsum.training._binary_engine`) does not:
softmax over K classes (docs/design.md#multiclass), squared error (docs/design.md#regression),
or a user's loss. The per-row loss and its derivative come from ``loss.loss_gradient``, chunk
by chunk; the rows are joint codes of fused feature groups, and the chunks run on threads
with partial sums in a fixed order (:mod:`~embedsum.training._fused_groups`), so the number
of threads changes no bit. With K outputs a chunk's decision values are laid out output by
output, (K, rows): each output is a contiguous gather from its own row of the grid, the
histograms are ``bincount``s over contiguous weights, and the softmax of
:class:`~embedsum.training._losses.MultinomialLogLoss` is evaluated in that layout by
:func:`_softmax_by_output` (K contiguous rows instead of reductions over a short axis). Any
other loss of K outputs gets the chunk as (rows, K), as documented.
"""

from __future__ import annotations

import numpy as np

from ._fused_groups import ChunkRunner, FusedGroups, default_max_cells
from ._losses import MultinomialLogLoss

# Rows per chunk: the chunk's buffers of K values per row stay in a core's L2 cache.
_CHUNK_CELLS = 2**16


def _softmax_by_output(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The multinomial log-loss terms of softmax_loss_terms with outputs as rows: ``z`` of
    shape (K, rows) in, per-row loss (rows,) and its derivative (K, rows) out (z is reused).

    Example
    -------
    >>> loss, dz = _softmax_by_output(np.zeros((2, 1)), np.array([1]))
    >>> loss.round(6).tolist(), dz.tolist()
    ([0.693147], [[0.5], [-0.5]])
    """
    K, m = z.shape
    top = z[0].copy()
    for k in range(1, K):
        np.maximum(top, z[k], out=top)
    # Flat positions of each row's true class in z.
    picked = y * m + np.arange(m)
    loss = -z.ravel()[picked]
    z -= top
    with np.errstate(under="ignore"):
        np.exp(z, out=z)
    total = z[0].copy()
    for k in range(1, K):
        total += z[k]
    loss += np.log(total)
    loss += top
    z *= 1.0 / total
    z.ravel()[picked] -= 1.0
    return loss, z


class GeneralEngine:
    """Data term of any loss object and its gradient on binned rows, K outputs per bin.

    ``share`` holds each row's ``w_i / sum(w)``. :meth:`data_term` returns the weighted
    mean loss and writes its gradient into ``grad``; :meth:`decision` gives every row's
    decision values; :meth:`close` ends the threads. A loss of one output gets ``z`` of
    shape (rows,), else (rows, K), a chunk of rows at a time.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> from embedsum.training._losses import HalfSquaredError
    >>> engine = GeneralEngine(np.array([[0], [1]]), np.array([1.0, 3.0]), np.full(2, 0.5),
    ...                        ParameterLayout([3]), HalfSquaredError())
    >>> grad = np.empty(4)
    >>> engine.data_term(np.zeros(4), grad), grad.tolist()
    (2.5, [-0.5, -1.5, 0.0, -2.0])
    """

    def __init__(self, codes, y, share, layout, loss, *, max_cells: int | None = None,
                 n_threads: int | None = None, chunk_rows: int | None = None):
        self.layout, self.loss = layout, loss
        self.n_samples = len(codes)
        K = layout.n_outputs
        self._fused = FusedGroups(codes, layout, default_max_cells(self.n_samples) if max_cells is None else max_cells)
        self._runner = ChunkRunner(max(1, _CHUNK_CELLS // K) if chunk_rows is None else chunk_rows, n_threads)
        self.n_threads, self.chunk_rows = self._runner.n_threads, self._runner.chunk_rows
        self._y = loss.check_target(y, K)
        self._softmax = type(loss) is MultinomialLogLoss  # a subclass may change the loss
        # Equal weights (the usual case) are one number, not an array of n.
        share = np.asarray(share, dtype=np.float64)
        self._w_share = float(share[0]) if bool(np.all(share == share[0])) else share

    def _grids(self, coef: np.ndarray) -> list:
        """The groups' grids as (K, cells), the intercepts added into the first (each row
        gathers it once)."""
        grids = self._fused.grids(coef)
        K = self.layout.n_outputs
        grids[0] = grids[0] + (self.layout.intercepts(coef)[0] if K == 1 else self.layout.intercepts(coef))
        return [grid.reshape(1, -1) if K == 1 else np.ascontiguousarray(grid.T) for grid in grids]

    def _gather(self, grids: list, a: int, b: int, z: np.ndarray, e: np.ndarray) -> None:
        """z[:] = the decision values of rows a..b as (K, rows); e is a buffer of b - a values."""
        joint = self._fused.joint[:, a:b]
        for k, out in enumerate(z):
            # mode="clip": the codes are in range, and the default "raise" copies through a
            # buffer when given out=.
            np.take(grids[0][k], joint[0], out=out, mode="clip")
            for grid, codes in zip(grids[1:], joint[1:]):
                np.take(grid[k], codes, out=e, mode="clip")
                out += e

    def decision(self, coef: np.ndarray) -> np.ndarray:
        """Decision values of every training row: shape (n,) with one output, (n, K) with K."""
        K = self.layout.n_outputs
        z = np.empty((K, self.n_samples))
        self._gather(self._grids(coef), 0, self.n_samples, z, np.empty(self.n_samples))
        return z[0] if K == 1 else z.T.copy()

    def _loss_rows(self, z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row loss and its derivative, laid out as z: (rows,) or (K, rows)."""
        if z.ndim == 1:
            return self.loss.loss_gradient(z, y)
        if self._softmax:
            return _softmax_by_output(z, y)
        loss, dz = self.loss.loss_gradient(np.ascontiguousarray(z.T), y)
        return loss, np.ascontiguousarray(np.asarray(dz).T)

    def _block_terms(self, grids: list, blocks: list, out: list) -> None:
        """Evaluate the given blocks of chunks; ``out[i]`` gets block i's (loss, intercept
        gradients, histograms), summed over its chunks in order."""
        K = self.layout.n_outputs
        size = max(b - a for _, chunks in blocks for a, b in chunks)
        z_buf, e_buf = np.empty(K * size), np.empty(size)
        weights = None if isinstance(self._w_share, float) else self._w_share
        sizes = self._fused.sizes
        for i, chunks in blocks:
            loss = 0.0
            intercepts = np.zeros(K)
            hists = [np.zeros((K, cells)) for cells in sizes]
            for a, b in chunks:
                m = b - a
                z = z_buf[:K * m].reshape(K, m)  # contiguous: the softmax works on z.ravel()
                self._gather(grids, a, b, z, e_buf[:m])
                loss_rows, dz = self._loss_rows(z[0] if K == 1 else z, self._y[a:b])
                if weights is not None:
                    w = weights[a:b]
                    loss_rows = loss_rows * w
                    dz = dz * w
                loss += float(np.sum(loss_rows))
                columns = dz.reshape(K, m)  # output by output, contiguous
                intercepts += columns.sum(axis=1)
                for hist, codes, cells in zip(hists, self._fused.joint[:, a:b], sizes):
                    for k in range(K):
                        hist[k] += np.bincount(codes, weights=columns[k], minlength=cells)
            out[i] = (loss, intercepts, hists)

    def data_term(self, coef: np.ndarray, grad: np.ndarray) -> float:
        """The weighted mean loss at ``coef``; writes its gradient into ``grad``."""
        grids = self._grids(coef)
        out = self._runner.run(lambda blocks, out: self._block_terms(grids, blocks, out), self.n_samples)
        K = self.layout.n_outputs
        loss = 0.0
        intercepts = np.zeros(K)
        hists = [np.zeros((K, cells)) for cells in self._fused.sizes]
        for block_loss, block_intercepts, block_hists in out:
            loss += block_loss
            intercepts += block_intercepts
            for total, hist in zip(hists, block_hists):
                total += hist
        scale = self._w_share if isinstance(self._w_share, float) else 1.0
        hist = np.concatenate(hists, axis=1).T * scale  # (cells, K)
        self._fused.margins(hist[:, 0] if K == 1 else hist, grad)
        self.layout.intercepts(grad)[:] = intercepts * scale
        return loss * scale

    def close(self) -> None:
        """End the threads this engine started (if any); it stays usable."""
        self._runner.close()
