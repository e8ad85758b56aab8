"""Exact explanations of a fitted model: contributions, attributions against baselines, significance, SHAP.

The public face of :mod:`embedsum.inspection`, whose modules hold the functions and their
examples (contributions in ``_explain``, attributions, baselines, significance, shape
functions and the ``shap.Explanation`` each in its own module). shap is imported only by
:func:`shap_explanation`, pandas never: a pandas DataFrame X gives DataFrames back.

Example
-------
>>> import numpy as np
>>> from embedsum import EmbeddingSumClassifier
>>> from embedsum.explain import contributions
>>> X = np.random.default_rng(0).normal(size=(100, 2))
>>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
>>> contributions(model, X[:3]).shape
(3, 2)
"""

from .inspection._explain import (
    FeatureSignificance,
    ShapeFunction,
    attributions,
    category_order,
    contributions,
    feature_names,
    shape_functions,
    significance,
)
from .inspection._shap import shap_explanation

__all__ = ["feature_names", "contributions", "attributions", "significance", "FeatureSignificance",
           "shape_functions", "ShapeFunction", "category_order", "shap_explanation"]
