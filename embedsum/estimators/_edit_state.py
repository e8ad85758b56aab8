"""What the edits of a fitted model check and rebuild: features by index or name, new scores,
monotone constraints, and the model's state as ``_set_fitted`` takes it (docs/design.md#edits).

Shared by the local edits (:mod:`~embedsum.estimators._edits`) and ``refit``
(:mod:`~embedsum.estimators._refit`).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_is_fitted


def feature_index(model, feature) -> int:
    """The index of ``feature`` (an index, or a name of ``feature_names_in_``) in a fitted model."""
    check_is_fitted(model, "bin_scores_")
    d = int(model.n_features_in_)
    if isinstance(feature, numbers.Integral) and not isinstance(feature, (bool, np.bool_)):
        if not 0 <= feature < d:
            raise ValueError(f"feature index {feature} is out of range: the model has {d} features")
        return int(feature)
    names = getattr(model, "feature_names_in_", None)
    if isinstance(feature, str) and names is not None and feature in list(names):
        return list(names).index(feature)
    raise ValueError(f"unknown feature {feature!r}: give an index in 0..{d - 1}"
                     + ("" if names is None else " or one of feature_names_in_"))


def checked_scores(model, j: int, scores) -> np.ndarray:
    """``scores`` as feature ``j``'s new scores: its bins (times K outputs), finite."""
    expected = np.shape(model.bin_scores_[j])
    try:
        values = np.array(scores, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"scores of feature {j} must be numbers ({err})") from None
    if values.shape != expected:
        raise ValueError(f"feature {j} needs scores of shape {expected} (its bins"
                         f"{'' if len(expected) == 1 else ' by classes'}), got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"scores of feature {j} must be finite")
    return values


def check_monotone(scores, cst) -> None:
    """Refuse scores whose interval bins break a feature's monotone constraint (-1/0/+1 each)."""
    for j, sign in enumerate(np.asarray(cst).tolist()):
        steps = np.diff(np.asarray(scores[j])[:-1]) * sign
        if sign and (steps < 0).any():
            raise ValueError(f"the scores of feature {j} break its monotone constraint ({sign:+d}); "
                             "monotonize it, or refit with monotonic_cst giving it 0 to lift the constraint")


def fitted_state(model) -> dict:
    """The keyword arguments of ``_set_fitted`` that give the model its current state again,
    without standard errors (an edited model has none: docs/design.md#edits)."""
    state = dict(cuts=model.cuts_, categories=model.categories_, rare_categories=model.rare_categories_,
                bin_scores=model.bin_scores_, bin_weights=model.bin_weights_, intercept=model.intercept_,
                is_categorical=model.is_categorical_, n_iter=model.n_iter_, monotonic_cst=model.monotonic_cst_,
                names=getattr(model, "feature_names_in_", None), classes=getattr(model, "classes_", None),
                history=getattr(model, "history_", None), edits=list(getattr(model, "edits_", ())))
    if getattr(model, "pairs_", None):  # the pair terms as fit hands them over (docs/design.md#pair-terms)
        from ._pairs import PairRecord

        state["pairs"] = PairRecord(list(model.pairs_), list(model.pair_cuts_),
                                    [np.array(t, dtype=np.float64) for t in model.pair_scores_],
                                    [np.array(w, dtype=np.float64) for w in model.pair_weights_])
    return state


def check_not_paired(model, cst) -> None:
    """Refuse a monotone constraint on a feature of a pair term, which could undo it."""
    for a, b in getattr(model, "pairs_", None) or ():
        for j in (a, b):
            if cst[j]:
                raise ValueError(f"feature {j} is in the pair term {(a, b)}, which could undo a monotone "
                                 "constraint; refit it with that pair dropped first")
