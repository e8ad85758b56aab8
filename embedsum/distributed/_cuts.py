"""The published quantile cuts of partitioned columns, exactly, without gathering the data.

The in-memory digitizer (:mod:`embedsum.binning._digitizer`) needs two things of a sorted
column: the value at given ranks (step 1: the first value whose cumulative count exceeds
``q * (W - 1)``) and the share of the values at most each candidate cut (steps 3-4, through
:func:`~embedsum.binning._digitizer.merge_light_bins`). Both are counts, and counts add up
over partitions exactly (integers, or multiples of 2**-20 with sample weights). So each
partition sorts its columns once, on its worker, and answers "how many values are at most
v" for the values the client asks about; the client finds each ranked value by bisection
over the 2**64 ordered float64 keys (a k-ary search: about a dozen rounds for all features
and ranks at once), then counts the candidate cuts in one more round. The cuts and bin weights equal those of
``Digitizer(max_bins).fit`` on the whole table (docs/design.md#dask; a cut at zero may come
back as +0.0 where the in-memory sort kept -0.0: the same bins).
"""

from __future__ import annotations

import numpy as np

from .._sample_weights import counts_in_units
from ..binning._digitizer import merge_light_bins

_SIGN = np.uint64(1 << 63)


def ordered_keys(values: np.ndarray) -> np.ndarray:
    """uint64 keys in the order of the float64 values (not NaN; -0.0 as +0.0).

    Example
    -------
    >>> keys = ordered_keys(np.array([-np.inf, -1.0, 0.0, 2.0, np.inf]))
    >>> bool(np.all(np.diff(keys.astype(object)) > 0))
    True
    >>> key_values(keys).tolist()
    [-inf, -1.0, 0.0, 2.0, inf]
    """
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The float64 values of :func:`ordered_keys`."""
    keys = np.asarray(keys, dtype=np.uint64)
    return np.where(keys & _SIGN, keys & ~_SIGN, ~keys).view(np.float64)


def _sorted_partition(X, y, w, scale):
    """Per column: (sorted keys of the observed values of positive count, their cumulative
    counts or None, the count of NaN rows, the count of observed rows), and the count of
    all rows. ``scale`` is None (every row counts 1) or (largest weight, unit)."""
    counts = None if scale is None else _counts(w, scale)
    columns = []
    for column in X.T:
        nan = np.isnan(column)
        if counts is None:
            keys = np.sort(ordered_keys(column[~nan]))
            last = np.flatnonzero(np.r_[keys[1:] != keys[:-1], True]) if len(keys) else np.empty(0, dtype=np.intp)
            if len(last) <= len(keys) // 2:  # repeated values (counts): each distinct key and its count
                columns.append((keys[last], (last + 1).astype(np.float64), float(np.count_nonzero(nan)),
                                float(len(keys))))
            else:
                columns.append((keys, None, float(np.count_nonzero(nan)), float(len(keys))))
        else:
            keep = ~nan & (counts > 0)
            order = np.argsort(column[keep], kind="stable")
            keys = ordered_keys(column[keep][order])
            cumulative = np.cumsum(counts[keep][order])
            columns.append((keys, cumulative, float(np.sum(counts[nan])),
                            float(cumulative[-1]) if len(cumulative) else 0.0))
    total = float(len(X)) if counts is None else float(np.sum(counts))
    return columns, total


def _summary(state):
    columns, total = state
    lows = [int(keys[0]) if len(keys) else None for keys, _, _, _ in columns]
    highs = [int(keys[-1]) if len(keys) else None for keys, _, _, _ in columns]
    return lows, highs, [c[2] for c in columns], [c[3] for c in columns], total


def _count_at_most(state, queries):
    """For each column j, the count of values at most each key of ``queries[j]``."""
    columns, _ = state
    out = []
    for (keys, cumulative, _, _), query in zip(columns, queries):
        below = np.searchsorted(keys, query, side="right")
        if cumulative is None:
            out.append(below.astype(np.float64))
        elif len(cumulative) == 0:
            out.append(np.zeros(len(query)))
        else:
            out.append(np.where(below > 0, cumulative[np.maximum(below - 1, 0)], 0.0))
    return out


def _counts(w, scale) -> np.ndarray:
    """sample_weight_counts of these rows, given the weights' (largest, unit) over all rows."""
    return counts_in_units(w, *scale)


def _counts_are_one(X, y, w, scale) -> bool:
    return bool(np.all(_counts(w, scale) == 1.0))


def _weight_stats(X, y, w):
    w = np.asarray(w, dtype=np.float64)
    positive = w[w > 0]
    return float(w.max()) if len(w) else 0.0, float(positive.min()) if len(positive) else np.inf


def _scaled_sum(X, y, w, top):
    return float(np.sum(np.asarray(w, dtype=np.float64) / top))


def count_scale(client, weights):
    """``(largest weight, unit)`` of :func:`~embedsum._validation.sample_weight_counts` over the
    weight partitions (futures of 1-D arrays), or None when every row counts 1 (or
    ``weights`` is None): the unweighted path, as in memory."""
    if weights is None:
        return None

    def each(function, *args):
        return client.gather([client.submit(function, None, None, w, *args, pure=False) for w in weights])

    # The counts of sample_weight_counts, from the weights' global max, smallest positive
    # value and sum.
    stats = each(_weight_stats)
    top = max(s[0] for s in stats)
    smallest = min(s[1] for s in stats) / top
    total = sum(each(_scaled_sum, top))
    scale = (top, max(smallest, total * 2.0**-32))
    return None if all(each(_counts_are_one, scale)) else scale


def ranked_keys(count, lo: list, hi: list, targets: list) -> list:
    """Per column j, the smallest key whose count exceeds each of ``targets[j]``, by a k-ary
    search between ``lo[j]`` (whose count is at most the target) and ``hi[j]`` (whose count
    exceeds it), uint64 arrays shaped like ``targets[j]``; ``count(queries)`` gives, per
    column, the (non-decreasing) count at each queried key."""
    lo, hi, d = list(lo), list(hi), len(targets)
    # k-ary search: each round counts k - 1 evenly spaced keys inside every bracket, so a
    # bracket of 2**64 keys closes in about 64 / log2(k) rounds; k is kept so that one
    # round sends about 2**20 keys to each partition.
    k = int(np.clip(2**20 // max(1, sum(len(t) for t in targets)), 4, 64))
    steps = np.arange(1, k, dtype=np.uint64)
    while True:
        open_ = [h - lo_ > 1 for lo_, h in zip(lo, hi)]
        if not any(o.any() for o in open_):
            break
        probes = []
        for lo_, h in zip(lo, hi):
            width = h - lo_
            step = np.maximum(width // np.uint64(k), np.uint64(1))
            probe = lo_[:, None] + step[:, None] * steps  # no overflow: lo + width < 2**64
            probes.append(np.minimum(probe, h[:, None] - np.minimum(h[:, None], np.uint64(1))))
        counts = count([p.ravel() for p in probes])
        for j in range(d):
            probe, above = probes[j], counts[j].reshape(probes[j].shape) > targets[j][:, None]
            # The bracket closes on the first probe above the target and the last one below.
            first_above = np.where(above.any(axis=1), np.argmax(above, axis=1), -1)
            rows = np.arange(len(probe))
            new_hi = np.where(first_above >= 0, probe[rows, np.maximum(first_above, 0)], hi[j])
            last_below = np.where(first_above >= 0, first_above - 1, k - 2)
            new_lo = np.where(last_below >= 0, probe[rows, np.maximum(last_below, 0)], lo[j])
            hi[j] = np.where(open_[j], np.minimum(new_hi, hi[j]), hi[j])
            lo[j] = np.where(open_[j], np.maximum(new_lo, lo[j]), lo[j])
    return hi


def distributed_cuts(parts, max_bins: int = 20) -> tuple[list, list]:
    """The cuts and bin weights of ``Digitizer(max_bins).fit`` over the rows of ``parts``
    (a :class:`~embedsum.distributed._partitions.Partitions`), with its sample weights.

    Returns ``(cuts_, bin_weights_)`` as the digitizer's attributes: per feature, the cut
    points and the training fraction of each bin, the missing bin last.
    """
    client = parts.client
    scale = count_scale(client, parts.sample_weight)
    ws = parts.sample_weight if parts.sample_weight is not None else [None] * len(parts.X)
    states = [client.submit(_sorted_partition, x, None, w, scale, pure=False) for x, w in zip(parts.X, ws)]
    summaries = client.gather([client.submit(_summary, s, pure=False) for s in states])
    d = parts.n_features
    observed = np.sum([s[3] for s in summaries], axis=0)
    nan_counts = np.sum([s[2] for s in summaries], axis=0)
    all_rows = float(sum(s[4] for s in summaries))

    def count(queries):
        results = client.gather([client.submit(_count_at_most, s, queries, pure=False) for s in states])
        return [np.sum([r[j] for r in results], axis=0) for j in range(d)]

    quantiles = np.arange(1, max_bins) / max_bins
    targets, lo, hi = [], [], []
    for j in range(d):
        lows = [s[0][j] for s in summaries if s[0][j] is not None]
        highs = [s[1][j] for s in summaries if s[1][j] is not None]
        targets.append((observed[j] - 1.0) * quantiles)
        # Invariant: count(lo) <= target < count(hi); lo starts below every value.
        lo.append(np.full(len(quantiles), (min(lows) - 1) if lows else 0, dtype=np.uint64))
        hi.append(np.full(len(quantiles), max(highs) if highs else 0, dtype=np.uint64))
    hi = ranked_keys(count, lo, hi, targets)
    candidates = [np.unique(key_values(hi[j])) if observed[j] > 0 else np.empty(0) for j in range(d)]
    at_most = count([ordered_keys(c) for c in candidates])
    cuts_, weights_ = [], []
    for j in range(d):
        missing = nan_counts[j] / all_rows
        if observed[j] > 0:
            cuts, weights = merge_light_bins(candidates[j], at_most[j] / observed[j], max_bins)
        else:
            cuts, weights = np.empty(0), np.zeros(1)
        cuts_.append(cuts)
        weights_.append(np.append(weights * (1.0 - missing), missing))
    return cuts_, weights_
