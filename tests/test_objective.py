"""The fused objective: gradient vs finite differences, stable log-loss, user regularisers,
an unpenalised intercept, and feature grouping that changes nothing."""

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import approx_fprime
from scipy.special import expit

import embedsum
from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective, log_loss_terms
from embedsum.training._regularizers import L2, EmbeddingSumLoss, StepLoss

FD_STEP = 1e-7


@st.composite
def problems(draw, max_features=5, max_bins=8, max_rows=40, max_param=3.0, max_weight=5.0):
    d = draw(st.integers(1, max_features))
    n_bins = draw(st.lists(st.integers(2, max_bins), min_size=d, max_size=d))
    n = draw(st.integers(1, max_rows))
    codes = np.column_stack(
        [draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1))) for k in n_bins]
    )
    y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
    w = draw(st.one_of(
        st.just(np.ones(n)),
        hnp.arrays(np.float64, n, elements=st.one_of(st.just(0.0), st.floats(0.0, max_weight))),
    ))
    if not np.any(w > 0):  # all-zero weights are refused: a weighted mean needs some weight
        w = w.copy()
        w[draw(st.integers(0, n - 1))] = draw(st.floats(1e-3, max_weight))
    v = []
    for k in n_bins:
        vj = draw(hnp.arrays(np.float64, k, elements=st.one_of(st.just(0.0), st.floats(1e-3, 1.0))))
        if vj.sum() == 0:
            vj[0] = 0.5
        v.append(vj)
    coef = draw(hnp.arrays(np.float64, sum(n_bins) + 1,
                           elements=st.floats(-max_param, max_param, allow_nan=False)))
    weights = [draw(st.one_of(st.just(0.0), st.floats(1e-3, 5.0))) for _ in range(3)]
    return dict(codes=codes, y=y, w=w, layout=ParameterLayout(n_bins, bin_weights=v), coef=coef,
                weights=weights)


def builtin_regularizers(weights):
    step_w, es_w, l2_w = weights
    return [StepLoss(step_w), EmbeddingSumLoss(es_w), L2(l2_w)]


def assert_matches_finite_differences(fun_grad, coef, curvature):
    """Forward differences: error <= FD_STEP/2 * |f''| + 2 eps |f| / FD_STEP per component."""
    value, grad = fun_grad(coef)
    fd = approx_fprime(coef, lambda x: fun_grad(x)[0], FD_STEP)
    atol = 2 * FD_STEP * curvature + 1e-8 * (1.0 + abs(value))
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=atol)


# -------------------------------------------------------------------- finite differences


@given(problems())
@settings(max_examples=50)
def test_full_objective_gradient_equals_finite_differences(p):
    objective = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"],
                                      builtin_regularizers(p["weights"]))
    coef = p["coef"].copy()
    # Second derivatives: the log-loss (a weighted mean: its weights sum to 1) at most
    # (d + 1)^2 / 4 along one coordinate pair, each regulariser at most 4 * its weight.
    d = p["layout"].n_features
    curvature = 1.0 + (d + 1) ** 2 + 4 * sum(p["weights"])
    assert_matches_finite_differences(objective.loss_gradient, coef, curvature)
    np.testing.assert_array_equal(coef, p["coef"])  # the objective does not write into coef


@pytest.mark.parametrize("reg_class", [StepLoss, EmbeddingSumLoss, L2])
@given(p=problems(), weight=st.floats(1e-3, 10.0))
@settings(max_examples=20)
def test_each_regularizer_gradient_equals_finite_differences(reg_class, p, weight):
    reg = reg_class(weight)
    layout = p["layout"]
    value, grad = reg.value_gradient(p["coef"], layout)
    assert grad.shape == p["coef"].shape
    assert value >= 0.0
    assert_matches_finite_differences(lambda x: reg.value_gradient(x, layout), p["coef"], 4 * weight)


@pytest.mark.parametrize("reg_class", [StepLoss, EmbeddingSumLoss, L2])
def test_each_regularizer_alone_in_the_objective_is_classification_plus_it(reg_class):
    rng = np.random.default_rng(1)
    layout = ParameterLayout([4, 3, 5], bin_weights=[rng.random(4), rng.random(3), rng.random(5)])
    codes = np.column_stack([rng.integers(0, k, 50) for k in layout.n_bins])
    y = (rng.random(50) < 0.4).astype(float)
    w = rng.uniform(0, 2, 50)
    coef = rng.normal(size=layout.n_params)
    bare = EmbeddingSumObjective(codes, y, w, layout)
    reg = reg_class(0.7)
    with_reg = EmbeddingSumObjective(codes, y, w, layout, [reg])
    loss0, grad0 = bare.loss_gradient(coef)
    loss1, grad1 = with_reg.loss_gradient(coef)
    value, reg_grad = reg.value_gradient(coef, layout)
    assert value > 0
    np.testing.assert_allclose(loss1, loss0 + value, rtol=1e-14)
    np.testing.assert_allclose(grad1, grad0 + reg_grad, rtol=1e-14, atol=1e-16)
    assert set(with_reg.last_components) == {"classification", reg.name}
    assert with_reg.last_components[reg.name] == value
    assert_matches_finite_differences(with_reg.loss_gradient, coef, 1.0 + 4 * 4 * 2.0 + 4 * 0.7)


def test_regularizer_values_on_hand_computed_examples():
    layout = ParameterLayout([4, 3], bin_weights=[[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.5]])
    # feature 0: interval bins [1, 2, 4] + missing 10; feature 1: interval [0, -2] + missing 6
    coef = np.array([1.0, 2.0, 4.0, 10.0, 0.0, -2.0, 6.0, 99.0])
    # step pairs: (1-2)^2=1, (2-4)^2=4, (0-(-2))^2=4 -> mean 3
    assert StepLoss(2.0).value_gradient(coef, layout)[0] == pytest.approx(6.0, rel=1e-15)
    # means: (0.1+0.4+1.2+4.0)/1 = 5.7 ; (0 - 0.5 + 3)/1 = 2.5 -> mean of squares (32.49+6.25)/2
    assert EmbeddingSumLoss(1.0).value_gradient(coef, layout)[0] == pytest.approx(19.37, rel=1e-14)
    # l2: (1+4+16+100+0+4+36)/7 = 23
    assert L2(0.5).value_gradient(coef, layout)[0] == pytest.approx(11.5, rel=1e-15)


# -------------------------------------------------------------------- log_loss_terms


@contextlib.contextmanager
def strict_floats():
    """Every floating-point warning is an error (underflow to 0 is the correct answer, so it is allowed)."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


def test_log_loss_terms_at_plus_minus_1000():
    z = np.array([1000.0, 1000.0, -1000.0, -1000.0, 0.0, 0.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    with strict_floats():
        loss, dz = log_loss_terms(z, y)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(dz))
    np.testing.assert_array_equal(loss[:4], [1000.0, 0.0, 0.0, 1000.0])
    np.testing.assert_array_equal(dz[:4], [1.0, 0.0, 0.0, -1.0])
    np.testing.assert_allclose(loss[4:], np.log(2.0), rtol=1e-15)
    np.testing.assert_array_equal(dz[4:], [0.5, -0.5])


@given(
    z=hnp.arrays(np.float64, st.integers(1, 30),
                 elements=st.one_of(st.floats(-1e300, 1e300), st.floats(-50, 50),
                                    st.sampled_from([-1000.0, 1000.0, -710.0, 710.0, 0.0, -0.0]))),
    data=st.data(),
)
@settings(max_examples=100)
def test_log_loss_terms_are_finite_and_accurate_for_any_finite_z(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    with strict_floats():
        loss, dz = log_loss_terms(z, y)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(dz))
    assert np.all(loss >= 0.0)
    assert np.all((-1.0 <= dz) & (dz <= 1.0))
    # softplus(z) - y z == softplus(z) for y = 0 and softplus(-z) for y = 1 (no cancellation).
    exact = np.logaddexp(0.0, np.where(y == 1.0, -z, z))
    eps = np.finfo(float).eps
    # Error allowed: a few ulps of |z| (max(z, 0) - y z cancels) plus a relative 1e-13.
    assert np.all(np.abs(loss - exact) <= 4 * eps * np.abs(z) + 1e-13 * exact), (z, y, loss, exact)
    np.testing.assert_allclose(dz, expit(z) - y, rtol=0, atol=2 * eps)


def test_objective_is_finite_with_extreme_decision_values():
    layout = ParameterLayout([3, 3], bin_weights=[[0.4, 0.4, 0.2], [0.5, 0.5, 0.0]])
    codes = np.array([[0, 0], [1, 1], [2, 2], [0, 1]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    coef = np.array([500.0, -500.0, 400.0, 500.0, -500.0, 100.0, 0.0])  # z in [-1000, 1000]
    objective = EmbeddingSumObjective(codes, y, np.ones(4), layout, builtin_regularizers([1.0, 1.0, 1.0]))
    with strict_floats():
        loss, grad = objective.loss_gradient(coef)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    # rows: z=1000,y=0 -> 1000; z=-1000,y=1 -> 1000; z=500,y=1 -> ~0; z=0,y=0 -> log 2
    np.testing.assert_allclose(objective.last_components["classification"], (2000.0 + np.log(2.0)) / 4,
                               rtol=1e-15)


# -------------------------------------------------------------------- user regularisers


class MissingBinPenalty:
    """A user regulariser that is NOT a subclass of embedsum's Regularizer: duck typing only."""

    name = "missing_penalty"

    def __init__(self, weight):
        self.weight = weight
        self.calls = 0

    def value_gradient(self, coef, layout):
        self.calls += 1
        missing = layout.missing_rows  # each feature's missing bin (its last)
        grad = np.zeros_like(coef)
        grad[missing] = 2 * self.weight * coef[missing]
        return self.weight * float(coef[missing] @ coef[missing]), grad


@given(problems(), st.floats(1e-3, 10.0))
@settings(max_examples=60)
def test_user_regularizer_is_added_to_total_gradient_and_components(p, weight):
    builtins = builtin_regularizers(p["weights"])
    user = MissingBinPenalty(weight)
    base = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"], builtins)
    full = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"], builtins + [user])
    loss0, grad0 = base.loss_gradient(p["coef"])
    loss1, grad1 = full.loss_gradient(p["coef"])
    value, user_grad = user.value_gradient(p["coef"], p["layout"])
    assert user.calls == 2
    assert full.last_components["missing_penalty"] == value
    assert set(full.last_components) == set(base.last_components) | {"missing_penalty"}
    for name, component in base.last_components.items():
        assert full.last_components[name] == component
    scale = 1e-13 * (1.0 + abs(loss1))
    np.testing.assert_allclose(loss1, loss0 + value, rtol=1e-13, atol=scale)
    np.testing.assert_allclose(sum(full.last_components.values()), loss1, rtol=1e-13, atol=scale)
    np.testing.assert_allclose(grad1, grad0 + user_grad, rtol=1e-13, atol=1e-13 * (1 + np.abs(grad1).max()))
    if np.any(np.abs(p["coef"][p["layout"].missing_rows]) > 1e-100):
        assert value > 0


def test_user_regularizer_reaches_the_fitted_model():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    X[rng.random(300) < 0.2, 0] = np.nan
    y = (np.nan_to_num(X[:, 0], nan=2.0) + 0.3 * rng.normal(size=300) > 0).astype(int)
    plain = embedsum.EmbeddingSumClassifier(max_bins=5).fit(X, y)
    user = MissingBinPenalty(50.0)
    penalised = embedsum.EmbeddingSumClassifier(max_bins=5, regularizers=[user]).fit(X, y)
    assert user.calls > 0
    assert "missing_penalty" in penalised.history_
    assert "missing_penalty" not in plain.history_
    # The penalty pulls the (informative) missing bin of feature 0 towards 0.
    assert abs(penalised.bin_scores_[0][-1]) < abs(plain.bin_scores_[0][-1])


# -------------------------------------------------------------------- intercept unpenalised


@pytest.mark.parametrize("reg_class", [StepLoss, EmbeddingSumLoss, L2])
@given(p=problems(max_param=1e3), weight=st.one_of(st.just(0.0), st.floats(1e-3, 1e3)),
       intercept=st.floats(-1e6, 1e6))
@settings(max_examples=20)
def test_builtin_regularizers_never_touch_the_intercept(reg_class, p, weight, intercept):
    reg = reg_class(weight)
    coef = p["coef"].copy()
    value, grad = reg.value_gradient(coef, p["layout"])
    assert grad[-1] == 0.0
    coef[-1] = intercept
    value2, grad2 = reg.value_gradient(coef, p["layout"])
    assert grad2[-1] == 0.0
    assert value2 == value
    np.testing.assert_array_equal(grad2, grad)


@given(problems())
@settings(max_examples=40)
def test_intercept_gradient_is_the_classification_gradient_only(p):
    with_regs = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"], builtin_regularizers([5.0, 5.0, 5.0]))
    without = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"])
    g1 = with_regs.loss_gradient(p["coef"])[1]
    g0 = without.loss_gradient(p["coef"])[1]
    assert g1[-1] == g0[-1]
    # ... which is the weighted mean of sigmoid(z) - y, sum(w * (sigmoid(z) - y)) / sum(w).
    z = p["coef"][-1] + sum(p["coef"][p["layout"].offsets[j] + p["codes"][:, j]]
                            for j in range(p["layout"].n_features))
    expected = np.sum(p["w"] * (expit(z) - p["y"])) / np.sum(p["w"])
    np.testing.assert_allclose(g0[-1], expected, rtol=1e-12, atol=1e-14)


# -------------------------------------------------------------------- feature grouping


@given(problems(max_features=7, max_rows=60, max_param=30.0, max_weight=1e3),
       st.sampled_from([2, 3, 4, 9, 64, 512, 2**14, 2**16, 2**20, None]))
@settings(max_examples=60)
def test_feature_grouping_does_not_change_loss_or_gradient(p, max_cells):
    regs = builtin_regularizers(p["weights"])
    one_by_one = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"], regs, max_cells=1)
    grouped = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"], regs, max_cells=max_cells)
    assert_same_evaluation(one_by_one, grouped, p)


def assert_same_evaluation(reference, other, p):
    """Loss, gradient, decision values and components equal up to the summation order."""
    loss1, grad1 = reference.loss_gradient(p["coef"])
    loss2, grad2 = other.loss_gradient(p["coef"])
    # Only the summation order differs: a few ulps of the summed magnitudes.
    # The data term is a weighted mean: its row weights sum to 1.
    z_max = np.abs(p["coef"]).max() * (p["layout"].n_features + 1)
    loss_atol = 1e-12 * (2.0 + z_max)
    grad_atol = 2e-12
    np.testing.assert_allclose(loss2, loss1, rtol=1e-12, atol=loss_atol)
    np.testing.assert_allclose(grad2, grad1, rtol=1e-12, atol=grad_atol)
    np.testing.assert_allclose(other.decision(p["coef"]), reference.decision(p["coef"]),
                               rtol=1e-12, atol=1e-12 * (1 + z_max))
    assert other.last_components.keys() == reference.last_components.keys()
    for name in reference.last_components:
        np.testing.assert_allclose(other.last_components[name], reference.last_components[name],
                                   rtol=1e-12, atol=loss_atol)


def test_grouping_with_a_joint_grid_larger_than_uint16():
    # 6 features of 8 bins in one group: 8**6 = 262144 cells > 2**16 (wide joint codes).
    rng = np.random.default_rng(7)
    n_bins = [8] * 6
    layout = ParameterLayout(n_bins, bin_weights=[rng.random(8) for _ in n_bins])
    codes = np.column_stack([rng.integers(0, 8, 500) for _ in n_bins])
    codes[0] = 7  # the very last cell of the grid is used
    y = (rng.random(500) < 0.5).astype(float)
    w = rng.uniform(0, 2, 500)
    coef = rng.normal(size=layout.n_params) * 3
    regs = builtin_regularizers([0.1, 0.1, 0.1])
    ref = EmbeddingSumObjective(codes, y, w, layout, regs, max_cells=1)
    big = EmbeddingSumObjective(codes, y, w, layout, regs, max_cells=2**20)
    assert len(big._engine._groups) == 1  # the path under test really is a single wide group
    loss1, grad1 = ref.loss_gradient(coef)
    loss2, grad2 = big.loss_gradient(coef)
    np.testing.assert_allclose(loss2, loss1, rtol=1e-12)
    np.testing.assert_allclose(grad2, grad1, rtol=1e-12, atol=1e-14)


# -------------------------------------------------------------------- chunks and threads


def chunked(p, regs, chunk_rows, n_threads, max_cells=None):
    return EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"], regs, max_cells=max_cells,
                                 chunk_rows=chunk_rows, n_threads=n_threads)


@given(problems(max_features=6, max_rows=80, max_param=30.0, max_weight=1e3),
       st.sampled_from([1, 2, 3, 7, 64]), st.sampled_from([1, 2, 3]), st.sampled_from([1, 9, 2**14]))
@settings(max_examples=40)
def test_chunked_evaluation_equals_the_all_rows_evaluation(p, chunk_rows, n_threads, max_cells):
    regs = builtin_regularizers(p["weights"])
    whole = EmbeddingSumObjective(p["codes"], p["y"], p["w"], p["layout"], regs, max_cells=1)
    assert whole._engine._one_call  # the reference is the all-rows path
    parts = chunked(p, regs, chunk_rows, n_threads, max_cells)
    assert not parts._engine._one_call
    assert_same_evaluation(whole, parts, p)


@given(problems(max_rows=80), st.sampled_from([1, 2, 5]))
@settings(max_examples=25)
def test_chunked_gradient_equals_finite_differences(p, chunk_rows):
    objective = chunked(p, builtin_regularizers(p["weights"]), chunk_rows, 1)
    d = p["layout"].n_features
    curvature = 1.0 + (d + 1) ** 2 + 4 * sum(p["weights"])
    assert_matches_finite_differences(objective.loss_gradient, p["coef"].copy(), curvature)


@given(problems(max_rows=80, max_param=30.0), st.sampled_from([1, 2, 3]))
@settings(max_examples=25)
def test_the_number_of_threads_changes_no_bit(p, chunk_rows):
    # Blocks of chunks are summed in a fixed order whatever thread evaluated them.
    regs = builtin_regularizers(p["weights"])
    results = [chunked(p, regs, chunk_rows, n_threads).loss_gradient(p["coef"]) for n_threads in (1, 2, 3)]
    for loss, grad in results[1:]:
        assert loss == results[0][0]
        assert np.array_equal(grad, results[0][1])


def test_equal_weights_take_the_scalar_path_and_match_the_weighted_one():
    rng = np.random.default_rng(5)
    layout = ParameterLayout([4, 6, 3], bin_weights=[rng.random(4), rng.random(6), rng.random(3)])
    codes = np.column_stack([rng.integers(0, k, 300) for k in layout.n_bins])
    y = (rng.random(300) < 0.3).astype(float)
    coef = rng.normal(size=layout.n_params) * 2
    regs = builtin_regularizers([0.1, 0.1, 0.1])
    equal = EmbeddingSumObjective(codes, y, np.full(300, 3.0), layout, regs, chunk_rows=16)
    assert isinstance(equal._engine._w_share, float)  # one number, not an array of n
    unequal_w = np.full(300, 3.0)
    unequal_w[0] = np.nextafter(3.0, 4.0)  # not bit-equal: the per-row path
    unequal = EmbeddingSumObjective(codes, y, unequal_w, layout, regs, chunk_rows=16)
    assert not isinstance(unequal._engine._w_share, float)
    whole = EmbeddingSumObjective(codes, y, np.full(300, 3.0), layout, regs)
    assert whole._engine._one_call
    loss0, grad0 = whole.loss_gradient(coef)
    for objective in (equal, unequal):
        loss, grad = objective.loss_gradient(coef)
        np.testing.assert_allclose(loss, loss0, rtol=1e-13)
        np.testing.assert_allclose(grad, grad0, rtol=1e-12, atol=1e-14)


def test_many_rows_use_threads_and_equal_the_plain_formula():
    # The default path for many rows: chunks of 2**15 rows in blocks, on several threads.
    rng = np.random.default_rng(11)
    n_bins = [9, 21, 5, 14, 7]
    layout = ParameterLayout(n_bins, bin_weights=[rng.random(k) for k in n_bins])
    n = 300_000
    codes = np.column_stack([rng.integers(0, k, n, dtype=np.uint8) for k in n_bins])
    y = (rng.random(n) < 0.2).astype(float)
    w = rng.uniform(0.0, 2.0, n)
    coef = rng.normal(size=layout.n_params)
    objective = EmbeddingSumObjective(codes, y, w, layout, n_threads=2)
    assert not objective._engine._one_call and len(objective._engine._groups) > 1
    loss, grad = objective.loss_gradient(coef)
    z = coef[-1] + sum(coef[layout.offsets[j] + codes[:, j]] for j in range(len(n_bins)))
    expected_loss = np.sum(w * (np.logaddexp(0.0, z) - y * z)) / np.sum(w)
    dz = w * (expit(z) - y) / np.sum(w)
    expected_grad = np.append(np.bincount((codes + layout.offsets[:-1]).ravel(), weights=np.repeat(dz, 5),
                                          minlength=layout.n_params - 1), dz.sum())
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-15)


def test_chunked_path_refuses_targets_other_than_0_and_1():
    layout = ParameterLayout([3])
    with pytest.raises(ValueError, match="0 and 1"):
        EmbeddingSumObjective(np.array([[0], [1]]), np.array([0.0, 0.5]), np.ones(2), layout, chunk_rows=1)


def _threaded_problem(n=3000, d=4, seed=3):
    rng = np.random.default_rng(seed)
    layout = ParameterLayout([6] * d, bin_weights=[np.full(6, 1 / 6)] * d)
    codes = rng.integers(0, 6, size=(n, d)).astype(np.uint8)
    y = (rng.random(n) < 0.3).astype(float)
    return codes, y, layout, rng.normal(size=layout.n_params)


def test_one_thread_pool_serves_every_evaluation_and_close_ends_it():
    # The objective's own pool and threads are checked, not threading.active_count(), which
    # other threads of the process (another test's, a library's) may change at any time.
    codes, y, layout, coef = _threaded_problem()
    with EmbeddingSumObjective(codes, y, np.ones(len(y)), layout, chunk_rows=500, n_threads=2) as objective:
        first = objective.loss_gradient(coef)
        pool = objective._engine._runner._pool
        assert pool is not None  # 6 chunks, 6 blocks: the second thread worked
        threads = set(pool._threads)
        assert threads and all(thread.is_alive() for thread in threads)
        second = objective.loss_gradient(coef)
        assert objective._engine._runner._pool is pool  # not a new pool per evaluation
        assert set(pool._threads) == threads  # nor new threads
    assert objective._engine._runner._pool is None
    assert not any(thread.is_alive() for thread in threads)  # close() joined them
    assert first[0] == second[0] and np.array_equal(first[1], second[1])
    # after close it still evaluates (a new pool), and gives the same bits
    again = objective.loss_gradient(coef)
    objective.close()
    assert again[0] == first[0] and np.array_equal(again[1], first[1])


def test_few_chunks_are_shared_among_threads_without_changing_a_bit():
    # Fewer than 16 chunks: one block each, so two threads share them; any thread count
    # adds the blocks in the same order.
    codes, y, layout, coef = _threaded_problem(n=2500)
    results = []
    for n_threads in (1, 2, 3):
        with EmbeddingSumObjective(codes, y, np.ones(len(y)), layout, chunk_rows=1000, n_threads=n_threads) as o:
            results.append(o.loss_gradient(coef))
    for loss, grad in results[1:]:
        assert loss == results[0][0] and np.array_equal(grad, results[0][1])
