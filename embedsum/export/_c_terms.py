"""The tables and the terms of a header written by :func:`embedsum.export.to_c`.

A model is an intercept plus terms; each term adds the score of one bin of its table
(docs/design.md#scoring-contract). The header holds the main effects' tables in one array,
``p_scores`` (term after term, bins in order), the pair terms' in ``p_pair_scores`` (each
read row by row, docs/design.md#pair-terms), with the cuts and categories the bins are
found from, and ``p_add_terms``: one line per term, in order, that adds the score of the
row's bin; the static runtime (``_runtime.h``, ``_runtime.c``) does the rest. The lines
pass constant offsets and lengths, so that compilers unroll each bin search. A pair's bin
is ``code_a * length_b + code_b`` of the lookups the main effects use: no runtime function
and no local variable per term, so the stack stays bounded (docs/design.md#export).
"""

from __future__ import annotations

from .._bins import category_n_bins, category_other, category_unseen, numeric_n_bins
from ._c_literals import _c_array, _c_comment_text, _c_double, _c_rows, _c_sizes, _c_string_table
from ._tables import _NUMBER, _NUMERIC, _TEXT, _Feature, _Pair, _Tables


def _table_size(f: _Feature) -> int:
    """Rows of a feature's table in p_scores: its bins, and for a categorical one the unseen score."""
    return numeric_n_bins(len(f.cuts)) if f.kind == _NUMERIC else category_unseen(len(f.kept)) + 1


def _table_rows(f: _Feature) -> tuple:
    if f.kind == _NUMERIC:
        return f.scores
    assert len(f.scores) == category_n_bins(len(f.kept))
    return f.scores + (f.unseen,)


class _CTerms:
    """The tables of the checked tables ``t`` for prefix ``p``, and one bin expression per term."""

    def __init__(self, t: _Tables, p: str):
        self.t, self.p = t, p
        self.cut_offsets, self.score_offsets = [0], [0]
        self.values, self.value_bins, self.texts, self.text_bins = [], [], [], []
        self.expressions = []  # per term, in order: (its table array, its first row there, its bin expression)
        self.reads_row = False
        codes = []  # each feature's bin expression, which a pair's categorical axis reuses
        for j, f in enumerate(t.features):
            codes.append(self._main_effect(j, f))
            self.expressions.append((f"{p}_scores", self.score_offsets[-1], codes[-1]))
            self.cut_offsets.append(self.cut_offsets[-1] + len(f.cuts))
            self.score_offsets.append(self.score_offsets[-1] + _table_size(f))
        self.pair_cuts, self.pair_offsets = [], [0]  # the pairs' numeric axes' cuts; each table's first row
        for pair in t.pairs:
            self.expressions.append((f"{p}_pair_scores", self.pair_offsets[-1], self._pair(pair, codes)))
            self.pair_offsets.append(self.pair_offsets[-1] + pair.lengths[0] * pair.lengths[1])

    def _pair(self, pair: _Pair, codes: list) -> str:
        """The joint code of a pair term (docs/design.md#pair-terms): a numeric axis's bin on the
        pair's own cuts (kept in p_pair_cuts), a categorical axis's its feature's bin."""
        axes = []
        for j, cuts in ((pair.a, pair.cuts[0]), (pair.b, pair.cuts[1])):
            if cuts is None:
                axes.append(codes[j])
                continue
            self.reads_row = True
            axes.append(f"{self.p}_bin({self.p}_pair_cuts + {len(self.pair_cuts)}, {len(cuts)}, row[{j}])")
            self.pair_cuts += cuts
        return f"{axes[0]} * {pair.lengths[1]} + {axes[1]}"

    def _main_effect(self, j: int, f: _Feature) -> str:
        """The bin expression of feature j's term, after recording its category tables."""
        p = self.p
        if f.kind == _NUMERIC:
            self.reads_row = True
            return f"{p}_bin({p}_cuts + {self.cut_offsets[-1]}, {len(f.cuts)}, row[{j}])"
        # Every kept and rare category with its bin, sorted for a binary search.
        entries = [(v, i) for i, v in enumerate(f.kept)] + [(v, category_other(len(f.kept))) for v in f.rare]
        if f.kind == _NUMBER:
            self.reads_row = True
            start = len(self.values)
            for v, b in sorted(entries):
                self.values.append(v)
                self.value_bins.append(b)
            return (f"{p}_value_category({p}_category_values + {start}, {p}_category_value_bins + {start}, "
                    f"{len(entries)}, {len(f.kept)}, row[{j}])")
        # strcmp orders by unsigned bytes: sort by the UTF-8 bytes. A C string cannot hold
        # a NUL, so a category with one can never match and is left out.
        encoded = sorted(e for e in ((v.encode("utf-8", errors="surrogatepass"), v, b) for v, b in entries)
                         if b"\0" not in e[0])
        start = len(self.texts)
        self.texts += [v for _, v, _ in encoded]
        self.text_bins += [b for _, _, b in encoded]
        return (f"{p}_text_category({p}_category_text_data, {p}_category_text_offsets + {start}, "
                f"{p}_category_text_bins + {start}, {len(encoded)}, {len(f.kept)}, text[{j}])")

    def tables(self) -> str:
        """The model's tables: names, intercept, cuts, scores, categories."""
        t, p, up = self.t, self.p, self.p.upper()
        d, n_out = t.n_features, t.n_outputs
        out = [_c_string_table(p, "feature_name", t.names)]
        if t.is_classifier:
            out.append(_c_string_table(p, "class_name", [str(c) for c in t.classes]))
        if n_out == 1:
            out.append(f"static const double {p}_intercept = {_c_double(t.intercept)};\n")
        else:
            out.append(f"static const double {p}_intercept[{n_out}] = {{{', '.join(map(_c_double, t.intercept))}}};\n")
        flat_cuts = [v for f in t.features for v in f.cuts]
        out.append(f"/* Cuts of feature j: {p}_cuts[{p}_cut_offsets[j] .. {p}_cut_offsets[j + 1]), strictly increasing. */")
        out.append(f"static const size_t {p}_cut_offsets[{d + 1}] = {{{', '.join(map(str, self.cut_offsets))}}};")
        out.append(f"static const double {p}_cuts[{max(len(flat_cuts), 1)}] = {{")
        for j, f in enumerate(t.features):
            out.append(f"    /* {j}: {_c_comment_text(t.names[j])} cuts: {len(f.cuts)} */")
            if f.cuts:
                out.append(_c_array(f.cuts))
        if not flat_cuts:
            out.append("    0.0, /* unused: no feature has cuts; C has no empty arrays */")
        out.append("};")
        out.append("")
        where = f"{p}_scores[{p}_score_offsets[j] + bin]" if n_out == 1 else \
            f"{p}_scores[({p}_score_offsets[j] + bin) * {up}_N_OUTPUTS + k] (class k)"
        out.append(f"/* Scores of feature j: {where},")
        out.append(" * the missing bin last (categorical features: the categories, \"other\", missing, then the")
        out.append(" * score of a category never seen in training). */")
        out.append(f"static const size_t {p}_score_offsets[{d + 1}] = {{{', '.join(map(str, self.score_offsets))}}};")
        out.append(f"static const double {p}_scores[{self.score_offsets[-1] * n_out}] = {{")
        for j, f in enumerate(t.features):
            out.append(f"    /* {j}: {_c_comment_text(t.names[j])} bins: {_table_size(f)} */")
            out.append(_c_array(_table_rows(f)) if n_out == 1 else _c_rows(_table_rows(f)))
        out.append("};")
        if t.pairs:
            out += self._pair_tables()
        if _NUMBER in t.kinds:
            n = max(len(self.values), 1)
            out += ["", "/* Categories of value features, ascending per feature, and the bin of each. */",
                    f"static const double {p}_category_values[{n}] = {{",
                    _c_array(self.values) if self.values else "    0.0, /* unused: C has no empty arrays */",
                    "};", f"static const size_t {p}_category_value_bins[{n}] = {{",
                    _c_sizes(self.value_bins) if self.values else "    0, /* unused */", "};"]
        if _TEXT in t.kinds:
            out += ["", "/* Categories of text features, in strcmp order per feature, and the bin of each. */",
                    _c_string_table(p, "category_text", self.texts or [""]).rstrip("\n"),
                    f"static const size_t {p}_category_text_bins[{max(len(self.texts), 1)}] = {{",
                    _c_sizes(self.text_bins) if self.texts else "    0, /* unused */", "};"]
        return "\n".join(out) + "\n"

    def _pair_tables(self) -> list:
        """``p_pair_cuts`` (when an axis is numeric) and ``p_pair_scores``: the pair terms' tables."""
        t, p, up = self.t, self.p, self.p.upper()
        out = [""]
        if self.pair_cuts:
            out += [f"/* Cuts of the pairs' numeric axes, each strictly increasing, in pair order. */",
                    f"static const double {p}_pair_cuts[{len(self.pair_cuts)}] = {{", _c_array(self.pair_cuts), "};"]
        cell = "offset_p + code_a * length_b + code_b"
        where = cell if t.n_outputs == 1 else f"({cell}) * {up}_N_OUTPUTS + k"
        out += [f"/* Scores of pair term p over features (a, b): {p}_pair_scores[{where}]",
                " * (row by row), where a categorical axis's code is its feature's bin (its last entry: a",
                " * category never seen in training) and a numeric axis's its bin on the pair's cuts. */",
                f"static const double {p}_pair_scores[{self.pair_offsets[-1] * t.n_outputs}] = {{"]
        for q, pair in enumerate(t.pairs):
            out.append(f"    /* pair {q}: {pair.a} {_c_comment_text(t.names[pair.a])} x {pair.b} "
                       f"{_c_comment_text(t.names[pair.b])}, offset {self.pair_offsets[q]}, "
                       f"{pair.lengths[0]} x {pair.lengths[1]} */")
            out.append(_c_array(pair.scores) if t.n_outputs == 1 else _c_rows(pair.scores))
        out.append("};")
        return out

    def add_terms(self) -> str:
        """``p_add_terms``: every term, in order, adds the score of the row's bin."""
        t, p, up = self.t, self.p, self.p.upper()
        row = "const double *row, const char *const *text" if _TEXT in t.kinds else "const double *row"
        unused = "" if self.reads_row else "    (void)row;\n"
        why = ("/* The terms, in order (the features', then the pairs'), each adding the score of the row's\n"
               " * bin: the order numpy adds in (docs/design.md#scoring-contract). Constant offsets and\n"
               " * lengths, so that the compiler unrolls each search too. */\n")
        if t.n_outputs == 1:
            lines = "".join(f"    z += {array}[{offset} + {bin_}];\n" for array, offset, bin_ in self.expressions)
            return (f"{why}static inline double {p}_add_terms({row}, double z)\n{{\n{unused}{lines}"
                    "    return z;\n}\n")
        lines = "".join(f"    {p}_add_scores(z, {array} + ({offset} + {bin_}) * {up}_N_OUTPUTS + first, n);\n"
                        for array, offset, bin_ in self.expressions)
        return (f"{why}static inline void {p}_add_terms({row}, size_t first, size_t n, double *z)\n{{\n"
                f"{unused}{lines}}}\n")
