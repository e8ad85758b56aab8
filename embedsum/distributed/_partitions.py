"""Row partitions of a Dask collection, held on the workers of a ``distributed`` cluster.

A fit over Dask data keeps every partition where it lives: the client holds one future per
partition (its float64 rows, then its bin codes), and each pass sends a small function and
a few small arrays out and gets small sums back, in partition order (docs/design.md#dask).
dask and distributed are imported here, and this module is imported only when a user hands
embedsum a Dask collection.
"""

from __future__ import annotations

import numpy as np


def _as_float_rows(block) -> np.ndarray:
    """A partition's rows as a float64 (rows, columns) array (a pandas frame of numbers too)."""
    values = block.to_numpy(dtype=np.float64, na_value=np.nan) if hasattr(block, "to_numpy") else block
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(len(values), -1)


def _as_vector(block) -> np.ndarray:
    values = block.to_numpy() if hasattr(block, "to_numpy") else block
    return np.asarray(values).reshape(-1)


def _n_rows(block) -> int:
    return len(block)


def block_futures(client, function, collection, *args) -> list:
    """One future per partition of a Dask collection, in partition order: ``function(block,
    *args)`` computed on the workers (the block itself never reaches the client)."""
    import dask

    return list(client.compute([dask.delayed(function)(block, *args) for block in _blocks(collection)]))


def _blocks(collection) -> list:
    """The partitions of a Dask collection as delayed objects, in order."""
    # Unoptimised: dask's optimiser may fuse the partitions of a column selection (a Parquet read
    # of fewer columns), so X and y taken from one frame would no longer pair row for row.
    return list(np.ravel(np.asarray(collection.to_delayed(optimize_graph=False), dtype=object)))


class _RowsOnDemand:
    """The float64 rows of each partition, read anew (as futures) each time they are iterated:
    a pass over them holds a partition only until its result is computed."""

    def __init__(self, client, collection):
        import dask

        self.client = client
        self.blocks = [dask.delayed(_as_float_rows)(block) for block in _blocks(collection)]

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self):
        return iter(self.client.compute(self.blocks))

    def __getitem__(self, i):
        return self.client.compute(self.blocks[i])


class Partitions:
    """The row partitions of ``X`` (and of ``y`` and ``sample_weight``) on a cluster.

    ``X`` is a ``dask.array.Array`` of two dimensions or a ``dask.dataframe.DataFrame`` of
    numbers; ``y`` and ``sample_weight`` are 1-D Dask collections partitioned like ``X``
    (as ``X["col"]`` or ``da.from_array(..., chunks=X.chunks[0])`` are). The client is
    ``distributed``'s default client unless one is given.

    Attributes: ``client``, ``X`` (futures of float64 rows), ``y``, ``sample_weight``
    (futures or None), ``n_rows`` (per partition) and ``n_features``. With
    ``keep_rows=False`` the float rows are not kept: each pass over ``X`` reads them again, so
    that memory holds a pass's results rather than the whole float64 table (docs/design.md#dask);
    ``n_rows`` are then counted from ``y`` when given, and the caller checks X's own rows.
    """

    def __init__(self, X, y=None, sample_weight=None, client=None, keep_rows: bool = True):
        from distributed import default_client

        self.client = default_client() if client is None else client
        if hasattr(X, "columns"):
            self.columns = [str(c) for c in X.columns]
        else:
            if X.ndim != 2:
                raise ValueError(f"X must have two dimensions, got {X.ndim}")
            if X.numblocks[1] != 1:
                X = X.rechunk({1: X.shape[1]})  # partitions hold whole rows
            self.columns = None
        self.X = self._map(_as_float_rows, X) if keep_rows else _RowsOnDemand(self.client, X)
        self.y = None if y is None else self._map(_as_vector, y)
        self.sample_weight = None if sample_weight is None else self._map(_as_vector, sample_weight)
        if keep_rows or self.y is None:
            self.n_rows = np.array(self.client.gather(self.client.map(_n_rows, list(self.X))), dtype=np.int64)
        else:  # counted from y, not by one more read of X: the caller checks X's rows when it reads them
            if len(self.y) != len(self.X):
                raise ValueError("y must be partitioned like X (the same rows in each partition)")
            self.n_rows = np.array(self.client.gather(self.client.map(_n_rows, self.y)), dtype=np.int64)
        for name, parts in (("y", self.y), ("sample_weight", self.sample_weight)):
            if parts is not None:
                sizes = np.array(self.client.gather(self.client.map(_n_rows, parts)))
                if len(sizes) != len(self.n_rows) or np.any(sizes != self.n_rows):
                    raise ValueError(f"{name} must be partitioned like X (the same rows in each partition)")
        self.n_features = len(self.columns) if self.columns is not None else int(X.shape[1])

    def _map(self, function, collection) -> list:
        """One persisted future per partition: ``function`` of the partition."""
        return block_futures(self.client, function, collection)

    def map(self, function, *args, **kwargs) -> list:
        """``function(partition of X, partition of y, partition of sample_weight, *args)`` on
        every partition; the results gathered in partition order."""
        ys = self.y if self.y is not None else [None] * len(self.X)
        ws = self.sample_weight if self.sample_weight is not None else [None] * len(self.X)
        futures = [self.client.submit(function, x, y, w, *args, pure=False, **kwargs)
                   for x, y, w in zip(self.X, ys, ws)]
        return self.client.gather(futures)


def _strided(values, first: int, step: int):
    return values[first::step]


def strided_rows(client, futures, n_rows, step: int) -> np.ndarray:
    """Rows ``0, step, 2 * step, ...`` of the whole table (counted in partition order) of the
    per-partition arrays ``futures``, gathered on the client: an evenly strided subsample."""
    starts = np.concatenate([[0], np.cumsum(n_rows)[:-1]]).astype(np.int64)
    firsts = (-starts) % step
    parts = client.gather([client.submit(_strided, f, int(first), step, pure=False)
                           for f, first in zip(futures, firsts)])
    return np.concatenate(parts)
