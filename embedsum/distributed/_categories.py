"""The categories of partitioned columns, exactly, without gathering the data.

:func:`~embedsum.binning._categories.fit_categories` needs, of a training column, its kind
(number or string: docs/design.md#categorical-features), the count of each category, of the
missing rows and of all rows. All of these merge over row partitions: a column is of string
kind when any partition's counted values hold a string or a boolean, and counts add up
exactly (integers, or sample-weight counts in multiples of 2**-20: docs/design.md#sample-weights).
So each partition reads its columns as the in-memory fit reads a table, reports its kinds,
then the value counts of its keys under the merged kind; the client merges the counts and
applies the same rule (kept when the count reaches ``min_category_count``, sorted). The
categories and bin weights equal ``fit_categories`` on the concatenated rows (a category
``0.0`` of number kind may come back as ``-0.0`` or the reverse: the same category, matched
by ``==``). Memory per partition and on the client grows with the number of distinct
categories, not with rows (a column of numbers with a distinct value per row treated as
categories is the costly case). The codes are then computed per partition by
:func:`partition_category_codes` (docs/design.md#dask).
"""

from __future__ import annotations

import numpy as np

from .._bins import category_missing, category_other, category_unseen
from .._validation import as_frame
from ..binning._categories import _find_sorted, _kind_of, category_keys
from ._cuts import _counts, count_scale
from ._partitions import _as_vector, block_futures


def _read_columns(block, columns):
    """A partition's columns ``columns``, as the in-memory fit reads a table (check_table)."""
    frame = as_frame(block)
    if frame is not None:
        return [frame.columns[j] for j in columns]
    arr = block if isinstance(block, np.ndarray) else np.asarray(block, dtype=object)
    return [arr[:, j] for j in columns]


def _row_counts(w, scale):
    return None if scale is None else _counts(w, scale)


def _kinds(raw_columns, w, scale, columns):
    """Per column: (kind of the counted rows, whether there are any), as fit_categories decides it."""
    counts = _row_counts(w, scale)
    out = []
    for raw, j in zip(raw_columns, columns):
        raw = np.asarray(raw)
        counted = raw if counts is None else raw[counts > 0]
        out.append((_kind_of(counted, j), len(counted) > 0))
    return out


def _value_counts(raw_columns, w, scale, columns, kinds):
    """Per column: (distinct present keys, their counts, count of missing rows, count of rows
    of number kind whose key is NaN without being missing, count of all rows)."""
    counts = _row_counts(w, scale)
    out = []
    for raw, j, kind in zip(raw_columns, columns, kinds):
        keys, missing = category_keys(raw, kind, j)
        present = ~missing if counts is None else ~missing & (counts > 0)
        nan_keys = np.zeros(len(keys), dtype=bool)
        if kind == "number":
            nan_keys = present & np.isnan(keys)
            present &= ~nan_keys
        uniques, inverse = np.unique(keys[present], return_inverse=True)
        inverse = inverse.ravel()
        if counts is None:
            unique_counts = np.bincount(inverse, minlength=len(uniques)).astype(np.float64)
            sums = (float(np.count_nonzero(missing)), float(np.count_nonzero(nan_keys)), float(len(keys)))
        else:
            unique_counts = np.bincount(inverse, weights=counts[present], minlength=len(uniques))
            sums = (float(np.sum(counts[missing])), float(np.sum(counts[nan_keys])), float(np.sum(counts)))
        out.append((uniques, unique_counts) + sums)
    return out


def distributed_categories(X, columns, min_category_count: int, sample_weight=None, client=None):
    """The categories of columns ``columns`` of a Dask collection, as ``fit_categories`` on
    all its rows: ``(kept, rare, bin_weights, kinds)``, one entry per column.

    ``X`` is a ``dask.dataframe.DataFrame`` (pandas partitions: text, category, boolean,
    object or number columns, read as the in-memory fit reads a pandas frame) or a 2-D
    ``dask.array.Array`` whose chunks hold whole rows; ``sample_weight`` a 1-D Dask
    collection partitioned like ``X``. ``kept`` and ``rare`` are sorted (float64 for number
    kind, object of str otherwise); ``bin_weights`` the training fraction of each bin
    (kept categories, other, missing: docs/design.md#bin-codes); ``kinds`` "number" or "str".
    The client is ``distributed``'s default client unless one is given. The categories are
    those of the partitions' values: dask's default ``dataframe.convert-string`` turns object
    columns into text when the frame is made (numbers in them included, as "1.0").
    """
    from distributed import default_client

    client = default_client() if client is None else client
    columns = [int(j) for j in columns]
    raw = block_futures(client, _read_columns, X, columns)
    weights = None if sample_weight is None else block_futures(client, _as_vector, sample_weight)
    if weights is not None and len(weights) != len(raw):
        raise ValueError("sample_weight must be partitioned like X (the same rows in each partition)")
    scale = count_scale(client, weights)
    ws = weights if weights is not None else [None] * len(raw)

    def each(function, *args):
        return client.gather([client.submit(function, r, w, scale, columns, *args, pure=False)
                              for r, w in zip(raw, ws)])

    reports = each(_kinds)
    kinds = []
    for i in range(len(columns)):
        seen = [kind for kind, any_rows in (r[i] for r in reports) if any_rows]
        # As in memory: string kind as soon as one counted value is a string or a boolean.
        kinds.append("str" if "str" in seen else "number" if seen else reports[0][i][0])
    reports = each(_value_counts, kinds)
    kept_, rare_, weights_ = [], [], []
    for i, kind in enumerate(kinds):
        parts = [r[i] for r in reports]
        uniques, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=np.concatenate([p[1] for p in parts]),
                             minlength=len(uniques))
        n_missing, n_nan_keys, total = (sum(p[k] for p in parts) for k in (2, 3, 4))
        keep = counts >= min_category_count
        m = len(np.flatnonzero(keep))
        bins = np.zeros(m + 2)
        bins[:m] = counts[keep]
        bins[category_other(m)] = np.sum(counts[~keep])
        bins[category_missing(m)] = n_missing
        # A key of number kind that is NaN without being missing: the missing bin in an
        # unweighted fit, the "other" bin in a weighted one, as fit_categories codes it.
        bins[category_missing(m) if scale is None else category_other(m)] += n_nan_keys
        dtype = object if kind == "str" else np.float64
        kept_.append(uniques[keep].astype(dtype))
        rare_.append(uniques[~keep].astype(dtype))
        weights_.append(bins / total)
    return kept_, rare_, weights_, kinds


def partition_category_codes(column, kept: np.ndarray, rare: np.ndarray, j: int = 0, counts=None) -> np.ndarray:
    """The training codes of one partition's column under the merged categories: the codes
    ``fit_categories`` gives these rows when fitted on all rows (kept category i -> i, rare
    -> other, missing -> missing; with ``counts``, the rows' sample-weight counts, rows of
    count 0 are "other", as docs/design.md#bin-codes says). A value in neither list is
    unseen.

    Example
    -------
    >>> partition_category_codes(["b", "a", None, "c"], np.array(["b"], dtype=object),
    ...                          np.array(["a", "c"], dtype=object)).tolist()
    [0, 1, 2, 1]
    """
    kind = "number" if kept.dtype.kind == "f" else "str"
    keys, missing = category_keys(column, kind, j)
    m = len(kept)
    present = ~missing if counts is None else ~missing & (np.asarray(counts) > 0)
    codes = np.full(len(keys), category_missing(m) if counts is None else category_other(m), dtype=np.intp)
    if kind == "number":
        present &= ~np.isnan(keys)
    codes[present] = category_unseen(m)
    found, _ = _find_sorted(rare, keys)
    codes[present & found] = category_other(m)
    found, position = _find_sorted(kept, keys)
    codes[present & found] = position[present & found]
    codes[missing] = category_missing(m)
    return codes
