"""EmbeddingSumClassifierCV: regularisation chosen by k-fold cross-validation (issue 7)."""

import os
import tempfile
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import embedsum
from embedsum import ConvergenceWarning, Digitizer, EmbeddingSumClassifier, EmbeddingSumClassifierCV, ParameterLayout
from embedsum import export
from embedsum.cross_validation import held_out_log_loss, stratified_folds

SMALL = dict(step_loss_weights=4, cv=3, max_bins=8)


def _data(seed=0, n=240, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[::17, 1] = np.nan
    y = (X[:, 0] + np.nan_to_num(X[:, 1]) * 0.5 + rng.normal(size=n) > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def fitted(data):
    return EmbeddingSumClassifierCV(**SMALL).fit(*data)


def _fold_coef(X, y, sw, train, step, x0=None, max_bins=8, tol=1e-4):
    """One fold model fitted by hand: bins of all rows, scores of the fold's training rows."""
    digitizer = Digitizer(max_bins).fit(X)
    layout = ParameterLayout(digitizer.n_bins_, digitizer.bin_weights_)
    codes = digitizer.transform(X)
    est = EmbeddingSumClassifier(max_bins=max_bins, step_loss_weight=step, tol=tol)
    return est._solve(codes[train], y[train].astype(float), sw[train], layout, x0).coef, codes, layout


# ----------------------------------------------------------------------------------------------
# What it chooses and what it reports
# ----------------------------------------------------------------------------------------------


def test_chosen_weight_is_the_argmin_of_the_mean_cv_score(fitted):
    results = fitted.cv_results_
    splits = np.column_stack([results[f"split{k}_test_log_loss"] for k in range(3)])
    assert_allclose(results["mean_test_log_loss"], splits.mean(axis=1))
    assert_allclose(results["std_test_log_loss"], splits.std(axis=1))
    best = int(np.argmin(results["mean_test_log_loss"]))
    assert fitted.best_index_ == best
    assert fitted.step_loss_weight_ == results["step_loss_weight"][best]
    assert fitted.l2_ == 0.0
    assert results["rank_test_log_loss"][best] == 1
    assert sorted(results["rank_test_log_loss"].tolist()) == [1, 2, 3, 4]
    assert results["n_iter"].shape == (4, 3)
    # strong to weak, log-spaced, scaled by 1 / n_rows
    weights = results["step_loss_weight"]
    assert np.all(np.diff(weights) < 0)
    assert_allclose(weights * 240, np.geomspace(30000, 10, 4))
    assert len(np.unique(results["mean_test_log_loss"])) == 4  # the weights reach the folds


def test_explicit_grids_of_step_and_l2_weights(data):
    model = EmbeddingSumClassifierCV(step_loss_weights=[0.1, 1.0], l2s=[0.0, 0.5], cv=3, max_bins=8).fit(*data)
    results = model.cv_results_
    assert results["step_loss_weight"].tolist() == [1.0, 0.1, 1.0, 0.1]
    assert results["l2"].tolist() == [0.0, 0.0, 0.5, 0.5]
    best = int(np.argmin(results["mean_test_log_loss"]))
    assert (model.step_loss_weight_, model.l2_) == (results["step_loss_weight"][best], results["l2"][best])


def test_fitted_model_has_every_attribute_of_the_base_model(fitted, data):
    X, _ = data
    base = EmbeddingSumClassifier(max_bins=8).fit(*data)
    for name in ("classes_", "n_features_in_", "intercept_", "cuts_", "bin_scores_", "bin_weights_",
                 "feature_importances_", "n_iter_", "history_"):
        assert hasattr(fitted, name), name
    for a, b in zip(fitted.cuts_, base.cuts_):  # the same bins: fitted once on all rows
        assert_array_equal(a, b)
    assert fitted.n_iter_ >= fitted.cv_results_["n_iter"].sum()
    z = fitted.decision_function(X)
    assert_allclose(fitted.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)))


def test_deterministic_given_random_state(data):
    a = EmbeddingSumClassifierCV(**SMALL, random_state=3).fit(*data)
    b = EmbeddingSumClassifierCV(**SMALL, random_state=3).fit(*data)
    c = EmbeddingSumClassifierCV(**SMALL, random_state=4).fit(*data)
    assert_array_equal(a.cv_results_["mean_test_log_loss"], b.cv_results_["mean_test_log_loss"])
    for sa, sb in zip(a.bin_scores_, b.bin_scores_):
        assert_array_equal(sa, sb)
    assert not np.array_equal(a.cv_results_["mean_test_log_loss"], c.cv_results_["mean_test_log_loss"])


def test_stratified_folds_partition_the_rows_and_keep_class_shares():
    labels = np.array([0] * 30 + [1] * 12)
    folds = stratified_folds(labels, 3, random_state=0)
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(42))
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 42
        assert (labels[test] == 1).sum() == 4
    assert [t.tolist() for _, t in stratified_folds(labels, 3, 0)] == [t.tolist() for _, t in folds]


def test_splitter_and_iterable_cv_give_the_same_model(data):
    X, y = data
    splitter = StratifiedKFold(3, shuffle=True, random_state=0)
    a = EmbeddingSumClassifierCV(step_loss_weights=3, max_bins=8, cv=splitter).fit(X, y)
    b = EmbeddingSumClassifierCV(step_loss_weights=3, max_bins=8, cv=list(splitter.split(X, y))).fit(X, y)
    assert_array_equal(a.cv_results_["mean_test_log_loss"], b.cv_results_["mean_test_log_loss"])
    assert_array_equal(a.decision_function(X), b.decision_function(X))
    c = EmbeddingSumClassifierCV(step_loss_weights=3, max_bins=8, cv=KFold(4)).fit(X, y)
    assert "split3_test_log_loss" in c.cv_results_


# ----------------------------------------------------------------------------------------------
# Fold averaging and weights
# ----------------------------------------------------------------------------------------------


def test_fold_averaged_model_is_the_mean_of_the_fold_models_scored_with_weights(data):
    X, y = data
    sw = np.random.default_rng(1).uniform(0.2, 3.0, len(y))
    folds = stratified_folds(y, 3, random_state=0)
    model = EmbeddingSumClassifierCV(step_loss_weights=[0.05], cv=folds, average_folds=True, max_bins=8)
    model.fit(X, y, sample_weight=sw)
    coefs = []
    for k, (train, test) in enumerate(folds):
        # each fold starts from the previous fold's model at the head of the path
        coef, codes, layout = _fold_coef(X, y, sw, train, 0.05, x0=coefs[-1] if coefs else None)
        coefs.append(coef)
        z = coef[codes[test].astype(np.intp) + layout.offsets[:-1]].sum(axis=1) + coef[-1]
        weighted = held_out_log_loss(y[test], z, sw[test])
        assert model.cv_results_[f"split{k}_test_log_loss"][0] == pytest.approx(weighted, rel=1e-12)
        assert weighted != pytest.approx(held_out_log_loss(y[test], z, np.ones(len(test))), rel=1e-6)
    scores, intercept = layout.split(np.mean(coefs, axis=0))
    assert model.intercept_ == pytest.approx(intercept, rel=1e-12)
    for a, b in zip(model.bin_scores_, scores):
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # the mean of additive models is additive: its decision is the mean of the fold decisions
    assert_allclose(model.decision_function(X),
                    np.mean([_decision_of(c, X, layout) for c in coefs], axis=0), rtol=1e-10, atol=1e-12)


def _decision_of(coef, X, layout):
    codes = Digitizer(8).fit(X).transform(X).astype(np.intp)
    return coef[codes + layout.offsets[:-1]].sum(axis=1) + coef[-1]


def test_refit_starts_from_the_fold_mean_and_refits_on_all_rows(data):
    X, y = data
    averaged = EmbeddingSumClassifierCV(**SMALL, average_folds=True).fit(X, y)
    refitted = EmbeddingSumClassifierCV(**SMALL, average_folds=False).fit(X, y)
    assert averaged.step_loss_weight_ == refitted.step_loss_weight_
    assert len(averaged.history_["loss"]) == 1
    assert len(refitted.history_["loss"]) >= 1
    # the refit minimises the full-data objective, so it reaches a lower one than the mean
    assert refitted.history_["loss"][-1] <= averaged.history_["loss"][0]


def test_zero_weight_rows_do_not_count_in_fitting_or_scoring(data):
    X, y = data
    sw = np.ones(len(y))
    sw[::5] = 0.0
    y_flipped = y.copy()
    y_flipped[::5] = 1 - y_flipped[::5]  # labels of zero-weight rows must not matter
    folds = stratified_folds(y, 3, random_state=0)
    a = EmbeddingSumClassifierCV(step_loss_weights=3, max_bins=8, cv=folds).fit(X, y, sample_weight=sw)
    b = EmbeddingSumClassifierCV(step_loss_weights=3, max_bins=8, cv=folds).fit(X, y_flipped, sample_weight=sw)
    assert_allclose(a.cv_results_["mean_test_log_loss"], b.cv_results_["mean_test_log_loss"], rtol=1e-12)
    assert_array_equal(a.decision_function(X), b.decision_function(X))
    c = EmbeddingSumClassifierCV(step_loss_weights=3, max_bins=8, cv=folds).fit(X, y_flipped)
    assert not np.allclose(a.cv_results_["mean_test_log_loss"], c.cv_results_["mean_test_log_loss"])


def test_scaling_all_weights_changes_nothing_but_the_weight_scale(data):
    X, y = data
    a = EmbeddingSumClassifierCV(**SMALL, tol=1e-9).fit(X, y)
    b = EmbeddingSumClassifierCV(**SMALL, tol=1e-9).fit(X, y, sample_weight=np.full(len(y), 3.0))
    assert b.step_loss_weight_ == pytest.approx(3 * a.step_loss_weight_)
    assert_allclose(a.cv_results_["mean_test_log_loss"], b.cv_results_["mean_test_log_loss"], rtol=1e-5)
    assert_allclose(a.decision_function(X), b.decision_function(X), rtol=1e-4, atol=1e-5)


def test_convergence_warning_names_the_chosen_weights(data):
    with pytest.warns(ConvergenceWarning, match=r"chosen weights \(step_loss_weight="):
        EmbeddingSumClassifierCV(**SMALL, max_iter=1).fit(*data)


# ----------------------------------------------------------------------------------------------
# scikit-learn meta-estimators
# ----------------------------------------------------------------------------------------------


def test_clone_pipeline_and_grid_search(data):
    X, y = data
    model = EmbeddingSumClassifierCV(**SMALL)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy is not model
    pipe = make_pipeline(StandardScaler(), EmbeddingSumClassifierCV(**SMALL)).fit(X, y)
    assert pipe.score(X, y) > 0.7
    search = GridSearchCV(EmbeddingSumClassifierCV(step_loss_weights=3, cv=3), {"max_bins": [4, 8]},
                          cv=StratifiedKFold(2, shuffle=True, random_state=0), scoring="neg_log_loss").fit(X, y)
    assert search.best_params_["max_bins"] in (4, 8)
    assert hasattr(search.best_estimator_, "step_loss_weight_")
    assert not hasattr(model, "cv_results_")


# ----------------------------------------------------------------------------------------------
# An ordinary fitted model: save, load, export, explain
# ----------------------------------------------------------------------------------------------


def test_saves_as_an_ordinary_model_that_predicts_bit_identically(fitted, data):
    X, _ = data
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        fitted.save(path)
        loaded = embedsum.load(path)
    assert type(loaded) is EmbeddingSumClassifier
    assert loaded.step_loss_weight == fitted.step_loss_weight_
    assert loaded.max_bins == 8 and loaded.tol == fitted.tol
    assert_array_equal(loaded.decision_function(X), fitted.decision_function(X))
    assert_array_equal(loaded.feature_importances_, fitted.feature_importances_)
    assert embedsum.from_json(fitted.to_json()).n_iter_ == fitted.n_iter_


def test_export_explain_and_describe_work(fitted, data):
    X, _ = data
    scorer = {}
    exec(export.to_python(fitted), scorer)
    z = fitted.decision_function(X[:5])
    assert [scorer["decision_function"](row.tolist()) for row in X[:5]] == z.tolist()
    assert "static const double" in export.to_c(fitted, prefix="cv")
    contributions = fitted.contributions(X[:5])
    assert_allclose(fitted.intercept_ + contributions.sum(axis=1), z, rtol=1e-12)
    assert fitted.describe(top=1).startswith("EmbeddingSumClassifierCV")
    assert len(fitted.shape_functions()) == 3


def test_import_does_not_need_scipy_for_the_cv_module():
    import subprocess
    import sys

    code = "import sys, embedsum; print('scipy' in sys.modules, embedsum.EmbeddingSumClassifierCV.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(embedsum.__file__)))
    assert out.stdout.split() == ["False", "EmbeddingSumClassifierCV"]


def test_failed_fit_leaves_nothing_half_fitted(data):
    X, y = data
    model = EmbeddingSumClassifierCV(**SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="cv=3 stratified folds need at least 3 rows of each class"):
            model.fit(X[:12], np.r_[np.zeros(10, int), np.ones(2, int)])
    assert not hasattr(model, "bin_scores_") and not hasattr(model, "cv_results_")


def test_plots_and_attributions_work(fitted, data, matplotlib):
    import matplotlib.pyplot as plt

    from embedsum import plot
    from embedsum.explain import attributions

    X, _ = data
    figure = plot.plot_all(fitted, top=2)
    plot.history_plot(fitted)
    plot.waterfall_plot(fitted, X[0])
    plt.close("all")
    assert figure is not None
    phi = attributions(fitted, X[:4], baseline="expected")
    assert phi.shape == (4, 3) and np.all(np.isfinite(phi))


def test_blas_thread_limit_is_set_once_around_the_path_and_once_for_the_refit(data, monkeypatch):
    import contextlib

    import embedsum.solver

    entries = []

    @contextlib.contextmanager
    def counting():
        entries.append(1)
        yield

    monkeypatch.setattr(embedsum.solver, "one_blas_thread", counting)
    model = EmbeddingSumClassifierCV(**SMALL).fit(*data)
    assert len(entries) == 2  # not once per solve: each costs ~1.5 ms with threadpoolctl
    assert model.cv_results_["n_iter"].size == 4 * 3
    entries.clear()
    EmbeddingSumClassifier(max_bins=8).fit(*data)
    assert len(entries) == 1  # a plain fit still limits BLAS itself


def test_every_scoring_path_gives_the_reference_bits(fitted):
    # The CV model scores through the same fast paths as the base class (design.md section 3).
    from embedsum.scoring import decision_values_reference

    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, fitted.n_features_in_)) * 2
    X[rng.random(X.shape) < 0.05] = np.nan
    X[::97, 0] = np.inf
    X[1::97, 2] = -np.inf
    X[2::13, 1] = fitted.cuts_[1][len(fitted.cuts_[1]) // 2]  # values on a cut
    reference = decision_values_reference(X, fitted.cuts_, fitted.bin_scores_, fitted.intercept_)
    bits = reference.view(np.uint64)
    assert np.array_equal(fitted.decision_function(X).view(np.uint64), bits)  # chunked kernel
    assert np.array_equal(fitted.decision_function(X[:200]).view(np.uint64), bits[:200])  # plain loop
    for i in range(0, 3000, 311):  # few-rows path
        assert fitted.decision_function(X[i:i + 1]).view(np.uint64)[0] == bits[i]
