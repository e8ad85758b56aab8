"""``refit``: the model's convex objective solved again with edits as constraints (docs/design.md#edits).

The problem is the fit's own: the model's bins (rows coded by its cuts and categories, a
category it never saw counted in the "other" bin as rare ones are), its bin weights, its
hyperparameters and regularisers (a cross-validated model's chosen weights). A dropped or fixed
feature's scores are held out of the solver's vector (:mod:`embedsum.training._fixed`), monotone
constraints are the fit's bounded differences, and the solve starts from the current scores.
Everything is written over the flat parameter vector (docs/design.md#parameter-layout): a
model's pair terms are refitted with it (on their own axes), and a dropped feature's pairs are
held at 0 with it.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np

from .._bins import category_other, category_unseen, pair_code
from .._exceptions import ConvergenceWarning
from .._validation import check_classification_target, check_regression_target, check_sample_weight
from ..binning._digitizer import bin_codes, code_dtype
from ._edit_state import check_monotone, check_not_paired, checked_scores, feature_index, fitted_state


def refit(model, X, y, *, drop, fix, monotonic_cst, sample_weight, X_test, y_test, sensitive_features):
    """``model.refit``: see :meth:`embedsum.estimators._edits.EditsMixin.refit`."""
    problem = refit_problem(model, X, y, drop=drop, fix=fix, monotonic_cst=monotonic_cst,
                            sample_weight=sample_weight)
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test (the held-out rows and their targets), or neither")
    test = None if X_test is None else (X_test, _target(model, y_test, _n_rows(model, X_test)))
    before = _losses(model, problem, test)
    groups = model._fairness_groups(sensitive_features, len(problem.target), problem.layout.n_outputs)
    result = solve(problem, x0=problem.coef, groups=groups)
    state = fitted_state(model)
    scores, intercept = problem.layout.split(result.coef)
    if problem.layout.n_pairs:
        from ._pairs import PairRecord, pair_tables

        tables, weights = pair_tables(problem.layout, result.coef, None, model.is_categorical_)
        state["pairs"] = PairRecord(state["pairs"].pairs, state["pairs"].cuts, tables, weights)
    state.update(bin_scores=scores, intercept=intercept, monotonic_cst=problem.monotonic_cst,
                 n_iter=result.n_iter, history=result.history)
    state["edits"].append({})  # filled below, once the new model can score
    model._set_fitted(**state)
    after = _losses(model, problem, test)
    cst = problem.monotonic_cst
    model.edits_[-1] = {
        "kind": "refit", "drop": problem.dropped, "fix": problem.fixed,
        "increasing": np.flatnonzero(cst > 0).tolist(), "decreasing": np.flatnonzero(cst < 0).tolist(),
        "n_rows": len(problem.target), "n_iter": int(result.n_iter), "converged": bool(result.converged),
        "train_loss_before": before[0], "train_loss_after": after[0],
        "test_loss_before": before[1], "test_loss_after": after[1],
    }
    if groups is not None:  # training diagnostics of the bound, as fit leaves them
        model.fairness_disparity_, model.fairness_groups_ = result.disparity, result.groups
    return model


def solve(problem, x0=None, groups=None):
    """The constrained solve of a :func:`refit_problem` from ``x0`` (None: the fit's default start)."""
    result = problem.solver._solve(problem.codes, problem.target, problem.sw, problem.layout, x0, warn=False,
                                   monotonic_cst=problem.solve_cst, groups=groups,
                                   fixed=(problem.mask, problem.values))
    # Held exactly as given (the regressor solves in units of y / std(y), and back).
    result.coef[problem.mask] = problem.values[problem.mask]
    if not result.converged:
        warnings.warn(f"refit: L-BFGS-B did not converge in {result.n_iter} iterations ({result.message}). "
                      "Increase max_iter, or raise tol.", ConvergenceWarning, stacklevel=4)  # at refit's caller
    return result


def refit_problem(model, X, y, *, drop=(), fix=None, monotonic_cst=None, sample_weight=None):
    """Everything the constrained solve needs, checked: codes, targets, weights, layout,
    the current coef, the fixed entries (``mask``, ``values``) and the constraints."""
    data = model._validated(X)
    layout, codes = _layout_codes(model, data)
    target = _target(model, y, len(codes))
    sw = check_sample_weight(sample_weight, len(codes))
    K = model._n_outputs
    solver = model._candidate_estimator(model.step_loss_weight_, model.l2_) \
        if hasattr(model, "step_loss_weight_") and hasattr(model, "_candidate_estimator") else model
    if not solver._fittable(target, sw, K):
        raise ValueError("refit needs positive sample weight" + (" on rows of two classes" if model._kind ==
                                                                 "classifier" else ""))
    held = {feature_index(model, f): None for f in _as_list(drop)}
    screened = getattr(model, "dropped_features_", None)  # a CV model's screened features stay at 0
    held.update({feature_index(model, f): None for f in ([] if screened is None else screened.tolist())})
    for f, scores in (fix or {}).items():
        j = feature_index(model, f)
        if j in held:
            raise ValueError(f"feature {j} is both dropped and fixed; give it once")
        held[j] = checked_scores(model, j, scores)
    cst = _merged_cst(model, monotonic_cst)
    coef = model_coef(model, layout)
    mask = np.zeros(layout.n_params, dtype=bool)
    values = np.zeros(layout.n_params)
    scores = layout.split(coef)[0]
    for j, given in held.items():
        scores[j][...] = 0.0 if given is None else given  # a view of coef
        entries = slice(layout.offsets[j] * K, layout.offsets[j + 1] * K)
        mask[entries] = True
        values[entries] = coef[entries]
        if given is None:  # a dropped feature's pair terms are dropped with it
            for t in np.flatnonzero([j in pair for pair in layout.pairs]) + layout.n_features:
                mask[layout.term_offsets[t] * K:layout.term_offsets[t + 1] * K] = True
    held_cst = np.zeros_like(cst)
    held_cst[list(held)] = cst[list(held)]
    check_monotone(scores, held_cst)  # of the held features: the solve keeps the others monotone
    solve_cst = cst.copy()
    solve_cst[list(held)] = 0  # held features are not solved: their constraint is checked above
    return SimpleNamespace(
        solver=solver, codes=codes, target=target, sw=sw, layout=layout, coef=coef, mask=mask, values=values,
        monotonic_cst=cst, solve_cst=solve_cst if solve_cst.any() else None,
        dropped=sorted(j for j, v in held.items() if v is None),
        fixed=sorted(j for j, v in held.items() if v is not None))


def _as_list(features) -> list:
    if features is None:
        return []
    if isinstance(features, (str, bytes)) or np.ndim(features) == 0:
        return [features]
    return list(features)


def _merged_cst(model, monotonic_cst) -> np.ndarray:
    """The model's ``monotonic_cst_`` with the refit's: a dict's entries replace the model's
    (0 lifts one), a sequence's non-zero entries add to them."""
    from ..training._constraints import resolve_monotonic_cst

    d = int(model.n_features_in_)
    cst = np.array(model.monotonic_cst_, dtype=np.int8)
    if isinstance(monotonic_cst, dict):
        for f, value in monotonic_cst.items():
            if isinstance(value, bool) or value not in (-1, 0, 1):
                raise ValueError(f"monotonic_cst values must be -1, 0 or 1; feature {f!r} has {value!r}")
            cst[feature_index(model, f)] = value
    elif monotonic_cst is not None:
        given = resolve_monotonic_cst(monotonic_cst, d, None, model.is_categorical_)
        cst = np.where(given != 0, given, cst).astype(np.int8)
    cst = resolve_monotonic_cst(cst.tolist(), d, None, model.is_categorical_)  # refuses categorical ones
    check_not_paired(model, cst)
    if cst.any() and model._n_outputs > 1:
        raise ValueError("monotonic_cst is not supported for multiclass classification (more than two classes).")
    return cst


def _n_rows(model, X) -> int:
    data = model._validated(X)
    return len(data if isinstance(data, np.ndarray) else data[0])


def _layout_codes(model, data) -> tuple:
    """The model's training layout (main effects, then its pair terms) and the (n, terms)
    training codes of checked rows under its bins. An unseen category counts in its feature's
    "other" bin, as a rare one does in fit (docs/design.md#bin-codes, #pair-terms)."""
    from ..training._layout import ParameterLayout  # fitting-only: loaded on use

    columns = model._codes(data)
    for j, categories in enumerate(model.categories_):
        if categories is not None:
            m = len(categories)
            columns[j] = np.where(columns[j] == category_unseen(m), category_other(m), columns[j])
    pairs = [tuple(pair) for pair in getattr(model, "pairs_", None) or ()]
    shapes = [np.shape(w) for w in model.pair_weights_] if pairs else []
    numeric = data if isinstance(data, np.ndarray) else data[0]
    for (a, b), cuts, (_, n_b) in zip(pairs, model.pair_cuts_ if pairs else (), shapes):
        axis = [columns[j] if c is None else np.asarray(bin_codes(numeric[:, j], c), dtype=np.intp)
                for j, c in ((a, cuts[0]), (b, cuts[1]))]
        columns.append(pair_code(axis[0], axis[1], n_b))
    layout = ParameterLayout([len(w) for w in model.bin_weights_], model.bin_weights_, n_outputs=model._n_outputs,
                             ordered=~np.asarray(model.is_categorical_, dtype=bool), pairs=pairs, pair_shapes=shapes,
                             pair_weights=[np.ravel(w) for w in model.pair_weights_] if pairs else None)
    codes = np.empty((len(columns[0]), len(columns)), dtype=code_dtype(int(layout.term_sizes.max())), order="F")
    for t, c in enumerate(columns):
        codes[:, t] = c
    return layout, codes


def model_coef(model, layout) -> np.ndarray:
    """The model's flat vector on its training layout: a pair table without its unseen entries."""
    K = layout.n_outputs
    main = layout.join(model.bin_scores_, model.intercept_)
    tables = [np.asarray(t, dtype=np.float64)[:n_a, :n_b].reshape(-1) for t, (n_a, n_b) in
              zip(getattr(model, "pair_scores_", None) or (), layout.pair_shapes)]
    return np.concatenate([main[:-K], *tables, main[-K:]])


def _target(model, y, n_rows: int) -> np.ndarray:
    """y as fit's solver reads it: 0/1 or class indices of ``classes_``, or the regression target."""
    if model._kind == "regressor":
        return check_regression_target(y, n_rows)
    labels, encoded = check_classification_target(y, n_rows)
    position = {label: k for k, label in enumerate(np.asarray(model.classes_).tolist())}
    unknown = [label for label in labels.tolist() if label not in position]
    if unknown:
        raise ValueError(f"y has labels the model was not fitted with: {unknown[:5]}")
    index = np.array([position[label] for label in labels.tolist()], dtype=np.intp)[encoded]
    return index.astype(np.float64) if model._n_outputs == 1 else index


def _losses(model, problem, test) -> tuple:
    """(training loss, held-out loss or None) of the model as it scores now: the loss's held-out score."""
    loss = model._loss(model._n_outputs)
    train = loss.held_out(problem.target, _decision_of_codes(model, problem), problem.sw)
    if test is None:
        return float(train), None
    X_test, y_test = test
    return float(train), float(loss.held_out(y_test, model._decision(X_test), np.ones(len(y_test))))


def _decision_of_codes(model, problem) -> np.ndarray:
    """The decision values of the training codes (by the scoring contract's order of additions)."""
    from ..scoring._decision import decision_values_of_codes

    tables, intercept = problem.layout.term_views(model_coef(model, problem.layout))
    return decision_values_of_codes(list(problem.codes.T), tables, intercept)
