"""Fairness as a constraint of the fit: group disparities bounded inside the solve.

For a binary classifier, a group's *mean score* is the weighted mean, over its training
rows, of ``sigmoid(z_i)`` (``scale="probability"``) or of ``z_i`` (``scale="decision"``);
for equal opportunity only the group's positive rows count. Each mean is a data term of the
objective's own kind (a weighted mean over binned rows), so an engine of
:mod:`embedsum.training._objective` evaluates it and its gradient exactly. Demographic
parity and equal opportunity bound every difference between two groups' means:
``m_g - m_h <= tolerance`` for every ordered pair of groups.

The constrained problem is solved by an augmented Lagrangian around L-BFGS-B (Nocedal and
Wright, ch. 17): for inequality constraints ``c_j(theta) <= 0`` the solver minimises
``f(theta) + sum_j (max(0, lam_j + mu c_j(theta))**2 - lam_j**2) / (2 mu)``, then updates
``lam_j <- max(0, lam_j + mu c_j)`` and, while the violation does not shrink fast enough,
raises ``mu``; each solve starts where the last one ended. The result is one deterministic
model (no randomised mixture, no group-specific threshold) whose disparities hold on the
training data to the tolerance (docs/design.md#fairness-constraints).
"""

from __future__ import annotations

import numpy as np

from ._losses import Loss, log_loss_terms
from ._objective import EmbeddingSumObjective


# The bound a tolerance of 0 holds to (an equality of means holds only up to rounding).
_EXACT = 1e-9


class _MeanProbability(Loss):
    """``sigmoid(z)`` as a per-row "loss": the data term is the weighted mean probability."""

    name, history_name = "mean_probability", "mean_probability"

    def loss_gradient(self, z, y):
        _, p = log_loss_terms(z, np.zeros_like(z))  # sigmoid(z) - 0, stable for any z
        return p, p * (1.0 - p)


class _MeanDecision(Loss):
    """``z`` as a per-row "loss": the data term is the weighted mean decision value."""

    name, history_name = "mean_decision", "mean_decision"

    def loss_gradient(self, z, y):
        return z.copy(), np.ones_like(z)


class GroupMean:
    """The weighted mean score of a set of training rows and its gradient in ``coef``.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> mean = GroupMean(np.array([[0], [1], [1]]), np.ones(3), ParameterLayout([3]), "decision")
    >>> value, grad = mean.value_gradient(np.array([1.0, 4.0, 0.0, 0.5]))
    >>> value, grad.tolist()  # (1 + 4 + 4) / 3 + 0.5
    (3.5, [0.3333333333333333, 0.6666666666666666, 0.0, 1.0])
    """

    def __init__(self, codes, sample_weight, layout, scale: str = "probability"):
        loss = _MeanProbability() if scale == "probability" else _MeanDecision()
        self.objective = EmbeddingSumObjective(codes, np.zeros(len(codes)), sample_weight, layout, loss=loss,
                                               n_threads=1)

    def value_gradient(self, coef: np.ndarray) -> tuple[float, np.ndarray]:
        return self.objective.loss_gradient(coef)


def disparity_constraints(codes, y, sample_weight, groups, layout, *, kind: str = "demographic_parity",
                          scale: str = "probability"):
    """The group means that bound a disparity: ``(names of the groups, [GroupMean per group])``.

    ``groups`` holds each row's group (any hashable values; at least two groups). For
    ``kind="equal_opportunity"`` only the rows with ``y == 1`` count. A group without rows
    that count is left out (it has no mean).
    """
    if kind not in ("demographic_parity", "equal_opportunity"):
        raise ValueError(f"fairness must be 'demographic_parity' or 'equal_opportunity', got {kind!r}")
    if scale not in ("probability", "decision"):
        raise ValueError(f"scale must be 'probability' or 'decision', got {scale!r}")
    groups = np.asarray(groups)
    w = np.asarray(sample_weight, dtype=np.float64)
    counts = w > 0
    if kind == "equal_opportunity":
        counts &= np.asarray(y) == 1
    names, means = [], []
    for g in np.unique(groups[counts]):
        rows = counts & (groups == g)
        names.append(g.item() if hasattr(g, "item") else g)
        means.append(GroupMean(np.asarray(codes)[rows], w[rows], layout, scale))
    if len(means) < 2:
        raise ValueError("a disparity needs at least two groups with rows that count")
    return names, means


class AugmentedLagrangian:
    """``f`` plus the augmented-Lagrangian terms of ``m_g - m_h - tolerance <= 0`` for every
    ordered pair of the group means (see the module docstring)."""

    def __init__(self, objective, means: list, tolerance: float, mu: float, multipliers: np.ndarray):
        self.objective, self.means, self.tolerance = objective, means, tolerance
        self.mu, self.multipliers = mu, multipliers
        self.pairs = [(g, h) for g in range(len(means)) for h in range(len(means)) if g != h]
        self.last_components: dict = {}
        self.last_violations = np.zeros(len(self.pairs))

    def constraint_values(self, coef) -> tuple[np.ndarray, list]:
        values, grads = zip(*(m.value_gradient(coef) for m in self.means))
        return np.array(values), list(grads)

    def loss_gradient(self, coef):
        loss, grad = self.objective.loss_gradient(coef)
        values, grads = self.constraint_values(coef)
        penalty = 0.0
        grad = grad.copy()
        for j, (g, h) in enumerate(self.pairs):
            c = values[g] - values[h] - self.tolerance
            self.last_violations[j] = c
            active = max(0.0, self.multipliers[j] + self.mu * c)
            penalty += (active * active - self.multipliers[j] ** 2) / (2.0 * self.mu)
            if active > 0.0:
                grad += active * (grads[g] - grads[h])
        self.last_components = dict(self.objective.last_components, fairness=penalty)
        return loss + penalty, grad


def solve_with_disparity_bound(objective, means: list, tolerance: float, x0: np.ndarray, solve, *,
                               max_outer: int = 30, mu: float = 10.0, feasibility: float = 1e-3):
    """Minimise ``objective`` subject to every pairwise difference of ``means`` being at most
    ``tolerance``; ``solve(problem, x0)`` runs the inner L-BFGS-B solve and returns its result.

    The bound is met with room: the inner problems target ``tolerance * (1 - feasibility)``,
    and the loop ends once the true disparity is within ``tolerance`` and the multipliers
    have settled. Equal means (a tolerance below ``_EXACT``) hold up to ``_EXACT``: rounding
    alone leaves differences of ~1e-16. Returns ``(result of the last solve, multipliers,
    largest disparity)``.
    """
    if not tolerance >= 0 or not np.isfinite(tolerance):
        raise ValueError(f"fairness_tolerance must be a finite number >= 0, got {tolerance!r}")
    target = tolerance * (1.0 - feasibility)
    allowed = max(tolerance, _EXACT)
    problem = AugmentedLagrangian(objective, means, target, mu, np.zeros(len(means) * (len(means) - 1)))
    x, previous = np.asarray(x0, dtype=np.float64), np.inf
    result = None
    for _ in range(max_outer):
        result = solve(problem, x)
        x = result.coef
        values, _ = problem.constraint_values(x)
        violations = np.array([values[g] - values[h] - target for g, h in problem.pairs])
        new = np.maximum(0.0, problem.multipliers + problem.mu * violations)
        disparity = float(values.max() - values.min())
        settled = np.allclose(new, problem.multipliers, rtol=1e-3, atol=1e-8)
        problem.multipliers = new
        worst = float(violations.max())
        if disparity <= allowed and (settled or worst <= 0.0 and not new.any()):
            break
        if worst > 0.25 * previous:  # not shrinking fast enough: a stiffer penalty
            problem.mu *= 10.0
        previous = max(worst, 0.0)
    values, _ = problem.constraint_values(x)
    return result, problem.multipliers, float(values.max() - values.min())
