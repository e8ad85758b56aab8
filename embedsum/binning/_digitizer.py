"""Quantile binning of each feature, as published (MIRAD), plus a missing-value bin.

docs/design.md#quantile-binning and docs/design.md#bin-merging state the published steps;
the codes are those of docs/design.md#bin-codes (:mod:`embedsum._bins`).

For one column the published steps are:

1. candidate cuts: the unique values of ``np.quantile(x, k / max_bins, method="lower")``
   for ``k = 1 .. max_bins - 1``;
2. the bin of a value ``v`` is ``np.searchsorted(cuts, v, side="left")``: bin ``k``
   holds ``cuts[k-1] < v <= cuts[k]``;
3. bin weights: ``diff([0, mean(x <= c) for c in cuts, 1])``;
4. while the smallest weight is below ``1 / (2 * max_bins)``: take the smallest bin
   (the first on ties), merge it with its lighter neighbour (the left one on ties) by
   deleting the cut between them, and recompute the weights.

embedsum runs these steps on the observed (non-NaN) values of the column and adds
one bin, placed last, for missing values. ``bin_weights_`` are fractions of all
training rows, so the interval weights and the missing weight sum to 1.

**Sample weights** mean what they mean in scikit-learn: a weight of 2 is the row repeated,
0 the row removed, and scaling every weight changes nothing. Each row counts for its
weight in units of the smallest positive weight (see
:func:`~embedsum._validation.sample_weight_counts`); with sorted values ``x_i`` of counts
``c_i`` and cumulative counts ``C_i``, total ``W``, the weighted lower quantile at ``q`` is
the first ``x_i`` with ``C_i > q * (W - 1)``. With unit counts this is index
``floor(q * (n - 1))``, the published cut; with integer counts it is the value at that
index in the column with each row repeated ``c_i`` times, so integer weights that include a
1 give the cuts of the repeated rows exactly. Bin weights and the merge rule use fractions
of the total count. Rows of weight 0 take no part (they place no cut and weigh nothing).
A plain weighted quantile (the first ``C_i >= q * W``) would not reduce to the published
cuts; counting in units of the total weight would not be the repeated rows. Without sample
weights (or with equal ones) the published steps run as they are, bit for bit.
"""

from __future__ import annotations

import numpy as np

from .._bins import interval_codes, numeric_missing, numeric_n_bins
from .._threads import default_n_threads
from .._validation import check_array, check_is_fitted, check_n_features, check_sample_weight, sample_weight_counts


def _cuts_of_sorted(x: np.ndarray, max_bins: int, cumulative=None) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1, 3 and 4 on the sorted observed values ``x`` (no NaN, at least one value);
    ``cumulative`` holds the cumulative counts of weighted values (None: each counts 1)."""
    quantiles = np.arange(1, max_bins) / max_bins
    if cumulative is None:
        # np.quantile(x, q, method="lower") is x_sorted[floor((n - 1) * q)]; x is sorted
        # already, so index it rather than let np.quantile partition a copy again.
        index = np.floor((len(x) - 1) * quantiles).astype(np.intp)
    else:
        # The first value whose cumulative count exceeds q * (W - 1): index floor(q * (n - 1))
        # when every count is 1 (see the module docstring). Counts are exact in float64.
        index = np.searchsorted(cumulative, (cumulative[-1] - 1.0) * quantiles, side="right")
    cuts = np.unique(x[index])
    below = np.searchsorted(x, cuts, side="right")
    if cumulative is None:
        # count / n equals np.mean(x <= c) bit for bit (both divide an exact count by n).
        fractions = below / len(x)
    else:
        fractions = np.where(below > 0, cumulative[np.maximum(below - 1, 0)], 0.0) / cumulative[-1]
    return merge_light_bins(cuts, fractions, max_bins)


def merge_light_bins(cuts: np.ndarray, fractions: np.ndarray, max_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Step 4: merge the lightest interval bin into its lighter neighbour while it weighs less
    than ``1 / (2 * max_bins)``; ``fractions[i]`` is the share of the values at most ``cuts[i]``.

    Returns the kept cuts and the weights of their interval bins. Whoever counts the values
    (one sorted column here, partitions of a distributed column elsewhere) gets the same cuts.

    Example
    -------
    >>> cuts, weights = merge_light_bins(np.array([1.0, 2.0, 3.0]), np.array([0.45, 0.5, 0.95]), 4)
    >>> cuts.tolist(), weights.round(2).tolist()
    ([1.0], [0.45, 0.55])
    """
    min_weight = 1.0 / (2 * max_bins)
    weights = np.diff(np.concatenate([[0.0], fractions, [1.0]]))
    while len(weights) > 1 and weights.min() < min_weight:
        k = int(np.argmin(weights))
        if k == 0:
            merge_left = False
        elif k == len(weights) - 1:
            merge_left = True
        else:
            merge_left = weights[k - 1] <= weights[k + 1]
        cuts = np.delete(cuts, k - 1 if merge_left else k)
        fractions = np.delete(fractions, k - 1 if merge_left else k)
        weights = np.diff(np.concatenate([[0.0], fractions, [1.0]]))
    return cuts, weights


def _sorted_weighted(column: np.ndarray, counts: np.ndarray):
    """``(sorted observed values of positive count, their cumulative counts, count of NaN rows)``."""
    nan = np.isnan(column)
    keep = ~nan & (counts > 0)
    x, c = column[keep], counts[keep]
    order = np.argsort(x, kind="stable")
    return x[order], np.cumsum(c[order]), float(np.sum(counts[nan]))


def _sorted_observed(column: np.ndarray) -> tuple[np.ndarray, int]:
    """The non-NaN values of a 1-D float64 column, sorted (a new array), and the NaN count."""
    nan = np.isnan(column)
    n_nan = int(np.count_nonzero(nan))
    x = column[~nan] if n_nan else np.array(column, dtype=np.float64, order="C")
    # A full sort beats np.partition at the 19 quantiles here: numpy's vectorised sort
    # is ~10x faster than its multi-kth introselect (measured on 10^7 counts).
    x.sort()
    return x, n_nan


def fit_cuts(column, max_bins: int = 20, sample_weight=None) -> tuple[np.ndarray, np.ndarray]:
    """Published cut points of one column and the weights of its interval bins.

    NaN values are left out; an all-NaN column gets no cuts and weights ``[0.0]``.
    ``sample_weight`` weighs the rows as repeated rows (see the module docstring).

    Example
    -------
    >>> cuts, weights = fit_cuts([1.0, 2.0, 3.0, 4.0], max_bins=2)
    >>> cuts.tolist(), weights.tolist()
    ([2.0], [0.5, 0.5])
    >>> cuts, weights = fit_cuts([1.0, 2.0, 3.0, 4.0], max_bins=2, sample_weight=[3, 0, 1, 1])
    >>> cuts.tolist(), weights.tolist()  # the cuts of [1, 1, 1, 3, 4]
    ([1.0], [0.6, 0.4])
    """
    column = np.asarray(column, dtype=np.float64).ravel()
    counts = _row_counts(sample_weight, len(column))
    if counts is None:
        x, _ = _sorted_observed(column)
        cumulative = None
    else:
        x, cumulative, _ = _sorted_weighted(column, counts)
    if len(x) == 0:
        return np.empty(0), np.zeros(1)
    return _cuts_of_sorted(x, max_bins, cumulative)


def _row_counts(sample_weight, n: int):
    """The counts of the rows (see the module docstring), or None when every row counts 1."""
    if sample_weight is None:
        return None
    counts = sample_weight_counts(check_sample_weight(sample_weight, n))
    return None if bool(np.all(counts == 1.0)) else counts


def code_dtype(n_bins: int) -> np.dtype:
    """Smallest unsigned integer dtype that holds codes ``0 .. n_bins - 1``.

    Example
    -------
    >>> code_dtype(256), code_dtype(257)
    (dtype('uint8'), dtype('uint16'))
    """
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_bins - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def bin_codes(column, cuts: np.ndarray) -> np.ndarray:
    """Bin code of each value (docs/design.md#bin-codes): :func:`embedsum._bins.interval_codes`.

    ``searchsorted(cuts, v, "left")``; NaN gets ``numeric_missing(len(cuts))``. ±inf are
    ordinary ordered values and land in the end interval bins. The result is an integer
    array (its dtype depends on the path taken: a long column with few cuts is counted).

    Example
    -------
    >>> bin_codes([-np.inf, 1.0, 1.5, np.inf, np.nan], np.array([1.0, 2.0])).tolist()
    [0, 0, 1, 2, 3]
    """
    column = np.asarray(column, dtype=np.float64)
    if column.ndim == 1 and len(column) >= _MIN_ROWS_FOR_COUNTING and len(cuts) <= _MAX_CUTS_FOR_COUNTING:
        return _count_cuts_below(column, cuts)
    return interval_codes(cuts, column)


def _count_cuts_below(column: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    # The bin is the number of cuts strictly below the value (interval_code's rule): a few
    # branch-free passes beat a binary search per value when there are few cuts. Chunk by
    # chunk, so that the passes run in cache and a strided column is copied once, a chunk
    # at a time.
    n = len(column)
    missing = numeric_missing(len(cuts))
    codes = np.empty(n, dtype=np.uint8)
    size = min(n, _CHUNK_ROWS)
    values, above = np.empty(size), np.empty(size, dtype=bool)
    for start in range(0, n, size):
        stop = min(start + size, n)
        v, mask, out = values[:stop - start], above[:stop - start], codes[start:stop]
        np.copyto(v, column[start:stop])
        out.fill(0)
        for cut in cuts:
            np.greater(v, cut, out=mask)
            out += mask
        np.isnan(v, out=mask)
        if mask.any():
            out[mask] = missing
    return codes


_MIN_ROWS_FOR_COUNTING = 512
_MAX_CUTS_FOR_COUNTING = 32
_CHUNK_ROWS = 2**16


class Digitizer:
    """Bin every feature into published quantile bins plus a missing-value bin.

    Parameters
    ----------
    max_bins : int, default=20
        Number of quantiles that propose cut points; a feature ends with at most
        ``max_bins`` interval bins (fewer after ties and merging) and one missing bin.

    Attributes
    ----------
    cuts_ : list of ndarray
        Strictly increasing cut points of each feature.
    bin_weights_ : list of ndarray
        Training fraction of each bin of each feature (of the rows, or of their sample
        weights): interval bins, then missing.
    n_bins_ : ndarray of int
        Number of bins of each feature, the missing bin included.
    n_features_in_ : int

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [np.nan]])
    >>> Digitizer(max_bins=2).fit_transform(X).ravel().tolist()
    [0, 0, 1, 2]
    """

    def __init__(self, max_bins: int = 20):
        self.max_bins = max_bins

    def fit(self, X, y=None, sample_weight=None) -> "Digitizer":
        """Learn the cut points of every column of X (NaN = missing); ``sample_weight``
        weighs the rows as repeated rows (see the module docstring)."""
        self._fit(X, sample_weight, transform=False)
        return self

    def transform(self, X) -> np.ndarray:
        """Bin codes, shape (n_samples, n_features), in the smallest unsigned dtype."""
        check_is_fitted(self, "cuts_")
        X = check_array(X)
        check_n_features(self, X)
        # Column-major: each feature's codes are contiguous, for whoever reads them per feature.
        codes = np.empty(X.shape, dtype=code_dtype(int(self.n_bins_.max())), order="F")

        def one(j):
            codes[:, j] = bin_codes(X[:, j], self.cuts_[j])

        _for_each_column(one, X.shape)
        return codes

    def fit_transform(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit, then transform X (in one pass over each column; the same result)."""
        return self._fit(X, sample_weight, transform=True)

    def _fit(self, X, sample_weight, *, transform: bool):
        max_bins = self.max_bins
        if isinstance(max_bins, bool) or not isinstance(max_bins, (int, np.integer)) or max_bins < 2:
            raise ValueError(f"max_bins must be an integer >= 2, got {max_bins!r}")
        max_bins = int(max_bins)
        X = check_array(X)
        n, d = X.shape
        counts = _row_counts(sample_weight, n)
        total = None if counts is None else float(np.sum(counts))
        cuts_, weights_ = [None] * d, [None] * d
        # A feature has at most max_bins interval bins (max_bins - 1 cuts) and the missing bin.
        codes = np.empty((n, d), dtype=code_dtype(numeric_n_bins(max_bins - 1)), order="F") if transform else None

        def one(j):
            # One strided read of X per feature; every later pass reads this copy.
            column = np.ascontiguousarray(X[:, j])
            if counts is None:
                x, n_nan = _sorted_observed(column)
                cumulative = None
                # n_nan / n is np.mean(np.isnan(column)) bit for bit: an exact count over n.
                missing = n_nan / n
            else:
                x, cumulative, nan_count = _sorted_weighted(column, counts)
                missing = nan_count / total
            cuts, weights = _cuts_of_sorted(x, max_bins, cumulative) if len(x) else (np.empty(0), np.zeros(1))
            del x, cumulative
            cuts_[j], weights_[j] = cuts, np.append(weights * (1.0 - missing), missing)
            if transform:
                codes[:, j] = bin_codes(column, cuts)

        _for_each_column(one, X.shape)
        self.cuts_, self.bin_weights_ = cuts_, weights_
        self.n_bins_ = np.array([numeric_n_bins(len(c)) for c in self.cuts_], dtype=np.intp)
        self.n_features_in_ = d
        if transform and codes.dtype != code_dtype(int(self.n_bins_.max())):
            codes = codes.astype(code_dtype(int(self.n_bins_.max())), order="F")
        return codes


def _for_each_column(work, shape) -> None:
    """Call ``work(j)`` for every column; on a few threads when the columns are long.

    Each column's work (a copy, a sort, comparison passes) runs in numpy without the GIL.
    """
    n, d = shape
    n_threads = min(default_n_threads(), d) if n >= _MIN_ROWS_FOR_THREADS else 1
    if n_threads <= 1:
        for j in range(d):
            work(j)
        return
    from concurrent.futures import ThreadPoolExecutor  # imported only when a pool is used

    with ThreadPoolExecutor(n_threads) as pool:
        for future in [pool.submit(work, j) for j in range(d)]:
            future.result()


_MIN_ROWS_FOR_THREADS = 2**16
