"""The straightforward objective, the reference that ``bench_fit_large.py`` checks embedsum against.

The published objective (docs/design.md#published-objective) written the plain way: one gather per feature to
build the decision values, whole-array numpy passes for the log-loss, one ``np.bincount``
per feature for the gradient. No feature grouping, no chunks, no threads, no subsample
start. It is minimised by embedsum's own L-BFGS-B call (``embedsum.training._solver.minimize_lbfgs``)
with the options, preconditioning, regularisers and bins of ``EmbeddingSumClassifier()``,
so a difference in the objective reached comes from the objective code alone.
"""

from __future__ import annotations

import numpy as np

from embedsum import Digitizer, EmbeddingSumClassifier, ParameterLayout
from embedsum.estimators._base import _SCALE_FLOOR
from embedsum.training._solver import minimize_lbfgs

__all__ = ["StraightforwardObjective", "fit_straightforward"]


class StraightforwardObjective:
    """``mean_i(w_i (softplus(z_i) - y_i z_i))`` + regularisers, and its gradient, the plain way.

    Same constructor and ``loss_gradient``/``last_components`` as
    ``embedsum.training._objective.EmbeddingSumObjective``.
    """

    def __init__(self, codes, y, sample_weight, layout: ParameterLayout, regularizers=()):
        self.codes = codes
        self.y = np.asarray(y, dtype=np.float64)
        self.w = np.asarray(sample_weight, dtype=np.float64)
        self.layout = layout
        self.regularizers = list(regularizers)
        self.last_components: dict[str, float] = {}

    def loss_gradient(self, coef):
        coef = np.asarray(coef, dtype=np.float64)
        layout, n = self.layout, len(self.y)
        scores, intercept = layout.split(coef)
        z = np.full(n, intercept)
        for j, s in enumerate(scores):
            z += s[self.codes[:, j]]
        classification = float(np.mean(self.w * (np.logaddexp(0.0, z) - self.y * z)))
        e = np.exp(-np.abs(z))
        sigmoid = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        dz = self.w * (sigmoid - self.y) / n
        grad = np.empty_like(coef)
        for j in range(layout.n_features):
            grad[layout.offsets[j]:layout.offsets[j + 1]] = np.bincount(
                self.codes[:, j], weights=dz, minlength=layout.n_bins[j])
        grad[-1] = dz.sum()
        components = {"classification": classification}
        total = classification
        for reg in self.regularizers:
            value, reg_grad = reg.value_gradient(coef, layout)
            components[reg.name] = components.get(reg.name, 0.0) + value
            total += value
            grad += reg_grad
        self.last_components = components
        return total, grad


def fit_straightforward(X, y, **params):
    """Fit ``EmbeddingSumClassifier(**params)``'s model with the straightforward objective.

    Returns ``(coef, objective, layout, codes, result)``: the flat parameters, the
    straightforward objective on the training rows, the layout, the bin codes and the
    solver's result. ``y`` must be 0/1.
    """
    model = EmbeddingSumClassifier(**params)
    digitizer = Digitizer(max_bins=model.max_bins)
    codes = digitizer.fit_transform(X)
    layout = ParameterLayout(digitizer.n_bins_, digitizer.bin_weights_)
    y01 = np.asarray(y, dtype=np.float64)
    sw = np.ones(len(y01))
    objective = StraightforwardObjective(codes, y01, sw, layout, model._all_regularizers())
    x0 = np.zeros(layout.n_params)
    positive = float(np.sum(y01))  # the estimator's start: the intercept at the log-odds
    x0[-1] = np.log(positive) - np.log(len(y01) - positive)
    weights = layout.bin_weights.copy()  # the estimator's preconditioning, as in EmbeddingSumClassifier._solve
    weights[-1] = 1.0
    scale = np.sqrt(np.maximum(weights, _SCALE_FLOOR) / weights[:-1].max())
    result = minimize_lbfgs(objective, x0, max_iter=model.max_iter, tol=model.tol, scale=scale)
    return result.coef, objective, layout, codes, result
