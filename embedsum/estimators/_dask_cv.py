"""The cross-validated fit over a Dask collection: the in-memory folds as row masks on the workers,
the grid walked as in memory (docs/design.md#cross-validation, docs/design.md#dask).

The folds are dealt on the client by the estimator's own dealer from the encoded target and
the weights (one value per row each), so they are the in-memory folds of the same rows; each
partition receives its rows' fold numbers. Each fold's training rows are one
:class:`~embedsum.estimators._dask_fit.DaskRows` whose engines serve every candidate of the
grid, walked from strong to weak regularisation with the same warm starts as
:func:`~embedsum.estimators._regularization_path.regularization_path`; the held-out score is
summed per partition over the fold's test rows.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._dask_fit import DaskRows, _check_supported, _check_two_classes, dask_training


def _check_cv_supported(model, n_features: int, screened_from: int) -> None:
    if not isinstance(model.cv, numbers.Integral):
        raise ValueError("with Dask data, cv must be an int (the number of folds): a splitter's row "
                         "indices would need the rows on the client.")
    screening = model.screening
    if screening is not None and not (screening == "auto" and (model.uncertainty or n_features <= screened_from)):
        raise ValueError("screening is not available for a fit over Dask data; use screening=None.")


def _fold_path(model, table, targets, layout, folds, paths, cst) -> dict:
    """Every candidate of ``paths`` fitted on every fold and scored on its test rows: the dict of
    :func:`~embedsum.estimators._regularization_path.regularization_path`."""
    from ..distributed._folds import fold_masks, held_out_score

    client = table.parts.client
    loss = model._loss(layout.n_outputs)
    candidates = [c for path in paths for c in path]
    n_folds = model.cv
    scores = np.empty((len(candidates), n_folds))
    n_iter = np.zeros((len(candidates), n_folds), dtype=np.intp)
    converged = np.zeros((len(candidates), n_folds), dtype=bool)
    coefs = np.empty((len(candidates), n_folds, layout.n_params))
    path_starts = [None] * len(paths)
    for k in range(n_folds):
        rows = DaskRows(model, table, targets, layout, rows=fold_masks(client, folds, k, train=True))
        test = fold_masks(client, folds, k, train=False)
        i = 0
        for p, path in enumerate(paths):
            x0 = path_starts[p]  # as in memory: the previous fold's fit at the head of the path
            for j, candidate in enumerate(path):
                result = rows.solve(model._candidate_estimator(*candidate), x0, monotonic_cst=cst)
                x0 = result.coef
                if j == 0:
                    path_starts[p] = result.coef
                scores[i, k] = held_out_score(client, table.codes, targets.target, targets.weights, test, result.coef,
                                              layout, loss, targets.top)
                n_iter[i, k], converged[i, k], coefs[i, k] = result.n_iter, result.converged, result.coef
                i += 1
        rows.close()
    return {"scores": scores, "n_iter": n_iter, "converged": converged, "coefs": coefs}


def cv_fit_dask(model, X, y, sample_weight=None, sensitive_features=None, *, choice, screened_from: int):
    """The cross-validated fit of ``model`` (a CV estimator) on Dask data; returns the model.

    ``choice(path, paths)`` chooses among the candidates as the in-memory fit does; a table of more
    than ``screened_from`` features would be screened, which needs its codes: refused.
    """
    from ..distributed._folds import gather_rows, scatter_folds

    model._check_params()
    _check_supported(model, sensitive_features)
    classifier = model._kind == "classifier"
    names, bins, targets, table = dask_training(model, X, y, sample_weight, classifier)
    _check_cv_supported(model, len(bins.n_bins), screened_from)
    n_outputs = model._n_outputs_for(targets.classes)
    _check_two_classes(targets, n_outputs)
    client = table.parts.client
    # The in-memory dealer on the target and the weights (a value per row each): the same folds.
    target = gather_rows(client, targets.target)
    sw = np.ones(len(target)) if targets.weights is None else gather_rows(client, targets.weights)
    sw = sw / sw.max()
    folds = model._checked_folds(None, None, target, sw, n_outputs)
    fold = np.full(len(target), -1, dtype=np.intp)
    for k, (_, test) in enumerate(folds):
        fold[test] = k
    fold_futures = scatter_folds(client, fold, table.parts.n_rows)
    paths = model._grid(sw, categorical=bool(np.asarray(bins.is_categorical).any()))
    del target, sw, fold, folds

    layout = bins.layout(n_outputs)
    cst = model._monotonic(bins, names, n_outputs)
    path = _fold_path(model, table, targets, layout, fold_futures, paths, cst)
    best, candidate, coef = choice(path, paths)
    n_iter = int(path["n_iter"].sum())
    final = model._candidate_estimator(*candidate)
    rows = DaskRows(model, table, targets, layout)
    if model.average_folds:
        converged = bool(path["converged"][best].all())
        history = rows.history_at(final, coef)
    else:
        result = rows.solve(final, coef, monotonic_cst=cst)
        coef, converged, history = result.coef, result.converged, result.history
        n_iter += result.n_iter
    rows.close()
    if not converged:
        model._warn_not_converged(*candidate[:2], stacklevel=3)  # at the caller of fit
    model._set_fitted_bins(bins, layout.split(coef), monotonic_cst=cst, names=names, classes=targets.classes,
                           n_iter=n_iter, history=history)
    model._record(path, paths, best, model.cv, [], names)
    # Pairs are not cross-validated over Dask data yet: the model is its main effects.
    model.pair_cv_results_ = {"interaction_weight": [], "scores": np.empty((0, model.cv)), "chosen": None,
                              "main_effects": path["scores"][best].copy()}
    model.interaction_weight_ = None
    return model
