"""Categorical features (docs/design.md#categorical-features): which columns, their bins, and how each value scores.

A categorical feature with m kept categories has m + 2 bins (docs/design.md#bin-codes): the kept categories (sorted),
the "other" bin of the rare ones, the missing bin. A category never seen in training
scores ``unseen_scores_[j]``, the feature's training-weighted mean score.
"""

import math
import numbers
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import pandas as pd
from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.binning._categories import (
    auto_categorical,
    category_keys,
    encode_categories,
    fit_categories,
    resolve_categorical_features,
)

from _oracles import left_to_right, reference_code


def _reference_decision(model, row_scores):
    """intercept + s_0 + s_1 + ... in float64, left to right (the bit-exact contract)."""
    return left_to_right(model.intercept_, row_scores)


def _numeric_code(model, j, v):
    """Bin of value v of numeric feature j: cuts[k-1] < v <= cuts[k]; NaN -> the missing bin."""
    assert model.cuts_[j] is not None
    return reference_code(model, j, v)


def _churn_frame(n=400, seed=0):
    """A numeric column, a string column (one rare category), a bool and a pandas category column."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "pro", "legacy"], size=n, p=[0.45, 0.3, 0.24, 0.01])
    frame = pd.DataFrame({
        "tenure": rng.normal(size=n),
        "plan": plan,
        "auto_pay": rng.random(n) < 0.5,
        "region": pd.Categorical(rng.choice(["north", "south"], size=n)),
    })
    effect = pd.Series(plan).map({"basic": -1.0, "plus": 0.5, "pro": 1.5, "legacy": 0.0}).to_numpy()
    logit = effect + frame["tenure"].to_numpy() + 0.8 * frame["auto_pay"].to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, y


@pytest.fixture(scope="module")
def churn():
    frame, y = _churn_frame()
    return frame, y, EmbeddingSumClassifier(max_bins=8).fit(frame, y)


# ----------------------------------------------------------------------------------------------
# Which features are categorical
# ----------------------------------------------------------------------------------------------


def test_auto_takes_object_string_category_and_bool_dataframe_columns(churn):
    frame, _, model = churn
    assert_array_equal(model.is_categorical_, [False, True, True, True])
    assert model.cuts_[0] is not None and model.categories_[0] is None
    assert all(model.cuts_[j] is None for j in (1, 2, 3))
    assert model.categories_[1].tolist() == ["basic", "plus", "pro"]
    assert model.rare_categories_[1].tolist() == ["legacy"]
    assert model.categories_[2].tolist() == ["False", "True"]
    assert model.categories_[3].tolist() == ["north", "south"]
    assert model.categories_[1].dtype == object


@pytest.mark.parametrize("dtype", [object, "string", "category", bool, "str"])
def test_auto_dataframe_dtypes(dtype):
    values = [True, False] * 3 if dtype is bool else ["a", "b"] * 3
    frame = pd.DataFrame({"x": np.arange(6.0), "c": pd.Series(values, dtype=dtype)})
    assert_array_equal(auto_categorical(frame), [False, True])


def test_auto_numeric_dataframe_and_arrays_have_no_categorical_features():
    assert auto_categorical(pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan]})) is None
    assert auto_categorical(np.array([[1.0, 2.0], [3.0, np.nan]])) is None
    assert auto_categorical(np.array([[1, 2], [3, 4]])) is None
    X = np.random.default_rng(0).normal(size=(50, 2))
    model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    assert_array_equal(model.is_categorical_, [False, False])
    assert model.categories_ == [None, None] and model.unseen_scores_ == [None, None]


def test_auto_numpy_object_and_str_arrays():
    obj = np.array([[1.0, "tcp", True], [2.5, "udp", False]], dtype=object)
    assert_array_equal(auto_categorical(obj), [False, True, True])
    # A numpy str array: a column whose text all reads as numbers stays numeric (CSV-like).
    text = np.array([["1.5", "tcp"], ["2", "udp"], ["", "icmp"]])
    assert_array_equal(auto_categorical(text), [False, True])
    # A bool array: every column is categorical.
    assert_array_equal(auto_categorical(np.array([[True, False]])), [True, True])
    # A list of rows is read like an object array.
    assert_array_equal(auto_categorical([[1, "a"], [2, "b"]]), [False, True])


@pytest.mark.parametrize("spec", [[1], [-2], np.array([1]), [False, True, False], np.array([False, True, False])])
def test_indices_and_mask(spec):
    assert resolve_categorical_features(spec, None, 3, None).tolist() == [False, True, False]


def test_names_need_column_names():
    names = np.array(["a", "b", "c"], dtype=object)
    assert resolve_categorical_features(["c", "a"], None, 3, names).tolist() == [True, False, True]
    assert resolve_categorical_features(None, None, 3, names).tolist() == [False, False, False]
    assert resolve_categorical_features([], None, 3, names).tolist() == [False, False, False]


@pytest.mark.parametrize("spec, names, message", [
    ("yes", None, r"categorical_features must be 'auto', None, a boolean mask, indices or column names; got 'yes'"),
    ([[0]], None, r"categorical_features must be 1-D, got shape \(1, 1\)"),
    ([True, False], None, r"boolean mask of 2 values; X has 3 features"),
    ([3], None, r"index out of range for 3 features: \[3\]"),
    ([-4], None, r"index out of range for 3 features: \[-4\]"),
    (["a"], None, r"holds column names, but X has no column names; pass indices or a mask"),
    (["zz"], ["a", "b", "c"], r"names columns that X does not have: \['zz'\]"),
    ([1.5], None, r"must hold indices, column names or booleans; got \[1.5\]"),
])
def test_bad_categorical_features(spec, names, message):
    with pytest.raises(ValueError, match=message):
        resolve_categorical_features(spec, None, 3, None if names is None else np.array(names, dtype=object))


def test_bad_categorical_features_reach_fit():
    frame, y = _churn_frame(n=60)
    with pytest.raises(ValueError, match=r"names columns that X does not have: \['nope'\]"):
        EmbeddingSumClassifier(categorical_features=["nope"]).fit(frame, y)
    with pytest.raises(ValueError, match=r"index out of range for 4 features: \[7\]"):
        EmbeddingSumClassifier(categorical_features=[7]).fit(frame, y)


def test_indices_names_and_mask_give_the_same_model():
    frame, y = _churn_frame(n=200)
    ref = EmbeddingSumClassifier(max_bins=6).fit(frame, y)
    for spec in ([1, 2, 3], ["plan", "auto_pay", "region"], [False, True, True, True]):
        model = EmbeddingSumClassifier(max_bins=6, categorical_features=spec).fit(frame, y)
        assert_array_equal(model.is_categorical_, ref.is_categorical_)
        for a, b in zip(model.bin_scores_, ref.bin_scores_):
            assert_array_equal(a, b)


def test_numeric_column_made_categorical_by_index():
    # Port numbers: numbers, but categories. Number kind: categories are float64.
    rng = np.random.default_rng(0)
    port = rng.choice([22, 80, 443, 8080], size=200)
    X = np.column_stack([rng.normal(size=200), port])
    y = (port == 22) | (X[:, 0] > 1)
    model = EmbeddingSumClassifier(max_bins=6, categorical_features=[1]).fit(X, y)
    assert model.categories_[1].dtype == np.float64
    assert model.categories_[1].tolist() == [22.0, 80.0, 443.0, 8080.0]
    assert model.cuts_[1] is None
    scores = model.bin_scores_[1]
    assert scores[0] > max(scores[1:4]) + 1.0  # port 22 is the attack port: categories are not smoothed


# ----------------------------------------------------------------------------------------------
# Bins: kept, "other", missing, unseen
# ----------------------------------------------------------------------------------------------


def test_min_category_count_threshold():
    column = ["a"] * 5 + ["b"] * 4 + ["c"] * 1 + [None] * 2
    kept, rare, codes, weights = fit_categories(column, 4)
    assert kept.tolist() == ["a", "b"]
    assert rare.tolist() == ["c"]
    assert codes.tolist() == [0] * 5 + [1] * 4 + [2] + [3] * 2
    assert weights.tolist() == [5 / 12, 4 / 12, 1 / 12, 2 / 12]
    kept, rare, _, weights = fit_categories(column, 5)
    assert kept.tolist() == ["a"] and rare.tolist() == ["b", "c"]
    assert len(weights) == 3 and weights[1] == 5 / 12
    kept, rare, codes, weights = fit_categories(column, 100)  # every category rare: only "other" and missing
    assert kept.tolist() == [] and rare.tolist() == ["a", "b", "c"]
    assert codes.tolist() == [0] * 10 + [1] * 2


def test_fitted_bins_of_a_categorical_feature(churn):
    frame, _, model = churn
    plan = frame["plan"].to_numpy()
    m = len(model.categories_[1])
    assert model.bin_scores_[1].shape == (m + 2,)
    expected = [np.mean(plan == c) for c in ("basic", "plus", "pro")] + [np.mean(plan == "legacy"), 0.0]
    assert np.allclose(model.bin_weights_[1], expected, rtol=0, atol=1e-15)
    assert model.bin_weights_[1][m] > 0  # the rare "legacy" rows fill the "other" bin


def _row_decision(model, row):
    """Reference decision value of one row of a model fitted on the churn frame (features 0..3)."""
    parts = []
    for j, v in enumerate(row):
        if not model.is_categorical_[j]:
            parts.append(model.bin_scores_[j][_numeric_code(model, j, float(v))])
            continue
        cats, rare, m = model.categories_[j], model.rare_categories_[j], len(model.categories_[j])
        key = "True" if v is True else "False" if v is False else v
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or v == "":
            parts.append(model.bin_scores_[j][m + 1])
        elif key in cats.tolist():
            parts.append(model.bin_scores_[j][cats.tolist().index(key)])
        elif key in rare.tolist():
            parts.append(model.bin_scores_[j][m])
        else:
            parts.append(model.unseen_scores_[j])
    return _reference_decision(model, parts)


def test_kept_rare_missing_and_unseen_values_score_as_specified(churn):
    _, _, model = churn
    rows = [
        [0.3, "pro", True, "north"],
        [0.3, "legacy", True, "north"],     # rare: the "other" bin
        [0.3, None, True, "north"],          # missing ...
        [0.3, np.nan, True, "north"],
        [0.3, "", True, "north"],
        [0.3, pd.NA, True, "north"],
        [0.3, "enterprise", True, "north"],  # never seen
        [np.nan, "basic", None, "east"],     # missing numeric, missing bool, unseen region
    ]
    frame = pd.DataFrame(rows, columns=["tenure", "plan", "auto_pay", "region"]).astype(
        {"plan": object, "auto_pay": object, "region": object})
    z = model.decision_function(frame)
    expected = np.array([_row_decision(model, row) for row in rows])
    assert_array_equal(z, expected)
    # the four spellings of missing land in the same bin
    assert z[2] == z[3] == z[4] == z[5]
    m = len(model.categories_[1])
    assert z[6] - z[0] == pytest.approx(model.unseen_scores_[1] - model.bin_scores_[1][2])
    assert z[1] != z[0] and z[2] != z[6]
    assert model.bin_scores_[1][m] != model.bin_scores_[1][m + 1]


def test_unseen_score_is_the_training_weighted_mean_score(churn):
    _, _, model = churn
    for j in np.flatnonzero(model.is_categorical_):
        assert isinstance(model.unseen_scores_[j], float)
        expected = model.bin_weights_[j] @ model.bin_scores_[j]
        assert model.unseen_scores_[j] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert model.unseen_scores_[0] is None


def test_unseen_score_of_a_regressor_is_the_weighted_mean_too():
    frame, y = _churn_frame(n=300, seed=1)
    model = EmbeddingSumRegressor(max_bins=6).fit(frame, y * 3.0 + frame["tenure"].to_numpy())
    j = 1
    assert model.unseen_scores_[j] == pytest.approx(model.bin_weights_[j] @ model.bin_scores_[j], rel=1e-12)
    row = frame.iloc[:1].astype({"plan": object}).copy()
    row.iloc[0, 1] = "never-seen"
    parts = [model.bin_scores_[0][_numeric_code(model, 0, row.iloc[0, 0])], model.unseen_scores_[1],
             model.bin_scores_[2][model.categories_[2].tolist().index(str(bool(row.iloc[0, 2])))],
             model.bin_scores_[3][model.categories_[3].tolist().index(row.iloc[0, 3])]]
    assert model.predict(row)[0] == _reference_decision(model, parts)


def test_missing_bin_weight_counts_every_missing_spelling():
    rng = np.random.default_rng(3)
    n = 120
    values = np.array(["a", "b", None, np.nan, "", pd.NA], dtype=object)[rng.integers(0, 6, size=n)]
    X = np.empty((n, 2), dtype=object)
    X[:, 0], X[:, 1] = rng.normal(size=n), values
    y = rng.integers(0, 2, size=n)
    model = EmbeddingSumClassifier(max_bins=4, min_category_count=1).fit(X, y)
    assert model.categories_[1].tolist() == ["a", "b"]
    n_missing = sum(1 for v in values if v is None or v is pd.NA or v == "" or (isinstance(v, float) and v != v))
    assert model.bin_weights_[1][-1] == n_missing / n
    assert model.bin_weights_[1][2] == 0.0  # nothing rare


def test_category_bins_are_not_step_loss_neighbours():
    """A huge step loss flattens numeric features, but not categorical ones (no neighbours)."""
    rng = np.random.default_rng(0)
    n = 400
    colour = rng.choice(["red", "green", "blue", "grey"], size=n)
    x = rng.normal(size=n)
    logit = pd.Series(colour).map({"red": 2.0, "green": -1.0, "blue": 0.5, "grey": -2.0}).to_numpy() + 2 * np.sin(3 * x)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = np.empty((n, 2), dtype=object)
    X[:, 0], X[:, 1] = x, colour
    smooth = EmbeddingSumClassifier(max_bins=10, step_loss_weight=1e6, max_iter=5000, tol=1e-10).fit(X, y)
    free = EmbeddingSumClassifier(max_bins=10, step_loss_weight=0.0, max_iter=5000, tol=1e-10).fit(X, y)
    assert np.ptp(free.bin_scores_[0][:-1]) > 1.0
    assert np.ptp(smooth.bin_scores_[0][:-1]) < 1e-4
    kept = slice(0, len(smooth.categories_[1]))
    assert np.ptp(smooth.bin_scores_[1][kept]) > 2.0
    # the category scores do not depend on the step loss weight beyond the shared fit
    order = np.argsort(smooth.bin_scores_[1][kept])
    assert smooth.categories_[1][order].tolist() == ["grey", "green", "blue", "red"]


# ----------------------------------------------------------------------------------------------
# Kinds of values
# ----------------------------------------------------------------------------------------------


def test_number_kind_matches_numbers_and_numeric_text():
    kept, rare, codes, _ = fit_categories([1, 2.0, 2, 3, np.int64(3), None, np.nan], 2)
    assert kept.dtype == np.float64 and rare.dtype == np.float64
    assert kept.tolist() == [2.0, 3.0] and rare.tolist() == [1.0]
    assert codes.tolist() == [2, 0, 0, 1, 1, 3, 3]
    got = encode_categories([2, 2.0, "2", "2.0", " 3 ", 1, "1e0", "two", 7, None, ""], kept, rare)
    assert got.tolist() == [0, 0, 0, 0, 1, 2, 2, 4, 4, 3, 3]


def test_string_kind_reads_numbers_and_bools_as_text():
    kept, rare, codes, _ = fit_categories(["a", 1, True, 2.5, "True", np.False_, None], 1)
    assert kept.dtype == object
    assert kept.tolist() == sorted(["1", "2.5", "False", "True", "a"])
    assert codes.tolist() == [4, 0, 3, 1, 3, 2, 6]
    # at predict time the same rules: 1 and "1" are one category; 1.0 reads "1.0", never seen
    got = encode_categories([1, "1", True, "True", 1.0, "A"], kept, rare)
    assert got.tolist() == [0, 0, 3, 3, 7, 7]


def test_bool_columns():
    X = np.array([[True], [False], [True], [True]] * 5)
    y = np.array([1, 0, 1, 0] * 5)
    model = EmbeddingSumClassifier(max_bins=4, min_category_count=1).fit(X, y)
    assert model.is_categorical_.tolist() == [True]
    assert model.categories_[0].tolist() == ["False", "True"]
    as_text = np.array([["True"], ["False"]], dtype=object)
    assert_array_equal(model.decision_function(X[:2]), model.decision_function(as_text))
    scores = model.bin_scores_[0]
    assert scores[1] > scores[0]  # True rows are 2/3 positive, False rows 0/3


def test_mixed_types_in_one_column():
    rng = np.random.default_rng(0)
    pool = np.array(["x", 3, 4.5, True, None, "4.5"], dtype=object)
    col = pool[rng.integers(0, len(pool), size=300)]
    X = np.empty((300, 2), dtype=object)
    X[:, 0], X[:, 1] = rng.normal(size=300), col
    y = rng.integers(0, 2, size=300)
    model = EmbeddingSumClassifier(max_bins=4).fit(X, y)
    assert model.is_categorical_.tolist() == [False, True]
    assert model.categories_[1].tolist() == ["3", "4.5", "True", "x"]  # 4.5 and "4.5" are one category
    assert np.all(np.isfinite(model.decision_function(X)))


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], 1 + 2j, object()])
def test_unsupported_value_type_is_a_type_error(value):
    col = np.array(["a", "b", value, "a"], dtype=object)
    message = r"X column 0 holds a (dict|list|complex|object)(.|\n)*must be a string or a number"
    with pytest.raises(TypeError, match=message):
        fit_categories(col, 1)
    with pytest.raises(TypeError, match=r"X column 3 holds a"):
        encode_categories(col, np.array(["a"], dtype=object), np.array([], dtype=object), 3)


def test_unsupported_value_type_at_fit_and_predict(churn):
    frame, y, model = churn
    plan = frame["plan"].to_numpy(dtype=object).copy()
    plan[5] = {"tier": "gold"}
    bad = frame.assign(plan=plan)
    with pytest.raises(TypeError, match=r"X column 1 holds a dict(.|\n)*must be a string or a number"):
        EmbeddingSumClassifier(max_bins=8).fit(bad, y)
    with pytest.raises(TypeError, match=r"X column 1 holds a dict"):
        model.predict(bad.iloc[:10])


# ----------------------------------------------------------------------------------------------
# Input containers and row order
# ----------------------------------------------------------------------------------------------


def test_dataframe_object_array_and_list_give_the_same_results(churn):
    frame, y, _ = churn
    # integer column names: no feature names, so the three containers are interchangeable
    unnamed = frame.set_axis(range(4), axis=1)
    obj = unnamed.to_numpy(dtype=object)
    rows = obj.tolist()
    models = [EmbeddingSumClassifier(max_bins=8).fit(X, y) for X in (unnamed, obj, rows)]
    for model in models[1:]:
        assert_array_equal(model.is_categorical_, models[0].is_categorical_)
        for a, b in zip(model.bin_scores_, models[0].bin_scores_):
            assert_array_equal(a, b)
    for model in models:
        z = model.decision_function(unnamed)
        assert_array_equal(model.decision_function(obj), z)
        assert_array_equal(model.decision_function(rows), z)
        assert_array_equal(model.predict_proba(rows[:3]), model.predict_proba(unnamed.iloc[:3]))
        assert_array_equal(model.predict(obj[:700]), model.predict(unnamed))


def test_fitted_categories_do_not_depend_on_row_order():
    frame, y = _churn_frame(n=300, seed=2)
    perm = np.random.default_rng(0).permutation(len(y))
    a = EmbeddingSumClassifier(max_bins=6).fit(frame, y)
    b = EmbeddingSumClassifier(max_bins=6).fit(frame.iloc[perm], y[perm])
    for j in np.flatnonzero(a.is_categorical_):
        assert_array_equal(a.categories_[j], b.categories_[j])
        assert_array_equal(a.rare_categories_[j], b.rare_categories_[j])
        assert_array_equal(a.bin_weights_[j], b.bin_weights_[j])
        # the same optimum, up to the order of the sums over rows
        np.testing.assert_allclose(a.bin_scores_[j], b.bin_scores_[j], rtol=1e-4, atol=1e-6)
    column = frame["plan"].to_numpy()
    kept, rare, codes, weights = fit_categories(column, 10)
    kept_p, rare_p, codes_p, weights_p = fit_categories(column[perm], 10)
    assert_array_equal(kept, kept_p)
    assert_array_equal(rare, rare_p)
    assert_array_equal(codes[perm], codes_p)
    assert_array_equal(weights, weights_p)


# ----------------------------------------------------------------------------------------------
# Unit tests of the helpers
# ----------------------------------------------------------------------------------------------


def test_category_keys_string_kind():
    keys, missing = category_keys(["a", None, True, 3, 2.5, np.nan, "", np.str_("z")], "str")
    assert keys.tolist() == ["a", "", "True", "3", "2.5", "", "", "z"]
    assert missing.tolist() == [False, True, False, False, False, True, True, False]


def test_category_keys_number_kind():
    keys, missing = category_keys([1, "2.5", None, "abc", True, np.nan], "number")
    assert keys[:2].tolist() == [1.0, 2.5] and keys[4] == 1.0
    assert np.isnan(keys[3])  # not a number: matches no category
    assert missing.tolist() == [False, False, True, False, False, True]
    keys, missing = category_keys(np.array([3, 4]), "number")  # a numeric array takes the fast path
    assert keys.dtype == np.float64 and keys.tolist() == [3.0, 4.0] and not missing.any()


def test_encode_categories_codes():
    kept = np.array(["b", "c"], dtype=object)
    rare = np.array(["a"], dtype=object)
    assert encode_categories(["c", "b", "a", None, "", "zzz"], kept, rare).tolist() == [1, 0, 2, 3, 3, 4]
    assert encode_categories(np.array(["c", "q"]), kept, rare).tolist() == [1, 4]
    assert encode_categories([], kept, rare).tolist() == []


def test_fit_categories_all_missing_and_numeric_arrays():
    kept, rare, codes, weights = fit_categories([None, np.nan, ""], 1)
    assert len(kept) == 0 and len(rare) == 0
    assert codes.tolist() == [1, 1, 1] and weights.tolist() == [0.0, 1.0]
    kept, rare, codes, weights = fit_categories(np.array([5, 5, 7]), 2)
    assert kept.dtype == np.float64 and kept.tolist() == [5.0] and rare.tolist() == [7.0]
    assert codes.tolist() == [0, 0, 1]


# ----------------------------------------------------------------------------------------------
# Property: encoding the training column gives fit_categories' codes
# ----------------------------------------------------------------------------------------------

_STRINGISH = st.sampled_from(["a", "b", "tcp", "True", "1", "2.5", "", "é", " "])
_NUMBERS = st.one_of(st.integers(-5, 5), st.sampled_from([0.5, -0.0, 2.5, 1e300, -np.inf, np.inf]),
                     st.integers(-5, 5).map(np.int64), st.sampled_from([1.0, 2.0]).map(np.float32))
_MISSING = st.sampled_from([None, np.nan, "", pd.NA])


@st.composite
def _columns(draw):
    kind = draw(st.sampled_from(["numbers", "mixed", "strings", "str_array", "bool_array", "float_array"]))
    n = draw(st.integers(1, 40))
    if kind == "numbers":
        values = draw(st.lists(st.one_of(_NUMBERS, _MISSING), min_size=n, max_size=n))  # number kind
    elif kind == "mixed":
        values = draw(st.lists(st.one_of(_NUMBERS, _STRINGISH, _MISSING, st.booleans()), min_size=n, max_size=n))
    elif kind == "strings":
        values = draw(st.lists(st.one_of(_STRINGISH, _MISSING), min_size=n, max_size=n))
    elif kind == "str_array":
        return np.array(draw(st.lists(_STRINGISH, min_size=n, max_size=n)))
    elif kind == "bool_array":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    else:
        return np.array(draw(st.lists(st.sampled_from([0.0, 1.5, -2.0, np.nan, np.inf]), min_size=n, max_size=n)))
    column = np.empty(n, dtype=object)
    column[:] = values
    return column


@given(column=_columns(), min_count=st.integers(1, 4), data=st.data())
def test_encoding_the_training_column_reproduces_fit_codes(column, min_count, data):
    kept, rare, codes, weights = fit_categories(column, min_count)
    assert_array_equal(encode_categories(column, kept, rare), codes)
    m = len(kept)
    assert codes.min() >= 0 and codes.max() <= m + 1  # a training value is never "unseen"
    assert_array_equal(weights, np.bincount(codes, minlength=m + 2) / len(column))
    assert len(set(kept.tolist()) & set(rare.tolist())) == 0
    # sorted and deduplicated, so the bins do not depend on row order
    for values in (kept, rare):
        assert values.tolist() == sorted(set(values.tolist()))
    perm = np.array(data.draw(st.permutations(range(len(column))), label="row order"), dtype=np.intp)
    kept_p, rare_p, codes_p, _ = fit_categories(column[perm], min_count)
    assert kept_p.tolist() == kept.tolist() and rare_p.tolist() == rare.tolist()
    assert_array_equal(codes_p, codes[perm])
    # number kind exactly when every non-missing training value is a number (bools are not)
    present = [v for v in column.tolist()
               if not (v is None or v is pd.NA or (isinstance(v, float) and v != v) or (isinstance(v, str) and v == ""))]
    # (a numpy string array is text even when every value in it is missing)
    number_kind = column.dtype.kind not in "US" and all(
        isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_)) for v in present)
    assert kept.dtype == (np.float64 if number_kind else object)
    # every kept category was seen at least min_count times
    counts = np.bincount(codes, minlength=m + 2)[:m]
    assert np.all(counts >= min_count)


def test_no_warnings_when_fitting_and_scoring_categories(churn):
    frame, y, model = churn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EmbeddingSumClassifier(max_bins=8).fit(frame, y).predict_proba(frame)
        model.decision_function(frame.iloc[:5])
