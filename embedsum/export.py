"""Export a fitted model as standalone source code: a pure-Python module or a C99 header.

Every model kind is covered: binary and multiclass classifiers, regressors, numeric and
categorical features, monotone constraints (which change nothing at scoring time).
Both outputs keep the scoring contract of :mod:`embedsum.scoring` (design.md section 3):
each decision value is ``intercept + score_0[b_0] + score_1[b_1] + ...`` added in
float64, left to right, in feature order (per class for a multiclass model), where
``b_j`` is the number of cuts of numeric feature ``j`` strictly below the value (NaN:
the missing bin, the last one) or the bin of a category (kept category ``i`` -> ``i``,
rare -> "other", missing -> the missing bin; a category never seen in training scores
``unseen_scores_[j]``). So the exported code gives decision values equal **bit for
bit** to ``decision_function`` (``predict`` for a regressor). Numbers are written so that
they read back exactly; nothing is rounded through decimal.

Probabilities are bit for bit ``predict_proba`` too, on every CPU: both outputs compute
the same stable sigmoid as :func:`embedsum.scoring.sigmoid` and the same softmax as
:func:`embedsum.scoring.softmax` (the largest value subtracted, the exponentials summed
left to right), with embedsum's portable exp (:mod:`embedsum._portable_exp`), never the
platform's ``exp``: the same float64 operations in the same order, its constants written
exactly (``repr`` in Python, hexadecimal in C). The C header keeps the compiler from
fusing them into FMAs, and calls no libm function.

This module reads and checks the fitted model once, into plain Python tables; the
generators that write the source from them are :mod:`embedsum.export_python` and
:mod:`embedsum.export_c`, loaded on first use.
"""

from __future__ import annotations

import math

import numpy as np

from .validation import check_is_fitted

__all__ = ["to_python", "to_c"]

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
        return len(self.cuts) + 1 if self.kind == _NUMERIC else len(self.kept) + 1


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
                c = np.asarray(cuts[j], dtype=np.float64).ravel()
                if np.isnan(c).any() or np.any(np.diff(c) <= 0):
                    raise ValueError(f"the cuts of feature {j} are not strictly increasing numbers; refit the model.")
                if len(s) != len(c) + 2 or np.isnan(s).any():
                    raise ValueError(
                        f"feature {j} needs {len(c) + 2} bin scores (its interval bins and the missing bin), "
                        f"none of them NaN; the model has {len(s)}."
                    )
                table = _floats(s, (len(c) + 2,) + k_shape, f"the bin scores of feature {j}")
                self.features.append(_Feature(_NUMERIC, table, cuts=tuple(c.tolist())))
                continue
            if categories[j] is None or rare[j] is None or unseen[j] is None:
                raise ValueError(f"categorical feature {j} lacks its categories or unseen score; refit the model.")
            # The kind rule of embedsum.categories.encode_categories: float64 categories are numbers.
            kind = _NUMBER if np.asarray(categories[j]).dtype.kind == "f" else _TEXT
            kept = _category_values(categories[j], kind, j, "categories")
            rare_j = _category_values(rare[j], kind, j, "rare categories")
            if len(set(kept + rare_j)) != len(kept) + len(rare_j):  # (0.0 == -0.0: a duplicate too)
                raise ValueError(f"feature {j} lists a category twice; refit the model.")
            table = _floats(s, (len(kept) + 2,) + k_shape, f"the bin scores of feature {j}")
            self.features.append(_Feature(kind, table, kept=kept, rare=rare_j,
                                          unseen=_floats(unseen[j], k_shape, f"the unseen score of feature {j}")))
        self.kinds = {f.kind for f in self.features}
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


def to_python(model) -> str:
    """Source of a standalone Python module that scores rows like ``model``, bit for bit.

    The module imports only the standard library (``bisect``, ``math``, and ``numbers``
    when the model has categorical features) and defines ``FEATURES`` (feature names,
    or ``x0, x1, ...``), ``N_FEATURES``, ``INTERCEPT``, ``CUTS``, ``SCORES`` (and
    ``CATEGORIES``, ``RARE_CATEGORIES``, ``UNSEEN`` for categorical features) and, for
    one row (a sequence of ``N_FEATURES`` values: numbers, NaN or None = missing;
    categories as str or numbers):

    - binary classifier: ``CLASSES``, ``decision_function(row)`` (a float),
      ``predict_proba(row)`` (``[p0, p1]``), ``predict(row)`` (a label);
    - multiclass classifier: ``CLASSES``, ``N_CLASSES``, ``decision_function(row)`` (a
      list of ``N_CLASSES`` floats), ``predict_proba(row)`` (their softmax) and
      ``predict(row)`` (the label of the largest);
    - regressor: ``predict(row)`` (a float).

    A row of another length raises ValueError. Raises NotFittedError when ``model`` is
    not fitted.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = EmbeddingSumClassifier(max_bins=2).fit(X, ["benign", "benign", "attack", "attack"])
    >>> scorer = {}
    >>> exec(to_python(model), scorer)
    >>> scorer["predict"]([3.0])
    'attack'
    >>> scorer["decision_function"]([np.nan]) == float(model.decision_function([[np.nan]])[0])
    True
    """
    from .export_python import _python_source

    return _python_source(_Tables(model))


def to_c(model, prefix: str = "embedsum") -> str:
    """One portable C99 header that scores rows like ``model``, bit for bit.

    Tables are ``static const``, functions ``static inline``; no allocation, no
    writable global state. Entry points (``P`` = prefix):

    - binary classifier: ``P_decision(row, n, &z)``, ``P_decision_many(rows, n_rows, n,
      out)``, ``P_predict_proba(row, n, proba)`` (2 values), ``P_predict(row, n,
      &class_index)``, ``P_sigmoid(z)``, ``P_class_name(k)``;
    - multiclass: ``P_decision(row, n, z)`` fills ``double z[P_N_CLASSES]``
      (``P_N_OUTPUTS`` values), ``P_predict_proba`` their softmax, ``P_predict`` the
      index of the largest, ``P_decision_many`` ``n_rows * P_N_CLASSES`` values;
    - regressor: ``P_predict(row, n, &y)`` (also ``P_decision``, ``P_decision_many``).

    ``row`` is ``const double *`` (NaN = missing); numeric features and categorical
    features whose categories are numbers read it. Only a model with categorical
    features of strings takes a second argument ``const char *const *text``
    (``text[j]`` for such a feature j; NULL or "" = missing), so ``P_decision(row, text,
    n, &z)``; every other model keeps the signatures above. Each ``int`` function
    returns ``P_OK`` (0) or an error code (``P_ERR_N_FEATURES``, ``P_ERR_NULL``). The
    header's top comment says how to use and compile it (never with ``-ffast-math``).

    The stack any entry point uses is bounded whatever the numbers of classes and features
    (the header says how much): arrays of one value per class are the caller's.

    ``prefix`` must be a C identifier (ValueError otherwise). Raises NotFittedError
    when ``model`` is not fitted.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> model = EmbeddingSumClassifier(max_bins=2).fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    >>> header = to_c(model, prefix="ransom")
    >>> "static inline int ransom_decision(const double *row, size_t n_features, double *out)" in header
    True
    """
    from .export_c import _c_source, _check_prefix

    p = _check_prefix(prefix)  # a bad prefix is reported before an unfitted model
    return _c_source(_Tables(model), p)
