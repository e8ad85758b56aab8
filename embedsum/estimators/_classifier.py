"""EmbeddingSumClassifier: the published embedding-sum model, fitted to an optimum by L-BFGS-B."""

from __future__ import annotations

import numpy as np

from ._base import EmbeddingSumModel
from ._dask_fit import fit_dask
from ._dask_rows import dask_rows, is_dask_collection
from ..scoring._decision import (
    _few_rows_probabilities,
    class_probabilities,
    multiclass_scores,
    probabilities_of_decision_values,
    softmax,
)
from .._validation import check_classification_target, check_is_fitted, check_sample_weight, feature_names_of


def _weight_in_both_classes(y01: np.ndarray, sw: np.ndarray) -> bool:
    """Whether rows of class 1 and rows of class 0 both carry positive sample weight."""
    positive_weight = float(np.sum(sw * y01))
    return 0 < positive_weight < float(np.sum(sw))


class EmbeddingSumClassifier(EmbeddingSumModel):
    """Classifier made of one step function per feature: ``sigmoid(intercept + sum of bin scores)``.

    Each numeric feature is cut into quantile bins (see :class:`~embedsum.binning._digitizer.Digitizer`;
    adaptive ones with ``binning="adaptive"``; plus one bin for missing values), each categorical
    feature into one bin per frequent category (see :mod:`embedsum.binning._categories`); the model learns one score per bin by
    minimising the published objective (mean log-loss, weighted mean divided by sum(w)
    with sample weights, + step loss + embedding-sum loss,
    plus an optional l2 term and any regularisers you add) with scipy's L-BFGS-B. With
    more than two classes it is a softmax model with one score per bin and class.

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
        Extra regularisers (see :mod:`embedsum.training._regularizers`), added to the three above.
    max_iter : int, default=1000
        Most L-BFGS-B iterations.
    tol : float, default=1e-6
        Stop when the largest component of the gradient is below this; the gradient is
        taken in the solver's preconditioned coordinates (each bin score scaled by the
        square root of its training weight, see ``fit``).
    verbose : int, default=0
        1 prints one line every 10 iterations.
    categorical_features : "auto", None, array of bool, int or str, default="auto"
        Which features are categorical: "auto" takes DataFrame columns of object,
        string, category or bool dtype, and array columns of strings or booleans; or a
        boolean mask, column indices, or column names. Category bins have no order: the
        step loss does not apply to them.
    min_category_count : int, default=10
        A category seen fewer times in training (rows counted with their sample weights)
        shares the "other" bin.
    monotonic_cst : sequence of {-1, 0, 1} or dict, default=None
        Per feature (or by column name): +1 the score never decreases from one interval
        bin to the next, -1 it never increases, 0 no constraint. Enforced exactly;
        numeric features and one output per bin (not multiclass) only.
    binning : {"quantile", "adaptive"}, default="quantile"
        How the cut points of each numeric feature are chosen: "quantile" (the published
        quantile cuts) or "adaptive" (a bin for each heavy value, quantiles of the rest; see
        :mod:`embedsum.binning._adaptive`). "adaptive" gives a point mass (the zero of a
        zero-inflated column) its own bin and the tail beyond it most of ``max_bins``.
    min_bin_count : int, default=5
        With binning="adaptive", the fewest rows (counted with their sample weights) of an
        interval bin; unused with "quantile".
    uncertainty : bool, default=False
        Whether fit also computes standard errors, feature tests and the covariance behind
        decision_interval: the Laplace approximation at the optimum, the penalties read as
        a Gaussian prior (see docs/design.md#uncertainty). False computes and keeps nothing.
    fairness : {None, "demographic_parity", "equal_opportunity"}, default=None
        A disparity bounded on the training rows, between the groups of fit's sensitive_features,
        inside the solve (docs/design.md#fairness-constraints): "demographic_parity" bounds the
        difference of two groups' mean predicted probability of ``classes_[1]``, "equal_opportunity"
        the same among their rows of ``classes_[1]``. Binary classification only. The result is one
        ordinary model (no group-specific threshold); the group column need not be a feature.
    fairness_tolerance : float, default=0.05
        With fairness, the largest difference allowed between two groups' means.
    category_weight : float, default=0.0
        Each category's score is pulled to its feature's mean (0) as strongly as
        ``category_weight`` times the step loss pulls two neighbouring bins together; 0 leaves
        categories unshrunk (published). A rare category then stays near the mean until its
        rows say otherwise.
    interactions : int or list of pairs, default=0
        Pair terms (docs/design.md#pair-terms): an int n fits the main effects, ranks every
        pair of features on their residuals (FAST) and adds at most n pairs that gain; a list
        of pairs ``(i, j)`` (indices, or names with a DataFrame) gives them. A pair is a 2-D
        table of scores over coarse bins of its two features, smoothed like the steps and
        fitted jointly with the main effects. 0 gives the published model. Features under a
        monotone constraint take no part in pairs.
    interaction_bins : int, default=16
        Most interval bins of a numeric feature's axis in a pair table (cut as ``binning``
        says); a categorical axis keeps its feature's categories.
    interaction_weight : float, default=1.0
        Strength of the ridge on the pair tables' cells: each cell is pulled to 0 as strongly
        as ``interaction_weight`` times the step loss pulls two neighbouring bins together (so a
        category pair seen a few times stays near 0); the pair tables' 2-D step loss weighs
        ``step_loss_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels; with two, ``classes_[1]`` is the positive class.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X had string column names (a pandas DataFrame).
    intercept_ : float, or ndarray of shape (n_classes,) with more than two classes
    is_categorical_ : ndarray of bool
    monotonic_cst_ : ndarray of int8
    cuts_ : list
        Cut points of each numeric feature (None for a categorical one).
    categories_, rare_categories_ : list
        For a categorical feature, its kept categories in bin order and those that share
        the "other" bin (None for a numeric feature).
    bin_scores_ : list of ndarray
        Score of each bin of each feature: interval bins in order (or categories, then
        "other"), then the missing bin; shape (n_bins, n_classes) with more than two classes.
    unseen_scores_ : list
        For a categorical feature, the score of a category never seen in training: the
        feature's training-weighted mean score (None for a numeric feature).
    bin_weights_ : list of ndarray
        Training fraction of each bin (of the sample weight, when given).
    feature_importances_ : ndarray
        MIRAD importance of each feature (see :func:`mirad_importances`).
    pairs_ : list of (int, int)
        The pair terms, in the order they are added after the main effects (empty without).
    pair_cuts_ : list of (ndarray or None, ndarray or None)
        Each pair's cut points on its two axes (None on a categorical axis, which uses its
        feature's category codes).
    pair_scores_ : list of ndarray
        Each pair's table of scores, shape (n_a, n_b) (with K outputs (n_a, n_b, K)); each axis
        has its interval bins (or categories, then "other"), its missing bin, and on a
        categorical axis one more entry, last, for categories unseen in training.
    pair_weights_ : list of ndarray
        Training fraction of each cell of each pair table (without the unseen entries).
    pair_importances_ : ndarray
        MIRAD importance of each pair table over its training cells.
    n_iter_ : int
    history_ : dict of ndarray
        Total "loss" and each weighted component at the start and after every iteration.
    covariance_ : ndarray of shape (n_params, n_params)
        With ``uncertainty=True`` only: the covariance of the flat parameter vector
        (docs/design.md#parameter-layout) from the Laplace approximation; 0 on a bin the fit
        did not estimate.
    bin_scores_se_ : list of ndarray
        With ``uncertainty=True`` only, shaped like ``bin_scores_``: the standard error of
        each bin's *centred* score (the score minus the feature's training-weighted mean
        score); inf for a bin the fit did not estimate.
    pair_scores_se_ : list of ndarray
        With ``uncertainty=True`` and pair terms only, shaped like ``pair_weights_`` (with K
        outputs one more axis of K): the standard error of each trained cell's score; inf for a
        cell the fit did not estimate.
    feature_tests_ : dict of ndarray
        With ``uncertainty=True`` only: per feature, the Wald ``statistic`` of its centred
        shape, its ``df``, its effective degrees of freedom ``edf`` and the ``p_value`` of
        "the feature's step function is flat".
    edf_ : float
        With ``uncertainty=True`` only: the model's effective degrees of freedom.

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
    _kind = "classifier"  # the model kind, and the "kind" of its saved documents

    def __init__(self, max_bins=20, step_loss_weight=0.01, embedding_sum_loss_weight=0.01, l2=0.0,
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

        return LOSSES["log" if n_outputs == 1 else "softmax"]

    def fit(self, X, y, sample_weight=None, *, sensitive_features=None) -> "EmbeddingSumClassifier":
        """Fit the bins and their scores to X (NaN = missing) and labels y.

        ``sensitive_features`` (with ``fairness`` only): each row's group, one column (or
        several, whose combinations are the groups). Returns self.
        """
        if is_dask_collection(X):  # binned and summed on the workers (docs/design.md#dask)
            return fit_dask(self, X, y, sample_weight, sensitive_features)
        self._check_params()
        names = feature_names_of(X)
        bins = self._bins(X, names, sample_weight)
        classes, target, sw = self._fit_input(len(bins.codes), y, sample_weight)
        groups = self._fairness_groups(sensitive_features, len(target), self._n_outputs_for(classes))
        self._fit_bins(bins, target, sw, names, classes, groups=groups)
        return self

    @staticmethod
    def _n_outputs_for(classes) -> int:
        # Two classes: one output, the log-odds of classes[1]; K > 2: one score per class.
        return 1 if len(classes) == 2 else len(classes)

    def _fit_input(self, n_rows: int, y, sample_weight) -> tuple:
        """Checked ``(classes, target, sample weights)`` for fit: the target is 0/1 floats
        with two classes, class indices with more."""
        classes, encoded = check_classification_target(y, n_rows)
        if len(classes) < 2:
            raise ValueError(
                f"y contains only one class ({classes[0].item()!r}); a classifier needs rows of two classes."
            )
        sw = check_sample_weight(sample_weight, n_rows)
        if self._n_outputs_for(classes) == 1:
            target = encoded.astype(np.float64)
            if not _weight_in_both_classes(target, sw):
                raise ValueError(
                    "only one class has a positive sample_weight; a classifier needs weight on rows of two classes."
                )
        else:
            target = encoded.astype(np.intp)
            if np.count_nonzero(np.bincount(target, weights=sw, minlength=len(classes)) > 0) < 2:
                raise ValueError(
                    "only one class has a positive sample_weight; a classifier needs weight on rows of two classes."
                )
        return classes, target, sw

    def _fittable(self, target, sw, n_outputs: int) -> bool:
        if n_outputs == 1:
            return _weight_in_both_classes(target, sw)
        return np.count_nonzero(np.bincount(target, weights=sw, minlength=n_outputs) > 0) >= 2

    @dask_rows
    def decision_function(self, X) -> np.ndarray:
        """Decision value of each row: the log-odds of ``classes_[1]``, shape (n_samples,);
        with more than two classes, each class's score, shape (n_samples, n_classes)."""
        if self._n_outputs > 1:
            return self._multiclass_scores(X, probabilities=False)
        return self._decision(X)

    @dask_rows
    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class (in ``classes_`` order), shape (n_samples, n_classes).

        Bit for bit the same on every CPU, for any number of rows, and in the code that
        :func:`~embedsum.export.to_python` and :func:`~embedsum.export.to_c` write (see
        :mod:`embedsum.scoring._decision`).
        """
        if self._n_outputs > 1:
            return self._multiclass_scores(X, probabilities=True)
        if not self._has_categories():
            return class_probabilities(self._validated(X), self.cuts_, self.bin_scores_, self.intercept_,
                                       pairs=self._numeric_pairs())
        z = self._few_rows_mixed(X)
        if z is not None:
            return _few_rows_probabilities(z)
        return probabilities_of_decision_values(self._decision_of(self._validated(X)))

    def _multiclass_scores(self, X, probabilities: bool) -> np.ndarray:
        """Decision values or probabilities of a model with K > 2 classes, (n, K), in row
        chunks: the memory besides the result stays a few MiB whatever K."""
        if self._has_categories() or self._has_pairs():
            z = self._few_rows_mixed(X)
            if z is not None:
                return softmax(z) if probabilities else z
        return multiclass_scores(*self._terms(self._validated(X)), self.intercept_, probabilities=probabilities)

    @dask_rows
    def predict(self, X) -> np.ndarray:
        """Most likely label of each row (with two classes, ``classes_[1]`` where the decision value is > 0)."""
        check_is_fitted(self, "bin_scores_")
        z = self.decision_function(X)
        if z.ndim == 2:
            return self.classes_[np.argmax(z, axis=1)]
        return self.classes_[(z > 0).astype(np.intp)]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of ``predict(X)`` against y (weighted by sample_weight when given)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        correct = (self.predict(X) == y).astype(np.float64)
        if sample_weight is not None:
            # only ratios matter: weights of 1e300 must not overflow the sum
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            sample_weight = sample_weight / sample_weight.max()
        return float(np.average(correct, weights=sample_weight))

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(multi_class=True),
            input_tags=InputTags(allow_nan=True, categorical=True),
        )

