"""The document's ``pairs`` field: each pair term's features, axes, table and cell weights, checked.

See :mod:`embedsum.persistence._format` (format_version 5) and docs/design.md#pair-terms.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._bins import numeric_n_bins, pair_axis_length
from .._validation import MAX_BINS
from ._format import _MAX_PAIRS, _PAIR_KEYS, _WEIGHT_SUM_TOLERANCE
from ._values import _bad, _describe, _integer, _list, _numbers, _table


class SavedPairs(NamedTuple):
    """The checked ``pairs`` field, read by the estimator's ``_set_fitted`` as fit's record.

    Example
    -------
    >>> SavedPairs([(0, 1)], [(None, None)], [], []).pairs
    [(0, 1)]
    """

    pairs: list
    cuts: list
    scores: list
    weights: list


def _pairs(value, n_features: int, k: int, is_categorical, n_bins) -> SavedPairs | None:
    """The checked field: None for a model without pairs (an empty list)."""
    entries = _list(value, "pairs", _MAX_PAIRS)
    if not entries:
        return None
    pairs, cuts, scores, weights = [], [], [], []
    for p, entry in enumerate(entries):
        where = f"pairs[{p}]"
        if type(entry) is not dict or list(entry) != list(_PAIR_KEYS):
            raise _bad(where, f"expected an object with exactly the keys {list(_PAIR_KEYS)} in this order, "
                              f"got {_describe(entry)}")
        features = _list(entry["features"], f"{where}.features", 2)
        if len(features) != 2:
            raise _bad(f"{where}.features", f"expected two features, got {len(features)}")
        a, b = (_integer(j, f"{where}.features", 0, n_features - 1) for j in features)
        if a >= b:
            raise _bad(f"{where}.features", f"expected two features in increasing order, got {[a, b]}")
        if (a, b) in pairs:
            raise _bad(f"{where}.features", f"pair {[a, b]} is given twice")
        axes = _list(entry["cuts"], f"{where}.cuts", 2)
        if len(axes) != 2:
            raise _bad(f"{where}.cuts", f"expected one entry per axis, got {len(axes)}")
        pair_cuts, lengths, trained = [], [], []
        for axis, j in zip(axes, (a, b)):
            if is_categorical[j]:
                if axis is not None:
                    raise _bad(f"{where}.cuts", f"feature {j} is categorical: expected null, got {_describe(axis)}")
                pair_cuts.append(None)
                trained.append(int(n_bins[j]))
                lengths.append(pair_axis_length(int(n_bins[j]), True))
                continue
            c = _numbers(axis, f"{where}.cuts", MAX_BINS - 1, neg_inf_first=True)
            if len(c) > 1 and not (c[1:] > c[:-1]).all():
                raise _bad(f"{where}.cuts", "cuts are not strictly increasing")
            pair_cuts.append(c)
            trained.append(numeric_n_bins(len(c)))
            lengths.append(numeric_n_bins(len(c)))
        table = _grid(entry["scores"], f"{where}.scores", lengths, k)
        w = _grid(entry["weights"], f"{where}.weights", trained, 1)[..., 0]
        if (w < 0).any():
            raise _bad(f"{where}.weights", "negative weight; weights are fractions >= 0")
        with np.errstate(over="ignore"):
            total = float(w.sum())
        if not abs(total - 1.0) <= _WEIGHT_SUM_TOLERANCE:
            raise _bad(f"{where}.weights", f"sums to {total!r}; the fractions of a pair's cells sum to 1")
        pairs.append((a, b))
        cuts.append(tuple(pair_cuts))
        scores.append(table if k > 1 else table[..., 0])
        weights.append(w)
    return SavedPairs(pairs, cuts, scores, weights)


def _grid(value, where: str, lengths, k: int) -> np.ndarray:
    """A list of ``lengths[0]`` rows of ``lengths[1]`` numbers (lists of k numbers with k > 1), as (n_a, n_b, k).

    Each list's length is checked before anything is allocated from it."""
    rows = _list(value, where, lengths[0])
    if len(rows) != lengths[0]:
        raise _bad(where, f"has {len(rows)} rows; the axis has {lengths[0]} codes")
    out = []
    for i, row in enumerate(rows):
        cells = _list(row, f"{where}[{i}]", lengths[1])
        if len(cells) != lengths[1]:
            raise _bad(f"{where}[{i}]", f"has {len(cells)} cells; the axis has {lengths[1]} codes")
        out.append(_numbers(cells, f"{where}[{i}]", lengths[1])[:, None] if k == 1
                   else _table(cells, f"{where}[{i}]", k))
    return np.array(out, dtype=np.float64).reshape(lengths[0], lengths[1], k)
