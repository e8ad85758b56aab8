"""Checks of the per-feature lists of a document: cuts, categories, bin scores and weights, constraints."""

from __future__ import annotations

import numpy as np

from .._bins import category_n_bins, numeric_n_bins
from .._validation import MAX_BINS
from ._format import (_INFINITE_CATEGORIES, _MAX_BINS_OF_ANY_FEATURE, _MAX_CATEGORIES, _NUMBER_TYPES,
                      _WEIGHT_SUM_TOLERANCE, MAX_FEATURES)
from ._values import _bad, _constraint, _describe, _list, _numbers, _outputs, _short, _table, _text


_PER_FEATURE = ("is_categorical", "monotonic_cst", "cuts", "category_kinds", "categories", "rare_categories",
                "bin_scores", "unseen_scores", "bin_weights")
_CATEGORY_ONLY = ("category_kinds", "categories", "rare_categories", "unseen_scores")


def _features(doc: dict, n: int, k: int) -> tuple:
    """The checked per-feature attributes of a model with n features and k outputs."""
    for key in _PER_FEATURE:
        if len(_list(doc[key], key, MAX_FEATURES)) != n:
            raise _bad(key, f"has {len(doc[key])} entries for n_features={n}")
    flags, csts = doc["is_categorical"], doc["monotonic_cst"]
    for j in range(n):
        if type(flags[j]) is not bool:
            raise _bad(f"is_categorical[{j}]", f"expected a bool, got {_describe(flags[j])}")
        _constraint(csts[j], f"monotonic_cst[{j}]")
        if k > 1 and csts[j]:
            raise _bad(f"monotonic_cst[{j}]", f"a multiclass model has no monotone constraints (fit refuses "
                                              f"them), got {csts[j]}")
    cuts, categories, rare, scores, unseen, weights = [], [], [], [], [], []
    for j in range(n):
        if flags[j]:
            c, kept, others, u = _categorical_feature(doc, j, k, csts[j])
            n_bins = category_n_bins(len(kept))
            parts = (len(kept), "categories", "the categories, the other bin and the missing-value bin")
        else:
            if doc["cuts"][j] is None:
                raise _bad(f"cuts[{j}]", f"feature {j} is numeric (is_categorical[{j}] is false): expected its "
                                         "cuts, got null")
            for key in _CATEGORY_ONLY:
                if doc[key][j] is not None:
                    raise _bad(f"{key}[{j}]", f"feature {j} is numeric (is_categorical[{j}] is false): expected "
                                              f"null, got {_describe(doc[key][j])}")
            c = _numbers(doc["cuts"][j], f"cuts[{j}]", MAX_BINS - 1, neg_inf_first=True)
            if len(c) > 1 and not (c[1:] > c[:-1]).all():  # -inf, -inf: refused too
                i = int(np.flatnonzero(~(c[1:] > c[:-1]))[0]) + 1
                raise _bad(f"cuts[{j}]", f"not strictly increasing: {float(c[i])!r} at position {i} follows "
                                         f"{float(c[i - 1])!r}")
            kept = others = u = None
            n_bins = numeric_n_bins(len(c))
            parts = (len(c), "cuts", "the interval bins and the missing-value bin")
        # Bounded by the bins the feature has (checked just below): at most _MAX_CATEGORIES + 2.
        s = (_numbers(doc["bin_scores"][j], f"bin_scores[{j}]", _MAX_BINS_OF_ANY_FEATURE) if k == 1
             else _table(doc["bin_scores"][j], f"bin_scores[{j}]", k))
        w = _numbers(doc["bin_weights"][j], f"bin_weights[{j}]", _MAX_BINS_OF_ANY_FEATURE)
        for key, values in (("bin_scores", s), ("bin_weights", w)):
            if len(values) != n_bins:
                raise _bad(f"{key}[{j}]", f"has {len(values)} values; feature {j} has {parts[0]} {parts[1]}, "
                                          f"so {n_bins} bins ({parts[2]})")
        if (w < 0).any():
            raise _bad(f"bin_weights[{j}]", f"negative weight {float(w[w < 0][0])!r}; weights are fractions >= 0")
        with np.errstate(over="ignore"):  # weights of 1e308: an infinite sum, refused here
            total = float(w.sum())
        if not abs(total - 1.0) <= _WEIGHT_SUM_TOLERANCE:
            raise _bad(f"bin_weights[{j}]", f"sums to {total!r}; the fractions of a feature's bins sum to 1")
        if csts[j]:
            _check_monotone(s, csts[j], j)
        cuts.append(c)
        categories.append(kept)
        rare.append(others)
        scores.append(s)
        unseen.append(u)
        weights.append(w)
    return (np.array(flags, dtype=bool), np.array(csts, dtype=np.int8), cuts, categories, rare, scores,
            unseen, weights)


def _categorical_feature(doc: dict, j: int, k: int, cst: int) -> tuple:
    """(None for the cuts, kept categories, rare categories, unseen score) of categorical feature j, checked."""
    if doc["cuts"][j] is not None:
        raise _bad(f"cuts[{j}]", f"feature {j} is categorical (is_categorical[{j}] is true): expected null, "
                                 f"got {_describe(doc['cuts'][j])}")
    if cst:
        raise _bad(f"monotonic_cst[{j}]", f"feature {j} is categorical and categories have no order: "
                                          f"expected 0, got {cst}")
    kind = doc["category_kinds"][j]
    if kind not in ("str", "number") or type(kind) is not str:
        raise _bad(f"category_kinds[{j}]", f"expected 'str' or 'number' for categorical feature {j}, "
                                           f"got {_describe(kind)}")
    kept = _categories(doc["categories"][j], f"categories[{j}]", kind, _MAX_CATEGORIES)
    rare = _categories(doc["rare_categories"][j], f"rare_categories[{j}]", kind, _MAX_CATEGORIES)
    if len(kept) and len(rare):
        rare_set = set(rare.tolist())
        both = next((v for v in kept.tolist() if v in rare_set), None)
        if both is not None:
            raise _bad(f"rare_categories[{j}]", f"{_short(both)} is also in categories[{j}]; a category is "
                                                "either kept or rare, not both")
    unseen = _outputs(doc["unseen_scores"][j], f"unseen_scores[{j}]", k)
    return None, kept, rare, unseen


def _categories(value, where: str, kind: str, max_len: int) -> np.ndarray:
    """Strictly increasing categories: object array of str ("str") or float64 ("number")."""
    values = _list(value, where, max_len)
    if kind == "str":
        for i, v in enumerate(values):
            if type(v) is not str:
                raise _bad(f"{where}[{i}]", f"expected a string (category kind 'str'), got {_describe(v)}")
            if not v:
                raise _bad(f"{where}[{i}]", "the empty string is a missing value, not a category")
            _text(v, f"{where}[{i}]")
        for i in range(1, len(values)):
            if not values[i - 1] < values[i]:
                raise _bad(where, f"categories must be unique and in increasing order (as fit sorts them): "
                                  f"{_short(values[i])} at position {i} follows {_short(values[i - 1])}")
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    numbers = []
    for i, v in enumerate(values):
        v = _INFINITE_CATEGORIES.get(v, v) if type(v) is str else v
        if type(v) not in _NUMBER_TYPES:
            raise _bad(f"{where}[{i}]", f"expected a number, '-inf' or 'inf' (category kind 'number'), "
                                        f"got {_describe(values[i])}")
        if v != v:  # NaN, from a model being saved: NaN is a missing value
            raise _bad(f"{where}[{i}]", "nan is a missing value, not a category")
        numbers.append(v)
    out = np.array(numbers, dtype=np.float64)
    if len(out) > 1 and not (out[1:] > out[:-1]).all():
        i = int(np.flatnonzero(~(out[1:] > out[:-1]))[0]) + 1
        raise _bad(where, f"categories must be unique and in increasing order (as fit sorts them): "
                          f"{float(out[i])!r} at position {i} follows {float(out[i - 1])!r}")
    return out


def _check_monotone(scores: np.ndarray, cst: int, j: int) -> None:
    interval = scores[:-1]  # the missing bin is free
    with np.errstate(over="ignore"):  # 1e308 - -1e308 is inf, with the right sign
        wrong = np.flatnonzero(cst * np.diff(interval) < 0)
    if len(wrong):
        b = int(wrong[0])
        direction = "never decrease" if cst > 0 else "never increase"
        raise _bad(f"bin_scores[{j}]", f"monotonic_cst[{j}] is {cst}: its interval-bin scores must {direction}, "
                                       f"but they go from {float(interval[b])!r} in bin {b} to "
                                       f"{float(interval[b + 1])!r} in bin {b + 1}")
