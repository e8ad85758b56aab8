"""uncertainty=True: exact Hessians, standard errors, intervals, feature tests (docs/design.md#uncertainty).

The Hessians are checked against finite differences of the objective's own gradient and against
torch autograd of an objective written here from docs/design.md#published-objective, #multiclass and
#regression; the standard errors against the classical one-way ANOVA errors, which they must equal
when the penalty vanishes; the intervals against a quadratic form written out with dense indicator
vectors. Coverage and the size of the tests are in test_uncertainty_coverage.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier, EmbeddingSumClassifierCV, EmbeddingSumRegressor
from embedsum.training._feature_tests import feature_tests
from embedsum.training._laplace import curvature_factor, data_hessian, laplace, penalty_hessian
from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective
from embedsum.training._regularizers import L2, EmbeddingSumLoss, Regularizer, StepLoss


class _Quadratic(Regularizer):
    """A custom regulariser: weight * (theta_0 - theta_1)**2 on bin rows 0 and 1 of output 0."""

    name = "custom"

    def value_gradient(self, coef, layout):
        grad = np.zeros_like(coef)
        K = layout.n_outputs
        diff = coef[0] - coef[K]
        grad[0], grad[K] = 2 * self.weight * diff, -2 * self.weight * diff
        return self.weight * diff**2, grad


def _problem(seed, K, loss, n=40, n_bins=(4, 3, 5), ordered=(True, False, True)):
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, b - 1, size=n) for b in n_bins])  # missing bins stay empty
    weights = [np.bincount(codes[:, j], minlength=b) / n for j, b in enumerate(n_bins)]
    layout = ParameterLayout(n_bins, bin_weights=weights, n_outputs=K, ordered=ordered)
    y = {"log": rng.random(n) < 0.4, "softmax": rng.integers(0, K, size=n), "squared": rng.normal(size=n)}[loss]
    sw = rng.choice([0.5, 1.0, 2.0], size=n)
    coef = rng.normal(scale=0.5, size=layout.n_params)
    regs = [StepLoss(0.3), EmbeddingSumLoss(0.2), L2(0.1)]
    return codes, np.asarray(y, dtype=np.float64 if loss != "softmax" else np.intp), sw, layout, coef, regs


def _gradient(codes, y, sw, layout, regs, loss, coef):
    with EmbeddingSumObjective(codes, y, sw, layout, regs, loss=loss) as objective:
        return objective.loss_gradient(coef)[1]


@given(seed=st.integers(0, 10**6), case=st.sampled_from([(1, "log"), (3, "softmax"), (1, "squared")]))
@settings(max_examples=12, deadline=None)
def test_penalty_and_data_hessians_equal_finite_differences_of_the_gradient(seed, case):
    K, loss = case
    codes, y, sw, layout, coef, regs = _problem(seed, K, loss)
    regs = regs + [_Quadratic(0.7)]
    counts = sw / sw.min()
    total = data_hessian(codes, layout, coef, y, counts, loss) / counts.sum() + penalty_hessian(regs, layout, coef)
    h = 1e-5
    numeric = np.column_stack([
        (_gradient(codes, y, sw, layout, regs, loss, coef + h * e) - _gradient(codes, y, sw, layout, regs, loss,
                                                                               coef - h * e)) / (2 * h)
        for e in np.eye(layout.n_params)])
    np.testing.assert_allclose(total, numeric, atol=1e-7, rtol=1e-6)
    # The penalties alone are quadratic: their Hessian is their gradient at each unit vector.
    only = penalty_hessian(regs, layout, coef)
    at_units = np.column_stack([sum(r.value_gradient(e, layout)[1] for r in regs) for e in np.eye(layout.n_params)])
    np.testing.assert_allclose(only, at_units, atol=1e-13)


@pytest.mark.parametrize("K,loss", [(1, "log"), (3, "softmax"), (1, "squared")])
def test_the_curvature_factor_gives_the_data_hessian_and_the_same_feature_tests(K, loss):
    codes, y, sw, layout, coef, regs = _problem(11, K, loss, n=12)  # fewer rows than parameters
    counts = sw / sw.min()
    factor = curvature_factor(codes, layout, coef, counts, loss)
    hessian = data_hessian(codes, layout, coef, y, counts, loss)
    np.testing.assert_allclose((factor.T @ factor).toarray(), hessian, atol=1e-13)
    fitted = laplace(codes, y, sw, layout, coef, regs, loss)
    scale = fitted.scale
    args = (coef, fitted.covariance, hessian / scale, layout, np.einsum("ij,ji->i", fitted.covariance, hessian) / scale,
            None if loss != "squared" else max(counts.sum() - fitted.edf, 1.0))
    direct, through_factor = feature_tests(*args), feature_tests(*args, factor / np.sqrt(scale))
    for key in direct:
        np.testing.assert_allclose(direct[key], through_factor[key], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(direct[key], fitted.feature_tests[key], rtol=1e-8, atol=1e-12)


def _torch_objective(torch, coef, codes, y, w, layout, weights, loss, step_w, es_w, l2_w):
    """The objective of docs/design.md on the flat vector, in torch: written from the formulas."""
    K = layout.n_outputs
    rows = layout.n_bin_rows
    table = coef[:rows * K].reshape(rows, K)
    z = coef[rows * K:].reshape(1, K) + sum(table[layout.offsets[j] + torch.as_tensor(codes[:, j])]
                                            for j in range(codes.shape[1]))
    w = torch.as_tensor(w / w.sum())
    if loss == "log":
        data = torch.sum(w * (torch.logaddexp(torch.zeros_like(z[:, 0]), z[:, 0]) - torch.as_tensor(y) * z[:, 0]))
    elif loss == "softmax":
        data = torch.sum(w * (torch.logsumexp(z, dim=1) - z[torch.arange(len(y)), torch.as_tensor(y)]))
    else:
        data = torch.sum(w * 0.5 * (z[:, 0] - torch.as_tensor(y)) ** 2)
    pairs = [(layout.offsets[j] + b, layout.offsets[j] + b + 1) for j in range(layout.n_features)
             if layout.ordered[j] for b in range(layout.n_bins[j] - 2)]
    step = sum(torch.sum((table[b] - table[a]) ** 2) for a, b in pairs) / len(pairs)
    means = [torch.as_tensor(weights[j]) @ table[layout.offsets[j]:layout.offsets[j + 1]] / weights[j].sum()
             for j in range(layout.n_features)]
    es = sum(torch.sum(m**2) for m in means) / layout.n_features
    l2 = torch.sum(table**2) / rows
    return data + step_w * step + es_w * es + l2_w * l2


@pytest.mark.parametrize("K,loss", [(1, "log"), (3, "softmax"), (1, "squared")])
def test_the_hessian_equals_torch_autograd_of_the_published_objective(K, loss):
    torch = pytest.importorskip("torch")
    codes, y, sw, layout, coef, regs = _problem(3, K, loss, n=30, n_bins=(3, 4), ordered=(True, False))
    weights = [layout.bin_weights[layout.offsets[j]:layout.offsets[j + 1]] for j in range(2)]
    reference = torch.autograd.functional.hessian(
        lambda c: _torch_objective(torch, c, codes, y, sw, layout, weights, loss, 0.3, 0.2, 0.1),
        torch.as_tensor(coef)).numpy()
    counts = sw / sw.min()
    ours = data_hessian(codes, layout, coef, y, counts, loss) / counts.sum() + penalty_hessian(regs, layout, coef)
    np.testing.assert_allclose(ours, reference, atol=1e-12, rtol=1e-10)


def test_without_penalty_the_standard_errors_are_the_one_way_anova_ones():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, size=400).astype(float)
    y = np.array([0.0, 1.0, -1.0, 2.0])[x.astype(int)] + rng.normal(size=400)
    model = EmbeddingSumRegressor(max_bins=4, binning="adaptive", step_loss_weight=0.0,
                                  embedding_sum_loss_weight=1e-9, uncertainty=True).fit(x[:, None], y)
    counts = np.bincount(x.astype(int), minlength=4)
    means = np.array([y[x == b].mean() for b in range(4)])
    sigma2 = np.sum((y - means[x.astype(int)]) ** 2) / (400 - 4)
    expected = np.sqrt(sigma2 * (1 / counts - 1 / 400))  # var(mean_b - overall mean)
    np.testing.assert_allclose(model.scale_, sigma2, rtol=1e-6)
    np.testing.assert_allclose(model.bin_scores_se_[0][:4], expected, rtol=1e-5)
    np.testing.assert_allclose(model.edf_, 4.0, atol=1e-5)
    assert model.bin_scores_se_[0][4] == np.inf  # the empty missing bin


def _dense_interval_variance(model, rows_codes, k=0, m=0):
    """g' V g with g written out densely: each feature's bin (or its training weights when unseen) + intercept."""
    K = model._n_outputs
    P = model.covariance_.shape[0] // K
    out = []
    for codes in rows_codes:
        g = np.zeros(P)
        start = 0
        for j, w in enumerate(model.bin_weights_):
            if codes[j] is None:
                g[start:start + len(w)] = w / w.sum()
            else:
                g[start + codes[j]] = 1.0
            start += len(w)
        g[-1] = 1.0
        out.append(g @ model.covariance_[k::K, m::K] @ g)
    return np.array(out)


def test_decision_interval_is_the_quadratic_form_of_the_covariance_with_unseen_categories():
    rng = np.random.default_rng(2)
    colour = rng.choice(np.array(["red", "green", "blue"], dtype=object), size=300)
    X = np.empty((300, 2), dtype=object)
    X[:, 0] = rng.normal(size=300)
    X[:, 1] = colour
    y = (X[:, 0].astype(float) + (colour == "red")) + rng.normal(size=300) > 0.5
    model = EmbeddingSumClassifier(max_bins=4, uncertainty=True, min_category_count=5).fit(X, y)
    rows = np.array([[0.1, "red"], [-2.0, "never seen"], [1.5, "blue"]], dtype=object)
    lower, upper = model.decision_interval(rows, level=0.9)
    z = model.decision_function(rows)
    codes = [[int(np.searchsorted(model.cuts_[0], float(r[0]))),
              None if r[1] not in model.categories_[1] else list(model.categories_[1]).index(r[1])] for r in rows]
    se = np.sqrt(_dense_interval_variance(model, codes))
    np.testing.assert_allclose((upper - lower) / 2, 1.6448536269514722 * se, rtol=1e-10)
    np.testing.assert_allclose((upper + lower) / 2, z, rtol=1e-12, atol=1e-12)
    p_low, p_high = model.proba_interval(rows, level=0.9)
    np.testing.assert_allclose(p_low[:, 1], 1 / (1 + np.exp(-lower)), rtol=1e-12)
    np.testing.assert_allclose(p_high[:, 0], 1 - p_low[:, 1], rtol=1e-12)


def test_a_row_in_a_bin_without_rows_gets_an_infinite_interval():
    X = np.random.default_rng(3).normal(size=(200, 2))
    model = EmbeddingSumClassifier(max_bins=4, uncertainty=True).fit(X, X[:, 0] > 0)  # no NaN in training
    lower, upper = model.decision_interval(np.array([[0.0, np.nan], [0.0, 0.0]]))
    assert lower[0] == -np.inf and upper[0] == np.inf and np.isfinite([lower[1], upper[1]]).all()
    # With l2 the empty bin has a proper prior: a finite (wide) interval.
    ridge = EmbeddingSumClassifier(max_bins=4, l2=0.01, uncertainty=True).fit(X, X[:, 0] > 0)
    lower, upper = ridge.decision_interval(np.array([[0.0, np.nan]]))
    assert np.isfinite([lower[0], upper[0]]).all() and np.isfinite(ridge.bin_scores_se_[1]).all()


def test_multiclass_standard_errors_intervals_and_tests():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(600, 3))
    y = np.argmax(np.column_stack([X[:, 0], -X[:, 0], np.zeros(600)]) + rng.gumbel(size=(600, 3)), axis=1)
    model = EmbeddingSumClassifier(max_bins=5, uncertainty=True).fit(X, y)
    assert [s.shape for s in model.bin_scores_se_] == [s.shape for s in model.bin_scores_]
    assert model.feature_tests_["p_value"][0] < 1e-6 < model.feature_tests_["p_value"][1]
    assert model.feature_tests_["df"].tolist() == [(len(w) - 2) * 2 for w in model.bin_weights_]
    lower, upper = model.decision_interval(X[:5])
    codes = [[int(np.searchsorted(model.cuts_[j], X[i, j])) for j in range(3)] for i in range(5)]
    se = np.sqrt(_dense_interval_variance(model, codes, 1, 1))
    np.testing.assert_allclose((upper - lower)[:, 1] / 2, 1.959963984540054 * se, rtol=1e-10)
    p_low, p_high = model.proba_interval(X[:5])
    proba = model.predict_proba(X[:5])
    assert np.all(p_low < proba) and np.all(proba < p_high)
    # A missing value never seen in training: the empty missing bin is not estimated.
    lower, upper = model.decision_interval(np.array([[np.nan, 0.0, 0.0]]))
    assert np.all(lower == -np.inf) and np.all(upper == np.inf)
    p_low, p_high = model.proba_interval(np.array([[np.nan, 0.0, 0.0]]))
    assert np.all(p_low == 0.0) and np.all(p_high == 1.0)


def test_sample_weights_count_as_repeated_rows():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(150, 2))
    y = X[:, 0] + rng.normal(size=150) > 0
    w = rng.integers(1, 4, size=150)
    weighted = EmbeddingSumClassifier(max_bins=5, uncertainty=True, tol=1e-10).fit(X, y, sample_weight=w)
    repeated = EmbeddingSumClassifier(max_bins=5, uncertainty=True, tol=1e-10).fit(np.repeat(X, w, axis=0),
                                                                                    np.repeat(y, w))
    for a, b in zip(weighted.bin_scores_se_, repeated.bin_scores_se_):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(weighted.feature_tests_["statistic"], repeated.feature_tests_["statistic"], rtol=1e-4)


def test_off_by_default_and_removed_on_refit():
    X = np.random.default_rng(6).normal(size=(120, 2))
    model = EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 0])
    assert not any(hasattr(model, name) for name in ("covariance_", "bin_scores_se_", "feature_tests_", "edf_"))
    with pytest.raises(ValueError, match="uncertainty=True"):
        model.decision_interval(X)
    model.set_params(uncertainty=True).fit(X, X[:, 0])
    assert model.scale_ > 0 and len(model.bin_scores_se_) == 2
    model.set_params(uncertainty=False).fit(X, X[:, 0])
    assert not hasattr(model, "covariance_") and not hasattr(model, "scale_")
    with pytest.raises(AttributeError, match="classifiers"):
        EmbeddingSumRegressor(max_bins=4, uncertainty=True).fit(X, X[:, 0]).proba_interval(X)
    with pytest.raises(ValueError, match="level"):
        EmbeddingSumRegressor(max_bins=4, uncertainty=True).fit(X, X[:, 0]).decision_interval(X, level=1.0)


def test_monotone_constraints_and_the_cv_estimator():
    X = np.random.default_rng(7).normal(size=(300, 2))
    y = X[:, 0] + np.random.default_rng(8).normal(size=300) > 0
    model = EmbeddingSumClassifier(max_bins=6, monotonic_cst=[1, 0], uncertainty=True).fit(X, y)
    assert np.isfinite(model.bin_scores_se_[0][:-1]).all()
    cv = EmbeddingSumClassifierCV(step_loss_weights=3, cv=3, max_bins=8, uncertainty=True).fit(X, y)
    assert cv.feature_tests_["p_value"][0] < 1e-6 and len(cv.bin_scores_se_[1]) == len(cv.bin_scores_[1])


def test_a_feature_determined_by_another_gets_a_conditional_covariance_not_rounding_noise():
    rng = np.random.default_rng(9)
    status = rng.choice(np.array(["single", "married", "divorced", "widowed"], dtype=object), size=600)
    sex = np.where(status == "widowed", "female", "male").astype(object)  # a coarsening of status
    X = np.column_stack([status, sex, rng.normal(size=600).astype(object)])
    y = (status == "single") ^ (rng.random(600) < 0.3)
    model = EmbeddingSumClassifier(max_bins=4, uncertainty=True).fit(X, y)
    values = np.linalg.eigvalsh(model.covariance_)
    assert values.min() > -1e-10 * values.max()  # positive semi-definite, not a near-singular inverse
    assert np.isfinite(np.concatenate([se[:-2] for se in model.bin_scores_se_[:2]])).all()
    assert model.bin_scores_se_[0][:-2].max() < 10  # the empty "other" and missing bins: not estimated
    assert model.feature_tests_["p_value"][0] < 1e-6 and model.feature_tests_["df"][0] == 3
