"""The losses as objects: each one's fused terms, start, held-out score and target unit, checked against
plain formulas written here; the objective takes a loss object or its name and gives the same bits.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import approx_fprime
from scipy.special import expit, logsumexp, softmax

from _oracles import assert_same_bits
from embedsum.training._layout import ParameterLayout
from embedsum.training._losses import (
    LOSSES,
    BinaryLogLoss,
    HalfSquaredError,
    Loss,
    MultinomialLogLoss,
    resolve_loss,
)
from embedsum.training._objective import EmbeddingSumObjective
from embedsum.training._regularizers import L2, EmbeddingSumLoss, StepLoss

finite_z = st.floats(-30.0, 30.0, allow_nan=False)


@st.composite
def targets(draw, kind, max_rows=30):
    """(y, z, sample_weight, n_outputs) for a loss of the given kind ("log", "softmax", "squared")."""
    n = draw(st.integers(2, max_rows))
    K = draw(st.integers(2, 5)) if kind == "softmax" else 1
    if kind == "log":
        y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
        y[:2] = [0.0, 1.0]  # both classes carry weight: the constant optimum is finite
    elif kind == "softmax":
        y = draw(hnp.arrays(np.intp, n, elements=st.integers(0, K - 1)))
    else:
        y = draw(hnp.arrays(np.float64, n, elements=st.floats(-1e3, 1e3, allow_nan=False)))
    z = draw(hnp.arrays(np.float64, (n, K) if K > 1 else n, elements=finite_z))
    w = draw(hnp.arrays(np.float64, n, elements=st.floats(0.1, 5.0)))
    return y, z, w, K


def plain_loss(kind, y, z):
    """The per-row loss of each kind, written the plain way (docs/design.md#objective-and-gradient)."""
    if kind == "log":
        return np.logaddexp(0.0, z) - y * z
    if kind == "softmax":
        return logsumexp(z, axis=1) - z[np.arange(len(z)), y]
    return 0.5 * (z - y) ** 2


KINDS = ["log", "softmax", "squared"]


# ------------------------------------------------------------------------------- the table


def test_the_table_maps_todays_names_to_one_object_each():
    assert list(LOSSES) == ["log", "softmax", "squared"]
    assert [type(loss) for loss in LOSSES.values()] == [BinaryLogLoss, MultinomialLogLoss, HalfSquaredError]
    assert all(resolve_loss(name) is LOSSES[name] for name in LOSSES)
    custom = HalfSquaredError()
    assert resolve_loss(custom) is custom
    with pytest.raises(ValueError, match="loss must be one of"):
        resolve_loss("hinge")
    with pytest.raises(ValueError, match="loss object"):
        resolve_loss(3)


def test_names_history_names_and_outputs():
    assert [(loss.name, loss.history_name) for loss in LOSSES.values()] == [
        ("log", "classification"), ("softmax", "classification"), ("squared", "squared_error")]
    accepted = {name: [k for k in range(1, 6) if loss.accepts(k)] for name, loss in LOSSES.items()}
    assert accepted == {"log": [1], "softmax": [2, 3, 4, 5], "squared": [1]}


# ------------------------------------------------------------------------- the fused terms


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_loss_gradient_is_the_plain_loss_and_its_derivative(kind, data):
    y, z, _, K = data.draw(targets(kind))
    loss = LOSSES[kind]
    values, dz = loss.loss_gradient(z.copy(), loss.check_target(y, K))
    assert values.shape == (len(y),) and dz.shape == z.shape
    np.testing.assert_allclose(values, plain_loss(kind, y, z), rtol=1e-12, atol=1e-12)
    # The derivative, by central differences of the plain formula along each entry of z (rows are
    # independent: one step moves every row's loss along the same column at once).
    h = 1e-4
    for k in range(K):
        step = np.zeros_like(z)
        if K == 1:
            step[:] = h
        else:
            step[:, k] = h
        fd = (plain_loss(kind, y, z + step) - plain_loss(kind, y, z - step)) / (2 * h)
        got = dz if K == 1 else dz[:, k]
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-9 * (1.0 + np.abs(values).max()) / h)


def test_derivatives_in_closed_form():
    z = np.array([-3.0, 0.0, 4.0])
    _, d_log = BinaryLogLoss().loss_gradient(z, np.array([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(d_log, expit(z) - [1.0, 0.0, 1.0], rtol=1e-15)
    zm = np.array([[0.0, 1.0, -2.0], [3.0, 3.0, 3.0]])
    _, d_soft = MultinomialLogLoss().loss_gradient(zm, np.array([2, 0]))
    np.testing.assert_allclose(d_soft, softmax(zm, axis=1) - np.eye(3)[[2, 0]], rtol=1e-14, atol=1e-16)
    _, d_sq = HalfSquaredError().loss_gradient(z, np.array([1.0, 1.0, 1.0]))
    assert d_sq.tolist() == [-4.0, -1.0, 3.0]


# --------------------------------------------------------------------- start and held-out


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_intercept_start_is_the_best_constant_model(kind, data):
    """At the start, the derivative of the weighted mean loss along each intercept is 0."""
    y, _, w, K = data.draw(targets(kind))
    loss = LOSSES[kind]
    start = loss.intercept_start(y, w, K)
    assert start.shape == (K,) and start.dtype == np.float64
    if kind == "log":
        np.testing.assert_allclose(expit(start[0]), np.sum(w * y) / np.sum(w), rtol=1e-12)
    elif kind == "softmax":
        shares = np.array([np.sum(w[y == k]) for k in range(K)]) / np.sum(w)
        expected = np.log(np.maximum(shares, 1e-12))  # an unseen class starts far down, not at -inf
        np.testing.assert_allclose(start, expected, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_allclose(start[0], np.sum(w * y) / np.sum(w), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_held_out_is_the_weighted_mean_score(kind, data):
    y, z, w, _ = data.draw(targets(kind))
    score = LOSSES[kind].held_out(y, z, w)
    assert type(score) is float
    # The squared loss is scored by the mean squared error itself, without the training half.
    per_row = plain_loss(kind, y, z) * (2.0 if kind == "squared" else 1.0)
    np.testing.assert_allclose(score, np.sum(w * per_row) / np.sum(w), rtol=1e-12, atol=1e-12)
    # Only the ratios of the weights matter.
    np.testing.assert_allclose(LOSSES[kind].held_out(y, z, 7.0 * w), score, rtol=1e-13, atol=1e-13)


def test_target_scale_is_the_weighted_std_of_a_regression_target_only():
    y, w = np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 1.0])
    mean = np.sum(w * y) / np.sum(w)
    expected = np.sqrt(np.sum(w * (y - mean) ** 2) / np.sum(w))
    np.testing.assert_allclose(HalfSquaredError().target_scale(y, w), expected, rtol=1e-15)
    assert HalfSquaredError().target_scale(np.full(3, 5.0), w) == 1.0  # a constant target: as given
    assert BinaryLogLoss().target_scale(np.array([0.0, 1.0]), np.ones(2)) == 1.0
    assert MultinomialLogLoss().target_scale(np.array([0, 2]), np.ones(2)) == 1.0


def test_softmax_refuses_targets_that_are_not_class_indices():
    with pytest.raises(ValueError, match="class indices 0..2"):
        MultinomialLogLoss().check_target(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="class indices"):
        MultinomialLogLoss().check_target(np.array([0.5, 1.0]), 3)


# ---------------------------------------------------------------- the objective takes them


def _problem(kind, n=300, seed=0):
    rng = np.random.default_rng(seed)
    n_bins = [4, 6, 3]
    K = 3 if kind == "softmax" else 1
    codes = np.column_stack([rng.integers(0, k, n) for k in n_bins])
    y = {"log": rng.integers(0, 2, n).astype(float), "softmax": rng.integers(0, K, n),
         "squared": rng.normal(size=n)}[kind]
    w = rng.uniform(0.2, 2.0, n)
    layout = ParameterLayout(n_bins, bin_weights=[np.full(k, 1.0 / k) for k in n_bins], n_outputs=K)
    return codes, y, w, layout, rng.normal(size=layout.n_params)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chunk_rows", [None, 37])
def test_a_loss_object_and_its_name_give_the_same_bits(kind, chunk_rows):
    codes, y, w, layout, coef = _problem(kind)
    regs = [StepLoss(0.2), EmbeddingSumLoss(0.3), L2(0.1)]
    by_name = EmbeddingSumObjective(codes, y, w, layout, regs, chunk_rows=chunk_rows, loss=kind)
    by_object = EmbeddingSumObjective(codes, y, w, layout, regs, chunk_rows=chunk_rows, loss=type(LOSSES[kind])())
    (a, ga), (b, gb) = by_name.loss_gradient(coef), by_object.loss_gradient(coef)
    assert a == b
    assert_same_bits(gb, ga)
    assert by_name.last_components == by_object.last_components
    assert by_object.loss.name == kind


@pytest.mark.parametrize("chunk_rows", [None, 41])
def test_the_general_engine_evaluates_the_log_loss_as_the_binary_engine_does(chunk_rows):
    """A subclass may change the loss, so it goes to the general engine, which asks loss_gradient."""

    class PlainLogLoss(BinaryLogLoss):
        pass

    codes, y, w, layout, coef = _problem("log")
    binary = EmbeddingSumObjective(codes, y, w, layout, chunk_rows=chunk_rows)
    general = EmbeddingSumObjective(codes, y, w, layout, chunk_rows=chunk_rows, loss=PlainLogLoss())
    assert type(binary._engine) is not type(general._engine)
    (a, ga), (b, gb) = binary.loss_gradient(coef), general.loss_gradient(coef)
    np.testing.assert_allclose(b, a, rtol=1e-13)
    np.testing.assert_allclose(gb, ga, rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(general.decision(coef), binary.decision(coef), rtol=1e-13, atol=1e-13)


class PseudoHuber(Loss):
    """A user's loss of one output: sqrt(1 + r**2) - 1 of the residual r = z - y."""

    name, history_name = "pseudo_huber", "pseudo_huber"

    def __init__(self):
        self.shapes = []

    def loss_gradient(self, z, y):
        self.shapes.append(z.shape)
        r = z - y
        root = np.sqrt(1.0 + r * r)
        return root - 1.0, r / root


def test_a_users_loss_object_is_asked_for_its_terms_and_its_gradient_is_exact():
    codes, y, w, layout, coef = _problem("squared", n=60)
    loss = PseudoHuber()
    objective = EmbeddingSumObjective(codes, y, w, layout, [StepLoss(0.1)], loss=loss)
    value, grad = objective.loss_gradient(coef)
    assert loss.shapes == [(60,)]  # one output: z of shape (n,)
    z = objective.decision(coef)
    np.testing.assert_allclose(objective.last_components["pseudo_huber"],
                               np.sum(w * (np.sqrt(1 + (z - y) ** 2) - 1)) / np.sum(w), rtol=1e-12)
    fd = approx_fprime(coef, lambda c: objective.loss_gradient(c)[0], 1e-7)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
    # The base class's held-out score: the weighted mean of the loss's own per-row values.
    np.testing.assert_allclose(PseudoHuber().held_out(y, z, w), np.sum(w * (np.sqrt(1 + (z - y) ** 2) - 1)) / np.sum(w),
                               rtol=1e-12)


@pytest.mark.parametrize("kind,n_outputs", [("log", 3), ("squared", 2), ("softmax", 1)])
def test_a_loss_refuses_a_layout_of_the_wrong_number_of_outputs(kind, n_outputs):
    layout = ParameterLayout([3], n_outputs=n_outputs)
    with pytest.raises(ValueError, match=f"loss={kind!r} does not fit a layout of {n_outputs} outputs"):
        EmbeddingSumObjective(np.zeros((2, 1), dtype=int), np.array([0, 1]), np.ones(2), layout, loss=LOSSES[kind])
