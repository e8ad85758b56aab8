"""Which features carry any signal at all: a score test per feature, before the fit.

A wide table of counters is mostly noise: fitting a step function to each noise column costs
time and held-out loss (docs/design.md#feature-screening). Each feature's bins split the
training rows into groups; under the null hypothesis that the target does not depend on the
feature, the groups' target means equal the overall mean. The score (Lagrange multiplier)
test of the intercept-only model against the model with one score per bin is, per feature:

- classification (K classes): Pearson's chi-square of the bins x classes table of (repeated-row)
  counts, ``sum_b sum_k (O_bk - E_bk)**2 / E_bk`` with ``E_bk = n_b p_k``, on
  ``(B - 1)(K - 1)`` degrees of freedom (B: the bins with rows);
- regression: ``sum_b W_b (mean_b - mean)**2 / s**2``, with ``s**2`` the target's variance, on
  ``B - 1`` degrees of freedom.

Both are asymptotically chi-square under the null; the p-values are its upper tail. Rows count
as their :func:`~embedsum._sample_weights.sample_weight_counts` (repeated rows), so integer
weights give the statistic of the repeated table. A feature whose effect shows only together
with another feature's (no marginal signal at all) is not seen by this test.
"""

from __future__ import annotations

import numpy as np

from .._sample_weights import sample_weight_counts


def feature_p_values(codes, n_bins, target, sample_weight=None, *, n_classes: int | None = None):
    """Score-test statistics, degrees of freedom and p-values of every feature.

    ``codes`` (n, d) are the training bin codes, ``n_bins`` each feature's number of bins;
    ``target`` holds class indices (``n_classes`` of them, K >= 2) or, with ``n_classes=None``,
    real numbers (regression). Returns three arrays of length d. A feature whose rows all fall
    in one bin has statistic 0, 0 degrees of freedom and p-value 1.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 4, size=(2000, 2))
    >>> y = (rng.random(2000) < np.where(codes[:, 0] > 1, 0.7, 0.3)).astype(int)  # feature 0 matters
    >>> statistic, dof, p = feature_p_values(codes, [4, 4], y, n_classes=2)
    >>> dof.tolist(), bool(p[0] < 1e-50), bool(p[1] > 1e-3)
    ([3, 3], True, True)
    """
    from scipy.stats import chi2  # fitting-only

    codes = np.asarray(codes)
    n, d = codes.shape
    counts = np.ones(n) if sample_weight is None else sample_weight_counts(sample_weight)
    statistic, dof = np.zeros(d), np.zeros(d, dtype=np.intp)
    total = float(counts.sum())
    if n_classes is not None:
        target = np.asarray(target, dtype=np.intp)
        class_share = np.bincount(target, weights=counts, minlength=n_classes) / total
        present = class_share > 0
        for j in range(d):
            B = int(n_bins[j])
            observed = np.bincount(codes[:, j].astype(np.intp) * n_classes + target, weights=counts,
                                   minlength=B * n_classes).reshape(B, n_classes)[:, present]
            rows = observed.sum(axis=1)
            used = rows > 0
            expected = rows[used, None] * class_share[present]
            statistic[j] = float(np.sum((observed[used] - expected) ** 2 / expected))
            dof[j] = (int(used.sum()) - 1) * (int(present.sum()) - 1)
    else:
        y = np.asarray(target, dtype=np.float64)
        mean = float(np.sum(counts * y)) / total
        variance = float(np.sum(counts * (y - mean) ** 2)) / total
        for j in range(d):
            B = int(n_bins[j])
            W = np.bincount(codes[:, j], weights=counts, minlength=B)
            G = np.bincount(codes[:, j], weights=counts * (y - mean), minlength=B)
            used = W > 0
            statistic[j] = float(np.sum(G[used] ** 2 / W[used])) / variance if variance > 0 else 0.0
            dof[j] = int(used.sum()) - 1
    p = np.ones(d)
    tested = dof > 0
    p[tested] = chi2.sf(statistic[tested], dof[tested])
    return statistic, dof, p


def screened_features(p_values, level: float) -> np.ndarray:
    """The features kept at family-wise ``level`` (Bonferroni: p < level / d); at least one,
    the most significant, is always kept.

    Example
    -------
    >>> screened_features(np.array([0.5, 1e-9, 0.03]), 0.05).tolist()
    [1]
    """
    p = np.asarray(p_values, dtype=np.float64)
    keep = np.flatnonzero(p < level / len(p))
    return keep if len(keep) else np.array([int(np.argmin(p))])
