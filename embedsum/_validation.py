"""Input checks shared by every estimator: each bad input gets a message that says what to do.

The checks of X, of a fitted model and of feature names live here; the rest of the
foundation's input handling is split by idea, and its names are re-imported here so that
``from embedsum._validation import ...`` keeps working:

- :mod:`embedsum._values`: what one value is (missing, a date, a number);
- :mod:`embedsum._frames`: data frames (pandas, polars, Arrow tables, anything with
  ``__arrow_c_stream__`` or ``__dataframe__``), read column by column (:func:`as_frame`); none
  of those libraries is imported unless X is one of their objects;
- :mod:`embedsum._targets`: class labels and regression targets;
- :mod:`embedsum._sample_weights`: sample weights and their counts (docs/design.md#sample-weights).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from ._exceptions import NotFittedError
from ._frames import _frame_type, as_frame, feature_names_of
from ._values import _as_float

# Re-imported for the modules that import them from here (estimators, binning, tests).
from ._sample_weights import check_sample_weight, sample_weight_counts  # noqa: F401
from ._targets import DataConversionWarning, check_classification_target, check_regression_target  # noqa: F401
from ._values import _is_missing_value, _is_temporal_value, _temporal_error  # noqa: F401


def _is_sparse(X) -> bool:
    return hasattr(X, "toarray") and hasattr(X, "nnz")


# The largest max_bins: a numeric feature then has at most MAX_BINS - 1 cuts, MAX_BINS
# interval bins and the missing bin; the model file format stores no more.
MAX_BINS = 2**16


def check_array(X, *, name: str = "X") -> np.ndarray:
    """Return X as a 2-D float64 array with at least one row and one column.

    NaN (and None in object arrays) are missing values and pass; ±inf pass.

    Example
    -------
    >>> check_array([[1, 2], [3, None]]).tolist()
    [[1.0, 2.0], [3.0, nan]]
    """
    if type(X) is np.ndarray and X.ndim == 2 and X.dtype == np.float64 and X.size:
        return X  # the common case, and what the checks below return for it: X itself
    if X is None:
        raise ValueError(f"{name} is None; pass a 2-D array of numbers (rows = samples, columns = features).")
    if _is_sparse(X):
        raise TypeError(f"{name} is a sparse matrix; embedsum needs dense input: pass {name}.toarray().")
    kind = _frame_type(X)
    if kind == "pandas" and all(isinstance(t, np.dtype) and t.kind in "biuf" for t in X.dtypes):
        arr = X.to_numpy(dtype=np.float64)  # all columns numbers: one call
        check_2d(arr, name=name)
        return arr
    if kind is not None:
        frame = as_frame(X, name=name)
        check_2d(np.empty(frame.shape), name=name)
        return np.column_stack([_as_float(column, name) for column in frame.columns])
    try:
        arr = np.asarray(X)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} could not be read as a 2-D array ({err}); every row needs the same number of values.") from err
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported in {name}; pass real numbers.")
    check_2d(arr, name=name)
    return _as_float(arr, name)


def check_2d(arr: np.ndarray, *, name: str = "X") -> None:
    """Raise ValueError unless ``arr`` is 2-D with at least one row and one column.

    Example
    -------
    >>> check_2d(np.zeros((1, 2)))
    """
    if arr.ndim != 2:
        raise ValueError(
            f"Expected 2D array for {name}, got {arr.ndim}D array instead (shape {arr.shape}). "
            "Reshape your data either using array.reshape(-1, 1) if your data has a single feature "
            "or array.reshape(1, -1) if it contains a single sample."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required; {name} is empty.")
    if arr.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required; {name} has no columns.")


def check_table(X, is_categorical, *, name: str = "X") -> tuple[np.ndarray, list]:
    """Split a table with categorical columns into ``(numeric, columns)``.

    ``numeric`` is a float64 (n, d) array whose categorical columns are NaN; ``columns[j]``
    is column j as given (an array) for each categorical feature and None otherwise.

    Example
    -------
    >>> numeric, columns = check_table([[1.5, "tcp"], [2.0, None]], [False, True])
    >>> numeric[:, 0].tolist(), columns[1].tolist()
    ([1.5, 2.0], ['tcp', None])
    """
    if X is None:
        raise ValueError(f"{name} is None; pass a 2-D array (rows = samples, columns = features).")
    if _is_sparse(X):
        raise TypeError(f"{name} is a sparse matrix; embedsum needs dense input: pass {name}.toarray().")
    is_categorical = np.asarray(is_categorical, dtype=bool)
    frame = as_frame(X, name=name)
    if frame is not None:
        n, d = frame.shape
        raw = frame.columns
        check_2d(np.empty((n, d)), name=name)
    else:
        # Lists as objects: np.asarray would turn [[1.5, "tcp", None]] into strings ("None").
        arr = X if isinstance(X, np.ndarray) else np.asarray(X, dtype=object)
        if arr.ndim == 1 and len(arr) and all(isinstance(row, (list, tuple)) for row in arr):
            raise ValueError(f"{name} could not be read as a 2-D array; every row needs the same number of values.")
        check_2d(arr, name=name)
        n, d = arr.shape
        raw = [arr[:, j] for j in range(d)]
    if d != len(is_categorical):
        return np.empty((n, d)), [None] * d  # the caller reports the wrong number of features
    numeric = np.full((n, d), np.nan)
    numeric_columns = np.flatnonzero(~is_categorical)
    if len(numeric_columns):
        numeric[:, numeric_columns] = check_array(np.column_stack([raw[j] for j in numeric_columns]), name=name)
    columns = [raw[j] if is_categorical[j] else None for j in range(d)]
    return numeric, columns


def check_feature_names(estimator, X) -> None:
    """Warn or raise, as scikit-learn does, when X's column names differ from those seen in fit.

    Example
    -------
    >>> class Fitted:
    ...     feature_names_in_ = np.array(["a", "b"], dtype=object)
    >>> class Frame:
    ...     columns = ["b", "a"]
    >>> check_feature_names(Fitted(), Frame())
    Traceback (most recent call last):
    ...
    ValueError: The feature names should match those that were passed during fit. ...
    """
    fitted = getattr(estimator, "feature_names_in_", None)
    given = feature_names_of(X)
    cls = type(estimator).__name__
    if fitted is None and given is not None:
        warnings.warn(f"X has feature names, but {cls} was fitted without feature names", UserWarning, stacklevel=3)
    elif fitted is not None and given is None:
        warnings.warn(f"X does not have valid feature names, but {cls} was fitted with feature names", UserWarning, stacklevel=3)
    elif fitted is not None and (len(fitted) != len(given) or np.any(fitted != given)):
        unexpected = [n for n in given if n not in set(fitted)]
        missing = [n for n in fitted if n not in set(given)]
        details = ""
        if unexpected:
            details += f" Feature names unseen at fit time: {unexpected[:5]}."
        if missing:
            details += f" Feature names seen at fit time, yet now missing: {missing[:5]}."
        if not details:
            details = " The same names come in another order; reorder the columns as at fit time."
        raise ValueError("The feature names should match those that were passed during fit." + details)


def _not_fitted_error_class() -> type:
    # When scikit-learn is loaded, also be its NotFittedError so that its tools
    # recognise the error; embedsum never imports scikit-learn itself.
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return NotFittedError
    return type(
        "NotFittedError",
        (NotFittedError, sklearn_exceptions.NotFittedError),
        {"__module__": NotFittedError.__module__, "__doc__": NotFittedError.__doc__},
    )


def check_is_fitted(estimator, attribute: str) -> None:
    """Raise NotFittedError unless ``estimator`` has ``attribute``.

    Example
    -------
    >>> class Model:
    ...     pass
    >>> check_is_fitted(Model(), "coef_")
    Traceback (most recent call last):
    ...
    embedsum._exceptions.NotFittedError: This Model instance is not fitted yet. ...
    """
    if not hasattr(estimator, attribute):
        raise _not_fitted_error_class()(
            f"This {type(estimator).__name__} instance is not fitted yet. "
            "Call 'fit' with appropriate arguments before using this estimator."
        )


def check_n_features(estimator, X: np.ndarray) -> None:
    """Raise ValueError when X does not have the number of columns seen in fit.

    Example
    -------
    >>> class Model:
    ...     n_features_in_ = 3
    >>> check_n_features(Model(), np.zeros((1, 2)))
    Traceback (most recent call last):
    ...
    ValueError: X has 2 features, but Model is expecting 3 features as input.
    """
    expected = estimator.n_features_in_
    if X.shape[1] != expected:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{expected} features as input."
        )
