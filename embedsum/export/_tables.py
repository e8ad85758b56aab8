"""The checked tables both generators of the export read from a fitted model (cuts, scores, categories).

The export writes a fitted model as standalone source code: a pure-Python module or a C99 header.

Every model kind is covered: binary and multiclass classifiers, regressors, numeric and
categorical features, monotone constraints (which change nothing at scoring time), pair terms.
Both outputs keep the scoring contract of :mod:`embedsum.scoring._decision` (docs/design.md#scoring-contract):
each decision value is ``intercept + score_0[b_0] + score_1[b_1] + ...`` added in
float64, left to right, in feature order (per class for a multiclass model), where
``b_j`` is the number of cuts of numeric feature ``j`` strictly below the value (NaN:
the missing bin, the last one) or the bin of a category (kept category ``i`` -> ``i``,
rare -> "other", missing -> the missing bin; a category never seen in training scores
``unseen_scores_[j]``), then each pair term in order (docs/design.md#pair-terms): its table
at ``code_a * length_b + code_b``, a numeric axis coded on the pair's own cuts, a
categorical axis by its feature's code (unseen: the axis's last entry). So the exported
code gives decision values equal **bit for bit** to ``decision_function`` (``predict`` for
a regressor). Numbers are written so that
they read back exactly; nothing is rounded through decimal.

Probabilities are bit for bit ``predict_proba`` too, on every CPU: both outputs compute
the same stable sigmoid as :func:`embedsum.scoring._decision.sigmoid` and the same softmax as
:func:`embedsum.scoring._decision.softmax` (the largest value subtracted, the exponentials summed
left to right), with embedsum's portable exp (:mod:`embedsum._portable_exp`), never the
platform's ``exp``: the same float64 operations in the same order, its constants written
exactly (``repr`` in Python, hexadecimal in C). The C header keeps the compiler from
fusing them into FMAs, and calls no libm function.

This module reads and checks the fitted model once, into plain Python tables; the
generators that write the source from them are :mod:`embedsum.export._python` and
:mod:`embedsum.export._c` (with ``to_python`` and ``to_c``), which import this module
(docs/design.md#export; bins as in docs/design.md#bin-codes).
"""

from __future__ import annotations

import math

import numpy as np

from .._bins import category_missing, category_n_bins, numeric_missing, numeric_n_bins, pair_axis_length
from .._validation import check_is_fitted


_NUMERIC, _NUMBER, _TEXT = "numeric", "number", "text"  # a feature's kind: cuts, number or string categories


class _Feature:
    """One feature of a checked model: its kind, cuts or categories, and its scores.

    ``scores`` are the bins in model order (floats, or K-tuples with K outputs); a
    categorical feature also has ``kept`` and ``rare`` (tuples of str or float) and
    ``unseen`` (a float or a K-tuple).
    """

    def __init__(self, kind, scores, cuts=(), kept=(), rare=(), unseen=None):
        self.kind, self.scores, self.cuts = kind, scores, cuts
        self.kept, self.rare, self.unseen = kept, rare, unseen

    @property
    def missing_bin(self) -> int:
        return numeric_missing(len(self.cuts)) if self.kind == _NUMERIC else category_missing(len(self.kept))


class _Pair:
    """One pair term of a checked model (docs/design.md#pair-terms): its features ``a``, ``b``,
    each axis's cuts (a tuple; None on a categorical axis, which takes its feature's category
    code, the unseen one included), the axes' ``lengths`` and ``scores``, the table read row
    by row (floats, or K-tuples), indexed by ``code_a * lengths[1] + code_b``."""

    def __init__(self, a: int, b: int, cuts: tuple, lengths: tuple, scores: tuple):
        self.a, self.b, self.cuts, self.lengths, self.scores = a, b, cuts, lengths, scores


def _strict_cuts(values, what: str) -> tuple:
    c = np.asarray(values, dtype=np.float64).ravel()
    if np.isnan(c).any() or np.any(np.diff(c) <= 0):
        raise ValueError(f"the cuts of {what} are not strictly increasing numbers; refit the model.")
    return tuple(c.tolist())


def _pairs(model, features: list, k_shape: tuple) -> list:
    """The checked pair terms of ``model``, in order (an empty list for a model without them).

    Every pair is read here, so that no generator can leave one out silently.
    """
    pairs = list(getattr(model, "pairs_", None) or [])
    if not pairs:
        return []
    cuts, scores = list(getattr(model, "pair_cuts_", [])), list(getattr(model, "pair_scores_", []))
    if not len(cuts) == len(scores) == len(pairs):
        raise ValueError(f"the model has {len(pairs)} pairs_, {len(cuts)} pair_cuts_ and {len(scores)} "
                         "pair_scores_; refit it before exporting.")
    d, out = len(features), []
    for p, (pair, axes, table) in enumerate(zip(pairs, cuts, scores)):
        a, b = (int(j) for j in pair)
        if not (0 <= a < d and 0 <= b < d and a != b) or len(axes) != 2:
            raise ValueError(f"pair {p} ({pair!r}) is not two features of the model's {d}; refit it.")
        axis_cuts, lengths = [], []
        for j, c in ((a, axes[0]), (b, axes[1])):
            if (c is None) != (features[j].kind != _NUMERIC):
                raise ValueError(f"pair {p}'s axis on feature {j} must have cuts exactly when the feature is "
                                 "numeric; refit the model.")
            if c is None:
                axis_cuts.append(None)
                lengths.append(pair_axis_length(len(features[j].scores), True))
            else:
                axis_cuts.append(_strict_cuts(c, f"pair {p}'s axis on feature {j}"))
                lengths.append(numeric_n_bins(len(axis_cuts[-1])))
        values = np.asarray(table, dtype=np.float64)
        if values.shape != tuple(lengths) + k_shape:
            raise ValueError(f"the scores of pair {p} have shape {values.shape}, expected "
                             f"{tuple(lengths) + k_shape} (its axes' codes); refit the model.")
        flat = _floats(values.reshape((-1,) + k_shape), (lengths[0] * lengths[1],) + k_shape,
                       f"the scores of pair {p}")
        out.append(_Pair(a, b, tuple(axis_cuts), tuple(lengths), flat))
    return out


def _floats(values, shape, what: str):
    """values as nested tuples of Python floats of the given shape; no NaN."""
    a = np.asarray(values, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{what} has shape {a.shape}, expected {shape}; refit the model.")
    if np.isnan(a).any():
        raise ValueError(f"{what} holds NaN; refit the model.")
    return float(a) if a.ndim == 0 else tuple(a.tolist()) if a.ndim == 1 else tuple(map(tuple, a.tolist()))


def _category_values(values, kind: str, j: int, what: str) -> tuple:
    values = np.asarray(values).ravel().tolist()
    if kind == _NUMBER:
        values = [float(v) for v in values]
        if any(math.isnan(v) for v in values):
            raise ValueError(f"the {what} of feature {j} hold NaN, which is a missing value; refit the model.")
    elif not all(isinstance(v, str) for v in values):
        raise ValueError(f"the {what} of feature {j} must all be strings (or all numbers); refit the model.")
    return tuple(values)


class _Tables:
    """The numbers of a fitted model, checked, as plain Python floats and tuples."""

    def __init__(self, model):
        check_is_fitted(model, "bin_scores_")
        d = int(model.n_features_in_)
        self.n_features = d
        self.is_classifier = getattr(model, "classes_", None) is not None
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        self.n_outputs = 1 if intercept.ndim == 0 else len(intercept)
        if self.is_classifier:
            classes = [c.item() if isinstance(c, np.generic) else c for c in np.asarray(model.classes_, dtype=object)]
            expected = 1 if len(classes) == 2 else len(classes)
            if len(classes) < 2 or self.n_outputs != expected or intercept.ndim != (expected > 1):
                raise ValueError(
                    f"the model has {len(classes)} classes and an intercept of shape {intercept.shape}; "
                    "refit it before exporting."
                )
            self.classes = tuple(classes)
        elif intercept.ndim != 0:
            raise ValueError(f"a regressor needs one intercept; this one has shape {intercept.shape}.")
        self.intercept = _floats(intercept, intercept.shape, "the model's intercept_")
        k_shape = () if self.n_outputs == 1 else (self.n_outputs,)

        cuts, scores = list(model.cuts_), list(model.bin_scores_)
        is_categorical = np.asarray(model.is_categorical_, dtype=bool)
        categories = list(model.categories_)
        rare = list(model.rare_categories_)
        unseen = list(model.unseen_scores_)
        if not all(len(a) == d for a in (cuts, scores, is_categorical, categories, rare, unseen)):
            raise ValueError(
                f"the model's per-feature lists (cuts_, bin_scores_, categories_, ...) do not all have "
                f"{d} entries; refit it before exporting."
            )
        self.features = []
        for j in range(d):
            s = np.asarray(scores[j], dtype=np.float64)
            if self.n_outputs == 1:
                s = s.ravel()
            if not is_categorical[j]:
                c = np.asarray(_strict_cuts(cuts[j], f"feature {j}"), dtype=np.float64)
                if len(s) != numeric_n_bins(len(c)) or np.isnan(s).any():
                    raise ValueError(
                        f"feature {j} needs {numeric_n_bins(len(c))} bin scores (its interval bins and the missing bin), "
                        f"none of them NaN; the model has {len(s)}."
                    )
                table = _floats(s, (numeric_n_bins(len(c)),) + k_shape, f"the bin scores of feature {j}")
                self.features.append(_Feature(_NUMERIC, table, cuts=tuple(c.tolist())))
                continue
            if categories[j] is None or rare[j] is None or unseen[j] is None:
                raise ValueError(f"categorical feature {j} lacks its categories or unseen score; refit the model.")
            # The kind rule of embedsum.binning._categories.encode_categories: float64 categories are numbers.
            kind = _NUMBER if np.asarray(categories[j]).dtype.kind == "f" else _TEXT
            kept = _category_values(categories[j], kind, j, "categories")
            rare_j = _category_values(rare[j], kind, j, "rare categories")
            if len(set(kept + rare_j)) != len(kept) + len(rare_j):  # (0.0 == -0.0: a duplicate too)
                raise ValueError(f"feature {j} lists a category twice; refit the model.")
            table = _floats(s, (category_n_bins(len(kept)),) + k_shape, f"the bin scores of feature {j}")
            self.features.append(_Feature(kind, table, kept=kept, rare=rare_j,
                                          unseen=_floats(unseen[j], k_shape, f"the unseen score of feature {j}")))
        self.kinds = {f.kind for f in self.features}
        self.pairs = _pairs(model, self.features, k_shape)
        names = getattr(model, "feature_names_in_", None)
        self.names = tuple(str(n) for n in names) if names is not None else tuple(f"x{j}" for j in range(d))
        if len(self.names) != d:
            raise ValueError(f"the model has {len(self.names)} feature names for {d} features.")

    @property
    def categorical(self) -> bool:
        return self.kinds != {_NUMERIC} and bool(self.kinds)

    @property
    def kind(self) -> str:
        if not self.is_classifier:
            return "regression"
        return "binary" if self.n_outputs == 1 else "multiclass"
