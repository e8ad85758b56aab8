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

import numpy as np

from ..scoring._codes import decision_values_of_codes
from ._pairs import PairAxes, choose_pairs, resolve_interactions, with_pairs


def _pair_problem(axes: PairAxes, pairs, sw, rows, codes, layout, bins_layout):
    """The codes and the layout of the main effects plus ``pairs``, cell weights from ``rows``."""
    from ..binning._digitizer import code_dtype

    joint, shapes, weights = axes.training(pairs, sw, rows)
    full = bins_layout(pairs=pairs, pair_shapes=shapes, pair_weights=weights)
    width = max(int(np.max(layout.n_bins)), max(a * b for a, b in shapes))
    all_codes = np.empty((len(sw), full.n_terms), dtype=code_dtype(width), order="F")
    all_codes[:, :layout.n_features] = codes
    all_codes[:, layout.n_features:] = joint
    return all_codes, full


def _decisions(coef, codes, layout):
    tables, intercept = layout.term_views(coef)
    return decision_values_of_codes([codes[:, t] for t in range(layout.n_terms)], tables, intercept)


def pair_candidates(model) -> list:
    """The ``interaction_weights`` to try, strong to weak (each a multiple of the step-loss weight)."""
    return sorted((float(w) for w in model.interaction_weights), reverse=True)


def cross_validate_pairs(model, axes: PairAxes, codes, target, sw, layout, bins_layout, folds, fold_coefs,
                         main_scores, candidate, monotonic_cst, held_out, names, groups=None) -> dict:
    """Each ``interaction_weights`` candidate's held-out scores with pairs, beside the main effects'.

    ``layout`` and ``codes`` are the main effects' (of the kept features), ``fold_coefs[k]`` fold
    k's main-effects model at the chosen weights and ``main_scores[k]`` its held-out score;
    ``candidate(weight)`` returns the estimator that fits with that ``interaction_weight``.
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
        fold_codes, full = _pair_problem(axes, pairs, sw, train, codes, layout, bins_layout)
        problems.append([fold_codes, full, with_pairs(fold_coefs[k], layout, full.n_bin_rows - layout.n_bin_rows)])
    scores = []
    for weight in weights:  # strong to weak, each fold warm-started from its previous fit
        row = np.array(main_scores, dtype=np.float64)
        for k, ((train, test), problem) in enumerate(zip(folds, problems)):
            if problem is None:
                continue
            fold_codes, full, x0 = problem
            result = candidate(weight)._solve(
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


def fit_final_pairs(model, axes: PairAxes, codes, target, sw, layout, bins_layout, coef, weight, estimator,
                    monotonic_cst, names, groups=None):
    """The final model with pairs: ranked on all rows from the final main effects ``coef``, fitted
    at ``interaction_weight=weight`` from there. Returns ``(layout, codes, result, pairs)``, or
    None when no pair gains anything on all rows."""
    explicit, n_auto = resolve_interactions(model.interactions, layout.n_features, names, monotonic_cst)
    pairs = explicit or choose_pairs(axes, n_auto, coef, codes, target, sw, model._loss(layout.n_outputs),
                                     monotonic_cst, layout)
    if not pairs:
        return None
    all_codes, full = _pair_problem(axes, pairs, sw, None, codes, layout, bins_layout)
    x0 = with_pairs(coef, layout, full.n_bin_rows - layout.n_bin_rows)
    result = estimator._solve(all_codes, target, sw, full, x0, warn=False, limit_blas_threads=False,
                              monotonic_cst=monotonic_cst, groups=groups)
    return full, all_codes, result, pairs


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
    from ._pairs import PairRecord, pair_tables

    features = np.arange(len(bins.n_bins)) if kept is None else np.asarray(kept)
    axes = PairAxes(bins, sw, axis_bins=model.interaction_bins, binning=model.binning,
                    min_bin_count=model.min_bin_count, features=features)
    sub_names = None if names is None else [names[j] for j in features]

    def bins_layout(**pair_terms):
        return bins.layout(layout.n_outputs, features=features, **pair_terms)

    def candidate(weight):
        return _with_weight(final, weight)

    held_out = model._loss(layout.n_outputs).held_out
    results = cross_validate_pairs(model, axes, codes, target, sw, layout, bins_layout, folds, path["coefs"][best],
                                   path["scores"][best], candidate, monotonic_cst, held_out, sub_names, groups)
    if not len(results["interaction_weight"]):
        return None, results
    means = results["scores"].mean(axis=1)
    winner = int(np.argmin(means))
    if not means[winner] < path["scores"][best].mean():
        return None, results
    weight = results["interaction_weight"][winner]
    estimator = _with_weight(final, weight)
    fitted = fit_final_pairs(model, axes, codes, target, sw, layout, bins_layout, coef, weight, estimator,
                             monotonic_cst, sub_names, groups)
    if fitted is None:
        return None, results
    full, all_codes, result, pairs = fitted
    results["chosen"] = weight
    tables, cell_weights = pair_tables(full, result.coef, axes, np.asarray(bins.is_categorical)[features])
    original = [(int(features[a]), int(features[b])) for a, b in pairs]
    record = PairRecord(original, [(axes.cuts[a], axes.cuts[b]) for a, b in pairs], tables, cell_weights)
    return (full, all_codes, result, record, estimator), results


def _with_weight(estimator, weight: float):
    """A copy of ``estimator`` (unfitted) with ``interaction_weight=weight``."""
    return type(estimator)(**dict(estimator.get_params(), interaction_weight=float(weight)))
