"""Scoring: the stable sigmoid and the bit-exact, left-to-right decision value (docs/design.md#scoring-contract)."""

import copy
import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier
from embedsum.scoring._decision import decision_values, sigmoid

from _oracles import assert_same_bits, bits, left_to_right, probe_values, reference_decision, synthetic_multiclass

SPECIAL_Z = [1000.0, -1000.0, 1e308, -1e308, math.inf, -math.inf, 0.0, -0.0]
EXPECTED_SIGMOID = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5]


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


# The oracle is _oracles.reference_decision: ((intercept + s0[b0]) + s1[b1]) + ... in Python floats.


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


@st.composite
def rows_for(draw, cuts, max_rows=20):
    n = draw(st.integers(1, max_rows))
    columns = []
    for feature_cuts in cuts:
        value = st.one_of(st.sampled_from(probe_values(feature_cuts)), st.floats(allow_nan=True, allow_infinity=True))
        columns.append(draw(st.lists(value, min_size=n, max_size=n)))
    return np.array(columns, dtype=np.float64).T.copy()


@settings(max_examples=60)
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


# --------------------------------------------------------------------------------------
# Fast paths (the batch kernel, embedsum/scoring/_batch.py, and the few-rows loop) against the plain loop
# --------------------------------------------------------------------------------------

from embedsum.scoring._batch import (  # noqa: E402
    MAX_COUNTED_CUTS,
    ScoringTables,
    probability_buffers,
    write_probabilities,
)
from embedsum.scoring._decision import (  # noqa: E402
    FEW_ROWS,
    MANY_ROWS,
    class_probabilities,
    decision_values_reference,
)


def old_proba(z):
    """predict_proba as it was computed before the fast paths: two calls of the stable sigmoid."""
    return np.column_stack([sigmoid(-z), sigmoid(z)])


def hard_model():
    """Features with 0, 1, a few, 40 (> 32), 130 (> MAX_COUNTED_CUTS: binary search) and 300 (> 255)
    cuts, one starting at -inf, -0.0 among the cuts, and scores of wildly different magnitudes so
    that any other order of summation changes the bits."""
    rng = np.random.default_rng(1)
    cuts = [
        np.array([]),
        np.array([0.0]),
        np.array([-np.inf, -1.0, 2.5]),
        np.sort(rng.normal(size=40)),
        np.sort(rng.choice(np.arange(-500.0, 500.0), size=130, replace=False)),
        np.array([-0.0, 1.0, 3.0]),
        np.sort(rng.normal(size=300)) * 1e3,
        np.array([5e-324, 1e-300, 1e300]),
    ]
    assert len(cuts[4]) > MAX_COUNTED_CUTS and len(cuts[6]) > 255
    magnitudes = np.array([1e16, -1e16, 1.0, -1.0, 0.1, 3.0, 0.0, -0.0, 1e-300, 2.0**-1074, 7e15])
    scores = [rng.choice(magnitudes, size=len(c) + 2) * rng.choice([1.0, 0.3, -2.5], size=len(c) + 2) for c in cuts]
    return cuts, scores, 0.1


def probe_rows(cuts, n, seed=0):
    """n rows drawn from: NaN, ±inf, ±0.0, the cuts and their float neighbours, wide random values."""
    rng = np.random.default_rng(seed)
    columns = []
    for feature_cuts in cuts:
        special = np.array(probe_values(feature_cuts))
        wide = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4, size=n)
        columns.append(np.where(rng.random(n) < 0.6, rng.choice(special, size=n), wide))
    return np.column_stack(columns)


@pytest.fixture(scope="module")
def hard():
    cuts, scores, intercept = hard_model()
    X = probe_rows(cuts, 120)
    X[:, 5] = np.nan  # an all-NaN column
    return cuts, scores, intercept, X


def test_reference_equals_the_left_to_right_python_sum(hard):
    cuts, scores, intercept, X = hard
    expected = [reference_decision(row, cuts, scores, intercept) for row in X]
    assert_same_bits(decision_values_reference(X, cuts, scores, intercept), expected)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
@pytest.mark.parametrize("chunk_rows", [1, 7, 16])
def test_chunked_kernel_equals_reference_across_chunk_boundaries(hard, chunk_rows, n_threads):
    cuts, scores, intercept, X = hard
    tables = ScoringTables(cuts, scores, intercept)
    assert tables.usable and tables.n_counted == 6 and len(tables.searched) == 2
    tables.chunk_rows = chunk_rows  # small chunks: every boundary and thread split is reached
    c = chunk_rows
    for n in sorted({1, 2, c - 1, c, c + 1, 2 * c - 1, 2 * c, 2 * c + 1, 3 * c + 2, 5 * c, len(X)} - {0}):
        z = tables.decision_values(X[:n], n_threads=n_threads)
        assert_same_bits(z, decision_values_reference(X[:n], cuts, scores, intercept))
        assert_same_bits(tables.probabilities(X[:n], n_threads=n_threads), old_proba(z))


def test_chunked_kernel_at_its_real_chunk_size():
    cuts, scores, intercept = hard_model()
    tables = ScoringTables(cuts, scores, intercept)
    c = tables.chunk_rows
    assert c == 16384
    X = probe_rows(cuts, 2 * c + 1, seed=3)
    expected = decision_values_reference(X, cuts, scores, intercept)
    for n in (c - 1, c, c + 1, 2 * c + 1):
        assert_same_bits(tables.decision_values(X[:n], n_threads=2), expected[:n])
        assert_same_bits(decision_values(X[:n], cuts, scores, intercept), expected[:n])
        assert_same_bits(class_probabilities(X[:n], cuts, scores, intercept), old_proba(expected[:n]))


def test_every_row_count_and_path_equals_reference(hard):
    cuts, scores, intercept, X = hard
    X = np.tile(X, (7, 1))  # 840 rows: past MANY_ROWS
    assert len(X) > MANY_ROWS
    for n in (1, 2, FEW_ROWS, FEW_ROWS + 1, MANY_ROWS - 1, MANY_ROWS, len(X)):
        expected = decision_values_reference(X[:n], cuts, scores, intercept)
        assert_same_bits(decision_values(X[:n], cuts, scores, intercept), expected)
        assert_same_bits(class_probabilities(X[:n], cuts, scores, intercept), old_proba(expected))


def test_memory_layouts_give_the_same_bits(hard):
    cuts, scores, intercept, X = hard
    X = np.tile(X, (7, 1))
    expected = decision_values_reference(X, cuts, scores, intercept)
    big = np.full((2 * X.shape[0], 3 * X.shape[1]), 12345.0)
    big[::2, 1::3] = X
    layouts = {
        "C": np.ascontiguousarray(X),
        "F": np.asfortranarray(X),
        "strided view": big[::2, 1::3],
        "reversed rows": X[::-1][::-1],
        "transposed F": np.ascontiguousarray(X.T).T,
    }
    for name, Xl in layouts.items():
        for n in (1, FEW_ROWS + 3, len(X)):
            assert_same_bits(decision_values(Xl[:n], cuts, scores, intercept), expected[:n])
            assert_same_bits(class_probabilities(Xl[:n], cuts, scores, intercept), old_proba(expected[:n]))


def test_probabilities_are_the_stable_sigmoid_bit_for_bit():
    # Decision values at the edges of the sigmoid: 0, -0.0, underflow of exp (|z| > 708), ±inf.
    z = np.array([0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 36.0, -36.0, 699.0, -701.0, 708.5, -709.0,
                  745.2, -746.0, 1000.0, -1000.0, 1e308, -1e308, np.inf, -np.inf, np.nan])
    out = np.empty((len(z), 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_probabilities(z, out, probability_buffers(len(z)))
    assert_same_bits(out, old_proba(z))
    # The same values through every path: a one-feature model whose scores are these values
    # (and intercept -0.0, so that z is each score itself: -0.0 + x is x, -0.0 included).
    finite = z[np.isfinite(z)]
    cuts = [np.arange(len(finite) - 1, dtype=np.float64)]
    scores = [np.append(finite, 0.0)]
    X = np.arange(len(finite), dtype=np.float64).reshape(-1, 1)
    X_many = np.tile(X, (MANY_ROWS // len(X) + 1, 1))
    with np.errstate(all="raise"):  # scoring silences exp's underflow itself, whatever the caller set
        for rows in [X[i : i + 1] for i in range(len(X))] + [X, X_many]:
            z_rows = decision_values(rows, cuts, scores, -0.0)
            assert_same_bits(z_rows, finite[rows[:, 0].astype(int)])
            assert_same_bits(class_probabilities(rows, cuts, scores, -0.0), old_proba(z_rows))


@settings(max_examples=60)
@given(data=st.data())
def test_fast_paths_equal_reference_on_drawn_models(data):
    cuts, scores, intercept = data.draw(models())
    X = data.draw(rows_for(cuts, max_rows=25))
    with np.errstate(over="ignore", invalid="ignore"):  # huge scores may overflow; that is part of the contract
        expected = decision_values_reference(X, cuts, scores, intercept)
        tables = ScoringTables(cuts, scores, intercept)
        tables.chunk_rows = data.draw(st.integers(1, 8))
        z = tables.decision_values(X, n_threads=data.draw(st.integers(1, 3)))
        assert_same_bits(z, expected)
        assert_same_bits(decision_values(X, cuts, scores, intercept), expected)  # the few-rows loop or numpy
        assert_same_bits(class_probabilities(X, cuts, scores, intercept), old_proba(expected))
        assert_same_bits(tables.probabilities(X, n_threads=2), old_proba(expected))


def test_unusual_arrays_fall_back_to_the_plain_loop():
    cuts, scores, intercept = hard_model()
    X = probe_rows(cuts, MANY_ROWS + 5, seed=4)
    expected = decision_values_reference(X, cuts, scores, intercept)
    variants = {
        "float32 scores": (cuts, [s.astype(np.float32) for s in scores]),
        "cuts as lists": ([c.tolist() for c in cuts], scores),
        "strided arrays": ([np.repeat(c, 2)[::2] for c in cuts], [np.repeat(s, 2)[::2] for s in scores]),
        "big-endian": ([c.astype(">f8") for c in cuts], [s.astype(">f8") for s in scores]),
        "longer scores": (cuts, [np.append(s, 99.0) for s in scores]),
    }
    for name, (c, s) in variants.items():
        exp = decision_values_reference(X, c, s, intercept)
        if name != "float32 scores":
            assert_same_bits(exp, expected)
        for n in (1, FEW_ROWS, len(X)):
            assert_same_bits(decision_values(X[:n], c, s, intercept), exp[:n])
            assert_same_bits(class_probabilities(X[:n], c, s, intercept), old_proba(exp[:n]))


@pytest.mark.parametrize("n_rows", [1, FEW_ROWS + 1, 3 * MANY_ROWS, 200_000])
def test_overflow_is_reported_as_numpy_reports_it(n_rows):
    # Scores that overflow: every path warns (or raises under np.errstate), as the plain loop does,
    # threads included (they run in the caller's np.errstate context).
    cuts, scores = [np.array([0.0])] * 2, [np.array([1e308, 1e308, 0.0])] * 2
    X = np.full((n_rows, 2), -1.0)
    with pytest.warns(RuntimeWarning, match="overflow"):
        z = decision_values(X, cuts, scores, 0.0, n_threads=2)
    assert np.all(z == np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning from any thread would become an exception
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            decision_values(X, cuts, scores, 0.0, n_threads=2)
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            class_probabilities(X, cuts, scores, 0.0, n_threads=2)
        with np.errstate(over="ignore"):
            assert np.all(class_probabilities(X, cuts, scores, 0.0, n_threads=2)[:, 1] == 1.0)


def test_threads_are_not_left_behind(monkeypatch):
    # The pools the kernel makes are recorded and their own threads checked (threading.active_count()
    # would also count threads that other code starts or ends meanwhile).
    import concurrent.futures

    pools = []

    class RecordedPool(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self)

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", RecordedPool)
    cuts, scores, intercept = hard_model()
    X = probe_rows(cuts, 40_000, seed=5)
    decision_values(X, cuts, scores, intercept, n_threads=4)
    class_probabilities(X, cuts, scores, intercept, n_threads=4)
    threads = [thread for pool in pools for thread in pool._threads]
    assert len(pools) == 2 and threads  # the work was shared among threads
    assert not any(thread.is_alive() for thread in threads)


# --------------------------------------------------------------------------------------
# EmbeddingSumClassifier: the public methods on the fast paths
# --------------------------------------------------------------------------------------


def _assert_public_methods_match_reference(model, X):
    z_ref = decision_values_reference(X, model.cuts_, model.bin_scores_, model.intercept_)
    batch_z, batch_p, batch_y = model.decision_function(X), model.predict_proba(X), model.predict(X)
    assert_same_bits(batch_z, z_ref)
    assert_same_bits(batch_p, old_proba(z_ref))
    assert np.array_equal(batch_y, model.classes_[(z_ref > 0).astype(np.intp)])
    for i in range(0, len(X), max(1, len(X) // 25)):
        row = X[i].reshape(1, -1)
        assert_same_bits(model.decision_function(row), batch_z[i : i + 1])
        assert_same_bits(model.predict_proba(row), batch_p[i : i + 1])
        assert model.predict(row).tolist() == [batch_y[i]]


def test_classifier_public_methods_equal_reference_on_every_path(fitted_model):
    X = probe_rows(fitted_model.cuts_, 3 * MANY_ROWS, seed=6)
    for n in (1, FEW_ROWS, FEW_ROWS + 1, len(X)):
        _assert_public_methods_match_reference(fitted_model, X[:n])
    _assert_public_methods_match_reference(fitted_model, np.asfortranarray(X))


def test_classifier_with_order_sensitive_scores_and_many_cuts():
    cuts, scores, intercept = hard_model()
    model = EmbeddingSumClassifier()
    model.classes_ = np.array(["benign", "attack"])
    model.n_features_in_ = len(cuts)
    model.cuts_, model.bin_scores_, model.intercept_ = cuts, scores, intercept
    _assert_public_methods_match_reference(model, probe_rows(cuts, 2 * MANY_ROWS, seed=7))


def test_scoring_reads_the_model_at_every_call(fitted_model):
    # Nothing is cached: edits in place and reassignments show at once, on every path.
    model = copy.deepcopy(fitted_model)
    X = probe_rows(model.cuts_, MANY_ROWS + 1, seed=8)
    for n in (1, len(X)):
        before = model.predict_proba(X[:n])
        model.bin_scores_[0][:] += 1.0
        model.intercept_ = model.intercept_ - 0.5
        after = model.predict_proba(X[:n])
        z_ref = decision_values_reference(X[:n], model.cuts_, model.bin_scores_, model.intercept_)
        assert_same_bits(after, old_proba(z_ref))
        assert not np.array_equal(before, after)
        model.cuts_ = [c + 0.0 for c in model.cuts_]
        model.cuts_[1] = model.cuts_[1][:-1]
        model.bin_scores_ = [s.copy() for s in model.bin_scores_]
        model.bin_scores_[1] = model.bin_scores_[1][1:]
        z_ref = decision_values_reference(X[:n], model.cuts_, model.bin_scores_, model.intercept_)
        assert_same_bits(model.decision_function(X[:n]), z_ref)
    assert sorted(vars(model)) == sorted(vars(fitted_model))  # predicting adds no attribute


def test_one_row_validation_is_unchanged(fitted_model):
    model = copy.deepcopy(fitted_model)
    row = probe_rows(model.cuts_, 1, seed=9)
    with pytest.raises(ValueError, match="X has 3 features, but EmbeddingSumClassifier is expecting 4"):
        model.predict_proba(row[:, :3])
    with pytest.raises(ValueError, match="Expected 2D array"):
        model.predict_proba(row[0])
    with pytest.raises(ValueError, match="non-numeric"):
        model.predict_proba(np.array([["a", "b", "c", "d"]]))
    with pytest.raises(ValueError, match="0 sample"):
        model.predict_proba(np.empty((0, 4)))
    expected = model.predict_proba(row)
    for variant in (row.astype(">f8"), row.tolist(), np.asfortranarray(np.repeat(row, 2, axis=1)[:, ::2])):
        assert_same_bits(model.predict_proba(variant), expected)  # the general path and the fast one agree
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict_proba(row)  # no names at fit, none now: no warning
    model.feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)
    for method in (model.predict_proba, model.decision_function, model.predict):
        with pytest.warns(UserWarning, match="X does not have valid feature names"):
            method(row)


# ----------------------------------------------------------------------------------------------
# Models with categorical features: the pure-Python few-rows path equals the numpy path bit for bit
# ----------------------------------------------------------------------------------------------


def _mixed_model(task="binary"):
    import embedsum

    rng = np.random.default_rng(11)
    n = 3000
    X = np.empty((n, 4), dtype=object)
    X[:, 0] = np.round(rng.normal(size=n), 1)
    X[:, 1] = rng.choice(["tcp", "udp", "icmp", "gre", None, ""], size=n, p=[0.5, 0.3, 0.1, 0.002, 0.05, 0.048])
    X[:, 2] = rng.choice([80.0, 443.0, 22.0, 8080.0, 9999.0], size=n, p=[0.4, 0.4, 0.1, 0.098, 0.002])
    X[:, 3] = rng.poisson(3, size=n).astype(float)
    X[rng.random(n) < 0.05, 3] = np.nan
    signal = X[:, 0].astype(float) + (X[:, 1] == "udp") - (X[:, 2] == 22.0)
    if task == "regression":
        return embedsum.EmbeddingSumRegressor(max_bins=8, categorical_features=[1, 2]).fit(X, signal), X
    y = (signal + rng.normal(size=n) > 0.3).astype(int)
    if task == "multiclass":
        y = y + (X[:, 3].astype(float) > 4)
    return embedsum.EmbeddingSumClassifier(max_bins=8, categorical_features=[1, 2]).fit(X, y), X


def _awkward_rows(model, rng):
    cuts0, cuts3 = model.cuts_[0], model.cuts_[3]
    numbers = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, 3, -2, *cuts0.tolist(), *np.nextafter(cuts0, np.inf).tolist()]
    counts = [np.nan, 0.0, 2, *cuts3.tolist(), 1e9]
    protocols = ["tcp", "udp", "icmp", "gre", None, "", float("nan"), "never seen", True, 3]
    ports = [80.0, 443, 22.0, "8080", 9999.0, 1.5, None, float("nan"), "not a port", ""]
    rows = []
    for _ in range(200):
        rows.append([numbers[rng.integers(len(numbers))], protocols[rng.integers(len(protocols))],
                     ports[rng.integers(len(ports))], counts[rng.integers(len(counts))]])
    return rows


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_few_rows_of_a_model_with_categories_equal_the_numpy_path_bit_for_bit(task):
    model, _ = _mixed_model(task)
    rows = _awkward_rows(model, np.random.default_rng(3))
    batch = model._decision_of(model._validated(np.array(rows, dtype=object)))
    assert model._few_rows_mixed(rows[:1]) is not None  # every kind takes the pure-Python path
    for k in range(0, len(rows), 7):
        chunk = rows[k:k + 1 + k % 10]
        expected = batch[k:k + len(chunk)]
        for given in (chunk, np.array(chunk, dtype=object)):
            z = model.predict(given) if task == "regression" else model.decision_function(given)
            if task != "regression":
                assert_array_equal(model.predict_proba(given), model.predict_proba(np.array(rows, dtype=object))[k:k + len(chunk)])
            assert z.dtype == np.float64
            assert_array_equal(z, expected)


def test_few_rows_path_is_taken_and_falls_back_for_values_it_does_not_convert():
    model, X = _mixed_model()
    row = X[:1].tolist()
    assert model._few_rows_mixed(row) is not None  # the pure-Python path scores it
    assert model._few_rows_mixed([[None, "tcp", 80.0, 1.0]]) is None  # None in a numeric feature: numpy decides
    assert model._few_rows_mixed([["1.5", "tcp", 80.0, 1.0]]) is None  # text in a numeric feature: numpy decides
    assert_array_equal(model.decision_function([["1.5", "tcp", 80.0, 1.0]]),
                       model.decision_function([[1.5, "tcp", 80.0, 1.0]]))
    with pytest.raises(ValueError, match="non-numeric values"):
        model.decision_function([["high", "tcp", 80.0, 1.0]])
    with pytest.raises(TypeError, match="holds a dict"):
        model.decision_function([[1.0, {"a": 1}, 80.0, 1.0]])
    with pytest.raises(ValueError, match="X has 3 features"):
        model.decision_function([[1.0, "tcp", 80.0]])


# ----------------------------------------------------------------------------------------------
# Multiclass: every path gives the same bits, in memory bounded by the output plus a constant
# ----------------------------------------------------------------------------------------------


def _synthetic_multiclass(n_classes, n_features):
    """A multiclass model of random scores (no fit) whose magnitudes make the order of summation matter."""
    magnitudes = np.array([1e16, -1e16, 1.0, -1.0, 0.1, 3.0, 0.0, -0.0, 1e-300, 7e15, 40.0, -700.0])
    return synthetic_multiclass(n_classes, n_features, n_cuts=3, magnitudes=magnitudes)


def _reference_multiclass(model, X):
    """Per class, the plain loop; then the softmax of embedsum/scoring/_links.py in Python floats."""
    from embedsum.scoring._links import _softmax_lists

    z = np.column_stack([
        decision_values_reference(X, model.cuts_, [np.ascontiguousarray(s[:, k]) for s in model.bin_scores_],
                                  float(model.intercept_[k]))
        for k in range(len(model.intercept_))
    ])
    return z, np.array(_softmax_lists(z.tolist()))


@pytest.mark.parametrize("n_classes, chunk_values", [(3, 2**16), (5, 7), (40, 64), (300, 1000)])
def test_multiclass_probabilities_equal_the_reference_on_every_path(n_classes, chunk_values, monkeypatch):
    import embedsum.scoring._codes as codes_to_scores

    monkeypatch.setattr(codes_to_scores, "_CHUNK_VALUES", chunk_values)  # chunks of a few rows: every boundary
    model = _synthetic_multiclass(n_classes, 4)
    X = probe_rows(model.cuts_, 150, seed=12)
    with np.errstate(over="ignore", invalid="ignore"):
        z_ref, p_ref = _reference_multiclass(model, X)
        assert_same_bits(model.decision_function(X), z_ref)
        assert_same_bits(model.predict_proba(X), p_ref)
        assert np.array_equal(model.predict(X), model.classes_[np.argmax(z_ref, axis=1)])
        for i in range(0, len(X), 13):  # one row and a few rows: the same bits
            assert_same_bits(model.predict_proba(X[i:i + 1]), p_ref[i:i + 1])
            assert_same_bits(model.predict_proba(X[i:i + 3]), p_ref[i:i + 3])
            assert_same_bits(model.decision_function(X[i:i + 1]), z_ref[i:i + 1])


def test_multiclass_prediction_memory_is_the_output_plus_a_constant():
    # Temporaries are per chunk of rows (a few MiB) whatever the number of classes: scoring 300
    # rows of a 20,000-class model allocates little more than the (300, 20000) result.
    import tracemalloc

    model = _synthetic_multiclass(20_000, 3)
    X = probe_rows(model.cuts_, 300, seed=13)
    output_bytes = X.shape[0] * 20_000 * 8
    for method in (model.predict_proba, model.decision_function, model.predict):
        tracemalloc.start()  # numpy reports its array buffers to tracemalloc
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                method(X)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak <= output_bytes + 8 * 2**20, (method.__name__, peak / 2**20)


# ----------------------------------------------------------------------------------------------
# Codes -> decision values: the one function of docs/design.md#scoring-contract
# ----------------------------------------------------------------------------------------------

from embedsum.scoring._decision import decision_values_of_codes, multiclass_scores  # noqa: E402

ORDER_SENSITIVE = np.array([1e16, -1e16, 1.0, -1.0, 0.1, 3.0, 0.0, -0.0, 1e-300, 2.0**-1074, 7e15])


def _order_sensitive(rng, shape):
    """Scores whose sum changes bits under any other order of the additions."""
    return rng.choice(ORDER_SENSITIVE, size=shape) * rng.choice([1.0, 0.3, -2.5], size=shape)


@pytest.mark.parametrize("n_outputs", [None, 1, 4])
def test_codes_to_decision_values_add_each_term_left_to_right(n_outputs):
    rng = np.random.default_rng(21)
    n_bins, n = [2, 5, 3, 7, 4], 60
    per_bin = () if n_outputs is None else (n_outputs,)
    tables = [_order_sensitive(rng, (b,) + per_bin) for b in n_bins]
    codes = [rng.integers(0, b, size=n).astype(np.uint8) for b in n_bins]  # as the Digitizer stores them
    intercept = 0.1 if n_outputs is None else _order_sensitive(rng, per_bin)
    expected = left_to_right(np.broadcast_to(intercept, (n,) + per_bin), [t[c] for t, c in zip(tables, codes)])
    got = decision_values_of_codes(codes, tables, intercept)
    assert_same_bits(got, expected)
    assert_same_bits(decision_values_of_codes(codes, tables, intercept, out=np.full(got.shape, np.nan)), expected)
    start = np.broadcast_to(intercept, (n,) + per_bin)
    reordered = left_to_right(start, [t[c] for t, c in zip(tables[::-1], codes[::-1])])
    assert not np.array_equal(bits(reordered), bits(expected))  # the data can tell the order apart
    if n_outputs is not None:  # the chunked K-output path: the same bits
        assert_same_bits(multiclass_scores(codes, tables, intercept), expected)


@pytest.mark.parametrize("n_outputs", [None, 3])
def test_a_pair_term_is_one_more_table_at_the_joint_code(n_outputs):
    # docs/design.md#pair-terms: a pair (a, b) is scored at its joint code code_a * n_b + code_b, from its
    # 2-D table read row by row, after the main effects; the function needs nothing more.
    rng = np.random.default_rng(22)
    n_a, n_b, n = 4, 6, 80
    per_bin = () if n_outputs is None else (n_outputs,)
    main = [_order_sensitive(rng, (n_a,) + per_bin), _order_sensitive(rng, (n_b,) + per_bin)]
    pair = _order_sensitive(rng, (n_a, n_b) + per_bin)
    code_a, code_b = rng.integers(0, n_a, size=n), rng.integers(0, n_b, size=n)
    intercept = 0.1 if n_outputs is None else _order_sensitive(rng, per_bin)
    got = decision_values_of_codes([code_a, code_b, code_a * n_b + code_b],
                                   main + [pair.reshape((n_a * n_b,) + per_bin)], intercept)
    expected = left_to_right(np.broadcast_to(intercept, (n,) + per_bin),
                             [main[0][code_a], main[1][code_b], pair[code_a, code_b]])
    assert_same_bits(got, expected)
