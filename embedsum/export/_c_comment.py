"""The top comment of a header written by :func:`embedsum.export.to_c`: how to use and compile it.

It is the one part of the header's text that depends on the model beyond its tables: the
entry points of its kind, its features and classes (escaped by
:func:`embedsum.export._c_literals._c_comment_text`), and the stack it uses
(docs/design.md#export).
"""

from __future__ import annotations

from ._c_literals import _c_comment_text
from ._tables import _NUMBER, _NUMERIC, _TEXT, _Tables


def _c_usage(t: _Tables, p: str, up: str, text: bool) -> str:
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
        how = " * P(class 1) = sigmoid(z) = 1 / (1 + e) for z >= 0, else 1 / (1 + 1 / e), with e = exp(-|z|);\n"
    else:
        how = " * P(class k) = e_k / (e_0 + e_1 + ..., added left to right), e_k = exp(z_k - max z);\n"
    return (
        how + " * these equal embedsum's predict_proba bit for bit too, on every CPU: "
        f"{p}_exp is embedsum's\n"
        " * portable exp, plain double operations in a fixed order, never fused into FMAs\n"
        " * whatever -ffp-contract says (see the comment above it).\n"
    )


def _c_stack_text(t: _Tables, p: str, block: int) -> str:
    """The header comment's statement of the most stack any entry point uses."""
    if t.kind == "multiclass":
        return (f"every function uses a few scalars, and {p}_predict one block of {block}\n"
                f" * decision values ({8 * block} bytes): under 2 KiB in all, whatever the number of classes\n"
                " * and features. Arrays of one value per class are the caller's (out, proba).")
    return ("every function uses a few scalars: under 1 KiB in all, whatever the number of\n"
            " * features.")


def _c_pair_text(t: _Tables) -> str:
    """The header comment's lines on pair terms ("" for a model without them)."""
    if not t.pairs:
        return ""
    return (" * Then each pair term (a, b) below adds its score at code_a * length_b + code_b, in\n"
            " * pair order: a numeric axis's code is the number of the pair's own cuts below row[j]\n"
            " * (NaN: the last), a categorical axis's the bin of the category (a category never\n"
            " * seen in training: the axis's last entry) (docs/design.md#pair-terms).\n")


def _c_pair_lines(t: _Tables) -> str:
    """The list of pair terms in the header comment: their features and axes."""
    if not t.pairs:
        return ""

    def axis(j, cuts):
        return f"{j} {_c_comment_text(t.names[j])} " + ("(its categories)" if cuts is None else f"({len(cuts)} cuts)")

    return f" * Pairs ({len(t.pairs)}; length_a x length_b):\n" + "".join(
        f" *   {q:>4}: {axis(pair.a, pair.cuts[0])} x {axis(pair.b, pair.cuts[1])}, "
        f"{pair.lengths[0]} x {pair.lengths[1]}\n" for q, pair in enumerate(t.pairs))


def _c_top_comment(t: _Tables, p: str, block: int) -> str:
    """The header's top comment, for the checked tables ``t``, the prefix ``p`` and the class block."""
    up = p.upper()
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
    if t.n_outputs == 1:
        sum_text = "decision = intercept + scores_0[b_0] + scores_1[b_1] + ..., added in double"
    else:
        sum_text = "decision[k] = intercept[k] + scores_0[b_0][k] + scores_1[b_1][k] + ...,\n * added in double"
    if t.categorical:
        bins_text = (" * from left to right, where b_j is the number of cuts of numeric feature j below\n"
                     " * row[j] (NaN: the last, missing, bin) or the bin of the category.")
    else:
        bins_text = (" * from left to right, where b_j is the number of cuts of feature j below row[j] and NaN\n"
                     " * takes the last (missing) bin.")
    pair_text = _c_pair_text(t)
    return f"""\
/* Standalone scorer of an embedsum model, generated by embedsum.export.to_c. Do not edit.
 *
 * Portable C99 (also valid C++): one header, static const tables, static inline
 * functions, no dynamic allocation, no writable global state, so it is thread-safe and
 * may be included in any number of translation units.
 *
{_c_usage(t, p, up, _TEXT in t.kinds)}
 *
 * Numerics: {sum_text}
{bins_text}
{pair_text} * This equals embedsum's {"predict" if t.kind == "regression" else "decision_function"} bit for bit.
{_c_probability_text(t, p)} * Do NOT compile with -ffast-math, -Ofast, -ffinite-math-only or -fassociative-math:
 * they let the compiler drop the NaN test (v != v) and reorder the additions (the header
 * refuses to compile under them). It needs double operations evaluated in double, with no
 * extended-precision intermediates: FLT_EVAL_METHOD 0 (x86-64, ARM, RISC-V), or 1, 16, 32
 * or 64 (GCC gives 16 in GNU modes on CPUs with AVX512-FP16); on 32-bit x86 (2) add
 * -msse2 -mfpmath=sse.
 * No libm function is called (only fabs, which compilers inline).
 *
 * Stack: {_c_stack_text(t, p, block)}
 *
 * Features ({t.n_features}; {p}_feature_name(j) returns the name of feature j):
{feature_lines}{_c_pair_lines(t)}{class_line} */
"""
