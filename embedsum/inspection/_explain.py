"""Exact explanations of an additive step-function model, for every kind of model.

A fitted model's decision value is ``intercept_`` plus one bin score per feature, so
each feature's contribution to a row is simply the score of the bin the row falls in.
Against a baseline point ``b`` the attribution of feature j is ``f_j(x_j) - f_j(b_j)``:
for a step-function model this is exactly what (Enhanced) Integrated Gradients computes,
since the path integral of one feature's shape function is its difference of values.

A model with pair terms (docs/design.md#pair-terms) adds one score per pair, a cell of its
table: every array below then has one column per term, the ``d`` features and then each
pair, named ``a × b`` (:func:`~embedsum.inspection._kinds.term_names`), so read ``d`` as the
number of terms; a pair's attribution is its score minus its score at the baseline.

Kinds of model and the ``class_`` argument
------------------------------------------
- binary classifier: one decision value per row, the log-odds of ``classes_[1]``; arrays
  are (n, d). ``class_=classes_[1]`` changes nothing; ``class_=classes_[0]`` negates every
  value (the log-odds of ``classes_[0]``; negation is exact, so the sums stay bit-exact).
- multiclass classifier (K >= 3 classes): one decision value per class; arrays are
  (n, d, K), the last axis in ``classes_`` order. ``class_=label`` keeps that class's
  column: (n, d).
- regressor: one value per row, in target units; arrays are (n, d); ``class_`` must be None.

A categorical feature's value scores its category's bin, the "other" bin (rare
categories), the missing bin, or ``unseen_scores_[j]`` for a category never seen in
training: :meth:`~embedsum.estimators._base.EmbeddingSumModel.row_scores` does that coding.
"""

from __future__ import annotations

import numpy as np

from .._frames import like_input
from ._kinds import _class_choice, _select, term_names

# The public names of embedsum.explain, re-imported from where they live.
from ._attributions import attributions  # noqa: F401
from ._kinds import feature_names  # noqa: F401
from ._shape_functions import ShapeFunction, category_order, shape_functions  # noqa: F401
from ._significance import FeatureSignificance, significance  # noqa: F401


def contributions(model, X, class_=None) -> np.ndarray:
    """Each term's contribution to the decision value of each row: the features', then the pairs'.

    Shape (n_samples, n_terms); (n_samples, n_terms, n_classes) for a multiclass model, unless
    ``class_`` picks one class (see the module docstring); ``n_terms`` is the number of
    features plus the number of pair terms. A pandas DataFrame X gives a DataFrame with X's
    index and the term names as columns (multiclass: two levels,
    feature then class); any other X gives a numpy array. ``intercept_``
    (or ``intercept_[k]``) plus the columns, added left to right, equals
    ``model.decision_function(X)`` (``[:, k]``; ``predict`` for a regressor) bit for bit.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
    >>> c = contributions(model, X[:3])
    >>> bool(np.all(model.intercept_ + c[:, 0] + c[:, 1] == model.decision_function(X[:3])))
    True
    >>> y = np.digitize(X[:, 0], [-0.5, 0.5])  # three classes
    >>> contributions(EmbeddingSumClassifier(max_bins=4).fit(X, y), X[:3], class_=2).shape
    (3, 2)
    """
    k, sign = _class_choice(model, class_)
    return like_input(X, _select(model.row_scores(X), k, sign), term_names(model), getattr(model, "classes_", None))
