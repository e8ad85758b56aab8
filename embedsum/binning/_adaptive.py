"""Adaptive binning of a numeric column: bins where the data is, under the published bin contract.

The published quantile cuts (:mod:`embedsum.binning._digitizer`) are blind to point masses
and tails: a money column that is 92% zeros puts almost every quantile on the zero, so its
tail, where the signal often is, gets a handful of bins; a column with seven distinct values
can lose some of them to the merge of light bins. Here, for one column:

1. **few distinct values**: a column with at most ``max_bins`` distinct observed values gets
   one bin per value (a cut at every value but the largest);
2. **heavy values**: otherwise, every value that holds at least the share of one bin of the
   rest (``count >= rest / budget``, with ``budget = max_bins`` less the number of heavy
   values, found by a fixed point) gets a bin of its own: a cut at the value and one at the
   largest observed value below it; the dominant value of a zero-inflated column is one;
3. **quantiles of the rest**: the other values get the lower quantiles ``k / budget``
   (``k = 1 .. budget - 1``) of their own distribution, so a tail of 8% of the rows gets
   about ``budget`` bins rather than ``8%`` of ``max_bins``;
4. **a minimum count**: while some interval bin holds fewer than ``min_bin_count`` rows, or
   there are more than ``max_bins`` interval bins, the lightest bin (the first on ties) is
   merged with its lighter neighbour (the left one on ties): the published merge rule, with
   a count of rows in place of the fraction ``1 / (2 * max_bins)``.

The result obeys the contract of docs/design.md#bin-codes (see :mod:`embedsum._bins`): a
strictly increasing array of finite float64 cuts taken from the observed values, the bin of
``v`` is ``searchsorted(cuts, v, side="left")``, NaN goes to the missing bin, placed last.
The binning never looks at the target, so cross-validation folds can share it
(docs/design.md#cross-validation).

**Sample weights** mean repeated rows, as in the digitizer (docs/design.md#sample-weights):
each row counts for :func:`~embedsum._validation.sample_weight_counts` of its weight (units
of the smallest positive weight), so integer weights that include a 1 give the cuts of the
repeated rows exactly, ``min_bin_count`` counts repeated rows, and rows of weight 0 take no
part.

Example
-------
>>> x = np.r_[np.zeros(92), np.arange(1.0, 9.0)]
>>> cuts, weights = adaptive_cuts(x, 4, min_bin_count=2)
>>> cuts.tolist()  # the zero alone, three bins in the tail
[0.0, 3.0, 5.0]
>>> weights.round(2).tolist()  # intervals, then missing
[0.92, 0.03, 0.02, 0.03, 0.0]
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array
from ._digitizer import Digitizer, _row_counts


def _distinct(column: np.ndarray, counts):
    """``(distinct observed values ascending, their counts, count of NaN rows)`` of a float64
    column; ``counts`` are the rows' counts (None: each row counts 1)."""
    nan = np.isnan(column)
    keep = ~nan if counts is None else ~nan & (counts > 0)
    x = column[keep]
    if counts is None:
        x.sort()  # a copy already; sorting in place is the fastest path
    else:
        order = np.argsort(x, kind="stable")
        x = x[order]
    if len(x) == 0:
        return x, x.copy(), float(np.count_nonzero(nan) if counts is None else np.sum(counts[nan]))
    first = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    if counts is None:
        value_counts = np.diff(np.r_[first, len(x)]).astype(np.float64)
        n_nan = float(np.count_nonzero(nan))
    else:
        # Counts are multiples of 2**-20 far below 2**53 (sample_weight_counts): sums are exact.
        value_counts = np.add.reduceat(counts[keep][order], first)
        n_nan = float(np.sum(counts[nan]))
    return x[first], value_counts, n_nan


def _heavy_values(counts: np.ndarray, max_bins: int) -> np.ndarray:
    """Mask of the values that hold at least one bin's share of the rest: the fixed point of
    ``count >= (rows not heavy) / (max_bins - number heavy)``, grown from nothing."""
    heavy = np.zeros(len(counts), dtype=bool)
    for _ in range(max_bins):
        threshold = heavy_threshold(int(np.count_nonzero(heavy)), float(np.sum(counts[~heavy])), max_bins)
        if threshold is None:
            break
        grown = heavy | (counts >= threshold)
        if np.count_nonzero(grown) > max_bins - 1:  # keep room for one bin of the rest
            break
        if np.array_equal(grown, heavy):
            break
        heavy = grown
    return heavy


def heavy_threshold(n_heavy: int, rest: float, max_bins: int):
    """The count from which a value is heavy, given ``n_heavy`` heavy values and the count
    ``rest`` of the other rows; None when the fixed point stops (step 2 of the module
    docstring; shared with the distributed count).

    Example
    -------
    >>> heavy_threshold(1, 30.0, 4), heavy_threshold(3, 30.0, 4)
    (10.0, None)
    """
    budget = max_bins - n_heavy
    if budget < 2 or rest <= 0:
        return None
    return rest / budget


def _candidate_cuts(values: np.ndarray, counts: np.ndarray, max_bins: int) -> np.ndarray:
    """Steps 1 to 3 of the module docstring: candidate cuts, strictly increasing, before merging."""
    if len(values) <= max_bins:
        cuts = values[:-1]
        return cuts[np.isfinite(cuts)]  # -inf is no cut: it falls in bin 0 whatever the cuts
    heavy = _heavy_values(counts, max_bins)
    index = np.flatnonzero(heavy)
    # A heavy value is alone between the value below it and itself.
    cuts = [values[index], values[index[index > 0] - 1]]
    rest = ~heavy
    budget = max_bins - len(index)
    if rest.any() and budget >= 2:
        rest_values, cumulative = values[rest], np.cumsum(counts[rest])
        # The lower quantile of the rest (repeated rows): the first value whose cumulative
        # count exceeds q * (W - 1), as in the digitizer.
        at = np.searchsorted(cumulative, rest_targets(cumulative[-1], budget), side="right")
        cuts.append(rest_values[np.minimum(at, len(rest_values) - 1)])
    cuts = np.unique(np.concatenate(cuts))
    # A cut at the largest value would leave an empty bin; cuts are finite (±inf fall in the end bins).
    return cuts[(cuts < values[-1]) & np.isfinite(cuts)]


def rest_targets(rest: float, budget: int) -> np.ndarray:
    """Step 3's lower quantile ``k / budget`` of ``rest`` repeated rows is the first value whose
    cumulative count exceeds each of these targets, as in the digitizer.

    Example
    -------
    >>> rest_targets(9.0, 4).tolist()
    [2.0, 4.0, 6.0]
    """
    return (rest - 1.0) * (np.arange(1, budget) / budget)


def _merge_light_bins(cuts: np.ndarray, bin_counts: np.ndarray, max_bins: int, min_bin_count: float):
    """Step 4: merge the lightest bin into its lighter neighbour until every bin holds
    ``min_bin_count`` and there are at most ``max_bins`` bins."""
    cuts, bin_counts = list(cuts), list(bin_counts)
    while len(bin_counts) > 1:
        k = int(np.argmin(bin_counts))
        if bin_counts[k] >= min_bin_count and len(bin_counts) <= max_bins:
            break
        if k == 0:
            left = False
        elif k == len(bin_counts) - 1:
            left = True
        else:
            left = bin_counts[k - 1] <= bin_counts[k + 1]
        j = k - 1 if left else k  # bins j and j + 1 merge: cut j goes
        bin_counts[j] += bin_counts.pop(j + 1)
        del cuts[j]
    return np.array(cuts, dtype=np.float64), np.array(bin_counts, dtype=np.float64)


def _cuts_and_weights(column: np.ndarray, counts, max_bins: int, min_bin_count: float):
    values, value_counts, n_nan = _distinct(column, counts)
    total = float(np.sum(value_counts)) + n_nan
    if len(values) == 0:
        return np.empty(0), np.array([0.0, 1.0])
    cuts = _candidate_cuts(values, value_counts, max_bins)
    cumulative = np.cumsum(value_counts)
    below = cumulative[np.searchsorted(values, cuts)]  # the count of values <= each cut
    return merged_cuts(cuts, below, cumulative[-1], n_nan, total, max_bins, min_bin_count)


def merged_cuts(cuts: np.ndarray, below: np.ndarray, observed: float, n_nan: float, total: float,
                max_bins: int, min_bin_count: float) -> tuple[np.ndarray, np.ndarray]:
    """Step 4 from counts alone: the candidate ``cuts``, the count of values at most each
    (``below``), of all observed values, of NaN rows and of all rows; returns the merged cuts
    and the weights of the interval bins, then of the missing bin. Counts are exact sums
    (docs/design.md#sample-weights), so a distributed count gives the same bits.

    Example
    -------
    >>> cuts, weights = merged_cuts(np.array([1.0, 2.0]), np.array([5.0, 6.0]), 10.0, 0.0, 10.0, 8, 2)
    >>> cuts.tolist(), weights.tolist()
    ([1.0], [0.5, 0.5, 0.0])
    """
    bin_counts = np.diff(np.r_[0.0, below, observed])
    cuts, bin_counts = _merge_light_bins(cuts, bin_counts, max_bins, min_bin_count)
    return cuts, np.append(bin_counts, n_nan) / total


def _check_bins(max_bins, min_bin_count) -> tuple[int, float]:
    if isinstance(max_bins, bool) or not isinstance(max_bins, (int, np.integer)) or max_bins < 2:
        raise ValueError(f"max_bins must be an integer >= 2, got {max_bins!r}")
    if isinstance(min_bin_count, bool) or not isinstance(min_bin_count, (int, float, np.number)) \
            or not np.isfinite(min_bin_count) or min_bin_count < 0:
        raise ValueError(f"min_bin_count must be a finite number >= 0, got {min_bin_count!r}")
    return int(max_bins), float(min_bin_count)


def adaptive_cuts(column, max_bins: int = 64, *, min_bin_count: float = 5,
                  sample_weight=None) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive cut points of one column and the weights of all its bins.

    Returns ``(cuts, bin_weights)``: strictly increasing finite float64 cuts (at most
    ``max_bins - 1``), and the fraction of all rows (or of their sample weights) in each
    interval bin, then in the missing bin; the weights sum to 1. An all-NaN column gets no
    cuts and weights ``[0.0, 1.0]``. See the module docstring for the steps and for
    ``sample_weight`` (repeated rows).

    Example
    -------
    >>> cuts, weights = adaptive_cuts([1.0, 2.0, 2.0, 3.0, np.nan], 8, min_bin_count=1)
    >>> cuts.tolist(), weights.tolist()  # few distinct values: one bin each
    ([1.0, 2.0], [0.2, 0.4, 0.2, 0.2])
    >>> adaptive_cuts([1.0, 2.0, 3.0], 8, min_bin_count=1, sample_weight=[2, 0, 1])[0].tolist()
    [1.0]
    """
    max_bins, min_bin_count = _check_bins(max_bins, min_bin_count)
    column = np.asarray(column, dtype=np.float64).ravel()
    if len(column) == 0:
        raise ValueError("adaptive_cuts needs at least one row")
    return _cuts_and_weights(column, _row_counts(sample_weight, len(column)), max_bins, min_bin_count)


class AdaptiveDigitizer(Digitizer):
    """Bin every feature with :func:`adaptive_cuts`, plus a missing-value bin.

    The drop-in counterpart of :class:`~embedsum.binning._digitizer.Digitizer` (same
    attributes, same codes for the same cuts), for estimators that choose their
    regularisation by cross-validation.

    Parameters
    ----------
    max_bins : int, default=64
        At most ``max_bins`` interval bins per feature (and one missing bin).
    min_bin_count : float, default=5
        Rows (repeated rows, with sample weights) that every interval bin holds at least,
        when the column has that many. Small, because the cross-validated step loss smooths
        neighbouring bins (docs/design.md#cross-validation); larger counts lost accuracy on
        small smooth tables and on zero-inflated tails alike.

    Attributes
    ----------
    cuts_ : list of ndarray
    bin_weights_ : list of ndarray
        Training fraction of each bin of each feature: interval bins, then missing.
    n_bins_ : ndarray of int
        Number of bins of each feature, the missing bin included.
    n_features_in_ : int

    Example
    -------
    >>> X = np.array([[0.0], [0.0], [0.0], [5.0], [7.0], [np.nan]])
    >>> AdaptiveDigitizer(max_bins=3, min_bin_count=1).fit_transform(X).ravel().tolist()
    [0, 0, 0, 1, 2, 3]
    """

    def __init__(self, max_bins: int = 64, min_bin_count: float = 5):
        self.max_bins = max_bins
        self.min_bin_count = min_bin_count

    def fit(self, X, y=None, sample_weight=None) -> "AdaptiveDigitizer":
        """Learn the cuts of every column of X (NaN = missing); the target is not used."""
        max_bins, min_bin_count = _check_bins(self.max_bins, self.min_bin_count)
        X = check_array(X)
        counts = _row_counts(sample_weight, X.shape[0])
        fitted = [_cuts_and_weights(np.ascontiguousarray(X[:, j]), counts, max_bins, min_bin_count)
                  for j in range(X.shape[1])]
        self.cuts_ = [cuts for cuts, _ in fitted]
        self.bin_weights_ = [weights for _, weights in fitted]
        self.n_bins_ = np.array([len(w) for w in self.bin_weights_], dtype=np.intp)
        self.n_features_in_ = X.shape[1]
        return self

    def fit_transform(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit, then transform X."""
        return self.fit(X, sample_weight=sample_weight).transform(X)
