"""The binary engine: the log-loss of one output, fused feature groups, chunks on threads.

It evaluates the data term of :class:`~embedsum.training._losses.BinaryLogLoss` only (see
docs/design.md#published-objective): its chunked passes inline the log-loss, in the sign
form ``softplus(s z)`` with ``s = 1 - 2y``. The general engine
(:mod:`embedsum.training._general_engine`) serves every other loss.

Its rows are joint codes of fused feature groups, evaluated chunk by chunk on threads with
partial sums in a fixed order (:mod:`~embedsum.training._fused_groups`): the result does not
depend on the number of threads. The chunked passes work in place on a few buffers of one
chunk (they stay in cache, and no temporary has n rows); ``y`` must then be 0 or 1.
``max_cells`` defaults to an eighth of the rows, at most 2**14. The loss and gradient depend
on ``max_cells`` and ``chunk_rows`` only through rounding.
"""

from __future__ import annotations

import numpy as np

from ._fused_groups import ChunkRunner, FusedGroups, default_max_cells

# Rows per chunk of the chunked path: the four float64 buffers of one chunk fit in a
# core's L2 cache (1 MB here); 2**15 to 2**17 measured alike on 10^7 rows.
_CHUNK_ROWS = 2**15
# Below this many rows x groups, per-call overhead dominates: one gather and one bincount
# over all groups at once.
_ONE_CALL_CELLS = 2**17


class BinaryLogEngine:
    """Data term of the binary log-loss and its gradient on binned rows (one output).

    ``share`` holds each row's ``w_i / sum(w)``. :meth:`data_term` returns the weighted
    mean loss and writes its gradient into ``grad``; :meth:`decision` gives every row's
    decision value; :meth:`close` ends the threads.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> from embedsum.training._losses import BinaryLogLoss
    >>> engine = BinaryLogEngine(np.array([[0], [1]]), np.array([0.0, 1.0]), np.full(2, 0.5),
    ...                          ParameterLayout([3]), BinaryLogLoss())
    >>> grad = np.empty(4)
    >>> round(engine.data_term(np.zeros(4), grad), 6), grad.tolist()
    (0.693147, [0.25, -0.25, 0.0, 0.0])
    """

    def __init__(self, codes, y, share, layout, loss, *, max_cells: int | None = None,
                 n_threads: int | None = None, chunk_rows: int | None = None):
        self.layout, self.loss = layout, loss
        self.n_samples = len(codes)
        fused = FusedGroups(codes, layout, default_max_cells(self.n_samples) if max_cells is None else max_cells)
        self._fused = fused
        self._groups, self._sizes, self._grid_offsets = fused.groups, fused.sizes, fused.grid_offsets
        joint = fused.joint
        self._runner = ChunkRunner(_CHUNK_ROWS if chunk_rows is None else chunk_rows, n_threads)
        self.n_threads, self.chunk_rows = self._runner.n_threads, self._runner.chunk_rows
        # Few rows: per-call overhead dominates, so gather and bincount all groups at once
        # through one index into the concatenated grids. Many rows: chunk by chunk.
        self._one_call = self.n_samples * len(self._groups) <= _ONE_CALL_CELLS and chunk_rows is None
        # With one feature per group the concatenated grids are coef[:-1] itself.
        self._singletons = fused.singletons
        y = loss.check_target(y, 1)
        if self._one_call:
            self._index = (joint.T + self._grid_offsets[:-1]).astype(np.intp)
            self._flat_index = self._index.ravel()
            self._y = y
            self._w_share = share
        else:
            self._joint = joint
            if not np.all((y == 0.0) | (y == 1.0)):
                raise ValueError("y must hold 0 and 1 only (the class of each row).")
            # softplus(z) - y z = softplus(s z) and sigmoid(z) - y = s sigmoid(s z) with
            # s = 1 - 2y: one sign per row replaces y in every pass.
            self._sign = 1.0 - 2.0 * y
            # Equal weights (the usual case) are one number, not an array of n.
            uniform = bool(np.all(share == share[0]))
            self._w_share = float(share[0]) if uniform else share

    def data_term(self, coef: np.ndarray, grad: np.ndarray) -> float:
        """The weighted mean log-loss at ``coef``; writes its gradient into ``grad``."""
        if self._one_call:
            return self._one_call_terms(coef, grad)
        return self._chunked_terms(coef, grad)

    def decision(self, coef: np.ndarray) -> np.ndarray:
        """Decision value of every training row, shape (n,)."""
        if self._one_call:
            flat = coef[:-1] if self._singletons else np.concatenate(self._fused.grids(coef))
            return flat[self._index].sum(axis=1) + coef[-1]
        z = np.full(self.n_samples, coef[-1])
        for grid, joint in zip(self._fused.grids(coef), self._joint):
            z += grid[joint]
        return z

    def _one_call_terms(self, coef: np.ndarray, grad: np.ndarray) -> float:
        """Classification loss; writes its gradient into ``grad`` (few rows, all at once)."""
        flat = coef[:-1] if self._singletons else np.concatenate(self._fused.grids(coef))
        z = flat[self._index].sum(axis=1) + coef[-1]
        loss_rows, dz = self.loss.loss_gradient(z, self._y)
        # Not `@`: a BLAS dot here wakes numpy's thread pool, whose spinning threads then
        # slow down the BLAS calls inside L-BFGS-B (measured: ~2x on a 100k-row fit).
        classification = float(np.sum(loss_rows * self._w_share))
        dz *= self._w_share
        hist = np.bincount(self._flat_index, weights=np.repeat(dz, len(self._groups)),
                           minlength=self._grid_offsets[-1])
        grad[-1] = dz.sum()
        if self._singletons:
            grad[:-1] = hist
        else:
            self._fused.margins(hist, grad)
        return classification

    def _block_terms(self, grids: list, blocks: list, out: list) -> None:
        """Evaluate the given blocks of chunks; ``out[i]`` gets block i's (loss, intercept
        gradient, histograms), summed over its chunks in order.

        Every pass works in place on buffers of one chunk, which stay in cache; no pass
        uses a mask (masked ufuncs are ~10x slower than plain ones).
        """
        size = max(b - a for _, chunks in blocks for a, b in chunks)
        t, e, c, d = (np.empty(size) for _ in range(4))
        weights = None if isinstance(self._w_share, float) else self._w_share
        with np.errstate(under="ignore"):  # per thread: exp(-|t|) may underflow to 0, exact enough
            for i, chunks in blocks:
                loss = intercept = 0.0
                hists = [np.zeros(cells) for cells in self._sizes]
                for a, b in chunks:
                    m = b - a
                    t_, e_, c_, d_ = t[:m], e[:m], c[:m], d[:m]
                    joint = self._joint[:, a:b]
                    # mode="clip": the codes are in range, and the default "raise" copies
                    # through a buffer when given out= (7x slower on uint16 codes).
                    np.take(grids[0], joint[0], out=t_, mode="clip")  # grids[0] holds the intercept too
                    for grid, codes in zip(grids[1:], joint[1:]):
                        np.take(grid, codes, out=e_, mode="clip")
                        t_ += e_
                    sign = self._sign[a:b]
                    t_ *= sign  # t = s z: the loss is softplus(t), its derivative s sigmoid(t)
                    np.copysign(t_, -1.0, out=e_)
                    np.exp(e_, out=e_)  # e = exp(-|t|) in [0, 1]
                    np.add(e_, 1.0, out=c_)
                    # softplus(t) = log(1 + e) + max(t, 0). log(1 + e) rather than log1p(e):
                    # 2x faster, and off by at most an ulp of 1 when e is tiny.
                    np.log(c_, out=d_)
                    np.maximum(t_, 0.0, out=e_)
                    d_ += e_
                    if weights is not None:
                        d_ *= weights[a:b]
                    loss += float(d_.sum())
                    # sigmoid(t) = r where t >= 0 and 1 - r elsewhere, with r = 1 / (1 + e) =
                    # sigmoid(|t|) >= 1/2: 1/2 + copysign(r - 1/2, t), exact to an ulp of 1/2.
                    np.divide(1.0, c_, out=c_)
                    c_ -= 0.5
                    np.copysign(c_, t_, out=c_)
                    c_ += 0.5
                    c_ *= sign
                    if weights is not None:
                        c_ *= weights[a:b]
                    intercept += float(c_.sum())
                    for hist, codes, cells in zip(hists, joint, self._sizes):
                        hist += np.bincount(codes, weights=c_, minlength=cells)
                out[i] = (loss, intercept, hists)

    def _chunked_terms(self, coef: np.ndarray, grad: np.ndarray) -> float:
        """Classification loss; writes its gradient into ``grad`` (many rows, chunk by chunk)."""
        grids = self._fused.grids(coef)
        grids[0] = grids[0] + coef[-1]
        out = self._runner.run(lambda blocks, out: self._block_terms(grids, blocks, out), self.n_samples)
        loss = intercept = 0.0
        hists = [np.zeros(cells) for cells in self._sizes]
        for block_loss, block_intercept, block_hists in out:
            loss += block_loss
            intercept += block_intercept
            for total, hist in zip(hists, block_hists):
                total += hist
        scale = 1.0 if not isinstance(self._w_share, float) else self._w_share
        grad[-1] = intercept * scale
        self._fused.margins(np.concatenate(hists) * scale, grad)
        return loss * scale

    def close(self) -> None:
        """End the threads this engine started (if any); it stays usable."""
        self._runner.close()
