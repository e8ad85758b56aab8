"""The bin contract, written once: which code a value gets, and how many bins a feature has.

Every part of embedsum that turns values into bins (the digitizer, the category coder,
the scoring paths, the batch kernel, the exporters, the readers of saved models) takes
its codes from here; docs/design.md#bin-codes states the contract in words.

Numeric feature with ``c`` cuts (strictly increasing):

- interval codes ``0 .. c``: ``searchsorted(cuts, v, side="left")``, i.e. the number of
  cuts strictly below ``v`` (a value equal to a cut falls in the bin to its left; -inf
  in bin 0, +inf in bin ``c``);
- ``c + 1``: missing (NaN);
- ``c + 2`` bins in all.

Categorical feature with ``m`` kept categories:

- ``0 .. m - 1``: the kept categories, in their stored order;
- ``m``: "other" (categories too rare to keep at fit time);
- ``m + 1``: missing;
- ``m + 2`` bins in all; the code ``m + 2`` marks a category never seen at fit time,
  which has no bin: it is scored by the feature's neutral ("unseen") score.

A pair term ``(a, b)`` (docs/design.md#pair-terms) reads one code per axis: a numeric axis
the interval rule above on the pair's own (coarser) cuts, a categorical axis its feature's
category code. An axis of ``n`` bins has ``pair_axis_length(n, categorical)`` codes at
scoring time (a categorical axis one more, last, for unseen categories), and the pair's
joint code is ``code_a * length_b + code_b`` (:func:`pair_code`, ``a`` the slow index).

Example
-------
>>> numeric_n_bins(3), numeric_missing(3)
(5, 4)
>>> category_other(2), category_missing(2), category_unseen(2), category_n_bins(2)
(2, 3, 4, 4)
>>> interval_code([1.0, 2.0], 1.0), interval_code([1.0, 2.0], 1.5), interval_code([1.0, 2.0], float("nan"))
(0, 1, 3)
>>> pair_axis_length(4, categorical=True), pair_code(2, 1, 5)
(5, 11)
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np


def numeric_missing(n_cuts: int) -> int:
    """The missing-value code of a numeric feature with ``n_cuts`` cuts."""
    return n_cuts + 1


def numeric_n_bins(n_cuts: int) -> int:
    """Number of bins of a numeric feature with ``n_cuts`` cuts (intervals and missing)."""
    return n_cuts + 2


def category_other(n_kept: int) -> int:
    """The code of rare ("other") categories of a feature with ``n_kept`` kept categories."""
    return n_kept


def category_missing(n_kept: int) -> int:
    """The missing-value code of a categorical feature with ``n_kept`` kept categories."""
    return n_kept + 1


def category_unseen(n_kept: int) -> int:
    """The code of a category never seen at fit time (no bin: scored by the unseen score)."""
    return n_kept + 2


def category_n_bins(n_kept: int) -> int:
    """Number of bins of a categorical feature (kept categories, other, missing)."""
    return n_kept + 2


def interval_code(cuts, value: float) -> int:
    """The code of one Python float on a numeric feature (``cuts`` a sorted sequence)."""
    return bisect_left(cuts, value) if value == value else len(cuts) + 1


def interval_codes(cuts: np.ndarray, column: np.ndarray) -> np.ndarray:
    """The codes of a float64 column on a numeric feature, by the plain rule (np.intp).

    Example
    -------
    >>> interval_codes(np.array([1.0, 2.0]), np.array([-np.inf, 1.0, 2.5, np.nan])).tolist()
    [0, 0, 2, 3]
    """
    codes = np.searchsorted(cuts, column, side="left")
    codes[np.isnan(column)] = numeric_missing(len(cuts))
    return codes


def pair_axis_length(n_bins: int, categorical: bool) -> int:
    """Codes of a pair table's axis at scoring time: its ``n_bins`` bins, and for a
    categorical axis one more, last, for a category never seen in training."""
    return n_bins + 1 if categorical else n_bins


def pair_code(code_a, code_b, length_b: int):
    """The joint code of a pair term: ``code_a * length_b + code_b`` (row-major; ints or arrays)."""
    return code_a * length_b + code_b
