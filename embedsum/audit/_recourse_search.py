"""The exact search behind recourse: the cheapest set of bin changes whose score gain crosses a line.

With main effects only, a row's decision value is separable: changing feature j to bin k
adds ``gain_jk`` (its score change towards the target) at ``cost_jk``, and features are
independent. The cheapest change is then a multiple-choice knapsack: at most one option
per feature, total gain above ``need``, least total cost. :func:`cheapest` solves it exactly
by dynamic programming over features on Pareto frontiers: after each feature, it keeps the
partial solutions that no other beats on both cost and gain (sorted by cost, strictly
rising gain), and drops those that cannot reach ``need`` even with the best gains left.
With the cost "one per changed feature" a frontier holds at most one state per count, so
it is the sort of best gains that the fewest changes call for.

:func:`k_cheapest` lists diverse solutions in order of cost by Lawler's partitioning: after
a solution with changed features ``S``, the rest of its search space is split into
subspaces where the i-th free feature of ``S`` is left unchanged and the ones before it
must change, so no later solution changes a superset of ``S``.
"""

from __future__ import annotations

import heapq

import numpy as np


class Solution:
    """A cheapest change: ``cost``, total ``gain`` and ``choice`` (feature position -> option index).

    Example
    -------
    >>> Solution(2.0, 0.5, {0: 1}).features
    (0,)
    """

    def __init__(self, cost, gain, choice):
        self.cost, self.gain, self.choice = float(cost), float(gain), dict(sorted(choice.items()))
        self.features = tuple(sorted(self.choice))


def _reaches(gain, need, strict):
    return gain > need if strict else gain >= need


def cheapest(options, need: float, strict: bool, forced=frozenset(), forbidden=frozenset()):
    """The least-cost :class:`Solution` whose total gain exceeds ``need`` (``>=`` if not ``strict``), or None.

    ``options[f]`` has arrays ``costs`` and ``gains`` (one entry per allowed bin of feature
    f); a feature in ``forced`` must change, one in ``forbidden`` must not. Among solutions
    of equal cost the one with the largest gain wins.

    Example
    -------
    >>> class O:
    ...     def __init__(self, costs, gains):
    ...         self.costs, self.gains = np.array(costs), np.array(gains)
    >>> s = cheapest([O([1.0, 3.0], [0.5, 2.0]), O([1.5], [1.0])], 1.2, True)
    >>> s.cost, s.choice
    (2.5, {0: 0, 1: 0})
    """
    stages = []
    free = [f for f in range(len(options)) if f not in forbidden and len(options[f].costs)]
    if any(f in forbidden or not len(options[f].costs) for f in forced):
        return None
    best_left = np.zeros(len(free) + 1)  # the most gain the features after position i can add
    for i in range(len(free) - 1, -1, -1):
        f = free[i]
        top = float(options[f].gains.max())
        best_left[i] = best_left[i + 1] + (top if f in forced else max(top, 0.0))
    cost, gain = np.zeros(1), np.zeros(1)
    for i, f in enumerate(free):
        o = options[f]
        c = (cost[:, None] + o.costs[None, :]).ravel()
        g = (gain[:, None] + o.gains[None, :]).ravel()
        pairs = np.arange(c.size)
        parent, option = pairs // len(o.costs), pairs % len(o.costs)
        if f not in forced:  # or leave it as it is
            c, g = np.concatenate([cost, c]), np.concatenate([gain, g])
            parent = np.concatenate([np.arange(len(cost)), parent])
            option = np.concatenate([np.full(len(cost), -1), option])
        keep = g + best_left[i + 1] >= need  # the rest cannot make up for it otherwise
        c, g, parent, option = c[keep], g[keep], parent[keep], option[keep]
        if not len(c):
            return None
        order = np.lexsort((-g, c))
        c, g, parent, option = c[order], g[order], parent[order], option[order]
        best_before = np.concatenate([[-np.inf], np.maximum.accumulate(g)[:-1]])
        keep = g > best_before  # on the frontier: more gain than every cheaper state
        cost, gain = c[keep], g[keep]
        stages.append((parent[keep], option[keep]))
    hits = np.flatnonzero(_reaches(gain, need, strict))
    if not len(hits):
        return None
    state = int(hits[0])  # the frontier is sorted by cost: the first hit is the cheapest
    best_cost, best_gain, choice = cost[state], gain[state], {}
    for f, (parent, option) in zip(reversed(free), reversed(stages)):
        if option[state] >= 0:
            choice[f] = int(option[state])
        state = int(parent[state])
    return Solution(best_cost, best_gain, choice)


class _Frontier:
    """One feature's options that no other of its options beats on both cost and gain (the
    only ones an optimum can use), with ``index`` into the full list."""

    def __init__(self, options):
        order = np.lexsort((-options.gains, options.costs))
        gains = options.gains[order]
        keep = gains > np.concatenate([[-np.inf], np.maximum.accumulate(gains)[:-1]])
        self.index = order[keep]
        self.costs, self.gains = options.costs[self.index], gains[keep]


def _in_full(solution, frontiers):
    return Solution(solution.cost, solution.gain,
                    {f: int(frontiers[f].index[i]) for f, i in solution.choice.items()})


def k_cheapest(options, need: float, strict: bool, k: int, accept):
    """Up to k solutions in order of cost, none changing a superset of an earlier one's features.

    ``accept(solution)`` returns the solution to report (possibly refined) or None to pass
    over it (e.g. when scoring the changed row does not confirm it); its subspace is split
    all the same.

    Example
    -------
    >>> class O:
    ...     def __init__(self, costs, gains):
    ...         self.costs, self.gains = np.array(costs), np.array(gains)
    >>> found = k_cheapest([O([1.0], [2.0]), O([2.0], [3.0])], 1.0, True, 3, lambda s: s)
    >>> [s.choice for s in found]
    [{0: 0}, {1: 0}]
    """
    out, sets, counter = [], [], 0
    options = [_Frontier(o) for o in options]  # the same optima, on fewer options
    first = cheapest(options, need, strict)
    heap = [] if first is None else [(first.cost, -first.gain, counter, first, frozenset(), frozenset())]
    while heap and len(out) < k:
        _, _, _, solution, forced, forbidden = heapq.heappop(heap)
        changed = set(solution.features)
        if not any(s <= changed for s in sets):
            kept = accept(_in_full(solution, options))
            if kept is not None:
                out.append(kept)
                sets.append(changed)
        free = [f for f in solution.features if f not in forced]
        for i, f in enumerate(free):
            sub_forced, sub_forbidden = forced | frozenset(free[:i]), forbidden | {f}
            found = cheapest(options, need, strict, sub_forced, sub_forbidden)
            if found is not None:
                counter += 1
                heapq.heappush(heap, (found.cost, -found.gain, counter, found, sub_forced, sub_forbidden))
    return out
