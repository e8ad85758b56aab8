"""Local edits without data, the edit log edits_, its persistence and describe (estimators/_edits.py)."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import embedsum
from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.estimators._importances import mirad_importances
from embedsum.estimators._isotonic import isotonic_projection


def _mixed(seed=0, n=300):
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"size": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], size=n),
                          "age": rng.normal(size=n)})
    y = (frame["size"] + (frame["colour"] == "red") - frame["age"] ** 2 + 0.3 * rng.normal(size=n)) > 0
    return frame, y


def _regressor(n=400, seed=0, **params):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1]
    return X, y, EmbeddingSumRegressor(max_bins=8, **params).fit(X, y)


def test_a_fresh_fit_has_an_empty_log_and_fit_clears_it():
    X, y, model = _regressor()
    assert model.edits_ == []
    model.drop_feature(0)
    assert len(model.edits_) == 1
    assert model.fit(X, y).edits_ == []


def test_drop_feature_removes_its_contribution_and_updates_importances():
    X, y, model = _regressor()
    parts = model.contributions(X)
    model.drop_feature(0)
    assert not np.any(model.bin_scores_[0])
    np.testing.assert_allclose(model.predict(X), model.intercept_ + parts[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.feature_importances_, mirad_importances(model.bin_scores_, model.bin_weights_))
    assert model.feature_importances_[0] == 0
    assert model.edits_ == [{"kind": "drop_feature", "feature": 0, "name": None}]


def test_set_scores_on_a_categorical_feature_recomputes_its_unseen_score():
    frame, y = _mixed()
    model = EmbeddingSumClassifier(max_bins=6).fit(frame, y)
    new = np.arange(len(model.bin_scores_[1]), dtype=float)
    model.set_scores("colour", new)
    np.testing.assert_array_equal(model.bin_scores_[1], new)
    weights = model.bin_weights_[1] / model.bin_weights_[1].sum()
    assert model.unseen_scores_[1] == pytest.approx(float(weights @ new), rel=1e-15)
    assert model.edits_[-1] == {"kind": "set_scores", "feature": 1, "name": "colour"}
    unseen = frame.iloc[:1].copy()
    unseen["colour"] = "purple"
    rest = model.row_scores(unseen)[0]
    assert rest[1] == model.unseen_scores_[1]


def test_edits_remove_the_standard_errors_that_describe_the_fitted_model():
    _, _, model = _regressor(uncertainty=True)
    assert hasattr(model, "covariance_") and hasattr(model, "bin_scores_se_")
    model.flatten(1, 0, 3)
    for name in ("covariance_", "bin_scores_se_", "feature_tests_", "edf_", "scale_"):
        assert not hasattr(model, name)
    with pytest.raises(ValueError, match="no standard errors .an edit removes them"):
        model.decision_interval(np.zeros((1, 2)))


def test_flatten_sets_the_range_to_its_weighted_mean():
    _, _, model = _regressor()
    old = model.bin_scores_[0].copy()
    weights = model.bin_weights_[0]
    model.flatten(0, 2, 5)
    expected = np.average(old[2:5], weights=weights[2:5])
    np.testing.assert_allclose(model.bin_scores_[0][2:5], expected, rtol=1e-14)
    assert len(set(model.bin_scores_[0][2:5].tolist())) == 1
    np.testing.assert_array_equal(model.bin_scores_[0][:2], old[:2])
    np.testing.assert_array_equal(model.bin_scores_[0][5:], old[5:])
    assert model.edits_[-1] == {"kind": "flatten", "feature": 0, "name": None, "start": 2, "stop": 5}


def test_flatten_of_a_multiclass_model_averages_each_class():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    old = model.bin_scores_[0].copy()
    model.flatten(0, 0, 3)
    np.testing.assert_allclose(model.bin_scores_[0][0], np.average(old[:3], axis=0, weights=model.bin_weights_[0][:3]))
    assert model.predict_proba(X).shape == (300, 3)
    with pytest.raises(ValueError, match="multiclass"):
        model.monotonize(0, 1)


@pytest.mark.parametrize("call, error", [
    (lambda m: m.flatten(0, 3, 3), ValueError),
    (lambda m: m.flatten(0, 0, 99), ValueError),
    (lambda m: m.flatten(0, 0.5, 2), TypeError),
    (lambda m: m.set_scores(0, [1.0, 2.0]), ValueError),
    (lambda m: m.set_scores(0, np.full(len(m.bin_scores_[0]), np.nan)), ValueError),
    (lambda m: m.drop_feature(2), ValueError),
    (lambda m: m.drop_feature("x0"), ValueError),  # no feature names
    (lambda m: m.monotonize(0, 2), ValueError),
])
def test_bad_edits_are_refused_and_change_nothing(call, error):
    _, _, model = _regressor()
    before = model.to_json()
    with pytest.raises(error):
        call(model)
    assert model.to_json() == before


def test_monotonize_projects_and_keeps_the_constraint():
    X, y, model = _regressor()
    scores = model.bin_scores_[0].copy()
    model.monotonize(0, -1)
    interval = model.bin_scores_[0][:-1]
    assert np.all(np.diff(interval) <= 0) and model.monotonic_cst_.tolist() == [-1, 0]
    assert model.bin_scores_[0][-1] == scores[-1]  # the missing bin is left alone
    np.testing.assert_allclose(interval, isotonic_projection(scores[:-1], model.bin_weights_[0][:-1], False))
    # A constrained feature must stay monotone under later edits, and a refit keeps it so.
    with pytest.raises(ValueError, match="monotone"):
        model.set_scores(0, np.arange(len(scores), dtype=float))
    model.refit(X, y)
    assert np.all(np.diff(model.bin_scores_[0][:-1]) <= 0) and model.monotonic_cst_.tolist() == [-1, 0]


def test_monotonize_refuses_a_categorical_feature():
    frame, y = _mixed()
    with pytest.raises(ValueError, match="categorical"):
        EmbeddingSumClassifier(max_bins=6).fit(frame, y).monotonize("colour", 1)


@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(0.01, 10)), min_size=1, max_size=30), st.booleans())
def test_isotonic_projection_equals_scipy(pairs, increasing):
    from scipy.optimize import isotonic_regression

    values, weights = (np.array(v) for v in zip(*pairs))
    expected = isotonic_regression(values, weights=weights, increasing=increasing).x
    np.testing.assert_allclose(isotonic_projection(values, weights, increasing), expected, rtol=1e-9, atol=1e-9)


@given(st.lists(st.tuples(st.floats(-100, 100), st.sampled_from([0.0, 0.5, 2.0])), min_size=1, max_size=30))
def test_isotonic_projection_with_weightless_bins_is_monotone_and_fits_the_weighted_ones(pairs):
    from scipy.optimize import isotonic_regression

    values, weights = (np.array(v) for v in zip(*pairs))
    out = isotonic_projection(values, weights)
    assert np.all(np.diff(out) >= 0)
    heavy = weights > 0
    if heavy.any():  # the weighted bins get scipy's answer on them alone
        expected = isotonic_regression(values[heavy], weights=weights[heavy]).x
        np.testing.assert_allclose(out[heavy], expected, rtol=1e-9, atol=1e-9)
    for i in np.flatnonzero(~heavy):  # a weightless bin keeps its value, or meets a neighbour's result
        later = out[i + 1:][heavy[i + 1:]]
        assert out[i] == values[i] or (i > 0 and out[i] == out[i - 1]) or (len(later) and out[i] == later[0])


def test_the_log_is_saved_loaded_and_described():
    frame, y = _mixed()
    model = EmbeddingSumClassifier(max_bins=6, uncertainty=True).fit(frame, y)
    assert "edits" not in json.loads(model.to_json())  # an unedited model writes what it wrote before
    model.refit(frame, y, drop=["size"], monotonic_cst={"age": 0}, X_test=frame, y_test=y)
    model.monotonize("age", -1).flatten("colour", 0, 2).set_scores(0, np.zeros(len(model.bin_scores_[0])))
    model.drop_feature("colour")
    loaded = embedsum.from_json(model.to_json())
    assert loaded.edits_ == model.edits_ and len(loaded.edits_) == 5
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))
    assert loaded.to_json() == model.to_json()
    assert not hasattr(loaded, "covariance_") and loaded.uncertainty
    text = loaded.describe()
    section = text[text.index("Edits (5"):].splitlines()
    assert section[1].startswith("  1. refit on 300 rows; dropped size")
    assert "training loss" in section[2] and "held-out loss" in section[2]
    assert section[3] == "  2. made age non-increasing (isotonic projection)"
    assert max(len(line) for line in text.splitlines()) <= 80


def _edited_document():
    _, _, model = _regressor()
    model.flatten(0, 1, 3)
    return json.loads(model.to_json())


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(edits={}), "expected a list"),
    (lambda d: d["edits"].append({"kind": "undo"}), "kind"),
    (lambda d: d["edits"][0].update(feature=2), "out of bounds"),
    (lambda d: d["edits"][0].update(name="x0"), "called None"),
    (lambda d: d["edits"][0].update(stop=99), "out of bounds"),
    (lambda d: d["edits"][0].update(start=True), "integer"),
    (lambda d: d["edits"][0].pop("stop"), "exactly the keys"),
    (lambda d: d["edits"].__setitem__(0, {"kind": "monotonize", "feature": 0, "name": None, "direction": 0}),
     "direction"),
    (lambda d: d["edits"].__setitem__(0, dict(_REFIT, drop=[1, 0])), "out of bounds"),
    (lambda d: d["edits"].__setitem__(0, dict(_REFIT, train_loss_after=-1.0)), "loss is >= 0"),
    (lambda d: d["edits"].__setitem__(0, dict(_REFIT, test_loss_before=0.5)), "finite number"),
    (lambda d: d["edits"].__setitem__(0, dict(_REFIT, converged=1)), "true or false"),
    (lambda d: d["edits"].extend([d["edits"][0]] * 2**16), "more than the bound"),
    (lambda d: d.update(format_version=4), "unknown keys"),
])
def test_a_damaged_log_is_refused(change, message):
    doc = _edited_document()
    change(doc)
    with pytest.raises(ValueError, match=message):
        embedsum.from_json(json.dumps(doc))


_REFIT = {"kind": "refit", "drop": [0], "fix": [], "increasing": [], "decreasing": [], "n_rows": 10, "n_iter": 3,
          "converged": True, "train_loss_before": 0.5, "train_loss_after": 0.6, "test_loss_before": None,
          "test_loss_after": None}


def test_a_refit_record_loads_and_an_unedited_model_must_keep_its_standard_errors():
    doc = _edited_document()
    doc["edits"] = [_REFIT]
    assert embedsum.from_json(json.dumps(doc)).edits_ == [_REFIT]
    _, _, model = _regressor(uncertainty=True)
    doc = json.loads(model.to_json())
    doc["uncertainty"] = None
    with pytest.raises(ValueError, match="uncertainty"):
        embedsum.from_json(json.dumps(doc))


def test_local_edits_keep_the_pair_terms_and_drop_those_of_a_dropped_feature():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 3))
    y = X[:, 0] * X[:, 1] + X[:, 2]
    model = EmbeddingSumRegressor(max_bins=8, interactions=[(0, 1)]).fit(X, y)
    table = model.pair_scores_[0].copy()
    model.flatten(2, 0, 3)
    np.testing.assert_array_equal(model.pair_scores_[0], table)
    with pytest.raises(ValueError, match="pair term"):
        model.monotonize(0, 1)
    model.drop_feature(1)
    assert model.pairs_ == [(0, 1)] and not np.any(model.pair_scores_[0])
    loaded = embedsum.from_json(model.to_json())
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert [e["kind"] for e in loaded.edits_] == ["flatten", "drop_feature"]
