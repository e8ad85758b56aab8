"""refit: the model's objective solved again with edits as constraints (estimators/_refit.py)."""

import numpy as np
import pytest

from embedsum import (EmbeddingSumClassifier, EmbeddingSumClassifierCV, EmbeddingSumRegressor)
from embedsum.estimators._refit import model_coef, refit_problem, solve
from embedsum.training._objective import EmbeddingSumObjective


def _data(kind, seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    X[:, 1] = X[:, 0] + 0.5 * rng.normal(size=n)  # x1 can stand in for x0
    signal = X[:, 0] + 0.5 * X[:, 2] + 0.5 * rng.normal(size=n)
    if kind == "regressor":
        return X, signal
    if kind == "multiclass":
        return X, np.digitize(signal, [-0.5, 0.5])
    return X, signal > 0


def _model(kind, **params):
    estimator = EmbeddingSumRegressor if kind == "regressor" else EmbeddingSumClassifier
    return estimator(max_bins=8, **params)


def _objective(model, problem, coef):
    """The fit's objective (data term and every regulariser) at ``coef`` on the problem's rows."""
    loss = model._loss(problem.layout.n_outputs)
    with EmbeddingSumObjective(problem.codes, problem.target, problem.sw, problem.layout,
                               problem.solver._all_regularizers(problem.layout), loss=loss) as objective:
        return objective.loss_gradient(np.asarray(coef, dtype=np.float64))[0]


def _coef(model, problem):
    return model_coef(model, problem.layout)


EDITS = [
    {"drop": [0]},
    {"fix": {2: "half"}},
    {"drop": [2], "monotonic_cst": [0, 1, 0]},
]


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor"])
@pytest.mark.parametrize("edit", range(len(EDITS)))
def test_refit_equals_a_fresh_constrained_solve(kind, edit):
    X, y = _data(kind)
    edits = dict(EDITS[edit])
    if kind == "multiclass" and "monotonic_cst" in edits:
        edits.pop("monotonic_cst")  # not supported with K outputs (refused: see below)
    model = _model(kind).fit(X, y)
    if "fix" in edits:  # half the fitted scores of feature 2
        edits["fix"] = {2: 0.5 * model.bin_scores_[2]}
    model.refit(X, y, **edits)
    # The same constraints solved from the fit's default start (zero scores, best intercept).
    problem = refit_problem(model, X, y, **edits)
    fresh = solve(problem, x0=None)
    refit_value = _objective(model, problem, _coef(model, problem))
    fresh_value = _objective(model, problem, fresh.coef)
    assert abs(refit_value - fresh_value) <= 1e-6 * abs(fresh_value)
    for j in edits.get("drop", []):
        assert not np.any(model.bin_scores_[j])
    if "fix" in edits:
        assert np.array_equal(model.bin_scores_[2], edits["fix"][2])
    if "monotonic_cst" in edits:
        assert np.all(np.diff(model.bin_scores_[1][:-1]) >= 0) and model.monotonic_cst_.tolist() == [0, 1, 0]


def test_refit_equals_scipy_on_the_free_coordinates():
    """An oracle outside the fit's solve: scipy's L-BFGS-B from zero on the free entries only."""
    from scipy.optimize import minimize

    X, y = _data("binary")
    model = _model("binary").fit(X, y).refit(X, y, drop=[0])
    problem = refit_problem(model, X, y, drop=[0])
    free = ~problem.mask
    full = problem.values.copy()

    def value_gradient(v):
        full[free] = v
        loss = model._loss(1)
        with EmbeddingSumObjective(problem.codes, problem.target, problem.sw, problem.layout,
                                   problem.solver._all_regularizers(), loss=loss) as objective:
            value, gradient = objective.loss_gradient(full)
        return value, gradient[free]

    result = minimize(value_gradient, np.zeros(free.sum()), jac=True, method="L-BFGS-B",
                      options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-15})
    assert abs(_objective(model, problem, _coef(model, problem)) - result.fun) <= 1e-6 * result.fun


@pytest.mark.parametrize("kind", ["binary", "regressor"])
def test_a_monotone_refit_equals_a_fresh_monotone_fit(kind):
    X, y = _data(kind)
    cst = [1, 0, 1]
    edited = _model(kind).fit(X, y).refit(X, y, monotonic_cst=cst)
    fresh = _model(kind, monotonic_cst=cst).fit(X, y)
    problem = refit_problem(edited, X, y)
    assert edited.monotonic_cst_.tolist() == cst
    a, b = _objective(edited, problem, _coef(edited, problem)), _objective(fresh, problem, _coef(fresh, problem))
    assert abs(a - b) <= 1e-6 * abs(b)


def test_the_other_features_compensate_and_the_record_holds_the_costs():
    from sklearn.metrics import log_loss

    X, y = _data("binary", seed=1)
    X_test, y_test = _data("binary", seed=2)
    model = _model("binary").fit(X, y)
    before_train = log_loss(y, model.predict_proba(X)[:, 1])
    before_test = log_loss(y_test, model.predict_proba(X_test)[:, 1])
    importance_1 = model.feature_importances_[1]
    problem = refit_problem(model, X, y, drop=[0])
    zeroed = _coef(model, problem)
    zeroed[problem.mask] = 0.0  # feature 0 dropped, nothing refitted
    model.refit(X, y, drop=[0], X_test=X_test, y_test=y_test)
    # x1 carries x0's signal now, and the refit beats merely zeroing x0.
    assert model.feature_importances_[1] > 2 * importance_1
    assert _objective(model, problem, _coef(model, problem)) < _objective(model, problem, zeroed)
    record = model.edits_[-1]
    assert record["kind"] == "refit" and record["drop"] == [0] and record["n_rows"] == len(y)
    assert record["train_loss_before"] == pytest.approx(before_train, rel=1e-12)
    assert record["test_loss_before"] == pytest.approx(before_test, rel=1e-12)
    assert record["train_loss_after"] == pytest.approx(log_loss(y, model.predict_proba(X)[:, 1]), rel=1e-12)
    assert record["test_loss_after"] == pytest.approx(log_loss(y_test, model.predict_proba(X_test)[:, 1]), rel=1e-12)
    assert record["train_loss_after"] > record["train_loss_before"]


def test_refit_warm_starts_from_the_current_model():
    X, y = _data("regressor")
    model = _model("regressor").fit(X, y)
    scores = [s.copy() for s in model.bin_scores_]
    model.refit(X, y)  # no edit: already at the optimum
    assert model.edits_[-1]["n_iter"] <= 3
    for s, t in zip(scores, model.bin_scores_):
        np.testing.assert_allclose(s, t, atol=1e-4)
    assert model.edits_[-1]["train_loss_after"] == pytest.approx(model.edits_[-1]["train_loss_before"], rel=1e-6)


def test_refit_by_name_with_categories_and_unseen_ones():
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame({"size": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], size=n)})
    y = (frame["size"] + (frame["colour"] == "red") + 0.3 * rng.normal(size=n)) > 0.5
    model = EmbeddingSumClassifier(max_bins=6).fit(frame, y)
    later = frame.copy()
    later.loc[:20, "colour"] = "purple"  # never seen: counted in the "other" bin
    problem = refit_problem(model, later, y)
    m = len(model.categories_[1])
    assert set(problem.codes[:21, 1].tolist()) == {m}
    model.refit(later, y, drop=["colour"])
    assert model.edits_[-1]["drop"] == [1] and not np.any(model.bin_scores_[1])
    assert model.unseen_scores_[1] == 0.0


def test_a_cross_validated_model_refits_with_its_chosen_weights():
    X, y = _data("binary")
    # The chosen (weak) penalty leaves a flat direction along which tol=1e-6 stops both solves,
    # the refit and the fresh one alike, further than 1e-6 (relative) from the optimum: solve tighter.
    model = EmbeddingSumClassifierCV(step_loss_weights=2, cv=2, max_bins=8, tol=1e-8).fit(X, y)
    problem = refit_problem(model, X, y, drop=[2])
    assert problem.solver.step_loss_weight == model.step_loss_weight_
    model.refit(X, y, drop=[2])
    fresh = solve(problem, x0=None)
    a, b = _objective(model, problem, _coef(model, problem)), _objective(model, problem, fresh.coef)
    assert abs(a - b) <= 1e-6 * abs(b)
    assert type(model).__name__ == "EmbeddingSumClassifierCV" and model.edits_[-1]["drop"] == [2]


@pytest.mark.parametrize("call, message", [
    (lambda m, X, y: m.refit(X, y, drop=[5]), "out of range"),
    (lambda m, X, y: m.refit(X, y, drop=["size"]), "unknown feature"),
    (lambda m, X, y: m.refit(X, y, drop=[0], fix={0: m.bin_scores_[0]}), "both dropped and fixed"),
    (lambda m, X, y: m.refit(X, y, fix={0: np.zeros(3)}), "shape"),
    (lambda m, X, y: m.refit(X, np.where(y, "a", "b")), "labels the model was not fitted with"),
    (lambda m, X, y: m.refit(X, y, X_test=X), "both X_test and y_test"),
    (lambda m, X, y: m.refit(X, y, monotonic_cst={0: 2}), "-1, 0 or 1"),
    (lambda m, X, y: m.refit(X, y, fix={0: -np.arange(len(m.bin_scores_[0]), dtype=float)}, monotonic_cst=[1, 0, 0]),
     "monotone"),
])
def test_bad_refits_are_refused(call, message):
    X, y = _data("binary")
    model = _model("binary").fit(X, y)
    scores = [s.copy() for s in model.bin_scores_]
    with pytest.raises(ValueError, match=message):
        call(model, X, y)
    assert all(np.array_equal(s, t) for s, t in zip(scores, model.bin_scores_)) and model.edits_ == []


def test_multiclass_refit_refuses_monotone_constraints():
    X, y = _data("multiclass")
    with pytest.raises(ValueError, match="multiclass"):
        _model("multiclass").fit(X, y).refit(X, y, monotonic_cst=[1, 0, 0])


def test_a_dict_lifts_a_constraint():
    X, y = _data("regressor")
    model = _model("regressor", monotonic_cst=[1, 0, 0]).fit(X, y)
    assert model.refit(X, y, monotonic_cst={0: 0}).monotonic_cst_.tolist() == [0, 0, 0]
    assert model.refit(X, y, monotonic_cst=[0, 0, -1]).monotonic_cst_.tolist() == [0, 0, -1]


def test_a_refit_that_does_not_converge_warns_at_its_caller():
    from embedsum import ConvergenceWarning

    X, y = _data("binary")
    with pytest.warns(ConvergenceWarning):
        model = _model("binary", max_iter=2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="refit") as caught:
        model.refit(X, y, drop=[0])
    assert caught[0].filename == __file__ and model.edits_[-1]["converged"] is False


@pytest.mark.parametrize("kind", ["binary", "regressor"])
def test_refit_of_a_model_with_a_pair_term(kind):
    X, y = _data(kind)
    if kind == "regressor":
        y = y + X[:, 0] * X[:, 2]
    model = _model(kind, interactions=[(0, 2)]).fit(X, y)
    assert model.pairs_ == [(0, 2)] and np.any(model.pair_scores_[0])
    for drop in ([1], [2]):
        edited = _model(kind, interactions=[(0, 2)]).fit(X, y).refit(X, y, drop=drop)
        problem = refit_problem(edited, X, y, drop=drop)
        fresh = solve(problem, x0=None)
        a, b = _objective(edited, problem, _coef(edited, problem)), _objective(edited, problem, fresh.coef)
        assert abs(a - b) <= 1e-6 * abs(b)
        # a dropped feature's pair terms go with it; the others stay and are refitted
        assert np.any(edited.pair_scores_[0]) == (drop == [1])
        z = edited.predict(X) if kind == "regressor" else edited.decision_function(X)
        tables, intercept = problem.layout.term_views(_coef(edited, problem))
        from embedsum.scoring._codes import decision_values_of_codes

        np.testing.assert_allclose(z, decision_values_of_codes(list(problem.codes.T), tables, intercept), atol=1e-12)
    with pytest.raises(ValueError, match="pair term"):
        model.refit(X, y, monotonic_cst=[1, 0, 0])


def test_sample_weights_count_as_repeated_rows():
    X, y = _data("binary", n=200)
    counts = np.random.default_rng(5).integers(1, 4, size=len(y))
    weighted = _model("binary").fit(X, y).refit(X, y, drop=[0], sample_weight=counts)
    repeated = _model("binary").fit(X, y).refit(np.repeat(X, counts, axis=0), np.repeat(y, counts), drop=[0])
    for a, b in zip(weighted.bin_scores_, repeated.bin_scores_):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert weighted.edits_[-1]["train_loss_after"] == pytest.approx(repeated.edits_[-1]["train_loss_after"], rel=1e-6)


def test_a_fair_model_refits_within_its_bound():
    X, y = _data("binary")
    groups = np.where(X[:, 0] + np.random.default_rng(6).normal(size=len(y)) > 0, "a", "b")
    model = _model("binary", fairness="demographic_parity", fairness_tolerance=0.05).fit(X, y,
                                                                                       sensitive_features=groups)
    with pytest.raises(ValueError, match="sensitive_features"):
        model.refit(X, y, drop=[2])
    model.refit(X, y, drop=[2], sensitive_features=groups)
    p = model.predict_proba(X)[:, 1]
    assert abs(p[groups == "a"].mean() - p[groups == "b"].mean()) <= 0.05 + 1e-6
    assert abs(model.fairness_disparity_) <= 0.05 + 1e-6 and not np.any(model.bin_scores_[2])
