"""How the plots draw: matplotlib on demand, colours, literal text, bars, a scale matplotlib can draw.

matplotlib is imported inside :func:`_pyplot`, never at module level, so that ``import
embedsum.plot`` stays light and works where matplotlib is absent.
"""

from __future__ import annotations

import math

import numpy as np

from ._kinds import _kind, _label


_POSITIVE = "tab:green"
_NEGATIVE = "tab:red"
_ZERO = "tab:gray"
# matplotlib installs from the package index wherever embedsum came from (a checkout, a vendored
# copy, a wheel); the extra only works once embedsum itself is installed from an index.
_INSTALL_HINT = ("pip install matplotlib (or, when embedsum was installed from a package index, "
                 "pip install 'embedsum[plot]')")


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


def _class_text(label) -> str:
    """A class as the axes name it: ``class 1``, ``class 'bad'`` (a bare ``1`` reads as a number)."""
    label = _label(label)
    return f"class {label!r}" if isinstance(label, str) else f"class {label}"


def _score_label(model, k: int | None = None, sign: float = 1.0) -> str:
    """What a score means: log-odds (binary), logit per class (multiclass), target units (regressor)."""
    kind = _kind(model)
    if kind == "regression":
        return "contribution to the prediction"
    if kind == "binary":
        return f"score (log-odds of {_class_text(model.classes_[1 if sign > 0 else 0])})"
    if k is None:
        return "score (logit of each class)"
    return f"score (logit of {_class_text(model.classes_[k])})"


def _number_text(value: float, signed: bool = False, digits: int = 4) -> str:
    """A number as people read it: ``226,800`` and ``0.0123``, not ``2.268e+05``; scientific
    notation only below 1e-4 or from 1e15 on (where plain digits stop being readable).

    >>> _number_text(226800.0), _number_text(1169.0), _number_text(-0.70612, signed=True, digits=3)
    ('226,800', '1,169', '-0.706')
    """
    value = float(value)
    sign = "+" if signed else ""
    magnitude = abs(value)
    if not math.isfinite(value) or magnitude == 0 or magnitude < 1e-4 or magnitude >= 1e15:
        return f"{value:{sign}.{digits}g}"
    text = f"{value:{sign}.{digits}g}"
    if abs(float(text)) >= 1000:  # whole numbers, grouped by thousands (999.97 too, once rounded)
        return f"{value:{sign},.0f}"
    return text


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


def _tick_text(value: float) -> str:
    """A tick label: short, since ticks sit side by side (``250k``, ``1.5M``); :func:`_number_text`
    below ten thousand and from 1e15 on.

    >>> [_tick_text(v) for v in (0.25, 2500.0, 250000.0, -1500000.0, 3e9)]
    ['0.25', '2,500', '250k', '-1.5M', '3G']
    """
    magnitude = abs(float(value))
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")):
        if size <= magnitude < 1e15:
            shown = size if suffix != "k" else 1e3
            return f"{value / shown:.4g}{suffix}"
    return _number_text(value)


def _readable_ticks(*axes) -> None:
    """Tick labels people read: ``250k`` and ``1.5M``, never an offset such as ``1e6`` in a corner."""
    from matplotlib.ticker import FuncFormatter

    for axis in axes:
        axis.set_major_formatter(FuncFormatter(lambda value, _: _tick_text(value)))
