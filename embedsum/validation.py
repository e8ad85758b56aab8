"""Input checks shared by every estimator: each bad input gets a message that says what to do.

pandas is never imported: DataFrames are recognised by their ``columns`` attribute.
"""

from __future__ import annotations

import numbers
import sys
import warnings

import numpy as np

from .exceptions import NotFittedError

__all__ = [
    "check_array",
    "check_2d",
    "check_table",
    "check_is_fitted",
    "check_n_features",
    "check_feature_names",
    "feature_names_of",
    "check_sample_weight",
    "check_classification_target",
    "check_regression_target",
    "DataConversionWarning",
]


class DataConversionWarning(UserWarning):
    """A column vector y was passed where a 1-D array was expected.

    Example
    -------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = check_classification_target(np.array([[0], [1]]), 2)
    >>> caught[0].category.__name__
    'DataConversionWarning'
    """


def _is_sparse(X) -> bool:
    return hasattr(X, "toarray") and hasattr(X, "nnz")


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
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        X = X.to_numpy()
    try:
        arr = np.asarray(X)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} could not be read as a 2-D array ({err}); every row needs the same number of values.") from err
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported in {name}; pass real numbers.")
    check_2d(arr, name=name)
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except ValueError as err:
            raise ValueError(
                f"{name} has non-numeric values ({err}) in a numeric feature: mark text columns as "
                "categorical (categorical_features=...) or encode them as numbers."
            ) from err
        except TypeError as err:
            raise TypeError(
                f"{name} has values of a type that is not a number ({err}); "
                "pass numbers (NaN or None for missing values)."
            ) from err
    return np.asarray(arr, dtype=np.float64)


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
    if hasattr(X, "columns") and hasattr(X, "iloc") and getattr(X, "ndim", 2) == 2:
        n, d = X.shape
        raw = [X.iloc[:, j].to_numpy() for j in range(d)]
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


def feature_names_of(X):
    """Column names of a DataFrame-like X as an object array when they are all strings, else None.

    Example
    -------
    >>> class Frame:
    ...     columns = ["bytes_written", "files_renamed"]
    >>> feature_names_of(Frame()).tolist(), feature_names_of(np.zeros((2, 2)))
    (['bytes_written', 'files_renamed'], None)
    """
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray(list(columns), dtype=object)
    if len(names) == 0 or not all(isinstance(n, str) for n in names):
        return None
    return names


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
    embedsum.exceptions.NotFittedError: This Model instance is not fitted yet. ...
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


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Return sample weights as a float64 array of length n (ones when None).

    Weights must be finite and non-negative, and not all zero.

    Example
    -------
    >>> check_sample_weight(None, 2).tolist(), check_sample_weight([1, 3], 2).tolist()
    ([1.0, 1.0], [1.0, 3.0])
    """
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        sw = np.full(n_samples, float(sample_weight))
    else:
        try:
            sw = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"sample_weight must be numbers ({err}).") from err
    if sw.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar, got shape {sw.shape}.")
    if sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight.shape == ({sw.shape[0]},), expected ({n_samples},): one weight per row of X.")
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinity; every weight must be a finite number >= 0.")
    if np.any(sw < 0):
        raise ValueError("Negative values in sample_weight; every weight must be >= 0.")
    if not np.any(sw > 0):
        raise ValueError("sample_weight is zero everywhere; at least one row must have a positive weight.")
    return sw


def _target_vector(y, one: str, many: str, stacklevel: int) -> np.ndarray:
    """y as a 1-D array (a column vector is raveled, with scikit-learn's warning at the caller of fit)."""
    if y is None:
        raise ValueError(f"requires y to be passed, but the target y is None; pass {one} of each row.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y "
            "to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=stacklevel,
        )
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y should be a 1d array of {many}, got an array of shape {y.shape} instead.")
    return y


def check_regression_target(y, n_samples: int) -> np.ndarray:
    """y as a finite float64 vector of length n.

    Example
    -------
    >>> check_regression_target([1, 2.5], 2).tolist()
    [1.0, 2.5]
    """
    y = _target_vector(y, "the target value", "target values", stacklevel=4)  # regressor.fit's caller
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"y must hold numbers for a regressor ({err}); for class labels use a classifier.") from err
    if len(y) != n_samples:
        raise ValueError(f"X has {n_samples} rows but y has {len(y)} values; they must be equal.")
    if not np.all(np.isfinite(y)):
        raise ValueError("Input y contains NaN or infinity; every row needs a finite target value.")
    return y


def check_classification_target(y, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(classes, encoded)`` for class labels y of length n; encoded indexes classes.

    Labels may be numbers, strings or bools; a continuous float target is refused.

    Example
    -------
    >>> classes, encoded = check_classification_target(["benign", "attack", "benign"], 3)
    >>> classes.tolist(), encoded.tolist()
    (['attack', 'benign'], [1, 0, 1])
    """
    y = _target_vector(y, "the class label", "class labels", stacklevel=5)  # via _fit_input: fit's caller
    if len(y) != n_samples:
        raise ValueError(f"X has {n_samples} rows but y has {len(y)} labels; they must be equal.")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity; every row needs a class label.")
        if np.any(y != np.round(y)):
            raise ValueError(
                "Unknown label type: continuous. y has non-integer numbers; a classifier needs class "
                "labels (for a numeric target, bin it or use a regressor)."
            )
    elif y.dtype.kind == "O":
        if any(v is None or (isinstance(v, float) and v != v) for v in y):
            raise ValueError("Input y contains NaN or None; every row needs a class label.")
        kinds = {type(v) for v in y}
        if len(kinds) > 1 and not all(issubclass(k, numbers.Number) for k in kinds):
            raise TypeError(f"y mixes label types {sorted(k.__name__ for k in kinds)}; use one type of label.")
    elif y.dtype.kind not in "biuUS":
        raise ValueError(f"Unknown label type: y has dtype {y.dtype}; pass numbers or strings as labels.")
    if y.dtype.kind in "biuf" and len(y) > 0:
        low, high = y.min(), y.max()
        if low >= 0 and high < _MAX_COUNTED_LABEL:
            # Small non-negative integer labels (0/1, bools, 0.0/1.0: the common case):
            # counting is linear, where np.unique sorts (0.6 s at 10^7 rows).
            labels = y.astype(np.intp)
            present = np.flatnonzero(np.bincount(labels))
            position = np.zeros(int(high) + 1, dtype=np.intp)
            position[present] = np.arange(len(present))
            return present.astype(y.dtype), position[labels]
    classes, encoded = np.unique(y, return_inverse=True)
    return classes, encoded.ravel()


_MAX_COUNTED_LABEL = 2**16
