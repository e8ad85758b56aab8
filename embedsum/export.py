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
they read back exactly (``repr`` in Python, hexadecimal float literals in C); nothing is
rounded through decimal.

Probabilities use the same stable sigmoid as :func:`embedsum.scoring.sigmoid` and the
same softmax as :func:`embedsum.scoring.softmax` (the largest value subtracted, the
exponentials summed left to right). They equal numpy's bit for bit wherever the
platform's ``exp`` (``math.exp``, C's ``exp``) equals ``np.exp`` and numpy sums a row
left to right (it does for fewer than 8 classes); numpy builds with their own
vectorised ``exp`` (AVX-512) may differ from the C library in the last bit of a
probability, never in the decision value.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .validation import check_is_fitted

__all__ = ["to_python", "to_c"]

# Python's expression compiler recurses once per "+"; long sums are split into
# statements of this many terms so that models with thousands of features compile.
_TERMS_PER_STATEMENT = 32

_C_KEYWORDS = frozenset(
    # C99 and C11 keywords, and C++ keywords, so the header also compiles as C++.
    "auto break case char const continue default do double else enum extern float for goto if inline int "
    "long register restrict return short signed sizeof static struct switch typedef union unsigned void "
    "volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert "
    "_Thread_local alignas alignof and and_eq asm bitand bitor bool catch char16_t char32_t char8_t class "
    "compl concept consteval constexpr constinit const_cast co_await co_return co_yield decltype delete "
    "dynamic_cast explicit export false friend mutable namespace new noexcept not not_eq nullptr operator "
    "or or_eq private protected public reinterpret_cast requires static_assert static_cast template this "
    "thread_local throw true try typeid typename using virtual wchar_t xor xor_eq".split()
)

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
        is_categorical = np.asarray(getattr(model, "is_categorical_", np.zeros(d, dtype=bool)), dtype=bool)
        categories = list(getattr(model, "categories_", None) or [None] * d)
        rare = list(getattr(model, "rare_categories_", None) or [None] * d)
        unseen = list(getattr(model, "unseen_scores_", None) or [None] * d)
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


# --------------------------------------------------------------------------------------
# Python
# --------------------------------------------------------------------------------------


def _py_float(x: float) -> str:
    # repr of a finite float reads back to the same bits (shortest round-trip form);
    # infinities have no literal, so they use the module's _INF.
    if math.isinf(x):
        return "_INF" if x > 0 else "-_INF"
    return repr(x)


def _py_label(label) -> str:
    if isinstance(label, (str, bytes, bool, int)) or (isinstance(label, float) and math.isfinite(label)):
        return repr(label)
    raise ValueError(
        f"class label {label!r} of type {type(label).__name__} has no Python literal; "
        "fit the model with str, int, float or bool labels to export it."
    )


def _py_value(value) -> str:
    # Scores and numbers read back exactly; ascii() keeps hostile category text (newlines,
    # quotes, lone surrogates, ...) a valid literal of plain ASCII.
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_py_value, value)) + ("," if len(value) == 1 else "") + ")"
    return ascii(value) if isinstance(value, str) else _py_float(value)


def _py_tuple(values, per_line: int = 4, indent: str = "    ") -> str:
    items = [_py_value(v) for v in values]
    if not items:
        return "()"
    if items[0].startswith("("):
        per_line = 1  # one bin (a tuple of class scores) per line
    lines = [", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line)]
    return "(\n" + "".join(f"{indent}    {line}\n" for line in lines) + f"{indent})"


def _py_unpack(names: list[str], value: str) -> str:
    # "a, = x" for one name: unpacking keeps the same code for every model size.
    return ", ".join(names) + ("," if len(names) == 1 else "") + f" = {value}"


# The value-to-key rules of embedsum.categories.category_keys, for one value, without numpy.
_PY_CATEGORY_HELPERS = '''

def _is_numpy(v, names):
    return any(c.__module__ == "numpy" and c.__name__ in names for c in type(v).__mro__)


def _is_missing(v):
    """None, "", a float NaN, pandas NA or NaT: a missing category."""
    if v is None:
        return True
    if isinstance(v, str):
        return v == ""
    if isinstance(v, float) or _is_numpy(v, ("floating",)):
        return v != v
    return type(v).__name__ in ("NAType", "NaTType")


def _checked(v, j):
    # Complex numbers have no key (embedsum refuses them); other numbers (Decimal, ...) do.
    number = isinstance(v, _Number) and (isinstance(v, _Real) or not isinstance(v, _Complex))
    if number or isinstance(v, (str, bool)) or _is_numpy(v, ("bool", "bool_")):
        return v
    raise TypeError(
        f"feature {j} ({FEATURES[j]!r}) holds a {type(v).__name__} ({v!r}); a category must be a string or a number"
    )


def _text_bin(v, lookup, j, m):
    """Bin of v in string-kind feature j with m kept categories: m + 1 missing, m + 2 never seen."""
    if type(v) is str:
        return lookup.get(v, m + 2) if v else m + 1
    if _is_missing(v):
        return m + 1
    _checked(v, j)
    if isinstance(v, bool) or _is_numpy(v, ("bool", "bool_")):
        return lookup.get("True" if v else "False", m + 2)
    return lookup.get(str(v), m + 2)


def _number_bin(v, lookup, j, m):
    """Bin of v in number-kind feature j (categories compared as floats, by value)."""
    if type(v) is float:
        return lookup.get(v, m + 2) if v == v else m + 1
    if _is_missing(v):
        return m + 1
    _checked(v, j)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return m + 2  # not a number (e.g. text): never seen
    return lookup.get(v, m + 2)


def _lookup(kept, rare):
    """Category -> bin: kept category i -> i, a rare one -> len(kept) (the "other" bin)."""
    table = {key: i for i, key in enumerate(kept)}
    table.update((key, len(kept)) for key in rare)
    return table
'''


def _py_docstring(t: _Tables) -> list[str]:
    fn = "predict" if t.kind == "regression" else "decision_function"
    lines = [
        '"""Standalone scorer of an embedsum model, generated by embedsum.export.to_python. Do not edit.',
        "",
        "Standard library only. For one row (a sequence of N_FEATURES values):",
    ]
    if t.n_outputs == 1:
        lines.append(f"{fn}(row) = INTERCEPT + SCORES[0][b0] + SCORES[1][b1] + ...,")
    else:
        lines += [f"{fn}(row) = [z_0, ..., z_(N_CLASSES - 1)], where",
                  "z_k = INTERCEPT[k] + SCORES[0][b0][k] + SCORES[1][b1][k] + ...,"]
    lines += [
        "added left to right in float64. A numeric feature j (CUTS[j] is not None) takes a",
        "number (NaN or None = missing): bj = bisect_left(CUTS[j], row[j]), the number of cuts",
        "below the value, and a NaN value takes the last (missing) bin.",
    ]
    if t.categorical:
        lines += [
            "A categorical feature j (CUTS[j] is None) takes a category: bin i for CATEGORIES[j][i],",
            "the next (\"other\") bin for RARE_CATEGORIES[j], the last bin for a missing value (None,",
            "NaN, \"\"), and the score UNSEEN[j] for a category never seen in training. Keys follow",
            "embedsum: in a feature of strings, booleans read as \"True\"/\"False\" and other numbers",
            "through str(); in a feature of numbers (float CATEGORIES), values compare as floats.",
        ]
    lines.append(f"This equals embedsum's {fn} bit for bit.")
    if t.kind == "binary":
        lines += ["predict_proba(row) = [sigmoid(-z), sigmoid(z)];",
                  "predict(row) = CLASSES[1] if z > 0 else CLASSES[0]."]
        example = ">>> len(predict_proba([float('nan')] * N_FEATURES))", "2"
    elif t.kind == "multiclass":
        lines += ["predict_proba(row) = the softmax of the K values; predict(row) = CLASSES of the largest."]
        example = ">>> len(predict_proba([float('nan')] * N_FEATURES)) == N_CLASSES", "True"
    else:
        example = ">>> isinstance(predict([float('nan')] * N_FEATURES), float)", "True"
    return lines + ["", *example, '"""']


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
    t = _Tables(model)
    d = t.n_features
    xs = [f"x{j}" for j in range(d)]
    fn = "predict" if t.kind == "regression" else "decision_function"
    public = ["FEATURES", "N_FEATURES"]
    if t.is_classifier:
        public += ["CLASSES"] + (["N_CLASSES"] if t.kind == "multiclass" else [])
    public += ["decision_function", "predict_proba", "predict"] if t.is_classifier else ["predict"]
    out = _py_docstring(t) + [
        "",
        "from bisect import bisect_left as _bisect_left",
    ]
    if t.is_classifier:
        out.append("from math import exp as _exp")
    if t.categorical:
        out.append("from numbers import Complex as _Complex, Number as _Number, Real as _Real")
    out += [
        "",
        f"__all__ = {public!r}".replace("'", '"'),
        "",
        '_INF = float("inf")',
        '_NAN = float("nan")',
        "",
        "FEATURES = (" + "".join(f"\n    {name!r}," for name in t.names) + "\n)",
        f"N_FEATURES = {d}",
    ]
    if t.is_classifier:
        out.append("CLASSES = (" + ", ".join(_py_label(c) for c in t.classes) + ")")
        if t.kind == "multiclass":
            out.append(f"N_CLASSES = {len(t.classes)}")
    out += [
        f"INTERCEPT = {_py_value(t.intercept)}",
        "",
        "# CUTS[j]: strictly increasing cut points of numeric feature j (None: categorical).",
        "# SCORES[j]: score of each bin of feature j" + ("" if t.n_outputs == 1 else " (one per class)") + ": "
        "len(CUTS[j]) + 1 interval bins",
        "# (or the categories, then the \"other\" bin), then the missing bin.",
        "CUTS = (",
    ]
    for j, f in enumerate(t.features):
        out.append(f"    # {j}: {t.names[j]!r}")
        out.append(f"    {_py_tuple(f.cuts)}," if f.kind == _NUMERIC else "    None,")
    out.append(")")
    out.append("SCORES = (")
    for j, f in enumerate(t.features):
        out.append(f"    # {j}: {t.names[j]!r}")
        out.append(f"    {_py_tuple(f.scores)},")
    out.append(")")
    if t.categorical:
        out.append("# CATEGORIES[j], RARE_CATEGORIES[j]: the kept (in bin order) and the rare categories of")
        out.append("# categorical feature j; UNSEEN[j]: the score of a category never seen in training.")
        out.append("# (None for a numeric feature.)")
        for name, attribute in (("CATEGORIES", "kept"), ("RARE_CATEGORIES", "rare")):
            out.append(f"{name} = (")
            for j, f in enumerate(t.features):
                out.append(f"    # {j}: {t.names[j]!r}")
                out.append("    None," if f.kind == _NUMERIC else f"    {_py_tuple(getattr(f, attribute))},")
            out.append(")")
        out.append("UNSEEN = (" + "".join(
            "\n    None," if f.kind == _NUMERIC else f"\n    {_py_value(f.unseen)}," for f in t.features) + "\n)")
        out.append(_PY_CATEGORY_HELPERS)
    out += [
        "",
        "def _float(v):",
        '    """A numeric feature\'s value as float; None is missing (NaN), as numpy reads it."""',
        "    return _NAN if v is None else float(v)",
        "",
        "",
        "# One module-level name per feature: the unrolled sum below reads them without indexing.",
        _py_unpack([f"_C{j}" for j in range(d)], "CUTS"),
    ]
    if t.categorical:
        # A categorical feature's table has its unseen score appended: index m + 2.
        tables = [f"SCORES[{j}]" if f.kind == _NUMERIC else f"SCORES[{j}] + (UNSEEN[{j}],)"
                  for j, f in enumerate(t.features)]
        out.append(_py_unpack([f"_S{j}" for j in range(d)], "(" + "".join(f"\n    {x}," for x in tables) + "\n)"))
        out += [f"_K{j} = _lookup(CATEGORIES[{j}], RARE_CATEGORIES[{j}])"
                for j, f in enumerate(t.features) if f.kind != _NUMERIC]
    else:
        out.append(_py_unpack([f"_S{j}" for j in range(d)], "SCORES"))
    what = {"binary": "Decision value (log-odds of CLASSES[1])",
            "multiclass": "Decision values (one per class, a list)",
            "regression": "Predicted target"}[t.kind]
    out += [
        "",
        "",
        f"def {fn}(row):",
        f'    """{what} of one row of N_FEATURES values (NaN or None = missing)."""',
        "    # A numpy row converts faster in one tolist() call than value by value.",
        '    tolist = getattr(row, "tolist", None)',
        "    if tolist is not None:",
        "        row = tolist()",
        f"    if len(row) != {d}:",
        f'        raise ValueError(f"row has {{len(row)}} values, but this model expects {d} features {{FEATURES!r}}")',
    ]
    if t.categorical:
        out.append("    " + _py_unpack(xs, "row"))
        out += [f"    x{j} = _float(x{j})" for j, f in enumerate(t.features) if f.kind == _NUMERIC]
    else:
        out += [
            "    # float() first, as numpy converts to float64 before comparing with the cuts.",
            "    try:",
            "        " + _py_unpack(xs, "map(float, row)"),
            "    except TypeError:  # None: missing, as numpy reads it",
            "        " + _py_unpack(xs, "map(_float, row)"),
        ]
    terms = []
    for j, f in enumerate(t.features):
        if f.kind == _NUMERIC:
            # x == x is False only for NaN, which takes the missing bin (bisect would place NaN anywhere).
            terms.append(f"_S{j}[_bisect_left(_C{j}, x{j}) if x{j} == x{j} else {f.missing_bin}]")
        else:
            helper = "_text_bin" if f.kind == _TEXT else "_number_bin"
            terms.append(f"_S{j}[{helper}(x{j}, _K{j}, {j}, {len(f.kept)})]")
    if t.n_outputs == 1:
        for start in range(0, d, _TERMS_PER_STATEMENT):
            head = "INTERCEPT" if start == 0 else "z"
            chunk = "".join(f"\n        + {term}" for term in terms[start:start + _TERMS_PER_STATEMENT])
            out.append(f"    z = ({head}{chunk}\n    )")
        out.append("    return z")
    else:
        out.append("    # The bin of each feature, as its tuple of one score per class.")
        for start in range(0, d, _TERMS_PER_STATEMENT):
            chunk = "".join(f"\n        {term}," for term in terms[start:start + _TERMS_PER_STATEMENT])
            out.append(f"    bins {'=' if start == 0 else '+='} [{chunk}\n    ]")
        out += [
            "    z = []",
            "    for k, total in enumerate(INTERCEPT):",
            "        for scores in bins:  # feature order, one addition at a time",
            "            total += scores[k]",
            "        z.append(total)",
            "    return z",
        ]
    if t.kind == "binary":
        out += [
            "",
            "",
            "def predict_proba(row):",
            '    """[P(CLASSES[0]), P(CLASSES[1])] of one row, by the overflow-free sigmoid of embedsum.scoring."""',
            "    z = decision_function(row)",
            "    e = _exp(-abs(z))  # in (0, 1]: never overflows; underflows to 0.0 for |z| > 745",
            "    big, small = 1.0 / (1.0 + e), e / (1.0 + e)",
            "    # sigmoid(z) is big for z >= 0, sigmoid(-z) is big for -z >= 0 (z == 0 gives 0.5 twice).",
            "    return [big if z <= 0 else small, big if z >= 0 else small]",
            "",
            "",
            "def predict(row):",
            '    """CLASSES[1] if the decision value of the row is > 0, else CLASSES[0]."""',
            "    return CLASSES[1] if decision_function(row) > 0 else CLASSES[0]",
        ]
    elif t.kind == "multiclass":
        out += [
            "",
            "",
            "def _argmax(z):",
            "    # numpy's argmax: the first largest value; a NaN counts as largest.",
            "    best = 0",
            "    for k in range(1, len(z)):",
            "        if z[best] != z[best]:",
            "            break",
            "        if z[k] > z[best] or z[k] != z[k]:",
            "            best = k",
            "    return best",
            "",
            "",
            "def predict_proba(row):",
            '    """P(CLASSES[k]) of one row for each k: the softmax of embedsum.scoring, overflow-free."""',
            "    z = decision_function(row)",
            "    top = z[_argmax(z)]",
            "    e = [_exp(v - top) for v in z]  # each in (0, 1]",
            "    total = 0.0",
            "    for v in e:  # left to right, as numpy sums a short row (not math.fsum, not sum())",
            "        total += v",
            "    return [v / total for v in e]",
            "",
            "",
            "def predict(row):",
            '    """The class of the largest decision value of the row (the first one on a tie)."""',
            "    return CLASSES[_argmax(decision_function(row))]",
        ]
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# C
# --------------------------------------------------------------------------------------


def _c_string(text: str) -> str:
    """A C string literal of text's UTF-8 bytes: printable ASCII as is, the rest in octal.

    ``?`` is escaped so that no trigraph (``??/``) can form; octal escapes always have
    three digits so that a following digit is never read as part of the escape.
    """
    parts = []
    for byte in str(text).encode("utf-8", errors="surrogatepass"):
        char = chr(byte)
        if char in '"\\?':
            parts.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            parts.append(char)
        else:
            parts.append(f"\\{byte:03o}")
    return '"' + "".join(parts) + '"'


def _c_comment_text(text: str) -> str:
    # The escaped string has no newline; break every "*/" (ends the comment) and "/*"
    # (-Wcomment) until none is left.
    escaped = _c_string(text)
    while "*/" in escaped or "/*" in escaped:
        escaped = escaped.replace("*/", "*\\/").replace("/*", "/\\*")
    return escaped


def _c_string_table(p: str, kind: str, texts) -> str:
    """``p_<kind>(i)``: the i-th text, from one char array and an offset table.

    Pointer tables (``const char *const[]``) would need load-time relocation (writable
    memory in position-independent code); one array of chars stays in read-only data.
    """
    encoded = [str(text).encode("utf-8", errors="surrogatepass") for text in texts]
    offsets = np.cumsum([0] + [len(b) + 1 for b in encoded[:-1]]).tolist()
    total = sum(len(b) + 1 for b in encoded)
    if total <= 4000:  # C99 promises string literals of 4095 bytes (-Woverlength-strings)
        # The literal's own final NUL ends the last text; C++ refuses one byte too many.
        init = " \"\\000\"\n".join(f"    {_c_string(text)}" for text in texts)
    else:
        # Character constants, not integers: bytes above 127 do not fit a signed char.
        data = [f"'\\{byte:03o}'" for b in encoded for byte in (*b, 0)]
        init = "{\n" + "\n".join(
            "    " + ", ".join(data[i:i + 12]) + "," for i in range(0, len(data), 12)
        ) + "\n}"
    n = len(encoded)
    return f"""\
static const char {p}_{kind}_data[{total}] =
{init};
static const size_t {p}_{kind}_offsets[{n}] = {{{", ".join(map(str, offsets))}}};
static inline const char *{p}_{kind}(size_t i)
{{
    return i < {n} ? {p}_{kind}_data + {p}_{kind}_offsets[i] : NULL;
}}
"""


def _c_double(x: float) -> str:
    # Hexadecimal float literals (C99) are exact: no decimal rounding on either side.
    if math.isinf(x):
        return "INFINITY" if x > 0 else "-INFINITY"
    return float.hex(x)


def _c_array(values, per_line: int = 3) -> str:
    items = [_c_double(v) for v in values]
    return "\n".join("    " + ", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line))


def _c_sizes(values, per_line: int = 16) -> str:
    items = [str(int(v)) for v in values]
    return "\n".join("    " + ", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line))


def _check_prefix(prefix) -> str:
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", prefix, flags=re.ASCII):
        raise ValueError(
            f"prefix must be a C identifier: an ASCII letter, then letters, digits or '_' "
            f"(no leading '_', which C reserves); got {prefix!r}"
        )
    if prefix in _C_KEYWORDS or "__" in prefix:
        raise ValueError(f"prefix {prefix!r} is a C/C++ keyword or contains '__' (reserved); choose another name.")
    return prefix


def _c_bin_rows(scores, n_outputs: int) -> str:
    if n_outputs == 1:
        return _c_array(scores)
    return "\n".join("    " + ", ".join(_c_double(v) for v in row) + "," for row in scores)


def _c_usage(t: _Tables, p: str, up: str, args: str, text: bool) -> str:
    """The "Use:" part of the header's top comment."""
    call = "row, text" if text else "row"
    many = "rows, texts" if text else "rows"
    lines = [" * Use:", ' *     #include "this_header.h"']
    if t.kind == "binary":
        lines += [
            " *     double z, proba[2];",
            " *     int class_index;",
            f" *     if ({p}_decision({call}, {up}_N_FEATURES, &z) != {up}_OK) {{ ... }}",
            f" *     {p}_predict_proba({call}, {up}_N_FEATURES, proba);   proba[1] = P(class 1)",
            f" *     {p}_predict({call}, {up}_N_FEATURES, &class_index);  1 if z > 0, else 0",
            f" *     {p}_class_name(class_index), {p}_feature_name(j)  UTF-8, NULL out of range",
            f" *     {p}_decision_many({many}, n_rows, {up}_N_FEATURES, out);  rows row-major",
        ]
    elif t.kind == "multiclass":
        lines += [
            f" *     double z[{up}_N_CLASSES], proba[{up}_N_CLASSES];",
            " *     int class_index;",
            f" *     if ({p}_decision({call}, {up}_N_FEATURES, z) != {up}_OK) {{ ... }}  z[k]: class k",
            f" *     {p}_predict_proba({call}, {up}_N_FEATURES, proba);   softmax of z",
            f" *     {p}_predict({call}, {up}_N_FEATURES, &class_index);  the first largest z[k]",
            f" *     {p}_class_name(class_index), {p}_feature_name(j)  UTF-8, NULL out of range",
            f" *     {p}_decision_many({many}, n_rows, {up}_N_FEATURES, out);  rows row-major,",
            f" *         out[i * {up}_N_CLASSES + k]: row i, class k",
        ]
    else:
        lines += [
            " *     double y;",
            f" *     if ({p}_predict({call}, {up}_N_FEATURES, &y) != {up}_OK) {{ ... }}",
            f" *     {p}_decision(...): the same as {p}_predict; {p}_feature_name(j)  UTF-8, NULL out of range",
            f" *     {p}_decision_many({many}, n_rows, {up}_N_FEATURES, out);  rows row-major",
        ]
    lines.append(f" * A row is {up}_N_FEATURES doubles in the order below; NaN means missing.")
    if text:
        lines += [
            f" * text is {up}_N_FEATURES strings (const char *), read only for the features marked",
            " * \"text[j]\" below (the others may be NULL; row[j] is ignored for those): UTF-8, NULL",
            " * or \"\" means missing; a number in such a feature is written as Python's str() writes",
            " * it (\"3\", \"1.5\"), a boolean as \"True\"/\"False\". texts is row-major like rows.",
        ]
    if t.categorical:
        lines += [
            " * A category never seen in training scores the feature's training-weighted mean score;",
            " * a category of \"value\" features matches row[j] by == (NaN: missing).",
        ]
    lines += [
        f" * The int functions return {up}_OK (0), {up}_ERR_N_FEATURES when n_features is not",
        f" * {up}_N_FEATURES, or {up}_ERR_NULL for a NULL pointer; nothing is written then.",
    ]
    if t.is_classifier:
        lines.append(" * Link with -lm for the probability helpers (exp).")
    return "\n".join(lines)


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
    p = _check_prefix(prefix)
    up = p.upper()
    t = _Tables(model)
    d, n_out = t.n_features, t.n_outputs
    text = _TEXT in t.kinds
    args = "const double *row, const char *const *text" if text else "const double *row"
    call = "row, text" if text else "row"
    null_test = "row == NULL || text == NULL" if text else "row == NULL"

    n_cuts = [len(f.cuts) for f in t.features]
    n_bins = [len(f.scores) + (f.kind != _NUMERIC) for f in t.features]  # categorical: + the unseen score
    cut_offsets = np.concatenate([[0], np.cumsum(n_cuts)]).astype(int).tolist()
    score_offsets = np.concatenate([[0], np.cumsum(n_bins)]).astype(int).tolist()
    flat_cuts = [v for f in t.features for v in f.cuts]

    # Category tables, sorted for a binary search: (value, bin) of every kept and rare category.
    values, value_bins, texts, text_bins, first = [], [], [], [], {}
    for j, f in enumerate(t.features):
        entries = [(v, i) for i, v in enumerate(f.kept)] + [(v, len(f.kept)) for v in f.rare]
        if f.kind == _NUMBER:
            first[j] = (len(values), len(entries))
            for v, b in sorted(entries):
                values.append(v)
                value_bins.append(b)
        elif f.kind == _TEXT:
            # strcmp orders by unsigned bytes: sort by the UTF-8 bytes. A C string cannot hold
            # a NUL, so a category with one can never match and is left out.
            encoded = [(v.encode("utf-8", errors="surrogatepass"), v, b) for v, b in entries]
            encoded = sorted(e for e in encoded if b"\0" not in e[0])
            first[j] = (len(texts), len(encoded))
            texts += [v for _, v, _ in encoded]
            text_bins += [b for _, _, b in encoded]

    kind_notes = {_NUMERIC: "", _NUMBER: " (categories by value, row[{j}])", _TEXT: " (categories, text[{j}])"}
    feature_lines = "".join(
        f" *   {j:>4}: {_c_comment_text(n)}{kind_notes[f.kind].format(j=j)}\n"
        for j, (n, f) in enumerate(zip(t.names, t.features))
    )
    if t.is_classifier:
        classes = ", ".join(f"{k}: {_c_comment_text(str(c))}" for k, c in enumerate(t.classes))
        class_line = f" * Classes: {classes}\n"
    else:
        class_line = " * Regression: the decision value is the predicted target.\n"
    if n_out == 1:
        sum_text = "decision = intercept + scores_0[b_0] + scores_1[b_1] + ..., added in double"
    else:
        sum_text = "decision[k] = intercept[k] + scores_0[b_0][k] + scores_1[b_1][k] + ...,\n * added in double"
    if t.categorical:
        bins_text = (" * from left to right, where b_j is the number of cuts of numeric feature j below\n"
                     " * row[j] (NaN: the last, missing, bin) or the bin of the category.")
    else:
        bins_text = (" * from left to right, where b_j is the number of cuts of feature j below row[j] and NaN\n"
                     " * takes the last (missing) bin.")
    defines = [f"#define {up}_N_FEATURES {d}", f"#define {up}_N_OUTPUTS {n_out}"]
    if t.is_classifier:
        defines.append(f"#define {up}_N_CLASSES {len(t.classes)}")
    defines += [f"#define {up}_OK 0", f"#define {up}_ERR_N_FEATURES 1", f"#define {up}_ERR_NULL 2"]
    includes = ["#include <float.h>", "#include <math.h>", "#include <stddef.h>"]
    if text:
        includes.append("#include <string.h>")
    tables = [_c_string_table(p, "feature_name", t.names)]
    if t.is_classifier:
        tables.append(_c_string_table(p, "class_name", [str(c) for c in t.classes]))
    if n_out == 1:
        tables.append(f"static const double {p}_intercept = {_c_double(t.intercept)};\n")
    else:
        tables.append(f"static const double {p}_intercept[{n_out}] = {{{', '.join(map(_c_double, t.intercept))}}};\n")

    header = f"""\
/* Standalone scorer of an embedsum model, generated by embedsum.export.to_c. Do not edit.
 *
 * Portable C99 (also valid C++): one header, static const tables, static inline
 * functions, no dynamic allocation, no writable global state, so it is thread-safe and
 * may be included in any number of translation units.
 *
{_c_usage(t, p, up, args, text)}
 *
 * Numerics: {sum_text}
{bins_text}
 * This equals embedsum's {"predict" if t.kind == "regression" else "decision_function"} bit for bit.
 * Do NOT compile with -ffast-math, -Ofast, -ffinite-math-only or -fassociative-math:
 * they let the compiler drop the NaN test (v != v) and reorder the additions (the header
 * refuses to compile under them). It needs FLT_EVAL_METHOD == 0 (no extended-precision
 * intermediates): true on x86-64, ARM and RISC-V; on 32-bit x86 add -msse2 -mfpmath=sse.
 *
 * Features ({d}; {p}_feature_name(j) returns the name of feature j):
{feature_lines}{class_line} */
#ifndef {up}_EMBEDSUM_MODEL_H
#define {up}_EMBEDSUM_MODEL_H

{chr(10).join(includes)}

#if defined(__FAST_MATH__) || defined(__ASSOCIATIVE_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "compile without -ffast-math, -Ofast, -ffinite-math-only, -fassociative-math: NaN tests, addition order"
#endif
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "this embedsum model needs FLT_EVAL_METHOD == 0 for bit-exact sums (on 32-bit x86: -msse2 -mfpmath=sse)"
#endif

{chr(10).join(defines)}

{chr(10).join(tables)}
/* Cuts of feature j: {p}_cuts[{p}_cut_offsets[j] .. {p}_cut_offsets[j + 1]), strictly increasing. */
static const size_t {p}_cut_offsets[{d + 1}] = {{{", ".join(map(str, cut_offsets))}}};
static const double {p}_cuts[{max(len(flat_cuts), 1)}] = {{
"""
    body = []
    for j, f in enumerate(t.features):
        body.append(f"    /* {j}: {_c_comment_text(t.names[j])} cuts: {len(f.cuts)} */")
        if f.cuts:
            body.append(_c_array(f.cuts))
    if not flat_cuts:
        body.append("    0.0, /* unused: no feature has cuts; C has no empty arrays */")
    body.append("};")
    body.append("")
    where = f"{p}_scores[{p}_score_offsets[j] + bin]" if n_out == 1 else \
        f"{p}_scores[({p}_score_offsets[j] + bin) * {up}_N_OUTPUTS + k] (class k)"
    body.append(f"/* Scores of feature j: {where},")
    body.append(" * the missing bin last (categorical features: the categories, \"other\", missing, then the")
    body.append(" * score of a category never seen in training). */")
    body.append(f"static const size_t {p}_score_offsets[{d + 1}] = {{{', '.join(map(str, score_offsets))}}};")
    body.append(f"static const double {p}_scores[{score_offsets[-1] * n_out}] = {{")
    for j, f in enumerate(t.features):
        body.append(f"    /* {j}: {_c_comment_text(t.names[j])} bins: {n_bins[j]} */")
        body.append(_c_bin_rows(f.scores + ((f.unseen,) if f.kind != _NUMERIC else ()), n_out))
    body.append("};")
    if _NUMBER in t.kinds:
        body.append("")
        body.append("/* Categories of value features, ascending per feature, and the bin of each. */")
        body.append(f"static const double {p}_category_values[{max(len(values), 1)}] = {{")
        body.append(_c_array(values) if values else "    0.0, /* unused: C has no empty arrays */")
        body.append("};")
        body.append(f"static const size_t {p}_category_value_bins[{max(len(values), 1)}] = {{")
        body.append(_c_sizes(value_bins) if values else "    0, /* unused */")
        body.append("};")
    if text:
        body.append("")
        body.append("/* Categories of text features, in strcmp order per feature, and the bin of each. */")
        body.append(_c_string_table(p, "category_text", texts or [""]).rstrip("\n"))
        body.append(f"static const size_t {p}_category_text_bins[{max(len(texts), 1)}] = {{")
        body.append(_c_sizes(text_bins) if texts else "    0, /* unused */")
        body.append("};")

    def bin_expression(j: int, f: _Feature) -> str:
        if f.kind == _NUMERIC:
            return f"{p}_bin({p}_cuts + {cut_offsets[j]}, {len(f.cuts)}, row[{j}])"
        start, count = first[j]
        function, value = (f"{p}_value_category", f"row[{j}]") if f.kind == _NUMBER else \
            (f"{p}_text_category", f"text[{j}]")
        return f"{function}({start}, {count}, {len(f.kept)}, {value})"

    functions = [f"""
/* Bin of v among n strictly increasing cuts: the number of cuts < v (lower bound);
 * NaN (v != v) takes the missing bin n + 1. The halving loop has no data-dependent
 * branch (compilers use a conditional move), so mixed inputs cost no mispredictions. */
static inline size_t {p}_bin(const double *cuts, size_t n, double v)
{{
    const double *base = cuts;
    if (v != v) {{
        return n + 1;
    }}
    if (n == 0) {{
        return 0;
    }}
    while (n > 1) {{
        size_t half = n / 2;
        base = (base[half - 1] < v) ? base + half : base;
        n -= half;
    }}
    return (size_t)(base - cuts) + (size_t)(base[0] < v);
}}
"""]
    if _NUMBER in t.kinds:
        functions.append(f"""
/* Bin of v in a value feature with m kept categories, whose n categories are
 * {p}_category_values[first ..]: missing (NaN) -> m + 1, never seen -> m + 2. */
static inline size_t {p}_value_category(size_t first, size_t n, size_t m, double v)
{{
    size_t low = first, high = first + n;
    if (v != v) {{
        return m + 1;
    }}
    while (low < high) {{
        size_t middle = low + (high - low) / 2;
        double c = {p}_category_values[middle];
        if (c == v) {{
            return {p}_category_value_bins[middle];
        }}
        if (c < v) {{
            low = middle + 1;
        }} else {{
            high = middle;
        }}
    }}
    return m + 2;
}}
""")
    if text:
        functions.append(f"""
/* Bin of text v in a text feature with m kept categories, whose n categories are
 * {p}_category_text entries first ..: missing (NULL or "") -> m + 1, never seen -> m + 2. */
static inline size_t {p}_text_category(size_t first, size_t n, size_t m, const char *v)
{{
    size_t low = first, high = first + n;
    if (v == NULL || v[0] == '\\0') {{
        return m + 1;
    }}
    while (low < high) {{
        size_t middle = low + (high - low) / 2;
        int c = strcmp({p}_category_text_data + {p}_category_text_offsets[middle], v);
        if (c == 0) {{
            return {p}_category_text_bins[middle];
        }}
        if (c < 0) {{
            low = middle + 1;
        }} else {{
            high = middle;
        }}
    }}
    return m + 2;
}}
""")
    checks = f"""\
    if ({null_test} || out == NULL) {{
        return {up}_ERR_NULL;
    }}
    if (n_features != {up}_N_FEATURES) {{
        return {up}_ERR_N_FEATURES;
    }}"""
    what = {"binary": "Decision value (log-odds of class 1) of one row into *out.",
            "multiclass": f"Decision values of one row, one per class, into out[0 .. {up}_N_CLASSES - 1].",
            "regression": "Predicted target (the decision value) of one row into *out."}[t.kind]
    if n_out == 1:
        unrolled = "\n".join(f"    z += {p}_scores[{score_offsets[j]} + {bin_expression(j, f)}];"
                             for j, f in enumerate(t.features))
        functions.append(f"""
/* {what} */
static inline int {p}_decision({args}, size_t n_features, double *out)
{{
    double z;
{checks}
    /* One addition per feature, in feature order: the order numpy adds in. Unrolled with
     * constant offsets and lengths, so the compiler unrolls each search too. */
    z = {p}_intercept;
{unrolled}
    *out = z;
    return {up}_OK;
}}
""")
    else:
        unrolled = "\n".join(
            f"    s[{j}] = {p}_scores + ({score_offsets[j]} + {bin_expression(j, f)}) * {up}_N_OUTPUTS;"
            for j, f in enumerate(t.features))
        functions.append(f"""
/* {what} */
static inline int {p}_decision({args}, size_t n_features, double out[{up}_N_OUTPUTS])
{{
    const double *s[{up}_N_FEATURES]; /* the scores of each feature's bin, one per class */
    size_t j, k;
{checks}
{unrolled}
    for (k = 0; k < {up}_N_OUTPUTS; ++k) {{
        /* One addition per feature, in feature order: the order numpy adds in. */
        double z = {p}_intercept[k];
        for (j = 0; j < {up}_N_FEATURES; ++j) {{
            z += s[j][k];
        }}
        out[k] = z;
    }}
    return {up}_OK;
}}
""")
    many_args = "const double *rows, const char *const *texts" if text else "const double *rows"
    many_null = "rows == NULL || texts == NULL" if text else "rows == NULL"
    many_call = (f"rows + i * {up}_N_FEATURES, texts + i * {up}_N_FEATURES" if text
                 else f"rows + i * {up}_N_FEATURES")
    many_notes = (",\n * its text at texts + i * n_features" if text else "") + \
        (f";\n * row i's values at out + i * {up}_N_OUTPUTS" if n_out > 1 else "")
    functions.append(f"""
/* Decision values of n_rows rows stored row-major (row i at rows + i * n_features{many_notes}). */
static inline int {p}_decision_many({many_args}, size_t n_rows, size_t n_features, double *out)
{{
    size_t i;
    if (n_rows == 0) {{
        return n_features == {up}_N_FEATURES ? {up}_OK : {up}_ERR_N_FEATURES;
    }}
    if ({many_null} || out == NULL) {{
        return {up}_ERR_NULL;
    }}
    if (n_features != {up}_N_FEATURES) {{
        return {up}_ERR_N_FEATURES;
    }}
    for (i = 0; i < n_rows; ++i) {{
        (void){p}_decision({many_call}, {up}_N_FEATURES, out + i{f" * {up}_N_OUTPUTS" if n_out > 1 else ""});
    }}
    return {up}_OK;
}}
""")
    if t.kind == "binary":
        functions.append(f"""
/* 1 / (1 + exp(-z)) without overflow, as embedsum.scoring.sigmoid: exp(-|z|) <= 1. */
static inline double {p}_sigmoid(double z)
{{
    double e = exp(-fabs(z));
    return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}}

/* proba[0] = P(class 0) = sigmoid(-z), proba[1] = P(class 1) = sigmoid(z). */
static inline int {p}_predict_proba({args}, size_t n_features, double proba[2])
{{
    double z;
    int status;
    if (proba == NULL) {{
        return {up}_ERR_NULL;
    }}
    status = {p}_decision({call}, n_features, &z);
    if (status != {up}_OK) {{
        return status;
    }}
    proba[0] = {p}_sigmoid(-z);
    proba[1] = {p}_sigmoid(z);
    return {up}_OK;
}}

/* *class_index = 1 if the decision value is > 0, else 0 (see {p}_class_name). */
static inline int {p}_predict({args}, size_t n_features, int *class_index)
{{
    double z;
    int status;
    if (class_index == NULL) {{
        return {up}_ERR_NULL;
    }}
    status = {p}_decision({call}, n_features, &z);
    if (status != {up}_OK) {{
        return status;
    }}
    *class_index = z > 0 ? 1 : 0;
    return {up}_OK;
}}
""")
    elif t.kind == "multiclass":
        functions.append(f"""
/* Index of the largest of the {up}_N_CLASSES values, the first on a tie; a NaN counts
 * as largest (numpy's argmax). */
static inline size_t {p}_argmax(const double *z)
{{
    size_t best = 0, k;
    for (k = 1; k < {up}_N_CLASSES; ++k) {{
        if (z[best] != z[best]) {{
            break;
        }}
        if (z[k] > z[best] || z[k] != z[k]) {{
            best = k;
        }}
    }}
    return best;
}}

/* proba = softmax(z) as embedsum.scoring.softmax: the largest value subtracted (so every
 * exp is at most 1 and nothing overflows), the exponentials summed left to right. */
static inline void {p}_softmax(const double *z, double *proba)
{{
    double top = z[{p}_argmax(z)], total = 0.0;
    size_t k;
    for (k = 0; k < {up}_N_CLASSES; ++k) {{
        proba[k] = exp(z[k] - top);
    }}
    for (k = 0; k < {up}_N_CLASSES; ++k) {{
        total += proba[k];
    }}
    for (k = 0; k < {up}_N_CLASSES; ++k) {{
        proba[k] /= total;
    }}
}}

/* proba[k] = P(class k), the softmax of the decision values. */
static inline int {p}_predict_proba({args}, size_t n_features, double proba[{up}_N_CLASSES])
{{
    double z[{up}_N_CLASSES];
    int status;
    if (proba == NULL) {{
        return {up}_ERR_NULL;
    }}
    status = {p}_decision({call}, n_features, z);
    if (status != {up}_OK) {{
        return status;
    }}
    {p}_softmax(z, proba);
    return {up}_OK;
}}

/* *class_index = the class of the largest decision value (see {p}_class_name). */
static inline int {p}_predict({args}, size_t n_features, int *class_index)
{{
    double z[{up}_N_CLASSES];
    int status;
    if (class_index == NULL) {{
        return {up}_ERR_NULL;
    }}
    status = {p}_decision({call}, n_features, z);
    if (status != {up}_OK) {{
        return status;
    }}
    *class_index = (int){p}_argmax(z);
    return {up}_OK;
}}
""")
    else:
        functions.append(f"""
/* Predicted target of one row into *out: the decision value. */
static inline int {p}_predict({args}, size_t n_features, double *out)
{{
    return {p}_decision({call}, n_features, out);
}}
""")
    functions.append(f"\n#endif /* {up}_EMBEDSUM_MODEL_H */\n")
    return header + "\n".join(body) + "\n" + "".join(functions)
