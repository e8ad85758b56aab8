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
    assert disparity <= max(tolerance, 1e-9)  # a tolerance of 0: equal means up to rounding
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


# ----------------------------------------------------------------------------------------------
# The estimators: fairness=, fairness_tolerance= and fit(..., sensitive_features=)
# ----------------------------------------------------------------------------------------------

def _table(seed=0, n=1500):
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.4, "b", "a")
    X = np.column_stack([rng.normal(size=n) + (group == "b"), rng.normal(size=n), rng.integers(0, 3, n)])
    logit = 1.5 * X[:, 0] + 0.5 * X[:, 1] - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, group


def _gap(values, group):
    return abs(values[group == "a"].mean() - values[group == "b"].mean())


@pytest.mark.parametrize("kind", ["demographic_parity", "equal_opportunity"])
def test_a_fair_classifier_keeps_its_bound_on_the_training_rows(kind):
    from embedsum import EmbeddingSumClassifier

    X, y, group = _table()
    free = EmbeddingSumClassifier().fit(X, y)
    rows = (y == 1) if kind == "equal_opportunity" else np.ones(len(y), dtype=bool)
    assert _gap(free.predict_proba(X)[rows, 1], group[rows]) > 0.1
    fair = EmbeddingSumClassifier(fairness=kind, fairness_tolerance=0.02).fit(X, y, sensitive_features=group)
    gap = _gap(fair.predict_proba(X)[rows, 1], group[rows])
    assert gap <= 0.02 and gap == pytest.approx(fair.fairness_disparity_, abs=1e-12)
    assert fair.fairness_groups_ == ["a", "b"]
    assert fair.history_["loss"][-1] > free.history_["loss"][-1]  # fairness costs training loss
    assert not hasattr(free, "fairness_disparity_")


def test_a_fair_model_is_an_ordinary_model_that_saves_and_loads():
    import embedsum
    from embedsum import EmbeddingSumClassifier

    X, y, group = _table(1)
    fair = EmbeddingSumClassifier(fairness="demographic_parity", fairness_tolerance=0.03,
                                  monotonic_cst=[1, 0, 0]).fit(X, y, sensitive_features=group)
    assert np.all(np.diff(fair.bin_scores_[0][:-1]) >= 0)  # the monotone constraint holds too
    loaded = embedsum.from_json(fair.to_json())
    assert loaded.get_params()["fairness"] == "demographic_parity" and loaded.fairness_tolerance == 0.03
    np.testing.assert_array_equal(loaded.predict_proba(X), fair.predict_proba(X))


def test_a_fair_regressor_bounds_its_groups_mean_prediction_in_the_units_of_y():
    from embedsum import EmbeddingSumRegressor

    X, _, group = _table(2)
    y = 100.0 * X[:, 0] + np.random.default_rng(0).normal(size=len(X))
    fair = EmbeddingSumRegressor(fairness="demographic_parity", fairness_tolerance=5.0).fit(
        X, y, sensitive_features=group)
    assert _gap(EmbeddingSumRegressor().fit(X, y).predict(X), group) > 50
    assert _gap(fair.predict(X), group) <= 5.0


def test_the_cross_validated_classifier_keeps_the_bound_in_every_fit():
    from embedsum import EmbeddingSumClassifierCV

    X, y, group = _table(3, n=800)
    model = EmbeddingSumClassifierCV(step_loss_weights=3, cv=3, fairness="demographic_parity",
                                     fairness_tolerance=0.05).fit(X, y, sensitive_features=group)
    assert _gap(model.predict_proba(X)[:, 1], group) <= 0.05
    with pytest.raises(ValueError, match="average_folds"):
        EmbeddingSumClassifierCV(cv=3, average_folds=True, fairness="demographic_parity").fit(
            X, y, sensitive_features=group)


def test_intersections_of_several_sensitive_columns_are_the_groups():
    from embedsum import EmbeddingSumClassifier

    X, y, group = _table(4)
    second = np.where(np.arange(len(y)) % 2 == 0, "x", "y")
    fair = EmbeddingSumClassifier(fairness="demographic_parity", fairness_tolerance=0.05).fit(
        X, y, sensitive_features=np.column_stack([group, second]))
    assert fair.fairness_groups_ == ["a, x", "a, y", "b, x", "b, y"]
    p = fair.predict_proba(X)[:, 1]
    means = [p[(group == g) & (second == s)].mean() for g in "ab" for s in "xy"]
    assert max(means) - min(means) <= 0.05


def test_misuse_is_refused_with_the_way_out():
    from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor

    X, y, group = _table(5, n=300)
    with pytest.raises(ValueError, match="needs fit"):
        EmbeddingSumClassifier(fairness="demographic_parity").fit(X, y)
    with pytest.raises(ValueError, match="set fairness"):
        EmbeddingSumClassifier().fit(X, y, sensitive_features=group)
    with pytest.raises(ValueError, match="one group per row"):
        EmbeddingSumClassifier(fairness="demographic_parity").fit(X, y, sensitive_features=group[:-1])
    with pytest.raises(ValueError, match="more than two classes"):
        EmbeddingSumClassifier(fairness="demographic_parity").fit(X, np.arange(300) % 3, sensitive_features=group)
    with pytest.raises(ValueError, match="regressor takes"):
        EmbeddingSumRegressor(fairness="equal_opportunity").fit(X, X[:, 0], sensitive_features=group)
    with pytest.raises(ValueError, match="fairness must be one of"):
        EmbeddingSumClassifier(fairness="parity").fit(X, y, sensitive_features=group)
