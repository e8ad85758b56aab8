"""Categorical features: which columns they are, their categories, and each value's bin.

docs/design.md#categorical-features states the method and docs/design.md#bin-codes the
codes (:mod:`embedsum._bins`). A categorical feature ``j`` with ``m`` kept categories has
``category_n_bins(m)`` bins: one per category seen at least ``min_category_count`` times in
training (rows counted with their sample weights, as repeated rows: see
:func:`fit_categories`; sorted, so that the bins do not depend on row order), the "other"
bin ``category_other(m)`` shared by the rarer categories, and the missing bin
``category_missing(m)`` (None, NaN, pandas NA, ""). A value never seen in training has no
bin: it scores the feature's ``unseen`` value, kept on the model. Codes returned here put
such values at ``category_unseen(m)``.

A feature is of *number* kind when every training value is a number (booleans
excluded): its categories are float64 and a value matches by ``==``. Otherwise it is of
*string* kind: its categories are strings, booleans read as "True"/"False" and other
numbers through ``str()``. pandas, polars and pyarrow are never imported here.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._bins import category_missing, category_n_bins, category_other, category_unseen
from .._validation import _is_temporal_value, _temporal_error, as_frame, check_sample_weight, sample_weight_counts


def _is_missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v == ""
    if isinstance(v, (float, np.floating)):
        return v != v
    # pandas.NA and NaT, recognised without importing pandas
    return type(v).__name__ in ("NAType", "NaTType")


def _check_value_type(v, j: int) -> None:
    # Complex numbers are Numbers but have no float key and no order: refuse them here,
    # rather than let them through to a shape error in fit_categories.
    is_complex = isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real)
    if not is_complex and isinstance(v, (str, bool, np.bool_, numbers.Number, np.str_)):
        return
    if _is_temporal_value(v):
        raise _temporal_error(f"X column {j}", f"a {type(v).__name__}: {v!r}")
    raise TypeError(
        f"X column {j} holds a {type(v).__name__} ({v!r}); each argument must be a string or a number "
        "(a category) or a number (a numeric feature)."
    )


def _values(column) -> np.ndarray:
    values = np.asarray(column)
    return values if values.dtype == object else values.astype(object)


def value_key(v, kind: str, j: int = 0):
    """The key of one value of a categorical feature, or None for a missing value.

    String kind: str as is, booleans "True"/"False", other numbers ``str()``. Number
    kind: ``float(v)``, or NaN (which matches no category) when v does not read as one.
    A value that is neither a string nor a number is a TypeError.

    Example
    -------
    >>> value_key(True, "str"), value_key("2", "number"), value_key("", "str")
    ('True', 2.0, None)
    """
    if _is_missing(v):
        return None
    _check_value_type(v, j)
    if kind == "number":
        try:
            return float(v)
        except (TypeError, ValueError):
            return np.nan
    return v if type(v) is str else str(bool(v)) if isinstance(v, (bool, np.bool_)) else str(v)


def category_keys(column, kind: str, j: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, missing mask)`` of a column: float64 keys for number kind, str keys otherwise.

    Each key is :func:`value_key`'s; missing values get NaN or "".

    Example
    -------
    >>> keys, missing = category_keys(["a", None, True, 3], "str")
    >>> keys.tolist(), missing.tolist()
    (['a', '', 'True', '3'], [False, True, False, False])
    """
    raw = np.asarray(column)
    if kind == "number" and raw.dtype.kind in "biuf":
        keys = raw.astype(np.float64)
        return keys, np.isnan(keys)
    keys = [value_key(v, kind, j) for v in _values(raw).tolist()]
    missing = np.fromiter((k is None for k in keys), dtype=bool, count=len(keys))
    if kind == "number":
        return np.array([np.nan if k is None else k for k in keys], dtype=np.float64), missing
    out = np.empty(len(keys), dtype=object)
    out[:] = ["" if k is None else k for k in keys]
    return out, missing


def _kind_of(column, j: int) -> str:
    raw = np.asarray(column)
    if raw.dtype.kind in "iuf":
        return "number"
    if raw.dtype.kind in "bUS":
        return "str"
    for v in _values(raw):
        if _is_missing(v):
            continue
        _check_value_type(v, j)
        if isinstance(v, (bool, np.bool_, str, np.str_)):
            return "str"
    return "number"


def fit_categories(column, min_category_count: int, j: int = 0, sample_weight=None):
    """Categories of one training column: ``(kept, rare, codes, bin_weights)``.

    ``kept`` and ``rare`` are sorted arrays (float64 for number kind, object of str
    otherwise); ``codes`` are the training rows' bins; ``bin_weights`` the fraction of
    rows in each of the ``category_n_bins(len(kept))`` bins.

    With ``sample_weight``, a row counts for its weight in units of the smallest positive
    weight (:func:`~embedsum._validation.sample_weight_counts`), as if repeated: a category
    is kept when its rows count for at least ``min_category_count`` (two rows of weight 1.5
    where the smallest weight is 0.5 count 6), ``bin_weights`` are fractions of the total
    weight, and rows of weight 0 take no part: a value seen only in them is no category (it
    scores as unseen) and does not decide the feature's kind. Their codes are the "other" bin.

    Example
    -------
    >>> kept, rare, codes, weights = fit_categories(["b", "a", "b", None, "c"], 2)
    >>> kept.tolist(), rare.tolist(), codes.tolist(), weights.tolist()
    (['b'], ['a', 'c'], [0, 1, 0, 2, 1], [0.4, 0.4, 0.2])
    >>> kept, rare, codes, weights = fit_categories(["b", "a", "b", None, "c"], 2, sample_weight=[1, 2, 1, 1, 0])
    >>> kept.tolist(), rare.tolist(), codes.tolist(), weights.tolist()
    (['a', 'b'], [], [1, 0, 1, 3, 2], [0.4, 0.4, 0.0, 0.2])
    """
    counts = None
    if sample_weight is not None:
        raw = np.asarray(column)
        counts = sample_weight_counts(check_sample_weight(sample_weight, len(raw)))
        if bool(np.all(counts == 1.0)):
            counts = None
    if counts is None:
        kind = _kind_of(column, j)
    else:
        for v in _values(raw).tolist():
            _check_value_type_or_missing(v, j)  # every value is checked, as without weights
        kind = _kind_of(raw[counts > 0], j)
    keys, missing = category_keys(column, kind, j)
    n = len(keys)
    present = ~missing
    if counts is not None:
        present &= counts > 0
    present_keys = keys[present]
    if kind == "number":
        # (NaN cannot happen among weighted training rows: the kind is by value)
        not_nan = ~np.isnan(present_keys)
        present_keys, present = present_keys[not_nan], np.flatnonzero(present)[not_nan]
    uniques, inverse = np.unique(present_keys, return_inverse=True)
    inverse = inverse.ravel()
    if counts is None:
        unique_counts = np.bincount(inverse, minlength=len(uniques))
    else:
        unique_counts = np.bincount(inverse, weights=counts[present], minlength=len(uniques))
    keep = unique_counts >= min_category_count
    kept, rare = uniques[keep], uniques[~keep]
    m = len(kept)
    other, missing_code, n_bins = category_other(m), category_missing(m), category_n_bins(m)
    # Bin of each unique value: its rank among the kept ones, or the "other" bin.
    bin_of_unique = np.where(keep, np.cumsum(keep) - 1, other)
    # Rows not present: missing ones, or (weighted fit) rows of weight 0, which are "other".
    codes = np.full(n, missing_code if counts is None else other, dtype=np.intp)
    codes[present] = bin_of_unique[inverse]
    codes[missing] = missing_code
    if counts is None:
        weights = np.bincount(codes, minlength=n_bins) / n
    else:
        weights = np.bincount(codes, weights=counts, minlength=n_bins) / float(np.sum(counts))
    if kind == "str":
        kept, rare = kept.astype(object), rare.astype(object)
    return kept, rare, codes, weights


def _check_value_type_or_missing(v, j: int) -> None:
    if not _is_missing(v):
        _check_value_type(v, j)


def encode_categories(column, categories: np.ndarray, rare: np.ndarray, j: int = 0) -> np.ndarray:
    """Bin code of each value (docs/design.md#bin-codes): kept category i -> i, rare ->
    ``category_other(m)``, missing -> ``category_missing(m)``, unseen -> ``category_unseen(m)``.

    Example
    -------
    >>> encode_categories(["b", "a", None, "zzz"], np.array(["b"], dtype=object),
    ...                   np.array(["a"], dtype=object)).tolist()
    [0, 1, 2, 3]
    """
    kind = "number" if categories.dtype.kind == "f" else "str"
    keys, missing = category_keys(column, kind, j)
    m = len(categories)
    codes = np.full(len(keys), category_unseen(m), dtype=np.intp)
    # Both lists are sorted (as fit_categories leaves them): a binary search per value costs
    # nothing per category, where building a dict at every call would cost O(categories).
    found, position = _find_sorted(rare, keys)
    codes[found] = category_other(m)
    found, position = _find_sorted(categories, keys)
    codes[found] = position[found]
    codes[missing] = category_missing(m)
    return codes


def _find_sorted(sorted_values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(found, position)``: whether each key is in ``sorted_values``, and where."""
    if len(sorted_values) == 0 or len(keys) == 0:
        return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.intp)
    position = np.minimum(np.searchsorted(sorted_values, keys), len(sorted_values) - 1)
    return np.asarray(sorted_values[position] == keys, dtype=bool), position


def auto_categorical(X) -> np.ndarray | None:
    """Which columns ``categorical_features="auto"`` makes categorical, or None for all-numeric input.

    Data frame columns (pandas, polars, Arrow) of string, category or bool dtype are
    categorical, and object columns holding anything but numbers; in an array, columns of
    strings or booleans (and object columns holding any) are.

    Example
    -------
    >>> auto_categorical(np.array([[1.0, "a"]], dtype=object)).tolist()
    [False, True]
    """
    frame = as_frame(X)
    if frame is not None:
        return frame.text.copy() if frame.text.any() else None
    raw = X if isinstance(X, np.ndarray) else None
    if raw is None:
        try:
            raw = np.asarray(X)
        except (ValueError, TypeError):
            raw = np.asarray(X, dtype=object)
    if raw.ndim != 2 or raw.dtype.kind in "iufc":
        return None
    if raw.dtype.kind == "b":
        return np.ones(raw.shape[1], dtype=bool)
    if raw.dtype.kind in "US":
        # Arrays of strings: a column is categorical when a value does not read as a number.
        mask = np.array([not _all_numeric_text(raw[:, j]) for j in range(raw.shape[1])], dtype=bool)
    else:
        mask = np.array([_kind_of(_numeric_text_as_numbers(raw[:, j]), j) == "str" for j in range(raw.shape[1])],
                        dtype=bool)
    return mask if mask.any() else None


def _all_numeric_text(column) -> bool:
    for v in column.tolist():
        if _is_missing(v):
            continue
        try:
            float(v)
        except ValueError:
            return False
    return True


def _numeric_text_as_numbers(column):
    # Object columns: a string that reads as a number (e.g. "1.5" from a CSV) stays numeric.
    out = column.copy()
    for i, v in enumerate(column.tolist()):
        if isinstance(v, str) and not _is_missing(v):
            try:
                out[i] = float(v)
            except ValueError:
                pass
    return out


def resolve_categorical_features(categorical_features, X, n_features: int, names) -> np.ndarray:
    """The boolean mask of categorical features from the ``categorical_features`` parameter.

    Accepts None (none), "auto", a boolean mask, integer indices, or column names
    (when X had string column names).

    Example
    -------
    >>> resolve_categorical_features([1], None, 3, None).tolist()
    [False, True, False]
    """
    if categorical_features is None:
        return np.zeros(n_features, dtype=bool)
    if isinstance(categorical_features, str):
        if categorical_features != "auto":
            raise ValueError(
                f"categorical_features must be 'auto', None, a boolean mask, indices or column names; "
                f"got {categorical_features!r}"
            )
        mask = auto_categorical(X)
        return np.zeros(n_features, dtype=bool) if mask is None else mask
    values = np.asarray(categorical_features)
    if values.ndim != 1:
        raise ValueError(f"categorical_features must be 1-D, got shape {values.shape}")
    if values.dtype.kind == "b":
        if len(values) != n_features:
            raise ValueError(
                f"categorical_features is a boolean mask of {len(values)} values; X has {n_features} features."
            )
        return values.astype(bool)
    mask = np.zeros(n_features, dtype=bool)
    if len(values) == 0:
        return mask
    if values.dtype.kind in "iu":
        if values.min() < -n_features or values.max() >= n_features:
            raise ValueError(
                f"categorical_features holds an index out of range for {n_features} features: {values.tolist()}"
            )
        mask[values] = True
        return mask
    if values.dtype.kind in "UO":
        if names is None:
            raise ValueError(
                "categorical_features holds column names, but X has no column names; pass indices or a mask."
            )
        position = {name: i for i, name in enumerate(list(names))}
        missing = [v for v in values.tolist() if v not in position]
        if missing:
            raise ValueError(f"categorical_features names columns that X does not have: {missing}")
        mask[[position[v] for v in values.tolist()]] = True
        return mask
    raise ValueError(f"categorical_features must hold indices, column names or booleans; got {values.tolist()!r}")
