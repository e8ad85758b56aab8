"""Explanations: exact contributions, baseline-relative attributions, significance, shape functions."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier
from embedsum.inspection._baselines import baseline_points
from embedsum.binning._digitizer import bin_codes
from embedsum.explain import attributions, contributions, shape_functions, significance

from _oracles import bits, left_to_right, linear_data, training_data


@settings(max_examples=15)
@given(data=training_data(max_rows=300, max_features=6))
def test_intercept_plus_contributions_is_the_decision_bit_for_bit(data):
    X, y = data
    n_features = X.shape[1]
    model = EmbeddingSumClassifier(max_bins=10).fit(X, y)
    rows = np.vstack([X[:50], [[np.inf] * n_features, [-np.inf] * n_features, [np.nan] * n_features]])
    c = contributions(model, rows)
    assert np.array_equal(bits(_left_to_right(model.intercept_, c)), bits(model.decision_function(rows)))
    # each contribution is the score of one of the feature's bins
    for j in range(n_features):
        assert set(c[:, j]).issubset(set(model.bin_scores_[j]))


# --- baseline-relative attributions (Enhanced Integrated Gradients), significance, shape functions ---

BASELINES = ["zero", "expected", "median", "kmeans", "close", "random"]


def _data(seed, n=400, d=4, nan_share=0.1, signal=(0,)):
    X, y = linear_data(seed, n, d, coef={j: 1.5 for j in signal}, nan_share=nan_share)
    return X, y.astype(int)


@settings(max_examples=15)
@given(data=training_data(min_rows=30, max_rows=200, max_features=5), baseline=st.sampled_from(BASELINES),
       n_points=st.integers(1, 12))
def test_attributions_are_complete_for_every_baseline(data, baseline, n_points):
    X, y = data
    n_features = X.shape[1]
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


# --- every kind of model: categorical features, multiclass, regression (docs/design.md#extensions) ---

from embedsum import EmbeddingSumRegressor  # noqa: E402
from embedsum.explain import category_order  # noqa: E402

PROTOCOLS = ["tcp", "udp", "icmp", "gre", "esp", "ah"]


def mixed_data(seed, n=600):
    """A numeric column with NaN, a text column with rare categories and None, a numeric noise column;
    binary, three-class and numeric targets that depend on both kinds of feature."""
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=n)
    proto = rng.choice(PROTOCOLS, p=[0.4, 0.3, 0.2, 0.06, 0.03, 0.01], size=n)
    X = np.empty((n, 3), dtype=object)
    X[:, 0], X[:, 1], X[:, 2] = x0, proto, rng.normal(size=n)
    X[rng.random(n) < 0.1, 1] = None
    X[rng.random(n) < 0.05, 0] = np.nan
    noise = rng.normal(size=n)
    targets = {
        "binary": x0 + 1.5 * (proto == "udp") - (proto == "icmp") + noise > 0.3,
        "multiclass": np.where(proto == "tcp", "web", np.where(x0 > 0, "mail", "dns")),
        "regression": 3 * x0 + 5 * (proto == "udp") + noise,
    }
    return X, targets


def fit_kind(kind, X, y, **params):
    params = {"max_bins": 6, "min_category_count": 30, **params}
    estimator = EmbeddingSumRegressor if kind == "regression" else EmbeddingSumClassifier
    return estimator(**params).fit(X, y)


def odd_rows(X):
    """Rows that reach every kind of bin: a rare category, an unseen one, missing values, ±inf."""
    rows = X[:40].copy()
    extra = np.array([[np.inf, "esp", -np.inf], [-np.inf, "never-seen", np.inf], [np.nan, None, np.nan],
                      [0.0, "", 0.0], [1.0, "ah", np.nan]], dtype=object)
    return np.vstack([rows, extra])


def decision(model, X):
    return model.predict(X) if not hasattr(model, "classes_") else model.decision_function(X)


KINDS = ["binary", "multiclass", "regression"]


@pytest.fixture(scope="module")
def kind_models():
    X, targets = mixed_data(0)
    return X, {kind: fit_kind(kind, X, targets[kind]) for kind in KINDS}


def _left_to_right(intercept, c):
    """intercept + c[:, 0] + c[:, 1] + ... per row (and class), in this order."""
    start = np.empty((c.shape[0],) + np.shape(intercept))
    start[...] = intercept
    return left_to_right(start, (c[:, j] for j in range(c.shape[1])))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", KINDS)
def test_contributions_sum_to_the_decision_bit_for_bit_for_every_kind(seed, kind):
    X, targets = mixed_data(seed, n=300)
    model = fit_kind(kind, X, targets[kind], max_bins=5, min_category_count=15)
    rows = odd_rows(X)
    c = contributions(model, rows)
    z = decision(model, rows)
    if kind == "multiclass":
        assert c.shape == (len(rows), 3, 3) and z.shape == (len(rows), 3)
    else:
        assert c.shape == (len(rows), 3)
    assert np.array_equal(bits(_left_to_right(model.intercept_, c)), bits(z))
    # per class, with class_: the same bits
    if kind == "multiclass":
        for k, label in enumerate(model.classes_):
            ck = contributions(model, rows, class_=label)
            assert np.array_equal(ck, c[:, :, k])
            assert np.array_equal(bits(_left_to_right(model.intercept_[k], ck)), bits(z[:, k]))
    # every contribution is one of the feature's bin scores, or its unseen score
    for j in range(3):
        allowed = np.asarray(model.bin_scores_[j]).reshape(len(model.bin_weights_[j]), -1)
        if model.unseen_scores_[j] is not None:
            allowed = np.vstack([allowed, np.reshape(model.unseen_scores_[j], (1, -1))])
        got = c[:, j].reshape(len(rows), -1)
        assert all((allowed == g).all(axis=1).any() for g in got)


def test_unseen_rare_and_missing_categories_score_their_bins(kind_models):
    X, models = kind_models
    model = models["binary"]
    m = len(model.categories_[1])
    c = contributions(model, odd_rows(X)[-5:])[:, 1]
    assert c[0] == model.bin_scores_[1][m]  # "esp" is rare: the "other" bin
    assert c[1] == model.unseen_scores_[1]  # never seen
    assert c[2] == model.bin_scores_[1][m + 1] and c[3] == model.bin_scores_[1][m + 1]  # None, "": missing
    assert "esp" in model.rare_categories_[1].tolist() and "esp" not in model.categories_[1].tolist()


def test_class_selects_one_class_or_negates_a_binary_model(kind_models):
    X, models = kind_models
    rows = odd_rows(X)
    binary, multiclass, regressor = models["binary"], models["multiclass"], models["regression"]
    c = contributions(binary, rows)
    assert np.array_equal(contributions(binary, rows, class_=binary.classes_[1].item()), c)
    negated = contributions(binary, rows, class_=False)
    assert np.array_equal(negated, -c)
    # exact: the log-odds of classes_[0] is -intercept - contributions, to the bit
    assert np.array_equal(_left_to_right(-binary.intercept_, negated), -binary.decision_function(rows))
    with pytest.raises(ValueError, match="unknown class 'spam'"):
        contributions(multiclass, rows, class_="spam")
    with pytest.raises(ValueError, match="regressor has no classes"):
        attributions(regressor, rows, class_="a")
    a = attributions(multiclass, rows)
    assert a.shape == (len(rows), 3, 3)
    assert np.array_equal(attributions(multiclass, rows, class_="mail"), a[:, :, 1])


GROUP = ["median", "kmeans", "close", "random"]


def _reference_decision(model, rows, baseline, B, **kw):
    """Mean decision value of the baseline points, computed directly from the fitted arrays."""
    categorical = np.array([c is None for c in model.cuts_])
    if baseline == "zero":
        return decision(model, np.zeros((1, model.n_features_in_)))[0]
    if baseline == "expected":
        return model.intercept_ + sum(np.asarray(w) @ np.asarray(s) for s, w in zip(model.bin_scores_, model.bin_weights_))
    numeric = np.flatnonzero(~categorical)
    num = lambda A: np.asarray(A[:, numeric], dtype=np.float64)  # noqa: E731
    points = baseline_points(num(rows), num(B), baseline, **kw)
    group = contributions(model, B)[:, categorical].sum(axis=1).mean(axis=0)  # categorical: the group mean

    def score(P):
        total = np.zeros(P.shape[:-1] + np.shape(model.intercept_))
        for i, j in enumerate(numeric):
            total = total + np.asarray(model.bin_scores_[j])[bin_codes(P[..., i], model.cuts_[j])]
        return total

    mean_points = score(points).mean(axis=1 if baseline == "close" else 0)
    return model.intercept_ + mean_points + group


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("baseline", ["zero", "expected", *GROUP])
def test_attributions_are_complete_for_every_kind_and_baseline(kind_models, kind, baseline):
    X, models = kind_models
    model = models[kind]
    rows = odd_rows(X)
    B = X[200:400]
    kw = {} if baseline in ("zero", "expected") else {"n_points": 5, "random_state": 3}
    a = attributions(model, rows, baseline, baseline_X=None if not kw else B, **kw)
    assert a.shape == contributions(model, rows).shape and np.all(np.isfinite(a))
    reference = _reference_decision(model, rows, baseline, B, **kw)
    np.testing.assert_allclose(a.sum(axis=1), decision(model, rows) - reference, rtol=1e-12, atol=1e-9)


def test_expected_attribution_of_a_categorical_feature_is_against_its_unseen_score(kind_models):
    # The unseen score is the training-weighted mean score: the "expected" baseline of the feature,
    # so a category never seen in training is attributed (about) nothing.
    X, models = kind_models
    for model in models.values():
        rows = odd_rows(X)
        a = attributions(model, rows)
        np.testing.assert_allclose(a[:, 1], contributions(model, rows)[:, 1] - model.unseen_scores_[1], atol=1e-12)
        np.testing.assert_allclose(a[-4, 1], 0.0, atol=1e-12)  # the never-seen row


def test_significance_per_class_of_a_multiclass_model():
    X, targets = mixed_data(1, n=1500)
    y = targets["multiclass"]
    model = fit_kind("multiclass", X[:1000], y[:1000])
    X_test, y_test = X[1000:], y[1000:]
    with pytest.raises(ValueError, match="class_"):
        significance(model, X_test[y_test == "web"], X_test[y_test != "web"])
    web = significance(model, X_test[y_test == "web"], X_test[y_test != "web"], class_="web", random_state=0)
    assert [r.name for r in web if r.significant] == ["x1"]  # web rows are the tcp rows
    mail = significance(model, X_test[y_test == "mail"], X_test[y_test == "dns"], class_="mail", random_state=0)
    assert [r.name for r in mail if r.significant] == ["x0"]  # mail and dns differ by x0 only
    for baseline in ["close", "random"]:
        result = significance(model, X_test[y_test == "mail"], X_test[y_test == "dns"], class_="mail",
                              baseline=baseline, random_state=0, n_points=5)
        assert result[0].significant and not result[2].significant


def test_significance_of_a_regressor_and_of_a_binary_model_for_classes_0(kind_models):
    X, models = kind_models
    X2, targets = mixed_data(2, n=600)
    reg = models["regression"]
    high = targets["regression"] > np.median(targets["regression"])
    result = significance(reg, X2[high], X2[~high], random_state=0)
    assert result[0].significant  # x0 drives the target
    binary = models["binary"]
    y = targets["binary"]
    towards_false = significance(binary, X2[~y], X2[y], class_=False, random_state=0)
    assert towards_false[0].significant and not towards_false[2].significant


def test_shape_functions_of_every_kind(kind_models):
    _, models = kind_models
    for kind, model in models.items():
        records = shape_functions(model)
        assert [r.is_categorical for r in records] == [False, True, False]
        K = 3 if kind == "multiclass" else 1
        numeric, cat = records[0], records[1]
        assert numeric.scores.shape == ((len(model.cuts_[0]) + 1, K) if K > 1 else (len(model.cuts_[0]) + 1,))
        assert np.array_equal(numeric.bins, np.arange(len(model.cuts_[0]) + 1))
        m = len(model.categories_[1])
        scores = np.asarray(model.bin_scores_[1])
        assert sorted(cat.categories.tolist()) == sorted(model.categories_[1].tolist())
        assert np.array_equal(cat.categories, model.categories_[1][cat.bins])
        assert np.array_equal(cat.scores, scores[cat.bins]) and np.array_equal(cat.weights, model.bin_weights_[1][cat.bins])
        assert np.array_equal(np.asarray(cat.other_score), scores[m]) and cat.other_weight == model.bin_weights_[1][m]
        assert np.array_equal(np.asarray(cat.missing_score), scores[m + 1])
        assert cat.rare_categories.tolist() == model.rare_categories_[1].tolist()
        assert {"ah", "esp"} <= set(cat.rare_categories.tolist())
        assert np.array_equal(np.asarray(cat.unseen_score), np.asarray(model.unseen_scores_[1]))
        assert cat.lower is None and cat.upper is None
        if K == 1:
            assert np.all(np.diff(cat.scores) <= 0)  # highest score first
        else:
            # grouped by the favoured class, most favouring first within a group
            favoured = np.argmax(cat.scores, axis=1)
            assert np.all(np.diff(favoured) >= 0)
            margin = cat.scores.max(axis=1) - cat.scores.mean(axis=1)
            for k in set(favoured.tolist()):
                assert np.all(np.diff(margin[favoured == k]) <= 0)
            # the tcp rows are the web rows: tcp favours "web" most
            assert model.classes_[favoured[cat.categories.tolist().index("tcp")]] == "web"


def test_category_order_is_shift_invariant_for_class_scores():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(8, 4))
    shift = rng.normal(size=(8, 1)) * 100  # softmax ignores a constant per bin
    assert np.array_equal(category_order(scores), category_order(scores + shift))
    assert category_order(np.array([1.0, 1.0, 2.0])).tolist() == [2, 0, 1]  # ties keep the sorted order


def _round_trip(model):
    """The model saved to JSON and loaded back (every kind of model can be saved: no error is expected)."""
    from embedsum import from_json

    return from_json(model.to_json())


@pytest.mark.parametrize("kind", ["numeric binary", *KINDS])
def test_explanations_of_a_model_loaded_from_json(kind_models, kind):
    from embedsum.inspection._describe import describe

    X, models = kind_models
    if kind == "numeric binary":
        Xn, y = _data(9)
        model, rows = EmbeddingSumClassifier(max_bins=6).fit(Xn, y), Xn[:30]
    else:
        model, rows = models[kind], odd_rows(X)
    loaded = _round_trip(model)
    assert np.array_equal(contributions(loaded, rows), contributions(model, rows))
    assert np.array_equal(attributions(loaded, rows), attributions(model, rows))
    assert describe(loaded) == describe(model)
    for a, b in zip(shape_functions(loaded), shape_functions(model)):
        assert np.array_equal(a.scores, b.scores) and a.is_categorical == b.is_categorical


# --- outputs in the user's own terms: data frames, lazy submodules, shap.Explanation ---

import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

from conftest import python_env  # noqa: E402

from embedsum.inspection._shap import _exact_shap  # noqa: E402


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")  # the arrays compared with
def test_a_data_frame_gives_data_frames_with_its_index_and_the_feature_names():
    import pandas as pd
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(200, 2)), columns=["income", "age"], index=np.arange(200) * 10)
    binary = EmbeddingSumClassifier(max_bins=4).fit(X, X["income"] > 0)
    three = EmbeddingSumClassifier(max_bins=4).fit(X, np.digitize(X["income"], [-0.5, 0.5]))
    rows = X.iloc[5:9]
    for result, array in [(contributions(binary, rows), contributions(binary, rows.to_numpy())),
                          (attributions(binary, rows, "zero"), attributions(binary, rows.to_numpy(), "zero")),
                          (contributions(three, rows, class_=2), contributions(three, rows.to_numpy(), class_=2))]:
        assert isinstance(result, pd.DataFrame) and isinstance(array, np.ndarray)
        assert list(result.columns) == ["income", "age"] and list(result.index) == [50, 60, 70, 80]
        assert np.array_equal(result.to_numpy(), array)  # the same bits
    assert np.array_equal(binary.contributions(rows), contributions(binary, rows.to_numpy()))  # the method: arrays
    per_class = contributions(three, rows)
    assert list(per_class.columns) == [(f, k) for f in ["income", "age"] for k in [0, 1, 2]]
    assert np.array_equal(per_class[("age", 1)].to_numpy(), contributions(three, rows.to_numpy())[:, 1, 1])


def _run(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300, env=python_env(PYTHONDONTWRITEBYTECODE="1"))


def test_explain_plot_and_export_load_on_first_use_and_import_no_extra():
    X = np.random.default_rng(0).normal(size=(200, 2))
    doc = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).to_json()
    proc = _run(f"""
        import sys
        sys.modules["shap"] = None  # as if shap were not installed
        import numpy as np
        import embedsum
        model = embedsum.from_json({doc!r})
        c = embedsum.explain.contributions(model, np.zeros((3, 2)))
        a = embedsum.explain.attributions(model, np.zeros((3, 2)))
        print(type(c).__name__, type(a).__name__, c.shape)
        print(callable(embedsum.plot.bar_plot), callable(embedsum.export.to_python))
        try:
            embedsum.explain.shap_explanation(model, np.zeros((1, 2)))
        except ImportError as err:
            print(err)
        print(sorted(m for m in ("pandas", "matplotlib", "scipy", "shap", "polars", "pyarrow")
                     if sys.modules.get(m) is not None))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["ndarray ndarray (3, 2)", "True True",
                                        "shap_explanation returns a shap.Explanation and needs shap: pip install shap",
                                        "[]"]


@pytest.mark.parametrize("kind", KINDS)
def test_shap_values_are_each_score_minus_its_mean_over_the_background(kind_models, kind):
    X, models = kind_models
    model = models[kind]
    rows, background = odd_rows(X), X[100:160]
    values, base = _exact_shap(model, model._validated(rows), model._validated(background))
    F, B = model.row_scores(rows), model.row_scores(background)
    np.testing.assert_array_equal(values, F - B.mean(axis=0))
    np.testing.assert_allclose(base, decision(model, background).mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(values.sum(axis=1) + base, decision(model, rows), rtol=0, atol=1e-9)
    # Without a background: the training weights, i.e. the "expected" baseline.
    values, base = _exact_shap(model, model._validated(rows), None)
    np.testing.assert_array_equal(values, attributions(model, rows, "expected"))
    np.testing.assert_allclose(values.sum(axis=1) + base, decision(model, rows), rtol=0, atol=1e-9)


def test_shap_explanation_equals_shaps_exact_explainer():
    # shap's exact explainer compiles its loops with numba on first use (seconds): run in pure Python.
    proc = _run("""
        import os
        os.environ["NUMBA_DISABLE_JIT"] = "1"
        import matplotlib
        matplotlib.use("Agg")
        import numpy as np
        import shap
        from embedsum import EmbeddingSumClassifier
        from embedsum.explain import shap_explanation
        rng = np.random.default_rng(1)
        X = rng.normal(size=(300, 3))
        X[rng.random(300) < 0.1, 2] = np.nan
        for y, class_ in [(X[:, 0] + X[:, 1] > 0, None), (np.digitize(X[:, 0], [-0.5, 0.5]), None),
                          (np.digitize(X[:, 0], [-0.5, 0.5]), 1)]:
            model = EmbeddingSumClassifier(max_bins=4).fit(X, y)
            background, rows = X[:12], X[20:24]
            ours = shap_explanation(model, rows, background=background, class_=class_)
            f = model.decision_function if class_ is None else (lambda x: model.decision_function(x)[:, class_])
            theirs = shap.explainers.Exact(f, shap.maskers.Independent(background, max_samples=12))(rows)
            assert ours.values.shape == theirs.values.shape and ours.base_values.shape == theirs.base_values.shape
            print(float(np.max(np.abs(ours.values - theirs.values))) < 1e-12,
                  float(np.max(np.abs(ours.base_values - theirs.base_values))) < 1e-12,
                  list(ours.feature_names), np.array_equal(ours.data, rows, equal_nan=True), ours.output_names)
        e = shap_explanation(model, rows, class_=1)  # no background: the training weights
        shap.plots.waterfall(e[0], show=False)
        print(isinstance(e, shap.Explanation), np.allclose(e.values.sum(axis=1) + e.base_values,
                                                           model.decision_function(rows)[:, 1]))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "True True ['x0', 'x1', 'x2'] True None",
        "True True ['x0', 'x1', 'x2'] True ['0', '1', '2']",
        "True True ['x0', 'x1', 'x2'] True None",
        "True True",
    ]
