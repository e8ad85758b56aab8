"""The cross-validated estimators' category weights and pair stage (docs/design.md#pair-terms, #cross-validation)."""

import json

import numpy as np
import pytest

import embedsum
from embedsum import EmbeddingSumClassifierCV, EmbeddingSumRegressorCV
from embedsum.estimators._fitted_bins import fit_bins
from embedsum.estimators._pairs import PairAxes, choose_pairs
from embedsum.training._losses import LOSSES


def _xor(n=1500, d=4, seed=0, a=0, b=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    logit = 2.5 * np.sign(X[:, a]) * np.sign(X[:, b]) + 0.5 * X[:, 2]
    return X, rng.random(n) < 1 / (1 + np.exp(-logit))


@pytest.fixture(scope="module")
def xor_cv():
    X, y = _xor()
    return X, y, EmbeddingSumClassifierCV(step_loss_weights=3, cv=3, max_bins=16, interactions=2).fit(X, y)


def test_the_pair_stage_keeps_a_real_interaction(xor_cv):
    X, y, model = xor_cv
    results = model.pair_cv_results_
    grid = [1.0, 0.1, 0.01, 0.001, 0.0]
    tried = results["interaction_weight"]
    assert tried == grid[:len(tried)] and results["scores"].shape == (len(tried), 3)
    means = results["scores"].mean(axis=1)
    # the path goes on while the mean held-out score falls below the best so far (the main effects'
    # included), and stops at the first candidate that does not
    best = np.minimum.accumulate(np.concatenate([[results["main_effects"].mean()], means]))
    assert np.all(means[:-1] < best[:-2])
    assert len(tried) == len(grid) or means[-1] >= best[-2]
    assert means.min() < 0.9 * results["main_effects"].mean()
    assert model.interaction_weight_ == results["chosen"] == results["interaction_weight"][int(np.argmin(means))]
    assert model.pairs_[0] == (0, 1)
    params = model._saved_params()
    assert params["interaction_weight"] == model.interaction_weight_ and params["interactions"] == 2
    loaded = embedsum.from_json(model.to_json())
    assert type(loaded) is embedsum.EmbeddingSumClassifier and loaded.pairs_ == model.pairs_
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_pairs_are_kept_exactly_when_they_beat_the_main_effects():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 3))
    y = rng.random(600) < 1 / (1 + np.exp(-(X[:, 0] - X[:, 1])))  # additive: pairs can only fit noise
    model = EmbeddingSumClassifierCV(step_loss_weights=2, cv=3, max_bins=8, interactions=3).fit(X, y)
    results = model.pair_cv_results_
    wins = len(results["interaction_weight"]) and results["scores"].mean(axis=1).min() < results["main_effects"].mean()
    assert (model.interaction_weight_ is not None) == bool(wins) == bool(model.pairs_)


def test_each_fold_ranks_pairs_on_its_training_rows_only():
    X, y = _xor(n=400, seed=3)
    bins = fit_bins(X, None, None, categorical_features="auto", max_bins=8, min_category_count=1)
    layout = bins.layout()
    axes = PairAxes(bins, None, axis_bins=4, binning="quantile", min_bin_count=5)
    coef = np.zeros(layout.n_params)
    target, sw = y.astype(float), np.ones(len(y))
    train = np.arange(0, 400, 2)
    chosen = choose_pairs(axes, 3, coef, bins.codes, target, sw, LOSSES["log"], np.zeros(4), layout, rows=train)
    # the same ranking as on a table of the training rows alone
    sub = PairAxes.__new__(PairAxes)
    sub.cuts, sub.codes, sub.n_bins = axes.cuts, axes.codes[train], axes.n_bins
    alone = choose_pairs(sub, 3, coef, bins.codes[train], target[train], sw[train], LOSSES["log"], np.zeros(4),
                         layout)
    assert chosen == alone and chosen[0] == (0, 1)
    # changing the held-out rows' labels changes nothing
    flipped = target.copy()
    flipped[1::2] = 1 - flipped[1::2]
    assert choose_pairs(axes, 3, coef, bins.codes, flipped, sw, LOSSES["log"], np.zeros(4), layout,
                        rows=train) == chosen


def test_screened_tables_pair_the_kept_features_by_their_own_indices():
    rng = np.random.default_rng(2)
    n, d = 3000, 60  # more than 50 features: screening="auto" screens
    X = rng.normal(size=(n, d))
    logit = 2.5 * np.sign(X[:, 10]) * np.sign(X[:, 40]) + X[:, 10] + X[:, 40]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    model = EmbeddingSumClassifierCV(step_loss_weights=2, cv=3, max_bins=8, interactions=1).fit(X, y)
    assert 10 not in model.dropped_features_ and 40 not in model.dropped_features_
    assert model.pairs_ == [(10, 40)]
    assert np.array_equal(model.decision_function(X[:50]),
                          np.array([model.decision_function(X[i:i + 1])[0] for i in range(50)]))


def test_category_weights_are_a_path_each_and_the_choice_is_recorded():
    rng = np.random.default_rng(4)
    n = 800
    X = np.empty((n, 2), dtype=object)
    X[:, 0] = rng.normal(size=n)
    X[:, 1] = rng.choice(np.array([f"c{i}" for i in range(40)], dtype=object), size=n)
    y = X[:, 0].astype(float) + rng.normal(size=n)
    model = EmbeddingSumRegressorCV(step_loss_weights=3, cv=3, max_bins=8, min_category_count=2,
                                    category_weights=(0.0, 1.0, 10.0), interactions=0).fit(X, y)
    results = model.cv_results_
    assert results["category_weight"].tolist() == [0.0] * 3 + [1.0] * 3 + [10.0] * 3
    assert model.category_weight_ == results["category_weight"][model.best_index_]
    # 40 categories of noise: shrinking them predicts held-out rows better than not
    assert model.category_weight_ > 0
    assert json.loads(model.to_json())["params"]["category_weight"] == model.category_weight_
    with pytest.raises(ValueError, match="category_weights must be a sequence"):
        EmbeddingSumRegressorCV(category_weights=2).fit(X, y)
