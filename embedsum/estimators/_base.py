"""What every embedding-sum estimator shares: binning, the solve, the fitted model, scoring.

:class:`EmbeddingSumModel` turns a table into bins (:mod:`~embedsum.estimators._fitted_bins`:
quantile bins for numeric features, category bins for categorical ones), minimises the
objective of the subclass's loss with L-BFGS-B (monotone constraints as bounds), sets its
fitted attributes in one place (``_set_fitted``, for fit and load alike), and scores rows by
the bit-exact contract of :mod:`embedsum.scoring._decision` (:mod:`~embedsum.estimators._decisions`).
The classifier and the regressor add their targets and outputs.
"""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .._exceptions import ConvergenceWarning
from .._hyperparameters import HYPERPARAMETERS, check_hyperparameters
from .._validation import check_is_fitted
from ._dask_rows import dask_rows
from ._decisions import DecisionMixin
from ._edits import EditsMixin
from ._fair_fit import fairness_groups, solve_fair
from ._fitted_bins import FittedBins, fit_bins
from ._importances import mirad_importances
from ._pairs import PAIR_MARGIN_WEIGHT, solve_terms
from ._minimize import _SCALE_FLOOR, minimize_objective  # noqa: F401 (_SCALE_FLOOR: the benchmarks' too)
from ._params import ParamsMixin
from ._uncertainty import UncertaintyMixin, centred_standard_errors, pair_standard_errors

if TYPE_CHECKING:  # fitting-only, loaded on use
    from ..training._layout import ParameterLayout


# From this many values (rows x outputs), _solve starts from the solution on a subsample of
# about _SUBSAMPLE_ROWS values (on 10^7 MIRAD-like rows: 14 instead of 39 evaluations on all rows).
_WARM_START_ROWS = 2**21
_SUBSAMPLE_ROWS = 2**20


class EmbeddingSumModel(DecisionMixin, UncertaintyMixin, EditsMixin, ParamsMixin):
    """Base class of the embedding-sum estimators (not used directly).

    Subclasses define ``__init__`` (storing the shared parameters below and their own),
    ``_loss(n_outputs)`` and their target handling.

    Example
    -------
    >>> from embedsum import EmbeddingSumClassifier
    >>> issubclass(EmbeddingSumClassifier, EmbeddingSumModel)
    True
    """

    def _check_params(self) -> None:
        check_hyperparameters({name: getattr(self, name) for name in HYPERPARAMETERS})

    # --- fitting -------------------------------------------------------------------

    def _bins(self, X, names, sample_weight=None) -> FittedBins:
        """Bin a training table with this model's parameters (see :func:`._fitted_bins.fit_bins`)."""
        return fit_bins(X, names, sample_weight, categorical_features=self.categorical_features,
                        max_bins=self.max_bins, min_category_count=self.min_category_count,
                        binning=self.binning, min_bin_count=self.min_bin_count)

    def _all_regularizers(self, layout=None) -> list:
        """The regularisers of the objective; a layout with pair terms adds their smoothness
        (the step-loss weight), a ridge on their cells and their margins (docs/design.md#pair-terms);
        ``category_weight`` adds a ridge on the category bins (docs/design.md#categorical-features)."""
        from ..training._regularizers import (CategoryRidge, L2, EmbeddingSumLoss, PairMarginLoss, PairRidge,
                                              PairStepLoss, StepLoss)

        # The ridges pull a cell (or a category) to 0 as strongly as the step loss pulls two
        # neighbouring bins together, times their weight.
        per_pair = self.step_loss_weight / max(1, 0 if layout is None else len(layout.step_left))
        categories = [CategoryRidge(self.category_weight * per_pair)] if self.category_weight else []
        pairs = [] if layout is None or not layout.n_pairs else [
            PairStepLoss(self.step_loss_weight),
            PairRidge(self.interaction_weight * per_pair), PairMarginLoss(PAIR_MARGIN_WEIGHT)]
        return [
            StepLoss(self.step_loss_weight),
            EmbeddingSumLoss(self.embedding_sum_loss_weight),
            L2(self.l2),
            *categories,
            *pairs,
            *(self.regularizers or ()),
        ]

    def _monotonic(self, bins: FittedBins, names, n_outputs: int) -> np.ndarray:
        from ..training._constraints import resolve_monotonic_cst

        cst = resolve_monotonic_cst(self.monotonic_cst, len(bins.n_bins), names, bins.is_categorical)
        if cst.any() and n_outputs > 1:
            raise ValueError("monotonic_cst is not supported for multiclass classification (more than two classes).")
        return cst

    def _start(self, target, sw, layout: ParameterLayout) -> np.ndarray:
        """Zero bin scores; the intercept(s) at the best constant model (the loss says which)."""
        x0 = np.zeros(layout.n_params)
        layout.intercepts(x0)[:] = self._loss(layout.n_outputs).intercept_start(target, sw, layout.n_outputs)
        return x0

    def _fairness_groups(self, sensitive_features, n_rows: int, n_outputs: int):
        """Each row's group when ``fairness`` asks for a bound (else None); see :mod:`._fair_fit`."""
        return fairness_groups(self, sensitive_features, n_rows, n_outputs)

    def _solve(self, codes, target, sw, layout: ParameterLayout, x0=None, *, warn: bool = True,
               limit_blas_threads: bool = True, monotonic_cst=None, groups=None, fixed=None):
        """Minimise the objective on binned rows from ``x0`` and return the solver's result.

        Without ``x0``, the start is zero scores and the best constant intercept; on many
        values (rows x outputs, at least ``_WARM_START_ROWS``) it is instead the solution on
        an evenly strided subsample of about ``_SUBSAMPLE_ROWS`` values, close enough to the optimum
        that L-BFGS-B then needs a third of the passes over all rows. The result
        (``n_iter``, ``history``) describes the solve on all rows. ``monotonic_cst``
        (-1/0/+1 per feature) makes the solver work on bounded differences. ``groups`` (each
        row's group) bounds the disparity ``fairness`` names (docs/design.md#fairness-constraints);
        the result then carries ``disparity`` and ``groups``. ``fixed`` (a mask of coef entries,
        their values) holds those entries at their values (docs/design.md#edits).
        """
        # Only relative weights matter (the data term is a weighted mean): weights of 1e300
        # must not overflow the sums below.
        sw = np.asarray(sw, dtype=np.float64)
        sw = sw / sw.max()
        # The solver's stopping rules are absolute: solve in units where they mean the same
        # on any data (regression: y over its standard deviation; classification: as is).
        loss = self._loss(layout.n_outputs)
        y_scale = loss.target_scale(target, sw)
        if y_scale != 1.0:
            target = target / y_scale
            x0 = None if x0 is None else np.asarray(x0, dtype=np.float64) / y_scale
            fixed = None if fixed is None else (fixed[0], np.asarray(fixed[1]) / y_scale)
        # Counted in values (rows x outputs): a softmax evaluation of K classes costs about
        # K binary ones, so many classes repay a warm start from fewer rows.
        values = len(target) * layout.n_outputs
        step = int(round(values / _SUBSAMPLE_ROWS))
        if x0 is None and values >= _WARM_START_ROWS and step >= 2:
            y_sub, sw_sub = target[::step], sw[::step]
            if self._fittable(y_sub, sw_sub, layout.n_outputs):
                x0 = self._solve(codes[::step], y_sub, sw_sub, layout, warn=False,
                                 limit_blas_threads=limit_blas_threads, monotonic_cst=monotonic_cst,
                                 fixed=fixed).coef
        if x0 is None:
            x0 = self._start(target, sw, layout)
        from ..training._objective import EmbeddingSumObjective  # here: predicting never needs these

        with EmbeddingSumObjective(codes, target, sw, layout, self._all_regularizers(layout), loss=loss) as objective:
            then = None if groups is None else (
                lambda solve, parameterization, result: solve_fair(self, objective, codes, target, sw, layout, groups,
                                                                   result, solve, parameterization, y_scale))
            result = minimize_objective(self, objective, layout, x0, monotonic_cst=monotonic_cst,
                                        limit_blas_threads=limit_blas_threads, then=then, fixed=fixed)
        if y_scale != 1.0:
            result.coef *= y_scale
            result.history = {name: values * y_scale**2 for name, values in result.history.items()}
        if warn:
            _warn_if_not_converged(result, stacklevel=4)
        return result

    def _fittable(self, target, sw, n_outputs: int) -> bool:
        """Whether a subsample still has what a fit needs (weight on two classes, for a classifier)."""
        return float(np.sum(sw)) > 0

    def _fit_bins(self, bins: "FittedBins", target, sw, names, classes=None, groups=None):
        """Solve on binned rows and set the fitted attributes; returns the solver's result."""
        n_outputs = self._n_outputs_for(classes)
        cst = self._monotonic(bins, names, n_outputs)
        layout, codes, result, pairs = solve_terms(self, bins, target, sw, names, n_outputs, cst, groups)
        _warn_if_not_converged(result, stacklevel=4)  # at the caller of fit
        uncertainty = self._laplace(codes, target, sw, layout, result.coef)
        bins.codes = bins.values = None
        self._set_fitted_bins(bins, layout.split(result.coef), monotonic_cst=cst, names=names, classes=classes,
                              n_iter=result.n_iter, history=result.history, uncertainty=uncertainty, pairs=pairs)
        if groups is not None:  # training diagnostics of the bound (not saved)
            self.fairness_disparity_ = result.disparity
            self.fairness_groups_ = result.groups
        return result

    def _laplace(self, codes, target, sw, layout: ParameterLayout, coef):
        """The Laplace approximation at the optimum when ``uncertainty`` asks for it, else None
        (docs/design.md#uncertainty): one more pass over the rows."""
        if not self.uncertainty:
            return None
        from ..training._laplace import laplace
        from ..training._solver import one_blas_thread

        # One BLAS thread, as for the solve: OpenBLAS's threads spinning on a busy machine made
        # the Cholesky inverse 30 times slower here.
        with one_blas_thread():
            return laplace(codes, target, sw, layout, coef, self._all_regularizers(layout),
                           self._loss(layout.n_outputs).name)

    def _set_fitted_bins(self, bins: FittedBins, split_coef, **fitted) -> None:
        """:meth:`_set_fitted` from the training bins and the solved ``(bin scores, intercept)``."""
        scores, intercept = split_coef
        self._set_fitted(cuts=bins.cuts, categories=bins.categories, rare_categories=bins.rare_categories,
                         bin_scores=scores, bin_weights=bins.bin_weights, intercept=intercept,
                         is_categorical=bins.is_categorical, **fitted)

    @staticmethod
    def _n_outputs_for(classes) -> int:
        """The number of outputs of a model with these classes (None: a regressor): one score per bin, or K."""
        return 1

    @functools.cached_property
    def _n_outputs(self) -> int:
        # _set_fitted stores it at fit and at load. A model whose fitted attributes were assigned
        # one by one (tests build such models) derives it here, once, by the same rule.
        check_is_fitted(self, "bin_scores_")
        return self._n_outputs_for(getattr(self, "classes_", None))

    def _set_fitted(self, *, cuts, categories, rare_categories, bin_scores, bin_weights, intercept, is_categorical,
                    n_iter, monotonic_cst=None, unseen_scores=None, names=None, classes=None, history=None,
                    uncertainty=None, pairs=None, edits=()) -> None:
        """Set every fitted attribute: fit, the cross-validated fit and the loader all end here.

        Per feature j (lists of ``n_features`` entries, see docs/design.md#bin-codes):
        ``cuts[j]`` (None for a categorical feature), ``categories[j]`` and
        ``rare_categories[j]`` (None for a numeric one), ``bin_scores[j]`` (shape (n_bins,), or
        (n_bins, K) with K outputs) and ``bin_weights[j]``; ``is_categorical`` and
        ``monotonic_cst`` (None: no constraint) have one entry per feature. ``unseen_scores``
        is given by the loader and computed from the scores and weights when None;
        ``intercept`` is a number or K of them. ``names`` are the feature names (or None),
        ``classes`` the labels of a classifier (None for a regressor): the number of outputs
        follows from them (:meth:`_n_outputs_for`) and is kept as ``_n_outputs``. ``n_iter``
        and ``history`` (None: not kept) describe the solve. ``feature_importances_`` is
        computed here, by fit and by load alike: a loaded model has the same bits; so is
        ``bin_scores_se_``, from ``uncertainty`` (a :class:`~embedsum.training._laplace.Laplace`
        record, or None: no standard errors). ``pairs`` (a :class:`~._pairs.PairRecord`, or
        None: no pair terms) sets ``pairs_``, ``pair_cuts_``, ``pair_scores_``, ``pair_weights_``
        and ``pair_importances_`` (docs/design.md#pair-terms). ``edits`` is the edit log ``edits_``
        (docs/design.md#edits).
        """
        n_outputs = self._n_outputs_for(classes)
        d = len(bin_scores)
        self._n_outputs = n_outputs
        if classes is not None:
            self.classes_ = classes
        self.n_features_in_ = d
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.is_categorical_ = np.asarray(is_categorical, dtype=bool).copy()
        self.monotonic_cst_ = (np.zeros(d, dtype=np.int8) if monotonic_cst is None
                               else np.asarray(monotonic_cst, dtype=np.int8).copy())
        self.cuts_ = list(cuts)
        self.categories_ = list(categories)
        self.rare_categories_ = list(rare_categories)
        self.bin_weights_ = list(bin_weights)
        self.bin_scores_ = [np.array(s, dtype=np.float64) for s in bin_scores]
        self.intercept_ = float(intercept) if n_outputs == 1 else np.array(intercept, dtype=np.float64)
        if unseen_scores is None:
            unseen_scores = [None if c is None else _neutral_score(s, w, n_outputs)
                             for c, s, w in zip(self.categories_, self.bin_scores_, self.bin_weights_)]
        self.unseen_scores_ = list(unseen_scores)
        self.feature_importances_ = mirad_importances(self.bin_scores_, self.bin_weights_)
        self._set_pairs(pairs)
        self.n_iter_ = n_iter
        self.edits_ = [dict(record) for record in edits]
        if history is not None:
            self.history_ = history
        elif hasattr(self, "history_"):
            del self.history_
        for name in _UNCERTAINTY_ATTRIBUTES:
            if hasattr(self, name):
                delattr(self, name)
        if uncertainty is not None:
            self.covariance_ = np.array(uncertainty.covariance, dtype=np.float64)
            self.bin_scores_se_ = centred_standard_errors(self.covariance_, self.bin_weights_, n_outputs)
            if self.pairs_:
                self.pair_scores_se_ = pair_standard_errors(self.covariance_, self.bin_weights_, self.pair_weights_,
                                                            n_outputs)
            self.feature_tests_ = {k: np.array(v, dtype=np.float64) for k, v in uncertainty.feature_tests.items()}
            self.edf_ = float(uncertainty.edf)
            if classes is None:
                self.scale_ = float(uncertainty.scale)

    def _set_pairs(self, pairs) -> None:
        self.pairs_ = [] if pairs is None else [(int(a), int(b)) for a, b in pairs.pairs]
        self.pair_cuts_ = [] if pairs is None else [tuple(None if c is None else np.array(c, dtype=np.float64)
                                                          for c in axes) for axes in pairs.cuts]
        self.pair_scores_ = [] if pairs is None else [np.array(t, dtype=np.float64) for t in pairs.scores]
        self.pair_weights_ = [] if pairs is None else [np.array(w, dtype=np.float64) for w in pairs.weights]
        # The MIRAD importance of each pair table over its training cells (docs/design.md#pair-terms).
        self.pair_importances_ = mirad_importances(
            [t[:w.shape[0], :w.shape[1]].reshape((w.size,) + t.shape[2:]) for t, w in
             zip(self.pair_scores_, self.pair_weights_)], [w.ravel() for w in self.pair_weights_])

    # --- explanations and persistence -------------------------------------------------

    @dask_rows
    def contributions(self, X) -> np.ndarray:
        """Each feature's bin score for each row; see :func:`embedsum.explain.contributions`.

        An array whatever X is, as ``decision_function`` returns (the function gives a pandas
        DataFrame a DataFrame back).

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumClassifier
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).contributions(X[:3]).shape
        (3, 2)
        """
        return self.row_scores(X)

    def shape_functions(self) -> list:
        """Each feature's step function as a record; see :func:`embedsum.explain.shape_functions`.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumClassifier
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> [s.name for s in EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).shape_functions()]
        ['x0', 'x1']
        """
        from ..inspection._explain import shape_functions

        return shape_functions(self)

    def describe(self, top=None) -> str:
        """This model as text, features by importance; see :func:`embedsum.inspection._describe.describe`.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumClassifier
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).describe(top=1).count("  importance ")
        1
        """
        from ..inspection._describe import describe

        return describe(self, top=top)

    def to_json(self) -> str:
        """This fitted model as a JSON document; :func:`embedsum.from_json` reads it back.

        See :mod:`embedsum.persistence._format` for the format.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumClassifier
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).to_json().splitlines()[1]
        '"format": "embedsum",'
        """
        from ..persistence._writer import to_json  # on first use: loading never needs the writer

        return to_json(self)

    def save(self, path) -> None:
        """Write this fitted model to ``path`` as JSON; :func:`embedsum.load` reads it back.

        Example
        -------
        >>> import os, tempfile, numpy as np
        >>> import embedsum
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> model = embedsum.EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     model.save(os.path.join(folder, "model.json"))
        ...     embedsum.load(os.path.join(folder, "model.json")).predict([[1.0, 0.0]]).tolist()
        [True]
        """
        from ..persistence._writer import save

        save(self, path)


# Set by _set_fitted when the model has standard errors (uncertainty=True), removed otherwise.
_UNCERTAINTY_ATTRIBUTES = ("covariance_", "bin_scores_se_", "pair_scores_se_", "feature_tests_", "edf_", "scale_")


def _warn_if_not_converged(result, stacklevel: int) -> None:
    if not result.converged:
        warnings.warn(
            f"L-BFGS-B did not converge in {result.n_iter} iterations ({result.message}). "
            "Increase max_iter, or raise tol.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


def _neutral_score(scores: np.ndarray, weights: np.ndarray, n_outputs: int):
    """The training-weighted mean score of a feature (per output): what an unseen category scores."""
    u = np.asarray(weights, dtype=np.float64)
    total = u.sum()
    u = u / total if total > 0 else u
    mean = u @ np.asarray(scores, dtype=np.float64)
    return float(mean) if n_outputs == 1 else np.asarray(mean, dtype=np.float64)
