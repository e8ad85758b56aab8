"""The bar plot of a categorical feature: horizontal bars, one row per category, readable at 40 categories.

Categories have no order and their names are text: rows of horizontal bars leave every name
written across, at a size that fits the rows, instead of slanted labels piling on one
another. Beyond ``max_categories`` kept categories, only those that move the decision value
most are drawn one by one; the others share one row (see :func:`category_bars`).
"""

from __future__ import annotations

import numpy as np

from .._bins import category_missing, category_other
from ._kinds import _select, feature_names
from ._plot_style import (
    _LITERAL,
    _class_colour,
    _class_names,
    _colour,
    _drawing_scale,
    _legend,
    _scale_note,
    _scaled,
    _score_label,
)
from ._shape_functions import _category_text, category_order

_NAME_CHARACTERS = 28  # a longer category name is cut, with an ellipsis
_BAR = 0.8  # the thickness of one row's bars


def category_rows(n_kept: int, max_categories: int | None) -> int:
    """How many rows the plot of a feature with ``n_kept`` kept categories draws: the shown
    categories (and the row of the hidden ones), "other", "missing" and "unseen"."""
    shown = n_kept if max_categories is None or n_kept <= max_categories else max_categories + 1
    return shown + 3


def category_bars(model, j, ax, scores, weights, k, sign, band=None, max_categories=20):
    """Horizontal bars of one categorical feature, on ``ax``.

    From the top: the kept categories by score, highest first (multiclass: the order of
    :func:`embedsum.explain.category_order`), each row labelled ``name (share of training
    rows)``; then, after a gap, the "other" bar (the rare categories, with how many), the
    hatched "missing" bar, and hollow diamonds for the score of a category never seen in
    training ("unseen"). With more than ``max_categories`` kept categories, the
    ``max_categories`` whose scores are farthest from 0 (multiclass: whose highest score most
    exceeds their mean score) are drawn; the others share one row, "N more categories", with
    a grey tick at each of their scores, placed where the first of them would be.
    """
    m = len(model.categories_[j])
    other, missing = category_other(m), category_missing(m)  # docs/design.md#bin-codes
    order = category_order(scores[:m])
    hidden = _hidden(scores[:m], max_categories)
    rows, hidden_row = _rows(order, hidden)
    n_rare = len(model.rare_categories_[j]) if getattr(model, "rare_categories_", None) else 0
    unseen = _select(np.asarray(model.unseen_scores_[j], dtype=np.float64), k, sign)
    finite_band = () if band is None else np.asarray(band, dtype=np.float64)[np.isfinite(band)]
    x_scale = _drawing_scale(scores, unseen, finite_band, terms=1 if band is None else 2)
    scores, unseen = _scaled(scores, x_scale), _scaled(unseen, x_scale)

    n_rows = len(rows) + (hidden_row is not None)
    positions = np.arange(n_rows, dtype=np.float64)
    category_positions = np.delete(positions, hidden_row) if hidden_row is not None else positions
    end = n_rows + 0.5  # a gap before "other"
    other_y, missing_y, unseen_y = end, end + 1, end + 2
    kept = _hbars(ax, category_positions, scores[rows], model) if len(rows) else []
    other_bars = _hbars(ax, [other_y], scores[other:other + 1], model, hatch="..")
    _hbars(ax, [missing_y], scores[missing:missing + 1], model, hatch="//")
    if band is not None:
        drawn = np.concatenate([rows, [other, missing]]).astype(int)
        _horizontal_error_bars(ax, np.append(category_positions, [other_y, missing_y]), scores[drawn],
                               _scaled(band, x_scale)[drawn])
    if hidden_row is not None:
        ticks = np.ravel(scores[np.flatnonzero(hidden)])
        ax.plot(ticks, np.full(ticks.size, float(hidden_row)), marker="|", markersize=8, linestyle="none",
                color="0.4", label="_hidden categories")
    _unseen_marks(ax, unseen, unseen_y)

    names = [_short(_category_text(v)) for v in np.asarray(model.categories_[j])[rows]]
    labels = [f"{name} ({100 * w:.1f}%)" for name, w in zip(names, weights[rows])]
    if hidden_row is not None:
        share = float(np.sum(weights[:m][hidden]))
        labels.insert(hidden_row, f"{int(hidden.sum())} more categories ({100 * share:.1f}%)")
    labels += [f"other ({n_rare} rare) ({100 * weights[other]:.1f}%)",
               f"missing ({100 * weights[missing]:.1f}%)", "unseen (not in training)"]
    ax.set_yticks(np.concatenate([positions, [other_y, missing_y, unseen_y]]))
    ax.set_yticklabels(labels, fontsize=_font_size(ax, len(labels)), **_LITERAL)
    ax.set_ylim(unseen_y + 0.7, -0.7)  # the first category at the top
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_ylabel(feature_names(model)[j], **_LITERAL)
    ax.set_xlabel(_score_label(model, k, sign) + _scale_note(x_scale), **_LITERAL)
    if scores.ndim == 2:
        _legend(ax, kept if len(rows) else other_bars, _class_names(model), title="class", fontsize=7,
                title_fontsize=7)
    return ax


def _hidden(scores: np.ndarray, max_categories: int | None) -> np.ndarray:
    """Which kept categories share the summary row: all but the ``max_categories`` farthest
    from 0 (by highest score minus mean score for K scores per bin, as the order reads them)."""
    m = len(scores)
    hidden = np.zeros(m, dtype=bool)
    if max_categories is None or m <= max_categories:
        return hidden
    reach = np.abs(scores) if scores.ndim == 1 else scores.max(axis=1) - scores.mean(axis=1)
    hidden[np.argsort(-reach, kind="stable")[max_categories:]] = True
    return hidden


def _rows(order: np.ndarray, hidden: np.ndarray):
    """The shown categories in display order, and the row of the summary (None: no summary)."""
    rows = [int(c) for c in order if not hidden[c]]
    first = next((i for i, c in enumerate(order) if hidden[c]), None)
    if first is None:
        return np.array(rows, dtype=int), None
    return np.array(rows, dtype=int), int(np.sum(~hidden[order[:first]]))


def _short(name: str) -> str:
    return name if len(name) <= _NAME_CHARACTERS else name[:_NAME_CHARACTERS - 1] + "\u2026"


def _font_size(ax, n_labels: int) -> float:
    """A label size that fits ``n_labels`` rows in the axes' height: 5 to 8 points."""
    height_points = ax.get_position().height * ax.figure.get_figheight() * 72
    return float(np.clip(0.75 * height_points / max(n_labels + 1, 1), 5.0, 8.0))


def _hbars(ax, positions, values, model, **style):
    """One horizontal bar per row (coloured by sign), or K thinner ones per row (one colour per
    class) when ``values`` is (n, K). Returns the bar containers, one per class."""
    positions = np.asarray(positions, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    style = {"edgecolor": "black", "linewidth": 0.5, **style}
    if values.ndim == 1:
        return [ax.barh(positions, values, height=_BAR, color=[_colour(v) for v in values], **style)]
    n_classes = values.shape[1]
    size = _BAR / n_classes
    return [ax.barh(positions - _BAR / 2 + (c + 0.5) * size, values[:, c], height=size, color=_class_colour(c),
                    **style)
            for c in range(n_classes)]


def _horizontal_error_bars(ax, positions, values, half_widths) -> None:
    """An error bar of +- half_width along each bar (K per row when values are (n, K)); none
    where the half-width is infinite (a bin not estimated)."""
    values, half_widths = np.atleast_2d(np.asarray(values).T).T, np.atleast_2d(np.asarray(half_widths).T).T
    n_classes = values.shape[1]
    for c in range(n_classes):
        ys = np.asarray(positions) - _BAR / 2 + (c + 0.5) * _BAR / n_classes
        shown = np.isfinite(half_widths[:, c])
        ax.errorbar(values[shown, c], ys[shown], xerr=half_widths[shown, c], fmt="none", ecolor="black",
                    elinewidth=0.8, capsize=2, label="_band", zorder=4)


def _unseen_marks(ax, unseen, y: float) -> None:
    """Hollow diamonds at the unseen score: one, or one per class side by side."""
    if np.ndim(unseen) == 0:
        ax.plot([unseen], [y], marker="D", fillstyle="none", linestyle="none", markersize=7,
                color=_colour(unseen), label="unseen")
        return
    n_classes = len(unseen)
    for c in range(n_classes):
        ax.plot([unseen[c]], [y - _BAR / 2 + (c + 0.5) * _BAR / n_classes], marker="D", fillstyle="none",
                linestyle="none", markersize=6, color=_class_colour(c), label="_unseen")
