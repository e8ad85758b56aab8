"""What the plots read from a model and its input: one feature's scores, a value range, one row.

Rows are validated here as the model validates them (:mod:`embedsum._validation`); a
categorical value's label names its bin (docs/design.md#bin-codes).
"""

from __future__ import annotations

import numbers
from statistics import NormalDist

import numpy as np

from .._bins import category_missing, category_other, category_unseen
from .._validation import check_array, check_is_fitted, check_n_features, check_table
from ._kinds import _class_choice, _is_categorical, _select, feature_names
from ._plot_style import _number_text
from ._scores import _numeric_part
from ._shape_functions import _category_text


def _feature_scores(model, feature, class_):
    """``(j, k, sign, scores, weights)`` of one feature: its scores as :func:`_select` reads
    them for ``class_`` ((n_bins,) or (n_bins, K)), its weights (n_bins,)."""
    j = _feature_index(model, feature)
    k, sign = _class_choice(model, class_)
    scores = _select(np.asarray(model.bin_scores_[j], dtype=np.float64), k, sign)
    return j, k, sign, scores, np.asarray(model.bin_weights_[j], dtype=np.float64)


def _band(model, j: int, k, level):
    """Half-widths of the ``level`` bands of feature j's bins, shaped like its selected scores:
    the normal quantile times ``bin_scores_se_`` (the standard error of the *centred* score,
    docs/design.md#uncertainty); None when the model has no standard errors or ``level`` is None.
    A bin the fit did not estimate has an infinite half-width (the plots draw no band there)."""
    se = getattr(model, "bin_scores_se_", None)
    if se is None or level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1 (or None: no bands), got {level!r}")
    se = np.asarray(se[j], dtype=np.float64)
    if k is not None:
        se = se[..., k]
    return NormalDist().inv_cdf(0.5 + level / 2) * se


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
            texts.append(_number_text(numeric[j]))
            continue
        m, code = len(model.categories_[j]), int(codes[j][0])
        value = data[1][j][0]
        if code == category_missing(m):
            texts.append("missing")
        else:
            note = {category_other(m): " (other)", category_unseen(m): " (unseen)"}.get(code, "")
            texts.append(_category_text(value) + note)
    return texts
