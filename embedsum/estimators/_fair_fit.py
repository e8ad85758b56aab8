"""A fit with a bounded disparity between groups: the groups read and checked, the bounded solve.

The estimators' ``fairness`` and ``fairness_tolerance`` (docs/design.md#fairness-constraints):
:func:`fairness_groups` reads ``fit``'s ``sensitive_features`` and refuses what the task cannot
bound; :func:`solve_fair` solves again from the unconstrained optimum with the bound, through
:mod:`embedsum.training._fairness`.
"""

from __future__ import annotations

import numpy as np


def fairness_groups(estimator, sensitive_features, n_rows: int, n_outputs: int):
    """Each row's group when ``fairness`` asks for a bound (else None), checked against the task."""
    if estimator.fairness is None:
        if sensitive_features is not None:
            raise ValueError("sensitive_features is used with fairness='demographic_parity' or "
                             "'equal_opportunity' only; set fairness, or leave sensitive_features out.")
        return None
    if n_outputs > 1:
        raise ValueError("fairness bounds a disparity of binary classifiers and regressors; "
                         "this classifier has more than two classes.")
    if estimator._kind == "regressor" and estimator.fairness != "demographic_parity":
        raise ValueError(f"fairness={estimator.fairness!r} needs a binary classifier; a regressor "
                         f"takes fairness='demographic_parity'.")
    if sensitive_features is None:
        raise ValueError(f"fairness={estimator.fairness!r} needs fit(..., sensitive_features=...): each row's group.")
    groups = np.asarray(sensitive_features)
    if groups.ndim == 2:  # several columns: their combinations are the groups, named "a, b"
        groups = np.array([", ".join(str(v) for v in row) for row in groups.tolist()])
    if groups.ndim != 1 or len(groups) != n_rows:
        raise ValueError(f"sensitive_features must hold one group per row ({n_rows}), "
                         f"got shape {np.shape(sensitive_features)}")
    if groups.dtype == object:  # mixed values: compared as text
        groups = np.array([str(v) for v in groups.tolist()])
    return groups


def solve_fair(estimator, objective, codes, target, sw, layout, groups, free, solve, parameterization, y_scale):
    """The solve again from the unconstrained optimum ``free``, with the disparity bounded."""
    from ..training._fairness import disparity_constraints, solve_with_disparity_bound  # fitting-only

    scale = "probability" if estimator._kind == "classifier" else "decision"
    names, means = disparity_constraints(codes, target, sw, groups, layout, kind=estimator.fairness, scale=scale)
    to_coef = (lambda u: u) if parameterization is None else parameterization.to_coef
    n_iter = [free.n_iter]

    def solve_in_coef(problem, coef):
        start = coef if parameterization is None else parameterization.from_coef(coef)
        result = solve(problem, start)
        n_iter.append(result.n_iter)
        result.coef = to_coef(result.coef)
        return result

    # Regression is solved in units of y / y_scale: so is its bound.
    tolerance = float(estimator.fairness_tolerance) / y_scale
    result, _, disparity = solve_with_disparity_bound(objective, means, tolerance, to_coef(free.coef),
                                                      solve_in_coef)
    result.coef = result.coef if parameterization is None else parameterization.from_coef(result.coef)
    result.n_iter = int(sum(n_iter))
    result.disparity = disparity * y_scale
    result.groups = names
    return result
