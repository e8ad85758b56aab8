"""Pair terms in the cross-validated estimators: whether they help, and how strongly to penalise them.

After the main effects' path has chosen the step-loss weight (docs/design.md#cross-validation),
each fold ranks the pairs on its own training rows (from its own main-effects model at the
chosen weight, so that the held-out rows never choose a pair), adds at most ``interactions``
of them and fits them at each ``interaction_weights`` candidate, from strong to weak, each fit
warm-started from the fold's previous one; the path stops at the first candidate that does not
improve on the best mean held-out score so far, the main effects' included (weaker penalties fit
more slowly). A candidate whose mean held-out score beats the main
effects' alone wins (docs/design.md#pair-terms); otherwise the model keeps no pairs.
"""

from __future__ import annotations

import functools

import numpy as np

from ..scoring._codes import decision_values_of_codes
from ._pairs import PairAxes, choose_pairs, pair_problem, pair_record, resolve_interactions, with_pairs


def _decisions(coef, codes, layout):
    tables, intercept = layout.term_views(coef)
    return decision_values_of_codes([codes[:, t] for t in range(layout.n_terms)], tables, intercept)


def pair_candidates(model) -> list:
    """The ``interaction_weights`` to try, strong to weak (each a multiple of the step-loss weight)."""
    return sorted((float(w) for w in model.interaction_weights), reverse=True)


def cross_validate_pairs(model, axes: PairAxes, codes, target, sw, layout, bins_layout, folds, fold_coefs,
                         main_scores, final, monotonic_cst, held_out, names, groups=None) -> dict:
    """Each ``interaction_weights`` candidate's held-out scores with pairs, beside the main effects'.

    ``layout`` and ``codes`` are the main effects' (of the kept features), ``fold_coefs[k]`` fold
    k's main-effects model at the chosen weights and ``main_scores[k]`` its held-out score;
    ``final`` is the estimator at the chosen weights, fitted again with each ``interaction_weight``.
    Returns ``{"interaction_weight": [...], "scores": (candidates, folds)}``, the candidates tried
    (the path stops at the first candidate that does not improve on the best so far; empty lists
    when there is nothing to try).
    """
    explicit, n_auto = resolve_interactions(model.interactions, layout.n_features, names, monotonic_cst)
    weights = pair_candidates(model)
    if (not explicit and n_auto == 0) or not weights:
        return {"interaction_weight": [], "scores": np.empty((0, len(folds))), "chosen": None}
    loss = model._loss(layout.n_outputs)
    problems = []  # per fold: its pairs' codes, layout and start, or None when no pair gains
    for k, (train, test) in enumerate(folds):
        pairs = explicit or choose_pairs(axes, n_auto, fold_coefs[k], codes, target, sw, loss, monotonic_cst,
                                         layout, rows=train)
        if not pairs:
            problems.append(None)
            continue
        fold_codes, full = pair_problem(axes, pairs, sw, codes, bins_layout, rows=train)
        problems.append([fold_codes, full, with_pairs(fold_coefs[k], layout, full.n_bin_rows - layout.n_bin_rows)])
    scores = []
    for weight in weights:  # strong to weak, each fold warm-started from its previous fit
        row = np.array(main_scores, dtype=np.float64)
        for k, ((train, test), problem) in enumerate(zip(folds, problems)):
            if problem is None:
                continue
            fold_codes, full, x0 = problem
            result = _with_weight(final, weight)._solve(
                fold_codes[train], target[train], sw[train], full, x0, warn=False, limit_blas_threads=False,
                monotonic_cst=monotonic_cst, groups=None if groups is None else groups[train])
            problem[2] = result.coef
            row[k] = held_out(target[test], _decisions(result.coef, fold_codes[test], full), sw[test])
        scores.append(row)
        # Weaker penalties fit more slowly: stop at the first candidate that does not improve on
        # the best mean held-out score so far, the main effects' alone included.
        if row.mean() >= min([float(np.mean(main_scores))] + [r.mean() for r in scores[:-1]]):
            break
    weights = weights[:len(scores)]
    scores = np.array(scores).reshape(len(scores), len(folds))
    return {"interaction_weight": weights, "scores": scores, "chosen": None}


def fit_final_pairs(model, axes: PairAxes, codes, target, sw, layout, bins_layout, coef, estimator,
                    monotonic_cst, names, groups=None):
    """The final model with pairs: ranked on all rows from the final main effects ``coef``, fitted
    by ``estimator`` (at the chosen ``interaction_weight``) from there. Returns ``(layout, codes, result)``, or
    None when no pair gains anything on all rows."""
    explicit, n_auto = resolve_interactions(model.interactions, layout.n_features, names, monotonic_cst)
    pairs = explicit or choose_pairs(axes, n_auto, coef, codes, target, sw, model._loss(layout.n_outputs),
                                     monotonic_cst, layout)
    if not pairs:
        return None
    all_codes, full = pair_problem(axes, pairs, sw, codes, bins_layout)
    x0 = with_pairs(coef, layout, full.n_bin_rows - layout.n_bin_rows)
    result = estimator._solve(all_codes, target, sw, full, x0, warn=False, limit_blas_threads=False,
                              monotonic_cst=monotonic_cst, groups=groups)
    return full, all_codes, result


def pairs_by_cross_validation(model, bins, kept, codes, target, sw, layout, folds, path, best, coef, final,
                              monotonic_cst, names, groups=None):
    """The cross-validated estimator's pair stage, after its main effects (see the module docstring).

    ``layout``/``codes`` are the main effects' over the kept features (``kept``: their indices,
    or None for all), ``path``/``best`` the main effects' regularisation path and choice,
    ``coef`` the final main-effects model and ``final`` the estimator at the chosen weights.
    Returns ``(fitted, results)``: ``results`` the candidates' held-out scores and the weight
    ``"chosen"`` (None: the main effects alone won); ``fitted`` None when pairs do not win, else
    ``(layout, codes, result, PairRecord, estimator)`` with the pairs' features as indices of
    all features.
    """
    features = np.arange(len(bins.n_bins)) if kept is None else np.asarray(kept)
    axes = PairAxes(bins, sw, axis_bins=model.interaction_bins, binning=model.binning,
                    min_bin_count=model.min_bin_count, features=features)
    sub_names = None if names is None else [names[j] for j in features]

    bins_layout = functools.partial(bins.layout, layout.n_outputs, features=features)
    held_out = model._loss(layout.n_outputs).held_out
    results = cross_validate_pairs(model, axes, codes, target, sw, layout, bins_layout, folds, path["coefs"][best],
                                   path["scores"][best], final, monotonic_cst, held_out, sub_names, groups)
    if not len(results["interaction_weight"]):
        return None, results
    means = results["scores"].mean(axis=1)
    winner = int(np.argmin(means))
    if not means[winner] < path["scores"][best].mean():
        return None, results
    weight = results["interaction_weight"][winner]
    estimator = _with_weight(final, weight)
    fitted = fit_final_pairs(model, axes, codes, target, sw, layout, bins_layout, coef, estimator,
                             monotonic_cst, sub_names, groups)
    if fitted is None:
        return None, results
    full, all_codes, result = fitted
    results["chosen"] = weight
    record = pair_record(full, result.coef, axes, bins.is_categorical, features)
    return (full, all_codes, result, record, estimator), results


def _with_weight(estimator, weight: float):
    """A copy of ``estimator`` (unfitted) with ``interaction_weight=weight``."""
    return type(estimator)(**dict(estimator.get_params(), interaction_weight=float(weight)))
