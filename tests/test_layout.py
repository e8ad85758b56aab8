"""ParameterLayout: where each feature's bins and the intercept live in the flat vector.

The expected values here are written from the "Conventions" docstring of
embedsum/training/_layout.py (feature j owns coef[offsets[j]:offsets[j+1]]: its interval bins in
order, then one missing-value bin; the intercept is coef[-1]), not read back from the
implementation.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from embedsum.training._layout import ParameterLayout

n_bins_lists = st.lists(st.integers(2, 12), min_size=1, max_size=8)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def layouts_and_coefs(draw):
    n_bins = draw(n_bins_lists)
    coef = draw(hnp.arrays(np.float64, sum(n_bins) + 1, elements=finite))
    return n_bins, coef


@given(n_bins_lists)
@settings(max_examples=150)
def test_offsets_and_sizes_follow_the_conventions(n_bins):
    layout = ParameterLayout(n_bins)
    d = len(n_bins)
    assert layout.n_features == d
    assert layout.offsets.tolist() == [sum(n_bins[:j]) for j in range(d + 1)]
    assert layout.n_params == sum(n_bins) + 1
    assert layout.intercept_index == layout.n_params - 1 == layout.offsets[-1]
    expected_owner = [j for j, k in enumerate(n_bins) for _ in range(k)] + [-1]
    assert layout.feature_of.tolist() == expected_owner
    assert layout.bin_weights is None


@given(layouts_and_coefs())
@settings(max_examples=150)
def test_split_then_join_is_the_identity(problem):
    n_bins, coef = problem
    layout = ParameterLayout(n_bins)
    scores, intercept = layout.split(coef)
    assert len(scores) == len(n_bins)
    assert [len(s) for s in scores] == list(n_bins)
    assert intercept == coef[-1]
    start = 0
    for s, k in zip(scores, n_bins):
        np.testing.assert_array_equal(s, coef[start:start + k])
        start += k
    rebuilt = layout.join(scores, intercept)
    assert rebuilt.dtype == np.float64
    np.testing.assert_array_equal(rebuilt, coef)


@given(layouts_and_coefs())
@settings(max_examples=100)
def test_join_then_split_is_the_identity(problem):
    n_bins, coef = problem
    layout = ParameterLayout(n_bins)
    scores = [coef[:k].copy() + j for j, k in enumerate(n_bins)]
    flat = layout.join(scores, 7.5)
    assert flat.shape == (layout.n_params,)
    again, intercept = layout.split(flat)
    assert intercept == 7.5
    for a, b in zip(again, scores):
        np.testing.assert_array_equal(a, b)


@given(layouts_and_coefs())
@settings(max_examples=50)
def test_split_returns_views_so_writes_reach_the_flat_vector(problem):
    n_bins, coef = problem
    layout = ParameterLayout(n_bins)
    coef = coef.copy()
    scores, _ = layout.split(coef)
    for j, s in enumerate(scores):
        s[:] = j + 1.0
    expected = np.array([j + 1.0 for j, k in enumerate(n_bins) for _ in range(k)])
    np.testing.assert_array_equal(coef[:-1], expected)


def test_join_rejects_wrong_counts():
    layout = ParameterLayout([3, 2])
    with pytest.raises(ValueError, match="feature arrays"):
        layout.join([np.zeros(3)])
    with pytest.raises(ValueError, match="feature 1 has 2 bins"):
        layout.join([np.zeros(3), np.zeros(3)])


@given(n_bins_lists)
@settings(max_examples=150)
def test_step_pairs_are_exactly_the_neighbouring_interval_bins(n_bins):
    layout = ParameterLayout(n_bins)
    left, right = layout.step_left, layout.step_right
    missing = {sum(n_bins[:j + 1]) - 1 for j in range(len(n_bins))}
    intercept = sum(n_bins)
    # Every pair: adjacent, same feature, neither the missing bin nor the intercept.
    np.testing.assert_array_equal(right, left + 1)
    for a, b in zip(left.tolist(), right.tolist()):
        assert a not in missing and b not in missing
        assert a != intercept and b != intercept
        assert layout.feature_of[a] == layout.feature_of[b] >= 0
    # And every neighbouring pair of interval bins is there, each once.
    expected = []
    for j, k in enumerate(n_bins):
        start = sum(n_bins[:j])
        expected += [(start + b, start + b + 1) for b in range(k - 2)]  # k - 1 interval bins
    assert list(zip(left.tolist(), right.tolist())) == expected
    assert len(left) == sum(k - 2 for k in n_bins)


def test_step_pairs_small_example():
    # Features with 3 and 2 interval bins (+ missing): [a0 a1 a2 | M] [b0 b1 | M] bias
    layout = ParameterLayout([4, 3])
    assert layout.step_left.tolist() == [0, 1, 4]
    assert layout.step_right.tolist() == [1, 2, 5]
    # Only one interval bin: no pair at all.
    assert ParameterLayout([2, 2]).step_left.tolist() == []


def test_bin_weights_are_laid_out_with_a_zero_intercept_slot():
    layout = ParameterLayout([3, 2], bin_weights=[[0.2, 0.3, 0.1], [0.6, 0.4]])
    np.testing.assert_array_equal(layout.bin_weights, [0.2, 0.3, 0.1, 0.6, 0.4, 0.0])


@pytest.mark.parametrize(
    "n_bins",
    [[1], [0], [-3], [3, 1], [2, 0, 5], 3, [[2, 3]], [[2], [3]]],
    ids=["one", "zero", "negative", "second-one", "middle-zero", "scalar", "2d-row", "2d-col"],
)
def test_invalid_n_bins_raise_value_error(n_bins):
    with pytest.raises(ValueError):
        ParameterLayout(n_bins)


@pytest.mark.parametrize("n_bins", [[2.5], [3, 3.7]], ids=["2.5", "3.7"])
def test_non_integer_n_bins_raise_value_error(n_bins):
    # A bin count must be a whole number; silently truncating 2.5 to 2 hides a caller's bug.
    with pytest.raises(ValueError):
        ParameterLayout(n_bins)

