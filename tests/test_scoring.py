"""Scoring: the stable sigmoid and the bit-exact, left-to-right decision value (design.md section 3)."""

import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier
from embedsum.scoring import decision_values, sigmoid

SPECIAL_Z = [1000.0, -1000.0, 1e308, -1e308, math.inf, -math.inf, 0.0, -0.0]
EXPECTED_SIGMOID = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5]


def bits(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.uint64)


# --------------------------------------------------------------------------------------
# sigmoid
# --------------------------------------------------------------------------------------


def test_sigmoid_of_extreme_values_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = sigmoid(np.array(SPECIAL_Z))
        one_by_one = [float(sigmoid(z)) for z in SPECIAL_Z]
    assert batch.tolist() == EXPECTED_SIGMOID
    assert one_by_one == EXPECTED_SIGMOID


@pytest.mark.parametrize("z", SPECIAL_Z)
def test_sigmoid_raises_no_floating_point_error_even_under_errstate_raise(z):
    # A host application may run with np.seterr(all="raise"); scoring must still work there.
    # exp(-|z|) underflows to 0 for |z| > ~745, which is harmless but is a floating-point
    # exception, so the implementation has to silence it locally (np.errstate(under="ignore")).
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        batch = sigmoid(np.array([z]))
        scalar = sigmoid(z)
    expected = EXPECTED_SIGMOID[SPECIAL_Z.index(z)]
    assert batch.tolist() == [expected]
    assert float(scalar) == expected


finite_z = st.floats(allow_nan=False, allow_infinity=True, allow_subnormal=True)


@settings(max_examples=300)
@given(z=finite_z)
def test_sigmoid_is_a_probability_and_symmetric(z):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, s_neg = float(sigmoid(z)), float(sigmoid(-z))
    assert 0.0 <= s <= 1.0
    assert s_neg == pytest.approx(1.0 - s, abs=1e-15)
    if z >= 0:
        assert s >= 0.5
    if z <= 0:
        assert s <= 0.5
    if abs(z) < 700:
        assert s == pytest.approx(1.0 / (1.0 + math.exp(-z)), rel=1e-14)


@settings(max_examples=200)
@given(zs=st.lists(finite_z, min_size=2, max_size=50))
def test_sigmoid_is_monotone(zs):
    z = np.sort(np.array(zs))
    with np.errstate(over="ignore"):  # nextafter(max float, inf) is inf
        z = np.sort(np.concatenate([z, np.nextafter(z, np.inf), np.nextafter(z, -np.inf)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    assert np.all(np.diff(s) >= 0)


# --------------------------------------------------------------------------------------
# decision_values: bit for bit the explicit left-to-right Python sum
# --------------------------------------------------------------------------------------


def reference_bin(v, cuts):
    """bin k holds cuts[k-1] < v <= cuts[k]; NaN gets the missing bin, len(cuts) + 1."""
    if math.isnan(v):
        return len(cuts) + 1
    return sum(1 for c in cuts if c < v)


def reference_decision(row, cuts, scores, intercept):
    """((intercept + s0[b0]) + s1[b1]) + ... with Python floats, left to right."""
    z = float(intercept)
    for v, feature_cuts, feature_scores in zip(row, cuts, scores):
        z = z + float(feature_scores[reference_bin(float(v), [float(c) for c in feature_cuts])])
    return z


# Scores of wildly different magnitudes, so that the order of summation changes the result.
a_score = st.one_of(
    st.sampled_from([1e16, -1e16, 1.0, -1.0, 0.1, 3.0, 0.0, -0.0, 1e308, -1e308, 2.0**-1074, 1e-300]),
    st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True),
    st.builds(lambda m, e: m * 2.0**e, st.floats(-2, 2, allow_nan=False), st.integers(-60, 60)),
)
a_cut = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)


@st.composite
def models(draw):
    d = draw(st.integers(1, 6))
    cuts = [np.array(sorted(draw(st.lists(a_cut, max_size=8, unique=True))), dtype=np.float64) for _ in range(d)]
    scores = [np.array(draw(st.lists(a_score, min_size=len(c) + 2, max_size=len(c) + 2))) for c in cuts]
    return cuts, scores, draw(a_score)


def probe_values(cuts):
    """The cuts, their float neighbours on both sides, NaN, ±inf, ±0.0."""
    values = [math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, -5e-324]
    with np.errstate(over="ignore"):
        for c in cuts:
            values += [float(c), float(np.nextafter(c, np.inf)), float(np.nextafter(c, -np.inf))]
    return values


@st.composite
def rows_for(draw, cuts, max_rows=20):
    n = draw(st.integers(1, max_rows))
    columns = []
    for feature_cuts in cuts:
        value = st.one_of(st.sampled_from(probe_values(feature_cuts)), st.floats(allow_nan=True, allow_infinity=True))
        columns.append(draw(st.lists(value, min_size=n, max_size=n)))
    return np.array(columns, dtype=np.float64).T.copy()


@settings(max_examples=300)
@given(data=st.data())
def test_decision_values_equal_the_left_to_right_python_sum_bit_for_bit(data):
    cuts, scores, intercept = data.draw(models())
    X = data.draw(rows_for(cuts))
    with np.errstate(over="ignore", invalid="ignore"):  # huge scores may overflow; that is part of the contract
        z = decision_values(X, cuts, scores, intercept)
    assert z.dtype == np.float64 and z.shape == (X.shape[0],)
    expected = [reference_decision(row, cuts, scores, intercept) for row in X]
    assert np.array_equal(bits(z), bits(expected))


def test_decision_value_adds_left_to_right():
    # (1 + 1e16) rounds to 1e16, then - 1e16 gives 0; any other order gives 1.
    cuts = [np.array([0.0]), np.array([0.0])]
    scores = [np.array([1e16, 0.0, 0.0]), np.array([-1e16, 0.0, 0.0])]
    z = decision_values(np.array([[-1.0, -1.0]]), cuts, scores, 1.0)
    assert z.tolist() == [0.0]
    assert (1.0 + (1e16 + -1e16)) == 1.0  # the order that must not be used
    # -0.0 + -0.0 is -0.0: the sum starts from the intercept itself, not from +0.0
    z = decision_values(np.array([[1.0, 1.0]]), cuts, [np.array([0.0, -0.0, 0.0])] * 2, -0.0)
    assert np.signbit(z[0])


# --------------------------------------------------------------------------------------
# EmbeddingSumClassifier: one row is bit-identical to the same row in a batch
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * np.array([1.0, 1e-3, 1e6, 1.0])
    X[:, 3] = np.round(X[:, 3])  # ties
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * 1e3 + rng.normal(size=300) > 0).astype(int)
    return EmbeddingSumClassifier(max_bins=12, step_loss_weight=1e-4, embedding_sum_loss_weight=1e-4).fit(X, y)


def _assert_one_row_equals_batch(model, X):
    with np.errstate(over="ignore", invalid="ignore"):
        batch = model.decision_function(X)
        for i in range(X.shape[0]):
            one = model.decision_function(X[i : i + 1])
            assert one.shape == (1,)
            assert bits(one)[0] == bits(batch)[i]
    expected = [reference_decision(row, model.cuts_, model.bin_scores_, model.intercept_) for row in X]
    assert np.array_equal(bits(batch), bits(expected))


@settings(max_examples=50)
@given(data=st.data())
def test_classifier_one_row_equals_batch_bit_for_bit(fitted_model, data):
    X = data.draw(rows_for(fitted_model.cuts_, max_rows=10))
    _assert_one_row_equals_batch(fitted_model, X)


@settings(max_examples=50)
@given(data=st.data())
def test_classifier_one_row_equals_batch_with_order_sensitive_scores(fitted_model, data):
    # Replace the fitted scores by scores of wildly different magnitudes (same shapes).
    model = copy.deepcopy(fitted_model)
    model.bin_scores_ = [
        np.array(data.draw(st.lists(a_score, min_size=len(s), max_size=len(s)))) for s in fitted_model.bin_scores_
    ]
    model.intercept_ = data.draw(a_score)
    X = data.draw(rows_for(model.cuts_, max_rows=10))
    _assert_one_row_equals_batch(model, X)
