"""EmbeddingSumClassifier: the published embedding-sum model, fitted to an optimum by L-BFGS-B."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .base import ParamsMixin
from .digitizer import Digitizer
from .exceptions import ConvergenceWarning
from .layout import ParameterLayout
from .regularizers import L2, EmbeddingSumLoss, StepLoss
from .scoring import class_probabilities, decision_values
from .validation import (
    check_array,
    check_classification_target,
    check_feature_names,
    check_is_fitted,
    check_n_features,
    check_sample_weight,
    feature_names_of,
)

__all__ = ["EmbeddingSumClassifier", "mirad_importances"]

_SCALE_FLOOR = 0.01  # bins holding under 1% of the rows are scaled as if they held 1%
# From this many rows, _solve starts from the solution on a subsample of about
# _SUBSAMPLE_ROWS rows (on 10^7 MIRAD-like rows: 14 instead of 39 evaluations on all rows).
_WARM_START_ROWS = 2**21
_SUBSAMPLE_ROWS = 2**20


def mirad_importances(bin_scores, bin_weights) -> np.ndarray:
    """MIRAD feature importance: the weighted mean absolute deviation of each shape function.

    ``importance_j = sum_k u_jk |theta_jk - sum_k u_jk theta_jk|`` with ``u_j`` the
    training weights of feature j's bins, normalised to sum to 1.

    Example
    -------
    >>> mirad_importances([[1.0, -1.0, 0.0]], [[0.5, 0.5, 0.0]]).tolist()
    [1.0]
    """
    out = []
    for theta, v in zip(bin_scores, bin_weights):
        u = np.asarray(v, dtype=np.float64) / np.sum(v)
        theta = np.asarray(theta, dtype=np.float64)
        out.append(float(u @ np.abs(theta - u @ theta)))
    return np.array(out)


def _weight_in_both_classes(y01: np.ndarray, sw: np.ndarray) -> bool:
    """Whether rows of class 1 and rows of class 0 both carry positive sample weight."""
    positive_weight = float(np.sum(sw * y01))
    return 0 < positive_weight < float(np.sum(sw))


def _check_number(name, value, *, low, integer=False, low_inclusive=True):
    kinds = (numbers.Integral,) if integer else (numbers.Real,)
    if isinstance(value, bool) or not isinstance(value, kinds) or not np.isfinite(value):
        kind = "an integer" if integer else "a finite number"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    if value < low or (value == low and not low_inclusive):
        sign = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {sign} {low}, got {value!r}")


class EmbeddingSumClassifier(ParamsMixin):
    """Binary classifier made of one step function per feature: ``sigmoid(intercept + sum of bin scores)``.

    Each feature is cut into quantile bins (see :class:`~embedsum.digitizer.Digitizer`,
    plus one bin for missing values); the model learns one score per bin by minimising
    the published objective (mean log-loss + step loss + embedding-sum loss, plus an
    optional l2 term and any regularisers you add) with scipy's L-BFGS-B.

    Parameters
    ----------
    max_bins : int, default=20
        Quantiles that propose the cut points of each feature.
    step_loss_weight : float, default=0.01
        Weight of the mean squared difference between neighbouring bins (smoothness).
    embedding_sum_loss_weight : float, default=0.01
        Weight of the mean squared training-weighted mean of each shape function.
    l2 : float, default=0.0
        Weight of the mean squared bin score.
    regularizers : sequence, default=None
        Extra regularisers (see :mod:`embedsum.regularizers`), added to the three above.
    max_iter : int, default=1000
        Most L-BFGS-B iterations.
    tol : float, default=1e-6
        Stop when the largest component of the gradient is below this; the gradient is
        taken in the solver's preconditioned coordinates (each bin score scaled by the
        square root of its training weight, see ``fit``).
    verbose : int, default=0
        1 prints one line every 10 iterations.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The labels; ``classes_[1]`` is the positive class.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X had string column names (a pandas DataFrame).
    intercept_ : float
    cuts_ : list of ndarray
        Cut points of each feature.
    bin_scores_ : list of ndarray
        Score of each bin of each feature: interval bins in order, then the missing bin.
    bin_weights_ : list of ndarray
        Training fraction of each bin (same shapes).
    feature_importances_ : ndarray
        MIRAD importance of each feature (see :func:`mirad_importances`).
    n_iter_ : int
    history_ : dict of ndarray
        Total "loss" and each weighted component at the start and after every iteration.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2))
    >>> y = np.where(X[:, 0] > 0, "attack", "benign")
    >>> model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    >>> model.predict([[1.5, 0.0], [-1.5, 0.0]]).tolist()
    ['attack', 'benign']
    """

    _estimator_type = "classifier"

    def __init__(self, max_bins=20, step_loss_weight=0.01, embedding_sum_loss_weight=0.01, l2=0.0,
                 regularizers=None, max_iter=1000, tol=1e-6, verbose=0):
        self.max_bins = max_bins
        self.step_loss_weight = step_loss_weight
        self.embedding_sum_loss_weight = embedding_sum_loss_weight
        self.l2 = l2
        self.regularizers = regularizers
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def _check_params(self) -> None:
        _check_number("max_bins", self.max_bins, low=2, integer=True)
        _check_number("step_loss_weight", self.step_loss_weight, low=0)
        _check_number("embedding_sum_loss_weight", self.embedding_sum_loss_weight, low=0)
        _check_number("l2", self.l2, low=0)
        _check_number("max_iter", self.max_iter, low=1, integer=True)
        _check_number("tol", self.tol, low=0, low_inclusive=False)
        _check_number("verbose", self.verbose, low=0, integer=True)
        for reg in self.regularizers or ():
            if not (hasattr(reg, "value_gradient") and hasattr(reg, "name")):
                raise TypeError(
                    f"regularizers must have a 'name' and a 'value_gradient(coef, layout)' method; got {reg!r}"
                )

    def fit(self, X, y, sample_weight=None) -> "EmbeddingSumClassifier":
        """Fit the bins and their scores to X (NaN = missing) and labels y.

        Returns self.
        """
        self._check_params()
        names, X, classes, y01, sw = self._fit_input(X, y, sample_weight)
        digitizer = Digitizer(max_bins=self.max_bins)
        codes = digitizer.fit_transform(X)
        layout = ParameterLayout(digitizer.n_bins_, digitizer.bin_weights_)
        result = self._solve(codes, y01, sw, layout)
        del codes
        self._set_fitted(digitizer, classes, names, X.shape[1], layout.split(result.coef))
        self.n_iter_ = result.n_iter
        self.history_ = result.history
        return self

    def _fit_input(self, X, y, sample_weight) -> tuple:
        """Checked ``(feature names, X, classes, y as 0/1 floats, sample weights)`` for fit."""
        names = feature_names_of(X)
        X = check_array(X)
        classes, encoded = check_classification_target(y, X.shape[0])
        if len(classes) < 2:
            raise ValueError(
                f"y contains only one class ({classes[0].item()!r}); a classifier needs rows of two classes."
            )
        if len(classes) > 2:
            raise ValueError(
                f"Only binary classification is supported. y has {len(classes)} classes; "
                f"{type(self).__name__} supports two classes so far."
            )
        sw = check_sample_weight(sample_weight, X.shape[0])
        y01 = encoded.astype(np.float64)
        if not _weight_in_both_classes(y01, sw):
            raise ValueError(
                "only one class has a positive sample_weight; a classifier needs weight on rows of two classes."
            )
        return names, X, classes, y01, sw

    def _all_regularizers(self) -> list:
        return [
            StepLoss(self.step_loss_weight),
            EmbeddingSumLoss(self.embedding_sum_loss_weight),
            L2(self.l2),
            *(self.regularizers or ()),
        ]

    def _solve(self, codes, y01, sw, layout: ParameterLayout, x0=None, *, warn: bool = True,
               limit_blas_threads: bool = True):
        """Minimise the objective on binned rows from ``x0`` and return the solver's result.

        Without ``x0``, the start is zero scores and the intercept at the weighted
        log-odds; on many rows (at least ``_WARM_START_ROWS``) it is instead the solution
        on an evenly strided subsample of about ``_SUBSAMPLE_ROWS`` rows, close enough to
        the optimum that L-BFGS-B then needs a third of the passes over all rows. The
        result (``n_iter``, ``history``) describes the solve on all rows.
        """
        step = int(round(len(y01) / _SUBSAMPLE_ROWS))
        if x0 is None and len(y01) >= _WARM_START_ROWS and step >= 2:
            y_sub, sw_sub = y01[::step], sw[::step]
            if _weight_in_both_classes(y_sub, sw_sub):
                x0 = self._solve(codes[::step], y_sub, sw_sub, layout, warn=False,
                                 limit_blas_threads=limit_blas_threads).coef
        if x0 is None:
            x0 = np.zeros(layout.n_params)
            positive_weight = float(np.sum(sw * y01))
            x0[-1] = np.log(positive_weight) - np.log(sw.sum() - positive_weight)
        from .objective import EmbeddingSumObjective  # here: predicting never needs these
        from .solver import minimize_lbfgs  # imports scipy

        # The curvature of a bin's score grows with the share of rows in it, the intercept's
        # with all rows: precondition by sqrt(weight), floored where the regularisers rather
        # than the data set the curvature, relative to the heaviest bin.
        weights = layout.bin_weights.copy()
        weights[-1] = 1.0
        scale = np.sqrt(np.maximum(weights, _SCALE_FLOOR) / weights[:-1].max())
        with EmbeddingSumObjective(codes, y01, sw, layout, self._all_regularizers()) as objective:
            result = minimize_lbfgs(
                objective, x0, max_iter=self.max_iter, tol=self.tol, scale=scale, verbose=self.verbose,
                limit_blas_threads=limit_blas_threads,
            )
        if warn and not result.converged:
            warnings.warn(
                f"L-BFGS-B did not converge in {result.n_iter} iterations ({result.message}). "
                "Increase max_iter, or raise tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return result

    def _set_fitted(self, digitizer: Digitizer, classes, names, n_features: int, split_coef) -> None:
        scores, intercept = split_coef
        self.classes_ = classes
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.cuts_ = digitizer.cuts_
        self.bin_weights_ = digitizer.bin_weights_
        self.bin_scores_ = [np.array(s, dtype=np.float64) for s in scores]
        self.intercept_ = float(intercept)
        self.feature_importances_ = mirad_importances(self.bin_scores_, self.bin_weights_)

    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self, "bin_scores_")
        check_feature_names(self, X)
        X = check_array(X)
        check_n_features(self, X)
        return X

    def decision_function(self, X) -> np.ndarray:
        """Decision value (log-odds of ``classes_[1]``) of each row, shape (n_samples,)."""
        X = self._validated(X)
        return decision_values(X, self.cuts_, self.bin_scores_, self.intercept_)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``, shape (n_samples, 2)."""
        X = self._validated(X)
        return class_probabilities(X, self.cuts_, self.bin_scores_, self.intercept_)

    def predict(self, X) -> np.ndarray:
        """Most likely label of each row (``classes_[1]`` where the decision value is > 0)."""
        check_is_fitted(self, "bin_scores_")
        return self.classes_[(self.decision_function(X) > 0).astype(np.intp)]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of ``predict(X)`` against y (weighted by sample_weight when given)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        correct = (self.predict(X) == y).astype(np.float64)
        return float(np.average(correct, weights=sample_weight))

    def contributions(self, X) -> np.ndarray:
        """Each feature's bin score for each row; see :func:`embedsum.explain.contributions`.

        Example
        -------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).contributions(X[:3]).shape
        (3, 2)
        """
        from .explain import contributions  # lazily: explanations are not needed to predict

        return contributions(self, X)

    def shape_functions(self) -> list:
        """Each feature's step function as a record; see :func:`embedsum.explain.shape_functions`.

        Example
        -------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> [s.name for s in EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).shape_functions()]
        ['x0', 'x1']
        """
        from .explain import shape_functions

        return shape_functions(self)

    def describe(self, top=None) -> str:
        """This model as text, features by importance; see :func:`embedsum.describe.describe`.

        Example
        -------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).describe(top=1).count("  importance ")
        1
        """
        from .describe import describe

        return describe(self, top=top)

    def to_json(self) -> str:
        """This fitted model as a JSON document; :func:`embedsum.from_json` reads it back.

        See :mod:`embedsum.persistence` for the format.

        Example
        -------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).to_json().splitlines()[1]
        '"format": "embedsum",'
        """
        from .persistence import to_json  # lazily: persistence imports this module

        return to_json(self)

    def save(self, path) -> None:
        """Write this fitted model to ``path`` as JSON; :func:`embedsum.load` reads it back.

        Example
        -------
        >>> import os, tempfile, numpy as np
        >>> import embedsum
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     model.save(os.path.join(folder, "model.json"))
        ...     embedsum.load(os.path.join(folder, "model.json")).predict([[1.0, 0.0]]).tolist()
        [True]
        """
        from .persistence import save

        save(self, path)

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(multi_class=False),
            input_tags=InputTags(allow_nan=True),
        )
