"""A synthetic data set shaped like MIRAD's: per-process event counts and an attack label.

MIRAD (IEEE Access 2024) scores processes by counts of file-system events. Such counts
are mostly zero, have long tails, and differ a lot from one event type to the next.
:func:`make_mirad_like` imitates that with a gamma-Poisson (negative binomial) mixture
and draws the label from a sum of step functions of a few of the counts, so that a
step-function model is the right kind of model but cannot be exact (there is noise).

numpy only; the same seed gives the same data.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_mirad_like", "mirad_counts", "mirad_step"]

BASE_RATE = 0.2  # share of positive labels aimed for


def _intercept_for_rate(logits: np.ndarray, rate: float) -> float:
    """The shift b such that mean(sigmoid(logits + b)) == rate (bisection; deterministic)."""
    low, high = -50.0, 50.0
    for _ in range(100):
        mid = (low + high) / 2
        if np.mean(1.0 / (1.0 + np.exp(-(logits + mid)))) < rate:
            low = mid
        else:
            high = mid
    return (low + high) / 2


# A label's step function jumps at these multiples of its feature's mean count.
STEPS = np.array([0.5, 2.0, 6.0])


def mirad_counts(rng, n_rows: int, shapes, scales) -> np.ndarray:
    """Counts ``Poisson(a_i * r_ij)``: activity ``a_i ~ Gamma(2, 1/2)``, rates ``r_ij ~ Gamma(shape_j, scale_j)``."""
    activity = rng.gamma(2.0, 0.5, size=(n_rows, 1))
    rates = rng.gamma(shapes, scales, size=(n_rows, len(shapes))) * activity
    return rng.poisson(rates).astype(np.float64)


def mirad_step(column: np.ndarray, mean: float, heights: np.ndarray) -> np.ndarray:
    """A label's step function of one count column: ``heights`` summed over the steps it passes."""
    return (column[:, None] > mean * STEPS).astype(np.float64) @ heights


def make_mirad_like(n_rows: int = 100_000, n_features: int = 13, seed: int = 0):
    """Count features and a binary attack label, MIRAD-like.

    Features: ``x_ij ~ Poisson(a_i * r_ij)`` with a per-row activity
    ``a_i ~ Gamma(2, 1/2)`` (busy processes make more events of every kind, so the
    features are correlated) and a per-row, per-feature rate
    ``r_ij ~ Gamma(shape_j, scale_j)``. Shapes below 1 give many zeros and long tails;
    each feature has its own shape and scale, so the columns differ.

    Label: ``y_i ~ Bernoulli(sigmoid(b + sum_j s_j(x_ij) + e_i))`` where ``s_j`` is a step
    function with three steps at multiples of the feature's mean count, for about
    two features in three (the others are pure noise), ``e_i ~ Normal(0, 1)`` and
    ``b`` is chosen so that about 20 % of the labels are 1.

    Returns ``(X, y)``: X float64 of shape (n_rows, n_features), y int64 in {0, 1}.

    Example
    -------
    >>> X, y = make_mirad_like(1000, n_features=4, seed=1)
    >>> X.shape, bool((X == 0).mean() > 0.2), bool(0.1 < y.mean() < 0.3)
    ((1000, 4), True, True)
    """
    if n_rows < 1 or n_features < 1:
        raise ValueError("n_rows and n_features must be >= 1")
    rng = np.random.default_rng(seed)

    # Feature-level parameters: shapes from very skewed (0.1) to fairly regular (2),
    # mean counts from about 0.3 to about 300 events.
    shapes = rng.uniform(0.1, 2.0, size=n_features)
    means = np.exp(rng.uniform(np.log(0.3), np.log(300.0), size=n_features))
    scales = means / shapes

    X = mirad_counts(rng, n_rows, shapes, scales)

    # Step functions of the informative features: thresholds at 0.5, 2 and 6 times the
    # mean count, step heights drawn at random (attacks can raise or lower the odds).
    informative = rng.permutation(n_features)[: max(1, (2 * n_features) // 3)]
    logits = rng.normal(0.0, 1.0, size=n_rows)
    for j in np.sort(informative):
        logits += mirad_step(X[:, j], means[j], rng.normal(0.0, 1.0, size=len(STEPS)))
    logits += _intercept_for_rate(logits, BASE_RATE)
    y = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logits))).astype(np.int64)
    return X, y


if __name__ == "__main__":
    X, y = make_mirad_like()
    print(f"X {X.shape}, positive rate {y.mean():.3f}")
    for j in range(X.shape[1]):
        col = X[:, j]
        print(f"feature {j:2d}: zeros {np.mean(col == 0):5.1%}  median {np.median(col):7.1f}  "
              f"p99 {np.quantile(col, 0.99):8.1f}  max {col.max():9.0f}")
