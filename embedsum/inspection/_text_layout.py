"""Laying out text in 80 columns: safe labels, bin labels, unicode score bars and class tables.

The pieces :func:`~embedsum.inspection._describe.describe` draws a model's terms with (the
features' bins and the pairs' cells): see that module's docstring for how they read.
"""

from __future__ import annotations

import re

import numpy as np

from ._kinds import _is_categorical, _label
from ._shape_functions import _category_text

WIDTH = 80
_HALF = 12  # cells on each side of the centre mark
_LABEL = 28  # widest label bin_labels makes with 2-digit exponents: "(-1.23457e-05, -1.23457e-05]"
_TABLE_LABEL = 22  # multiclass: the narrowest label, which leaves room for five class columns
_COLUMN = 8  # multiclass: one class score, right-aligned ("+99.999" and a space)
_INDENT = "     "
_SHARE = 7  # " 100.0%"
# Eighths of a cell, growing rightwards from the centre (unicode has all eight left-aligned blocks).
_GROW_RIGHT = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
# Growing leftwards needs right-aligned blocks, and unicode has only 1/8 and 1/2: round to those.
_GROW_LEFT = ["", "▕", "▕", "▐", "▐", "▐", "█", "█"]
_UNSEEN = "unseen (not in training)"
# What a terminal may act on rather than show: C0 controls (ESC, BEL, CR, LF, ...), DEL, C1
# controls (U+009B is a one-character CSI), line and paragraph separators, bidirectional overrides.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def printable(text) -> str:
    """``str(text)`` with every control character written as an escape: safe to print to a terminal.

    Names and labels come from CSV headers and model files, which anyone may write: an
    escape sequence in a feature name must not recolour, move or clear the terminal, nor
    a line feed split one line of output in two. C0 controls and DEL become ``\\xNN``;
    C1 controls, line separators and bidirectional overrides become ``\\uNNNN``.
    Everything else, backslashes included, is kept as is.

    Example
    -------
    >>> print(printable("\\x1b[2Jname\\x07\\nnext \\x9b1m"))
    \\x1b[2Jname\\x07\\x0anext \\u009b1m
    >>> printable("débit │ ok")
    'débit │ ok'
    """
    return _CONTROL.sub(_escape, str(text))


def bin_labels(cuts) -> list[str]:
    """Readable interval of each bin of one numeric feature, then ``"missing"``.

    Example
    -------
    >>> bin_labels([1.0, 2.5])
    ['(-inf, 1]', '(1, 2.5]', '(2.5, inf)', 'missing']
    """
    edges = [-np.inf, *[float(c) for c in cuts], np.inf]
    labels = [f"({lo:g}, {hi:g}]" for lo, hi in zip(edges[:-2], edges[1:-1])]
    labels.append(f"({edges[-2]:g}, inf)")
    return labels + ["missing"]


def _other_label(rare) -> str:
    rare = [] if rare is None else [printable(_category_text(v)) for v in rare]
    if not rare:
        return "other (no rare category)"
    return f"other ({len(rare)} rare: {', '.join(rare)})"


def feature_bin_labels(model, j: int) -> list[str]:
    """A label for each bin of feature j, in the order of ``model.bin_scores_[j]``.

    Numeric feature: :func:`bin_labels` of its cuts. Categorical feature: each kept
    category by name, then ``"other (N rare: ...)"`` and ``"missing"``.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.array([["tcp"] * 30 + ["udp"] * 20 + ["icmp"]], dtype=object).T
    >>> feature_bin_labels(EmbeddingSumClassifier().fit(X, X[:, 0] == "udp"), 0)
    ['tcp', 'udp', 'other (1 rare: icmp)', 'missing']
    """
    if not _is_categorical(model, j):
        return bin_labels(model.cuts_[j])
    rare = getattr(model, "rare_categories_", None)
    return ([printable(_category_text(v)) for v in model.categories_[j]]
            + [_other_label(None if rare is None else rare[j]), "missing"])


def score_bar(score: float, scale: float, half: int = _HALF) -> str:
    """A bar of ``2 * half + 1`` cells: ``|score| / scale`` of a half, left of "│" if negative.

    A score that is not zero always shows at least one eighth of a cell.

    Example
    -------
    >>> score_bar(1.0, 2.0, half=4)
    '    │██  '
    >>> score_bar(-0.5, 2.0, half=4)
    '   █│    '
    """
    eighths = int(round(abs(score) / scale * half * 8)) if scale > 0 else 0
    eighths = min(max(eighths, 1 if score != 0 else 0), half * 8)
    full, rest = divmod(eighths, 8)
    if score >= 0:
        return " " * half + "│" + ("█" * full + _GROW_RIGHT[rest]).ljust(half)
    return (_GROW_LEFT[rest] + "█" * full).rjust(half) + "│" + " " * half


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _score_text(score: float) -> str:
    # Four decimals read best; past 1000 (rare for log-odds) switch to 3 significant digits
    # so the column never grows beyond 9 characters.
    return f"{score:+.4f}" if abs(score) < 1000 else f"{score:+.2e}"


def _class_score_text(score: float) -> str:
    # At most 7 characters, so that a class column is 8 wide.
    return f"{score:+.3f}" if abs(score) < 99.9995 else f"{score:+.0e}"


def _share(weight) -> str:
    return "" if weight is None else f"{100 * weight:5.1f}%"


def _column_names(model) -> list[str]:
    """Class labels as column headers; ``[k]`` for every class when one label is too wide."""
    names = [printable(_label(c)) for c in model.classes_]
    if max(len(n) for n in names) < _COLUMN:
        return names
    return [f"[{k}]" for k in range(len(names))]


def _table(model, rows) -> list[str]:
    """Multiclass rows as blocks of class columns that fit in the width, each under a header."""
    names = _column_names(model)
    per_block = max(1, (WIDTH - len(_INDENT) - _TABLE_LABEL - _SHARE) // _COLUMN)
    lines = []
    # With few classes the labels get the room the columns leave, up to the bars' width.
    width = min(_LABEL, WIDTH - len(_INDENT) - _SHARE - _COLUMN * min(per_block, len(names)))
    for start in range(0, len(names), per_block):
        block = range(start, min(start + per_block, len(names)))
        lines.append(_INDENT + " " * width + "".join(f"{names[k]:>{_COLUMN}s}" for k in block))
        for label, scores, weight in rows:
            cells = "".join(f"{_class_score_text(float(scores[k])):>{_COLUMN}s}" for k in block)
            lines.append(f"{_INDENT}{_fit(label, width):<{width}s}{cells} {_share(weight)}".rstrip())
    return lines
