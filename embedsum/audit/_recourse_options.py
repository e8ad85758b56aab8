"""The changes recourse may make to one feature of one row: allowed bins, a value in each, its cost.

For a numeric feature the value chosen in a target bin is the point of the bin (within an
allowed range) nearest the current value: the bin's upper end (a cut, which belongs to
the bin) when moving down; when moving up, the number with the fewest decimals just above
the bin's lower end (an age bin ``(30, 35]`` is reached at 31, not at 30.000000000000004).
Every value is checked to code into its bin (docs/design.md#bin-codes). A categorical
feature's bin is reached by its category; the "other" bin by its first rare category.
Missing values are a target only when ``allowed`` lists None or NaN.
"""

from __future__ import annotations

import math

import numpy as np

from .._bins import category_missing, category_other, interval_code, numeric_missing
from .._values import _is_missing_value
from ..binning._categories import encode_categories
from ..inspection._describe import feature_bin_labels

_DIRECTIONS = ("increase", "decrease")


class FeatureOptions:
    """The allowed new bins of one feature: ``codes``, ``values``, ``gains`` (score change
    towards the target), ``costs`` and ``labels`` (the bins described), one entry each.

    Example
    -------
    >>> o = FeatureOptions(0, 1, [0, 2], [0.5, 3.0], [-0.2, 0.4], [1.0, 1.0], ["(-inf, 1]", "(2, inf)"])
    >>> o.codes.tolist(), o.gains.tolist()
    ([0, 2], [-0.2, 0.4])
    """

    def __init__(self, j, current, codes, values, gains, costs, labels):
        self.j, self.current = j, current
        self.codes = np.asarray(codes, dtype=np.intp)
        self.values = list(values)
        self.gains = np.asarray(gains, dtype=np.float64)
        self.costs = np.asarray(costs, dtype=np.float64)
        self.labels = list(labels)


def _decimals_above(a: float, b: float) -> float:
    """A number in ``(a, b]`` with the fewest decimals, as close to ``a`` as those decimals allow."""
    if a == -math.inf:
        return b if math.isfinite(b) else 0.0
    for digits in range(0, 18):
        c = round(math.floor(a * 10.0**digits + 1.0) / 10.0**digits, digits)
        if a < c <= b:
            return float(c)
    return float(np.nextafter(a, math.inf))


def _numeric_value(cuts, k: int, v: float, lo: float, hi: float):
    """The value of interval bin k within ``[lo, hi]`` nearest ``v`` (NaN: nearest the bin's inside), or None."""
    a = float(cuts[k - 1]) if k > 0 else -math.inf
    b = float(cuts[k]) if k < len(cuts) else math.inf
    upper = min(b, hi)
    if lo > a:  # the range's own end, which it includes
        if lo > upper:
            return None
        candidates = [lo, upper] if math.isfinite(upper) else [lo]
    else:
        if a >= upper:
            return None
        candidates = [_decimals_above(a, upper)] + ([upper] if math.isfinite(upper) else [])
    if math.isnan(v):
        value = candidates[-1] if math.isfinite(upper) else candidates[0]
    else:
        value = min(candidates, key=lambda c: (abs(c - v), c))
    return value if interval_code(cuts, value) == k else None


def _category_code(model, j: int, value) -> int:
    column = np.empty(1, dtype=object)
    column[0] = value
    return int(encode_categories(column, model.categories_[j], model.rare_categories_[j], j)[0])


def _targets(model, j: int, current: int, v, spec) -> dict:
    """``{code: value}`` of the bins feature j may move to under ``spec`` (see counterfactuals)."""
    cuts = model.cuts_[j]
    if cuts is not None:
        n_interval = len(cuts) + 1
        lo, hi, codes = -math.inf, math.inf, range(n_interval)
        if isinstance(spec, str):
            if spec not in _DIRECTIONS:
                raise ValueError(f"allowed direction must be one of {_DIRECTIONS}, got {spec!r}")
            if current >= n_interval:  # a missing value has no direction
                return {}
            codes = range(current + 1, n_interval) if spec == "increase" else range(current)
        elif isinstance(spec, tuple):
            if len(spec) != 2:
                raise ValueError(f"an allowed range is a (lo, hi) tuple, got {spec!r}")
            lo = -math.inf if spec[0] is None else float(spec[0])
            hi = math.inf if spec[1] is None else float(spec[1])
        elif spec is not None:
            out = {}
            for value in spec:
                if _is_missing_value(value):
                    out[numeric_missing(len(cuts))] = math.nan
                    continue
                value = float(value)
                code = interval_code(cuts, value)
                if code not in out or abs(value - v) < abs(out[code] - v):
                    out[code] = value
            return out
        out = {}
        for k in codes:
            value = _numeric_value(cuts, k, float(v), lo, hi)
            if value is not None:
                out[k] = value
        return out
    m = len(model.categories_[j])
    if isinstance(spec, (str, tuple)):
        raise ValueError(f"feature {j} is categorical: allowed must list its values, got {spec!r}")
    if spec is None:
        out = {k: c.item() if hasattr(c, "item") else c for k, c in enumerate(model.categories_[j])}
        rare = model.rare_categories_[j]
        if len(rare):
            out[category_other(m)] = rare[0].item() if hasattr(rare[0], "item") else rare[0]
        return out
    out = {}
    for value in spec:
        code = category_missing(m) if _is_missing_value(value) else _category_code(model, j, value)
        out.setdefault(code, None if _is_missing_value(value) else value)
    return out


def feature_options(model, j: int, current: int, v, spec, cost, table: np.ndarray, sign: float) -> FeatureOptions:
    """The :class:`FeatureOptions` of feature j for a row in bin ``current`` with value ``v``.

    ``cost`` is None (one per change), a number (per unit of distance for a numeric
    feature, per change for a categorical one) or a sequence of one cost per bin code.
    """
    targets = {k: value for k, value in _targets(model, j, current, v, spec).items() if k != current}
    labels = feature_bin_labels(model, j)
    codes = sorted(targets)
    numeric = model.cuts_[j] is not None
    costs = []
    for k in codes:
        if cost is None:
            costs.append(1.0)
        elif np.ndim(cost) == 0:
            unit = float(cost)
            distance = abs(targets[k] - float(v)) if numeric else 1.0
            costs.append(unit * (distance if math.isfinite(distance) else 1.0))
        else:
            per_bin = np.asarray(cost, dtype=np.float64)
            if k >= len(per_bin):
                raise ValueError(f"the cost of feature {j} lists {len(per_bin)} bins; it has {len(labels)}")
            costs.append(float(per_bin[k]))
    if any(not (c >= 0 and math.isfinite(c)) for c in costs):
        raise ValueError(f"costs must be finite and >= 0 (feature {j})")
    bins = [labels[k] if k < len(labels) else "never seen in training" for k in codes]
    gains = [sign * (float(table[k]) - float(table[current])) for k in codes]
    return FeatureOptions(j, current, codes, [targets[k] for k in codes], gains, costs, bins)
