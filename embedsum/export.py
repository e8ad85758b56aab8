"""Export a fitted model as standalone source code: a pure-Python module or a C99 header.

Both keep the scoring contract of :mod:`embedsum.scoring` (design.md section 3): the
decision value is ``intercept + score_0[b_0] + score_1[b_1] + ...`` added in float64,
left to right, in feature order, where ``b_j`` is the number of cuts of feature ``j``
strictly below the value and NaN goes to the missing bin (the last one). So the
exported code gives decision values equal **bit for bit** to ``decision_function``.
Numbers are written so that they read back exactly (``repr`` in Python, hexadecimal
float literals in C); nothing is rounded through decimal.

Probabilities use the same stable sigmoid as :func:`embedsum.scoring.sigmoid`. They
equal numpy's bit for bit wherever the platform's ``exp`` (``math.exp``, C's ``exp``)
equals ``np.exp``; numpy builds with their own vectorised ``exp`` (AVX-512) may differ
from the C library in the last bit of a probability, never in the decision value.
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


class _Tables:
    """The numbers of a fitted model, checked, as plain Python floats and tuples."""

    def __init__(self, model):
        check_is_fitted(model, "bin_scores_")
        n_features = int(model.n_features_in_)
        cuts, scores = list(model.cuts_), list(model.bin_scores_)
        if len(cuts) != n_features or len(scores) != n_features:
            raise ValueError(
                f"the model has {len(cuts)} cut arrays and {len(scores)} score arrays for "
                f"{n_features} features; refit it before exporting."
            )
        self.cuts, self.scores = [], []
        for j, (c, s) in enumerate(zip(cuts, scores)):
            c = np.asarray(c, dtype=np.float64).ravel()
            s = np.asarray(s, dtype=np.float64).ravel()
            if np.isnan(c).any() or np.any(np.diff(c) <= 0):
                raise ValueError(f"the cuts of feature {j} are not strictly increasing numbers; refit the model.")
            if len(s) != len(c) + 2 or np.isnan(s).any():
                raise ValueError(
                    f"feature {j} needs {len(c) + 2} bin scores (its interval bins and the missing bin), "
                    f"none of them NaN; the model has {len(s)}."
                )
            self.cuts.append(tuple(float(v) for v in c))
            self.scores.append(tuple(float(v) for v in s))
        self.intercept = float(model.intercept_)
        if math.isnan(self.intercept):
            raise ValueError("the model's intercept_ is NaN; refit the model.")
        self.n_features = n_features
        names = getattr(model, "feature_names_in_", None)
        self.named = names is not None
        self.names = tuple(str(n) for n in names) if self.named else tuple(f"x{j}" for j in range(n_features))
        if len(self.names) != n_features:
            raise ValueError(f"the model has {len(self.names)} feature names for {n_features} features.")
        classes = [c.item() if isinstance(c, np.generic) else c for c in np.asarray(model.classes_, dtype=object)]
        if len(classes) != 2:
            raise ValueError(f"only binary models can be exported; this one has {len(classes)} classes.")
        self.classes = tuple(classes)


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


def _py_tuple(values, per_line: int = 4, indent: str = "    ") -> str:
    items = [_py_float(v) for v in values]
    if not items:
        return "()"
    lines = [", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line)]
    return "(\n" + "".join(f"{indent}    {line}\n" for line in lines) + f"{indent})"


def _py_unpack(names: list[str], value: str) -> str:
    # "a, = x" for one name: unpacking keeps the same code for every model size.
    return ", ".join(names) + ("," if len(names) == 1 else "") + f" = {value}"


def to_python(model) -> str:
    """Source of a standalone Python module that scores rows like ``model``, bit for bit.

    The module imports only ``bisect`` and ``math`` and defines ``FEATURES`` (feature
    names, or ``x0, x1, ...``), ``CLASSES``, ``N_FEATURES``, ``decision_function(row)``,
    ``predict_proba(row)`` (``[p0, p1]``) and ``predict(row)``, each for one row: a
    sequence of ``N_FEATURES`` numbers (NaN = missing). A row of another length raises
    ValueError. Raises NotFittedError when ``model`` is not fitted.

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
    out = [
        '"""Standalone scorer of an embedsum model, generated by embedsum.export.to_python. Do not edit.',
        "",
        "Standard library only. For one row (a sequence of N_FEATURES numbers, NaN = missing):",
        "decision_function(row) = INTERCEPT + SCORES[0][b0] + SCORES[1][b1] + ..., added left to",
        "right in float64, where bj = bisect_left(CUTS[j], row[j]) (the number of cuts below the",
        "value) and a NaN value takes the last (missing) bin. This equals embedsum's",
        "decision_function bit for bit. predict_proba(row) = [sigmoid(-z), sigmoid(z)];",
        "predict(row) = CLASSES[1] if z > 0 else CLASSES[0].",
        "",
        ">>> len(predict_proba([float('nan')] * N_FEATURES))",
        "2",
        '"""',
        "",
        "from bisect import bisect_left as _bisect_left",
        "from math import exp as _exp",
        "",
        '__all__ = ["FEATURES", "CLASSES", "N_FEATURES", "decision_function", "predict_proba", "predict"]',
        "",
        '_INF = float("inf")',
        "",
        "FEATURES = (" + "".join(f"\n    {name!r}," for name in t.names) + "\n)",
        f"CLASSES = ({_py_label(t.classes[0])}, {_py_label(t.classes[1])})",
        f"N_FEATURES = {d}",
        f"INTERCEPT = {_py_float(t.intercept)}",
        "",
        "# CUTS[j]: strictly increasing cut points of feature j.",
        "# SCORES[j]: score of each bin of feature j: len(CUTS[j]) + 1 interval bins, then the missing bin.",
        "CUTS = (",
    ]
    for j in range(d):
        out.append(f"    # {j}: {t.names[j]!r}")
        out.append(f"    {_py_tuple(t.cuts[j])},")
    out.append(")")
    out.append("SCORES = (")
    for j in range(d):
        out.append(f"    # {j}: {t.names[j]!r}")
        out.append(f"    {_py_tuple(t.scores[j])},")
    out.append(")")
    out += [
        "",
        "# One module-level name per feature: the unrolled sum below reads them without indexing.",
        _py_unpack([f"_C{j}" for j in range(d)], "CUTS"),
        _py_unpack([f"_S{j}" for j in range(d)], "SCORES"),
        "",
        "",
        "def decision_function(row):",
        '    """Decision value (log-odds of CLASSES[1]) of one row of N_FEATURES numbers (NaN = missing)."""',
        "    # A numpy row converts faster in one tolist() call than value by value.",
        '    tolist = getattr(row, "tolist", None)',
        "    if tolist is not None:",
        "        row = tolist()",
        f"    if len(row) != {d}:",
        f'        raise ValueError(f"row has {{len(row)}} values, but this model expects {d} features {{FEATURES!r}}")',
        "    # float() first, as numpy converts to float64 before comparing with the cuts.",
        "    " + _py_unpack(xs, "map(float, row)"),
    ]
    # x == x is False only for NaN, which takes the missing bin (bisect would place NaN anywhere).
    terms = [f"_S{j}[_bisect_left(_C{j}, x{j}) if x{j} == x{j} else {len(t.cuts[j]) + 1}]" for j in range(d)]
    first = True
    for start in range(0, d, _TERMS_PER_STATEMENT):
        head = "INTERCEPT" if first else "z"
        chunk = "".join(f"\n        + {term}" for term in terms[start:start + _TERMS_PER_STATEMENT])
        out.append(f"    z = ({head}{chunk}\n    )")
        first = False
    out += [
        "    return z",
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
        "",
    ]
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


def _check_prefix(prefix) -> str:
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", prefix, flags=re.ASCII):
        raise ValueError(
            f"prefix must be a C identifier: an ASCII letter, then letters, digits or '_' "
            f"(no leading '_', which C reserves); got {prefix!r}"
        )
    if prefix in _C_KEYWORDS or "__" in prefix:
        raise ValueError(f"prefix {prefix!r} is a C/C++ keyword or contains '__' (reserved); choose another name.")
    return prefix


def to_c(model, prefix: str = "embedsum") -> str:
    """One portable C99 header that scores rows like ``model``, bit for bit.

    Tables are ``static const``, functions ``static inline``; no allocation, no
    writable global state. Entry points (``P`` = prefix): ``P_decision(row, n, &z)``,
    ``P_decision_many(rows, n_rows, n, out)``, ``P_predict_proba(row, n, proba)``,
    ``P_predict(row, n, &class_index)`` and ``P_sigmoid(z)``; each ``int`` one returns
    ``P_OK`` (0) or an error code (``P_ERR_N_FEATURES``, ``P_ERR_NULL``). The header's
    top comment says how to use and compile it (never with ``-ffast-math``).

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
    d = t.n_features
    cut_offsets = np.concatenate([[0], np.cumsum([len(c) for c in t.cuts])]).astype(int).tolist()
    score_offsets = np.concatenate([[0], np.cumsum([len(s) for s in t.scores])]).astype(int).tolist()
    flat_cuts = [v for c in t.cuts for v in c]

    feature_lines = "".join(f" *   {j:>4}: {_c_comment_text(n)}\n" for j, n in enumerate(t.names))
    header = f"""\
/* Standalone scorer of an embedsum model, generated by embedsum.export.to_c. Do not edit.
 *
 * Portable C99 (also valid C++): one header, static const tables, static inline
 * functions, no dynamic allocation, no writable global state, so it is thread-safe and
 * may be included in any number of translation units.
 *
 * Use:
 *     #include "this_header.h"
 *     double z, proba[2];
 *     int class_index;
 *     if ({p}_decision(row, {up}_N_FEATURES, &z) != {up}_OK) {{ ... }}
 *     {p}_predict_proba(row, {up}_N_FEATURES, proba);   proba[1] = P(class 1)
 *     {p}_predict(row, {up}_N_FEATURES, &class_index);  1 if z > 0, else 0
 *     {p}_class_name(class_index), {p}_feature_name(j)  UTF-8, NULL out of range
 *     {p}_decision_many(rows, n_rows, {up}_N_FEATURES, out);  rows row-major
 * A row is {up}_N_FEATURES doubles in the order below; NaN means missing. The int
 * functions return {up}_OK (0), {up}_ERR_N_FEATURES when n_features is not
 * {up}_N_FEATURES, or {up}_ERR_NULL for a NULL pointer; nothing is written then.
 * Link with -lm for the probability helpers (exp).
 *
 * Numerics: decision = intercept + scores_0[b_0] + scores_1[b_1] + ..., added in double
 * from left to right, where b_j is the number of cuts of feature j below row[j] and NaN
 * takes the last (missing) bin. This equals embedsum's decision_function bit for bit.
 * Do NOT compile with -ffast-math, -Ofast, -ffinite-math-only or -fassociative-math:
 * they let the compiler drop the NaN test (v != v) and reorder the additions (the header
 * refuses to compile under them). It needs FLT_EVAL_METHOD == 0 (no extended-precision
 * intermediates): true on x86-64, ARM and RISC-V; on 32-bit x86 add -msse2 -mfpmath=sse.
 *
 * Features ({d}; {p}_feature_name(j) returns the name of feature j):
{feature_lines} * Classes: 0: {_c_comment_text(str(t.classes[0]))}, 1: {_c_comment_text(str(t.classes[1]))}
 */
#ifndef {up}_EMBEDSUM_MODEL_H
#define {up}_EMBEDSUM_MODEL_H

#include <float.h>
#include <math.h>
#include <stddef.h>

#if defined(__FAST_MATH__) || defined(__ASSOCIATIVE_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "compile without -ffast-math, -Ofast, -ffinite-math-only, -fassociative-math: NaN tests, addition order"
#endif
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "this embedsum model needs FLT_EVAL_METHOD == 0 for bit-exact sums (on 32-bit x86: -msse2 -mfpmath=sse)"
#endif

#define {up}_N_FEATURES {d}
#define {up}_OK 0
#define {up}_ERR_N_FEATURES 1
#define {up}_ERR_NULL 2

{_c_string_table(p, 'feature_name', t.names)}
{_c_string_table(p, 'class_name', [str(c) for c in t.classes])}
static const double {p}_intercept = {_c_double(t.intercept)};

/* Cuts of feature j: {p}_cuts[{p}_cut_offsets[j] .. {p}_cut_offsets[j + 1]), strictly increasing. */
static const size_t {p}_cut_offsets[{d + 1}] = {{{", ".join(map(str, cut_offsets))}}};
static const double {p}_cuts[{max(len(flat_cuts), 1)}] = {{
"""
    body = []
    for j in range(d):
        body.append(f"    /* {j}: {_c_comment_text(t.names[j])} cuts: {len(t.cuts[j])} */")
        if t.cuts[j]:
            body.append(_c_array(t.cuts[j]))
    if not flat_cuts:
        body.append("    0.0, /* unused: no feature has cuts; C has no empty arrays */")
    body.append("};")
    body.append("")
    body.append(f"/* Scores of feature j: {p}_scores[{p}_score_offsets[j] + bin], the missing bin last. */")
    body.append(f"static const size_t {p}_score_offsets[{d + 1}] = {{{', '.join(map(str, score_offsets))}}};")
    body.append(f"static const double {p}_scores[{score_offsets[-1]}] = {{")
    for j in range(d):
        body.append(f"    /* {j}: {_c_comment_text(t.names[j])} bins: {len(t.scores[j])} */")
        body.append(_c_array(t.scores[j]))
    body.append("};")
    unrolled = "\n".join(
        f"    z += {p}_scores[{score_offsets[j]} + {p}_bin({p}_cuts + {cut_offsets[j]}, {len(t.cuts[j])}, row[{j}])];"
        for j in range(d)
    )
    functions = f"""
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

/* Decision value (log-odds of class 1) of one row of n_features doubles into *out. */
static inline int {p}_decision(const double *row, size_t n_features, double *out)
{{
    double z;
    if (row == NULL || out == NULL) {{
        return {up}_ERR_NULL;
    }}
    if (n_features != {up}_N_FEATURES) {{
        return {up}_ERR_N_FEATURES;
    }}
    /* One addition per feature, in feature order: the order numpy adds in. Unrolled with
     * constant offsets and lengths, so the compiler unrolls each search too. */
    z = {p}_intercept;
{unrolled}
    *out = z;
    return {up}_OK;
}}

/* Decision values of n_rows rows stored row-major (row i at rows + i * n_features). */
static inline int {p}_decision_many(const double *rows, size_t n_rows, size_t n_features, double *out)
{{
    size_t i;
    if (n_rows == 0) {{
        return n_features == {up}_N_FEATURES ? {up}_OK : {up}_ERR_N_FEATURES;
    }}
    if (rows == NULL || out == NULL) {{
        return {up}_ERR_NULL;
    }}
    if (n_features != {up}_N_FEATURES) {{
        return {up}_ERR_N_FEATURES;
    }}
    for (i = 0; i < n_rows; ++i) {{
        (void){p}_decision(rows + i * {up}_N_FEATURES, {up}_N_FEATURES, out + i);
    }}
    return {up}_OK;
}}

/* 1 / (1 + exp(-z)) without overflow, as embedsum.scoring.sigmoid: exp(-|z|) <= 1. */
static inline double {p}_sigmoid(double z)
{{
    double e = exp(-fabs(z));
    return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}}

/* proba[0] = P(class 0) = sigmoid(-z), proba[1] = P(class 1) = sigmoid(z). */
static inline int {p}_predict_proba(const double *row, size_t n_features, double proba[2])
{{
    double z;
    int status;
    if (proba == NULL) {{
        return {up}_ERR_NULL;
    }}
    status = {p}_decision(row, n_features, &z);
    if (status != {up}_OK) {{
        return status;
    }}
    proba[0] = {p}_sigmoid(-z);
    proba[1] = {p}_sigmoid(z);
    return {up}_OK;
}}

/* *class_index = 1 if the decision value is > 0, else 0 (see {p}_class_name). */
static inline int {p}_predict(const double *row, size_t n_features, int *class_index)
{{
    double z;
    int status;
    if (class_index == NULL) {{
        return {up}_ERR_NULL;
    }}
    status = {p}_decision(row, n_features, &z);
    if (status != {up}_OK) {{
        return status;
    }}
    *class_index = z > 0 ? 1 : 0;
    return {up}_OK;
}}

#endif /* {up}_EMBEDSUM_MODEL_H */
"""
    return header + "\n".join(body) + "\n" + functions
