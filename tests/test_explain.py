"""Contributions are exact: intercept plus contributions, added left to right, is the decision value."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier
from embedsum.explain import contributions


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), n_features=st.integers(1, 6), nan_share=st.sampled_from([0.0, 0.1]))
def test_intercept_plus_contributions_is_the_decision_bit_for_bit(seed, n_features, nan_share):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, n_features)) * rng.choice([1e-3, 1.0, 1e4], size=n_features)
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    X[rng.random(X.shape) < nan_share] = np.nan
    model = EmbeddingSumClassifier(max_bins=10).fit(X, y)
    rows = np.vstack([X[:50], [[np.inf] * n_features, [-np.inf] * n_features, [np.nan] * n_features]])
    c = contributions(model, rows)
    total = np.full(len(rows), model.intercept_)
    for j in range(n_features):
        total = total + c[:, j]
    assert np.array_equal(total.view(np.uint64), model.decision_function(rows).view(np.uint64))
    # each contribution is the score of one of the feature's bins
    for j in range(n_features):
        assert set(c[:, j]).issubset(set(model.bin_scores_[j]))
