"""Exact SHAP values of a fitted model as a ``shap.Explanation``, for shap's plots.

An additive model's exact interventional SHAP value of feature j for row x, against a
background set B, is ``f_j(x_j) - mean_{b in B} f_j(b_j)``: the other features' terms do not
depend on x_j, so every coalition gives feature j the same marginal contribution. The base value
is the mean decision value over B. Nothing is sampled: the values are the model's own scores.
shap is imported only when :func:`shap_explanation` is called.
"""

from __future__ import annotations

import numpy as np

from ._attributions import _expected_scores
from ._kinds import _class_choice, _kind, _label, _select, term_names
from ._scores import _decision_of, _scores_of


def shap_explanation(model, X, background=None, class_=None):
    """Exact interventional SHAP values of the rows of X, as a ``shap.Explanation``.

    ``background=None`` takes the training rows as the model keeps them: each feature's
    baseline is its training-weighted mean score (the ``"expected"`` baseline of
    :func:`embedsum.explain.attributions`), and the base value is the intercept plus those
    means. With ``background`` (rows, as X), the baseline of each feature is its mean score
    over those rows and the base value is their mean decision value, which is what shap's
    exact explainer computes with that background. Either way each row's values plus its base
    value give its decision value (to rounding).

    Values are in the units of the decision value: log-odds of ``classes_[1]`` for a binary
    classifier, per class for a multiclass one (values (n, d, K), base values (n, K), unless
    ``class_`` picks one class), target units for a regressor. ``data`` holds X's values and
    ``feature_names`` the model's feature names, so that ``shap.plots.waterfall(e[0])`` and
    ``shap.plots.beeswarm(e)`` draw. Needs shap (``pip install shap``).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    >>> e = shap_explanation(model, X[:3], background=X)
    >>> bool(np.allclose(e.values.sum(axis=1) + e.base_values, model.decision_function(X[:3])))
    True
    """
    if getattr(model, "pairs_", None):
        # A shap.Explanation has one value per feature; a pair term's exact value would have to
        # be split between its two features (docs/design.md#pair-terms), which is not done here.
        raise ValueError("shap_explanation has one value per feature and the model has pair terms; use "
                         "embedsum.explain.attributions(model, X, 'expected'): one exact value per term.")
    try:
        import shap
    except ImportError as err:
        raise ImportError("shap_explanation returns a shap.Explanation and needs shap: pip install shap") from err
    k, sign = _class_choice(model, class_)
    values, base = _exact_shap(model, model._validated(X), None if background is None else
                               model._validated(background))
    values, base = _select(values, k, sign), _select(base, k, sign)
    n = values.shape[0]
    base_values = np.broadcast_to(base, (n,) + np.shape(base)).copy()
    output_names = None
    if _kind(model) == "multiclass" and k is None:
        output_names = [str(_label(c)) for c in model.classes_]
    data = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    return shap.Explanation(values=values, base_values=base_values, data=data,
                            feature_names=term_names(model), output_names=output_names)


def _exact_shap(model, data, background) -> tuple[np.ndarray, np.ndarray]:
    """``(values, base value)`` of validated rows against a validated background (None: the
    training weights), for every class."""
    F = _scores_of(model, data)
    if background is None:
        reference = _expected_scores(model)
        base = np.asarray(model.intercept_, dtype=np.float64).copy()
        for term in reference:  # the intercept, then each term, left to right
            base = base + term
    else:
        reference = _scores_of(model, background).mean(axis=0)
        base = _decision_of(model, background).mean(axis=0)
    return F - reference, base
