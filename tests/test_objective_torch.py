"""embedsum's objective equals a torch implementation of the PUBLISHED objective (docs/design.md#published-objective).

The torch code below is written from docs/design.md#published-objective alone; it does not call embedsum's
objective or regularisers. It works on per-feature tensors (interval bins, then the
missing-value bin last) and a separate bias, and its gradient comes from autograd.

    z_i            = bias + sum_j theta_j[codes[i, j]]
    classification = sum_i( w_i * (softplus(z_i) - y_i z_i) ) / sum_i( w_i )   (a weighted mean:
                     docs/design.md#sample-weights divides by sum(w) where the published code divides by n;
                     the same for unit weights)
    step           = mean over all neighbouring INTERVAL-bin pairs of all features of
                     (theta_j[k+1] - theta_j[k])^2     (the missing bin takes no part)
    embedding_sum  = mean_j( (sum_k v_jk theta_jk / sum_k v_jk)^2 )       (v includes the missing bin)
    l2             = mean of theta^2 over all bin values (the intercept excluded)
    total          = classification + step_w * step + es_w * embedding_sum + l2_w * l2
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import embedsum
from embedsum.binning._digitizer import bin_codes
from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective
from embedsum.training._regularizers import L2, EmbeddingSumLoss, StepLoss

# --------------------------------------------------------------------------------------
# The published objective in torch (float64).
# --------------------------------------------------------------------------------------


def torch_published_objective(torch, thetas, bias, codes, y, w, v, step_w, es_w, l2_w):
    """Return (total, components) as 0-d float64 tensors, differentiable w.r.t. thetas and bias.

    thetas: list of 1-D tensors (interval bins then the missing bin); bias: 0-d tensor;
    codes: (n, d) int array; y, w: (n,) arrays; v: list of 1-D arrays (bin weights).
    """
    f64 = torch.float64
    codes = torch.as_tensor(np.asarray(codes, dtype=np.int64))
    y = torch.as_tensor(np.asarray(y, dtype=np.float64))
    w = torch.as_tensor(np.asarray(w, dtype=np.float64))
    # The weighted mean with weights divided by their sum first: the same value, and no product of a
    # subnormal weight and a loss rounds away (w = [5e-324] would give w * log(3) = 5e-324, a mean of 1.0).
    w = w / torch.sum(w)
    n, d = codes.shape

    z = bias + torch.zeros(n, dtype=f64)
    for j in range(d):
        z = z + thetas[j][codes[:, j]]
    # softplus(z) = log(1 + e^z) = logaddexp(0, z): exact and stable for any z, with
    # derivative sigmoid(z) (torch's F.softplus switches to z above a threshold).
    softplus = torch.logaddexp(torch.zeros_like(z), z)
    classification = torch.sum(w * (softplus - y * z))

    # Interval bins of feature j are theta_j[:-1]; neighbouring pairs among them.
    diffs = torch.cat([t[:-1][1:] - t[:-1][:-1] for t in thetas])
    # No pair at all (every feature has one interval bin): the mean is empty; 0 by convention.
    step = torch.mean(diffs**2) if diffs.numel() else torch.zeros((), dtype=f64)

    feature_means = []
    for t, vj in zip(thetas, v):
        vj = torch.as_tensor(np.asarray(vj, dtype=np.float64))
        feature_means.append(torch.sum(vj * t) / torch.sum(vj))
    embedding_sum = torch.mean(torch.stack(feature_means) ** 2)

    l2 = torch.mean(torch.cat(thetas) ** 2)

    components = {
        "classification": classification,
        "step": step_w * step,
        "embedding_sum": es_w * embedding_sum,
        "l2": l2_w * l2,
    }
    total = classification + step_w * step + es_w * embedding_sum + l2_w * l2
    return total, components


def torch_value_and_gradient(torch, scores, intercept, codes, y, w, v, step_w, es_w, l2_w):
    """Torch value, components and autograd gradient, the gradient flattened in the
    documented layout (feature 0's bins, ..., feature d-1's bins, then the intercept)."""
    thetas = [torch.tensor(np.asarray(s, dtype=np.float64), requires_grad=True) for s in scores]
    bias = torch.tensor(float(intercept), dtype=torch.float64, requires_grad=True)
    total, components = torch_published_objective(torch, thetas, bias, codes, y, w, v, step_w, es_w, l2_w)
    total.backward()
    grad = np.concatenate([t.grad.numpy() for t in thetas] + [bias.grad.numpy().reshape(1)])
    return float(total.detach()), {k: float(c.detach()) for k, c in components.items()}, grad


def embedsum_objective(codes, y, w, n_bins, v, step_w, es_w, l2_w, max_cells=None, **kwargs):
    layout = ParameterLayout(n_bins, bin_weights=v)
    regs = [StepLoss(step_w), EmbeddingSumLoss(es_w), L2(l2_w)]
    sw = np.ones(len(y)) if w is None else w
    return EmbeddingSumObjective(codes, y, sw, layout, regs, max_cells=max_cells, **kwargs)


# --------------------------------------------------------------------------------------
# Hypothesis strategies.
# --------------------------------------------------------------------------------------

param_values = st.one_of(
    st.floats(-30.0, 30.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([-30.0, 30.0, 0.0, -29.5, 25.0]),
)
sample_weight_values = st.one_of(
    st.sampled_from([0.0, 1.0, 1e6, 0.5]),
    st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False),
)
bin_weight_values = st.one_of(st.just(0.0), st.floats(1e-4, 1.0), st.sampled_from([1.0, 0.5]))
reg_weights = st.one_of(st.just(0.0), st.floats(1e-3, 10.0), st.sampled_from([0.01, 1.0]))


@st.composite
def problems(draw, max_features=5):
    d = draw(st.integers(1, max_features))
    n_bins = draw(st.lists(st.integers(2, 8), min_size=d, max_size=d))
    n = draw(st.integers(1, 60))
    codes = np.column_stack(
        [draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1))) for k in n_bins]
    )
    y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
    w_kind = draw(st.sampled_from(["none", "ones", "drawn"]))
    if w_kind == "none":
        w = None
    elif w_kind == "ones":
        w = np.ones(n)
    else:
        w = draw(hnp.arrays(np.float64, n, elements=sample_weight_values))
        if not np.any(w > 0):  # a weighted mean needs some weight: all-zero weights are refused
            w[draw(st.integers(0, n - 1))] = draw(st.floats(1e-3, 1e6))
    v = []
    for k in n_bins:
        vj = draw(hnp.arrays(np.float64, k, elements=bin_weight_values))
        if vj.sum() == 0:  # a feature needs some training weight for its mean to exist
            vj[draw(st.integers(0, k - 1))] = draw(st.floats(1e-3, 1.0))
        v.append(vj)
    scores = [draw(hnp.arrays(np.float64, k, elements=param_values)) for k in n_bins]
    intercept = draw(param_values)
    step_w, es_w, l2_w = draw(reg_weights), draw(reg_weights), draw(reg_weights)
    return dict(codes=codes, y=y, w=w, n_bins=n_bins, v=v, scores=scores, intercept=intercept,
                step_w=step_w, es_w=es_w, l2_w=l2_w)


def tolerances(p):
    """Absolute floors for comparing two float64 evaluations of the same sums.

    Both sides round differently (summation order, cancellation in softplus(z) - y z when
    |z| is large and in sigmoid(z) - y); rounding error is a few ulps of the magnitudes of
    the summed terms, so the floors are 1e-12 times those magnitudes. A real bug (a wrong
    term, weight or normalisation) is off by far more.
    """
    theta = np.concatenate(p["scores"])
    theta_max = max(np.abs(theta).max(), abs(p["intercept"]))
    z_max = abs(p["intercept"]) + sum(np.abs(s).max() for s in p["scores"])
    reg = p["step_w"] + p["es_w"] + p["l2_w"]
    # The data term is a weighted mean: its row weights sum to 1.
    loss_scale = 2.0 + 2 * z_max + 4 * reg * theta_max**2
    grad_scale = 3.0 + 4 * reg * theta_max
    return 1e-12 * loss_scale, 1e-12 * grad_scale


def flat(p):
    return np.concatenate(p["scores"] + [np.array([p["intercept"]])])


def torch_of(torch, p):
    w = np.ones(len(p["y"])) if p["w"] is None else p["w"]
    return torch_value_and_gradient(torch, p["scores"], p["intercept"], p["codes"], p["y"], w, p["v"],
                                    p["step_w"], p["es_w"], p["l2_w"])


# --------------------------------------------------------------------------------------
# Tests.
# --------------------------------------------------------------------------------------


@given(problems())
@settings(max_examples=50)
def test_value_and_gradient_equal_torch_autograd_of_the_published_objective(torch, p):
    objective = embedsum_objective(p["codes"], p["y"], p["w"], p["n_bins"], p["v"],
                                   p["step_w"], p["es_w"], p["l2_w"])
    loss, grad = objective.loss_gradient(flat(p))
    t_loss, _, t_grad = torch_of(torch, p)
    loss_atol, grad_atol = tolerances(p)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert grad.shape == t_grad.shape
    np.testing.assert_allclose(loss, t_loss, rtol=1e-9, atol=loss_atol)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-9, atol=grad_atol)


@given(problems())
@settings(max_examples=60)
def test_components_equal_torch_terms(torch, p):
    objective = embedsum_objective(p["codes"], p["y"], p["w"], p["n_bins"], p["v"],
                                   p["step_w"], p["es_w"], p["l2_w"])
    loss, _ = objective.loss_gradient(flat(p))
    _, t_components, _ = torch_of(torch, p)
    loss_atol, _ = tolerances(p)
    components = objective.last_components
    assert set(components) == set(t_components)
    for name, value in t_components.items():
        np.testing.assert_allclose(components[name], value, rtol=1e-9, atol=loss_atol, err_msg=name)
    np.testing.assert_allclose(sum(components.values()), loss, rtol=1e-12, atol=loss_atol)


@given(problems(), st.sampled_from([1, 4, 64, 2**14]))
@settings(max_examples=60)
def test_every_feature_grouping_equals_torch(torch, p, max_cells):
    objective = embedsum_objective(p["codes"], p["y"], p["w"], p["n_bins"], p["v"],
                                   p["step_w"], p["es_w"], p["l2_w"], max_cells=max_cells)
    loss, grad = objective.loss_gradient(flat(p))
    t_loss, t_components, t_grad = torch_of(torch, p)
    loss_atol, grad_atol = tolerances(p)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-9, atol=loss_atol)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-9, atol=grad_atol)
    np.testing.assert_allclose(objective.last_components["classification"], t_components["classification"],
                               rtol=1e-9, atol=loss_atol)


@given(problems(), st.sampled_from([1, 2, 5, 32]), st.sampled_from([1, 2]), st.sampled_from([1, 64, 2**14]))
@settings(max_examples=40)
def test_chunked_and_threaded_evaluation_equals_torch(torch, p, chunk_rows, n_threads, max_cells):
    # The path of many rows (chunks of rows in blocks, on threads), forced on small problems.
    objective = embedsum_objective(p["codes"], p["y"], p["w"], p["n_bins"], p["v"], p["step_w"], p["es_w"],
                                   p["l2_w"], max_cells=max_cells, chunk_rows=chunk_rows, n_threads=n_threads)
    assert not objective._engine._one_call
    loss, grad = objective.loss_gradient(flat(p))
    t_loss, t_components, t_grad = torch_of(torch, p)
    loss_atol, grad_atol = tolerances(p)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-9, atol=loss_atol)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-9, atol=grad_atol)
    for name, value in t_components.items():
        np.testing.assert_allclose(objective.last_components[name], value, rtol=1e-9, atol=loss_atol, err_msg=name)


def test_grouping_strategy_draws_really_fuse_features():
    # Guard for the test above: with 5 features of 8 bins, max_cells from {1, 4, 64, 2**14}
    # gives 5, 5, 3 and 2 groups, so single-feature and multi-feature paths are both used.
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 8, size=(10, 5))
    counts = []
    for max_cells in (1, 4, 64, 2**14):
        objective = embedsum_objective(codes, np.zeros(10), None, [8] * 5, [np.ones(8)] * 5,
                                       0.0, 0.0, 0.0, max_cells=max_cells)
        counts.append(len(objective._engine._groups))
    assert counts == [5, 5, 3, 2]


def _fit_data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    X[:, 2] = np.round(X[:, 2] * 2)  # ties
    X[rng.random(n) < 0.15, 1] = np.nan  # missing values use the missing bin
    logit = 1.5 * np.sin(2 * X[:, 0]) + np.where(np.isnan(X[:, 1]), 1.0, -0.5 * np.nan_to_num(X[:, 1]))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    sample_weight = rng.uniform(0.2, 3.0, size=n)
    sample_weight[:20] = 0.0
    return X, y, sample_weight


@pytest.mark.parametrize(
    "params, weighted",
    [
        (dict(max_bins=8, step_loss_weight=0.01, embedding_sum_loss_weight=0.01, l2=0.0), False),
        (dict(max_bins=6, step_loss_weight=0.2, embedding_sum_loss_weight=0.5, l2=0.05), True),
    ],
    ids=["defaults-like", "weighted-l2"],
)
def test_fitted_model_is_a_stationary_point_of_the_published_objective(torch, params, weighted):
    X, y, sample_weight = _fit_data()
    sw = sample_weight if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", embedsum.ConvergenceWarning)
        model = embedsum.EmbeddingSumClassifier(**params).fit(X, y, sample_weight=sw)

    codes = np.column_stack([bin_codes(X[:, j], cuts) for j, cuts in enumerate(model.cuts_)])
    assert all(len(s) == len(c) + 2 for s, c in zip(model.bin_scores_, model.cuts_))
    assert np.any(codes[:, 1] == len(model.cuts_[1]) + 1)  # the missing bin is in use
    w = np.ones(len(y)) if sw is None else sw
    y01 = (y == model.classes_[1]).astype(np.float64)

    thetas = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in model.bin_scores_]
    bias = torch.tensor(model.intercept_, dtype=torch.float64, requires_grad=True)
    total, _ = torch_published_objective(
        torch, thetas, bias, codes, y01, w, model.bin_weights_,
        params["step_loss_weight"], params["embedding_sum_loss_weight"], params["l2"],
    )
    total.backward()
    grad = np.concatenate([t.grad.numpy() for t in thetas] + [bias.grad.numpy().reshape(1)])
    assert np.abs(grad).max() < 1e-5, np.abs(grad).max()

    # The parameters are not trivially at a flat spot: the model learned something.
    assert np.abs(np.concatenate(model.bin_scores_)).max() > 0.1
    # And the torch decision values are the model's own.
    z = model.intercept_ + sum(s[codes[:, j]] for j, s in enumerate(model.bin_scores_))
    np.testing.assert_allclose(model.decision_function(X), z, rtol=1e-12, atol=1e-12)
    # The history's final loss is the published objective at the fitted parameters.
    np.testing.assert_allclose(model.history_["loss"][-1], float(total.detach()), rtol=1e-10)
