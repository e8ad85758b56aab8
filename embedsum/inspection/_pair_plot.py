"""A pair term's table as a heatmap (docs/design.md#pair-terms).

Rows are the first feature's bins, columns the second's, each labelled as
:func:`~embedsum.inspection._describe_pairs.pair_axis_labels` labels them (intervals with 3
significant digits, categories by name), the missing bin last, and a categorical axis's
"unseen" entry after it. Colours are diverging (``RdYlGn``: green raises the decision, red
lowers it, as the other plots colour signs) with limits symmetric about 0, so that 0 is the
neutral middle colour. A cell without training rows is hatched: its score was pulled towards
0 and no row was seen there. Cells carry their score as text while the table is at most 16
by 16 and a cell is at least 30 points wide. matplotlib is imported only when drawing.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._validation import check_is_fitted
from ._describe_pairs import pair_axis_labels
from ._kinds import _class_choice, _kind, _label, feature_names
from ._plot_style import _LITERAL, _axes, _number_text, _score_label

_ANNOTATE = 16  # cells per axis up to which each cell shows its score
_CELL_POINTS = 30  # the narrowest cell (in points) that holds a score such as "+0.58" at 7 points


def _pair_index(model, pair) -> int:
    """The index in ``pairs_`` of ``pair``: that index, a tuple of two feature indices, or of two names."""
    pairs = [tuple(int(j) for j in p) for p in (getattr(model, "pairs_", None) or [])]
    if not pairs:
        raise ValueError("the model has no pair terms (fit it with interactions=...)")
    if isinstance(pair, numbers.Integral) and not isinstance(pair, bool):
        if not 0 <= pair < len(pairs):
            raise ValueError(f"pair index {pair} out of range: the model has {len(pairs)} pairs")
        return int(pair)
    names = feature_names(model)
    try:
        wanted = tuple(sorted(j if isinstance(j, numbers.Integral) else names.index(str(j)) for j in pair))
    except (TypeError, ValueError):
        wanted = None
    if wanted not in pairs:
        raise ValueError(f"{pair!r} is not a pair of the model; its pairs are "
                         f"{[(names[a], names[b]) for a, b in pairs]}")
    return pairs.index(wanted)


def pair_plot(model, pair=0, ax=None, class_=None):
    """Heatmap of one pair term's scores; returns the Axes.

    ``pair`` is an index into ``pairs_``, or the pair's two features (indices or names).
    A multiclass model has a table per class: pass ``class_`` (a label of ``classes_``); a
    binary model's ``class_=classes_[0]`` draws the negated table. See the module docstring.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4, interactions=[(0, 1)], interaction_bins=3)
    >>> ax = pair_plot(model.fit(X, X[:, 0] * X[:, 1] > 0), ("x0", "x1"))
    >>> ax.get_ylabel(), ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()][-1]
    ('x0', 'x1', 'missing')
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    check_is_fitted(model, "bin_scores_")
    p = _pair_index(model, pair)
    k, sign = _class_choice(model, class_)
    if _kind(model) == "multiclass" and k is None:
        raise ValueError(f"a multiclass model has one table per class: pass class_= one of "
                         f"{[_label(c) for c in model.classes_]}")
    table = np.asarray(model.pair_scores_[p], dtype=np.float64)
    table = sign * (table if k is None else table[..., k])
    weights = np.asarray(model.pair_weights_[p], dtype=np.float64)
    labels_a, labels_b = pair_axis_labels(model, p, short=True)
    names = feature_names(model)
    a, b = model.pairs_[p]
    n_a, n_b = table.shape
    ax = _axes(ax, figsize=(max(4.8, 1.0 + 0.62 * n_b), max(3.6, 1.2 + 0.36 * n_a)))
    finite = np.abs(table[np.isfinite(table)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    image = ax.imshow(table, cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label(_score_label(model, k, sign), **_LITERAL)
    _hatch_untrained(ax, weights, table.shape)
    # The axes' share of its figure: cells too narrow for a score (a small panel of plot_all) get none.
    cell_points = ax.get_position().width * ax.figure.get_figwidth() * 72 / n_b
    if n_a <= _ANNOTATE and n_b <= _ANNOTATE and cell_points >= _CELL_POINTS:
        for i in range(n_a):
            for j in range(n_b):
                dark = abs(table[i, j]) > 0.6 * limit  # the colormap's ends are dark: white text there
                text = "0" if table[i, j] == 0 else _number_text(table[i, j], signed=True, digits=2)
                ax.text(j, i, text, ha="center", va="center",
                        fontsize=7, color="white" if dark else "black", **_LITERAL)
    ax.set_yticks(range(n_a), labels_a, fontsize=8, **_LITERAL)
    ax.set_xticks(range(n_b), labels_b, fontsize=8, rotation=40 if cell_points >= _CELL_POINTS else 65, ha="right",
                  rotation_mode="anchor", **_LITERAL)
    ax.set_ylabel(names[a], **_LITERAL)
    ax.set_xlabel(names[b], **_LITERAL)
    ax.set_title(f"{names[a]} × {names[b]} (importance {model.pair_importances_[p]:.3g})", fontsize=10, **_LITERAL)
    return ax


def _pairs_drawn(model, top, class_) -> np.ndarray:
    """The pairs :func:`~embedsum.inspection._plot.plot_all` draws, most important first (none for a
    multiclass model without ``class_``)."""
    importances = getattr(model, "pair_importances_", None)
    importances = np.zeros(0) if importances is None else np.asarray(importances, dtype=np.float64)
    if importances.size and _kind(model) == "multiclass" and class_ is None:
        warnings.warn("plot_all leaves out the pair terms of a multiclass model: each class has its own "
                      "table; pass class_= to draw them.", UserWarning, stacklevel=3)
        return np.zeros(0, dtype=np.intp)
    return np.argsort(-importances, kind="stable")[:top]


def _hatch_untrained(ax, weights, shape) -> None:
    """Hatch the cells no training row fell in (the unseen entries of a categorical axis too)."""
    from matplotlib.patches import Rectangle

    trained = np.zeros(shape, dtype=bool)
    trained[:weights.shape[0], :weights.shape[1]] = weights > 0
    for i, j in zip(*np.nonzero(~trained)):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="0.45", linewidth=0))
