"""The bins of a training table: numeric columns cut at quantiles (or adaptively), categorical ones coded by category.

What the solver needs (the codes, the bin weights) and what the fitted model keeps (cuts,
categories); the codes follow the bin contract of docs/design.md#bin-codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..binning._adaptive import AdaptiveDigitizer
from ..binning._digitizer import Digitizer, code_dtype
from .._validation import as_frame, check_array, check_sample_weight, check_table

if TYPE_CHECKING:  # fitting-only, loaded on use
    from ..training._layout import ParameterLayout


class FittedBins:
    """The bins of a training table: what the solver needs and what the model keeps.

    Attributes: ``codes`` (n, d) bin codes; ``cuts`` (None for categorical features);
    ``categories`` and ``rare_categories`` (None for numeric features); ``bin_weights``;
    ``n_bins``; ``is_categorical``; ``values``, the (n, d) float64 values of the numeric
    features (NaN in categorical columns) when known.

    Example
    -------
    >>> X = np.array([[0.5, "tcp"], [1.5, "udp"]], dtype=object)
    >>> bins = fit_bins(X, None, None, categorical_features="auto", max_bins=20, min_category_count=1)
    >>> bins.n_bins.tolist(), bins.categories[1].tolist(), bins.layout().n_params
    ([3, 4], ['tcp', 'udp'], 8)
    """

    def __init__(self, codes, cuts, categories, rare_categories, bin_weights, is_categorical):
        self.codes = codes
        self.cuts = cuts
        self.categories = categories
        self.rare_categories = rare_categories
        self.bin_weights = bin_weights
        self.is_categorical = is_categorical
        self.n_bins = np.array([len(w) for w in bin_weights], dtype=np.intp)
        self.values = None

    def layout(self, n_outputs: int = 1, features=None, **pair_terms) -> "ParameterLayout":
        """The parameter layout of these bins (of the given features only, in their order),
        with the pair terms ``pairs``, ``pair_shapes`` and ``pair_weights`` if given."""
        from ..training._layout import ParameterLayout

        j = np.arange(len(self.n_bins)) if features is None else np.asarray(features, dtype=np.intp)
        return ParameterLayout(self.n_bins[j], [self.bin_weights[i] for i in j], n_outputs=n_outputs,
                               ordered=~np.asarray(self.is_categorical)[j], **pair_terms)


def fit_bins(X, names, sample_weight, *, categorical_features, max_bins: int, min_category_count: int,
             binning: str = "quantile", min_bin_count: int = 5) -> FittedBins:
    """Bin a training table: quantile (or adaptive) bins for numeric columns, category bins for the others.

    ``binning`` chooses the numeric cuts: ``"quantile"`` the published ones
    (:class:`~embedsum.binning._digitizer.Digitizer`), ``"adaptive"`` those of
    :class:`~embedsum.binning._adaptive.AdaptiveDigitizer` with ``min_bin_count``; both are
    plain cut arrays under the same bin contract (docs/design.md#bin-codes).
    ``sample_weight`` (checked here) weighs the rows of the quantiles, the category
    counts and the bin weights as repeated rows (see :mod:`embedsum.binning._digitizer`).

    Example
    -------
    >>> bins = fit_bins(np.array([[0.5], [1.5], [2.5]]), None, None, categorical_features="auto", max_bins=2,
    ...                 min_category_count=1)
    >>> bins.codes.ravel().tolist(), bins.n_bins.tolist()
    ([0, 0, 1], [3])
    """
    from ..binning._categories import fit_categories, resolve_categorical_features  # fitting-only: loaded on use

    frame = as_frame(X)
    if frame is not None:
        X = frame  # read a data frame once: the categorical choice and the values use it
    n_features = _n_columns(X)
    is_categorical = resolve_categorical_features(categorical_features, X, n_features, names)
    if not is_categorical.any():
        values = check_array(X)
        sw = None if sample_weight is None else check_sample_weight(sample_weight, values.shape[0])
        digitizer = _digitizer(binning, max_bins, min_bin_count)
        codes = digitizer.fit_transform(values, sample_weight=sw)
        d = codes.shape[1]
        bins = FittedBins(codes, digitizer.cuts_, [None] * d, [None] * d, digitizer.bin_weights_,
                          np.zeros(d, dtype=bool))
        bins.values = values
        return bins
    numeric, columns = check_table(X, is_categorical)
    n, d = numeric.shape
    sw = None if sample_weight is None else check_sample_weight(sample_weight, n)
    cuts, categories, rare, weights = [None] * d, [None] * d, [None] * d, [None] * d
    codes = np.empty((n, d), dtype=np.intp, order="F")
    numeric_columns = np.flatnonzero(~is_categorical)
    if len(numeric_columns):
        digitizer = _digitizer(binning, max_bins, min_bin_count)
        codes[:, numeric_columns] = digitizer.fit_transform(numeric[:, numeric_columns], sample_weight=sw)
        for j, c, w in zip(numeric_columns, digitizer.cuts_, digitizer.bin_weights_):
            cuts[j], weights[j] = c, w
    for j in np.flatnonzero(is_categorical):
        categories[j], rare[j], codes[:, j], weights[j] = fit_categories(
            columns[j], min_category_count, j, sample_weight=sw)
    n_bins_max = max(len(w) for w in weights)
    bins = FittedBins(codes.astype(code_dtype(n_bins_max), order="F"), cuts, categories, rare, weights,
                      is_categorical)
    bins.values = numeric
    return bins


def _digitizer(binning: str, max_bins: int, min_bin_count: int):
    """The numeric binning asked for (the parameters are checked by the estimator)."""
    if binning == "adaptive":
        return AdaptiveDigitizer(max_bins=max_bins, min_bin_count=min_bin_count)
    return Digitizer(max_bins=max_bins)


def _n_columns(X) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[1])
    try:
        arr = np.asarray(X, dtype=object)
    except ValueError:
        return 0
    return int(arr.shape[1]) if arr.ndim == 2 else 0
