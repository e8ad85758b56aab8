"""Pair terms in the training layer (training/_layout.py, the engines, training/_regularizers.py).

A pair (a, b) owns a table of n_a * n_b bin rows after the main effects, read by a joint code
code_a * n_b + code_b (docs/design.md#pair-terms). The objective with pairs is checked against
the plain formula, and the pair regularisers against their definitions and finite differences.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective
from embedsum.training._regularizers import (CategoryRidge, EmbeddingSumLoss, L2, PairMarginLoss, PairRidge,
                                             PairStepLoss, StepLoss)


@st.composite
def _models(draw, max_rows=200):
    d = draw(st.integers(2, 4))
    n_bins = draw(st.lists(st.integers(2, 6), min_size=d, max_size=d))
    ordered = draw(st.lists(st.booleans(), min_size=d, max_size=d))
    candidates = [(a, b) for a in range(d) for b in range(d) if a != b]
    pairs = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3))
    shapes = [(draw(st.integers(2, 5)), draw(st.integers(2, 5))) for _ in pairs]
    K = draw(st.sampled_from([1, 1, 3]))
    n = draw(st.integers(1, max_rows))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    main = np.stack([rng.integers(0, k, n) for k in n_bins], axis=1)
    axes = [(rng.integers(0, a, n), rng.integers(0, b, n)) for a, b in shapes]
    joint = np.stack([ca * b + cb for (ca, cb), (_, b) in zip(axes, shapes)], axis=1)
    codes = np.hstack([main, joint])
    weights = [np.bincount(main[:, j], minlength=k) / n for j, k in enumerate(n_bins)]
    pair_weights = [np.bincount(joint[:, p], minlength=a * b) / n for p, (a, b) in enumerate(shapes)]
    layout = ParameterLayout(n_bins, weights, n_outputs=K, ordered=ordered, pairs=pairs, pair_shapes=shapes,
                             pair_weights=pair_weights)
    return layout, codes, axes, rng


def test_pair_rows_follow_the_main_effects_and_the_intercepts_stay_last():
    layout = ParameterLayout([3, 4], pairs=[(1, 0)], pair_shapes=[(2, 3)], n_outputs=2)
    assert layout.terms == ((0,), (1,), (1, 0))
    assert layout.term_offsets.tolist() == [0, 3, 7, 13]
    assert layout.n_bin_rows == 13 and layout.n_params == 28
    assert layout.offsets.tolist() == [0, 3, 7]  # the main effects' prefix
    assert layout.feature_of[:7].tolist() == [0, 0, 0, 1, 1, 1, 1] and set(layout.feature_of[7:]) == {-1}
    assert layout.term_rows([[2, 3, 5]]).ravel().tolist() == [2, 6, 12]
    scores, _ = layout.split(np.arange(28.0))
    assert len(scores) == 2  # split gives the features; term_views every term
    views, intercepts = layout.term_views(np.arange(28.0))
    assert views[2].shape == (6, 2) and intercepts.tolist() == [26.0, 27.0]


@pytest.mark.parametrize("pairs, shapes, message", [
    ([(0, 0)], [(2, 2)], "two different features"), ([(0, 2)], [(2, 2)], "two different features"),
    ([(0, 1)], [(1, 2)], "at least one interval bin"), ([(0, 1)], [], "one shape per pair")])
def test_bad_pairs_are_refused(pairs, shapes, message):
    with pytest.raises(ValueError, match=message):
        ParameterLayout([3, 3], pairs=pairs, pair_shapes=shapes)


@settings(max_examples=30)
@given(model=_models())
def test_pair_neighbours_are_the_adjacent_interval_cells_of_ordered_axes(model):
    layout, _, _, _ = model
    expected = set()
    for p, ((a, b), (n_a, n_b)) in enumerate(zip(layout.pairs, layout.pair_shapes)):
        start = layout.term_offsets[layout.n_features + p]
        for i in range(n_a - 1):  # the last row and column are the missing bins
            for j in range(n_b - 1):
                if layout.ordered[a] and i + 1 < n_a - 1:
                    expected.add((start + i * n_b + j, start + (i + 1) * n_b + j))
                if layout.ordered[b] and j + 1 < n_b - 1:
                    expected.add((start + i * n_b + j, start + i * n_b + j + 1))
    got = list(zip(layout.pair_step_left.tolist(), layout.pair_step_right.tolist()))
    assert len(got) == len(set(got)) and set(got) == expected


def _plain(layout, codes, y, w, loss, coef):
    K = layout.n_outputs
    table = coef[:layout.n_bin_rows * K].reshape(-1, K)
    rows = codes + layout.term_offsets[:-1]
    z = table[rows].sum(axis=1) + coef[-K:]
    share = w / w.sum()
    if loss == "log":
        z1 = z[:, 0]
        terms = np.logaddexp(0.0, z1) - y * z1
        dz = (1.0 / (1.0 + np.exp(-z1)) - y)[:, None]
    elif loss == "squared":
        dz = z - y[:, None]
        terms = 0.5 * dz[:, 0] ** 2
    else:
        top = z.max(axis=1, keepdims=True)
        e = np.exp(z - top)
        terms = np.log(e.sum(axis=1)) + top[:, 0] - z[np.arange(len(z)), y]
        dz = e / e.sum(axis=1, keepdims=True)
        dz[np.arange(len(z)), y] -= 1.0
    grad = np.zeros_like(coef)
    grad_table = grad[:layout.n_bin_rows * K].reshape(-1, K)
    for t in range(layout.n_terms):
        np.add.at(grad_table, rows[:, t], dz * share[:, None])
    grad[-K:] = (dz * share[:, None]).sum(axis=0)
    return float(np.sum(terms * share)), grad


@settings(max_examples=30)
@given(model=_models(), chunk_rows=st.sampled_from([None, 7]), max_cells=st.sampled_from([None, 1, 30]))
def test_the_objective_with_pairs_equals_the_plain_formula(model, chunk_rows, max_cells):
    layout, codes, _, rng = model
    n, K = len(codes), layout.n_outputs
    loss = "softmax" if K > 1 else ("log" if rng.random() < 0.5 else "squared")
    y = (rng.integers(0, K, n) if loss == "softmax" else
         rng.integers(0, 2, n).astype(float) if loss == "log" else rng.normal(size=n))
    w = rng.uniform(0.1, 2.0, n)
    coef = rng.normal(size=layout.n_params)
    objective = EmbeddingSumObjective(codes, y, w, layout, loss=loss, chunk_rows=chunk_rows, max_cells=max_cells)
    value, grad = objective.loss_gradient(coef)
    expected, expected_grad = _plain(layout, codes, y, w, loss, coef)
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-12)


@settings(max_examples=20)
@given(model=_models(max_rows=60),
       which=st.sampled_from(["pair_step", "pair_margins", "pair_ridge", "category_ridge", "embedding_sum", "l2",
                              "step"]))
def test_each_regulariser_with_pairs_has_the_gradient_of_its_value(model, which):
    layout, _, _, rng = model
    regularizer = {"pair_step": PairStepLoss(0.7), "pair_margins": PairMarginLoss(0.7), "pair_ridge": PairRidge(0.7),
                   "category_ridge": CategoryRidge(0.7),
                   "embedding_sum": EmbeddingSumLoss(0.7), "l2": L2(0.7), "step": StepLoss(0.7)}[which]
    coef = rng.normal(size=layout.n_params)
    value, grad = regularizer.value_gradient(coef, layout)
    fd = approx_fprime(coef, lambda c: regularizer.value_gradient(c, layout)[0], 1e-7)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
    assert np.all(grad[-layout.n_outputs:] == 0.0)  # never the intercepts
    if which in ("pair_step", "pair_margins", "pair_ridge"):  # pair regularisers leave the main effects alone
        assert np.all(layout.table(grad)[:layout.offsets[-1]] == 0.0)
    if which == "pair_ridge":  # the plain formula: a sum over the pair cells
        assert value == pytest.approx(0.7 * np.sum(layout.table(coef)[layout.offsets[-1]:] ** 2), rel=1e-12)
    if which == "category_ridge":  # a sum over the bins of the categorical features' main effects
        rows = [r for j in range(layout.n_features) if not layout.ordered[j]
                for r in range(layout.offsets[j], layout.offsets[j + 1])]
        assert value == pytest.approx(0.7 * np.sum(layout.table(coef)[rows] ** 2), rel=1e-12, abs=0)
        assert np.all(layout.table(grad)[layout.offsets[-1]:] == 0.0)
    else:
        assert np.isfinite(value)


def test_pair_margins_vanish_exactly_on_a_pure_interaction():
    # theta_ab = s_a * t_b with weighted means of s and t zero: every row and column mean is 0.
    layout = ParameterLayout([3, 3], [[1 / 3] * 3] * 2, pairs=[(0, 1)], pair_shapes=[(3, 3)],
                             pair_weights=[np.full(9, 1 / 9)])
    coef = np.zeros(layout.n_params)
    coef[6:15] = np.outer([1.0, -2.0, 1.0], [3.0, 0.0, -3.0]).ravel()
    value, grad = PairMarginLoss(1.0).value_gradient(coef, layout)
    assert value == 0.0 and np.all(grad == 0.0)
    coef[6:15] += 1.0  # a constant is a mean: penalised
    assert PairMarginLoss(1.0).value_gradient(coef, layout)[0] == pytest.approx(2.0)
