"""EmbeddingSumClassifier: fitted attributes, labels, missing values, convergence, history."""

import warnings

import numpy as np
import pytest

from embedsum import ConvergenceWarning, EmbeddingSumClassifier
from embedsum.datasets import load_breast_cancer
from embedsum.estimators._importances import mirad_importances
from embedsum.inspection._metrics import roc_auc


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.3 * rng.normal(size=400) > 0.5).astype(int)
    return X, y


def test_fitted_attributes_have_the_documented_shapes(data):
    X, y = data
    model = EmbeddingSumClassifier(max_bins=10).fit(X, y)
    assert model.n_features_in_ == 3
    assert not hasattr(model, "feature_names_in_")
    assert model.classes_.tolist() == [0, 1]
    assert isinstance(model.intercept_, float)
    for cuts, scores, weights in zip(model.cuts_, model.bin_scores_, model.bin_weights_):
        assert np.all(np.diff(cuts) > 0)
        assert len(scores) == len(weights) == len(cuts) + 2  # interval bins + the missing bin
        assert weights[-1] == 0.0  # no NaN in training
        assert np.isclose(weights.sum(), 1.0)
    assert model.feature_importances_.shape == (3,)
    assert np.array_equal(model.feature_importances_, mirad_importances(model.bin_scores_, model.bin_weights_))
    # the informative features matter more than the noise feature
    assert model.feature_importances_[2] < min(model.feature_importances_[:2])
    assert model.n_iter_ >= 1
    assert len(model.history_["loss"]) == model.n_iter_ + 1


def test_history_components_add_up_and_loss_decreases(data):
    X, y = data
    model = EmbeddingSumClassifier(l2=0.001).fit(X, y)
    h = model.history_
    assert set(h) == {"loss", "classification", "step", "embedding_sum", "l2"}
    total = h["classification"] + h["step"] + h["embedding_sum"] + h["l2"]
    np.testing.assert_allclose(total, h["loss"], rtol=1e-12)
    assert np.all(np.diff(h["loss"]) <= 1e-12)  # L-BFGS-B accepts only decreasing steps
    assert h["loss"][-1] < h["loss"][0]
    # start: theta = 0, bias = logit(mean y) -> classification loss is the entropy of the base rate
    p = y.mean()
    assert h["classification"][0] == pytest.approx(-(p * np.log(p) + (1 - p) * np.log(1 - p)), rel=1e-12)
    assert h["step"][0] == 0.0


def test_start_point_and_mean_zero_shape_functions(data):
    X, y = data
    model = EmbeddingSumClassifier(embedding_sum_loss_weight=100.0).fit(X, y)
    for scores, weights in zip(model.bin_scores_, model.bin_weights_):
        assert abs(weights @ scores) < 1e-3  # a strong embedding-sum loss centres each feature


def test_string_labels_and_positive_class():
    X, y, _ = load_breast_cancer()
    model = EmbeddingSumClassifier().fit(X, y)
    assert model.classes_.tolist() == ["benign", "malignant"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    z = model.decision_function(X)
    assert np.array_equal(model.predict(X), np.where(z > 0, "malignant", "benign"))
    assert roc_auc(y == "malignant", proba[:, 1]) > 0.99
    assert model.score(X, y) > 0.95


def test_nan_is_a_missing_value_with_its_own_bin():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 2))
    y = (X[:, 0] > 0).astype(int)
    missing = rng.random(600) < 0.2
    y[missing] = 1  # missingness itself predicts the positive class
    X[missing, 0] = np.nan
    model = EmbeddingSumClassifier().fit(X, y)
    assert model.bin_weights_[0][-1] == pytest.approx(missing.mean())
    assert model.bin_scores_[0][-1] > 1.0
    proba = model.predict_proba([[np.nan, 0.0], [-2.0, 0.0]])[:, 1]
    assert proba[0] > 0.8 > 0.2 > proba[1]


def test_missing_bin_unseen_in_training_scores_zero(data):
    X, y = data
    model = EmbeddingSumClassifier().fit(X, y)
    assert all(scores[-1] == 0.0 for scores in model.bin_scores_)
    z = model.decision_function(np.array([[np.nan, np.nan, np.nan]]))
    assert z[0] == model.intercept_


def test_infinities_land_in_the_end_bins(data):
    X, y = data
    model = EmbeddingSumClassifier().fit(X, y)
    rows = np.array([[np.inf, -np.inf, 0.0], [1e300, -1e300, 0.0]])
    z = model.decision_function(rows)
    assert z[0] == z[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(np.vstack([X, [[np.inf, -np.inf, np.inf]]]), np.append(y, 1))


def test_convergence_warning_points_at_the_caller(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="max_iter") as record:
        model = EmbeddingSumClassifier(max_iter=2).fit(X, y)
    assert model.n_iter_ == 2
    assert record[0].filename == __file__


def test_converged_fit_does_not_warn(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EmbeddingSumClassifier().fit(X, y)


def test_verbose_prints_progress_and_silent_by_default(data, capsys):
    X, y = data
    EmbeddingSumClassifier().fit(X, y)
    assert capsys.readouterr().out == ""
    EmbeddingSumClassifier(verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert out.startswith("iter     0  loss ")
    assert "classification" in out


def test_sample_weights_are_a_weighted_mean_that_scaling_leaves_alone(data):
    X, y = data
    ones = EmbeddingSumClassifier().fit(X, y, sample_weight=np.ones(len(y)))
    plain = EmbeddingSumClassifier().fit(X, y)
    assert np.array_equal(ones.decision_function(X), plain.decision_function(X))
    # the data term is divided by sum(w): doubling every weight changes no bit of the model
    double = EmbeddingSumClassifier().fit(X, y, sample_weight=np.full(len(y), 2.0))
    assert np.array_equal(double.decision_function(X), plain.decision_function(X))
    assert double.history_["classification"][-1] == plain.history_["classification"][-1]
    # a heavy weight on positives moves the intercept up
    heavy = EmbeddingSumClassifier().fit(X, y, sample_weight=np.where(y == 1, 5.0, 1.0))
    assert heavy.decision_function(X).mean() > plain.decision_function(X).mean()


def test_refit_is_deterministic_and_forgets_feature_names(data):
    import pandas as pd  # a test dependency (the test extra)
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = EmbeddingSumClassifier().fit(frame, y)
    assert model.feature_names_in_.tolist() == ["a", "b", "c"]
    z = model.decision_function(frame)
    model.fit(X, y)
    assert not hasattr(model, "feature_names_in_")
    assert np.array_equal(model.decision_function(X), z)


def test_custom_regularizer_changes_the_fit(data):
    X, y = data

    class PullMissingToOne:
        name = "pull"

        def value_gradient(self, coef, layout):
            missing = layout.offsets[1:] - 1
            grad = np.zeros_like(coef)
            grad[missing] = 2.0 * (coef[missing] - 1.0)
            return float(((coef[missing] - 1.0) ** 2).sum()), grad

    model = EmbeddingSumClassifier(regularizers=[PullMissingToOne()]).fit(X, y)
    assert "pull" in model.history_
    np.testing.assert_allclose([s[-1] for s in model.bin_scores_], 1.0, atol=1e-4)


def test_init_stores_arguments_only():
    model = EmbeddingSumClassifier(max_bins="nonsense", tol=-1)
    assert model.max_bins == "nonsense" and model.tol == -1
    assert model.get_params()["max_bins"] == "nonsense"
    assert "max_bins='nonsense'" in repr(model)


def test_many_rows_start_from_a_subsample_and_reach_the_same_optimum(monkeypatch):
    # Scaled down: from 3,000 rows, _solve first solves on every 6th row (~500 rows).
    from embedsum import Digitizer
    from embedsum.estimators import _base as estimator  # where the subsample thresholds live
    from embedsum.training._layout import ParameterLayout
    from embedsum.training._objective import EmbeddingSumObjective

    rng = np.random.default_rng(4)
    X = rng.poisson(rng.gamma(0.7, 4.0, size=(3000, 3))).astype(float)
    X[rng.random(3000) < 0.05, 1] = np.nan
    y = (X[:, 0] + 2 * np.isnan(X[:, 1]) + rng.normal(0, 2, 3000) > 3).astype(int)
    sw = rng.uniform(0.5, 2.0, 3000)
    direct = EmbeddingSumClassifier(tol=1e-8).fit(X, y, sample_weight=sw)
    solved_rows = []
    original = EmbeddingSumClassifier._solve

    def spy(self, codes, *args, **kwargs):
        solved_rows.append(len(codes))
        return original(self, codes, *args, **kwargs)

    monkeypatch.setattr(estimator, "_WARM_START_ROWS", 2000)
    monkeypatch.setattr(estimator, "_SUBSAMPLE_ROWS", 500)
    monkeypatch.setattr(EmbeddingSumClassifier, "_solve", spy)
    warm = EmbeddingSumClassifier(tol=1e-8).fit(X, y, sample_weight=sw)
    assert solved_rows == [3000, 500]  # the subsample (every 6th row), then all rows
    # The history starts at the subsample's solution, already below the default start.
    assert warm.history_["loss"][0] < direct.history_["loss"][0]
    assert len(warm.history_["loss"]) == warm.n_iter_ + 1
    np.testing.assert_allclose(warm.history_["loss"][-1], direct.history_["loss"][-1], rtol=1e-9)
    for a, b in zip(warm.bin_scores_, direct.bin_scores_):
        np.testing.assert_allclose(a, b, atol=1e-4)
    # An explicit start point (cross-validation's warm starts) is used as given.
    solved_rows.clear()
    start = np.append(np.concatenate(direct.bin_scores_), direct.intercept_)
    digitizer = Digitizer().fit(X)
    layout = ParameterLayout(digitizer.n_bins_, digitizer.bin_weights_)
    y01 = y.astype(float)
    result = warm._solve(digitizer.transform(X), y01, sw, layout, start)
    assert solved_rows == [3000]
    objective = EmbeddingSumObjective(digitizer.transform(X), y01, sw, layout, warm._all_regularizers())
    # Equal up to rounding only: the solver works with weights over their maximum and with
    # preconditioned coordinates, so the last bits of the first loss depend on the machine.
    np.testing.assert_allclose(result.history["loss"][0], objective.loss_gradient(start)[0], rtol=1e-13)
    assert result.history["loss"][0] < objective.loss_gradient(warm._start(y01, sw, layout))[0] - 1e-3


def test_many_classes_start_from_a_subsample_counted_in_values(monkeypatch):
    """A softmax of K classes costs about K binary evaluations: rows x classes decide the warm start."""
    from embedsum.estimators import _base as estimator  # where the subsample thresholds live

    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, 3))
    y = np.argmax(X + rng.gumbel(size=(3000, 3)), axis=1)
    direct = EmbeddingSumClassifier(tol=1e-8).fit(X, y)
    solved_rows = []
    original = EmbeddingSumClassifier._solve

    def spy(self, codes, *args, **kwargs):
        solved_rows.append(len(codes))
        return original(self, codes, *args, **kwargs)

    monkeypatch.setattr(estimator, "_WARM_START_ROWS", 6000)  # 3000 rows x 3 classes: above
    monkeypatch.setattr(estimator, "_SUBSAMPLE_ROWS", 1500)  # 9000 values / 1500: every 6th row
    monkeypatch.setattr(EmbeddingSumClassifier, "_solve", spy)
    warm = EmbeddingSumClassifier(tol=1e-8).fit(X, y)
    assert solved_rows == [3000, 500]
    np.testing.assert_allclose(warm.history_["loss"][-1], direct.history_["loss"][-1], rtol=1e-8)
    solved_rows.clear()
    monkeypatch.setattr(estimator, "_WARM_START_ROWS", 9001)  # one value short: no warm start
    EmbeddingSumClassifier(tol=1e-8).fit(X, y)
    assert solved_rows == [3000]


# ----------------------------------------------------------------------------------------------
# binning: the published quantile cuts by default, adaptive cuts on request (docs/design.md#bin-codes)
# ----------------------------------------------------------------------------------------------


def _zero_inflated(n=2000, seed=0):
    """A money-like column: 92% zeros, a log-normal tail; a second, smooth column; a label from the tail."""
    rng = np.random.default_rng(seed)
    money = np.where(rng.random(n) < 0.92, 0.0, rng.lognormal(3.0, 1.0, n))
    X = np.column_stack([money, rng.normal(size=n)])
    y = (np.log1p(money) + X[:, 1] + rng.normal(size=n) > 2.0).astype(int)
    return X, y


@pytest.mark.parametrize("max_bins", [5, 20])
def test_default_cuts_are_the_published_quantile_cuts_bit_for_bit(data, max_bins):
    from embedsum.binning._digitizer import Digitizer

    X, y = data
    X = X.copy()
    X[::9, 2] = np.nan
    for X_, y_ in ((X, y), _zero_inflated()):
        model = EmbeddingSumClassifier(max_bins=max_bins, max_iter=2)
        assert model.binning == "quantile"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_, y_)
        digitizer = Digitizer(max_bins=max_bins).fit(X_)
        for got, want in zip(model.cuts_, digitizer.cuts_):
            assert got.tobytes() == want.tobytes()
        for got, want in zip(model.bin_weights_, digitizer.bin_weights_):
            assert got.tobytes() == want.tobytes()


def test_adaptive_binning_gives_the_adaptive_cuts_and_generated_python_scores_the_same_bits():
    from embedsum import export
    from embedsum.binning._adaptive import AdaptiveDigitizer

    X, y = _zero_inflated()
    X[::13, 1] = np.nan
    model = EmbeddingSumClassifier(max_bins=16, binning="adaptive", min_bin_count=8).fit(X, y)
    digitizer = AdaptiveDigitizer(max_bins=16, min_bin_count=8).fit(X)
    for got, want in zip(model.cuts_, digitizer.cuts_):
        assert got.tobytes() == want.tobytes()
    assert model.cuts_[0][0] == 0.0 and model.bin_weights_[0][0] > 0.9  # the zero alone
    from embedsum.binning._digitizer import Digitizer

    assert len(model.cuts_[0]) > len(Digitizer(max_bins=16).fit(X).cuts_[0])  # more bins where the tail is
    namespace: dict = {}
    exec(export.to_python(model), namespace)
    rows = np.vstack([X[:300], [[0.0, np.nan], [np.inf, -np.inf], [np.nan, 0.0]], model.cuts_[0][:2, None]
                      * np.ones((2, 2))])
    got = np.array([namespace["decision_function"](r) for r in rows.tolist()])
    assert np.array_equal(got.view(np.uint64), model.decision_function(rows).view(np.uint64))


@pytest.mark.parametrize("params, message", [
    ({"binning": "x"}, r"binning must be one of \['quantile', 'adaptive'\], got 'x'"),
    ({"binning": None}, r"binning must be one of"),
    ({"min_bin_count": 0}, r"min_bin_count must be >= 1, got 0"),
    ({"min_bin_count": 2.5}, r"min_bin_count must be an integer, got 2.5"),
    ({"min_bin_count": True}, r"min_bin_count must be an integer, got True"),
])
def test_bad_binning_parameters_raise_at_fit(data, params, message):
    from embedsum import EmbeddingSumRegressor

    X, y = data
    for model in (EmbeddingSumClassifier(**params), EmbeddingSumRegressor(**params)):
        with pytest.raises(ValueError, match=message):
            model.fit(X, y)
