"""Adaptive binning (embedsum/binning/_adaptive.py): the bin contract, sample weights as
repeated rows, and the phenomena it exists for (point masses, tails, few distinct values).

The contract is checked against docs/design.md#bin-codes through ``embedsum._bins``: a
value's bin is ``searchsorted(cuts, v, side="left")``, NaN goes to the missing bin, placed
last; bin weights are fractions of all rows (docs/design.md#sample-weights for weights).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from embedsum._bins import interval_codes, numeric_n_bins
from embedsum.binning._adaptive import AdaptiveDigitizer, adaptive_cuts
from embedsum.binning._digitizer import fit_cuts


def _fractions(column, cuts, counts=None):
    """The fraction of the rows (of their counts) in each bin, by the contract's codes."""
    codes = interval_codes(cuts, np.asarray(column, dtype=np.float64))
    counts = np.ones(len(codes)) if counts is None else np.asarray(counts, dtype=np.float64)
    return np.bincount(codes, weights=counts, minlength=numeric_n_bins(len(cuts))) / counts.sum()


# Columns with what real columns have: point masses (a few repeated values, often 0), a
# long tail over several decades, NaN, and the odd infinity.
point_masses = st.sampled_from([0.0, 1.0, 2.0, -3.5, 100.0])
tail = st.floats(1e-3, 1e6, allow_nan=False, allow_infinity=False)
anything = st.floats(allow_nan=True, allow_infinity=True, width=64)
values = st.one_of(point_masses, point_masses, tail, st.just(np.nan), anything)
columns = hnp.arrays(np.float64, st.integers(1, 300), elements=values)
max_bins = st.integers(2, 40)
min_counts = st.sampled_from([0, 1, 3, 20])


@given(columns, max_bins, min_counts)
@settings(max_examples=200, deadline=None)
def test_cuts_are_strictly_increasing_finite_and_weights_are_the_rows_in_each_bin(column, m, min_count):
    cuts, weights = adaptive_cuts(column, m, min_bin_count=min_count)
    assert cuts.dtype == np.float64 and cuts.ndim == 1
    assert np.all(np.isfinite(cuts))
    assert np.all(np.diff(cuts) > 0)
    assert len(cuts) <= m - 1  # at most max_bins interval bins
    observed = column[~np.isnan(column)]
    assert set(cuts.tolist()) <= set(observed.tolist())  # cuts are observed values
    assert len(weights) == numeric_n_bins(len(cuts))
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(weights, _fractions(column, cuts), rtol=0, atol=1e-12)


@given(columns, max_bins, st.sampled_from([1, 3, 20]))
@settings(max_examples=200, deadline=None)
def test_every_interval_bin_holds_the_minimum_count(column, m, min_count):
    cuts, weights = adaptive_cuts(column, m, min_bin_count=min_count)
    interval_counts = np.round(weights[:-1] * len(column))
    if len(interval_counts) > 1:
        assert interval_counts.min() >= min_count
    assert interval_counts.sum() == np.count_nonzero(~np.isnan(column))


@given(columns, hnp.arrays(np.int64, 300, elements=st.integers(0, 4)), max_bins, min_counts)
@settings(max_examples=200, deadline=None)
def test_integer_weights_are_repeated_rows(column, repeats, m, min_count):
    repeats = repeats[: len(column)].copy()
    repeats[0] = 1  # weights that include a 1: the unit of a count is one row
    cuts, weights = adaptive_cuts(column, m, min_bin_count=min_count, sample_weight=repeats)
    repeated_cuts, repeated_weights = adaptive_cuts(np.repeat(column, repeats), m, min_bin_count=min_count)
    np.testing.assert_array_equal(cuts, repeated_cuts)
    np.testing.assert_allclose(weights, repeated_weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(weights, _fractions(column, cuts, repeats), rtol=0, atol=1e-12)


@given(columns, columns, max_bins, min_counts, st.sampled_from([0.25, 1.0, 7.0]))
@settings(max_examples=100, deadline=None)
def test_rows_of_weight_zero_take_no_part_and_the_scale_of_weights_does_not_matter(column, ignored, m, min_count,
                                                                                  scale):
    both = np.concatenate([column, ignored])
    weight = np.r_[np.ones(len(column)), np.zeros(len(ignored))] * scale
    cuts, weights = adaptive_cuts(both, m, min_bin_count=min_count, sample_weight=weight)
    expected_cuts, expected_weights = adaptive_cuts(column, m, min_bin_count=min_count)
    np.testing.assert_array_equal(cuts, expected_cuts)
    np.testing.assert_allclose(weights, expected_weights, rtol=0, atol=1e-12)


def _zero_inflated(n=20_000, zero_share=0.92, seed=0):
    """A money column: mostly zeros, the rest spread log-uniformly over 1e2 .. 1e5."""
    rng = np.random.default_rng(seed)
    money = np.exp(rng.uniform(np.log(1e2), np.log(1e5), n))
    return np.where(rng.random(n) < zero_share, 0.0, money)


def test_a_zero_inflated_column_gets_the_zero_alone_and_many_bins_in_its_tail():
    x = _zero_inflated()
    cuts, weights = adaptive_cuts(x, 64, min_bin_count=20)
    codes = interval_codes(cuts, x)
    assert np.unique(codes[x == 0]).size == 1  # the zero has a bin ...
    zero_bin = codes[x == 0][0]
    assert np.all(x[codes == zero_bin] == 0)  # ... of its own
    assert weights[zero_bin] == pytest.approx(np.mean(x == 0))
    tail_bins = np.unique(codes[x > 0])
    assert len(tail_bins) >= 50
    # the published cuts, for contrast: the quantiles pile up on the zero
    published, _ = fit_cuts(x, 64)
    assert np.count_nonzero(published > 0) <= 8


def test_a_heavy_value_inside_the_range_gets_a_bin_of_its_own():
    rng = np.random.default_rng(1)
    x = np.where(rng.random(5_000) < 0.3, 50.0, rng.uniform(0, 100, 5_000))
    cuts, _ = adaptive_cuts(x, 16, min_bin_count=20)
    codes = interval_codes(cuts, x)
    fifty = codes[x == 50.0][0]
    assert np.all(x[codes == fifty] == 50.0)


def test_a_column_with_seven_distinct_values_gets_seven_bins():
    rng = np.random.default_rng(2)
    levels = np.array([8.0, 10.0, 12.0, 13.0, 14.0, 16.0, 18.0])  # years of education
    x = rng.choice(levels, 10_000, p=[0.005, 0.095, 0.4, 0.2, 0.15, 0.1, 0.05])
    cuts, weights = adaptive_cuts(x, 64, min_bin_count=20)
    assert cuts.tolist() == levels[:-1].tolist()
    codes = interval_codes(cuts, x)
    for k, level in enumerate(levels):
        assert np.all(codes[x == level] == k)
    np.testing.assert_allclose(weights[:-1], [np.mean(x == level) for level in levels])
    # the published cuts merge the rarest level (0.5% of the rows, 50 rows) away
    assert len(fit_cuts(x, 64)[0]) < len(levels) - 1


def test_a_value_rarer_than_the_minimum_count_joins_its_lighter_neighbour():
    x = np.r_[np.full(100, 1.0), np.full(5, 2.0), np.full(30, 3.0)]
    cuts, _ = adaptive_cuts(x, 64, min_bin_count=20)
    assert cuts.tolist() == [1.0]  # 2 joins 3, the lighter of its neighbours


def test_max_bins_bounds_the_bins_even_without_a_minimum_count():
    x = np.arange(1000.0)
    cuts, weights = adaptive_cuts(x, 10, min_bin_count=0)
    assert len(cuts) == 9
    np.testing.assert_allclose(weights[:-1], 0.1)


def test_missing_values_have_the_last_bin_and_an_all_missing_column_has_only_it():
    cuts, weights = adaptive_cuts([1.0, np.nan, 2.0, np.nan], 8, min_bin_count=1)
    assert cuts.tolist() == [1.0]
    assert weights.tolist() == [0.25, 0.25, 0.5]
    cuts, weights = adaptive_cuts([np.nan, np.nan], 8, min_bin_count=1)
    assert cuts.size == 0 and weights.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("kwargs", [dict(max_bins=1, min_bin_count=1), dict(max_bins=2.5, min_bin_count=1),
                                    dict(max_bins=True, min_bin_count=1), dict(max_bins=8, min_bin_count=-1),
                                    dict(max_bins=8, min_bin_count=np.nan)])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        adaptive_cuts([1.0, 2.0], **kwargs)


def test_an_empty_column_is_refused():
    with pytest.raises(ValueError, match="at least one row"):
        adaptive_cuts([], 8, min_bin_count=1)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 120), st.integers(1, 4)), elements=values),
       max_bins, min_counts)
@settings(max_examples=100, deadline=None)
def test_the_digitizer_applies_the_cuts_of_each_column(X, m, min_count):
    digitizer = AdaptiveDigitizer(max_bins=m, min_bin_count=min_count)
    codes = digitizer.fit_transform(X)
    assert digitizer.n_features_in_ == X.shape[1]
    for j in range(X.shape[1]):
        cuts, weights = adaptive_cuts(X[:, j], m, min_bin_count=min_count)
        np.testing.assert_array_equal(digitizer.cuts_[j], cuts)
        np.testing.assert_array_equal(digitizer.bin_weights_[j], weights)
        np.testing.assert_array_equal(codes[:, j], interval_codes(cuts, X[:, j]))
        assert digitizer.n_bins_[j] == numeric_n_bins(len(cuts))
