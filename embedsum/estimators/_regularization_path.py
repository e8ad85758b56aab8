"""The regularisation path of the cross-validated estimators.

Every fold fits every candidate on the same bins and in the same parameter layout, warm-started
along each path from strong to weak regularisation (docs/design.md#cross-validation).
"""

from __future__ import annotations

import numpy as np

from ..training._layout import ParameterLayout
from ..scoring._decision import decision_values_of_codes


def _decision(coef: np.ndarray, codes: np.ndarray, layout: ParameterLayout) -> np.ndarray:
    """Decision values of binned rows, (n,) with one output and (n, K) with K: the scoring
    contract's codes -> decision function (docs/design.md#scoring-contract)."""
    scores, intercept = layout.split(coef)
    return decision_values_of_codes([codes[:, j] for j in range(layout.n_features)], scores, intercept)


def regularization_path(solve, score, codes, y, sample_weight, layout: ParameterLayout, folds, paths,
                        groups=None) -> dict:
    """Fit every fold along every path of candidates, warm-starting each fit from the previous.

    ``solve(candidate, codes, y, sample_weight, layout, x0)`` returns a
    :class:`~embedsum.training._solver.SolverResult`; ``score(y, z, sample_weight)`` scores the
    held-out rows at decision values ``z`` ((n,), or (n, K) with K outputs; lower is
    better). ``paths`` is a list of lists of candidates (any objects ``solve``
    understands); within a path the fits are warm-started in order, so order each path
    from strong to weak regularisation. The first fit of a path starts from the previous
    fold's first fit of that path (the folds share the layout): the strongest
    regularisation is the slowest to fit from zero. With ``groups`` (each row's group, for a
    fairness bound), ``solve`` also gets the training rows' groups as ``groups=``.

    Returns a dict of arrays indexed ``[candidate, fold]`` (candidates in path order):
    ``"scores"``, ``"n_iter"``, ``"converged"``, and ``"coefs"`` (``[candidate, fold, param]``).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier, ParameterLayout
    >>> from embedsum.estimators._folds import stratified_folds
    >>> codes, y = np.array([[0], [0], [1], [1]] * 5), np.array([0.0, 1.0, 1.0, 1.0] * 5)
    >>> layout = ParameterLayout([3], [[0.5, 0.5, 0.0]])
    >>> def solve(weight, codes, y, w, layout, x0):
    ...     return EmbeddingSumClassifier(step_loss_weight=weight)._solve(codes, y, w, layout, x0)
    >>> folds = stratified_folds(y, 2, random_state=0)
    >>> from embedsum.training._losses import LOSSES
    >>> path = regularization_path(solve, LOSSES["log"].held_out, codes, y, np.ones(20), layout, folds, [[1.0, 0.0]])
    >>> path["scores"].shape, path["coefs"].shape
    ((2, 2), (2, 2, 4))
    """
    candidates = [c for path in paths for c in path]
    n_folds = len(folds)
    scores = np.empty((len(candidates), n_folds))
    n_iter = np.zeros((len(candidates), n_folds), dtype=np.intp)
    converged = np.zeros((len(candidates), n_folds), dtype=bool)
    coefs = np.empty((len(candidates), n_folds, layout.n_params))
    path_starts = [None] * len(paths)
    for k, (train, test) in enumerate(folds):
        codes_train, codes_test = codes[train], codes[test]
        i = 0
        for p, path in enumerate(paths):
            # The folds share the bins and overlap in most rows: the previous fold's model at the
            # head of the path (the strongest regularisation, the slowest fit) is a close start.
            x0 = path_starts[p]
            for j, candidate in enumerate(path):
                extra = {} if groups is None else {"groups": groups[train]}
                result = solve(candidate, codes_train, y[train], sample_weight[train], layout, x0, **extra)
                x0 = result.coef
                if j == 0:
                    path_starts[p] = result.coef
                scores[i, k] = score(y[test], _decision(result.coef, codes_test, layout), sample_weight[test])
                n_iter[i, k], converged[i, k], coefs[i, k] = result.n_iter, result.converged, result.coef
                i += 1
    return {"scores": scores, "n_iter": n_iter, "converged": converged, "coefs": coefs}
