"""The preconditioned L-BFGS-B solve of a built objective, in memory or over Dask partitions.

One place for what every fit does once its objective exists: scale each coordinate by the
square root of its bin's training weight, solve monotone features through their bounded
differences, and return the result in the usual parameters (docs/design.md#objective-and-gradient).
The objective may be the in-memory one or one summed over a cluster's partitions
(docs/design.md#dask): the solve is the same.
"""

from __future__ import annotations

import numpy as np

_SCALE_FLOOR = 0.01  # bins holding under 1% of the rows are scaled as if they held 1%


def minimize_objective(model, objective, layout, x0, *, monotonic_cst=None, limit_blas_threads: bool = True,
                       then=None, fixed=None):
    """Minimise ``objective`` from ``x0`` with ``model``'s ``max_iter``, ``tol`` and ``verbose``.

    ``then(solve, parameterization, result)``, when given, continues from the first result
    (the fairness bound's outer loop) and returns the final one. The result's ``coef`` is in
    the layout's parameters, monotone features included. ``fixed`` (a boolean mask of coef
    entries and an array holding their values) keeps those entries out of the solver's vector:
    they stay at their values (docs/design.md#edits).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier, ParameterLayout
    >>> from embedsum.training._objective import EmbeddingSumObjective
    >>> layout = ParameterLayout([3], [[0.5, 0.5, 0.0]])
    >>> objective = EmbeddingSumObjective(np.array([[0], [1]] * 5), np.array([0.0, 1.0] * 5), np.ones(10), layout)
    >>> result = minimize_objective(EmbeddingSumClassifier(), objective, layout, np.zeros(layout.n_params))
    >>> bool(result.converged), bool(result.coef[1] > result.coef[0])
    (True, True)
    """
    from ..training._solver import minimize_lbfgs  # imports scipy

    # The curvature of a bin's score grows with the share of rows in it, the intercept's
    # with all rows: precondition by sqrt(weight), floored where the regularisers rather
    # than the data set the curvature, relative to the heaviest bin.
    weights = layout.bin_weights.copy()
    weights[-1] = 1.0
    parameterization = None
    if monotonic_cst is not None and np.any(monotonic_cst):
        from ..training._constraints import MonotoneParameterization

        parameterization = MonotoneParameterization(layout, monotonic_cst)
        weights = parameterization.curvature_weights(weights)
    row_scale = np.sqrt(np.maximum(weights, _SCALE_FLOOR) / max(weights[:-1].max(), _SCALE_FLOOR))
    scale = np.repeat(row_scale, layout.n_outputs)
    if fixed is not None:
        from ..training._fixed import FixedCoordinates

        parameterization = FixedCoordinates(parameterization, *fixed)
        scale = parameterization.reduce(scale)
    if parameterization is not None:
        x0 = parameterization.from_coef(x0)

    def solve(problem, start):
        if parameterization is not None:
            from ..training._constraints import ReparameterizedObjective

            problem = ReparameterizedObjective(problem, parameterization)
        return minimize_lbfgs(
            problem, start, max_iter=model.max_iter, tol=model.tol, scale=scale, verbose=model.verbose,
            limit_blas_threads=limit_blas_threads,
            bounds=None if parameterization is None else parameterization.bounds,
        )

    result = solve(objective, x0)
    if then is not None:
        result = then(solve, parameterization, result)
    if parameterization is not None:
        result.coef = parameterization.to_coef(result.coef)
    return result
