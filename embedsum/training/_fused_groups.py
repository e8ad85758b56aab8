"""Rows as joint codes of fused feature groups, and the chunked, threaded passes over them.

Both objective engines (:mod:`~embedsum.training._binary_engine` and
:mod:`~embedsum.training._general_engine`) evaluate a data term the same way:

- Neighbouring features are fused into groups whose joint bin grid is small (at most
  ``max_cells`` cells, so a grid stays in cache). Each row keeps one joint code per group
  (uint16 when every grid has at most 2**16 cells): a pass gathers from the grid of summed
  scores, and one ``bincount`` per group (and output) gives a histogram whose margins are
  the features' gradients. The rows are visited a few times per evaluation instead of twice
  per feature, and no index array of n rows per feature is kept.
- Many rows are evaluated chunk by chunk on a pool of threads made for the fit (numpy
  releases the GIL in gathers, ufuncs and bincounts). Partial sums are added in a fixed
  order (chunks within blocks of 8, then the blocks), so the result does not depend on the
  number of threads.
"""

from __future__ import annotations

import weakref

import numpy as np

from .._threads import default_n_threads

# Chunks whose partial sums one thread adds up before the blocks are added in order.
_CHUNKS_PER_BLOCK = 8


def feature_groups(n_bins, max_cells: int) -> list[list[int]]:
    """Consecutive features whose joint bin grid has at most ``max_cells`` cells.

    Example
    -------
    >>> feature_groups([3, 4, 5, 2], 12)
    [[0, 1], [2, 3]]
    """
    groups, cells = [], max_cells + 1
    for j, k in enumerate(n_bins):
        if cells * int(k) > max_cells:
            groups.append([])
            cells = 1
        groups[-1].append(j)
        cells *= int(k)
    return groups


def default_max_cells(n_samples: int) -> int:
    """A grid larger than a fraction of the rows costs more to build than it saves."""
    return int(np.clip(n_samples // 8, 1, 2**14))


class FusedGroups:
    """The groups of terms of a layout and each row's joint code in each group.

    ``codes`` has one column per term (a pair's column holds its joint code).

    ``joint[g, i]`` indexes group ``g``'s grid (its features' codes in C order);
    ``grid_offsets`` places the grids one after another.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> fused = FusedGroups(np.array([[0, 1], [2, 0]]), ParameterLayout([3, 2]), max_cells=6)
    >>> fused.groups, fused.joint.tolist()
    ([[0, 1]], [[1, 4]])
    """

    def __init__(self, codes, layout, max_cells: int):
        self.layout = layout
        # Groups of terms (main effects, then pairs, whose codes are their joint codes).
        self.groups = feature_groups(layout.term_sizes, max_cells)
        self.shapes = [tuple(int(layout.term_sizes[j]) for j in group) for group in self.groups]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.grid_offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.intp)
        self.singletons = all(len(group) == 1 for group in self.groups)
        dtype = np.uint16 if max(self.sizes) <= 2**16 else np.intp
        self.joint = np.zeros((len(self.groups), len(codes)), dtype=dtype)
        for codes_g, group, shape in zip(self.joint, self.groups, self.shapes):
            for j, k in zip(group, shape):
                codes_g *= dtype(k)
                column = codes[:, j]
                codes_g += column if np.can_cast(column.dtype, dtype) else column.astype(dtype)

    def grids(self, coef: np.ndarray) -> list:
        """Per group, its grid of summed scores: shape (cells,) with one output, (cells, K) with K."""
        scores, _ = self.layout.term_views(coef)
        K = self.layout.n_outputs
        grids = []
        for group in self.groups:
            grid = scores[group[0]]
            for j in group[1:]:
                if K == 1:
                    grid = np.add.outer(grid, scores[j])
                else:  # the outer sum over bins, output by output
                    grid = grid[..., None, :] + scores[j]
            grids.append(grid.reshape(-1) if K == 1 else grid.reshape(-1, K))
        return grids

    def margins(self, hist: np.ndarray, grad: np.ndarray) -> None:
        """Write each feature's margin of the concatenated group histograms into ``grad``.

        ``hist`` has shape (cells,) with one output and (cells, K) with K.
        """
        feature_grads, _ = self.layout.term_views(grad)
        trailing = hist.shape[1:]
        for g, (group, shape) in enumerate(zip(self.groups, self.shapes)):
            cells = hist[self.grid_offsets[g]:self.grid_offsets[g + 1]].reshape(shape + trailing)
            for axis, j in enumerate(group):
                others = tuple(a for a in range(len(group)) if a != axis)
                feature_grads[j][:] = cells.sum(axis=others) if others else cells


class ChunkRunner:
    """Runs a pass over fixed blocks of row chunks on a pool of threads, in a fixed order.

    ``run(work, n)`` calls ``work(blocks, out)`` on each thread's share of the blocks, where
    ``blocks`` is a list of ``(i, [(a, b), ...])`` and ``work`` stores block ``i``'s partial
    result in ``out[i]``; it returns ``out`` in block order. The blocks do not depend on the
    number of threads, so neither does any sum taken over ``out`` in order.

    Example
    -------
    >>> runner = ChunkRunner(chunk_rows=4, n_threads=2)
    >>> def work(blocks, out):
    ...     for i, chunks in blocks:
    ...         out[i] = sum(b - a for a, b in chunks)
    >>> runner.run(work, 10)
    [4, 4, 2]
    >>> runner.close()
    """

    def __init__(self, chunk_rows: int, n_threads: int | None = None):
        self.chunk_rows = max(1, int(chunk_rows))
        self.n_threads = default_n_threads() if n_threads is None else max(1, int(n_threads))
        self._pool = None

    def run(self, work, n: int) -> list:
        size = self.chunk_rows
        chunks = [(a, min(a + size, n)) for a in range(0, n, size)]
        # Fixed blocks of chunks, each summed in order by one thread, then the blocks in
        # order. Few chunks: a block each, so that the threads share them.
        per_block = _CHUNKS_PER_BLOCK if len(chunks) >= 2 * _CHUNKS_PER_BLOCK else 1
        blocks = list(enumerate(chunks[k:k + per_block] for k in range(0, len(chunks), per_block)))
        out: list = [None] * len(blocks)
        n_threads = min(self.n_threads, len(blocks))
        if n_threads == 1:
            work(blocks, out)
            return out
        pool = self._thread_pool(n_threads - 1)
        # Interleaved blocks: equal shares; this thread takes the first share.
        futures = [pool.submit(work, blocks[k::n_threads], out) for k in range(1, n_threads)]
        try:
            work(blocks[0::n_threads], out)
        finally:
            for future in futures:
                future.result()
        return out

    def _thread_pool(self, workers: int):
        # One pool for all the evaluations of a fit (starting threads at every call costs
        # as much as the work at 10^5 rows); close() ends it, or garbage collection does.
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor  # imported only when a pool is used

            self._pool = ThreadPoolExecutor(workers)
            weakref.finalize(self, self._pool.shutdown, wait=False)
        return self._pool

    def close(self) -> None:
        """End the threads (if any); the runner stays usable."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
