"""Pictures of a fitted model: its shape functions, its training history, one row's explanation.

matplotlib is an optional extra (``pip install embedsum[plot]``). It is imported inside
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
draw :func:`bar_plot` for them): one bar per kept category, labelled by name, ordered by
score, highest first (multiclass: grouped by the class each category favours most, the
order of :func:`embedsum.explain.category_order`; with ``class_``, by that class's score), then, after a gap, the "other" bar (the rare
categories, with how many), the hatched "missing" bar, and hollow diamonds for the score of
a category never seen in training ("unseen"). Each tick label gives the bin's share of
training rows.

Names are drawn as written: feature names, class labels, categories and history keys are
never read as mathtext (``$``, ``\\``, ``_``, ``^`` and braces show as themselves), and a
class whose label starts with ``_`` still has its legend entry. A model without a training
history (one loaded from a document whose ``history`` is null) draws an empty history with a
note, and a history without ``"loss"`` draws the series it has.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._attributions import _attributions_kw
from ._kinds import _class_choice, _is_categorical, _kind, _label, _select, feature_names
from ._scores import _numeric_part, _scores_of
from ._shape_functions import _category_text, category_order
from .._validation import check_array, check_is_fitted, check_n_features, check_table


_POSITIVE = "tab:green"
_NEGATIVE = "tab:red"
_ZERO = "tab:gray"
_INSTALL_HINT = "pip install embedsum[plot]"


def _pyplot():
    """matplotlib.pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(f"embedsum's plots need matplotlib, which is not installed: {_INSTALL_HINT}") from err
    return plt


def _axes(ax, figsize=(6.4, 4.0)):
    """The caller's axes, or new ones on a new pyplot figure (so that ``plt.show()`` shows it)."""
    plt = _pyplot()  # also when ax is given: the error message is the same everywhere
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


# Text the plots draw from the model (names, labels, categories) is shown as it is: mathtext
# would fail on "$\\foo$" and read "a_1" as a subscript.
_LITERAL = {"parse_math": False}


def _legend(ax, handles, labels, **style):
    """A legend of exactly these entries, drawn literally. Given explicitly, a label that starts
    with "_" is kept (matplotlib's automatic legend leaves such labels out)."""
    legend = ax.legend(handles, [str(label) for label in labels], **style)
    for text in [*legend.get_texts(), legend.get_title()]:
        text.set_parse_math(False)
    return legend


# matplotlib's transforms and tick locators overflow on axes that span more than about
# 4e307: coordinates are kept within 2**1000 (1e301), with room for padding and margins.
_DRAWABLE_EXPONENT = 1000


def _drawing_scale(*arrays, terms: int = 1) -> float:
    """A power of two (exact to multiply by) that brings every finite value of ``arrays``, and
    any sum of ``terms`` of them, within what matplotlib can draw; 1.0 for ordinary models.
    Only a model with scores or cuts near the float64 limit is drawn scaled (the axis says so)."""
    largest = 0.0
    for values in arrays:
        values = np.abs(np.asarray(values, dtype=np.float64).ravel())
        values = values[np.isfinite(values)]
        if values.size:
            largest = max(largest, float(values.max()))
    if largest == 0.0:
        return 1.0
    exponent = math.frexp(largest)[1] + math.ceil(math.log2(max(terms, 1)))  # largest < 2**exponent
    return 1.0 if exponent <= _DRAWABLE_EXPONENT else math.ldexp(1.0, _DRAWABLE_EXPONENT - exponent)


def _scaled(values, scale: float) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if scale == 1.0:
        return values
    with np.errstate(under="ignore"):  # values far below the largest may round to 0 once scaled
        return values * scale


def _scale_note(scale: float) -> str:
    return "" if scale == 1.0 else f" (drawn x 2^{-math.frexp(scale)[1] + 1})"


def _colour(value: float) -> str:
    return _POSITIVE if value > 0 else _NEGATIVE if value < 0 else _ZERO


def _class_colour(k: int) -> str:
    return f"C{k % 10}"


def _class_names(model) -> list[str]:
    return [str(_label(c)) for c in model.classes_]


def _feature_scores(model, feature, class_):
    """``(j, k, sign, scores, weights)`` of one feature: its scores as :func:`_select` reads
    them for ``class_`` ((n_bins,) or (n_bins, K)), its weights (n_bins,)."""
    j = _feature_index(model, feature)
    k, sign = _class_choice(model, class_)
    scores = _select(np.asarray(model.bin_scores_[j], dtype=np.float64), k, sign)
    return j, k, sign, scores, np.asarray(model.bin_weights_[j], dtype=np.float64)


def _feature_index(model, feature) -> int:
    """Column index of ``feature``, given as an index or as a feature name."""
    check_is_fitted(model, "bin_scores_")
    names = feature_names(model)
    if isinstance(feature, numbers.Integral) and not isinstance(feature, bool):
        if not 0 <= feature < len(names):
            raise ValueError(f"feature index {feature} is out of range: the model has {len(names)} features (0..{len(names) - 1}).")
        return int(feature)
    if isinstance(feature, str):
        if feature not in names:
            raise ValueError(f"unknown feature {feature!r}; the model's features are {names[:10]}{' ...' if len(names) > 10 else ''}")
        return names.index(feature)
    raise TypeError(f"feature must be a column index or a feature name, got {feature!r}")


def _score_label(model, k: int | None = None, sign: float = 1.0) -> str:
    """What a score means: log-odds (binary), logit per class (multiclass), target units (regressor)."""
    kind = _kind(model)
    if kind == "regression":
        return "contribution to the prediction"
    if kind == "binary":
        return f"score (log-odds of {_label(model.classes_[1 if sign > 0 else 0])!r})"
    if k is None:
        return "score (logit of each class)"
    return f"score (logit of {_label(model.classes_[k])!r})"


def _bars(ax, lefts, widths, heights, model, **style):
    """Bars of one score each (coloured by sign), or K side-by-side bars per bin (one
    colour per class) when ``heights`` is (n, K). Returns the bar containers, one per class
    (the legend's handles)."""
    lefts, widths = np.asarray(lefts, dtype=np.float64), np.asarray(widths, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    style = {"edgecolor": "black", "linewidth": 0.5, **style}
    if heights.ndim == 1:
        return [ax.bar(lefts, heights, width=widths, align="edge", color=[_colour(h) for h in heights], **style)]
    n_classes = heights.shape[1]
    return [ax.bar(lefts + k * widths / n_classes, heights[:, k], width=widths / n_classes, align="edge",
                   color=_class_colour(k), **style)
            for k in range(n_classes)]


def bar_plot(model, feature, ax=None, class_=None):
    """The published bar plot of one feature: one bar per bin, as wide as its share of the training rows.

    Numeric feature: interval bins are laid side by side along ``[0, total interval
    weight]``, each as tall as its score, green when positive and red when negative. The
    cut values are the ticks of a twin x axis on top, at the boundaries between bars. When
    training rows had missing values, the missing-value bin is a hatched bar after a gap,
    labelled "missing". A multiclass model (``class_=None``) splits each bin's width into
    one bar per class, one colour per class, with a legend of the class labels.

    Categorical feature: equal-width bars by category name, ordered by score (see the
    module docstring); no twin axis.

    ``feature`` is a column index or a feature name; ``class_`` is as in the module
    docstring. Returns the Axes of the bars (the cut axis is its ``twiny``).

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    >>> ax = bar_plot(model, 0)
    >>> len(ax.patches) == len(model.cuts_[0]) + 1
    True
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    j, k, sign, scores, weights = _feature_scores(model, feature, class_)
    ax = _axes(ax)
    if _is_categorical(model, j):
        return _category_bars(model, j, ax, scores, weights, k, sign)
    cuts = np.asarray(model.cuts_[j], dtype=np.float64)
    y_scale = _drawing_scale(scores)
    scores = _scaled(scores, y_scale)
    interval_scores, interval_weights = scores[:-1], weights[:-1]
    ends = np.cumsum(interval_weights)
    lefts = ends - interval_weights
    total = float(ends[-1])
    handles = _bars(ax, lefts, interval_weights, interval_scores, model)
    right = total
    if weights[-1] > 0:
        # Missing values have no place on the value axis: their bar stands apart, after a gap.
        gap = 0.05 * max(total, weights[-1])
        left = total + gap
        _bars(ax, [left], [weights[-1]], scores[-1:], model, hatch="//")
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
    top.set_xticklabels([f"{c:.4g}" for c in cuts], rotation=90, fontsize=7)
    top.set_xlabel(f"cuts of {feature_names(model)[j]}", fontsize=8, **_LITERAL)
    return ax


def _category_bars(model, j, ax, scores, weights, k, sign):
    """Bar plot of a categorical feature: categories by score, then "other", "missing", "unseen"."""
    m = len(model.categories_[j])
    order = category_order(scores[:m])
    n_rare = len(model.rare_categories_[j]) if getattr(model, "rare_categories_", None) else 0
    width = 0.8
    positions = np.concatenate([np.arange(m), m + 0.5 + np.arange(2)])  # a gap before "other"
    lefts = positions - width / 2
    unseen = _select(np.asarray(model.unseen_scores_[j], dtype=np.float64), k, sign)
    y_scale = _drawing_scale(scores, unseen)
    scores, unseen = _scaled(scores, y_scale), _scaled(unseen, y_scale)
    kept = _bars(ax, lefts[:m], np.full(m, width), scores[order], model)
    other = _bars(ax, lefts[m:m + 1], [width], scores[m:m + 1], model, hatch="..")
    _bars(ax, lefts[m + 1:], [width], scores[m + 1:m + 2], model, hatch="//")
    unseen_x = m + 2.5
    if np.ndim(unseen) == 0:
        ax.plot([unseen_x], [unseen], marker="D", fillstyle="none", linestyle="none", markersize=7,
                color=_colour(unseen), label="unseen")
    else:
        n_classes = len(unseen)
        for c in range(n_classes):
            x = unseen_x - width / 2 + (c + 0.5) * width / n_classes
            ax.plot([x], [unseen[c]], marker="D", fillstyle="none", linestyle="none", markersize=6,
                    color=_class_colour(c), label="_unseen")
    names = [_category_text(v) for v in np.asarray(model.categories_[j])[order]]
    labels = [f"{name}\n{100 * w:.1f}%" for name, w in zip(names, weights[order])]
    labels += [f"other ({n_rare} rare)\n{100 * weights[m]:.1f}%", f"missing\n{100 * weights[m + 1]:.1f}%",
               "unseen\n(not in training)"]
    many = len(labels) > 6
    ax.set_xticks(np.append(positions, unseen_x))
    ax.set_xticklabels(labels, fontsize=7, rotation=45 if many else 0, ha="right" if many else "center", **_LITERAL)
    ax.set_xlim(-0.6, unseen_x + 0.6)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(feature_names(model)[j], **_LITERAL)
    ax.set_ylabel(_score_label(model, k, sign) + _scale_note(y_scale), **_LITERAL)
    if scores.ndim == 2:
        _legend(ax, kept if m else other, _class_names(model), title="class", fontsize=7, title_fontsize=7)
    return ax


def _value_range(cuts: np.ndarray, values) -> tuple[float, float]:
    """Finite x range for a step plot: the data's range when given, else the cuts padded."""
    if values is not None:
        finite = values[np.isfinite(values)]
        if finite.size:
            lo = min(float(finite.min()), *(cuts[:1] if cuts.size else ()))
            hi = max(float(finite.max()), *(cuts[-1:] if cuts.size else ()))
            if hi > lo:
                return lo, hi
    if cuts.size == 0:
        return -1.0, 1.0
    span = float(cuts[-1] - cuts[0])
    # The end bins are unbounded: give each the width of an average inner bin.
    pad = span / max(cuts.size - 1, 1) if span > 0 else max(abs(float(cuts[0])) * 0.1, 1.0)
    return float(cuts[0]) - pad, float(cuts[-1]) + pad


def step_plot(model, feature, ax=None, X=None, class_=None):
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

    ``feature`` is a column index or a feature name; ``class_`` is as in the module
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
        return bar_plot(model, j, ax=ax, class_=class_)
    cuts = np.asarray(model.cuts_[j], dtype=np.float64)
    ax = _axes(ax)
    values = None
    if X is not None:
        values = _numeric_part(model._validated(X))[:, j]
    # A first cut at -inf (its bin holds the -inf values only) is no place on the axis: the
    # range comes from the finite cuts, and that cut is drawn at the left end.
    finite_cuts = cuts[np.isfinite(cuts)]
    x_scale = _drawing_scale(finite_cuts, () if values is None else values)
    y_scale = _drawing_scale(scores)
    finite_cuts, scores = _scaled(finite_cuts, x_scale), _scaled(scores, y_scale)
    lo, hi = _value_range(finite_cuts, None if values is None else _scaled(values, x_scale))
    xs = np.concatenate([[lo], np.where(np.isfinite(cuts), _scaled(cuts, x_scale), lo), [hi]])
    width = hi - lo
    # Missing values are off the value axis: a marker in a strip of its own at the right.
    separator, missing_x = hi + 0.04 * width, hi + 0.08 * width
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
    ax.set_xlabel(f"{feature_names(model)[j]}{_scale_note(x_scale)}", **_LITERAL)
    ax.set_ylabel(_score_label(model, k, sign) + _scale_note(y_scale), **_LITERAL)

    below = ax.twinx()
    edges = xs  # bin k spans [xs[k], xs[k+1]] on the plot
    below.bar(edges[:-1], weights[:-1], width=np.diff(edges), align="edge", color="0.6", alpha=0.35,
              edgecolor="0.4", linewidth=0.4)
    below.bar([missing_x - 0.02 * width], [weights[-1]], width=[0.04 * width], align="edge", color="0.6",
              alpha=0.35, edgecolor="0.4", linewidth=0.4, hatch="//")
    # Weights fill only the lower third, so that they sit underneath the step line.
    below.set_ylim(0.0, 3.0 * max(float(weights.max()), 1e-12))
    below.set_ylabel("training fraction per bin", fontsize=8, color="0.4")
    below.tick_params(axis="y", labelsize=7, colors="0.4")
    # Draw the step line above the weight bars (a twin is drawn after its parent by default).
    ax.set_zorder(below.get_zorder() + 1)
    ax.patch.set_visible(False)
    return ax


def plot_all(model, top: int | None = None, kind: str = "step", class_=None):
    """Every feature's shape function in one figure, most important first.

    Each subplot's title is the feature's name and its MIRAD importance. ``top`` keeps
    only the most important features; ``kind`` is ``"step"`` (:func:`step_plot`) or
    ``"bar"`` (:func:`bar_plot`); categorical features are bar plots either way (see
    :func:`step_plot`), so a model mixing both kinds of feature draws each its own way.
    ``class_`` is passed to each plot (see the module docstring). Returns the Figure.

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
    ncols = min(3, len(order))
    nrows = -(-len(order) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 3.6 * nrows), squeeze=False,
                             layout="constrained")
    for ax, j in zip(axes.flat, order):
        draw(model, int(j), ax=ax, class_=class_)
        ax.set_title(f"{names[j]} (importance {model.feature_importances_[j]:.3g})", fontsize=10, **_LITERAL)
    for ax in axes.flat[len(order):]:
        fig.delaxes(ax)
    return fig


def history_plot(model, ax=None):
    """The training history: the total loss and each loss term at the start and after every iteration.

    One line per series of ``model.history_`` (``"loss"`` first), against the iteration
    number, on a log y axis when every value is >= 0 and some are > 0 (zeros are then not
    drawn, and the axis spans at most 8 decades below the largest value). Terms that are 0
    at every iteration (e.g. ``l2`` when its weight is 0) are left out, and the legend
    says so. A model without a history (loaded from a document that has none) gets empty
    axes that say so; a history without some series draws the ones it has.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> ax = history_plot(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0))
    >>> [line.get_label() for line in ax.lines]
    ['loss', 'classification', 'step', 'embedding_sum']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    check_is_fitted(model, "bin_scores_")
    ax = _axes(ax)
    history = {str(k): np.asarray(v, dtype=np.float64).ravel() for k, v in (getattr(model, "history_", None) or {}).items()}
    keys = sorted(history, key=lambda k: k != "loss")  # "loss" first, the others in their order
    shown = [k for k in keys if k == "loss" or np.any(history[k] != 0)]
    skipped = [k for k in keys if k not in shown]
    lines = []
    for k in shown:
        lines += ax.plot(np.arange(len(history[k])), history[k], label=k,
                         linewidth=2.2 if k == "loss" else 1.2, color="black" if k == "loss" else None)
    values = np.concatenate([history[k] for k in shown]) if shown else np.empty(0)
    positive = values[values > 0]
    if positive.size and np.all(values >= 0):
        ax.set_yscale("log")
        # A term that starts at exactly 0 passes through tiny values (1e-36, say) on its first
        # step; showing those would squash everything else: keep 8 decades below the top.
        top = float(positive.max())
        ax.set_ylim(max(float(positive.min()), top * 1e-8) / 2, min(top * 2, np.finfo(np.float64).max))
    ax.set_xlabel("L-BFGS-B iteration")
    ax.set_ylabel("loss (weighted terms)")
    if not history:
        ax.text(0.5, 0.5, "no training history\n(the model was loaded without one)", transform=ax.transAxes,
                ha="center", va="center", fontsize=9, color="0.4")
        return ax
    title = f"always 0, not drawn: {', '.join(skipped)}" if skipped else None
    _legend(ax, lines, shown, title=title, title_fontsize=8, fontsize=8)
    return ax


def _one_row(model, x):
    """One row as validated data and as an input the explanations accept again.

    ``x`` is a 1-D array (or list) of the row's values, or a one-row table."""
    if hasattr(x, "columns"):  # a one-row DataFrame: its names are checked against the model's
        row = x
        data = model._validated(row)
    else:
        # Numbers and categories together: an object array keeps each value as it is.
        row = np.asarray(x, dtype=object if model._has_categories() else None)
        if row.ndim == 2 and row.shape[0] == 1:
            row = row[0]
        if row.ndim != 1:
            raise ValueError(f"x must be one row (a 1-D array), got an array of shape {np.shape(x)}")
        row = row[None]
        # A 1-D row is positional by nature: the names come from the model. So it is checked
        # as model._validated does, less the feature-name check, whose "fitted with feature
        # names" warning would only be noise here.
        if model._has_categories():
            numeric, columns = check_table(row, model.is_categorical_)
            check_n_features(model, numeric)
            data = (numeric, columns)
        else:
            data = check_array(row)
            check_n_features(model, data)
    n = len(_numeric_part(data))
    if n != 1:
        raise ValueError(f"x must be one row, got {n} rows")
    return data


def _value_texts(model, data) -> list[str]:
    """The row's value of each feature as the waterfall labels show it."""
    numeric = _numeric_part(data)[0]
    codes = model._codes(data)
    texts = []
    for j in range(model.n_features_in_):
        if not _is_categorical(model, j):
            texts.append(f"{numeric[j]:.4g}")
            continue
        m, code = len(model.categories_[j]), int(codes[j][0])
        value = data[1][j][0]
        texts.append("missing" if code == m + 1 else _category_text(value) + {m: " (other)", m + 2: " (unseen)"}.get(code, ""))
    return texts


def waterfall_plot(model, x, ax=None, top: int | None = None, baseline: str | None = None, class_=None,
                   **baseline_kw):
    """One row's exact explanation, as a waterfall from the intercept to the decision value.

    With ``baseline`` (a name of :func:`embedsum.explain.attributions`, e.g. ``"expected"``,
    with its keyword arguments), the bars are the attributions against that baseline and
    the waterfall starts at the baseline's decision value instead of the intercept.

    One horizontal bar per feature, largest ``|contribution|`` first (at the top); each
    bar starts where the previous one ended, the first at ``model.intercept_``, so the last
    one ends at the row's decision value (to rounding: the bars are added in this order,
    the model adds in feature order). With ``top``, the remaining features are summed into
    one "other" bar. Dashed lines mark the intercept and the decision value. Contributions
    come from :func:`embedsum.explain.contributions`. A categorical value is labelled by
    name, with "(other)" for a rare category and "(unseen)" for one never seen in training.

    A multiclass model explains one class: ``class_`` (a label of ``classes_``), by default
    the row's predicted class; the title names it. A regressor's waterfall ends at the
    prediction, in target units. ``class_=classes_[0]`` on a binary model explains the
    log-odds of ``classes_[0]`` (every value negated).

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    >>> ax = waterfall_plot(model, X[0], top=2)
    >>> end = ax.patches[-1].get_x() + ax.patches[-1].get_width()
    >>> bool(abs(end - model.decision_function(X[:1])[0]) < 1e-12)
    True
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    check_is_fitted(model, "bin_scores_")
    if top is not None and (isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 1):
        raise ValueError(f"top must be a positive integer or None, got {top!r}")
    k, sign = _class_choice(model, class_)
    data = _one_row(model, x)
    scores = _scores_of(model, data)[0]  # (d,) or (d, K)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    kind = _kind(model)
    if kind == "multiclass" and k is None:
        # The model's own sums, class by class, left to right: the predicted class is theirs.
        totals = intercept.copy()
        for s in scores:
            totals = totals + s
        k = int(np.argmax(totals))
    c = _select(scores, k, sign)
    first = float(_select(intercept, k, sign))
    attributed = None if baseline is None else _select(_attributions_kw(model, data, baseline, **baseline_kw)[0], k, sign)
    # Drawn in units scaled by a power of two when sums of the values would pass what
    # matplotlib can draw (scores near the float64 limit); the labels give the true values.
    x_scale = _drawing_scale(c, first, () if attributed is None else attributed, terms=len(c) + 2)
    # The model's own sum (intercept, then features left to right) is the decision value bit
    # for bit; the bars, added largest first, end there to rounding.
    decision, drawn_decision = first, first * x_scale
    for value, drawn in zip(c.tolist(), _scaled(c, x_scale).tolist()):
        decision += value
        drawn_decision += drawn
    start, drawn_start, start_label = first, first * x_scale, "intercept"
    with np.errstate(over="ignore", invalid="ignore"):  # only labels of such models read inf or nan
        if attributed is not None:
            c = attributed
            start, start_label = decision - float(np.sum(c)), f"{baseline} baseline"
            drawn_start = drawn_decision - float(np.sum(_scaled(c, x_scale)))
        names = feature_names(model)
        values = _value_texts(model, data)
        order = np.argsort(-np.abs(c), kind="stable")
        shown = order if top is None else order[:top]
        labels = [f"{names[j]} = {values[j]}" for j in shown]
        amounts = [float(c[j]) for j in shown]
        drawn_amounts = _scaled(c, x_scale)[shown].tolist()
        rest = order[len(shown):]
        if rest.size:
            labels.append(f"other ({rest.size} features)")
            amounts.append(float(np.sum(c[rest])))
            drawn_amounts.append(float(np.sum(_scaled(c[rest], x_scale))))
    ax = _axes(ax, figsize=(7.0, 0.4 * len(amounts) + 1.6))
    lefts = drawn_start + np.concatenate([[0.0], np.cumsum(drawn_amounts)[:-1]])
    rows = np.arange(len(amounts))
    ax.barh(rows, drawn_amounts, left=lefts, color=[_colour(a) for a in amounts], edgecolor="black",
            linewidth=0.5, height=0.7)
    for row, left, amount, drawn in zip(rows, lefts, amounts, drawn_amounts):
        ax.annotate(f"{amount:+.3g}", (left + drawn, row), xytext=(3 if amount >= 0 else -3, 0),
                    textcoords="offset points", ha="left" if amount >= 0 else "right", va="center", fontsize=7)
    end_name = "prediction" if kind == "regression" else "decision value"
    start_line = ax.axvline(drawn_start, color="0.3", linestyle="--", linewidth=1,
                            label=f"{start_label} {start:+.3g}")
    end_line = ax.axvline(drawn_decision, color="tab:blue", linestyle="--", linewidth=1.5,
                          label=f"{end_name} {decision:+.3g}")
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.margins(x=0.12)  # room for the value labels beside the outermost bars
    ax.set_yticks(rows)
    ax.set_yticklabels(labels, fontsize=8, **_LITERAL)
    ax.invert_yaxis()  # largest contribution at the top
    if kind == "regression":
        ax.set_xlabel("prediction (intercept + contributions, target units)" + _scale_note(x_scale))
    else:
        ax.set_xlabel(_score_label(model, k, sign).replace("score", "decision value") + _scale_note(x_scale),
                      **_LITERAL)
    if kind == "multiclass":
        ax.set_title(f"class {_label(model.classes_[k])!r}" + (" (predicted)" if class_ is None else ""),
                     fontsize=10, **_LITERAL)
    _legend(ax, [start_line, end_line], [start_line.get_label(), end_line.get_label()], fontsize=8, loc="best")
    return ax
