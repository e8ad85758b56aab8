"""EmbeddingSumClassifier follows scikit-learn's estimator conventions (by duck typing).

scikit-learn is a test-only dependency: embedsum never imports it, yet must pass its
estimator checks and work inside clone, Pipeline, GridSearchCV and cross_val_score.
"""

import numpy as np
import pytest
from conftest import run_array_api_check
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_breast_cancer
from sklearn.inspection import permutation_importance
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

import embedsum
from embedsum import EmbeddingSumClassifier, EmbeddingSumClassifierCV, StepLoss

from _oracles import linear_data

# ----------------------------------------------------------------------------------------------
# scikit-learn's own estimator checks
# ----------------------------------------------------------------------------------------------

def expected_failed_checks(estimator):
    """Checks that cannot pass by design: none. Anything that fails is a bug.

    In scikit-learn >= 1.6 the former ``check_sample_weights_invariance(kind=ones|zeros)``
    became ``check_sample_weight_equivalence_on_dense_data`` (zero weights == removed rows and
    integer weights == repeated rows, tested together); it passes: the data term is divided by
    sum(w), and the binning, the category counts and (for the CV estimator) the grid count a
    row of weight k as k rows. Sparse input is refused, so the ``..._on_sparse_data`` variant
    is not generated.
    """
    return {}


# Small grid and few folds: the checks fit hundreds of times on tiny data.
_CV_FOR_CHECKS = EmbeddingSumClassifierCV(step_loss_weights=2, cv=2, max_bins=8)


@parametrize_with_checks(
    [EmbeddingSumClassifier(), _CV_FOR_CHECKS], expected_failed_checks=expected_failed_checks, xfail_strict=True
)
def test_sklearn_estimator_checks(estimator, check):
    if getattr(check, "func", check).__name__ == "check_array_api_input":
        # scikit-learn skips this check unless SCIPY_ARRAY_API=1 was set before scipy was
        # imported; run it in a child that sets it, rather than skip it.
        run_array_api_check(estimator, check.keywords)
        return
    check(estimator)


def test_expected_failures_name_checks_that_exist():
    """The expected-failed names must match generated checks (a typo would silently xfail nothing)."""
    from sklearn.utils.estimator_checks import estimator_checks_generator

    for estimator in (EmbeddingSumClassifier(), _CV_FOR_CHECKS):
        names = set()
        for _, check in estimator_checks_generator(estimator, legacy=True):
            func = getattr(check, "func", check)
            names.add(func.__name__)
        assert "check_estimators_unfitted" in names  # the generator does list checks by name
        assert set(expected_failed_checks(estimator)) <= names


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def cancer_split(cancer):
    X, y = cancer
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _small_data(seed=0, n=120):
    X, y = linear_data(seed, n, 3, noise=0.3)
    return X, y.astype(int)


# ----------------------------------------------------------------------------------------------
# Tags and type
# ----------------------------------------------------------------------------------------------


def test_tags_report_classifier_and_allow_nan():
    est = EmbeddingSumClassifier()
    tags = get_tags(est)
    assert tags.estimator_type == "classifier"
    assert tags.input_tags.allow_nan is True
    assert tags.target_tags.required is True
    assert tags.classifier_tags.multi_class is True
    assert tags.input_tags.categorical is True
    assert is_classifier(est)


# ----------------------------------------------------------------------------------------------
# get_params / set_params / clone
# ----------------------------------------------------------------------------------------------

_NON_DEFAULT = dict(
    max_bins=7, step_loss_weight=0.5, embedding_sum_loss_weight=0.2, l2=0.1,
    regularizers=None, max_iter=321, tol=1e-5, verbose=0, categorical_features=[1], min_category_count=3,
    monotonic_cst=[1, 0, 0], binning="adaptive", min_bin_count=2, uncertainty=True,
    fairness="demographic_parity", fairness_tolerance=0.1, interactions=[(1, 2)], interaction_bins=4, interaction_weight=0.5, category_weight=2.0,
)


def test_get_params_lists_every_constructor_argument():
    params = EmbeddingSumClassifier().get_params()
    assert set(params) == set(_NON_DEFAULT)
    assert params["max_bins"] == 20
    assert params["step_loss_weight"] == 0.01


def test_get_params_set_params_round_trip():
    est = EmbeddingSumClassifier(**_NON_DEFAULT)
    params = est.get_params()
    assert params == _NON_DEFAULT
    assert EmbeddingSumClassifier(**params).get_params() == params
    other = EmbeddingSumClassifier()
    assert other.set_params(**params) is other
    assert other.get_params() == params
    assert other.get_params(deep=False) == params


def test_set_params_unknown_name_raises_value_error():
    est = EmbeddingSumClassifier()
    with pytest.raises(ValueError, match=r"Invalid parameter 'nonsense' for estimator EmbeddingSumClassifier"):
        est.set_params(nonsense=3)
    assert not hasattr(est, "nonsense")
    assert est.get_params()["max_bins"] == 20


def test_clone_unfitted_copy_with_same_params():
    X, y = _small_data()
    est = EmbeddingSumClassifier(max_bins=6, regularizers=[StepLoss(0.5)]).fit(X, y)
    copy = clone(est)
    assert copy is not est
    assert type(copy) is EmbeddingSumClassifier
    assert copy.get_params()["max_bins"] == 6
    assert len(copy.regularizers) == 1 and copy.regularizers[0].weight == 0.5
    assert copy.regularizers is not est.regularizers  # deep-copied, not shared
    assert not hasattr(copy, "bin_scores_") and not hasattr(copy, "classes_")
    # refitting the clone on the same data gives the same model (fit is deterministic)
    assert_array_equal(copy.fit(X, y).decision_function(X), est.decision_function(X))


def test_fit_does_not_change_constructor_params():
    X, y = _small_data()
    est = EmbeddingSumClassifier(**_NON_DEFAULT)
    est.fit(X, y, sensitive_features=np.arange(len(y)) % 2)
    assert est.get_params() == _NON_DEFAULT


def test_repr_shows_changed_params_only():
    assert repr(EmbeddingSumClassifier()) == "EmbeddingSumClassifier()"
    assert repr(EmbeddingSumClassifier(max_bins=7)) == "EmbeddingSumClassifier(max_bins=7)"


# ----------------------------------------------------------------------------------------------
# Meta-estimators on breast cancer
# ----------------------------------------------------------------------------------------------


def test_pipeline_with_standard_scaler(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    pipe = make_pipeline(StandardScaler(), EmbeddingSumClassifier()).fit(X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.93
    proba = pipe.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(pipe.classes_, [0, 1])
    # Quantile bins are invariant to a monotone rescaling of each column: the model inside
    # the pipeline sees the same bins, hence fits the same scores, as a model on raw data.
    plain = EmbeddingSumClassifier().fit(X_train, y_train)
    assert_allclose(pipe.decision_function(X_train), plain.decision_function(X_train), rtol=1e-9, atol=1e-9)


def test_cross_val_score_is_sensible(cancer):
    X, y = cancer
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(EmbeddingSumClassifier(), X, y, cv=cv)
    assert scores.shape == (5,)
    assert scores.min() > 0.9
    assert scores.mean() > 0.95
    auc = cross_val_score(EmbeddingSumClassifier(), X, y, cv=cv, scoring="roc_auc")
    assert auc.mean() > 0.98


def test_grid_search_over_max_bins_and_step_loss_weight(cancer):
    X, y = cancer
    grid = {"max_bins": [3, 10], "step_loss_weight": [0.0, 1.0]}
    est = EmbeddingSumClassifier()
    search = GridSearchCV(est, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0)).fit(X, y)
    assert not hasattr(est, "bin_scores_")  # the search fits clones
    assert len(search.cv_results_["params"]) == 4
    means = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(means))
    assert len(np.unique(means)) > 1  # the parameters reach the model
    assert search.best_params_["max_bins"] in (3, 10)
    assert search.best_params_["step_loss_weight"] in (0.0, 1.0)
    assert search.best_score_ > 0.95
    best = search.best_estimator_
    assert best.max_bins == search.best_params_["max_bins"]
    assert best.step_loss_weight == search.best_params_["step_loss_weight"]
    # max_bins bounds the interval bins of every feature (+1 missing bin)
    assert max(len(s) for s in best.bin_scores_) <= best.max_bins + 1
    assert search.score(X, y) > 0.95


def test_permutation_importance_runs(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    model = EmbeddingSumClassifier().fit(X_train, y_train)
    result = permutation_importance(model, X_test, y_test, n_repeats=3, random_state=0)
    assert result.importances_mean.shape == (X_train.shape[1],)
    assert result.importances_mean.max() > 0


# ----------------------------------------------------------------------------------------------
# Labels
# ----------------------------------------------------------------------------------------------


def test_string_labels(cancer_split):
    X_train, X_test, y_train, y_test = cancer_split
    names = np.array(["malignant", "benign"])
    model = EmbeddingSumClassifier().fit(X_train, names[y_train])
    assert_array_equal(model.classes_, ["benign", "malignant"])
    pred = model.predict(X_test)
    assert pred.dtype.kind == "U"
    assert set(pred.tolist()) <= {"benign", "malignant"}
    assert np.mean(pred == names[y_test]) > 0.93
    # column 1 of predict_proba is classes_[1] == "malignant" (y == 0)
    p_malignant = model.predict_proba(X_test)[:, 1]
    assert p_malignant[y_test == 0].mean() > 0.8 > 0.2 > p_malignant[y_test == 1].mean()
    assert model.score(X_test, names[y_test]) > 0.93


def test_bool_labels():
    X, y = _small_data()
    model = EmbeddingSumClassifier().fit(X, y.astype(bool))
    assert_array_equal(model.classes_, [False, True])
    pred = model.predict(X)
    assert pred.dtype == np.bool_
    assert np.mean(pred == y.astype(bool)) > 0.85
    # bool labels and 0/1 labels give the same model
    assert_array_equal(model.decision_function(X), EmbeddingSumClassifier().fit(X, y).decision_function(X))


def test_labels_other_than_zero_one():
    X, y = _small_data()
    labels = np.where(y == 1, 7, -3)
    model = EmbeddingSumClassifier().fit(X, labels)
    assert_array_equal(model.classes_, [-3, 7])
    assert set(model.predict(X).tolist()) <= {-3, 7}
    assert_array_equal(model.decision_function(X), EmbeddingSumClassifier().fit(X, y).decision_function(X))


# ----------------------------------------------------------------------------------------------
# pandas DataFrames (duck typed)
# ----------------------------------------------------------------------------------------------


def _frame(X, columns):
    import pandas as pd  # a test dependency (the test extra)
    return pd.DataFrame(X, columns=columns)


def test_dataframe_sets_feature_names_in():
    X, y = _small_data()
    cols = ["alpha", "beta", "gamma"]
    model = EmbeddingSumClassifier().fit(_frame(X, cols), y)
    assert model.feature_names_in_.tolist() == cols
    assert model.n_features_in_ == 3
    # same model as on the bare array; predicting a frame with the same names works
    assert_array_equal(model.decision_function(_frame(X, cols)), EmbeddingSumClassifier().fit(X, y).decision_function(X))


def test_numpy_input_does_not_set_feature_names_in():
    X, y = _small_data()
    model = EmbeddingSumClassifier().fit(X, y)
    assert not hasattr(model, "feature_names_in_")
    assert model.n_features_in_ == 3


def test_refit_on_numpy_forgets_feature_names():
    X, y = _small_data()
    model = EmbeddingSumClassifier().fit(_frame(X, ["a", "b", "c"]), y)
    assert hasattr(model, "feature_names_in_")
    model.fit(X, y)
    assert not hasattr(model, "feature_names_in_")


def test_dataframe_with_non_string_columns_has_no_feature_names():
    X, y = _small_data()
    model = EmbeddingSumClassifier().fit(_frame(X, [0, 1, 2]), y)
    assert not hasattr(model, "feature_names_in_")


def test_predict_dataframe_with_renamed_columns_raises():
    X, y = _small_data()
    model = EmbeddingSumClassifier().fit(_frame(X, ["a", "b", "c"]), y)
    renamed = _frame(X, ["a", "b", "zeta"])
    for method in (model.predict, model.predict_proba, model.decision_function):
        with pytest.raises(ValueError, match=r"feature names should match(.|\n)*unseen at fit time: \['zeta'\]"):
            method(renamed)


def test_predict_dataframe_with_reordered_columns_raises():
    X, y = _small_data()
    model = EmbeddingSumClassifier().fit(_frame(X, ["a", "b", "c"]), y)
    with pytest.raises(ValueError, match="another order"):
        model.predict(_frame(X[:, [2, 0, 1]], ["c", "a", "b"]))


def test_feature_name_warnings_as_in_sklearn():
    X, y = _small_data()
    with_names = EmbeddingSumClassifier().fit(_frame(X, ["a", "b", "c"]), y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        with_names.predict(X)
    without_names = EmbeddingSumClassifier().fit(X, y)
    with pytest.warns(UserWarning, match="X has feature names"):
        without_names.predict(_frame(X, ["a", "b", "c"]))


def test_dataframe_with_missing_values():
    X, y = _small_data()
    X = X.copy()
    X[::4, 1] = np.nan
    frame = _frame(X, ["a", "b", "c"])
    model = EmbeddingSumClassifier().fit(frame, y)
    assert np.all(np.isfinite(model.decision_function(frame)))
    assert model.bin_weights_[1][-1] == pytest.approx(np.mean(np.isnan(X[:, 1])))


def test_embedsum_does_not_import_sklearn_itself():
    # sanity: the package object exposes no sklearn base class in its MRO
    assert all(cls.__module__.split(".")[0] != "sklearn" for cls in EmbeddingSumClassifier.__mro__)
    assert embedsum.NotFittedError.__module__.startswith("embedsum")
