"""Pictures of a fitted model: its shape functions, its training history, one row's explanation.

matplotlib is an optional extra (``pip install matplotlib``, or the ``embedsum[plot]`` extra). It is imported inside
the functions, never at module level, so that ``import embedsum.plot`` (and ``import
embedsum``) stays light and works where matplotlib is absent.

Kinds of model:

- binary classifier: scores are log-odds of ``classes_[1]``. Colours follow the published
  bar plot: a bin (or contribution) that pushes towards ``classes_[1]`` is green, one that
  pushes towards ``classes_[0]`` is red, an exact 0 is grey. ``class_=classes_[0]`` draws
  the negated scores (the log-odds of ``classes_[0]``).
- multiclass classifier: each bin has one score per class. By default every class is
  drawn on the same axes, one colour per class (``C0``, ``C1``, ... in ``classes_`` order)
  with a legend of the class labels: one line per class in :func:`step_plot`, one bar per
  class side by side in each bin of :func:`bar_plot`. ``class_=label`` draws that class
  alone, coloured by sign as for a binary model. :func:`waterfall_plot` explains one
  class, by default the row's predicted class.
- regressor: scores are in target units; the axes say "contribution to the prediction".

Categorical features are drawn as bars whatever the plot asked for (a step line needs an
order of values that categories do not have: :func:`step_plot` and ``plot_all(kind="step")``
draw :func:`bar_plot` for them): one horizontal bar per kept category, a row each, labelled
by name (cut after 28 characters), ordered by score, highest first at the top (multiclass:
grouped by the class each category favours most, the order of
:func:`embedsum.explain.category_order`; with ``class_``, by that class's score), then, after a
gap, the "other" bar (the rare categories, with how many), the hatched "missing" bar, and
hollow diamonds for the score of a category never seen in training ("unseen"). Each row's
label gives the bin's share of training rows. Beyond ``max_categories`` (default 20) kept
categories, those whose scores are nearest 0 share one row (``inspection/_category_plot.py``).

Numbers are written as people read them (``226,800``, not ``2.268e+05``); a classifier's axes
name the class, as in "log-odds of class 1".

Names are drawn as written: feature names, class labels, categories and history keys are
never read as mathtext (``$``, ``\\``, ``_``, ``^`` and braces show as themselves), and a
class whose label starts with ``_`` still has its legend entry. A model without a training
history (one loaded from a document whose ``history`` is null) draws an empty history with a
note, and a history without ``"loss"`` draws the series it has.

A model fitted with ``uncertainty=True`` has standard errors: the step and bar plots then draw
a band (a shaded area around the step line, an error bar on each bar) of the score plus or
minus the normal quantile of ``level`` (default 0.95: 1.96) times ``bin_scores_se_``. That is
the standard error of the bin's *centred* score (docs/design.md#uncertainty): a feature's level
is shared with the intercept, so the band says how sure the model is of the step function's
shape, not of where the whole function sits. A bin the fit did not estimate has no band.
``level=None`` draws none.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_is_fitted
from ._category_plot import category_bars, category_rows
from ._kinds import _class_choice, _is_categorical, feature_names
from ._pair_plot import _pairs_drawn, pair_plot
from ._plot_data import _band, _feature_scores, _value_range
from ._plot_style import (
    _LITERAL,
    _axes,
    _bars,
    _class_colour,
    _class_names,
    _colour,
    _drawing_scale,
    _legend,
    _number_text,
    _pyplot,
    _readable_ticks,
    _scale_note,
    _scaled,
    _score_label,
)
from ._scores import _numeric_part

# The public names of embedsum.plot drawn elsewhere, re-imported.
from ._history_plot import history_plot  # noqa: F401
from ._waterfall_plot import waterfall_plot  # noqa: F401


def bar_plot(model, feature, ax=None, class_=None, level=0.95, max_categories=20):
    """The published bar plot of one feature: one bar per bin, as wide as its share of the training rows.

    Numeric feature: interval bins are laid side by side along ``[0, total interval
    weight]``, each as tall as its score, green when positive and red when negative. The
    cut values are the ticks of a twin x axis on top, at the boundaries between bars. When
    training rows had missing values, the missing-value bin is a hatched bar after a gap,
    labelled "missing". A multiclass model (``class_=None``) splits each bin's width into
    one bar per class, one colour per class, with a legend of the class labels.

    Categorical feature: horizontal bars, one row per category, ordered by score (see the
    module docstring); no twin axis. With more than ``max_categories`` kept categories (None:
    no limit), the ones that move the score least share one row.

    ``feature`` is a column index or a feature name; ``class_`` and ``level`` (the bands of a
    model with standard errors) are as in the module docstring. Returns the Axes of the bars
    (the cut axis is its ``twiny``).

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    >>> ax = bar_plot(model, 0)
    >>> from embedsum.explain import shape_functions
    >>> len(ax.patches) == len(shape_functions(model)[0].scores)  # one bar per interval bin
    True
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    j, k, sign, scores, weights = _feature_scores(model, feature, class_)
    band = _band(model, j, k, level)
    if _is_categorical(model, j):
        if max_categories is not None and (isinstance(max_categories, bool) or
                                           not isinstance(max_categories, numbers.Integral) or max_categories < 1):
            raise ValueError(f"max_categories must be a positive integer or None, got {max_categories!r}")
        rows = category_rows(len(model.categories_[j]), max_categories)
        ax = _axes(ax, figsize=(6.4, float(np.clip(0.2 * rows + 1.2, 3.0, 10.0))))
        return category_bars(model, j, ax, scores, weights, k, sign, band, max_categories)
    ax = _axes(ax)
    cuts = np.asarray(model.cuts_[j], dtype=np.float64)
    y_scale = _drawing_scale(scores) if band is None else _drawing_scale(scores, _finite(band), terms=2)
    scores = _scaled(scores, y_scale)
    interval_scores, interval_weights = scores[:-1], weights[:-1]
    ends = np.cumsum(interval_weights)
    lefts = ends - interval_weights
    total = float(ends[-1])
    handles = _bars(ax, lefts, interval_weights, interval_scores, model)
    if band is not None:
        _error_bars(ax, lefts, interval_weights, interval_scores, _scaled(band[:-1], y_scale))
    right = total
    if weights[-1] > 0:
        # Missing values have no place on the value axis: their bar stands apart, after a gap.
        gap = 0.05 * max(total, weights[-1])
        left = total + gap
        _bars(ax, [left], [weights[-1]], scores[-1:], model, hatch="//")
        if band is not None:
            _error_bars(ax, [left], [weights[-1]], scores[-1:], _scaled(band[-1:], y_scale))
        ax.annotate("missing", (left + weights[-1] / 2, 0), xytext=(0, -12), textcoords="offset points",
                    ha="center", va="top", fontsize=8)
        right = left + weights[-1]
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(0.0, right if right > 0 else 1.0)
    ax.set_xlabel("training fraction (cumulative)")
    ax.set_ylabel(_score_label(model, k, sign) + _scale_note(y_scale), **_LITERAL)
    if scores.ndim == 2:
        _legend(ax, handles, _class_names(model), title="class", fontsize=7, title_fontsize=7)
    top = ax.twiny()
    top.set_xlim(ax.get_xlim())
    # The boundary between bin k and bin k+1 is cut k: one tick per cut.
    top.set_xticks(ends[:-1])
    top.set_xticklabels(_spaced_labels(ax, ends[:-1], [_number_text(c) for c in cuts], right), rotation=90,
                        fontsize=7)
    top.set_xlabel(f"cuts of {feature_names(model)[j]}", fontsize=8, **_LITERAL)
    return ax


def step_plot(model, feature, ax=None, X=None, class_=None, level=0.95):
    """One feature's step function on the true scale of its values, with its bins' training weights below.

    The x axis holds the feature's values: the function is drawn with ``ax.step`` through
    the points ``(lo, s_0), (c_0, s_1), ..., (c_last, s_last), (hi, s_last)``, where the
    ``c`` are the cuts and ``[lo, hi]`` is the range of ``X[:, feature]`` when X is given,
    else the cuts padded by one average bin width on each side. Grey bars on a twin y
    axis (right) show each bin's training fraction. The missing-value bin is a diamond
    after a dotted separator at the right, labelled "missing" with its share of rows.

    A multiclass model (``class_=None``) has one step line per class on the same axes,
    labelled by class (one colour per class, a legend of the class labels), and one missing
    diamond per class. A categorical feature has no order to step along: it is drawn by
    :func:`bar_plot` (``X`` is then not used).

    ``feature`` is a column index or a feature name; ``class_`` and ``level`` (the band of a
    model with standard errors, shaded around each step line) are as in the module
    docstring. Returns the Axes of the step line(s).

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    >>> ax = step_plot(model, "x0")
    >>> ax.lines[0].get_xdata()[1:-1].tolist() == model.cuts_[0].tolist()
    True
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    j, k, sign, scores, weights = _feature_scores(model, feature, class_)
    if _is_categorical(model, j):
        return bar_plot(model, j, ax=ax, class_=class_, level=level)
    band = _band(model, j, k, level)
    cuts = np.asarray(model.cuts_[j], dtype=np.float64)
    ax = _axes(ax)
    values = None
    if X is not None:
        values = _numeric_part(model._validated(X))[:, j]
    # A first cut at -inf (its bin holds the -inf values only) is no place on the axis: the
    # range comes from the finite cuts, and that cut is drawn at the left end.
    finite_cuts = cuts[np.isfinite(cuts)]
    x_scale = _drawing_scale(finite_cuts, () if values is None else values)
    y_scale = _drawing_scale(scores) if band is None else _drawing_scale(scores, _finite(band), terms=2)
    finite_cuts, scores = _scaled(finite_cuts, x_scale), _scaled(scores, y_scale)
    lo, hi = _value_range(finite_cuts, None if values is None else _scaled(values, x_scale))
    lo, hi = _end_bins_visible(finite_cuts, weights, lo, hi)
    xs = np.concatenate([[lo], np.where(np.isfinite(cuts), _scaled(cuts, x_scale), lo), [hi]])
    width = hi - lo
    # Missing values are off the value axis: a marker in a strip of its own at the right.
    separator, missing_x = hi + 0.04 * width, hi + 0.08 * width
    if band is not None:
        _step_bands(ax, xs, missing_x, scores, _scaled(band, y_scale))
    if scores.ndim == 1:
        ys = np.concatenate([scores[:-1], scores[-2:-1]])
        ax.step(xs, ys, where="post", color="tab:blue", linewidth=2, label="score", zorder=3)
        ax.plot([missing_x], [scores[-1]], marker="D", linestyle="none", markersize=7,
                color=_colour(scores[-1]), markeredgecolor="black", label="missing", zorder=3)
    else:
        names = _class_names(model)
        lines = []
        for c in range(scores.shape[1]):
            ys = np.concatenate([scores[:-1, c], scores[-2:-1, c]])
            lines += ax.step(xs, ys, where="post", color=_class_colour(c), linewidth=2, label=names[c], zorder=3)
        for c in range(scores.shape[1]):
            ax.plot([missing_x], [scores[-1, c]], marker="D", linestyle="none", markersize=6,
                    color=_class_colour(c), markeredgecolor="black", label="_missing", zorder=3)
        _legend(ax, lines, names, title="class", fontsize=7, title_fontsize=7)
    if cuts.size and cuts[0] == -np.inf:  # the -inf bin: a marker at the left end
        ax.plot(np.full(np.size(scores[0]), lo), np.ravel(scores[0]), marker=">", linestyle="none", markersize=6,
                color="0.3", label="_-inf", zorder=3)
        ax.annotate("-inf", (lo, float(np.max(scores[0]))), xytext=(4, 6), textcoords="offset points",
                    ha="left", va="bottom", fontsize=7)
    ax.axvline(separator, color="black", linestyle=":", linewidth=0.8)
    ax.annotate(f"missing\n{100 * weights[-1]:.1f}%", (missing_x, float(np.max(scores[-1]))), xytext=(0, 8),
                textcoords="offset points", ha="center", va="bottom", fontsize=7)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(lo, hi + 0.12 * width)
    _readable_ticks(ax.xaxis, ax.yaxis)
    ax.set_xlabel(f"{feature_names(model)[j]}{_scale_note(x_scale)}", **_LITERAL)
    ax.set_ylabel(_score_label(model, k, sign) + _scale_note(y_scale), **_LITERAL)

    below = ax.twinx()
    edges = xs  # bin k spans [xs[k], xs[k+1]] on the plot
    below.bar(edges[:-1], weights[:-1], width=np.diff(edges), align="edge", color="0.6", alpha=0.35,
              edgecolor="0.4", linewidth=0.4)
    below.bar([missing_x - 0.02 * width], [weights[-1]], width=[0.04 * width], align="edge", color="0.6",
              alpha=0.35, edgecolor="0.4", linewidth=0.4, hatch="//")
    _weight_axis(below, float(weights.max()))
    # Draw the step line above the weight bars (a twin is drawn after its parent by default).
    ax.set_zorder(below.get_zorder() + 1)
    ax.patch.set_visible(False)
    return ax


def plot_all(model, top: int | None = None, kind: str = "step", class_=None, level=0.95):
    """Every feature's shape function in one figure, most important first.

    Each subplot's title is the feature's name and its MIRAD importance. ``top`` keeps
    only the most important features; ``kind`` is ``"step"`` (:func:`step_plot`) or
    ``"bar"`` (:func:`bar_plot`); categorical features are bar plots either way (see
    :func:`step_plot`), so a model mixing both kinds of feature draws each its own way.
    Pair terms follow the features, most important first (``top`` of them too), each as a
    heatmap (:func:`~embedsum.inspection._pair_plot.pair_plot`); a multiclass model draws them
    only for a ``class_`` (one table per class), and warns that it left them out otherwise.
    ``class_`` and ``level`` are passed to each plot (see the module docstring). Returns the Figure.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 1] + 0.5 * X[:, 0] > 0)
    >>> fig = plot_all(model, top=2)
    >>> [a.get_title().split()[0] for a in fig.axes if a.get_title()]
    ['x1', 'x0']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    draw = {"step": step_plot, "bar": bar_plot}.get(kind)
    if draw is None:
        raise ValueError(f"kind must be 'step' or 'bar', got {kind!r}")
    check_is_fitted(model, "bin_scores_")
    if top is not None and (isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 1):
        raise ValueError(f"top must be a positive integer or None, got {top!r}")
    _class_choice(model, class_)  # a wrong class is an error before any figure is made
    plt = _pyplot()
    names = feature_names(model)
    order = np.argsort(-np.asarray(model.feature_importances_), kind="stable")[:top]
    pairs = _pairs_drawn(model, top, class_)  # docs/design.md#pair-terms
    panels = len(order) + len(pairs)
    ncols = min(3, panels)
    nrows = -(-panels // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 3.6 * nrows), squeeze=False,
                             layout="constrained")
    for ax, j in zip(axes.flat, order):
        draw(model, int(j), ax=ax, class_=class_, level=level)
        ax.set_title(f"{names[j]} (importance {model.feature_importances_[j]:.3g})", fontsize=10, **_LITERAL)
    for ax, p in zip(axes.flat[len(order):], pairs):
        pair_plot(model, int(p), ax=ax, class_=class_)
    for ax in axes.flat[panels:]:
        fig.delaxes(ax)
    return fig


def _spaced_labels(ax, positions, labels, span: float, size_points: float = 9.0) -> list[str]:
    """``labels`` with those too close to the previous shown one left blank (their tick stays):
    light bins side by side would otherwise print their cuts on top of one another."""
    figure = ax.figure
    width_points = ax.get_position().width * figure.get_figwidth() * 72
    gap = span * size_points / max(width_points, 1.0)
    shown, last = [], -np.inf
    for position, label in zip(positions, labels):
        keep = position - last >= gap
        shown.append(label if keep else "")
        last = position if keep else last
    return shown


def _end_bins_visible(finite_cuts, weights, lo: float, hi: float) -> tuple[float, float]:
    """The x range widened so that an end bin holding rows is drawn with some width.

    The first bin is ``(-inf, cuts[0]]``: when the data's smallest value is the first cut (a
    point mass, such as the zeros of a money column, which adaptive binning gives a bin of its
    own: docs/design.md#adaptive-binning), that bin would span no width on the value axis.
    It gets 3% of the range to the left of its cut instead, and likewise the last bin to the
    right of the last cut."""
    if finite_cuts.size == 0 or not hi > lo:
        return lo, hi
    room = 0.03 * (hi - lo)
    if weights[0] > 0 and finite_cuts[0] - lo < room:
        lo = float(finite_cuts[0]) - room
    if weights[-2] > 0 and hi - finite_cuts[-1] < room:
        hi = float(finite_cuts[-1]) + room
    return lo, hi


def _weight_axis(below, largest: float) -> None:
    """The right-hand axis of the training weights, as shares of the rows. The bars fill only
    its lower third, under the step line; its ticks and spine stop at the largest share, so the
    axis never reads past what a bin holds."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    largest = max(largest, 1e-12)
    below.set_ylim(0.0, 3.0 * largest)
    ticks = MaxNLocator(nbins=3).tick_values(0.0, largest)
    below.set_yticks(ticks[(ticks >= 0) & (ticks <= largest * (1 + 1e-9))])
    below.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    below.spines["right"].set_bounds(0.0, largest)
    below.set_ylabel("training rows per bin", fontsize=8, color="0.4", loc="bottom")
    below.tick_params(axis="y", labelsize=7, colors="0.4")


def _finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def _error_bars(ax, lefts, widths, heights, half_widths) -> None:
    """An error bar of +- half_width on the middle of each bar (K side by side per bin when
    heights are (n, K)); none where the half-width is infinite (a bin not estimated)."""
    lefts, widths = np.asarray(lefts, dtype=np.float64), np.asarray(widths, dtype=np.float64)
    heights, half_widths = np.atleast_2d(np.asarray(heights).T).T, np.atleast_2d(np.asarray(half_widths).T).T
    n_classes = heights.shape[1]
    for c in range(n_classes):
        middles = lefts + (c + 0.5) * widths / n_classes
        shown = np.isfinite(half_widths[:, c])
        ax.errorbar(middles[shown], heights[shown, c], yerr=half_widths[shown, c], fmt="none", ecolor="black",
                    elinewidth=0.8, capsize=2, label="_band", zorder=4)


def _step_bands(ax, xs, missing_x, scores, half_widths) -> None:
    """The band of each step line (shaded, where estimated) and an error bar on each missing diamond."""
    scores, half_widths = np.atleast_2d(scores.T).T, np.atleast_2d(half_widths.T).T
    for c in range(scores.shape[1]):
        colour = "tab:blue" if scores.shape[1] == 1 else _class_colour(c)
        ys = np.concatenate([scores[:-1, c], scores[-2:-1, c]])
        hw = np.concatenate([half_widths[:-1, c], half_widths[-2:-1, c]])
        shown = np.isfinite(hw)
        hw = np.where(shown, hw, 0.0)
        ax.fill_between(xs, ys - hw, ys + hw, step="post", where=shown, color=colour, alpha=0.2,
                        linewidth=0, label="_band", zorder=2)
        if np.isfinite(half_widths[-1, c]):
            ax.errorbar([missing_x], [scores[-1, c]], yerr=[half_widths[-1, c]], fmt="none", ecolor=colour,
                        elinewidth=0.8, capsize=2, label="_band", zorder=2)
