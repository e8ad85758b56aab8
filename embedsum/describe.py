"""A plain-text description of a fitted model: its features by importance and their step functions.

Each feature's step function is drawn as a small unicode bar chart, one line per bin, so
that a whole model can be read in an 80-column terminal.
"""

from __future__ import annotations

import numpy as np

from .explain import feature_names

__all__ = ["bin_labels", "score_bar", "describe"]

WIDTH = 80
_HALF = 12  # cells on each side of the centre mark
_LABEL = 28  # widest label bin_labels makes with 2-digit exponents: "(-1.23457e-05, -1.23457e-05]"
# Eighths of a cell, growing rightwards from the centre (unicode has all eight left-aligned blocks).
_GROW_RIGHT = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
# Growing leftwards needs right-aligned blocks, and unicode has only 1/8 and 1/2: round to those.
_GROW_LEFT = ["", "▕", "▕", "▐", "▐", "▐", "█", "█"]


def bin_labels(cuts) -> list[str]:
    """Readable interval of each bin of one feature, then ``"missing"``.

    Example
    -------
    >>> bin_labels([1.0, 2.5])
    ['(-inf, 1]', '(1, 2.5]', '(2.5, inf)', 'missing']
    """
    edges = [-np.inf, *[float(c) for c in cuts], np.inf]
    labels = [f"({lo:g}, {hi:g}]" for lo, hi in zip(edges[:-2], edges[1:-1])]
    labels.append(f"({edges[-2]:g}, inf)")
    return labels + ["missing"]


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


def describe(model, top: int | None = None) -> str:
    """The model as text: classes, intercept, then each feature's step function by importance.

    One line per feature (``  1. name  importance 0.1234``), then one line per bin: the
    interval, a bar proportional to the score (left of "│" lowers the decision, right
    raises it; the same scale for every feature shown), the score and the share of
    training rows; the missing-value bin last. No line is wider than 80 characters.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> text = describe(EmbeddingSumClassifier(max_bins=2).fit(X, X[:, 0] > 0))
    >>> print(text.splitlines()[0])
    EmbeddingSumClassifier: 1 features, classes [False, True] (positive: True)
    >>> max(len(line) for line in text.splitlines()) <= 80
    True
    """
    names = feature_names(model)
    classes = [c.item() if hasattr(c, "item") else c for c in model.classes_]
    order = np.argsort(-model.feature_importances_, kind="stable")
    shown = order[:top] if top is not None else order
    scale = max((float(np.max(np.abs(model.bin_scores_[j]))) for j in shown), default=0.0)
    lines = [
        f"{type(model).__name__}: {model.n_features_in_} features, classes {classes} (positive: {classes[1]!r})",
        f"intercept {model.intercept_:+.6g}; decision = intercept + one bin score per feature",
        f"bars: left of │ lowers the decision, right raises it; a full side = {scale:.4g}",
        "features by importance (MIRAD):",
    ]
    for rank, j in enumerate(shown, start=1):
        importance = f"  importance {model.feature_importances_[j]:.4f}"
        prefix = f"{rank:3d}. "
        name = _fit(str(names[j]), WIDTH - len(prefix) - len(importance))
        lines.append(prefix + name + importance)
        for label, score, weight in zip(bin_labels(model.cuts_[j]), model.bin_scores_[j], model.bin_weights_[j]):
            lines.append(f"     {_fit(label, _LABEL):<{_LABEL}s} {score_bar(score, scale)} "
                         f"{_score_text(score):>9s} {100 * weight:5.1f}%")
    return "\n".join(_fit(line, WIDTH) for line in lines)
