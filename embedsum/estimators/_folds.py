"""Folds for cross-validation: rows dealt to k folds, stratified by class, balanced by sample weight.

Sample weights mean repeated rows (docs/design.md#sample-weights): a row stays whole in one
fold, rows of weight 0 are in no fold, and the folds are balanced by weight.
"""

from __future__ import annotations

import heapq

import numpy as np

from .._validation import sample_weight_counts


def stratified_folds(labels, n_splits: int, random_state=None, *, sample_weight=None) -> list:
    """``(train, test)`` row indices of ``n_splits`` folds with the classes spread evenly.

    The rows of each class are shuffled (``numpy.random.default_rng(random_state)``)
    and dealt to the folds in turn, so fold sizes differ by at most one per class.

    With ``sample_weight``, rows of weight 0 are in no fold (they weigh nothing in a fit or
    a score, and the other rows are dealt as if they were not there), and the folds are
    balanced by weight, counted as repeated rows (see
    :func:`~embedsum._validation.sample_weight_counts`): the shuffled rows of each class are
    dealt heaviest first, each to the fold that holds the least weight of its class so far
    (then the least weight in all, then the first fold). A row stays whole: a row of weight
    3 is one record, never split between training and test. With equal weights this deal is
    dealing in turn: the folds above.

    Example
    -------
    >>> folds = stratified_folds([0, 0, 0, 0, 1, 1], 2, random_state=0)
    >>> [sorted(test.tolist()) for _, test in folds]
    [[1, 2, 5], [0, 3, 4]]
    >>> folds = stratified_folds([0, 0, 0, 0, 1, 1], 2, random_state=0, sample_weight=[1, 1, 0, 1, 1, 1])
    >>> [sorted(test.tolist()) for _, test in folds]  # row 2 weighs nothing: in no fold
    [[1, 3, 4], [0, 5]]
    """
    labels = np.asarray(labels)
    n = len(labels)
    rng = np.random.default_rng(random_state)
    counts = np.ones(n) if sample_weight is None else sample_weight_counts(sample_weight)
    used = counts > 0
    equal = bool(np.all(counts[used] == counts[used][0])) if used.any() else True
    fold = np.full(n, -1, dtype=np.intp)
    start = 0
    total = [0.0] * n_splits
    for value in np.unique(labels[used]):
        rows = np.flatnonzero(used & (labels == value))
        rows = rows[rng.permutation(len(rows))]
        if equal:
            # Dealing in turn, continuing where the previous class stopped (the folds stay
            # balanced in size): what the weighted deal below does for equal weights.
            fold[rows] = (start + np.arange(len(rows))) % n_splits
            start += len(rows)
            continue
        # Heaviest first (a stable sort: the shuffle decides among equals), so that the
        # lighter rows even out the fold weights.
        rows = rows[np.argsort(-counts[rows], kind="stable")]
        heap = [(0.0, total[k], k) for k in range(n_splits)]
        heapq.heapify(heap)
        for row, count in zip(rows.tolist(), counts[rows].tolist()):
            class_weight, _, k = heapq.heappop(heap)
            fold[row] = k
            total[k] += count
            heapq.heappush(heap, (class_weight + count, total[k], k))
    return [(np.flatnonzero((fold != k) & (fold >= 0)), np.flatnonzero(fold == k)) for k in range(n_splits)]


def shuffled_folds(n_rows: int, n_splits: int, random_state=None, *, sample_weight=None) -> list:
    """``(train, test)`` row indices of ``n_splits`` folds of shuffled rows (plain k-fold).

    The rows are shuffled (``numpy.random.default_rng(random_state)``) and dealt to the
    folds in turn, so fold sizes differ by at most one: :func:`stratified_folds` with one
    class, ``sample_weight`` included.

    Example
    -------
    >>> folds = shuffled_folds(5, 2, random_state=0)
    >>> sorted(np.concatenate([test for _, test in folds]).tolist())
    [0, 1, 2, 3, 4]
    >>> [len(test) for _, test in folds]
    [3, 2]
    """
    return stratified_folds(np.zeros(n_rows, dtype=np.intp), n_splits, random_state, sample_weight=sample_weight)
