"""The general engine (training/_general_engine.py): any loss, K outputs, fused groups, chunks on threads.

Checked against the plain formula of the objective's data term (docs/design.md#objective-and-gradient):
the weighted mean of the per-row loss at z = intercepts + the rows of each feature's bins, and its
gradient summed bin by bin, evaluated here with nothing but numpy indexing.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from embedsum.training._general_engine import GeneralEngine, _softmax_by_output
from embedsum.training._layout import ParameterLayout
from embedsum.training._losses import HalfSquaredError, MultinomialLogLoss, softmax_loss_terms


class PseudoHuberK(HalfSquaredError):
    """A user's loss of K outputs (a subclass: the general path, not the tuned softmax)."""

    def accepts(self, n_outputs):
        return True

    def check_target(self, y, n_outputs):
        return np.asarray(y, dtype=np.float64)

    def loss_gradient(self, z, y):
        assert z.flags.c_contiguous  # users get (rows, K) as documented, contiguous
        r = z - (y[:, None] if z.ndim == 2 else y)
        root = np.sqrt(1.0 + r * r)
        loss = root - 1.0
        return (loss.sum(axis=1) if z.ndim == 2 else loss), r / root


def _plain(codes, y, w, layout, loss, coef):
    """The data term and its gradient by the formula, row by row in numpy."""
    K = layout.n_outputs
    table = coef[:layout.n_bin_rows * K].reshape(-1, K)
    rows = codes + layout.offsets[:-1]
    z = table[rows].sum(axis=1) + coef[-K:]
    share = w / w.sum()
    loss_rows, dz = loss.loss_gradient(z[:, 0] if K == 1 else z, y)
    dz = np.asarray(dz).reshape(len(z), K) * share[:, None]
    grad = np.zeros_like(coef)
    grad_table = grad[:layout.n_bin_rows * K].reshape(-1, K)
    for j in range(codes.shape[1]):
        np.add.at(grad_table, rows[:, j], dz)
    grad[-K:] = dz.sum(axis=0)
    return float(np.sum(loss_rows * share)), grad


@st.composite
def _problems(draw):
    K = draw(st.sampled_from([1, 2, 5]))
    kind = draw(st.sampled_from(["squared", "user"] if K == 1 else ["softmax", "user"]))
    n = draw(st.integers(1, 300))
    n_bins = draw(st.lists(st.integers(2, 9), min_size=1, max_size=5))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    codes = np.stack([rng.integers(0, b, n) for b in n_bins], axis=1).astype(np.uint8)
    layout = ParameterLayout(n_bins, n_outputs=K)
    loss = {"squared": HalfSquaredError(), "softmax": MultinomialLogLoss(), "user": PseudoHuberK()}[kind]
    y = rng.integers(0, K, n) if kind == "softmax" else rng.normal(size=n)
    w = np.ones(n) if draw(st.booleans()) else rng.uniform(0.0, 3.0, n) + (np.arange(n) == 0)
    coef = rng.normal(scale=draw(st.sampled_from([0.1, 3.0, 30.0])), size=layout.n_params)
    return codes, y, w, layout, loss, coef


@settings(max_examples=40)
@given(problem=_problems(), chunk_rows=st.sampled_from([None, 1, 7, 64]), max_cells=st.sampled_from([None, 1, 40]))
def test_data_term_and_gradient_equal_the_plain_formula(problem, chunk_rows, max_cells):
    codes, y, w, layout, loss, coef = problem
    share = w / w.max()
    share = share / share.sum()
    engine = GeneralEngine(codes, y, share, layout, loss, chunk_rows=chunk_rows, max_cells=max_cells, n_threads=3)
    grad = np.full(layout.n_params, np.nan)
    value = engine.data_term(coef, grad)
    expected, expected_grad = _plain(codes, y, w, layout, loss, coef)
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)
    K = layout.n_outputs
    z = engine.decision(coef)
    assert z.shape == ((len(y),) if K == 1 else (len(y), K))
    table = coef[:layout.n_bin_rows * K].reshape(-1, K)
    plain_z = table[codes + layout.offsets[:-1]].sum(axis=1) + coef[-K:]
    np.testing.assert_allclose(z, plain_z[:, 0] if K == 1 else plain_z, rtol=1e-12, atol=1e-12)
    engine.close()


@pytest.mark.parametrize("K", [1, 4])
def test_the_number_of_threads_changes_no_bit(K):
    rng = np.random.default_rng(K)
    n, n_bins = 5000, [7, 3, 30, 2, 11]
    codes = np.stack([rng.integers(0, b, n) for b in n_bins], axis=1)
    layout = ParameterLayout(n_bins, n_outputs=K)
    loss = MultinomialLogLoss() if K > 1 else HalfSquaredError()
    y = rng.integers(0, K, n) if K > 1 else rng.normal(size=n)
    share = rng.uniform(size=n)
    share /= share.sum()
    coef = rng.normal(size=layout.n_params)
    results = []
    for n_threads in (1, 2, 5):
        engine = GeneralEngine(codes, y, share, layout, loss, chunk_rows=300, n_threads=n_threads)
        grad = np.empty(layout.n_params)
        results.append((engine.data_term(coef, grad), grad))
        engine.close()
    for value, grad in results[1:]:
        assert value == results[0][0]
        assert np.array_equal(grad, results[0][1])


@settings(max_examples=60)
@given(z=st.integers(2, 6).flatmap(lambda K: arrays(np.float64, (K, 9), elements=st.floats(-700, 700))),
       data=st.data())
def test_softmax_by_output_equals_the_losss_softmax_terms(z, data):
    y = np.array(data.draw(st.lists(st.integers(0, len(z) - 1), min_size=9, max_size=9)))
    expected_loss, expected_dz = softmax_loss_terms(z.T.copy(), y)
    loss, dz = _softmax_by_output(z.copy(), y)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-14, atol=1e-13)
    np.testing.assert_allclose(dz, expected_dz.T, rtol=1e-14, atol=1e-15)
