"""The intervals and tests of uncertainty=True, validated by simulation (docs/design.md#uncertainty).

Data are drawn from a known additive model over three features of five values each, the third
one null (its step function is flat). Every feature is binned one bin per value
(``binning="adaptive"``), so the truth is a step function on the model's bins and the target of
inference is exact: the centred shape (each value's effect minus the feature's training-weighted
mean effect) and the decision value at every one of the 125 value combinations.

What is tested is the *average* coverage over the bins and over the value combinations of 200
independent fits: the Bayesian, across-the-function coverage that Wood's (and Nychka's) intervals
are built for. A penalised fit is biased towards a smooth shape, so one bin may be covered more or
less often than 95 %; the posterior covariance accounts for that bias on average over the
function, which is what the tests check. The penalty weights are the published defaults.

Under the null feature the p-values of ``feature_tests_`` must be uniform: a Kolmogorov-Smirnov
test over the 200 fits, at alpha = 0.01 (the seeds are fixed, so the outcome is deterministic;
a level that small keeps a seed in the tail from failing a test whose size is right).
"""

import numpy as np
from scipy import stats

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor

TRUTH = [np.array([-0.8, -0.4, 0.0, 0.4, 0.8]), np.array([0.5, -0.5, 0.5, -0.5, 0.0]), np.zeros(5)]
INTERCEPT = -0.3
GRID = np.array([[a, b, c] for a in range(5) for b in range(5) for c in range(5)], dtype=float)
N_FITS = 200
Z95 = stats.norm.ppf(0.975)


def _effect(X):
    return INTERCEPT + sum(TRUTH[j][X[:, j].astype(int)] for j in range(3))


def _simulate(kind: str, n: int):
    """Per fit: the share of centred-shape intervals and of decision intervals holding the truth,
    and the null feature's p-value."""
    shape_hits, grid_hits, null_p = [], [], []
    true_grid = _effect(GRID)
    for seed in range(N_FITS):
        rng = np.random.default_rng(seed)
        X = rng.integers(0, 5, size=(n, 3)).astype(float)
        eta = _effect(X)
        if kind == "logistic":
            y = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))
            model = EmbeddingSumClassifier(max_bins=5, binning="adaptive", uncertainty=True).fit(X, y)
        else:
            y = eta + rng.normal(size=n)
            # the published step-loss weight: the coverage of a lightly penalised fit
            model = EmbeddingSumRegressor(max_bins=5, binning="adaptive", step_loss_weight=0.01,
                                          uncertainty=True).fit(X, y)
        for j in range(3):
            weights, scores = model.bin_weights_[j], model.bin_scores_[j]
            assert len(scores) == 6 and weights[-1] == 0  # five value bins and an empty missing bin
            true_centred = TRUTH[j] - weights[:5] @ TRUTH[j]
            centred = scores[:5] - weights @ scores
            shape_hits.append(np.abs(centred - true_centred) <= Z95 * model.bin_scores_se_[j][:5])
            assert np.isinf(model.bin_scores_se_[j][5])  # no rows, no prior: not estimated
        lower, upper = model.decision_interval(GRID)
        grid_hits.append((lower <= true_grid) & (true_grid <= upper))
        null_p.append(model.feature_tests_["p_value"][2])
    return np.mean(shape_hits), np.mean(grid_hits), np.array(null_p)


def test_logistic_intervals_cover_the_truth_95_percent_and_the_null_p_values_are_uniform():
    shape, grid, null_p = _simulate("logistic", n=1000)
    assert 0.93 <= shape <= 0.97, shape
    assert 0.93 <= grid <= 0.97, grid
    assert stats.kstest(null_p, "uniform").pvalue > 0.01


def test_regression_intervals_cover_the_truth_95_percent_and_the_null_p_values_are_uniform():
    shape, grid, null_p = _simulate("regression", n=400)
    assert 0.93 <= shape <= 0.97, shape
    assert 0.93 <= grid <= 0.97, grid
    assert stats.kstest(null_p, "uniform").pvalue > 0.01
