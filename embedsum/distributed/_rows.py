"""Row-wise results over a Dask collection, lazily: each partition scored by the ordinary numpy path.

A fitted model's ``predict``, ``predict_proba``, ``decision_function`` and ``contributions``
score each partition where it lives, with the same code (and so the same bits: the scoring
contract of docs/design.md#scoring-contract) as an in-memory table of those rows; the result
is a Dask array with one block per partition, computed when asked (docs/design.md#dask).
"""

from __future__ import annotations

import numpy as np


def _scored(block, function, meta):
    # Scoring refuses an empty table; an empty partition has an empty result.
    return meta.copy() if len(block) == 0 else function(block)


def map_rows(function, X, like):
    """``function(partition)`` on every partition of X, as one lazy Dask collection of results
    of the kind of ``like`` (an array of shape ``(rows,) + tail``: a Dask array; a pandas frame:
    a Dask data frame with the same columns).

    X is a ``dask.dataframe.DataFrame`` (pandas partitions) or a 2-D ``dask.array.Array``
    (rechunked to whole rows when its columns are split).
    """
    meta = like.iloc[:0] if hasattr(like, "iloc") else like[:0]
    tail = meta.shape[1:]
    if hasattr(X, "map_partitions"):
        return X.map_partitions(_scored, function, meta, meta=meta)
    if X.ndim != 2:
        raise ValueError(f"X must have two dimensions, got {X.ndim}")
    if X.numblocks[1] != 1:
        X = X.rechunk({1: X.shape[1]})  # partitions hold whole rows
    chunks = (X.chunks[0],) + tuple((t,) for t in tail)
    axes = {} if len(tail) == 1 else {"drop_axis": 1} if not tail else {"new_axis": list(range(2, len(tail) + 1))}
    return X.map_blocks(_scored, function, meta, dtype=meta.dtype, chunks=chunks, meta=meta, **axes)
