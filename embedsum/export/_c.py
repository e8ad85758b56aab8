"""The C generator of :func:`embedsum.export.to_c`: one portable C99 header.

The header scores rows bit for bit like the model (the contract is in
:mod:`embedsum.export`). Scores and cuts are written as hexadecimal float literals,
which are exact; names and category text as escaped string literals (printable ASCII as
is, with ``"``, ``\\`` and ``?`` escaped, every other byte in three-digit octal), kept in
read-only char arrays with offset tables. Every identifier starts with a checked prefix,
so the headers of several models can be included in one translation unit.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .._portable_exp import c_source as _exp_c_source
from ._tables import _NUMBER, _NUMERIC, _TEXT, _Feature, _Tables


# P_predict of a multiclass model scores the classes this many at a time, so that its stack
# does not grow with the number of classes.
_CLASS_BLOCK = 64

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
            " * (z and proba may be one array; with many classes, keep them off the stack.)",
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
    return "\n".join(lines)


def _c_probability_text(t: _Tables, p: str) -> str:
    """The header comment's lines on probabilities ("" for a regressor)."""
    if not t.is_classifier:
        return ""
    if t.kind == "binary":
        how = " * P(class 1) = sigmoid(z) = 1 / (1 + e) for z >= 0, else e / (1 + e), with e = exp(-|z|);\n"
    else:
        how = " * P(class k) = e_k / (e_0 + e_1 + ..., added left to right), e_k = exp(z_k - max z);\n"
    return (
        how + " * these equal embedsum's predict_proba bit for bit too, on every CPU: "
        f"{p}_exp is embedsum's\n"
        " * portable exp, plain double operations in a fixed order, never fused into FMAs\n"
        " * whatever -ffp-contract says (see the comment above it).\n"
    )


def _c_stack_text(t: _Tables, p: str) -> str:
    """The header comment's statement of the most stack any entry point uses."""
    if t.kind == "multiclass":
        block = min(_CLASS_BLOCK, t.n_outputs)
        return (f"every function uses a few scalars, and {p}_predict one block of {block}\n"
                f" * decision values ({8 * block} bytes): under 2 KiB in all, whatever the number of classes\n"
                " * and features. Arrays of one value per class are the caller's (out, proba).")
    return ("every function uses a few scalars: under 1 KiB in all, whatever the number of\n"
            " * features.")


def _c_source(t: _Tables, p: str) -> str:
    """The source of to_c for the checked tables ``t`` of a model and the checked prefix ``p``."""
    up = p.upper()
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
    if t.is_classifier:
        includes.append("#include <stdint.h>")
    if text or t.is_classifier:
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
{_c_probability_text(t, p)} * Do NOT compile with -ffast-math, -Ofast, -ffinite-math-only or -fassociative-math:
 * they let the compiler drop the NaN test (v != v) and reorder the additions (the header
 * refuses to compile under them). It needs double operations evaluated in double, with no
 * extended-precision intermediates: FLT_EVAL_METHOD 0 (x86-64, ARM, RISC-V), or 1, 16, 32
 * or 64 (GCC gives 16 in GNU modes on CPUs with AVX512-FP16); on 32-bit x86 (2) add
 * -msse2 -mfpmath=sse.
 * No libm function is called (only fabs, which compilers inline).
 *
 * Stack: {_c_stack_text(t, p)}
 *
 * Features ({d}; {p}_feature_name(j) returns the name of feature j):
{feature_lines}{class_line} */
#ifndef {up}_EMBEDSUM_MODEL_H
#define {up}_EMBEDSUM_MODEL_H

{chr(10).join(includes)}

#if defined(__FAST_MATH__) || defined(__ASSOCIATIVE_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "compile without -ffast-math, -Ofast, -ffinite-math-only, -fassociative-math: NaN tests, addition order"
#endif
#if !defined(FLT_EVAL_METHOD) || !(FLT_EVAL_METHOD == 0 || FLT_EVAL_METHOD == 1 || FLT_EVAL_METHOD == 16 \
    || FLT_EVAL_METHOD == 32 || FLT_EVAL_METHOD == 64)
#error "this embedsum model needs doubles evaluated as doubles (FLT_EVAL_METHOD 0); on 32-bit x86: -msse2 -mfpmath=sse"
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
        unrolled = "\n".join(f"    {p}_add_scores(z, {score_offsets[j]} + {bin_expression(j, f)}, first, n);"
                             for j, f in enumerate(t.features))
        functions.append(f"""
/* z[0 .. n - 1] += the scores of flat bin `bin` for classes first .. first + n - 1. */
static inline void {p}_add_scores(double *z, size_t bin, size_t first, size_t n)
{{
    const double *s = {p}_scores + bin * {up}_N_OUTPUTS + first;
    size_t k;
    for (k = 0; k < n; ++k) {{
        z[k] += s[k];
    }}
}}

/* Decision values of classes first .. first + n - 1 of one (checked) row into z[0 .. n - 1].
 * Feature by feature, in feature order, each class adds its score: per class, the order
 * numpy adds in. No array on the stack: z is the caller's. */
static inline void {p}_decision_classes({args}, size_t first, size_t n, double *z)
{{
    size_t k;
    for (k = 0; k < n; ++k) {{
        z[k] = {p}_intercept[first + k];
    }}
{unrolled}
}}

/* {what} */
static inline int {p}_decision({args}, size_t n_features, double out[{up}_N_OUTPUTS])
{{
{checks}
    {p}_decision_classes({call}, 0, {up}_N_OUTPUTS, out);
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
    if t.is_classifier:
        functions.append(_exp_c_source(p))
    if t.kind == "binary":
        functions.append(f"""
/* 1 / (1 + exp(-z)) without overflow, as embedsum.scoring.sigmoid: exp(-|z|) <= 1. */
static inline double {p}_sigmoid(double z)
{{
    double e = {p}_exp(-fabs(z));
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
        block = min(_CLASS_BLOCK, t.n_outputs)
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
 * exp is at most 1 and nothing overflows), the exponentials summed left to right, each
 * divided by the sum. proba may be z itself (in place). */
static inline void {p}_softmax(const double *z, double *proba)
{{
    double top = z[{p}_argmax(z)], total = 0.0;
    size_t k;
    for (k = 0; k < {up}_N_CLASSES; ++k) {{
        proba[k] = {p}_exp(z[k] - top);
    }}
    for (k = 0; k < {up}_N_CLASSES; ++k) {{
        total += proba[k];
    }}
    for (k = 0; k < {up}_N_CLASSES; ++k) {{
        proba[k] /= total;
    }}
}}

/* proba[k] = P(class k), the softmax of the decision values (computed in proba itself). */
static inline int {p}_predict_proba({args}, size_t n_features, double proba[{up}_N_CLASSES])
{{
    int status;
    if (proba == NULL) {{
        return {up}_ERR_NULL;
    }}
    status = {p}_decision({call}, n_features, proba);
    if (status != {up}_OK) {{
        return status;
    }}
    {p}_softmax(proba, proba);
    return {up}_OK;
}}

/* *class_index = the class of the largest decision value, the first on a tie, a NaN
 * counting as largest (numpy's argmax; see {p}_class_name). The classes are scored
 * {block} at a time, so the stack does not grow with their number. */
static inline int {p}_predict({args}, size_t n_features, int *class_index)
{{
    double z[{block}], best = 0.0;
    size_t first, k, n = 0, best_k = 0;
    if (class_index == NULL) {{
        return {up}_ERR_NULL;
    }}
    if ({null_test}) {{
        return {up}_ERR_NULL;
    }}
    if (n_features != {up}_N_FEATURES) {{
        return {up}_ERR_N_FEATURES;
    }}
    for (first = 0; first < {up}_N_CLASSES && best == best; first += n) {{
        n = {up}_N_CLASSES - first < {block} ? {up}_N_CLASSES - first : {block};
        {p}_decision_classes({call}, first, n, z);
        for (k = 0; k < n && best == best; ++k) {{
            if (first + k == 0 || z[k] > best || z[k] != z[k]) {{
                best = z[k];
                best_k = first + k;
            }}
        }}
    }}
    *class_index = (int)best_k;
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
    p = _check_prefix(prefix)  # a bad prefix is reported before an unfitted model
    return _c_source(_Tables(model), p)
