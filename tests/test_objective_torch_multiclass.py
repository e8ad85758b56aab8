"""The softmax (multiclass) and squared (regression) objectives equal a torch reference.

The torch code below is written from docs/design.md#multiclass, #regression and
#published-objective alone; it calls neither embedsum's objective nor its regularisers. It works on per-feature
tables of shape (n_bins_j, K) (interval or category bins, then the missing bin last) and a
separate intercept of shape (K,); its gradient comes from autograd, in float64.

    z_ik           = intercept_k + sum_j table_j[codes[i, j], k]
    log            = sum_i w_i (softplus(z_i) - y_i z_i) / sum_i w_i              (K = 1)
    softmax        = sum_i w_i (logsumexp_k z_ik - z_i,y_i) / sum_i w_i           (K >= 3)
    squared        = sum_i w_i 0.5 (z_i - y_i)^2 / sum_i w_i                      (K = 1)
                     (the weighted mean: docs/design.md#sample-weights divides by sum(w), not by n; the
                     same for unit weights)
    step           = sum_k sum over neighbouring interval-bin pairs of ORDERED features of
                     (table_j[b+1, k] - table_j[b, k])^2, divided by the number of pairs
                     (pairs counted once, not once per class; the missing bin takes no part)
    embedding_sum  = sum_k mean_j (sum_b v_jb table_j[b, k] / sum_b v_jb)^2
    l2             = sum of table^2 over all bins and classes / n_bin_rows (intercepts excluded)
    total          = data + step_w * step + es_w * embedding_sum + l2_w * l2

The flat layout (docs/design.md#parameter-layout): coef[:n_bin_rows*K].reshape(n_bin_rows, K) is the table (row = bin,
column = class), coef[-K:] the K intercepts; K = 1 is the old layout.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective
from embedsum.training._regularizers import L2, EmbeddingSumLoss, StepLoss

# --------------------------------------------------------------------------------------
# The reference objective in torch (float64).
# --------------------------------------------------------------------------------------


def torch_objective(torch, tables, intercept, codes, y, w, v, ordered, loss, step_w, es_w, l2_w):
    """Return (total, components) as 0-d float64 tensors, differentiable w.r.t. tables and intercept.

    tables: list of (n_bins_j, K) tensors; intercept: (K,) tensor; codes: (n, d) ints;
    y, w: (n,) arrays; v: list of 1-D bin-weight arrays; ordered: list of bools.
    """
    f64 = torch.float64
    codes = torch.as_tensor(np.asarray(codes, dtype=np.int64))
    w = torch.as_tensor(np.asarray(w, dtype=np.float64))
    # The weighted mean with weights divided by their sum first: the same value, and no product of a
    # subnormal weight and a loss rounds away (w = [5e-324] would give w * log(3) = 5e-324, a mean of 1.0).
    w = w / torch.sum(w)
    n, d = codes.shape
    K = intercept.shape[0]

    z = intercept.unsqueeze(0).expand(n, K)
    for j in range(d):
        z = z + tables[j][codes[:, j]]
    if loss == "log":
        yt = torch.as_tensor(np.asarray(y, dtype=np.float64))
        z1 = z[:, 0]
        data = torch.sum(w * (torch.logaddexp(torch.zeros_like(z1), z1) - yt * z1))
    elif loss == "softmax":
        yk = torch.as_tensor(np.asarray(y).astype(np.int64))
        data = torch.sum(w * (torch.logsumexp(z, dim=1) - z.gather(1, yk[:, None])[:, 0]))
    elif loss == "squared":
        yt = torch.as_tensor(np.asarray(y, dtype=np.float64))
        data = torch.sum(w * 0.5 * (z[:, 0] - yt) ** 2)
    else:  # pragma: no cover
        raise ValueError(loss)

    # Interval bins are table[:-1]; their neighbouring pairs, inside ordered features only.
    diffs = [t[:-1][1:] - t[:-1][:-1] for t, o in zip(tables, ordered) if o]
    n_pairs = sum(int(t.shape[0]) - 2 for t, o in zip(tables, ordered) if o)
    if n_pairs:
        step = sum(torch.sum(dj**2) for dj in diffs) / n_pairs
    else:  # no pair at all: 0 by convention
        step = torch.zeros((), dtype=f64)

    means = []
    for t, vj in zip(tables, v):
        vj = torch.as_tensor(np.asarray(vj, dtype=np.float64))
        means.append(torch.sum(vj[:, None] * t, dim=0) / torch.sum(vj))  # (K,)
    embedding_sum = torch.sum(torch.mean(torch.stack(means) ** 2, dim=0))

    all_bins = torch.cat(tables)  # (n_bin_rows, K)
    l2 = torch.sum(all_bins**2) / all_bins.shape[0]

    components = {
        "squared_error" if loss == "squared" else "classification": data,
        "step": step_w * step,
        "embedding_sum": es_w * embedding_sum,
        "l2": l2_w * l2,
    }
    total = data + step_w * step + es_w * embedding_sum + l2_w * l2
    return total, components


def flat_of(tables, intercept):
    """The flat layout of docs/design.md#parameter-layout, built here without embedsum: table rows (bin-major), then intercepts."""
    return np.concatenate([np.concatenate(tables, axis=0).ravel(), np.asarray(intercept, dtype=np.float64)])


def torch_value_and_gradient(torch, p, component=None):
    """Torch value, components and the autograd gradient flattened in that layout.

    With ``component`` given, the value and gradient are those of that one component.
    """
    tables = [torch.tensor(t, dtype=torch.float64, requires_grad=True) for t in p["tables"]]
    intercept = torch.tensor(p["intercept"], dtype=torch.float64, requires_grad=True)
    total, components = torch_objective(torch, tables, intercept, p["codes"], p["y"], weights(p), p["v"],
                                        ordered_mask(p), p["loss"], p["step_w"], p["es_w"], p["l2_w"])
    target = total if component is None else components[component]
    if target.requires_grad:
        target.backward()
    grads = [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in tables]
    g_int = np.zeros(p["intercept"].shape) if intercept.grad is None else intercept.grad.numpy()
    grad = flat_of(grads, g_int)
    return float(target.detach()), {k: float(c.detach()) for k, c in components.items()}, grad


# --------------------------------------------------------------------------------------
# embedsum side.
# --------------------------------------------------------------------------------------


def weights(p):
    return np.ones(len(p["y"])) if p["w"] is None else p["w"]


def ordered_mask(p):
    return [True] * len(p["n_bins"]) if p["ordered"] is None else list(p["ordered"])


def make_layout(p):
    ordered = None if p["ordered"] is None else np.asarray(p["ordered"], dtype=bool)
    return ParameterLayout(p["n_bins"], bin_weights=p["v"], n_outputs=p["K"], ordered=ordered)


def make_objective(p, **kwargs):
    regs = [StepLoss(p["step_w"]), EmbeddingSumLoss(p["es_w"]), L2(p["l2_w"])]
    return EmbeddingSumObjective(p["codes"], p["y"], weights(p), make_layout(p), regs, loss=p["loss"], **kwargs)


# --------------------------------------------------------------------------------------
# Hypothesis strategies.
# --------------------------------------------------------------------------------------

param_values = st.one_of(
    st.floats(-30.0, 30.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([-30.0, 30.0, 0.0, -29.5, 25.0]),
)
small_param_values = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
sample_weight_values = st.one_of(
    st.sampled_from([0.0, 1.0, 1e6, 0.5]),
    st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False),
)
bin_weight_values = st.one_of(st.just(0.0), st.floats(1e-4, 1.0), st.sampled_from([1.0, 0.5]))
reg_weights = st.one_of(st.just(0.0), st.floats(1e-3, 10.0), st.sampled_from([0.01, 1.0]))
target_values = st.one_of(
    st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.0, -1.0, 1e-300, 42.5]),
)


@st.composite
def problems(draw, loss, max_features=4, max_rows=40, small=False):
    """A random problem: codes, targets, weights, bins, ordered mask, parameters, regulariser weights."""
    K = draw(st.integers(3, 5)) if loss == "softmax" else 1
    d = draw(st.integers(1, max_features))
    n_bins = draw(st.lists(st.integers(2, 7), min_size=d, max_size=d))
    n = draw(st.integers(1, max_rows))
    codes = np.column_stack([draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1))) for k in n_bins])
    if loss == "log":
        y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
    elif loss == "softmax":
        y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, K - 1)))
        y = y.astype(draw(st.sampled_from([np.int64, np.float64, np.intp])))
    else:
        elements = st.floats(-5.0, 5.0) if small else target_values
        y = draw(hnp.arrays(np.float64, n, elements=elements))
    w_kind = draw(st.sampled_from(["none", "ones", "drawn"]))
    if w_kind == "none":
        w = None
    elif w_kind == "ones":
        w = np.ones(n)
    else:
        elements = st.floats(0.0, 5.0) if small else sample_weight_values
        w = draw(hnp.arrays(np.float64, n, elements=elements))
        if not np.any(w > 0):  # a weighted mean needs some weight: all-zero weights are refused
            w[draw(st.integers(0, n - 1))] = draw(st.floats(1e-3, 5.0))
    # None: every feature ordered (the default); else a mask with unordered (categorical) features.
    ordered = draw(st.one_of(st.none(), st.lists(st.booleans(), min_size=d, max_size=d)))
    v = []
    for k in n_bins:
        vj = draw(hnp.arrays(np.float64, k, elements=bin_weight_values))
        if vj.sum() == 0:  # a feature needs some training weight for its mean to exist
            vj[draw(st.integers(0, k - 1))] = draw(st.floats(1e-3, 1.0))
        v.append(vj)
    values = small_param_values if small else param_values
    tables = [draw(hnp.arrays(np.float64, (k, K), elements=values)) for k in n_bins]
    intercept = draw(hnp.arrays(np.float64, K, elements=values))
    step_w, es_w, l2_w = draw(reg_weights), draw(reg_weights), draw(reg_weights)
    return dict(loss=loss, K=K, codes=codes, y=y, w=w, n_bins=n_bins, ordered=ordered, v=v, tables=tables,
                intercept=intercept, step_w=step_w, es_w=es_w, l2_w=l2_w)


any_problem = st.sampled_from(["softmax", "squared", "log"]).flatmap(problems)
new_loss_problem = st.sampled_from(["softmax", "squared"]).flatmap(problems)


def tolerances(p):
    """Absolute floors for comparing two float64 evaluations of the same sums.

    Rounding differs between the two sides (summation order, cancellation in
    logsumexp(z) - z_y or softplus(z) - y z at large |z|, in (z - y)^2, and in p - onehot);
    it is a few ulps of the magnitudes of the summed terms, so the floors are 1e-12 times
    those magnitudes. A real bug (a wrong term, class, weight or normalisation) is off by far more.
    """
    w_mean = 1.0  # the data term is a weighted mean: its row weights sum to 1
    K = p["K"]
    theta_max = max(max(np.abs(t).max() for t in p["tables"]), np.abs(p["intercept"]).max())
    z_max = np.abs(p["intercept"]).max() + sum(np.abs(t).max() for t in p["tables"])
    residual = z_max + (np.abs(p["y"]).max() if p["loss"] == "squared" else 1.0)
    reg = p["step_w"] + p["es_w"] + p["l2_w"]
    loss_scale = 1.0 + w_mean * (1.0 + 2 * z_max + residual**2) + 4 * K * reg * theta_max**2
    grad_scale = 1.0 + 2 * w_mean * residual + 8 * reg * theta_max
    return 1e-12 * loss_scale, 1e-12 * grad_scale


# --------------------------------------------------------------------------------------
# Tests.
# --------------------------------------------------------------------------------------


@given(new_loss_problem)
@settings(max_examples=30)
def test_value_and_gradient_equal_torch_autograd(torch, p):
    objective = make_objective(p)
    coef = flat_of(p["tables"], p["intercept"])
    loss, grad = objective.loss_gradient(coef.copy())
    t_loss, _, t_grad = torch_value_and_gradient(torch, p)
    loss_atol, grad_atol = tolerances(p)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert np.shape(grad) == t_grad.shape == (sum(p["n_bins"]) * p["K"] + p["K"],)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-10, atol=loss_atol)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=grad_atol)


@given(any_problem)
@settings(max_examples=30)
def test_components_equal_torch_terms(torch, p):
    objective = make_objective(p)
    loss, _ = objective.loss_gradient(flat_of(p["tables"], p["intercept"]))
    _, t_components, _ = torch_value_and_gradient(torch, p)
    loss_atol, _ = tolerances(p)
    components = objective.last_components
    assert set(components) == set(t_components)
    for name, value in t_components.items():
        np.testing.assert_allclose(components[name], value, rtol=1e-10, atol=loss_atol, err_msg=name)
    np.testing.assert_allclose(sum(components.values()), loss, rtol=1e-12, atol=loss_atol)


@given(any_problem, st.sampled_from(["step", "embedding_sum", "l2"]))
@settings(max_examples=30)
def test_each_regularizer_equals_its_torch_term(torch, p, name):
    # Each regulariser alone, on the K-output layout: value and gradient (intercepts untouched).
    reg = {"step": StepLoss(p["step_w"]), "embedding_sum": EmbeddingSumLoss(p["es_w"]), "l2": L2(p["l2_w"])}[name]
    assert reg.name == name
    value, grad = reg.value_gradient(flat_of(p["tables"], p["intercept"]), make_layout(p))
    t_value, _, t_grad = torch_value_and_gradient(torch, p, component=name)
    loss_atol, grad_atol = tolerances(p)
    np.testing.assert_allclose(value, t_value, rtol=1e-10, atol=loss_atol)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=grad_atol)
    assert np.all(np.asarray(grad)[-p["K"]:] == 0.0)  # the intercepts are never penalised


@given(any_problem, st.sampled_from([1, 4, 64, 2**14]))
@settings(max_examples=40)
def test_every_feature_grouping_equals_torch(torch, p, max_cells):
    objective = make_objective(p, max_cells=max_cells)
    loss, grad = objective.loss_gradient(flat_of(p["tables"], p["intercept"]))
    t_loss, _, t_grad = torch_value_and_gradient(torch, p)
    loss_atol, grad_atol = tolerances(p)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-10, atol=loss_atol)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=grad_atol)


@given(any_problem, st.sampled_from([1, 2, 5, 32]), st.sampled_from([1, 2]), st.sampled_from([1, 64, 2**14]))
@settings(max_examples=50)
def test_chunked_and_threaded_evaluation_equals_torch(torch, p, chunk_rows, n_threads, max_cells):
    # The path of many rows (chunks of rows, on threads), forced on small problems.
    objective = make_objective(p, max_cells=max_cells, chunk_rows=chunk_rows, n_threads=n_threads)
    loss, grad = objective.loss_gradient(flat_of(p["tables"], p["intercept"]))
    t_loss, t_components, t_grad = torch_value_and_gradient(torch, p)
    loss_atol, grad_atol = tolerances(p)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-10, atol=loss_atol)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-10, atol=grad_atol)
    for name, value in t_components.items():
        np.testing.assert_allclose(objective.last_components[name], value, rtol=1e-10, atol=loss_atol, err_msg=name)


@pytest.mark.parametrize("loss", ["softmax", "squared"])
def test_many_rows_default_path_equals_torch(torch, loss):
    # Enough rows x feature groups that the objective takes its many-rows path by itself.
    rng = np.random.default_rng(5)
    n, n_bins, K = 70_000, [6, 4, 9], (4 if loss == "softmax" else 1)
    p = dict(
        loss=loss, K=K, n_bins=n_bins, ordered=[True, False, True],
        codes=np.column_stack([rng.integers(0, k, size=n) for k in n_bins]),
        y=rng.integers(0, K, size=n).astype(float) if loss == "softmax" else rng.normal(3.0, 2.0, size=n),
        w=rng.uniform(0.0, 3.0, size=n), v=[rng.uniform(0.0, 1.0, size=k) for k in n_bins],
        tables=[rng.normal(size=(k, K)) for k in n_bins], intercept=rng.normal(size=K),
        step_w=0.3, es_w=0.2, l2_w=0.1,
    )
    # max_cells=1: one group per feature, 210 000 row-groups; more rows than one default chunk.
    objective = make_objective(p, max_cells=1)
    loss_value, grad = objective.loss_gradient(flat_of(p["tables"], p["intercept"]))
    t_loss, _, t_grad = torch_value_and_gradient(torch, p)
    np.testing.assert_allclose(loss_value, t_loss, rtol=1e-10)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-9, atol=1e-12)


def finite_difference_gradient(fun, coef, h=1e-5):
    grad = np.empty_like(coef)
    for i in range(len(coef)):
        step = np.zeros_like(coef)
        step[i] = h
        grad[i] = (fun(coef + step) - fun(coef - step)) / (2 * h)
    return grad


@given(st.sampled_from(["softmax", "squared"]).flatmap(lambda loss: problems(loss, max_features=3, max_rows=15,
                                                                            small=True)))
@settings(max_examples=25)
def test_gradient_equals_finite_differences(p):
    objective = make_objective(p)
    coef = flat_of(p["tables"], p["intercept"])
    value, grad = objective.loss_gradient(coef)
    fd = finite_difference_gradient(lambda c: objective.loss_gradient(c)[0], coef)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6 * (1.0 + abs(value)))


@given(any_problem)
@settings(max_examples=30)
def test_layout_is_the_documented_layout(p):
    layout = make_layout(p)
    K, n_bin_rows = p["K"], sum(p["n_bins"])
    assert layout.n_params == n_bin_rows * K + K
    np.testing.assert_array_equal(layout.offsets, np.concatenate([[0], np.cumsum(p["n_bins"])]))
    coef = flat_of(p["tables"], p["intercept"])
    scores, intercept = layout.split(coef)
    if K == 1:
        assert isinstance(intercept, float) and intercept == p["intercept"][0]
        for s, t in zip(scores, p["tables"]):
            assert s.shape == (len(t),)
            np.testing.assert_array_equal(s, t[:, 0])
    else:
        assert isinstance(intercept, np.ndarray) and intercept.shape == (K,)
        np.testing.assert_array_equal(intercept, p["intercept"])
        for s, t in zip(scores, p["tables"]):
            assert s.shape == t.shape
            np.testing.assert_array_equal(s, t)
    np.testing.assert_array_equal(layout.join(scores, intercept), coef)


@given(problems("log"))
@settings(max_examples=25)
def test_one_output_log_loss_is_the_old_layout(torch, p):
    # K = 1 with loss="log" is exactly the old binary objective: the old layout (bins then
    # one intercept, last), the same value and gradient whether n_outputs/loss are given or not.
    coef = flat_of(p["tables"], p["intercept"])
    assert len(coef) == sum(p["n_bins"]) + 1
    regs = [StepLoss(p["step_w"]), EmbeddingSumLoss(p["es_w"]), L2(p["l2_w"])]
    old = ParameterLayout(p["n_bins"], bin_weights=p["v"])
    new = ParameterLayout(p["n_bins"], bin_weights=p["v"], n_outputs=1, ordered=[True] * len(p["n_bins"]))
    assert old.n_params == new.n_params == len(coef)
    loss_old, grad_old = EmbeddingSumObjective(p["codes"], p["y"], weights(p), old, regs).loss_gradient(coef)
    loss_new, grad_new = EmbeddingSumObjective(p["codes"], p["y"], weights(p), new, regs,
                                               loss="log").loss_gradient(coef)
    assert loss_new == loss_old
    np.testing.assert_array_equal(grad_new, grad_old)
    p = dict(p, ordered=None)
    t_loss, _, t_grad = torch_value_and_gradient(torch, p)
    loss_atol, grad_atol = tolerances(p)
    np.testing.assert_allclose(loss_old, t_loss, rtol=1e-10, atol=loss_atol)
    np.testing.assert_allclose(grad_old, t_grad, rtol=1e-10, atol=grad_atol)


def test_reference_hand_example(torch):
    # A tiny case by hand, so that the torch reference itself is pinned to the documented formulas.
    # Feature 0 ordered, 4 bins (3 interval + missing): 2 pairs; feature 1 unordered, 3 bins: no pair.
    tables = [np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [3.0, 0.0, 0.0], [9.0, 9.0, 9.0]]),
              np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 5.0], [0.0, 0.0, 7.0]])]
    p = dict(loss="softmax", K=3, n_bins=[4, 3], ordered=[True, False], codes=np.array([[0, 1]]),
             y=np.array([2]), w=None, v=[np.array([1.0, 1.0, 0.0, 0.0]), np.array([0.0, 1.0, 3.0])],
             tables=tables, intercept=np.zeros(3), step_w=1.0, es_w=1.0, l2_w=1.0)
    _, c, _ = torch_value_and_gradient(torch, p)
    # z = [0, 1, 5]: logsumexp - 5
    assert c["classification"] == pytest.approx(np.log(1 + np.e + np.e**5) - 5, rel=1e-14)
    # class 0 diffs 1, 2; class 1 diffs 0, -1; class 2: 0, 0; sum of squares 6 over 2 pairs
    assert c["step"] == pytest.approx(3.0, rel=1e-14)
    # means: feature 0 [0.5, 1, 0], feature 1 [0, 0, (5 + 21)/4 = 6.5]; sum_k mean_j m^2
    assert c["embedding_sum"] == pytest.approx((0.25 / 2) + (1.0 / 2) + (6.5**2 / 2), rel=1e-14)
    # sum of squares 1+1+1+9+243+25+49 = 329 over 7 bin rows
    assert c["l2"] == pytest.approx(329 / 7, rel=1e-14)
    p2 = dict(p, loss="squared", K=1, y=np.array([2.5]), tables=[t[:, :1] for t in tables], intercept=np.array([0.5]))
    _, c2, _ = torch_value_and_gradient(torch, p2)
    assert c2["squared_error"] == pytest.approx(0.5 * (0.5 + 0.0 + 0.0 - 2.5) ** 2, rel=1e-14)
