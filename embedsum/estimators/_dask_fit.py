"""``fit`` over a Dask collection: bins and codes on the workers, the L-BFGS-B solve on the client.

The estimators hand a ``dask.dataframe.DataFrame`` or ``dask.array.Array`` (with a target and
weights partitioned like it) to :func:`fit_dask`. The table is binned on the workers with the
exact merged cuts and categories (:mod:`embedsum.distributed._table`), the codes stay there,
and the solve is the in-memory one (:mod:`~embedsum.estimators._minimize`) on the objective
summed per partition in partition order (:mod:`embedsum.distributed._objective`). The fitted
attributes are set by ``_set_fitted``, as any fit sets them (docs/design.md#dask). Nothing
here imports dask: :mod:`embedsum.distributed` does, and only when given a Dask collection.
"""

from __future__ import annotations

import numpy as np

from . import _base
from ._base import _warn_if_not_converged
from ._fitted_bins import FittedBins
from ._minimize import minimize_objective


def _check_supported(model, sensitive_features) -> None:
    if model.uncertainty:
        raise ValueError("uncertainty=True is not available for a fit over Dask data (the Laplace "
                         "approximation needs every row in memory); fit in memory for standard errors.")
    if getattr(model, "interactions", 0):
        raise ValueError("pair terms are not available for a fit over Dask data yet: pass interactions=0 (main "
                         "effects only), or fit in memory.")
    if model.fairness is not None or sensitive_features is not None:
        raise ValueError("fairness bounds are not available for a fit over Dask data; fit in memory.")


def _names_and_mask(model, X):
    """The feature names and the categorical mask of a Dask table, read from its metadata."""
    from .._validation import feature_names_of
    from ..binning._categories import resolve_categorical_features

    meta = getattr(X, "_meta", X)
    names = feature_names_of(meta) if hasattr(X, "columns") else None
    n_features = len(X.columns) if hasattr(X, "columns") else int(X.shape[1])
    return names, resolve_categorical_features(model.categorical_features, meta, n_features, names)


def dask_training(model, X, y, sample_weight, classifier: bool):
    """Bin X on the workers and check the target there: ``(names, bins, targets, table)``.

    ``bins`` is a :class:`~embedsum.estimators._fitted_bins.FittedBins` without codes (they stay
    on the workers, as ``table.codes``); ``targets`` a :class:`embedsum.distributed._targets.Targets`.
    """
    from ..distributed._table import bin_table
    from ..distributed._targets import Targets

    if X.ndim != 2 if not hasattr(X, "columns") else False:
        raise ValueError(f"X must have two dimensions, got {X.ndim}")
    names, mask = _names_and_mask(model, X)
    table = bin_table(X, y, sample_weight, mask, max_bins=model.max_bins, binning=model.binning,
                      min_bin_count=model.min_bin_count, min_category_count=model.min_category_count)
    bins = FittedBins(None, table.cuts, table.categories, table.rare_categories, table.bin_weights, mask)
    targets = Targets(table.parts, classifier)
    table.parts.y = None  # the raw target: released, the checked one is kept (docs/design.md#dask)
    return names, bins, targets, table


def _start(loss, targets, n_outputs: int, rows=None) -> np.ndarray:
    """The loss's intercept start from the target's weighted sums: a weighted table of classes
    (classifiers) or the weighted mean (regression)."""
    if targets.classes is None:
        total, weighted = targets.sums(rows=rows)
        return loss.intercept_start(np.array([weighted / total]), np.ones(1), 1)
    if n_outputs == 1:
        total, positive = targets.sums(rows=rows)
        return loss.intercept_start(np.array([0.0, 1.0]), np.array([total - positive, positive]), 1)
    _, by_class = targets.sums(n_outputs, rows=rows)
    return loss.intercept_start(np.arange(n_outputs), by_class, n_outputs)


def _check_two_classes(targets, n_outputs: int) -> None:
    if targets.classes is None:
        return
    if n_outputs == 1:
        total, positive = targets.sums()
        two = 0 < positive < total
    else:
        two = np.count_nonzero(targets.sums(n_outputs)[1] > 0) >= 2
    if not two:
        raise ValueError("only one class has a positive sample_weight; a classifier needs weight on rows of two classes.")


class DaskRows:
    """The binned rows of a Dask fit (all, or those of per-partition masks ``rows``: a CV fold)
    as a problem to solve: the engines over their codes stay on the workers between solves, so
    the candidates of a grid reuse them. Solved in the target's own units, as ``_solve`` solves
    in memory (regression: y over its weighted standard deviation on these rows)."""

    def __init__(self, model, table, targets, layout, rows=None):
        from ..distributed._objective import DistributedEngine

        self.layout, self.rows, self.loss = layout, rows, model._loss(layout.n_outputs)
        self.table, self.raw_targets = table, targets
        self.y_scale = targets.scale(rows) if targets.classes is None else 1.0
        self.targets = targets if self.y_scale == 1.0 else targets.divided(self.y_scale)
        self.engine = DistributedEngine(table.parts, table.codes, self.targets.target, layout, self.loss, rows=rows)

    def objective(self, model):
        """``model``'s objective on these rows (in the solver's units)."""
        from ..training._objective import EmbeddingSumObjective

        return EmbeddingSumObjective.from_engine(self.engine, self.layout, model._all_regularizers(self.layout),
                                                   self.loss)

    def solve(self, model, x0=None, *, monotonic_cst=None):
        """``model``'s optimum from ``x0`` (None: as in memory, the solution on an evenly strided
        subsample of many rows, else zero scores and the intercept start)."""
        if x0 is None:
            x0 = self._warm_start(model, monotonic_cst)
        if x0 is None:
            x0 = np.zeros(self.layout.n_params)
            self.layout.intercepts(x0)[:] = _start(self.loss, self.targets, self.layout.n_outputs, self.rows)
        else:
            x0 = np.asarray(x0, dtype=np.float64) / self.y_scale
        result = minimize_objective(model, self.objective(model), self.layout, x0, monotonic_cst=monotonic_cst)
        if self.y_scale != 1.0:
            result.coef *= self.y_scale
            result.history = {name: values * self.y_scale**2 for name, values in result.history.items()}
        return result

    def _warm_start(self, model, monotonic_cst):
        """The in-memory solve on the rows ``0, step, 2 * step...`` of all rows, gathered on the
        client (about ``_SUBSAMPLE_ROWS`` values), when ``_solve`` would start from one."""
        from ..distributed._partitions import strided_rows

        values = self.engine.n_samples * self.layout.n_outputs
        step = int(round(values / _base._SUBSAMPLE_ROWS))
        if self.rows is not None or values < _base._WARM_START_ROWS or step < 2:
            return None
        client, n_rows = self.table.parts.client, self.table.parts.n_rows
        codes = strided_rows(client, self.table.codes, n_rows, step)
        target = strided_rows(client, self.raw_targets.target, n_rows, step)
        weights = self.raw_targets.weights
        sw = np.ones(len(target)) if weights is None else strided_rows(client, weights, n_rows, step)
        if not model._fittable(target, sw, self.layout.n_outputs):
            return None
        return model._solve(codes, target, sw, self.layout, warn=False, monotonic_cst=monotonic_cst).coef

    def history_at(self, model, coef) -> dict:
        """``model``'s objective at ``coef`` as a one-entry history (the total and each term), in
        the target's units (every term is quadratic in the scores and y together)."""
        objective = self.objective(model)
        loss, _ = objective.loss_gradient(np.asarray(coef, dtype=np.float64) / self.y_scale)
        history = {"loss": np.array([loss])}
        history.update({k: np.array([v]) for k, v in objective.last_components.items()})
        return {name: values * self.y_scale**2 for name, values in history.items()}

    def close(self) -> None:
        """Release the engines on the workers."""
        self.engine.close()


def fit_dask(model, X, y, sample_weight=None, sensitive_features=None):
    """Fit ``model`` (a classifier or a regressor) to Dask data; returns the model."""
    model._check_params()
    _check_supported(model, sensitive_features)
    classifier = model._kind == "classifier"
    names, bins, targets, table = dask_training(model, X, y, sample_weight, classifier)
    n_outputs = model._n_outputs_for(targets.classes)
    _check_two_classes(targets, n_outputs)
    layout = bins.layout(n_outputs)
    cst = model._monotonic(bins, names, n_outputs)
    rows = DaskRows(model, table, targets, layout)
    result = rows.solve(model, monotonic_cst=cst)
    rows.close()
    _warn_if_not_converged(result, stacklevel=4)
    model._set_fitted_bins(bins, layout.split(result.coef), monotonic_cst=cst, names=names, classes=targets.classes,
                           n_iter=result.n_iter, history=result.history)
    return model
