"""A training table over Dask partitions, binned on the workers, its codes kept there.

The numeric columns' cuts (:mod:`~embedsum.distributed._cuts`, or the adaptive ones of
:mod:`~embedsum.distributed._adaptive_cuts`) and the categorical columns' categories
(:mod:`~embedsum.distributed._categories`) are merged exactly from counts, so they equal
those of the in-memory fit on the same rows. Each partition then reads its block once more
and keeps only its bin codes (uint8 up to 256 bins: docs/design.md#bin-codes); the float64
values read for the cuts are released, so a worker's memory after binning is bounded by the
codes, not by the input (docs/design.md#dask).
"""

from __future__ import annotations

import numpy as np

from ..binning._digitizer import code_dtype
from ._adaptive_cuts import distributed_adaptive_cuts
from ._categories import _read_columns, distributed_categories, partition_category_codes
from ._cuts import _counts, count_scale, distributed_cuts
from ._objective import partition_codes
from ._partitions import Partitions, _as_float_rows


class BinnedTable:
    """The bins of a Dask training table and the futures of its codes, one per partition.

    Attributes: ``cuts``, ``categories``, ``rare_categories``, ``bin_weights`` and
    ``is_categorical`` (as :class:`~embedsum.estimators._fitted_bins.FittedBins` holds them),
    ``codes`` (futures of each partition's (rows, features) codes, Fortran order) and
    ``parts`` (the :class:`~embedsum.distributed._partitions.Partitions` of the target and
    the weights, its float rows released).
    """

    def __init__(self, cuts, categories, rare_categories, bin_weights, is_categorical, codes, parts):
        self.cuts, self.categories, self.rare_categories = cuts, categories, rare_categories
        self.bin_weights, self.is_categorical = bin_weights, is_categorical
        self.codes, self.parts = codes, parts


def _columns_of(X, columns):
    """The Dask collection of the given columns of X (all its rows)."""
    if hasattr(X, "columns"):
        return X[[X.columns[j] for j in columns]]
    return X[:, list(columns)]


def _block_columns(block, columns):
    return block.iloc[:, list(columns)] if hasattr(block, "iloc") else block[:, list(columns)]


def _block_codes(block, w, scale, numeric, cuts, categorical, kept, rare, n_bins_max):
    """A partition's codes: its numeric columns cut, its categorical columns coded, as the
    in-memory fit codes the same rows (docs/design.md#bin-codes)."""
    n = len(block)
    codes = np.empty((n, len(numeric) + len(categorical)), dtype=code_dtype(n_bins_max), order="F")
    if len(numeric):
        codes[:, numeric] = partition_codes(_as_float_rows(_block_columns(block, numeric)), cuts)
    if len(categorical):
        counts = None if scale is None else _counts(w, scale)
        for column, j, k, r in zip(_read_columns(block, categorical), categorical, kept, rare):
            codes[:, j] = partition_category_codes(column, k, r, j, counts)
    return codes


def bin_table(X, y, sample_weight, is_categorical, *, max_bins: int, binning: str = "quantile",
              min_bin_count: int = 5, min_category_count: int = 10, client=None) -> BinnedTable:
    """Bin the Dask table ``X`` on the workers, as :func:`~embedsum.estimators._fitted_bins.fit_bins`
    bins it in memory; ``y`` and ``sample_weight`` (1-D, partitioned like X) are kept as
    futures in the result's ``parts``.
    """
    import dask

    is_categorical = np.asarray(is_categorical, dtype=bool)
    if not hasattr(X, "columns") and X.numblocks[1] != 1:
        X = X.rechunk({1: X.shape[1]})  # partitions hold whole rows
    numeric, categorical = np.flatnonzero(~is_categorical), np.flatnonzero(is_categorical)
    parts = Partitions(_columns_of(X, numeric), y, sample_weight, client=client, keep_rows=False)
    d = len(is_categorical)
    cuts, categories, rare, weights = [None] * d, [None] * d, [None] * d, [None] * d
    if len(numeric):
        if binning == "adaptive":
            numeric_cuts, numeric_weights = distributed_adaptive_cuts(parts, max_bins, min_bin_count)
        else:
            numeric_cuts, numeric_weights = distributed_cuts(parts, max_bins)
        for j, c, w in zip(numeric, numeric_cuts, numeric_weights):
            cuts[j], weights[j] = c, w
    parts.X = None  # the codes are read anew below
    if len(categorical):
        kept, rare_, cat_weights, _ = distributed_categories(X, categorical, min_category_count,
                                                             sample_weight=sample_weight, client=parts.client)
        for i, j in enumerate(categorical):
            categories[j], rare[j], weights[j] = kept[i], rare_[i], cat_weights[i]
    scale = count_scale(parts.client, parts.sample_weight) if len(categorical) else None
    n_bins_max = max(len(w) for w in weights)
    blocks = list(np.ravel(np.asarray(X.to_delayed(optimize_graph=False), dtype=object)))
    ws = parts.sample_weight if parts.sample_weight is not None else [None] * len(blocks)
    codes = parts.client.compute([
        dask.delayed(_block_codes)(block, w, scale, numeric, [cuts[j] for j in numeric], categorical,
                                   [categories[j] for j in categorical], [rare[j] for j in categorical], n_bins_max)
        for block, w in zip(blocks, ws)])
    sizes = np.array(parts.client.gather(parts.client.map(len, codes)))
    if len(sizes) != len(parts.n_rows) or np.any(sizes != parts.n_rows):
        raise ValueError("y and sample_weight must be partitioned like X (the same rows in each partition)")
    return BinnedTable(cuts, categories, rare, weights, is_categorical, codes, parts)
