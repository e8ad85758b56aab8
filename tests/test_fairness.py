"""Group disparities bounded inside the solve (training/_fairness.py, docs/design.md#fairness-constraints)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime, minimize

from embedsum.binning._digitizer import Digitizer
from embedsum.training._fairness import GroupMean, disparity_constraints, solve_with_disparity_bound
from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective
from embedsum.training._regularizers import EmbeddingSumLoss, StepLoss
from embedsum.training._solver import minimize_lbfgs


def _problem(seed=0, n=2000, n_groups=2, max_bins=12, shift=1.0):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, n)
    X = np.column_stack([rng.normal(size=n) + shift * groups, rng.normal(size=n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * X[:, 0] + 0.5 * X[:, 1] - 0.7)))).astype(float)
    digitizer = Digitizer(max_bins).fit(X)
    codes = digitizer.transform(X)
    layout = ParameterLayout(digitizer.n_bins_, digitizer.bin_weights_)
    w = rng.uniform(0.5, 1.5, n)
    objective = EmbeddingSumObjective(codes, y, w, layout, [StepLoss(0.01), EmbeddingSumLoss(0.01)])
    x0 = np.zeros(layout.n_params)
    x0[-1] = np.log(y.mean() / (1 - y.mean()))
    return codes, y, w, groups, layout, objective, x0


def _solve(problem, x):
    return minimize_lbfgs(problem, x, max_iter=2000, tol=1e-9)


@pytest.mark.parametrize("scale", ["probability", "decision"])
def test_a_group_mean_has_the_gradient_of_its_value(scale):
    codes, y, w, groups, layout, _, _ = _problem(n=300)
    mean = GroupMean(codes[groups == 1], w[groups == 1], layout, scale)
    coef = np.random.default_rng(1).normal(size=layout.n_params)
    value, grad = mean.value_gradient(coef)
    z = coef[:-1][codes + layout.offsets[:-1]].sum(axis=1) + coef[-1]
    scores = 1 / (1 + np.exp(-z)) if scale == "probability" else z
    rows = groups == 1
    np.testing.assert_allclose(value, np.sum(w[rows] * scores[rows]) / np.sum(w[rows]), rtol=1e-12)
    np.testing.assert_allclose(grad, approx_fprime(coef, lambda c: mean.value_gradient(c)[0], 1e-7),
                               rtol=1e-5, atol=1e-7)


@settings(max_examples=6, deadline=None)
@given(tolerance=st.sampled_from([0.0, 0.01, 0.05, 0.15]), kind=st.sampled_from(["demographic_parity",
                                                                                 "equal_opportunity"]),
       n_groups=st.sampled_from([2, 3]), seed=st.integers(0, 100))
def test_the_bound_holds_on_the_training_rows_and_costs_loss(tolerance, kind, n_groups, seed):
    codes, y, w, groups, layout, objective, x0 = _problem(seed, n_groups=n_groups)
    free = _solve(objective, x0)
    names, means = disparity_constraints(codes, y, w, groups, layout, kind=kind)
    assert names == list(range(n_groups))
    before = [m.value_gradient(free.coef)[0] for m in means]
    result, multipliers, disparity = solve_with_disparity_bound(objective, means, tolerance, free.coef, _solve)
    after = [m.value_gradient(result.coef)[0] for m in means]
    assert max(after) - min(after) == pytest.approx(disparity, abs=1e-15)
    assert disparity <= tolerance
    loss = objective.loss_gradient(result.coef)[0]
    if max(before) - min(before) > tolerance:
        assert loss > free.history["loss"][-1] and multipliers.max() > 0
    else:  # already fair: the constraint is inactive and changes nothing
        assert not multipliers.any()
        np.testing.assert_allclose(loss, free.history["loss"][-1], rtol=1e-10)


def test_the_constrained_optimum_is_the_one_a_general_constrained_solver_finds():
    codes, y, w, groups, layout, objective, x0 = _problem(3, n=800, max_bins=5)
    _, means = disparity_constraints(codes, y, w, groups, layout)
    tolerance = 0.04
    result, _, disparity = solve_with_disparity_bound(objective, means, tolerance, x0, _solve)

    def gap(coef):  # both orders: |m_1 - m_0| <= tolerance
        (a, ga), (b, gb) = means[0].value_gradient(coef), means[1].value_gradient(coef)
        return np.array([tolerance - (a - b), tolerance - (b - a)]), np.array([gb - ga, ga - gb])

    slsqp = minimize(lambda c: objective.loss_gradient(c), x0, jac=True, method="SLSQP",
                     constraints=[{"type": "ineq", "fun": lambda c: gap(c)[0], "jac": lambda c: gap(c)[1]}],
                     options={"ftol": 1e-12, "maxiter": 1000})
    assert slsqp.success and gap(slsqp.x)[0].min() >= -1e-9
    ours, theirs = objective.loss_gradient(result.coef)[0], objective.loss_gradient(slsqp.x)[0]
    assert disparity <= tolerance
    # As good as the general solver's optimum (ours is a little inside the bound, by design).
    assert ours <= theirs * (1 + 1e-4)


def test_bad_arguments_are_refused():
    codes, y, w, groups, layout, objective, x0 = _problem(n=200)
    with pytest.raises(ValueError, match="at least two groups"):
        disparity_constraints(codes, y, w, np.zeros(len(y)), layout)
    with pytest.raises(ValueError, match="demographic_parity"):
        disparity_constraints(codes, y, w, groups, layout, kind="parity")
    _, means = disparity_constraints(codes, y, w, groups, layout)
    with pytest.raises(ValueError, match="fairness_tolerance"):
        solve_with_disparity_bound(objective, means, -0.1, x0, _solve)
