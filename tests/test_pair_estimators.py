"""Pair terms in the estimators: choice, fit, every scoring path bit for bit, persistence (docs/design.md#pair-terms)."""

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import embedsum
from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.scoring._codes import decision_values_of_codes
from embedsum.scoring._links import sigmoid


def _xor_data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[rng.random(n) < 0.05, 1] = np.nan
    logit = 2.0 * np.sign(X[:, 0]) * np.sign(np.nan_to_num(X[:, 1])) + 0.5 * X[:, 2]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return X, y


def _mixed_data(n=2000, seed=1):
    rng = np.random.default_rng(seed)
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.normal(size=n)
    X[:, 1] = rng.choice(np.array(["tcp", "udp", "icmp", "gre"], dtype=object), size=n, p=[0.5, 0.3, 0.15, 0.05])
    X[:, 2] = rng.normal(size=n)
    logit = np.where(X[:, 1] == "tcp", 1.5, -1.0) * X[:, 0].astype(float)
    return X, logit, rng


@pytest.fixture(scope="module")
def xor_models():
    X, y = _xor_data()
    return X, y, EmbeddingSumClassifier().fit(X, y), EmbeddingSumClassifier(interactions=2).fit(X, y)


def test_an_interaction_is_found_and_lowers_the_held_out_loss(xor_models):
    X, y, plain, paired = xor_models
    assert plain.pairs_ == [] and plain.pair_scores_ == []
    assert paired.pairs_[0] == (0, 1)
    X_test, y_test = _xor_data(seed=5)
    from sklearn.metrics import log_loss

    assert log_loss(y_test, paired.predict_proba(X_test)) < 0.9 * log_loss(y_test, plain.predict_proba(X_test))
    # the table has each axis's interval bins and the missing bin
    n_a, n_b = len(paired.pair_cuts_[0][0]) + 2, len(paired.pair_cuts_[0][1]) + 2
    assert paired.pair_scores_[0].shape == (n_a, n_b) == paired.pair_weights_[0].shape
    assert paired.pair_weights_[0][-1, :].sum() == 0  # feature 0 has no missing values
    assert paired.pair_weights_[0][:, -1].sum() > 0.03  # feature 1 has 5 %
    assert paired.pair_importances_[0] > 0.5


def test_zero_interactions_is_the_model_of_main_effects():
    X, y = _xor_data(n=500)
    a, b = EmbeddingSumClassifier().fit(X, y), EmbeddingSumClassifier(interactions=0).fit(X, y)
    assert np.array_equal(a.decision_function(X), b.decision_function(X)) and b.pairs_ == []
    assert list(a.history_) == ["loss", "classification", "step", "embedding_sum", "l2"]


def _per_row(model, X, method="decision_function"):
    return np.array([getattr(model, method)(X[i:i + 1])[0] for i in range(len(X))])


def _left_to_right(model, X):
    """The scoring contract spelled out: intercept, then each term's score, added in order."""
    scores = model.row_scores(X)
    z = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (len(X),) + scores.shape[2:]).copy()
    for t in range(scores.shape[1]):
        z = z + scores[:, t]
    return z


def test_every_scoring_path_gives_the_same_bits_with_pairs(xor_models):
    X, _, _, model = xor_models
    X = np.vstack([X[:700], [[np.nan, np.nan, np.inf, -np.inf]]])
    batch = model.decision_function(X)
    assert np.array_equal(batch, _per_row(model, X[:40]).tolist() + list(batch[40:]))
    assert np.array_equal(batch, _left_to_right(model, X))
    assert model.row_scores(X).shape == (len(X), 4 + len(model.pairs_))
    assert np.array_equal(model.predict_proba(X[:5]), _per_row(model, X[:5], "predict_proba"))
    assert np.array_equal(model.predict_proba(X)[:, 1], sigmoid(batch))
    # the row-by-row pure-Python path and the numpy path read the same table cells
    rows = X[:8].tolist()
    assert np.array_equal(model.decision_function(rows), batch[:8])


def test_categorical_axes_score_unseen_categories_by_the_weighted_mean():
    X, logit, rng = _mixed_data()
    y = rng.random(len(X)) < 1 / (1 + np.exp(-logit))
    model = EmbeddingSumClassifier(interactions=[(0, 1)], min_category_count=5).fit(X, y)
    table, w = model.pair_scores_[0], model.pair_weights_[0]
    m = len(model.categories_[1])
    assert model.pair_cuts_[0][1] is None and table.shape == (w.shape[0], m + 3) and w.shape[1] == m + 2
    expected = (w * table[:, :-1]).sum(axis=1) / np.where(w.sum(axis=1) > 0, w.sum(axis=1), 1)
    assert np.allclose(table[:, -1], np.where(w.sum(axis=1) > 0, expected, 0.0), rtol=0, atol=1e-12)
    unseen = X[:6].copy()
    unseen[:, 1] = "never-seen"
    z = model.decision_function(unseen)
    assert np.array_equal(z, _per_row(model, unseen))
    assert np.array_equal(z, _left_to_right(model, unseen))
    both = np.vstack([X[:500], unseen])
    assert np.array_equal(model.decision_function(both)[-6:], z)


def test_multiclass_and_regression_pairs_score_left_to_right():
    X, logit, rng = _mixed_data(n=1500)
    classes = np.digitize(logit + rng.normal(size=len(X)), [-0.5, 0.5])
    multi = EmbeddingSumClassifier(interactions=1, min_category_count=5).fit(X, classes)
    assert len(multi.pairs_) == 1 and multi.pair_scores_[0].ndim == 3 and multi.pair_scores_[0].shape[2] == 3
    z = multi.decision_function(X)
    assert np.array_equal(z, _left_to_right(multi, X))
    assert np.array_equal(z[:4], _per_row(multi, X[:4]))
    assert np.array_equal(multi.predict_proba(X[:3]), _per_row(multi, X[:3], "predict_proba"))
    reg = EmbeddingSumRegressor(interactions=1, min_category_count=5).fit(X, logit)
    assert reg.pairs_ == [(0, 1)]
    assert reg.score(X, logit) > EmbeddingSumRegressor(min_category_count=5).fit(X, logit).score(X, logit) + 0.1
    assert np.array_equal(reg.predict(X[:5]), _per_row(reg, X[:5], "predict"))


def test_pairs_round_trip_bit_for_bit(xor_models, tmp_path):
    X, _, _, model = xor_models
    doc = json.loads(model.to_json())
    assert doc["format_version"] == 5 and [p["features"] for p in doc["pairs"]] == [list(p) for p in model.pairs_]
    loaded = embedsum.from_json(json.dumps(doc))
    assert loaded.pairs_ == model.pairs_ and loaded.get_params() == model.get_params()
    assert np.array_equal(loaded.decision_function(X), model.decision_function(X))
    assert np.array_equal(loaded.pair_importances_, model.pair_importances_)
    X_mixed, logit, rng = _mixed_data(n=800)
    multi = EmbeddingSumClassifier(interactions=[(0, 1)], min_category_count=5).fit(
        X_mixed, np.digitize(logit, [-0.5, 0.5]))
    again = embedsum.from_json(multi.to_json())
    assert np.array_equal(again.predict_proba(X_mixed), multi.predict_proba(X_mixed))


def _changed(doc, edit):
    doc = json.loads(json.dumps(doc))
    edit(doc["pairs"][0])
    return json.dumps(doc)


@pytest.mark.parametrize("edit, message", [
    (lambda p: p.update(features=[1, 0]), r"pairs\[0\].features: expected two features in increasing order"),
    (lambda p: p.update(features=[0, 9]), r"pairs\[0\].features"),
    (lambda p: p["scores"].pop(), r"pairs\[0\].scores: has \d+ rows; the axis has \d+ codes"),
    (lambda p: p["scores"][0].append(0.0), r"pairs\[0\].scores\[0\]"),
    (lambda p: p["weights"][0].__setitem__(0, 5.0), r"pairs\[0\].weights: sums to"),
    (lambda p: p["cuts"].__setitem__(0, None), r"pairs\[0\].cuts"),
    (lambda p: p["cuts"][0].reverse(), r"not strictly increasing"),
    (lambda p: p.update(extra=1), r"pairs\[0\]: expected an object with exactly the keys"),
])
def test_damaged_pair_terms_are_refused(xor_models, edit, message):
    doc = json.loads(xor_models[3].to_json())
    with pytest.raises(ValueError, match=message):
        embedsum.from_json(_changed(doc, edit))


def test_a_hostile_pair_table_cannot_allocate_more_than_its_document():
    X, y = _xor_data(n=300)
    doc = json.loads(EmbeddingSumClassifier(interactions=[(0, 1)]).fit(X, y).to_json())
    doc["pairs"][0]["cuts"][0] = list(np.arange(65535.0))  # an axis of 65,537 codes, with no rows behind it
    with pytest.raises(ValueError, match=r"pairs\[0\].scores: has \d+ rows; the axis has 65537 codes"):
        embedsum.from_json(json.dumps(doc))


def test_interactions_are_checked():
    X, y = _xor_data(n=300)
    for bad, message in [(-1, ">= 0"), ([(0, 0)], "two different features"), ([(0, 7)], "out of range"),
                         ([(0, 1), (1, 0)], "given twice"), ([(0, 1, 2)], "pair of two"), ("all", "an int")]:
        with pytest.raises(ValueError, match=message):
            EmbeddingSumClassifier(interactions=bad).fit(X, y)
    with pytest.raises(ValueError, match="monotone constraint"):
        EmbeddingSumClassifier(interactions=[(0, 2)], monotonic_cst=[0, 0, 1, 0]).fit(X, y)
    constrained = EmbeddingSumClassifier(interactions=3, monotonic_cst=[1, 0, 0, 0]).fit(X, y)
    assert all(0 not in pair for pair in constrained.pairs_)
    assert np.all(np.diff(constrained.bin_scores_[0][:-1]) >= 0)


def test_pairs_by_column_name():
    import pandas as pd

    X, y = _xor_data(n=400)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = EmbeddingSumClassifier(interactions=[("b", "a")]).fit(frame, y)
    assert model.pairs_ == [(0, 1)]
    assert embedsum.from_json(model.to_json()).get_params()["interactions"] == [["b", "a"]]


@settings(deadline=None)
@given(seed=st.integers(0, 2**16), n_pairs=st.integers(1, 3), axis_bins=st.integers(2, 6))
def test_any_pair_model_scores_rows_as_its_terms_add_up(seed, n_pairs, axis_bins):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = rng.random(120) < 0.5
    model = EmbeddingSumClassifier(max_bins=5, interactions=n_pairs, interaction_bins=axis_bins, max_iter=30)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    codes, tables = model._terms(model._validated(X))
    z = decision_values_of_codes(codes, tables, model.intercept_)
    assert np.array_equal(model.decision_function(X), z)
    assert np.array_equal(model.decision_function(X[:3]), z[:3])
