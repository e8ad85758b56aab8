"""Exact explanations of a fitted model: contributions, attributions against baselines, significance.

The public face of :mod:`embedsum.inspection`, whose modules hold the functions and their
examples (contributions in ``_explain``, attributions, baselines, significance and shape
functions each in its own module).

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

__all__ = ["feature_names", "contributions", "attributions", "significance", "FeatureSignificance",
           "shape_functions", "ShapeFunction", "category_order"]
