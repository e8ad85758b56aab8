"""Explanations: exact contributions, baseline-relative attributions, significance, shape functions."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier
from embedsum.baselines import baseline_points
from embedsum.digitizer import bin_codes
from embedsum.explain import attributions, contributions, shape_functions, significance


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), n_features=st.integers(1, 6), nan_share=st.sampled_from([0.0, 0.1]))
def test_intercept_plus_contributions_is_the_decision_bit_for_bit(seed, n_features, nan_share):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, n_features)) * rng.choice([1e-3, 1.0, 1e4], size=n_features)
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    X[rng.random(X.shape) < nan_share] = np.nan
    model = EmbeddingSumClassifier(max_bins=10).fit(X, y)
    rows = np.vstack([X[:50], [[np.inf] * n_features, [-np.inf] * n_features, [np.nan] * n_features]])
    c = contributions(model, rows)
    total = np.full(len(rows), model.intercept_)
    for j in range(n_features):
        total = total + c[:, j]
    assert np.array_equal(total.view(np.uint64), model.decision_function(rows).view(np.uint64))
    # each contribution is the score of one of the feature's bins
    for j in range(n_features):
        assert set(c[:, j]).issubset(set(model.bin_scores_[j]))


# --- baseline-relative attributions (Enhanced Integrated Gradients), significance, shape functions ---

BASELINES = ["zero", "expected", "median", "kmeans", "close", "random"]


def _data(seed, n=400, d=4, nan_share=0.1, signal=(0,)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    logit = sum(1.5 * X[:, j] for j in signal)
    y = (logit + rng.normal(size=n) > 0).astype(int)
    X[rng.random(X.shape) < nan_share] = np.nan
    return X, y


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), n_features=st.integers(1, 5), nan_share=st.sampled_from([0.0, 0.2]),
       baseline=st.sampled_from(BASELINES), n_points=st.integers(1, 12))
def test_attributions_are_complete_for_every_baseline(seed, n_features, nan_share, baseline, n_points):
    X, y = _data(seed, n=200, d=n_features, nan_share=nan_share)
    model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    rows = np.vstack([X[:30], [[np.inf] * n_features, [-np.inf] * n_features, [np.nan] * n_features]])
    group = X[y == 0]
    kw = {} if baseline in ("zero", "expected") else {"baseline_X": group, "n_points": n_points, "random_state": 1}
    a = attributions(model, rows, baseline, **kw)
    assert a.shape == rows.shape and np.all(np.isfinite(a))
    z = model.decision_function(rows)
    if baseline == "zero":
        reference = model.decision_function(np.zeros((1, n_features)))
    elif baseline == "expected":
        reference = model.intercept_ + sum(float(w @ s) for s, w in zip(model.bin_scores_, model.bin_weights_))
    else:
        points = baseline_points(model._validated(rows), group, baseline, n_points=n_points, random_state=1)
        if baseline == "close":
            reference = np.array([model.decision_function(p).mean() for p in points])
        else:
            reference = model.decision_function(points).mean()
    np.testing.assert_allclose(a.sum(axis=1), z - reference, rtol=1e-12, atol=1e-9)


def test_expected_baseline_gives_exact_interventional_shap():
    X, y = _data(3, n=500, d=3, nan_share=0.1, signal=(0, 1))
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    rows = X[:40]
    a = attributions(model, rows)
    # For an additive model, interventional SHAP of feature j is f_j(x_j) minus the mean of
    # f_j over the training distribution of x_j: here computed directly, bin by bin.
    for j in range(3):
        f = model.bin_scores_[j]
        codes = bin_codes(rows[:, j], model.cuts_[j])
        mean_over_training = sum(w * s for w, s in zip(model.bin_weights_[j], f))
        np.testing.assert_allclose(a[:, j], f[codes] - mean_over_training, rtol=0, atol=1e-12)
    # ... and the training-weighted mean agrees with a brute-force mean over the training rows
    brute = np.array([np.mean(model.bin_scores_[j][bin_codes(X[:, j], model.cuts_[j])]) for j in range(3)])
    np.testing.assert_allclose(contributions(model, rows) - a, np.broadcast_to(brute, a.shape), atol=1e-12)


@pytest.mark.parametrize("baseline", ["kmeans", "random", "median", "close"])
def test_group_baselines_are_deterministic_with_random_state(baseline):
    X, y = _data(5)
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    kw = {"baseline_X": X[y == 0], "n_points": 4}
    first = attributions(model, X[:20], baseline, random_state=7, **kw)
    assert np.array_equal(first, attributions(model, X[:20], baseline, random_state=7, **kw))
    if baseline in ("kmeans", "random"):
        assert not np.array_equal(first, attributions(model, X[:20], baseline, random_state=8, **kw))


def test_close_skips_the_nearest_baseline_row():
    B = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    x = np.array([[0.9, 0.0]])
    assert baseline_points(x, B, "close", n_points=2).tolist() == [[[0.0, 0.0], [2.0, 0.0]]]
    assert baseline_points(x, B, "close", n_points=2, skip_nearest=0).tolist() == [[[1.0, 0.0], [0.0, 0.0]]]
    # a row explained against a class it belongs to is not its own baseline
    X, y = _data(6, nan_share=0.0)
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    group = X[y == 0]
    a = attributions(model, group[:5], "close", baseline_X=group, n_points=1)
    nearest_other = baseline_points(group[:5], group, "close", n_points=1)[:, 0]
    expected = contributions(model, group[:5]) - contributions(model, nearest_other)
    np.testing.assert_array_equal(a, expected)
    with pytest.raises(ValueError, match="skip"):
        attributions(model, X[:2], "close", baseline_X=group[:1])


def test_attributions_reject_bad_baselines():
    X, y = _data(7)
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    with pytest.raises(ValueError, match="baseline_X"):
        attributions(model, X[:2], "median")
    with pytest.raises(ValueError, match="does not use baseline_X"):
        attributions(model, X[:2], "zero", baseline_X=X)
    with pytest.raises(ValueError, match="unknown baseline"):
        attributions(model, X[:2], "mean")
    with pytest.raises(ValueError, match="features"):
        attributions(model, X[:2], "random", baseline_X=X[:, :2])


def _signal_problem(seed, n_train=800, n_test=300, d=6, signal=(0, 1)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_train + n_test, d))
    y = X[:, list(signal)].sum(axis=1) + 0.5 * rng.normal(size=len(X)) > 0
    model = EmbeddingSumClassifier(max_bins=8).fit(X[:n_train], y[:n_train])
    # Significance on fresh rows: on the training rows the noise a shape function fitted
    # would line up with the labels and inflate the irrelevant features.
    X_test, y_test = X[n_train:], y[n_train:]
    return model, X_test[y_test], X_test[~y_test]


def test_significance_flags_the_signal_features():
    model, X_class, X_ref = _signal_problem(0)
    for baseline in ["expected", "zero", "close", "median", "kmeans", "random"]:
        result = significance(model, X_class, X_ref, baseline=baseline, random_state=0)
        assert [r.name for r in result] == [f"x{j}" for j in range(6)]
        assert [r.significant for r in result[:2]] == [True, True], baseline
        for r in result:
            assert r.adjusted_p_value == min(1.0, 6 * r.p_value)
            assert r.significant == (r.adjusted_p_value < 0.05)


def test_significance_rarely_flags_irrelevant_features():
    n_seeds, flagged = 40, np.zeros(4)
    for seed in range(n_seeds):
        model, X_class, X_ref = _signal_problem(100 + seed, n_train=400, n_test=200)
        result = significance(model, X_class, X_ref, random_state=seed)
        assert result[0].significant and result[1].significant
        flagged += [r.significant for r in result[2:]]
    assert np.all(flagged <= 0.05 * n_seeds), flagged


def test_sklearn_permutation_importance_and_partial_dependence_work():
    from sklearn.inspection import partial_dependence, permutation_importance

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = (2 * X[:, 1] + 0.5 * X[:, 0] + rng.normal(size=500) > 0).astype(int)
    model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    pi = permutation_importance(model, X, y, n_repeats=3, random_state=0)
    assert np.argmax(pi.importances_mean) == 1
    for j in range(3):
        grid = np.unique(X[:, j])[::25]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            pd = partial_dependence(model, X, [j], kind="average", custom_values={j: grid},
                                    response_method="decision_function")
        values = pd["grid_values"][0]
        np.testing.assert_array_equal(values, grid)
        shape = model.bin_scores_[j][bin_codes(values, model.cuts_[j])]
        offset = pd["average"][0] - shape
        np.testing.assert_allclose(offset, offset[0], rtol=0, atol=1e-9)


def test_shape_functions_match_the_fitted_arrays():
    X, y = _data(8, nan_share=0.1)
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    records = shape_functions(model)
    from_method = model.shape_functions()
    assert [r.name for r in from_method] == [r.name for r in records]
    assert all(np.array_equal(a.scores, b.scores) for a, b in zip(records, from_method))
    for j, r in enumerate(records):
        assert r.name == f"x{j}"
        assert np.array_equal(r.lower[1:], model.cuts_[j]) and r.lower[0] == -np.inf
        assert np.array_equal(r.upper[:-1], model.cuts_[j]) and r.upper[-1] == np.inf
        assert np.array_equal(np.append(r.scores, r.missing_score), model.bin_scores_[j])
        assert np.array_equal(np.append(r.weights, r.missing_weight), model.bin_weights_[j])
        assert r.importance == model.feature_importances_[j]
        # each bin's interval holds exactly the values that fall in it
        codes = bin_codes(X[:, j], model.cuts_[j])
        present = ~np.isnan(X[:, j])
        assert np.all(r.lower[codes[present]] < X[present, j]) and np.all(X[present, j] <= r.upper[codes[present]])
    assert np.array_equal(model.contributions(X[:5]), contributions(model, X[:5]))
