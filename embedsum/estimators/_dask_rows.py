"""Dask collections handed to a fitted model's row-wise methods: recognised without importing dask.

:func:`is_dask_collection` tells a Dask collection by its type's module, so nothing imports
dask for any other input; :func:`dask_rows` lets ``predict``, ``predict_proba``,
``decision_function`` and ``contributions`` take one and return a lazy Dask array, each
partition scored by the method itself (:mod:`embedsum.distributed._rows`, docs/design.md#dask).
"""

from __future__ import annotations

import functools

import numpy as np


def is_dask_collection(X) -> bool:
    """Whether X is a Dask collection (a dask DataFrame, Series or Array), without importing dask.

    Example
    -------
    >>> is_dask_collection(np.zeros((2, 2))), is_dask_collection([[1.0]])
    (False, False)
    """
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")


def _output(model, name: str):
    """The dtype and the shape after the rows of ``model.<name>(X)``."""
    k = model._n_outputs
    if name == "predict":
        return (model.classes_.dtype if hasattr(model, "classes_") else np.float64), ()
    if name == "predict_proba":
        return np.float64, (max(k, 2),)
    if name == "contributions":
        return np.float64, (model.n_features_in_,) if k == 1 else (model.n_features_in_, k)
    return np.float64, () if k == 1 else (k,)


def dask_rows(method):
    """Decorate a row-wise method ``method(self, X)``: given a Dask collection, it returns a lazy
    Dask array scored partition by partition by ``method`` itself.

    Example
    -------
    >>> class Doubler:
    ...     @dask_rows
    ...     def predict(self, X):
    ...         return 2 * np.asarray(X)[:, 0]
    >>> Doubler().predict([[1.0], [2.0]]).tolist()
    [2.0, 4.0]
    """

    @functools.wraps(method)
    def rows(self, X, *args, **kwargs):
        if not is_dask_collection(X):
            return method(self, X, *args, **kwargs)
        from .._validation import check_is_fitted
        from ..distributed._rows import map_rows

        check_is_fitted(self, "bin_scores_")
        function = functools.partial(method, self, *args, **kwargs)
        if hasattr(X, "_meta_nonempty"):
            # A data frame: the result's kind (an array, or a frame with X's index) is that of
            # the method on dask's two made-up rows of X's columns, computed here (no data read).
            return map_rows(function, X, like=function(X._meta_nonempty))
        dtype, tail = _output(self, method.__name__)
        return map_rows(function, X, like=np.empty((0,) + tail, dtype=dtype))

    return rows
