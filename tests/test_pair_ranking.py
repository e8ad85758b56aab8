"""Ranking candidate pairs by their interaction gain (training/_pair_ranking.py, docs/design.md#pair-terms)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier
from embedsum.binning._digitizer import Digitizer
from embedsum.training._pair_ranking import _split_gains, rank_pairs


def _brute_force(codes_a, codes_b, n_a, n_b, g, h, lam):
    """Every cut (s, t) strictly inside both axes, and every one-axis cut, from the rows."""
    def gain(mask):
        return float(np.sum(g[mask].sum(0) ** 2 / (h[mask].sum(0) + lam)))
    def quadrants(s, t):
        return ((codes_a <= s) & (codes_b <= t), (codes_a <= s) & (codes_b > t),
                (codes_a > s) & (codes_b <= t), (codes_a > s) & (codes_b > t))

    two = max((sum(gain(m) for m in quadrants(s, t)) for s in range(n_a - 1) for t in range(n_b - 1)),
              default=0.0)
    everything = np.ones(len(codes_a), dtype=bool)
    one = max([gain(everything)] + [gain(codes_a <= s) + gain(codes_a > s) for s in range(n_a - 1)]
              + [gain(codes_b <= t) + gain(codes_b > t) for t in range(n_b - 1)])
    return two, one


@settings(max_examples=40)
@given(n=st.integers(1, 80), n_a=st.integers(2, 5), n_b=st.integers(2, 5), K=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_split_gains_are_the_best_cuts_found_by_brute_force(n, n_a, n_b, K, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n_a, n), rng.integers(0, n_b, n)
    g, h = rng.normal(size=(n, K)), rng.uniform(0.1, 1.0, size=(n, K))
    joint = a * n_b + b
    G = np.stack([np.bincount(joint, g[:, k], n_a * n_b) for k in range(K)], -1).reshape(n_a, n_b, K)
    H = np.stack([np.bincount(joint, h[:, k], n_a * n_b) for k in range(K)], -1).reshape(n_a, n_b, K)
    two, one = _split_gains(G, H, 0.05)
    expected_two, expected_one = _brute_force(a, b, n_a, n_b, g, h, 0.05)
    np.testing.assert_allclose([two, one], [expected_two, expected_one], rtol=1e-10, atol=1e-12)


def test_a_planted_interaction_among_noise_ranks_first():
    rng = np.random.default_rng(3)
    n = 6000
    X = rng.normal(size=(n, 6))
    logit = np.sin(X[:, 0]) + 0.5 * X[:, 1] + 1.5 * np.sign(X[:, 2] * X[:, 4])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = EmbeddingSumClassifier().fit(X, y)
    p = model.predict_proba(X)[:, 1]
    coarse = Digitizer(max_bins=8).fit(X)
    pairs, scores = rank_pairs(coarse.transform(X), coarse.n_bins_, p - y, p * (1 - p))
    assert pairs[0] == (2, 4)
    assert scores[0] > 5 * scores[1]
    assert np.all(np.diff(scores) <= 0) and len(pairs) == 15


@settings(max_examples=20)
@given(seed=st.integers(0, 2**16))
def test_outputs_add_up_and_integer_weights_are_repeated_rows(seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(50, 3))
    g, h = rng.normal(size=50), rng.uniform(0.1, 1.0, 50)
    pairs, scores = rank_pairs(codes, [4, 4, 4], g, h)
    pairs2, scores2 = rank_pairs(codes, [4, 4, 4], np.column_stack([g, g]), np.column_stack([h, h]))
    np.testing.assert_allclose(sorted(scores2), sorted(2 * scores), rtol=1e-12, atol=1e-12)
    w = rng.integers(0, 3, 50)
    weighted = rank_pairs(codes, [4, 4, 4], g, h, w, candidates=[(0, 1), (1, 2), (0, 2)])
    repeated = rank_pairs(np.repeat(codes, w, 0), [4, 4, 4], np.repeat(g, w), np.repeat(h, w),
                          candidates=[(0, 1), (1, 2), (0, 2)])
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-10, atol=1e-12)
