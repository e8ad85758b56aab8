"""The pair terms in a model's text description: each pair by importance and its strongest cells.

A pair term (docs/design.md#pair-terms) is a table over two features' coarse bins: it is too
big to list in full in an 80-column terminal, so :func:`pair_lines` shows, per pair, its
MIRAD importance and the ``cells`` cells with the largest scores in absolute value (with a
multiclass model, the largest over the classes) among the cells with training rows, each as
``a's bin × b's bin``, with a bar, the score and the share of training rows, as the
features' bins are shown. The whole table is ``pair_scores_[p]``, and ``embedsum.plot``
draws it as a heatmap.
"""

from __future__ import annotations

import numpy as np

from ._text_layout import (_INDENT, WIDTH, _fit, _score_text, _share, _table, bin_labels, feature_bin_labels,
                           printable, score_bar)
from ._kinds import feature_names

_CELLS = 5  # cells shown per pair
_HALF = 8  # bar cells on each side: a cell's label is longer than a bin's
_CELL_LABEL = 37


def _short_bin_labels(cuts) -> list[str]:
    """:func:`~embedsum.inspection._text_layout.bin_labels` with 3 significant digits, for a cell's two labels."""
    edges = [-np.inf, *[float(c) for c in cuts], np.inf]
    intervals = [f"({lo:.3g}, {hi:.3g}" + (")" if hi == np.inf else "]") for lo, hi in zip(edges[:-1], edges[1:])]
    return intervals + ["missing"]


def pair_axis_labels(model, p: int, short: bool = False) -> tuple[list[str], list[str]]:
    """A label for each entry of each axis of pair ``p``'s table, in the order of ``pair_scores_[p]``.

    A numeric axis: the intervals of the pair's own cuts (with 3 significant digits if
    ``short``), then ``"missing"``; a categorical axis: its feature's bins
    (:func:`~embedsum.inspection._text_layout.feature_bin_labels`), then ``"unseen"``.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4, interactions=[(0, 1)], interaction_bins=2)
    >>> labels = pair_axis_labels(model.fit(X, X[:, 0] * X[:, 1] > 0), 0)
    >>> [len(axis) for axis in labels], labels[0][-1]
    ([3, 3], 'missing')
    """
    labels = []
    for j, cuts in zip(model.pairs_[p], model.pair_cuts_[p]):
        intervals = _short_bin_labels if short else bin_labels
        labels.append(intervals(cuts) if cuts is not None else feature_bin_labels(model, int(j)) + ["unseen"])
    return labels[0], labels[1]


def _cells(model, p: int, cells: int) -> list[tuple[str, object, float]]:
    """``(label, score or class scores, share)`` of the strongest cells with training rows."""
    weights = np.asarray(model.pair_weights_[p], dtype=np.float64)
    n_a, n_b = weights.shape
    table = np.asarray(model.pair_scores_[p], dtype=np.float64)[:n_a, :n_b]
    size = np.abs(table) if table.ndim == 2 else np.abs(table).max(axis=2)
    size = np.where(weights > 0, size, -1.0)  # cells without training rows come last, and are not shown
    labels_a, labels_b = pair_axis_labels(model, p, short=True)
    order = [int(c) for c in np.argsort(-size, axis=None, kind="stable")[:cells] if size.flat[c] >= 0]
    rows = []
    for c in order:
        i, k = divmod(c, n_b)
        rows.append((f"{labels_a[i]} × {labels_b[k]}", table[i, k], float(weights[i, k])))
    return rows


def pair_scale(model) -> float:
    """The largest absolute score of a trained cell of a binary or regression model's pairs (0 without any)."""
    scale = 0.0
    for table, weights in zip(getattr(model, "pair_scores_", None) or (), getattr(model, "pair_weights_", None) or ()):
        w = np.asarray(weights)
        cells = np.abs(np.asarray(table, dtype=np.float64)[:w.shape[0], :w.shape[1]])
        if cells.ndim == 2 and (w > 0).any():
            scale = max(scale, float(cells[w > 0].max()))
    return scale


def pair_lines(model, kind: str, scale: float, top: int | None = None, cells: int = _CELLS) -> list[str]:
    """The pairs section of :func:`~embedsum.inspection._describe.describe` (no lines without pairs).

    ``scale`` is the bars' full side, shared with the features; ``top`` (None: all) keeps the
    most important pairs.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4, interactions=[(0, 1)], interaction_bins=2)
    >>> lines = pair_lines(model.fit(X, X[:, 0] * X[:, 1] > 0), "binary", 1.0)
    >>> lines[2].split()[:4]
    ['1.', 'x0', '×', 'x1']
    """
    pairs = getattr(model, "pairs_", None) or []
    if not pairs:
        return []
    names = feature_names(model)
    importances = np.asarray(model.pair_importances_, dtype=np.float64)
    order = np.argsort(-importances, kind="stable")[:top]
    lines = ["pairs by importance (MIRAD); the decision adds one cell of each pair's table;",
             f"per pair its {cells} strongest cells with training rows:"]
    for rank, p in enumerate(order, start=1):
        a, b = pairs[p]
        suffix = f"  importance {importances[p]:.4f}"
        prefix = f"{rank:3d}. "
        lines.append(prefix + _fit(printable(f"{names[a]} × {names[b]}"), WIDTH - len(prefix) - len(suffix)) + suffix)
        rows = _cells(model, int(p), cells)
        if kind == "multiclass":
            lines += _table(model, rows)
            continue
        for label, score, weight in rows:
            lines.append(f"{_INDENT}{_fit(label, _CELL_LABEL):<{_CELL_LABEL}s} {score_bar(score, scale, _HALF)} "
                         f"{_score_text(score):>9s} {_share(weight)}".rstrip())
    return lines
