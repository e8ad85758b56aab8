"""The binary engine: the log-loss of one output, fused feature groups, chunks on threads.

It evaluates the data term of :class:`~embedsum.training._losses.BinaryLogLoss` only (see
docs/design.md#published-objective): its chunked passes inline the log-loss, in the sign
form ``softplus(s z)`` with ``s = 1 - 2y``. The general engine
(:mod:`embedsum.training._general_engine`) serves every other loss.

Neighbouring features are fused into groups whose joint bin grid is small (at most
``max_cells`` cells, so the grid stays in cache): each row keeps one joint code per group,
a pass over the rows gathers from the grid of summed scores, and one ``bincount`` per group
gives a histogram whose margins are the gradients. This visits the rows a few times per
evaluation instead of twice per feature. ``max_cells`` defaults to an eighth of the rows,
at most 2**14.

Larger problems are evaluated chunk by chunk, in place on a few buffers of one chunk (they
stay in cache, and no temporary has n rows), on a pool of threads made for the call (numpy
releases the GIL in the gathers, ufuncs and bincounts). Partial sums are added in a fixed
order (chunks within blocks of 8, then the blocks), so the result does not depend on the
number of threads. ``y`` must then be 0 or 1. The loss and gradient depend on
``max_cells`` and ``chunk_rows`` only through rounding.
"""

from __future__ import annotations

import weakref

import numpy as np

from .._threads import default_n_threads


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


# Rows per chunk of the chunked path: the four float64 buffers of one chunk fit in a
# core's L2 cache (1 MB here); 2**15 to 2**17 measured alike on 10^7 rows.
_CHUNK_ROWS = 2**15
# Chunks whose partial sums one thread adds up before the blocks are added in order.
_CHUNKS_PER_BLOCK = 8
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
        self._pool = None
        if max_cells is None:
            # A grid larger than a fraction of the rows costs more to build than it saves.
            max_cells = int(np.clip(self.n_samples // 8, 1, 2**14))
        self._groups = _feature_groups(layout.n_bins, max_cells)
        self._shapes = [tuple(int(layout.n_bins[j]) for j in group) for group in self._groups]
        self._sizes = [int(np.prod(shape)) for shape in self._shapes]
        self._grid_offsets = np.concatenate([[0], np.cumsum(self._sizes)]).astype(np.intp)
        self.n_threads = default_n_threads() if n_threads is None else max(1, int(n_threads))
        self.chunk_rows = _CHUNK_ROWS if chunk_rows is None else max(1, int(chunk_rows))
        # One joint code per (group, row): group g's grid is indexed by the codes of its
        # features in C order.
        dtype = np.uint16 if max(self._sizes) <= 2**16 else np.intp
        joint = np.zeros((len(self._groups), self.n_samples), dtype=dtype)
        for codes_g, group, shape in zip(joint, self._groups, self._shapes):
            for j, k in zip(group, shape):
                codes_g *= dtype(k)
                column = codes[:, j]
                codes_g += column if np.can_cast(column.dtype, dtype) else column.astype(dtype)
        # Few rows: per-call overhead dominates, so gather and bincount all groups at once
        # through one index into the concatenated grids. Many rows: chunk by chunk.
        self._one_call = self.n_samples * len(self._groups) <= _ONE_CALL_CELLS and chunk_rows is None
        # With one feature per group the concatenated grids are coef[:-1] itself.
        self._singletons = all(len(group) == 1 for group in self._groups)
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
        """Decision value of every training row, shape (n,)."""
        if self._one_call:
            flat = coef[:-1] if self._singletons else np.concatenate(self._grids(coef))
            return flat[self._index].sum(axis=1) + coef[-1]
        z = np.full(self.n_samples, coef[-1])
        for grid, joint in zip(self._grids(coef), self._joint):
            z += grid[joint]
        return z

    def _one_call_terms(self, coef: np.ndarray, grad: np.ndarray) -> float:
        """Classification loss; writes its gradient into ``grad`` (few rows, all at once)."""
        flat = coef[:-1] if self._singletons else np.concatenate(self._grids(coef))
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
            self._margins(hist, grad)
        return classification

    def _margins(self, hist: np.ndarray, grad: np.ndarray) -> None:
        """Write each feature's margin of the concatenated group histograms into ``grad``."""
        feature_grads, _ = self.layout.split(grad)
        for g, (group, shape) in enumerate(zip(self._groups, self._shapes)):
            cells = hist[self._grid_offsets[g]:self._grid_offsets[g + 1]].reshape(shape)
            for axis, j in enumerate(group):
                others = tuple(a for a in range(len(group)) if a != axis)
                feature_grads[j][:] = cells.sum(axis=others) if others else cells

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
        grids = self._grids(coef)
        grids[0] = grids[0] + coef[-1]
        n, size = self.n_samples, self.chunk_rows
        chunks = [(a, min(a + size, n)) for a in range(0, n, size)]
        # Fixed blocks of chunks, each summed in order by one thread, then the blocks in
        # order: the result does not depend on the number of threads. Few chunks: a block
        # each, so that the threads share them.
        per_block = _CHUNKS_PER_BLOCK if len(chunks) >= 2 * _CHUNKS_PER_BLOCK else 1
        blocks = list(enumerate(chunks[k:k + per_block] for k in range(0, len(chunks), per_block)))
        out: list = [None] * len(blocks)
        n_threads = min(self.n_threads, len(blocks))
        if n_threads == 1:
            self._block_terms(grids, blocks, out)
        else:
            pool = self._thread_pool(n_threads - 1)
            # Interleaved blocks: equal shares; this thread takes the first share.
            futures = [pool.submit(self._block_terms, grids, blocks[k::n_threads], out) for k in range(1, n_threads)]
            try:
                self._block_terms(grids, blocks[0::n_threads], out)
            finally:
                for future in futures:
                    future.result()
        loss = intercept = 0.0
        hists = [np.zeros(cells) for cells in self._sizes]
        for block_loss, block_intercept, block_hists in out:
            loss += block_loss
            intercept += block_intercept
            for total, hist in zip(hists, block_hists):
                total += hist
        scale = 1.0 if not isinstance(self._w_share, float) else self._w_share
        grad[-1] = intercept * scale
        self._margins(np.concatenate(hists) * scale, grad)
        return loss * scale

    def _thread_pool(self, workers: int):
        # One pool for all the evaluations of a fit (starting threads at every call costs
        # as much as the work at 10^5 rows); close() ends it, or garbage collection does.
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor  # imported only when a pool is used

            self._pool = ThreadPoolExecutor(workers)
            weakref.finalize(self, self._pool.shutdown, wait=False)
        return self._pool

    def close(self) -> None:
        """End the threads this engine started (if any); it stays usable."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
