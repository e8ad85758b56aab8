"""One row's exact explanation as a waterfall, from the intercept (or a baseline) to the decision value."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_is_fitted
from ._attributions import _attributions_kw
from ._kinds import _class_choice, _kind, _label, _select, feature_names
from ._plot_data import _one_row, _value_texts
from ..scoring._links import sigmoid, softmax
from ._plot_style import (_LITERAL, _axes, _class_text, _colour, _drawing_scale, _number_text,
                          _readable_ticks, _scale_note, _scaled, _score_label)
from ._scores import _decision_of, _scores_of


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
    one "other" bar. Dashed lines mark the start and the end. Contributions
    come from :func:`embedsum.explain.contributions`. A categorical value is labelled by
    name, with "(other)" for a rare category and "(unseen)" for one never seen in training.
    Numbers read as written (``226,800``, not ``2.268e+05``). The first row is the start (the
    intercept or the baseline, a grey diamond), the last the end (a blue diamond): the decision
    value, and for a classifier the probability it stands for (of ``classes_[1]``, or of the
    class explained). Each row's amount is written in a column at the right of the axes, level
    with its bar, so that no label covers a bar.

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
    # The decision value(s) by the scoring contract's one codes -> decision sum (intercept, then
    # features left to right: the model's own bit for bit, docs/design.md#scoring-contract).
    with np.errstate(over="ignore", invalid="ignore"):  # a model near the float64 limit may overflow
        z = _decision_of(model, data)[0]
    if kind == "multiclass" and k is None:
        k = int(np.argmax(z))  # the predicted class
    c = _select(scores, k, sign)
    first = float(_select(intercept, k, sign))
    attributed = None if baseline is None else _select(_attributions_kw(model, data, baseline, **baseline_kw)[0], k, sign)
    # Drawn in units scaled by a power of two when sums of the values would pass what
    # matplotlib can draw (scores near the float64 limit); the labels give the true values.
    x_scale = _drawing_scale(c, first, () if attributed is None else attributed, terms=len(c) + 2)
    # The bars, added largest first, end at the decision value to rounding.
    decision, drawn_decision = float(_select(z, k, sign)), first * x_scale
    for drawn in _scaled(c, x_scale).tolist():
        drawn_decision += drawn
    start, drawn_start, start_label = first, first * x_scale, "intercept"
    with np.errstate(over="ignore", invalid="ignore"):  # only labels of such models read inf or nan
        if attributed is not None:
            c = attributed
            start, start_label = decision - float(np.sum(c)), f"{baseline} baseline"
            drawn_start = drawn_decision - float(np.sum(_scaled(c, x_scale)))
        names = feature_names(model)
        values = _value_texts(model, data)
        for a, b in getattr(model, "pairs_", None) or ():  # pair terms after the features (docs/design.md#pair-terms)
            names.append(f"{names[a]} × {names[b]}")
            values.append(f"{values[a]}, {values[b]}")
        order = np.argsort(-np.abs(c), kind="stable")
        shown = order if top is None else order[:top]
        labels = [f"{names[j]} = {values[j]}" for j in shown]
        amounts = [float(c[j]) for j in shown]
        drawn_amounts = _scaled(c, x_scale)[shown].tolist()
        rest = order[len(shown):]
        if rest.size:
            labels.append(f"other ({rest.size} terms)" if len(c) > model.n_features_in_ else
                          f"other ({rest.size} features)")
            amounts.append(float(np.sum(c[rest])))
            drawn_amounts.append(float(np.sum(_scaled(c[rest], x_scale))))
    ax = _axes(ax, figsize=(7.0, 0.4 * len(amounts) + 2.2))
    lefts = drawn_start + np.concatenate([[0.0], np.cumsum(drawn_amounts)[:-1]])
    rows = np.arange(1, len(amounts) + 1)  # row 0 is the start, the last row the end
    end_row = len(amounts) + 1
    bars = ax.barh(rows, drawn_amounts, left=lefts, color=[_colour(a) for a in amounts], edgecolor="black",
                   linewidth=0.5, height=0.7)
    for bar in bars:  # a bar's start is "sticky" to matplotlib: the margins below would stop there
        bar.sticky_edges.x.clear()
    end_name = "prediction" if kind == "regression" else "decision value"
    end_text = end_name
    if kind != "regression":
        explained = model.classes_[k if kind == "multiclass" else int(sign > 0)]
        end_text += f": P({_class_text(explained)}) = {_probability(z, k, sign):.3f}"
    ax.axvline(drawn_start, color="0.3", linestyle="--", linewidth=1, label=f"{start_label} {_number_text(start, True, 3)}")
    ax.axvline(drawn_decision, color="tab:blue", linestyle="--", linewidth=1.5,
               label=f"{end_name} {_number_text(decision, True, 3)}")
    ax.plot([drawn_start], [0], marker="D", markersize=6, color="0.3", linestyle="none", label="_start",
            clip_on=False)
    ax.plot([drawn_decision], [end_row], marker="D", markersize=7, color="tab:blue", linestyle="none", label="_end",
            clip_on=False)
    if kind != "regression":  # a decision value of 0 is a probability of one half; a prediction of 0 is nothing
        ax.axvline(0.0, color="black", linewidth=0.6)
    ax.margins(x=0.05)
    every_row = np.arange(end_row + 1)
    ax.set_yticks(every_row)
    ax.set_yticklabels([start_label, *labels, end_text], fontsize=8, **_LITERAL)
    for text in (ax.get_yticklabels()[0], ax.get_yticklabels()[-1]):
        text.set_fontweight("bold")
    ax.set_ylim(end_row + 0.6, -0.6)  # the start at the top, the largest contribution under it
    # The amounts, as tick labels of a right-hand axis: level with their bars, never on them.
    column = ax.secondary_yaxis("right")
    column.set_yticks(every_row)
    column.set_yticklabels([_number_text(start, True, 3), *(_number_text(a, True, 3) for a in amounts),
                            _number_text(decision, True, 3)], fontsize=8)
    column.tick_params(length=0, pad=6)
    for text, amount in zip(column.get_yticklabels()[1:-1], amounts):
        text.set_color(_colour(amount).replace("tab:gray", "0.3"))
    _readable_ticks(ax.xaxis)
    if kind == "regression":
        ax.set_xlabel("prediction (intercept + contributions, target units)" + _scale_note(x_scale))
    else:
        ax.set_xlabel(_score_label(model, k, sign).replace("score", "decision value") + _scale_note(x_scale),
                      **_LITERAL)
    if kind == "multiclass":
        ax.set_title(f"class {_label(model.classes_[k])!r}" + (" (predicted)" if class_ is None else ""),
                     fontsize=10, **_LITERAL)
    return ax


def _probability(z, k, sign) -> float:
    """The probability of the class a waterfall explains, by the model's own links."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.ndim(z) == 1:  # multiclass: the softmax of every class's decision value
            return float(softmax(np.asarray(z, dtype=np.float64)[None])[0, k])
        return float(sigmoid(np.array([sign * float(z)]))[0])
