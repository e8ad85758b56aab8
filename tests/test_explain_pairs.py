"""Explanations of models with pair terms: one column per term, exact sums, names (docs/design.md#pair-terms)."""

import numpy as np
import pandas as pd
import pytest
from _oracles import left_to_right

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.explain import attributions, contributions, shap_explanation, significance
from embedsum.inspection._baselines import baseline_points
from embedsum.inspection._kinds import term_names


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    X[rng.random(n) < 0.05, 1] = np.nan
    logit = 2.0 * np.sign(X[:, 0]) * np.sign(np.nan_to_num(X[:, 1])) + 0.5 * X[:, 2]
    return X, logit, rng


@pytest.fixture(scope="module")
def models():
    X, logit, rng = _data()
    y = rng.random(len(X)) < 1 / (1 + np.exp(-logit))
    y3 = np.digitize(logit + rng.normal(size=len(X)), [-1.0, 1.0])
    kw = dict(max_bins=6, interactions=[(0, 1), (1, 2)], interaction_bins=4)
    return X, {"binary": EmbeddingSumClassifier(**kw).fit(X, y),
               "multiclass": EmbeddingSumClassifier(**kw).fit(X, y3),
               "regression": EmbeddingSumRegressor(**kw).fit(X, logit)}


@pytest.fixture(scope="module")
def categorical_model():
    rng = np.random.default_rng(3)
    n = 500
    X = pd.DataFrame({"age": rng.normal(size=n),
                      "proto": rng.choice(["tcp", "udp", "icmp"], size=n, p=[0.5, 0.3, 0.2])})
    y = rng.random(n) < 1 / (1 + np.exp(-np.where(X["proto"] == "tcp", 1.5, -1.0) * X["age"]))
    return X, EmbeddingSumClassifier(max_bins=6, interactions=1, interaction_bins=4).fit(X, y)


def _pair_score(model, p, X):
    return model.row_scores(X)[:, model.n_features_in_ + p]


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_contributions_have_a_column_per_term_and_add_up_bit_for_bit(models, kind):
    X, all_models = models
    model = all_models[kind]
    c = contributions(model, X[:50])
    assert c.shape[1] == 5 == len(term_names(model))
    decision = model.predict(X[:50]) if kind == "regression" else model.decision_function(X[:50])
    assert np.array_equal(left_to_right(model.intercept_, np.moveaxis(c, 1, 0)), decision)


def test_term_names_are_the_features_then_each_pair(models, categorical_model):
    assert term_names(models[1]["binary"]) == ["x0", "x1", "x2", "x0 × x1", "x1 × x2"]
    X, model = categorical_model
    c = contributions(model, X.iloc[:4])
    assert list(c.columns) == ["age", "proto", "age × proto"] and list(c.index) == list(X.index[:4])


def test_expected_attributions_of_a_pair_are_its_score_minus_its_training_mean(models):
    X, all_models = models
    model = all_models["binary"]
    a = attributions(model, X[:40], "expected")
    for p in range(2):
        w = model.pair_weights_[p]
        mean = np.sum(w * model.pair_scores_[p][:w.shape[0], :w.shape[1]]) / np.sum(w)
        assert np.allclose(a[:, 3 + p], _pair_score(model, p, X[:40]) - mean, rtol=0, atol=1e-12)
    # completeness: the terms add up to the decision value less the decision at the expected scores
    expected = model.decision_function(X[:40]) - a.sum(axis=1)
    assert np.allclose(expected, expected[0], rtol=0, atol=1e-9)


@pytest.mark.parametrize("baseline", ["random", "median", "zero"])
def test_group_attributions_of_numeric_pairs_are_complete(models, baseline):
    X, all_models = models
    model = all_models["regression"]
    B = X[200:400]
    kw = {} if baseline == "zero" else dict(baseline_X=B, n_points=7, random_state=4)
    a = attributions(model, X[:30], baseline, **kw)
    points = np.zeros((1, 3)) if baseline == "zero" else baseline_points(X[:30], B, baseline, n_points=7,
                                                                         random_state=4)
    assert a.shape == (30, 5)
    assert np.allclose(a.sum(axis=1), model.predict(X[:30]) - model.predict(points).mean(), rtol=0, atol=1e-9)


def test_a_pair_with_a_categorical_axis_takes_its_mean_over_the_baseline_rows(categorical_model):
    X, model = categorical_model
    B = X.iloc[100:300]
    a = attributions(model, X.iloc[:20], "median", baseline_X=B, n_points=5).to_numpy()
    assert np.allclose(a[:, 2], _pair_score(model, 0, X.iloc[:20]) - _pair_score(model, 0, B).mean(),
                       rtol=0, atol=1e-12)


def test_significance_tests_every_term(models):
    X, all_models = models
    model = all_models["binary"]
    y = model.predict(X).astype(bool)
    result = significance(model, X[y], X[~y], random_state=0)
    assert [r.name for r in result] == term_names(model)
    assert all(0 <= r.adjusted_p_value <= 1 for r in result)


def test_shap_explanation_refuses_a_pair_model(models):
    X, all_models = models
    with pytest.raises(ValueError, match="pair terms"):
        shap_explanation(all_models["binary"], X[:3])
