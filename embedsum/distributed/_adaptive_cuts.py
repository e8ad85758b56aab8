"""Adaptive cuts of partitioned columns, exactly, without gathering the data.

:mod:`embedsum.binning._adaptive` needs, of a column (docs/design.md#adaptive-binning): whether
it has at most ``max_bins`` distinct values, and then each one's count; the heavy values (a
fixed point of ``count >= rest / budget``); the value just below each heavy one; ranked values
of the rest; the count at each cut. All are counts, which add up over partitions exactly
(integers, or sample-weight counts in multiples of 2**-20: docs/design.md#sample-weights). Each
partition sorts its columns once, as order-preserving keys with their counts, on its worker:

- *few distinct values*: each partition reports its ``max_bins + 1`` smallest distinct keys;
  their union has at most ``max_bins`` keys exactly when the column has;
- *heavy values*: a value outside the heavy set H whose count reaches ``rest / budget``
  reaches ``rest_p / budget`` in some partition p, where ``rest_p`` is p's count outside H
  (else the partitions' counts would sum below ``rest / budget``). So each round of the
  fixed point collects those local candidates (at most about ``budget`` per partition), counts
  them over all partitions and keeps the ones the in-memory rule keeps;
- *quantiles of the rest*: the k-ary search of :mod:`embedsum.distributed._cuts` over the
  counts at most a key, less the heavy values' counts at most it;
- then the counts at the cuts and the shared merge (:func:`~embedsum.binning._adaptive.merged_cuts`).

Memory per partition is its sorted keys and counts; each round sends O(features * max_bins)
numbers. The cuts and weights equal ``AdaptiveDigitizer(max_bins, min_bin_count).fit`` on the
whole table (a cut at zero may come back as +0.0 where the in-memory sort kept -0.0: the same
bins). With sample weights, the caveat of :func:`~embedsum.distributed._cuts.count_scale`
on the weights' sum applies (docs/design.md#dask).
"""

from __future__ import annotations

import numpy as np

from ..binning._adaptive import _check_bins, heavy_threshold, merged_cuts, rest_targets
from ._cuts import _sorted_partition, count_scale, key_values, ordered_keys, ranked_keys

_EMPTY = np.empty(0, dtype=np.uint64)


def _state(X, w, scale, max_bins):
    """Per column: (distinct keys ascending, their counts, cumulative counts, NaN count, observed count)."""
    columns, _ = _sorted_partition(X, None, w, scale)
    out = []
    for keys, cumulative, n_nan, observed in columns:
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.empty(0, dtype=np.intp)
        last = np.r_[first[1:], len(keys)][:len(first)] - 1
        dcum = (last + 1).astype(np.float64) if cumulative is None else cumulative[last]
        out.append((keys[first], np.diff(np.r_[0.0, dcum]), dcum, n_nan, observed))
    return out


def _summary(state, max_bins):
    return [(observed, n_nan, keys[:max_bins + 1], int(keys[0]) if len(keys) else None,
             int(keys[-1]) if len(keys) else None) for keys, _, _, n_nan, observed in state]


def _at_most(state, queries):
    out = []
    for (keys, _, cumulative, _, _), query in zip(state, queries):
        below = np.searchsorted(keys, query, side="right")
        out.append(np.where(below > 0, cumulative[np.maximum(below - 1, 0)], 0.0) if len(keys)
                   else np.zeros(len(query)))
    return out


def _equal(state, queries):
    out = []
    for (keys, counts, _, _, _), query in zip(state, queries):
        at = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
        out.append(np.where(keys[at] == query, counts[at], 0.0) if len(keys) else np.zeros(len(query)))
    return out


def _largest_below(state, queries):
    """Per column, the largest key below each query, or 0 (no observed value has key 0)."""
    out = []
    for (keys, _, _, _, _), query in zip(state, queries):
        at = np.searchsorted(keys, query)
        out.append(np.where(at > 0, keys[np.maximum(at - 1, 0)], 0).astype(np.uint64) if len(keys)
                   else np.zeros(len(query), dtype=np.uint64))
    return out


def _candidates(state, heavy, budgets):
    """Per column, the keys outside the heavy keys whose local count reaches the local rest / budget."""
    out = []
    for (keys, counts, _, _, observed), h, budget in zip(state, heavy, budgets):
        if budget is None or not len(keys):
            out.append(_EMPTY)
            continue
        outside = ~np.isin(keys, h)
        rest = observed - float(np.sum(counts[~outside]))
        # A margin below the threshold only adds candidates; each is then counted exactly.
        out.append(keys[outside & (counts >= rest / budget * (1.0 - 1e-9))])
    return out


def distributed_adaptive_cuts(parts, max_bins: int = 64, min_bin_count: float = 5) -> tuple[list, list]:
    """The cuts and bin weights of ``AdaptiveDigitizer(max_bins, min_bin_count).fit`` over the
    rows of ``parts`` (a :class:`~embedsum.distributed._partitions.Partitions`), with its
    sample weights: per feature, the cut points and the training fraction of each bin, the
    missing bin last.
    """
    max_bins, min_bin_count = _check_bins(max_bins, min_bin_count)
    client = parts.client
    scale = count_scale(client, parts.sample_weight)
    ws = parts.sample_weight if parts.sample_weight is not None else [None] * len(parts.X)
    states = [client.submit(_state, x, w, scale, max_bins, pure=False) for x, w in zip(parts.X, ws)]
    d = parts.n_features

    def ask(function, *args):
        return client.gather([client.submit(function, s, *args, pure=False) for s in states])

    def total(function, queries):
        results = ask(function, queries)
        return [np.sum([r[j] for r in results], axis=0) for j in range(d)]

    summaries = ask(_summary, max_bins)
    observed = [sum(s[j][0] for s in summaries) for j in range(d)]
    n_nan = [sum(s[j][1] for s in summaries) for j in range(d)]
    few = [np.unique(np.concatenate([s[j][2] for s in summaries])) for j in range(d)]
    lowest = [min((s[j][3] for s in summaries if s[j][3] is not None), default=None) for j in range(d)]
    highest = [max((s[j][4] for s in summaries if s[j][4] is not None), default=None) for j in range(d)]
    many = [observed[j] > 0 and len(few[j]) > max_bins for j in range(d)]

    # Step 2: the fixed point of the heavy values, every column at once.
    heavy = [_EMPTY] * d
    heavy_counts = [np.empty(0)] * d
    active = list(many)
    for _ in range(max_bins):
        thresholds = [heavy_threshold(len(heavy[j]), observed[j] - float(np.sum(heavy_counts[j])), max_bins)
                      if active[j] else None for j in range(d)]
        active = [t is not None for t in thresholds]
        if not any(active):
            break
        budgets = [max_bins - len(heavy[j]) if active[j] else None for j in range(d)]
        found = ask(_candidates, heavy, budgets)
        candidates = [np.unique(np.concatenate([f[j] for f in found])) for j in range(d)]
        counts = total(_equal, candidates) if any(len(c) for c in candidates) else [np.empty(0)] * d
        for j in np.flatnonzero(active):
            new = counts[j] >= thresholds[j]
            if len(heavy[j]) + np.count_nonzero(new) > max_bins - 1 or not new.any():
                active[j] = False  # keep room for one bin of the rest, or nothing grew
                continue
            keys = np.r_[heavy[j], candidates[j][new]]
            order = np.argsort(keys)
            heavy[j], heavy_counts[j] = keys[order], np.r_[heavy_counts[j], counts[j][new]][order]
    results = ask(_largest_below, heavy) if any(len(h) for h in heavy) else [heavy]
    below = [np.max([r[j] for r in results], axis=0) for j in range(d)]
    below = [key_values(b[b > 0]) for b in below]  # step 2: a cut just below each heavy value

    # Step 3: the lower quantiles of the rest, from the counts less the heavy values'.
    targets, lo, hi = [], [], []
    for j in range(d):
        rest, budget = observed[j] - float(np.sum(heavy_counts[j])), max_bins - len(heavy[j])
        # A negative target (a rest lighter than one row) asks for the first value of the rest.
        t = np.maximum(rest_targets(rest, budget), 0.0) if many[j] and rest > 0 and budget >= 2 else np.empty(0)
        targets.append(t)
        lo.append(np.full(len(t), lowest[j] - 1 if len(t) else 0, dtype=np.uint64))
        hi.append(np.full(len(t), highest[j] if len(t) else 0, dtype=np.uint64))

    def rest_count(queries):
        at_most = total(_at_most, queries)
        for j in range(d):
            if len(heavy[j]):
                cumulative = np.cumsum(heavy_counts[j])
                at = np.searchsorted(heavy[j], queries[j], side="right")
                at_most[j] = at_most[j] - np.where(at > 0, cumulative[np.maximum(at - 1, 0)], 0.0)
        return at_most

    ranked = ranked_keys(rest_count, lo, hi, targets)
    candidate_cuts = []
    for j in range(d):
        if observed[j] <= 0:
            candidate_cuts.append(np.empty(0))
            continue
        if not many[j]:
            cuts = key_values(few[j])[:-1]  # step 1: a cut at every value but the largest
        else:
            cuts = np.unique(np.concatenate([key_values(heavy[j]), below[j], key_values(ranked[j])]))
            cuts = cuts[cuts < key_values(np.array([highest[j]], dtype=np.uint64))[0]]
        candidate_cuts.append(cuts[np.isfinite(cuts)])
    at_most = total(_at_most, [ordered_keys(c) for c in candidate_cuts])
    cuts_, weights_ = [], []
    for j in range(d):
        if observed[j] <= 0:
            cuts, weights = np.empty(0), np.array([0.0, 1.0])
        else:
            cuts, weights = merged_cuts(candidate_cuts[j], at_most[j], observed[j], n_nan[j],
                                        observed[j] + n_nan[j], max_bins, min_bin_count)
        cuts_.append(cuts)
        weights_.append(weights)
    return cuts_, weights_
