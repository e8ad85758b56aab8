"""Pair terms at scoring time: each pair's joint codes and its table, after the main effects.

A fitted model with pair terms (docs/design.md#pair-terms) holds, per pair ``p``:
``pairs_[p] = (a, b)``, ``pair_cuts_[p] = (cuts_a, cuts_b)`` (None on a categorical axis) and
``pair_scores_[p]``, the table of shape ``(length_a, length_b)`` (``(length_a, length_b, K)``
with K outputs). A numeric axis's code is the interval code of docs/design.md#bin-codes on
the pair's own cuts; a categorical axis's code is its feature's category code, whose
unseen code ``m + 2`` indexes the axis's last entry (:func:`embedsum._bins.pair_axis_length`).
The joint code is :func:`embedsum._bins.pair_code`, and the pair's table, read row by row,
is indexed by it, so that the scoring contract's ``z = z + table[code]`` covers pairs
unchanged: they are terms after the main effects, in their order.
"""

from __future__ import annotations

import numpy as np

from .._bins import numeric_n_bins, pair_axis_length, pair_code
from ..binning._digitizer import bin_codes


def pair_axis_lengths(pair_cuts, pair, n_bins) -> tuple[int, int]:
    """The scoring lengths of a pair's two axes from its cuts and its features' bin counts.

    ``n_bins[j]`` is feature j's number of bins (its scores' length): a categorical axis
    takes its feature's bins plus the unseen entry; a numeric axis its own cuts' bins.

    Example
    -------
    >>> pair_axis_lengths((np.array([0.5]), None), (0, 1), [9, 4])
    (3, 5)
    """
    return tuple(pair_axis_length(int(n_bins[j]), True) if cuts is None else numeric_n_bins(len(cuts))
                 for cuts, j in zip(pair_cuts, pair))


def pair_terms(numeric, main_codes, pairs, pair_cuts, pair_scores, n_bins) -> tuple[list, list]:
    """``(codes, tables)`` of the pair terms, in pair order, for :func:`decision_values_of_codes`.

    ``numeric`` is the (n, d) float64 table (a categorical column's entries unused),
    ``main_codes`` the features' codes (:func:`~embedsum.scoring._codes.feature_codes`),
    ``n_bins`` each feature's number of bins. Each table is ``pair_scores[p]`` read row by row.
    Raises ValueError when a table's shape does not match its axes (a model edited by hand).

    Example
    -------
    >>> import numpy as np
    >>> numeric = np.array([[0.0, 5.0], [2.0, np.nan]])
    >>> codes, tables = pair_terms(numeric, None, [(0, 1)], [(np.array([1.0]), np.array([4.0]))],
    ...                            [np.arange(9.0).reshape(3, 3)], [4, 4])
    >>> codes[0].tolist(), tables[0][codes[0]].tolist()
    ([1, 5], [1.0, 5.0])
    """
    codes, tables = [], []
    for p, ((a, b), cuts) in enumerate(zip(pairs, pair_cuts)):
        table, lengths = _flat_table(p, (a, b), cuts, pair_scores[p], n_bins)
        axis = [main_codes[j] if c is None else np.asarray(bin_codes(numeric[:, j], c), dtype=np.intp)
                for j, c in ((a, cuts[0]), (b, cuts[1]))]
        codes.append(pair_code(axis[0], axis[1], lengths[1]))
        tables.append(table)
    return codes, tables


def _flat_table(p: int, pair, cuts, table, n_bins, one_output: bool = False):
    """``(pair p's table read row by row, its axes' lengths)``; ValueError when its shape does not
    match its axes (a model edited by hand)."""
    table = np.asarray(table, dtype=np.float64)
    lengths = pair_axis_lengths(cuts, pair, n_bins)
    if table.shape[:2] != lengths or (one_output and table.ndim != 2):
        raise ValueError(f"pair_scores_[{p}] has shape {table.shape}; the axes of pair {tuple(pair)} have "
                         f"{lengths[0]} and {lengths[1]} codes")
    return np.ascontiguousarray(table).reshape((lengths[0] * lengths[1],) + table.shape[2:]), lengths


def numeric_pairs(pairs, pair_cuts, pair_scores, n_bins):
    """``(pairs, pair_cuts, flat tables)`` of a one-output model's pair terms whose axes are all
    numeric, for :func:`~embedsum.scoring._decision.decision_values`; None without pairs.

    Raises ValueError when a table's shape does not match its axes (as :func:`pair_terms`).

    Example
    -------
    >>> numeric_pairs([(0, 1)], [(np.array([0.5]), np.array([1.0]))], [np.zeros((3, 3))], [4, 4])[2][0].shape
    (9,)
    """
    if not pairs:
        return None
    tables = []
    for p, ((a, b), cuts) in enumerate(zip(pairs, pair_cuts)):
        table = pair_scores[p]
        if type(table) is np.ndarray and cuts[0] is not None and cuts[1] is not None and table.dtype == np.float64 \
                and table.shape == (numeric_n_bins(len(cuts[0])), numeric_n_bins(len(cuts[1]))):
            tables.append(table.ravel())  # the common case, checked in a few operations: one row is microseconds
            continue
        tables.append(_flat_table(p, (a, b), cuts, table, n_bins, one_output=True)[0])
    return list(pairs), list(pair_cuts), tables
