"""The per-feature score test that screens out noise columns (training/_screening.py, docs/design.md#feature-screening)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, chi2_contingency, kstest

from embedsum.training._screening import feature_p_values, screened_features


def test_null_p_values_are_uniform_and_signal_is_found():
    rng = np.random.default_rng(0)
    n, d = 3000, 300
    codes = rng.integers(0, 6, size=(n, d))
    y = (rng.random(n) < np.where(codes[:, 0] >= 3, 0.6, 0.4)).astype(int)
    _, dof, p = feature_p_values(codes, [6] * d, y, n_classes=2)
    assert set(dof.tolist()) == {5}
    assert p[0] < 1e-20
    assert kstest(p[1:], "uniform").pvalue > 1e-3  # 299 null features
    assert screened_features(p, 0.05).tolist() == [0]


@pytest.mark.parametrize("K", [2, 4])
def test_classification_statistic_is_pearsons_chi_square_of_bins_by_classes(K):
    rng = np.random.default_rng(K)
    codes = rng.integers(0, 5, size=(500, 3))
    y = rng.integers(0, K, 500)
    statistic, dof, p = feature_p_values(codes, [6, 5, 5], y, n_classes=K)  # feature 0: bin 5 never used
    for j in range(3):
        table = np.array([[np.sum((codes[:, j] == b) & (y == k)) for k in range(K)] for b in range(5)])
        expected = chi2_contingency(table, correction=False)
        np.testing.assert_allclose(statistic[j], expected.statistic, rtol=1e-10)
        assert dof[j] == expected.dof and p[j] == pytest.approx(expected.pvalue, rel=1e-8)


def test_regression_statistic_is_the_between_bins_sum_of_squares_over_the_variance():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, size=(400, 1))
    y = rng.normal(size=400) + 0.3 * codes[:, 0]
    statistic, dof, p = feature_p_values(codes, [4], y)
    means = np.array([y[codes[:, 0] == b].mean() for b in range(4)])
    counts = np.bincount(codes[:, 0], minlength=4)
    expected = np.sum(counts * (means - y.mean()) ** 2) / y.var()
    np.testing.assert_allclose(statistic[0], expected, rtol=1e-10)
    assert dof[0] == 3 and p[0] == pytest.approx(chi2.sf(expected, 3))


@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), classes=st.sampled_from([None, 2, 3]))
def test_integer_weights_are_repeated_rows_and_a_constant_feature_is_never_kept(seed, classes):
    rng = np.random.default_rng(seed)
    n = 120
    codes = np.column_stack([rng.integers(0, 4, n), np.zeros(n, dtype=int)])
    y = rng.integers(0, classes, n) if classes else rng.normal(size=n)
    w = rng.integers(0, 3, n) + (np.arange(n) == 0)
    weighted = feature_p_values(codes, [4, 4], y, w, n_classes=classes)
    repeated = feature_p_values(np.repeat(codes, w, axis=0), [4, 4], np.repeat(y, w), n_classes=classes)
    for a, b in zip(weighted, repeated):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert weighted[1][1] == 0 and weighted[2][1] == 1.0  # one bin: nothing to test
    assert 1 not in screened_features(weighted[2], 0.05).tolist() or weighted[2][0] == 1.0
