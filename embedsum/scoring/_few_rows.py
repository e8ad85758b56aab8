"""The few-rows path: decision values of up to ``FEW_ROWS`` rows in Python floats.

For one row, numpy's per-call costs dominate: a Python loop over the features (``bisect``
on the cuts, Python floats, which are IEEE float64) is several times faster and keeps the
scoring contract of docs/design.md#scoring-contract bit for bit. Each function returns
None when it cannot decide exactly as numpy would (arrays that are not native float64, a
value numpy would convert or refuse, a non-finite sum whose overflow numpy reports and
Python floats do not): the caller then takes the numpy path.

The codes are those of docs/design.md#bin-codes (:mod:`embedsum._bins`). The numeric
models' loop, the one-row path of about 14 us, writes :func:`embedsum._bins.interval_code`
inline (``bisect_left(cuts, v) if v == v else n_cuts + 1``): a function call per feature
costs 2-4 % of a row there.
"""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np

from .._bins import category_missing, category_other, numeric_missing


FEW_ROWS = 10      # up to this many rows, a Python loop beats numpy's per-call costs
_NDARRAY = np.ndarray
_FLOAT64 = np.dtype(np.float64)


def _few_rows_decision(X: np.ndarray, cuts, scores, intercept):
    """Decision values of a few rows as a list of Python floats, or None when the plain
    numpy path must decide: cuts or scores that are not 1-D native float64 arrays, or a
    non-finite sum (whose overflow numpy reports, by warning or by np.errstate, and Python
    floats do not)."""
    d = X.shape[1]
    if len(cuts) != d or len(scores) != d:
        return None
    features = []
    for c, s in zip(cuts, scores):
        # Arrays, read in place: bisect indexes the cuts, item() reads one score as a Python
        # float (memoryviews of them cost 0.4 us each with numpy 2).
        if type(c) is not _NDARRAY or type(s) is not _NDARRAY or c.dtype is not _FLOAT64 \
                or s.dtype is not _FLOAT64 or c.ndim != 1 or s.ndim != 1:
            return None  # not float64: let numpy convert
        features.append((c, s.item, len(c) + 1))  # numeric_missing(len(c)), inline (module docstring)
    z0 = float(np.float64(intercept))
    result = []
    try:
        for row in X.tolist():
            z = z0
            for v, (c, score, missing) in zip(row, features):
                # interval_code(c, v) inline: bisect_left is searchsorted(side="left"); NaN (v != v) is missing.
                z = z + score(bisect_left(c, v) if v == v else missing)
            if not math.isfinite(z):
                return None
            result.append(z)
    except (TypeError, ValueError, IndexError):
        return None  # scores too short: the plain loop says what is wrong
    return result


def few_rows_mixed_decision(rows: list, cuts, scores, intercept, categories, rare_categories, unseen_scores):
    """Decision values of a few rows of a model with categorical features, as Python floats,
    or None when the numpy path must decide.

    ``rows`` are lists of Python values (``X.tolist()``). A numeric feature takes Python
    floats and ints only (anything else, None included, goes to the numpy path, which
    converts or refuses it); a categorical feature's value is keyed by
    :func:`~embedsum.binning._categories.value_key` and found by binary search in the sorted
    kept categories, then in the rare ones (docs/design.md#categorical-features). One
    output (a multiclass model calls it once per class).

    Example
    -------
    >>> import numpy as np
    >>> few_rows_mixed_decision([[0.5, "b"], [2.0, "zzz"]], [np.array([1.0]), None],
    ...     [np.array([-1.0, 1.0, 0.0]), np.array([0.5, 0.25, 0.0])], 0.0,
    ...     [None, np.array(["b"], dtype=object)], [None, np.array([], dtype=object)], [None, 0.125])
    [-0.5, 1.125]
    """
    from ..binning._categories import value_key

    if type(intercept) is not float and np.ndim(intercept) != 0:
        return None
    try:
        score_views = list(map(memoryview, scores))
        if {view.format for view in score_views} != {"d"} or len(score_views) != len(cuts):
            return None
        features = []  # (kind, kept or cuts, rare, unseen score, "other" code, missing code)
        for j, feature_cuts in enumerate(cuts):
            if feature_cuts is None:
                kept, rare = categories[j], rare_categories[j]
                m = len(kept)
                if kept.dtype.kind == "f":  # memoryviews index to Python floats, fast
                    kept, rare, kind = memoryview(kept), memoryview(rare), "number"
                else:
                    kind = "str"
                features.append((kind, kept, rare, float(unseen_scores[j]), category_other(m), category_missing(m)))
            else:
                view = memoryview(feature_cuts)
                if view.format != "d":
                    return None
                features.append((None, view, None, None, None, numeric_missing(len(view))))
        z0 = float(np.float64(intercept))
        result = []
        for row in rows:
            if len(row) != len(features):
                return None
            z = z0
            for j, (v, (kind, a, b, unseen, other, missing), s) in enumerate(zip(row, features, score_views)):
                if kind is None:
                    if type(v) is int:
                        v = float(v)  # rounded as numpy converts it, before comparing with the cuts
                    elif type(v) is not float:
                        return None
                    z = z + s[bisect_left(a, v) if v == v else missing]  # interval_code, inline
                    continue
                key = value_key(v, kind, j)
                if key is None:
                    z = z + s[missing]
                    continue
                i = bisect_left(a, key)
                if i < len(a) and a[i] == key:
                    z = z + s[i]  # a kept category's code is its rank
                    continue
                i = bisect_left(b, key)
                z = z + (s[other] if i < len(b) and b[i] == key else unseen)
            if not math.isfinite(z):
                return None
            result.append(z)
    except (TypeError, ValueError, IndexError, NotImplementedError, OverflowError):
        return None  # the numpy path says what is wrong
    return result


def few_rows_pair_decision(rows: list, cuts, scores, intercept, categories, rare_categories, unseen_scores,
                           pairs, pair_cuts, pair_tables):
    """Decision values of a few rows of a model with pair terms, as Python floats, or None
    when the numpy path must decide (one output; a multiclass model calls it once per class).

    The main effects as :func:`few_rows_mixed_decision` reads them, then each pair term in
    order (docs/design.md#pair-terms): a numeric axis coded on the pair's own cuts, a
    categorical axis by its feature's category code (unseen: its last entry), and
    ``pair_tables[p]`` (the table read row by row, 1-D float64) indexed by the joint code.

    Example
    -------
    >>> import numpy as np
    >>> few_rows_pair_decision([[0.5, 3.0]], [np.array([1.0]), np.array([2.0])],
    ...     [np.array([-1.0, 1.0, 0.0]), np.array([0.5, 0.25, 0.0])], 0.0, [None, None], [None, None],
    ...     [None, None], [(0, 1)], [(np.array([1.0]), np.array([2.0]))], [np.arange(9.0)])
    [0.25]
    """
    from .._bins import category_unseen, pair_axis_length, pair_code
    from ..binning._categories import value_key

    if type(intercept) is not float and np.ndim(intercept) != 0:
        return None
    if all(c is not None for c in cuts):  # numeric features only: the one-row path, lean
        return _numeric_pair_rows(rows, cuts, scores, float(np.float64(intercept)), pairs, pair_cuts, pair_tables)
    try:
        views = list(map(memoryview, list(scores) + list(pair_tables)))
        if {view.format for view in views} != {"d"} or len(scores) != len(cuts):
            return None
        score_views, table_views = views[:len(scores)], views[len(scores):]
        features = []  # (kind, kept or cuts, rare, unseen score, "other", missing, unseen code)
        for j, feature_cuts in enumerate(cuts):
            if feature_cuts is None:
                kept, rare = categories[j], rare_categories[j]
                m = len(kept)
                kind = "str"
                if kept.dtype.kind == "f":
                    kept, rare, kind = memoryview(kept), memoryview(rare), "number"
                features.append((kind, kept, rare, float(unseen_scores[j]), category_other(m),
                                 category_missing(m), category_unseen(m)))
            else:
                view = memoryview(feature_cuts)
                if view.format != "d":
                    return None
                features.append((None, view, None, None, None, numeric_missing(len(view)), None))
        terms = []  # (a, b, coarse cuts a or None, coarse cuts b or None, length of b, table)
        for (a, b), (cuts_a, cuts_b), table in zip(pairs, pair_cuts, table_views):
            coarse = [None if c is None else memoryview(c) for c in (cuts_a, cuts_b)]
            if any(c is not None and c.format != "d" for c in coarse):
                return None
            length_b = (pair_axis_length(len(score_views[b]), True) if cuts_b is None
                        else numeric_missing(len(coarse[1])) + 1)
            terms.append((a, b, coarse[0], coarse[1], length_b, table))
        z0 = float(np.float64(intercept))
        result = []
        for row in rows:
            if len(row) != len(features):
                return None
            z, codes, values = z0, [], []
            for j, (v, (kind, c, rare, unseen, other, missing, unseen_code), s) in enumerate(
                    zip(row, features, score_views)):
                if kind is None:
                    if type(v) is int:
                        v = float(v)  # rounded as numpy converts it, before comparing with the cuts
                    elif type(v) is not float:
                        return None
                    code = bisect_left(c, v) if v == v else missing  # interval_code, inline
                    z = z + s[code]
                else:
                    key = value_key(v, kind, j)
                    if key is None:
                        code = missing
                    else:
                        i = bisect_left(c, key)
                        if i < len(c) and c[i] == key:
                            code = i  # a kept category's code is its rank
                        else:
                            i = bisect_left(rare, key)
                            code = other if i < len(rare) and rare[i] == key else unseen_code
                    z = z + (unseen if code == unseen_code else s[code])
                codes.append(code)
                values.append(v)
            for a, b, cuts_a, cuts_b, length_b, table in terms:
                code_a = codes[a] if cuts_a is None else (
                    bisect_left(cuts_a, values[a]) if values[a] == values[a] else len(cuts_a) + 1)
                code_b = codes[b] if cuts_b is None else (
                    bisect_left(cuts_b, values[b]) if values[b] == values[b] else len(cuts_b) + 1)
                z = z + table[pair_code(code_a, code_b, length_b)]
            if not math.isfinite(z):
                return None
            result.append(z)
    except (TypeError, ValueError, IndexError, NotImplementedError, OverflowError):
        return None  # the numpy path says what is wrong
    return result


def _numeric_pair_rows(rows, cuts, scores, z0: float, pairs, pair_cuts, tables):
    """:func:`few_rows_pair_decision` of a model whose features are all numeric (None: numpy decides).

    As :func:`_few_rows_decision`, the arrays are read in place (bisect indexes the cuts, ``item``
    reads one score): memoryviews of them would cost more than the row."""
    if len(scores) != len(cuts):
        return None
    arrays = list(cuts) + list(scores) + [c for axes in pair_cuts for c in axes] + list(tables)
    for a in arrays:
        if type(a) is not _NDARRAY or a.dtype is not _FLOAT64 or a.ndim != 1:
            return None  # not float64: let numpy convert
    features = [(c, s.item, len(c) + 1) for c, s in zip(cuts, scores)]  # numeric_missing, inline
    terms = [(a, c_a, len(c_a) + 1, b, c_b, len(c_b) + 1, len(c_b) + 2, t.item)
             for (a, b), (c_a, c_b), t in zip(pairs, pair_cuts, tables)]
    result = []
    try:
        for row in rows:
            if len(row) != len(features):
                return None
            z = z0
            values = []
            for v, (c, score, missing) in zip(row, features):
                if type(v) is int:
                    v = float(v)  # rounded as numpy converts it, before comparing with the cuts
                elif type(v) is not float:
                    return None
                z = z + score(bisect_left(c, v) if v == v else missing)  # interval_code, inline
                values.append(v)
            for a, c_a, missing_a, b, c_b, missing_b, length_b, score in terms:
                v_a, v_b = values[a], values[b]
                z = z + score((bisect_left(c_a, v_a) if v_a == v_a else missing_a) * length_b
                              + (bisect_left(c_b, v_b) if v_b == v_b else missing_b))  # pair_code, inline
            if not math.isfinite(z):
                return None
            result.append(z)
    except (TypeError, ValueError, IndexError):
        return None  # tables too short: the numpy path says what is wrong
    return result
