"""The regularisation path of the cross-validated estimators, and the held-out scores it ranks candidates by.

Every fold fits every candidate on the same bins and in the same parameter layout, warm-started
along each path from strong to weak regularisation (docs/design.md#cross-validation).
"""

from __future__ import annotations

import numpy as np

from ..training._layout import ParameterLayout
from ..training._objective import log_loss_terms, softmax_loss_terms


def held_out_log_loss(y, z, sample_weight) -> float:
    """Weighted mean log-loss of targets y at decision values z (exact, no clipping).

    Binary: ``y`` holds 0/1 and ``z`` the log-odds, shape (n,). Multiclass: ``y`` holds
    class indices and ``z`` the K class scores, shape (n, K); the loss of a row is
    ``logsumexp(z_i) - z_i[y_i]``. The mean is ``sum(w * loss) / sum(w)``.

    Example
    -------
    >>> import numpy as np
    >>> round(held_out_log_loss(np.array([0.0, 1.0]), np.zeros(2), np.array([1.0, 3.0])), 6)
    0.693147
    >>> round(held_out_log_loss(np.array([2, 0]), np.zeros((2, 3)), np.ones(2)), 6)  # log(3)
    1.098612
    """
    z = np.array(z, dtype=np.float64)
    if z.ndim == 2:
        loss, _ = softmax_loss_terms(z, np.asarray(y).astype(np.intp))
    else:
        loss, _ = log_loss_terms(z, np.asarray(y, dtype=np.float64))
    return float(np.sum(loss * sample_weight) / np.sum(sample_weight))


def held_out_squared_error(y, z, sample_weight) -> float:
    """Weighted mean squared error ``sum(w * (z - y)**2) / sum(w)`` of predictions z.

    Example
    -------
    >>> import numpy as np
    >>> held_out_squared_error(np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([1.0, 3.0]))
    0.25
    """
    residual = np.asarray(z, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return float(np.sum(sample_weight * residual**2) / np.sum(sample_weight))


def _decision(coef: np.ndarray, codes: np.ndarray, layout: ParameterLayout) -> np.ndarray:
    """Decision values of binned rows: (n,) with one output, (n, K) with K."""
    z = layout.table(coef)[codes.astype(np.intp) + layout.offsets[:-1]].sum(axis=1)
    z += layout.intercepts(coef)
    return z[:, 0] if layout.n_outputs == 1 else z


def regularization_path(solve, score, codes, y, sample_weight, layout: ParameterLayout, folds, paths) -> dict:
    """Fit every fold along every path of candidates, warm-starting each fit from the previous.

    ``solve(candidate, codes, y, sample_weight, layout, x0)`` returns a
    :class:`~embedsum.training._solver.SolverResult`; ``score(y, z, sample_weight)`` scores the
    held-out rows at decision values ``z`` ((n,), or (n, K) with K outputs; lower is
    better). ``paths`` is a list of lists of candidates (any objects ``solve``
    understands); within a path the fits are warm-started in order, so order each path
    from strong to weak regularisation. The first fit of a path starts from the previous
    fold's first fit of that path (the folds share the layout): the strongest
    regularisation is the slowest to fit from zero.

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
    >>> path = regularization_path(solve, held_out_log_loss, codes, y, np.ones(20), layout, folds, [[1.0, 0.0]])
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
                result = solve(candidate, codes_train, y[train], sample_weight[train], layout, x0)
                x0 = result.coef
                if j == 0:
                    path_starts[p] = result.coef
                scores[i, k] = score(y[test], _decision(result.coef, codes_test, layout), sample_weight[test])
                n_iter[i, k], converged[i, k], coefs[i, k] = result.n_iter, result.converged, result.coef
                i += 1
    return {"scores": scores, "n_iter": n_iter, "converged": converged, "coefs": coefs}
