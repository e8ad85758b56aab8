"""Numbers and names as the audit's 80-column text shows them (names escaped: they may come from a file)."""

from __future__ import annotations

import math

from ..inspection._describe import printable


def num(value, digits: int = 3) -> str:
    """A number with ``digits`` decimals below 1 in size, else ``digits`` significant digits; NaN as ``-``.

    Example
    -------
    >>> num(0.72345), num(float("nan")), num(12345.6), num(-0.0754, 2), num(1.5)
    ('0.723', '-', '1.23e+04', '-0.08', '1.5')
    """
    value = float(value)
    if math.isnan(value):
        return "-"
    text = f"{value:.{digits}f}" if abs(value) < 1 else f"{value:.{digits}g}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def with_interval(value, lo, hi, width: int) -> str:
    """``value [lo,hi]``, or the value alone when the interval is missing or would not fit."""
    text = num(value)
    if math.isnan(float(lo)) or math.isnan(float(hi)):
        return text
    full = f"{text} [{num(lo, 2)},{num(hi, 2)}]"
    return full if len(full) <= width else text


def name(text, width: int) -> str:
    """A name escaped for a terminal and cut to ``width`` characters (``~`` marks a cut)."""
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "~"
