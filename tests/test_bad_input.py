"""Bad input gets a clear error and loses nothing (docs/design.md#bad-input).

Every bad input raises a ValueError or TypeError whose message says what is wrong;
NaN is a missing value (its own bin) and ±inf are ordered values (the end bins).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from embedsum import EmbeddingSumClassifier, NotFittedError

from _oracles import linear_data


def _data(seed=0, n=80, d=3):
    X, y = linear_data(seed, n, d, noise=0.5)
    return X, y.astype(int)


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return EmbeddingSumClassifier(max_bins=8).fit(X, y)


def _object_X_with(value):
    X, _ = _data()
    X = X.astype(object)
    X[3, 1] = value
    return X


# ----------------------------------------------------------------------------------------------
# Bad X, bad y, bad sample_weight at fit: (X, y, sample_weight) -> (error type, message pattern)
# ----------------------------------------------------------------------------------------------

_X, _y = _data()
_continuous = np.random.default_rng(1).normal(size=len(_y))
_y_nan = _y.astype(float)
_y_nan[5] = np.nan
_y_none_item = _y.astype(object)
_y_none_item[5] = None
_w_nan = np.ones(len(_y))
_w_nan[4] = np.nan
_w_inf = np.ones(len(_y))
_w_inf[4] = np.inf
_w_neg = np.ones(len(_y))
_w_neg[4] = -0.5

BAD_FIT = {
    "1-D X": (_X[:, 0], _y, None, ValueError, r"Expected 2D array for X, got 1D array(.|\n)*reshape\(-1, 1\)"),
    "3-D X": (_X[:, :, None], _y, None, ValueError, r"Expected 2D array for X, got 3D array"),
    "X with 0 rows": (np.empty((0, 3)), np.empty(0), None, ValueError, r"0 sample\(s\)(.|\n)*X is empty"),
    "X with 0 columns": (np.empty((len(_y), 0)), _y, None, ValueError, r"0 feature\(s\)(.|\n)*X has no columns"),
    "X is None": (None, _y, None, ValueError, r"X is None; pass a 2-D array of numbers"),
    "ragged X": ([[1.0, 2.0], [3.0]], [0, 1], None, ValueError, r"every row needs the same number of values"),
    "non-numeric string in a numeric column": (
        _object_X_with("high"), _y, None, ValueError, r"X has non-numeric values(.|\n)*'high'(.|\n)*categorical_features",
        {"categorical_features": None}),
    "string array X, no categorical features": (
        np.array([["a", "b"]] * len(_y)), _y, None, ValueError, r"X has non-numeric values(.|\n)*categorical_features",
        {"categorical_features": []}),
    "dict inside object X": (
        _object_X_with({"a": 1}), _y, None, TypeError, r"X column 1 holds a dict(.|\n)*must be a string or a number"),
    "dict inside a numeric column": (
        _object_X_with({"a": 1}), _y, None, TypeError, r"X has values of a type that is not a number(.|\n)*dict",
        {"categorical_features": None}),
    "unknown categorical_features name": (
        _X, _y, None, ValueError, r"categorical_features holds column names, but X has no column names",
        {"categorical_features": ["a"]}),
    "categorical_features index out of range": (
        _X, _y, None, ValueError, r"categorical_features holds an index out of range for 3 features",
        {"categorical_features": [3]}),
    "categorical_features mask of the wrong length": (
        _X, _y, None, ValueError, r"boolean mask of 2 values; X has 3 features", {"categorical_features": [True, False]}),
    "categorical_features word": (
        _X, _y, None, ValueError, r"categorical_features must be 'auto', None", {"categorical_features": "all"}),
    "min_category_count of 0": (
        _X, _y, None, ValueError, r"min_category_count must be >= 1", {"min_category_count": 0}),
    "monotonic_cst of the wrong length": (
        _X, _y, None, ValueError, r"monotonic_cst must have one value per feature \(3\)", {"monotonic_cst": [1, 0]}),
    "monotonic_cst value 2": (
        _X, _y, None, ValueError, r"monotonic_cst values must be -1, 0 or 1; feature 0 has 2", {"monotonic_cst": [2, 0, 0]}),
    "monotonic_cst dict without column names": (
        _X, _y, None, ValueError, r"monotonic_cst is a dict of feature names, but X has no column names",
        {"monotonic_cst": {"a": 1}}),
    "monotone categorical feature": (
        _object_X_with("high"), _y, None, ValueError, r"monotonic_cst constrains categorical feature\(s\) \[1\]",
        {"monotonic_cst": [0, 1, 0]}),
    "monotone multiclass": (
        _X, np.arange(len(_y)) % 3, None, ValueError, r"monotonic_cst is not supported for multiclass",
        {"monotonic_cst": [1, 0, 0]}),
    "complex X": (_X + 1j, _y, None, ValueError, r"Complex data not supported in X"),
    "sparse csr_matrix X": (sp.csr_matrix(_X), _y, None, TypeError, r"X is a sparse matrix(.|\n)*toarray\(\)"),
    "sparse csc_array X": (sp.csc_array(_X), _y, None, TypeError, r"X is a sparse matrix(.|\n)*toarray\(\)"),
    "one class only": (_X, np.zeros(len(_y), dtype=int), None, ValueError, r"y contains only one class(.|\n)*two classes"),
    "one string class only": (_X, np.full(len(_y), "benign"), None, ValueError, r"only one class \(.*'benign'.*\)(.|\n)*two classes"),
    "continuous float y": (_X, _continuous, None, ValueError, r"Unknown label type: continuous"),
    "y with NaN": (_X, _y_nan, None, ValueError, r"y contains NaN"),
    "y with a None label": (_X, _y_none_item, None, ValueError, r"y contains NaN or None"),
    "y is None": (_X, None, None, ValueError, r"the target y is None"),
    "y too short": (_X, _y[:-1], None, ValueError, rf"X has {len(_y)} rows but y has {len(_y) - 1} labels"),
    "y too long": (_X, np.append(_y, 1), None, ValueError, rf"X has {len(_y)} rows but y has {len(_y) + 1} labels"),
    "2-D y": (_X, np.column_stack([_y, _y]), None, ValueError, r"y should be a 1d array"),
    "y mixing str and int labels": (
        _X, np.array(["a", 1] * (len(_y) // 2), dtype=object), None, TypeError, r"y mixes label types"),
    "negative sample weight": (_X, _y, _w_neg, ValueError, r"Negative values in sample_weight"),
    "NaN sample weight": (_X, _y, _w_nan, ValueError, r"sample_weight contains NaN or infinity"),
    "inf sample weight": (_X, _y, _w_inf, ValueError, r"sample_weight contains NaN or infinity"),
    "all-zero sample weights": (_X, _y, np.zeros(len(_y)), ValueError, r"sample_weight is zero everywhere"),
    "sample weights too short": (
        _X, _y, np.ones(len(_y) - 1), ValueError, rf"sample_weight.shape == \({len(_y) - 1},\), expected \({len(_y)},\)"),
    "2-D sample weights": (_X, _y, np.ones((len(_y), 1)), ValueError, r"Sample weights must be 1D"),
    "non-numeric sample weights": (_X, _y, ["a"] * len(_y), ValueError, r"sample_weight must be numbers"),
    "weights leaving only class 1": (
        _X, _y, (_y == 1).astype(float), ValueError, r"only one class has a positive sample_weight"),
    "weights leaving only class 0": (
        _X, _y, (_y == 0).astype(float), ValueError, r"only one class has a positive sample_weight"),
}


@pytest.mark.parametrize("case", list(BAD_FIT))
def test_bad_fit_input_raises_clear_error(case):
    X, y, sw, error, pattern, *params = BAD_FIT[case]
    model = EmbeddingSumClassifier(**(params[0] if params else {}))
    with pytest.raises(error, match=pattern):
        model.fit(X, y, sample_weight=sw)
    assert not hasattr(model, "bin_scores_")  # nothing half-fitted is left behind


@pytest.mark.parametrize("case", list(BAD_FIT))
def test_failed_fit_on_fitted_model_loses_nothing(case, data):
    """A fit that fails on bad input leaves the previously fitted model working as before."""
    X_good, y_good = data
    X, y, sw, error, pattern, *params = BAD_FIT[case]
    model = EmbeddingSumClassifier(max_bins=8).fit(X_good, y_good).set_params(**(params[0] if params else {}))
    before = model.decision_function(X_good).copy()
    attributes = {k: v for k, v in vars(model).items() if k.endswith("_")}
    with pytest.raises(error, match=pattern):
        model.fit(X, y, sample_weight=sw)
    assert {k for k in vars(model) if k.endswith("_")} == set(attributes)
    for name, value in attributes.items():
        assert getattr(model, name) is value, name
    assert_array_equal(model.decision_function(X_good), before)


# ----------------------------------------------------------------------------------------------
# Bad X at predict time
# ----------------------------------------------------------------------------------------------

BAD_PREDICT = {
    "too few columns": (_X[:, :2], ValueError, r"X has 2 features, but EmbeddingSumClassifier is expecting 3 features"),
    "too many columns": (np.hstack([_X, _X]), ValueError, r"X has 6 features, but EmbeddingSumClassifier is expecting 3"),
    "1-D X (one row, flat)": (_X[0], ValueError, r"Expected 2D array for X, got 1D array(.|\n)*reshape\(1, -1\)"),
    "X with 0 rows": (np.empty((0, 3)), ValueError, r"0 sample\(s\)"),
    "X with 0 columns": (np.empty((4, 0)), ValueError, r"0 feature\(s\)"),
    "non-numeric string": (_object_X_with("high"), ValueError, r"X has non-numeric values"),
    "dict inside object X": (_object_X_with({"a": 1}), TypeError, r"not a number"),
    "complex X": (_X + 0j, ValueError, r"Complex data not supported"),
    "sparse X": (sp.csr_matrix(_X), TypeError, r"X is a sparse matrix(.|\n)*toarray"),
    "X is None": (None, ValueError, r"X is None"),
}


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
@pytest.mark.parametrize("case", list(BAD_PREDICT))
def test_bad_predict_input_raises_clear_error(case, method, fitted):
    X, error, pattern = BAD_PREDICT[case]
    with pytest.raises(error, match=pattern):
        getattr(fitted, method)(X)


# ----------------------------------------------------------------------------------------------
# Invalid hyper-parameters: raise at fit (not in __init__), naming the parameter
# ----------------------------------------------------------------------------------------------


class _NoValueGradient:
    name = "broken"


BAD_PARAMS = {
    "max_bins=1": ({"max_bins": 1}, ValueError, r"max_bins must be >= 2, got 1"),
    "max_bins=0": ({"max_bins": 0}, ValueError, r"max_bins must be >= 2"),
    "max_bins=2.5": ({"max_bins": 2.5}, ValueError, r"max_bins must be an integer, got 2\.5"),
    "max_bins=True": ({"max_bins": True}, ValueError, r"max_bins must be an integer, got True"),
    "max_bins='20'": ({"max_bins": "20"}, ValueError, r"max_bins must be an integer"),
    "max_bins=None": ({"max_bins": None}, ValueError, r"max_bins must be an integer"),
    "negative step_loss_weight": ({"step_loss_weight": -0.1}, ValueError, r"step_loss_weight must be >= 0"),
    "NaN step_loss_weight": ({"step_loss_weight": float("nan")}, ValueError, r"step_loss_weight must be a finite number"),
    "negative embedding_sum_loss_weight": (
        {"embedding_sum_loss_weight": -1}, ValueError, r"embedding_sum_loss_weight must be >= 0"),
    "negative l2": ({"l2": -1e-3}, ValueError, r"l2 must be >= 0"),
    "tol=0": ({"tol": 0}, ValueError, r"tol must be > 0, got 0"),
    "tol=inf": ({"tol": float("inf")}, ValueError, r"tol must be a finite number"),
    "max_iter=0": ({"max_iter": 0}, ValueError, r"max_iter must be >= 1, got 0"),
    "max_iter=10.0": ({"max_iter": 10.0}, ValueError, r"max_iter must be an integer"),
    "verbose=-1": ({"verbose": -1}, ValueError, r"verbose must be >= 0"),
    "regularizer without value_gradient": (
        {"regularizers": [_NoValueGradient()]}, TypeError, r"regularizers must have a 'name' and a 'value_gradient"),
    "regularizer that is a plain object": (
        {"regularizers": [object()]}, TypeError, r"regularizers must have"),
}


@pytest.mark.parametrize("case", list(BAD_PARAMS))
def test_invalid_hyperparameter_raises_at_fit_naming_it(case, data):
    params, error, pattern = BAD_PARAMS[case]
    model = EmbeddingSumClassifier(**params)  # __init__ only stores its arguments
    assert model.get_params()[next(iter(params))] is params[next(iter(params))]
    with pytest.raises(error, match=pattern) as info:
        model.fit(*data)
    assert next(iter(params)) in str(info.value)
    assert not hasattr(model, "bin_scores_")


def test_one_class_message_shows_the_label_as_the_user_wrote_it(data):
    """The label reads as the user wrote it, not as a numpy scalar repr (np.str_('benign'))."""
    X, y = data
    with pytest.raises(ValueError, match=r"only one class \('benign'\)"):
        EmbeddingSumClassifier().fit(X, np.full(len(y), "benign"))
    with pytest.raises(ValueError, match=r"only one class \(0\)"):
        EmbeddingSumClassifier().fit(X, np.zeros(len(y), dtype=int))


def test_numpy_integer_max_bins_is_accepted(data):
    model = EmbeddingSumClassifier(max_bins=np.int64(5)).fit(*data)
    assert max(len(s) for s in model.bin_scores_) <= 5 + 1


# ----------------------------------------------------------------------------------------------
# Not fitted
# ----------------------------------------------------------------------------------------------


def test_not_fitted_error_is_value_error_and_attribute_error():
    assert issubclass(NotFittedError, ValueError)
    assert issubclass(NotFittedError, AttributeError)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_predict_before_fit_raises_not_fitted_error(method, data):
    X, _ = data
    with pytest.raises(NotFittedError, match=r"not fitted yet(.|\n)*Call 'fit'"):
        getattr(EmbeddingSumClassifier(), method)(X)


def test_score_before_fit_raises_not_fitted_error(data):
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        EmbeddingSumClassifier().score(*data)


# ----------------------------------------------------------------------------------------------
# Inputs are never modified
# ----------------------------------------------------------------------------------------------


def _inputs_with_missing():
    X, y = _data(seed=3)
    X = X.copy()
    X[::7, 0] = np.nan
    X[1, 1] = np.inf
    X[2, 2] = -np.inf
    return X, y


@pytest.mark.parametrize("kind", ["float64", "float32", "fortran", "object", "list", "non-contiguous"])
def test_fit_and_predict_do_not_modify_inputs(kind):
    X, y = _inputs_with_missing()
    if kind == "float32":
        X = X.astype(np.float32)
    elif kind == "fortran":
        X = np.asfortranarray(X)
    elif kind == "object":
        X = X.astype(object)
        X[0, 1] = None
    elif kind == "list":
        X = X.tolist()
    elif kind == "non-contiguous":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    sw = np.linspace(0.5, 2.0, len(y))
    X_copy, y_copy, sw_copy = (list(map(list, X)) if kind == "list" else X.copy()), y.copy(), sw.copy()
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y, sample_weight=sw)
    model.predict(X)
    model.predict_proba(X)
    model.decision_function(X)
    model.score(X, y, sample_weight=sw)
    if kind == "list":
        assert np.array_equal(np.array(X, dtype=float), np.array(X_copy, dtype=float), equal_nan=True)
    elif kind == "object":
        assert X.dtype == object and X[0, 1] is None
        assert all((a is b) or (a == b) or (a != a and b != b) for a, b in zip(X.ravel(), X_copy.ravel()))
    else:
        assert X.dtype == X_copy.dtype
        assert np.array_equal(X, X_copy, equal_nan=True)
    assert_array_equal(y, y_copy)
    assert_array_equal(sw, sw_copy)


def test_string_labels_not_modified():
    X, y = _data()
    labels = np.where(y == 1, "attack", "benign")
    copy = labels.copy()
    EmbeddingSumClassifier(max_bins=6).fit(X, labels).predict(X)
    assert_array_equal(labels, copy)


# ----------------------------------------------------------------------------------------------
# NaN is not bad input: the missing bin
# ----------------------------------------------------------------------------------------------


def test_nan_in_x_uses_the_missing_bin():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    y = (x > 0).astype(int)
    missing = rng.random(n) < 0.2
    y[missing] = 1  # a missing value signals class 1
    x[missing] = np.nan
    X = x[:, None]
    model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    # the missing bin is the last one; its training weight is the NaN fraction
    assert model.bin_weights_[0][-1] == pytest.approx(missing.mean())
    assert len(model.bin_scores_[0]) == len(model.cuts_[0]) + 2
    assert np.all(np.isfinite(model.cuts_[0]))
    z = model.decision_function(np.array([[np.nan], [np.nan]]))
    assert z[0] == z[1] == model.intercept_ + model.bin_scores_[0][-1]
    assert z[0] > 0  # the model learnt that missing means class 1
    assert_array_equal(model.predict(np.array([[np.nan]])), [1])
    assert np.all(np.isfinite(model.predict_proba(X)))


def test_nan_in_x_fit_and_predict_work_on_several_features():
    X, y = _data(d=4)
    X = X.copy()
    X[::3, 1] = np.nan
    X[:, 3] = np.nan  # an all-missing column
    model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    proba = model.predict_proba(X)
    assert np.all(np.isfinite(proba))
    assert model.bin_weights_[3].tolist() == [0.0, 1.0]  # only the missing bin is populated
    assert model.score(X, y) > 0.8


def test_nan_at_predict_time_when_training_had_none(fitted, data):
    X, _ = data
    X = X[:5].copy()
    X[:, 2] = np.nan
    z = fitted.decision_function(X)
    assert np.all(np.isfinite(z))
    assert fitted.bin_weights_[2][-1] == 0.0


# ----------------------------------------------------------------------------------------------
# ±inf are ordered values: the end bins
# ----------------------------------------------------------------------------------------------


def test_infinities_land_in_the_end_bins(fitted, data):
    X, _ = data
    scores, cuts = fitted.bin_scores_[0], fitted.cuts_[0]
    base = X[:1].copy()
    rows = np.repeat(base, 4, axis=0)
    rows[:, 0] = [-np.inf, np.inf, cuts[0] - 1e6, cuts[-1] + 1e6]
    z = fitted.decision_function(rows)
    assert z[0] == z[2]  # -inf: first interval bin
    assert z[1] == z[3]  # +inf: last interval bin (not the missing bin)
    assert z[1] - z[0] == pytest.approx(scores[len(cuts)] - scores[0])


def test_infinities_in_training_data():
    rng = np.random.default_rng(5)
    x = rng.normal(size=300)
    y = (x > 0).astype(int)
    x[:4] = np.where(y[:4] == 1, np.inf, -np.inf)
    model = EmbeddingSumClassifier(max_bins=10).fit(x[:, None], y)
    cuts, scores = model.cuts_[0], model.bin_scores_[0]
    assert np.all(np.isfinite(cuts))
    assert np.all(np.isfinite(scores)) and np.isfinite(model.intercept_)
    z = model.decision_function(np.array([[np.inf], [-np.inf], [np.nan]]))
    assert z[0] == model.intercept_ + scores[len(cuts)]
    assert z[1] == model.intercept_ + scores[0]
    assert z[2] == model.intercept_ + scores[-1]
    assert_array_equal(model.predict(np.array([[np.inf], [-np.inf]])), [1, 0])


# ----------------------------------------------------------------------------------------------
# EmbeddingSumClassifierCV: its own parameters, and the bad input of the base class
# ----------------------------------------------------------------------------------------------

BAD_CV_PARAMS = {
    "step_loss_weights=0": ({"step_loss_weights": 0}, ValueError, r"step_loss_weights must be >= 1, got 0"),
    "step_loss_weights=True": ({"step_loss_weights": True}, ValueError, r"step_loss_weights must be"),
    "step_loss_weights='auto'": ({"step_loss_weights": "auto"}, ValueError, r"step_loss_weights must be a positive integer"),
    "empty step_loss_weights": ({"step_loss_weights": []}, ValueError, r"step_loss_weights must not be empty"),
    "negative step_loss_weights": (
        {"step_loss_weights": [0.1, -1.0]}, ValueError, r"every value of step_loss_weights must be >= 0, got -1\.0"),
    "NaN in step_loss_weights": (
        {"step_loss_weights": [float("nan")]}, ValueError, r"every value of step_loss_weights must be a finite number"),
    "l2s=3": ({"l2s": 3}, ValueError, r"l2s must be a sequence of weights >= 0 or None, got 3"),
    "negative l2s": ({"l2s": [-1.0]}, ValueError, r"every value of l2s must be >= 0"),
    "cv=1": ({"cv": 1}, ValueError, r"cv must be >= 2, got 1"),
    "cv=2.5": ({"cv": 2.5}, ValueError, r"cv must be an int >= 2, a splitter"),
    "cv=None": ({"cv": None}, ValueError, r"cv must be an int >= 2, a splitter"),
    "cv with a bad fold": ({"cv": [([0, 1], [])]}, ValueError, r"cv gave a fold that is not two non-empty arrays"),
    "cv with an index out of range": (
        {"cv": [(np.arange(40), np.arange(40, 81))]}, ValueError, r"row indices in \[0, 80\)"),
    "empty cv": ({"cv": []}, ValueError, r"cv gave no folds"),
    "average_folds='yes'": ({"average_folds": "yes"}, ValueError, r"average_folds must be True or False"),
    "max_bins=1": ({"max_bins": 1}, ValueError, r"max_bins must be >= 2, got 1"),
    "tol=0": ({"tol": 0}, ValueError, r"tol must be > 0, got 0"),
    "negative l2": ({"l2": -1.0}, ValueError, r"l2 must be >= 0"),
    "regularizer that is a plain object": ({"regularizers": [object()]}, TypeError, r"regularizers must have"),
}


@pytest.mark.parametrize("case", list(BAD_CV_PARAMS))
def test_invalid_cv_hyperparameter_raises_at_fit_naming_it(case, data):
    from embedsum import EmbeddingSumClassifierCV

    params, error, pattern = BAD_CV_PARAMS[case]
    model = EmbeddingSumClassifierCV(**params)  # __init__ only stores its arguments
    with pytest.raises(error, match=pattern) as info:
        model.fit(*data)
    assert next(iter(params)).rstrip("s") in str(info.value) or "cv gave" in str(info.value)
    assert not hasattr(model, "bin_scores_") and not hasattr(model, "cv_results_")


@pytest.mark.parametrize("case", list(BAD_FIT))
def test_cv_model_refuses_bad_fit_input_like_the_base_model(case):
    from embedsum import EmbeddingSumClassifierCV

    X, y, sw, error, pattern, *params = BAD_FIT[case]
    model = EmbeddingSumClassifierCV(step_loss_weights=2, cv=3, max_bins=8, **(params[0] if params else {}))
    with pytest.raises(error, match=pattern.replace("EmbeddingSumClassifier ", "EmbeddingSumClassifierCV ")):
        model.fit(X, y, sample_weight=sw)
    assert not hasattr(model, "bin_scores_")


def test_cv_folds_that_cannot_fit_or_score_are_refused(data):
    from embedsum import EmbeddingSumClassifierCV

    X, y = data
    ones, zeros = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    with pytest.raises(ValueError, match=r"the training rows of fold 0 have positive sample_weight in one class only"):
        EmbeddingSumClassifierCV(cv=[(ones, zeros), (zeros, ones)]).fit(X, y)
    weights = np.r_[np.ones(40), np.zeros(40)]
    with pytest.raises(ValueError, match=r"the test rows of fold 0 all have sample_weight 0; they cannot score it"):
        EmbeddingSumClassifierCV(cv=[(np.arange(40), np.arange(40, 80))]).fit(X, y, sample_weight=weights)
