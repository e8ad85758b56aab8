"""Multiclass classification (docs/design.md#multiclass): a softmax model with one score per bin and class.

Each class's decision value is ``intercept_[k] + bin_scores_[0][b_0, k] + ... `` added left to
right in float64 on every scoring path (few rows, many rows, categorical); the tests compare
them bit for bit with the plain loop of _oracles.py.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from embedsum import EmbeddingSumClassifier
from embedsum.scoring._decision import FEW_ROWS, MANY_ROWS

from _oracles import model_reference_decision

LABELS = np.array(["bot", "human", "scanner", "worm"])


def _numeric_data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    centre = np.array([[1.5, 0, 0], [-1.5, 0, 0], [0, 1.5, 0], [0, -1.5, 1.0]])
    y = np.argmin(((X[:, None, :] + 0.6 * rng.normal(size=(n, 1, 3)) - centre) ** 2).sum(axis=2), axis=1)
    X[rng.random(size=X.shape) < 0.05] = np.nan  # missing values have their own bin
    return X, LABELS[y]


def _scoring_rows(n, seed=1):
    X, _ = _numeric_data(n, seed)
    X[0, 0], X[1, 1], X[2, 2] = np.inf, -np.inf, 1e300  # beyond every cut: the end bins
    return X


@pytest.fixture(scope="module")
def numeric_model():
    X, y = _numeric_data(400)
    return X, y, EmbeddingSumClassifier(max_bins=10).fit(X, y)


def test_fitted_shapes_with_string_labels(numeric_model):
    X, y, model = numeric_model
    K = 4
    assert_array_equal(model.classes_, LABELS)
    assert isinstance(model.intercept_, np.ndarray) and model.intercept_.shape == (K,)
    for j in range(3):
        assert model.bin_scores_[j].shape == (len(model.cuts_[j]) + 2, K)
        assert model.bin_weights_[j].shape == (len(model.cuts_[j]) + 2,)
    assert model.feature_importances_.shape == (3,)
    assert model.decision_function(X).shape == (len(X), K)
    assert model.predict_proba(X).shape == (len(X), K)
    assert model.predict(X).shape == (len(X),)
    assert model.predict(X).dtype == LABELS.dtype
    assert model.monotonic_cst_.tolist() == [0, 0, 0]


@pytest.mark.parametrize("n_rows", [1, FEW_ROWS, FEW_ROWS + 1, 100, MANY_ROWS - 1, MANY_ROWS, 1500])
def test_decision_values_are_bit_identical_to_the_reference(numeric_model, n_rows):
    _, _, model = numeric_model
    X = _scoring_rows(max(n_rows, 3))[:n_rows]
    assert_array_equal(model.decision_function(X), model_reference_decision(model, X.tolist()))


@pytest.mark.parametrize("n_rows", [3, 100, MANY_ROWS + 10])
def test_probabilities_and_predictions_are_consistent(numeric_model, n_rows):
    _, _, model = numeric_model
    X = _scoring_rows(n_rows, seed=2)
    z = model.decision_function(X)
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all((proba >= 0) & (proba <= 1))
    assert_array_equal(np.argmax(proba, axis=1), np.argmax(z, axis=1))
    assert_array_equal(model.predict(X), model.classes_[np.argmax(z, axis=1)])
    # softmax of the decision values, computed plainly
    e = np.exp(z - z.max(axis=1, keepdims=True))
    assert_allclose(proba, e / e.sum(axis=1, keepdims=True), rtol=1e-12, atol=1e-300)


def test_extreme_decision_values_give_finite_probabilities(numeric_model):
    _, _, model = numeric_model
    shifted = EmbeddingSumClassifier(max_bins=10)
    for name in ("classes_", "cuts_", "bin_weights_", "n_features_in_", "is_categorical_", "categories_",
                 "rare_categories_", "unseen_scores_", "monotonic_cst_"):
        setattr(shifted, name, getattr(model, name))
    shifted.bin_scores_ = [s * 1000.0 for s in model.bin_scores_]
    shifted.intercept_ = model.intercept_ * 1000.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = shifted.predict_proba(_scoring_rows(50))
    assert np.all(np.isfinite(proba))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_accuracy_on_the_training_data(numeric_model):
    X, y, model = numeric_model
    # the classes overlap (noisy centres): well above the majority class, not perfect
    majority = max(np.mean(y == label) for label in LABELS)
    assert model.score(X, y) > majority + 0.3
    assert set(model.predict(X).tolist()) == set(LABELS.tolist())


# ----------------------------------------------------------------------------------------------
# Categorical features with several classes
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def categorical_model():
    rng = np.random.default_rng(5)
    n = 600
    proto = rng.choice(["tcp", "udp", "icmp"], size=n, p=[0.5, 0.3, 0.2])
    proto[-5:] = "gre"  # seen 5 times, fewer than min_category_count: the "other" bin
    x = rng.normal(size=n)
    score = np.stack([(proto == "tcp") + x, (proto == "udp") - x, (proto == "icmp") + 0.0 * x], axis=1)
    y = np.argmax(score + rng.gumbel(size=score.shape), axis=1)
    X = np.empty((n, 2), dtype=object)
    X[:, 0], X[:, 1] = x, proto
    X[::37, 1] = None
    return X, y, EmbeddingSumClassifier(max_bins=8).fit(X, y)


def test_categorical_shapes(categorical_model):
    _, _, model = categorical_model
    assert model.is_categorical_.tolist() == [False, True]
    assert model.categories_[1].tolist() == ["icmp", "tcp", "udp"]
    assert model.rare_categories_[1].tolist() == ["gre"]
    assert model.bin_scores_[1].shape == (5, 3)
    unseen = model.unseen_scores_[1]
    assert isinstance(unseen, np.ndarray) and unseen.shape == (3,)
    assert_allclose(unseen, model.bin_weights_[1] @ model.bin_scores_[1], rtol=1e-12, atol=1e-15)
    assert model.unseen_scores_[0] is None


@pytest.mark.parametrize("n_rows", [4, 100, MANY_ROWS + 1])
def test_categorical_decision_values_are_bit_identical_to_the_reference(categorical_model, n_rows):
    _, _, model = categorical_model
    rng = np.random.default_rng(n_rows)
    X = np.empty((n_rows, 2), dtype=object)
    X[:, 0] = rng.normal(size=n_rows)
    X[:, 1] = rng.choice(np.array(["tcp", "udp", "icmp", "gre", "sctp", None, ""], dtype=object), size=n_rows)
    X[:4, 1] = ["sctp", "gre", None, "tcp"]  # never seen, rare, missing, kept
    X[0, 0] = np.nan
    z = model.decision_function(X)
    assert_array_equal(z, model_reference_decision(model, X.tolist()))
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert_array_equal(model.predict(X), model.classes_[np.argmax(z, axis=1)])


# ----------------------------------------------------------------------------------------------
# Sample weights
# ----------------------------------------------------------------------------------------------


def test_integer_weights_equal_repeated_rows():
    """Weights w on n rows fit as repeating row i w_i times.

    As published, the data term is a mean over the n rows of ``w_i * loss_i`` (not divided by
    sum(w)), so the weights are rescaled to ``w * n / sum(w)``, which gives the repeated rows'
    data term exactly. The embedding-sum term uses the bins' training fractions, which
    repeating rows changes: it is switched off here; the step and l2 terms do not depend on
    the rows. The columns take few values so that both data sets get the same bins.
    """
    rng = np.random.default_rng(0)
    n = 90
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.choice([0.0, 1.0, 2.0, 3.0], size=n)
    X[:, 1] = rng.choice([-1.0, 5.0, np.nan], size=n)
    X[:, 2] = rng.choice(["a", "b", "c"], size=n)
    y = rng.choice(["x", "y", "z"], size=n)
    w = rng.integers(1, 4, size=n)
    repeat = np.repeat(np.arange(n), w)
    params = dict(max_bins=20, min_category_count=1, embedding_sum_loss_weight=0.0, l2=0.05, step_loss_weight=0.1,
                  tol=1e-12, max_iter=10_000)
    weighted = EmbeddingSumClassifier(**params).fit(X, y, sample_weight=w * n / w.sum())
    repeated = EmbeddingSumClassifier(**params).fit(X[repeat], y[repeat])
    for j in (0, 1):
        assert_array_equal(weighted.cuts_[j], repeated.cuts_[j])
    assert_array_equal(weighted.categories_[2], repeated.categories_[2])
    assert weighted.history_["loss"][-1] == pytest.approx(repeated.history_["loss"][-1], rel=1e-9)
    assert_allclose(weighted.decision_function(X), repeated.decision_function(X), rtol=0, atol=1e-6)
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=0, atol=1e-6)


def test_sample_weights_change_the_fit():
    X, y = _numeric_data(300, seed=3)
    w = np.where(y == "worm", 5.0, 1.0)
    plain = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    heavy = EmbeddingSumClassifier(max_bins=8).fit(X, y, sample_weight=w)
    worm = list(LABELS).index("worm")
    assert heavy.predict_proba(X)[:, worm].mean() > plain.predict_proba(X)[:, worm].mean() + 0.05


def test_a_class_without_weight_gets_little_probability():
    X, y = _numeric_data(300, seed=4)
    w = np.where(y == "bot", 0.0, 1.0)
    model = EmbeddingSumClassifier(max_bins=8).fit(X, y, sample_weight=w)
    assert_array_equal(model.classes_, LABELS)  # still a class of the model
    assert model.predict_proba(X)[:, 0].max() < 0.05


# ----------------------------------------------------------------------------------------------
# Constraints and a real data set
# ----------------------------------------------------------------------------------------------


def test_monotone_constraint_is_refused():
    X, y = _numeric_data(120)
    with pytest.raises(ValueError, match=r"monotonic_cst is not supported for multiclass classification"):
        EmbeddingSumClassifier(monotonic_cst=[0, 1, 0]).fit(X, y)


def test_iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = EmbeddingSumClassifier().fit(X, names)
    assert_array_equal(model.classes_, ["setosa", "versicolor", "virginica"])
    assert model.score(X, names) > 0.9
    # integer labels give the same model as their names
    assert_array_equal(EmbeddingSumClassifier().fit(X, y).decision_function(X), model.decision_function(X))
    # petal features (2, 3) separate the species; the sepal width (1) hardly does
    assert model.feature_importances_[2] > model.feature_importances_[1]
    assert model.feature_importances_[3] > model.feature_importances_[1]


def test_the_number_of_outputs_is_set_once_by_fit_and_by_load():
    from embedsum import EmbeddingSumRegressor, from_json

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    models = {
        1: EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0),
        3: EmbeddingSumClassifier(max_bins=4).fit(X, np.digitize(X[:, 0], [-0.5, 0.5])),
    }
    for k, model in [*models.items(), (1, EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 1]))]:
        loaded = from_json(model.to_json())
        assert model.__dict__["_n_outputs"] == loaded.__dict__["_n_outputs"] == k
        assert sorted(vars(loaded)) == sorted(vars(model))  # the same fitted attributes, set by _set_fitted
        assert np.ndim(loaded.intercept_) == (0 if k == 1 else 1)
    # A model assembled attribute by attribute (as some tests build them) derives it from its classes.
    assembled = EmbeddingSumClassifier()
    for name, value in vars(models[3]).items():
        if name.endswith("_") and not name.startswith("_"):
            setattr(assembled, name, value)
    assert "_n_outputs" not in vars(assembled)
    assert_array_equal(assembled.predict_proba(X[:5]), models[3].predict_proba(X[:5]))
    assert assembled._n_outputs == 3
