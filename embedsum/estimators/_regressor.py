"""EmbeddingSumRegressor: one step function per feature, summed, fitted to a numeric target."""

from __future__ import annotations

import numpy as np

from .._validation import check_regression_target, check_sample_weight, feature_names_of
from ._base import EmbeddingSumModel
from ._dask_fit import fit_dask
from ._dask_rows import dask_rows, is_dask_collection


class EmbeddingSumRegressor(EmbeddingSumModel):
    """Regression made of one step function per feature: ``intercept + sum of bin scores``.

    The same bins, regularisers, constraints and sample weights as
    :class:`~embedsum.EmbeddingSumClassifier`; the data term is the weighted mean half squared
    error ``sum_i( w_i * (z_i - y_i)**2 / 2 ) / sum_i( w_i )`` (a weight of 2 is the row
    repeated, 0 the row removed). The data term and every built-in regulariser
    are quadratic, so the fit is scale-equivariant: ``c * y`` gives ``c`` times the model.
    The solver works on y divided by its weighted standard deviation and scales the scores
    back, so ``tol`` and the stopping rules do not depend on y's units (``history_`` is in them).
    The default weights are the published ones, which regularise little; for a model that
    generalises, raise ``step_loss_weight`` (e.g. to ``30000 / n_samples``) or choose it
    by cross-validation.

    Parameters
    ----------
    step_loss_weight : float, default=0.3
        As for :class:`~embedsum.EmbeddingSumClassifier`, in the units of the loss, the half
        squared error of y over its standard deviation. Larger than the published classifier's
        0.01: at 0.01, 20 bins of 10 features overfit 310 rows of the diabetes data to a
        held-out R^2 below 0 (``benchmarks/bench_accuracy.py``, "plain R2").
    max_bins, embedding_sum_loss_weight, l2, regularizers, max_iter, tol, verbose, \
categorical_features, min_category_count, monotonic_cst, binning, min_bin_count, uncertainty, \
category_weight, interactions, interaction_bins, interaction_weight
        As for :class:`~embedsum.EmbeddingSumClassifier`.
    fairness : {None, "demographic_parity"}, default=None
        A disparity bounded on the training rows, between the groups of fit's sensitive_features:
        "demographic_parity" bounds the difference of two groups' mean prediction, inside the solve
        (docs/design.md#fairness-constraints).
    fairness_tolerance : float, default=0.05
        With ``fairness``, the largest difference allowed between two groups' mean predictions
        (in the units of y).

    Attributes
    ----------
    n_features_in_, feature_names_in_, is_categorical_, monotonic_cst_, cuts_, categories_, \
rare_categories_, bin_scores_, unseen_scores_, bin_weights_, feature_importances_, n_iter_, history_, \
covariance_, bin_scores_se_, pair_scores_se_, feature_tests_, edf_, pairs_, pair_cuts_, pair_scores_, \
pair_weights_, pair_importances_
        As for :class:`~embedsum.EmbeddingSumClassifier` (one score per bin); with ``uncertainty=True``
        the scale of the errors is estimated from the residuals (``scale_``).
    scale_ : float
        With ``uncertainty=True`` only: the residual variance ``sum(c r**2) / (n - edf_)``.
    intercept_ : float

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(500, 2))
    >>> y = np.where(X[:, 0] > 0, 2.0, -2.0) + 0.1 * rng.normal(size=500)
    >>> model = EmbeddingSumRegressor(max_bins=8).fit(X, y)
    >>> np.round(model.predict([[0.5, 0.0], [-0.5, 0.0]]), 1).tolist()
    [1.9, -1.9]
    """

    _estimator_type = "regressor"
    _kind = "regressor"  # the model kind, and the "kind" of its saved documents

    def __init__(self, max_bins=20, step_loss_weight=0.3, embedding_sum_loss_weight=0.01, l2=0.0,
                 regularizers=None, max_iter=1000, tol=1e-6, verbose=0, categorical_features="auto",
                 min_category_count=10, monotonic_cst=None, binning="quantile", min_bin_count=5, uncertainty=False,
                 fairness=None, fairness_tolerance=0.05, category_weight=0.0, interactions=0,
                 interaction_bins=16, interaction_weight=1.0):
        self.max_bins = max_bins
        self.step_loss_weight = step_loss_weight
        self.embedding_sum_loss_weight = embedding_sum_loss_weight
        self.l2 = l2
        self.regularizers = regularizers
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.categorical_features = categorical_features
        self.min_category_count = min_category_count
        self.monotonic_cst = monotonic_cst
        self.binning = binning
        self.min_bin_count = min_bin_count
        self.uncertainty = uncertainty
        self.fairness = fairness
        self.fairness_tolerance = fairness_tolerance
        self.category_weight = category_weight
        self.interactions = interactions
        self.interaction_bins = interaction_bins
        self.interaction_weight = interaction_weight

    @staticmethod
    def _loss(n_outputs: int):
        from ..training._losses import LOSSES  # fitting-only: loaded on use

        return LOSSES["squared"]

    def fit(self, X, y, sample_weight=None, *, sensitive_features=None) -> "EmbeddingSumRegressor":
        """Fit the bins and their scores to X (NaN = missing) and the numeric target y.

        ``sensitive_features`` (with ``fairness`` only): each row's group. Returns self.
        """
        if is_dask_collection(X):  # binned and summed on the workers (docs/design.md#dask)
            return fit_dask(self, X, y, sample_weight, sensitive_features)
        self._check_params()
        names = feature_names_of(X)
        bins = self._bins(X, names, sample_weight)
        target = check_regression_target(y, len(bins.codes))
        sw = check_sample_weight(sample_weight, len(target))
        groups = self._fairness_groups(sensitive_features, len(target), 1)
        self._fit_bins(bins, target, sw, names, groups=groups)
        return self

    @dask_rows
    def predict(self, X) -> np.ndarray:
        """Predicted target of each row, shape (n_samples,)."""
        return self._decision(X)

    def score(self, X, y, sample_weight=None) -> float:
        """Coefficient of determination R² of ``predict(X)`` against y (weighted when given).

        Example
        -------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(200, 1))
        >>> y = np.where(X[:, 0] > 0, 3.0, -3.0)
        >>> EmbeddingSumRegressor(max_bins=10).fit(X, y).score(X, y) > 0.9
        True
        """
        y = np.asarray(y, dtype=np.float64).ravel()
        w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        w = w / w.max()  # only ratios matter: weights of 1e300 must not overflow the sums
        residual = float(np.sum(w * (y - self.predict(X)) ** 2))
        total = float(np.sum(w * (y - np.average(y, weights=w)) ** 2))
        if total == 0:
            return 1.0 if residual == 0 else 0.0
        return 1.0 - residual / total

    def __sklearn_tags__(self):
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True),
            regressor_tags=RegressorTags(),
            input_tags=InputTags(allow_nan=True, categorical=True),
        )
