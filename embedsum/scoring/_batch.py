"""Fast scoring of many rows, bit for bit equal to the plain per-feature loop.

The contract (docs/design.md#scoring-contract): the decision value is
``intercept + score_0[b_0] + score_1[b_1] + ...`` added in float64, left to right, with
``b_j`` the bin code of docs/design.md#bin-codes: :func:`embedsum._bins.interval_code`
(``searchsorted(cuts_j, x_j, side="left")``), NaN in the missing bin
``numeric_missing(len(cuts_j))``. This module computes the same numbers faster; only the
way the bins are found changes.

How
---
- **Rows in chunks.** Each chunk of rows (about 2 MiB of values) is copied once, transposed,
  into a (features, rows) buffer, so that every pass below reads contiguous memory that is
  still in the caches.
- **Counting, branch-free.** With the cuts of feature j extended by one ``+inf``,
  ``r_j = #{k : x_j <= cuts_ext[k]}`` is ``numeric_missing(len(cuts_j)) - b_j`` for every
  non-NaN value (±inf included: ``inf <= inf``) and ``0`` for NaN (every comparison with
  NaN is false). So a table holding feature j's ``numeric_n_bins(len(cuts_j))`` scores in
  reverse order, indexed by ``r_j``, gives the score of the right bin, the missing bin
  included, with no NaN test. This count is the kernel's own arithmetic, the reversed
  code ``numeric_missing - interval_code``; nothing else in embedsum uses it.
  Level k compares all features that have a k-th extended cut at once: features are
  processed sorted by their number of cuts, so the features still active at level k are
  a prefix of the buffer. Counts are uint8 (a feature is counted only if it has at
  most ``MAX_COUNTED_CUTS`` cuts).
- **Binary search for many cuts.** Features with more cuts use ``np.searchsorted`` on
  the extended cuts: NaN sorts after ``+inf``, so it lands at ``len(cuts_j) + 1``, which
  is ``numeric_missing(len(cuts_j))``, again with no NaN test.
- **One gather.** Per-feature offsets turn the codes into indices into one flat table of
  all scores; one ``np.take`` fetches every score of the chunk.
- **The sum, left to right.** ``z = intercept; z += s_0; z += s_1; ...``, one feature
  at a time in feature order (never ``np.sum``, which adds pairwise).
- **Threads over chunks.** numpy releases the GIL in these loops, so large inputs are
  shared among the available cores by a thread pool made for the call (no pool outlives
  it); every thread has its own buffers, claims the next chunk when it is done, and runs
  under the caller's ``np.errstate``.

Extra memory is a few buffers of one chunk per thread plus the output: O(n), not O(n d).
"""

from __future__ import annotations

import threading
from bisect import bisect_right

import numpy as np

from .._bins import numeric_n_bins
from .._portable_exp import exp_nonpositive_array
from .._threads import default_n_threads


MAX_COUNTED_CUTS = 126  # extended by +inf: at most 127 levels, counts fit in uint8
_CHUNK_VALUES = 2**18   # values of X per chunk (2 MiB of float64): fits the caches, amortises calls
_MAX_CHUNK_ROWS = 16384
_MIN_CHUNK_ROWS = 256


class ScoringTables:
    """The cuts and scores of a model laid out for :meth:`decision_values` and :meth:`probabilities`.

    Built from the model's arrays at each call (a few microseconds per feature), so it is
    never out of date. ``usable`` is False when the layout is not the canonical one (a
    feature whose scores are not ``numeric_n_bins(len(cuts))`` numbers, or arrays that are not 1-D):
    callers then use the plain loop, which behaves as it always did.

    Example
    -------
    >>> import numpy as np
    >>> tables = ScoringTables([np.array([1.0])], [np.array([-1.0, 1.0, 0.25])], 0.5)
    >>> tables.decision_values(np.array([[0.5], [2.0], [np.nan]])).tolist()
    [-0.5, 1.5, 0.75]
    >>> tables.probabilities(np.array([[2.0]])).round(3).tolist()
    [[0.182, 0.818]]
    """

    def __init__(self, cuts, scores, intercept, pairs=None) -> None:
        self.usable = False
        cuts = [np.asarray(c, dtype=np.float64) for c in cuts]
        scores = [np.asarray(s, dtype=np.float64) for s in scores]
        d = len(cuts)
        if d == 0 or len(scores) != d or d > _CHUNK_VALUES // _MIN_CHUNK_ROWS:
            return  # (very wide data: chunks of few rows cost more calls than the plain loop)
        if any(c.ndim != 1 for c in cuts) or any(s.shape != (numeric_n_bins(len(c)),) for c, s in zip(cuts, scores)):
            return
        n_cuts = [len(c) for c in cuts]
        # Counted features first, most cuts first (so the active ones at each level are a
        # prefix), then the searched ones; sorted() is stable, so ties keep the feature order.
        counted = sorted((j for j in range(d) if n_cuts[j] <= MAX_COUNTED_CUTS), key=lambda j: -n_cuts[j])
        order = counted + [j for j in range(d) if n_cuts[j] > MAX_COUNTED_CUTS]
        self.n_features = d
        self.order = order
        self.position = sorted(range(d), key=order.__getitem__)  # position[j]: row of feature j in a chunk
        self.n_counted = nc = len(counted)
        levels = [n_cuts[j] + 1 for j in counted]  # the cuts extended by +inf: levels to count; decreasing
        self.n_levels = levels[0] if nc else 0
        # n_active[k]: the features with a k-th extended cut, a prefix of the counted ones
        minus_levels = [-n for n in levels]  # increasing
        self.n_active = [bisect_right(minus_levels, -k - 1) for k in range(self.n_levels)]
        # level_cuts[k, p, 0]: the k-th extended cut of the feature at position p (+inf at
        # k = len(cuts), and past it, where the loop skips the feature).
        level_cuts = np.full((self.n_levels, nc, 1), np.inf)
        for p, j in enumerate(counted):
            level_cuts[: n_cuts[j], p, 0] = cuts[j]
        self.level_cuts = level_cuts
        # Counted features index their scores by r = numeric_missing(len(cuts)) - code: store them reversed.
        blocks = [scores[j][::-1] for j in counted] + [scores[j] for j in order[nc:]]
        self.searched = [(p, np.append(cuts[j], np.inf)) for p, j in enumerate(order) if p >= nc]
        self.table = np.concatenate(blocks)
        starts, start = [], 0
        for block in blocks:
            starts.append(start)
            start += len(block)
        self.offsets = np.array(starts, dtype=np.intp).reshape(-1, 1)
        self.intercept = np.float64(intercept)  # as np.full(n, intercept) would convert it
        self.chunk_rows = int(min(_MAX_CHUNK_ROWS, max(_MIN_CHUNK_ROWS, _CHUNK_VALUES // d)))
        # Pair terms (docs/design.md#pair-terms), numeric axes: (position of a, its cuts extended
        # by +inf, position of b, its extended cuts, length of b's axis, the flat table).
        self.pairs = [(self.position[a], np.append(np.asarray(ca, dtype=np.float64), np.inf), self.position[b],
                       np.append(np.asarray(cb, dtype=np.float64), np.inf), numeric_n_bins(len(cb)),
                       np.asarray(table, dtype=np.float64))
                      for (a, b), (ca, cb), table in zip(*(pairs or ((), (), ())))]
        self.usable = True

    # ------------------------------------------------------------------------------------------
    # One chunk
    # ------------------------------------------------------------------------------------------

    def _buffers(self, n_rows: int) -> dict:
        d, c = self.n_features, min(self.chunk_rows, n_rows)
        return {
            "x": np.empty(d * c),                       # the chunk, transposed; then the scores
            "count": np.empty(self.n_counted * c, dtype=np.uint8),
            "le": np.empty(self.n_counted * c, dtype=bool),
            "index": np.empty(d * c, dtype=np.intp),
            "pair_index": np.empty((len(self.pairs), c), dtype=np.intp),
            "pair_b": np.empty(c, dtype=np.intp),
        }

    def _chunk_decision(self, X: np.ndarray, z: np.ndarray, buffers: dict) -> None:
        """Decision values of the rows of X (c rows) into z (c,), contiguous."""
        c, d, nc = X.shape[0], self.n_features, self.n_counted
        x = buffers["x"][: d * c].reshape(d, c)
        for p, j in enumerate(self.order):
            x[p] = X[:, j]
        index = buffers["index"][: d * c].reshape(d, c)
        if nc:
            count = buffers["count"][: nc * c].reshape(nc, c)
            le = buffers["le"][: nc * c].reshape(nc, c)
            level_cuts, n_active = self.level_cuts, self.n_active
            np.less_equal(x[:nc], level_cuts[0], out=count.view(bool))
            for k in range(1, self.n_levels):
                m = n_active[k]
                np.less_equal(x[:m], level_cuts[k, :m], out=le[:m])
                np.add(count[:m], le[:m].view(np.uint8), out=count[:m])
            np.add(count, self.offsets[:nc], out=index[:nc])
        for p, extended_cuts in self.searched:
            np.add(np.searchsorted(extended_cuts, x[p], side="left"), self.offsets[p, 0], out=index[p])
        pair_index = buffers["pair_index"][:, :c]
        for i, (pa, cuts_a, pb, cuts_b, length_b, _) in enumerate(self.pairs):  # NaN sorts last: missing
            np.multiply(np.searchsorted(cuts_a, x[pa], side="left"), length_b, out=pair_index[i])
            pair_b = buffers["pair_b"][:c]
            pair_b[:] = np.searchsorted(cuts_b, x[pb], side="left")
            np.add(pair_index[i], pair_b, out=pair_index[i])
        values = x  # the transposed chunk is not needed any more: gather the scores into it
        np.take(self.table, index, out=values, mode="clip")  # indices are in range; "clip" avoids a buffer
        z.fill(self.intercept)
        for p in self.position:  # feature order: left to right
            np.add(z, values[p], out=z)
        for i, (*_, table) in enumerate(self.pairs):  # then the pairs, in their order
            np.add(z, np.take(table, pair_index[i], out=values[0], mode="clip"), out=z)

    # ------------------------------------------------------------------------------------------
    # All rows, in chunks, on threads
    # ------------------------------------------------------------------------------------------

    def _run(self, n_rows: int, work, n_threads) -> None:
        """Call ``work(start, stop, buffers)`` for every chunk, on up to n_threads threads."""
        chunk = self.chunk_rows
        n_chunks = -(-n_rows // chunk)
        n_threads = default_n_threads() if n_threads is None else int(n_threads)
        n_threads = max(1, min(n_threads, n_chunks))
        next_chunk = iter(range(n_chunks))
        lock = threading.Lock()

        def worker():
            buffers = self._buffers(n_rows)
            while True:
                with lock:
                    i = next(next_chunk, None)
                if i is None:
                    return
                work(i * chunk, min(n_rows, (i + 1) * chunk), buffers)

        if n_threads == 1:
            worker()
            return
        from concurrent.futures import ThreadPoolExecutor

        # The caller's floating-point error handling (np.errstate) applies in the other threads
        # too: numpy keeps it per thread (numpy 1) or per context (numpy 2), so pass it on.
        error_state = dict(np.geterr(), call=np.geterrcall())

        def worker_with_caller_errstate():
            with np.errstate(**error_state):
                worker()

        with ThreadPoolExecutor(max_workers=n_threads - 1) as pool:
            futures = [pool.submit(worker_with_caller_errstate) for _ in range(n_threads - 1)]
            try:
                worker()
            finally:
                for future in futures:
                    future.result()

    def decision_values(self, X: np.ndarray, *, n_threads: int | None = None) -> np.ndarray:
        """Decision value of each row of a 2-D float64 X (any memory layout), shape (n,)."""
        z = np.empty(X.shape[0])

        def work(start, stop, buffers):
            self._chunk_decision(X[start:stop], z[start:stop], buffers)

        self._run(X.shape[0], work, n_threads)
        return z

    def probabilities(self, X: np.ndarray, *, n_threads: int | None = None) -> np.ndarray:
        """``[sigmoid(-z), sigmoid(z)]`` of each row of a 2-D float64 X, shape (n, 2).

        Bit for bit ``np.column_stack([sigmoid(-z), sigmoid(z)])`` with
        :func:`embedsum.scoring._links.sigmoid`: the same operations on the same numbers, with
        ``exp(-|z|)`` computed once for both columns.
        """
        out = np.empty((X.shape[0], 2))
        c = min(self.chunk_rows, X.shape[0])

        def work(start, stop, buffers):
            if "z" not in buffers:
                buffers.update(z=np.empty(c), probability=probability_buffers(c))
            z = buffers["z"][: stop - start]
            self._chunk_decision(X[start:stop], z, buffers)
            write_probabilities(z, out[start:stop], buffers["probability"])

        self._run(X.shape[0], work, n_threads)
        return out


def probability_buffers(n: int) -> dict:
    """Scratch arrays for :func:`write_probabilities` of up to n decision values.

    Example
    -------
    >>> sorted(probability_buffers(3))
    ['d', 'e', 'k', 'mask', 'r']
    """
    return {"e": np.empty(n), "d": np.empty(n), "r": np.empty(n), "k": np.empty(n, dtype=np.int32),
            "mask": np.empty(n, dtype=bool)}


def write_probabilities(z: np.ndarray, out: np.ndarray, buffers: dict) -> None:
    """``out[:, 0] = sigmoid(-z)``, ``out[:, 1] = sigmoid(z)`` as :func:`embedsum.scoring._links.sigmoid`
    computes them, bit for bit; ``buffers`` from :func:`probability_buffers` (at least z's length).

    sigmoid(t) is ``1 / (1 + e)`` where ``t >= 0``, else ``1 / (1 + 1 / e)`` (0 for e = 0), with
    ``e = exp(-|t|)`` (the portable exp of :mod:`embedsum._portable_exp`), which is the
    same number for t = z and t = -z.

    Example
    -------
    >>> import numpy as np
    >>> z, out = np.array([0.0, 2.0, -2.0]), np.empty((3, 2))
    >>> write_probabilities(z, out, probability_buffers(3))
    >>> out.round(3).tolist()
    [[0.5, 0.5], [0.119, 0.881], [0.881, 0.119]]
    """
    m = len(z)
    e, d, r, k, mask = (buffers[name][:m] for name in ("e", "d", "r", "k", "mask"))
    np.abs(z, out=e)
    np.negative(e, out=e)
    exp_nonpositive_array(e, e, r, d, k)  # in [0, 1]: never overflows
    np.add(1.0, e, out=d)
    np.divide(1.0, d, out=d)  # 1 / (1 + e)
    with np.errstate(divide="ignore", under="ignore"):  # e == 0: 1 / e is inf, and 1 / (1 + inf) is 0
        np.divide(1.0, e, out=e)
        np.add(1.0, e, out=e)
        np.divide(1.0, e, out=e)  # 1 / (1 + 1 / e), subnormal for t below about -708
    np.greater_equal(z, 0, out=mask)  # z >= 0
    np.copyto(out[:, 1], e)
    np.copyto(out[:, 1], d, where=mask)
    np.less_equal(z, 0, out=mask)  # -z >= 0
    np.copyto(out[:, 0], e)
    np.copyto(out[:, 0], d, where=mask)
