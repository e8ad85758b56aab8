"""Input checks shared by every estimator: each bad input gets a message that says what to do.

Data frames (pandas, polars, Arrow tables, anything with ``__arrow_c_stream__`` or
``__dataframe__``) are read column by column (:func:`as_frame`); none of those libraries is
imported unless X is one of their objects.
"""

from __future__ import annotations

import numbers
import sys
import warnings

import numpy as np

from ._exceptions import NotFittedError


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


def feature_names_of(X):
    """Column names of a data frame X (pandas, polars, Arrow...) as an object array when they
    are all strings, else None.

    Example
    -------
    >>> class Frame:
    ...     columns = ["bytes_written", "files_renamed"]
    >>> feature_names_of(Frame()).tolist(), feature_names_of(np.zeros((2, 2)))
    (['bytes_written', 'files_renamed'], None)
    """
    kind = _frame_type(X)
    if kind == "frame":
        columns = X.names
    elif kind == "arrow":
        columns = _arrow_table(X, "X").column_names
    elif kind == "interchange":
        columns = list(X.__dataframe__().column_names())
    else:
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


def sample_weight_counts(sample_weight) -> np.ndarray:
    """How many rows each row counts for: its weight in units of the smallest positive weight.

    This is what makes a weight mean what scikit-learn users expect wherever embedsum counts
    rows (quantile cuts, category counts, folds, the default grid of step-loss weights): with
    integer weights that include a 1, a weight of k counts as the row repeated k times, a
    weight of 0 as the row removed, and multiplying every weight by a constant changes
    nothing. Counts are rounded to multiples of 2**-20, so that their sums are exact in
    float64 and rounding in the weights never moves a cut; the unit is at least 2**-32 of
    the total weight, so that counts stay finite and exact whatever the weights' range (a
    row lighter than that share counts for a fraction of one).

    Example
    -------
    >>> sample_weight_counts([0.5, 1.0, 0.0, 1.5]).tolist()
    [1.0, 2.0, 0.0, 3.0]
    >>> sample_weight_counts([3e300, 1e300]).tolist()
    [3.0, 1.0]
    """
    w = np.asarray(sample_weight, dtype=np.float64)
    w = w / w.max()  # in [0, 1]: no sum below can overflow, whatever the weights' scale
    unit = max(float(w[w > 0].min()), float(w.sum()) * 2.0**-32)
    return np.round(w / unit * 2.0**20) * 2.0**-20


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
        if any(_is_missing_value(v) for v in y):
            raise ValueError("Input y contains NaN or None; every row needs a class label.")
        if any(isinstance(v, np.generic) for v in y):
            # numpy scalars (numpy.str_ from an array, numpy.int64...) are their Python values:
            # "a" and numpy.str_("a") are one class, and classes_ holds plain Python labels.
            y = np.fromiter((v.item() if isinstance(v, np.generic) else v for v in y), dtype=object, count=len(y))
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


# --- data frames ------------------------------------------------------------------------------
#
# pandas, polars and Arrow tables are read column by column, by duck typing and by the module
# of their type: none of those libraries is imported unless X is one of their objects (pyarrow
# also reads other objects that offer an Arrow stream or the dataframe interchange protocol).


class Frame:
    """A data frame read column by column: what every check needs to know about it.

    ``columns[j]`` is column j as a 1-D array: float64 (NaN = missing) for a column of
    numbers, an object array otherwise (None, NaN or pandas NA = missing). ``text[j]`` says
    whether column j holds text, categories or booleans (what ``categorical_features="auto"``
    makes categorical); a column of numbers stored as objects is numbers. Read with
    :func:`as_frame`.

    Example
    -------
    >>> frame = Frame(["bytes", "proto"], [np.array([1.0, 2.0]), np.array(["tcp", None], dtype=object)],
    ...               [False, True], n_rows=2)
    >>> frame.shape, frame.text.tolist()
    ((2, 2), [False, True])
    """

    def __init__(self, names, columns, text, n_rows: int):
        self.names = list(names)
        self.columns = list(columns)
        self.text = np.asarray(text, dtype=bool).reshape(len(self.columns))
        self.shape = (int(n_rows), len(self.columns))


def _frame_type(X) -> str | None:
    """"pandas", "polars", "arrow" (pyarrow, or anything offering an Arrow stream),
    "interchange" (the dataframe interchange protocol), "frame" (a read :class:`Frame`) or None."""
    if isinstance(X, Frame):
        return "frame"
    if isinstance(X, (np.ndarray, list, tuple)) or X is None:
        return None
    if hasattr(X, "iloc") and hasattr(X, "columns") and hasattr(X, "dtypes") and getattr(X, "ndim", 2) == 2:
        return "pandas"
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) != 2:
        return None  # a Series or an array: read as an array
    module = type(X).__module__.split(".")[0]
    if module == "polars" and hasattr(X, "get_columns"):
        return "polars"
    if hasattr(X, "__arrow_c_stream__") or (module == "pyarrow" and hasattr(X, "column_names")):
        return "arrow"
    if hasattr(X, "__dataframe__"):
        return "interchange"
    return None


def _temporal_error(where: str, what) -> TypeError:
    return TypeError(
        f"{where} holds dates, times or durations ({what}); embedsum needs numbers or "
        "categories. Convert the column first: e.g. to a timestamp (seconds since the epoch) or to parts such "
        "as the hour or the day of the week, and a duration to seconds (total_seconds())."
    )


def _is_temporal_value(v) -> bool:
    import datetime

    # pandas Timestamp and Timedelta subclass datetime and timedelta; Period is recognised by name.
    return isinstance(v, (datetime.date, datetime.time, datetime.timedelta, np.datetime64, np.timedelta64)) \
        or type(v).__name__ == "Period"


def _is_missing_value(v) -> bool:
    if v is None:
        return True
    if isinstance(v, (float, np.floating)):
        return v != v
    return type(v).__name__ in ("NAType", "NaTType")


def _object_column(values, name: str, label) -> tuple[np.ndarray, bool]:
    """A column of Python objects as ``(array, is_text)``: float64 when every value present is
    a number (booleans are not), else the objects as they are. Dates and times raise."""
    values = np.fromiter(values, dtype=object, count=len(values)) if not isinstance(values, np.ndarray) \
        else values.astype(object, copy=False)
    numbers_only = True
    for v in values.tolist():
        if _is_missing_value(v):
            continue
        if _is_temporal_value(v):
            raise _temporal_error(f"{name} column {label!r}", type(v).__name__)
        if numbers_only and (isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real)):
            numbers_only = False
    if not numbers_only:
        return values, True
    out = np.empty(len(values))
    out[:] = [np.nan if _is_missing_value(v) else float(v) for v in values.tolist()]
    return out, False


def _read_pandas(X, name: str) -> Frame:
    columns, text = [], []
    for j, dtype in enumerate(list(X.dtypes)):
        label = X.columns[j]
        column = X.iloc[:, j]
        kind = getattr(dtype, "kind", "O")
        dtype_name = str(getattr(dtype, "name", dtype))
        categories = getattr(dtype, "categories", None)
        if kind in "mM" or dtype_name.startswith("period") or \
                (categories is not None and getattr(categories.dtype, "kind", "O") in "mM"):
            raise _temporal_error(f"{name} column {label!r}", dtype_name)
        if kind == "c":
            raise ValueError(f"Complex data not supported in {name} column {label!r}; pass real numbers.")
        if dtype_name == "category":
            columns.append(np.asarray(column.to_numpy()))
            text.append(True)
        elif kind in "bSU" or dtype_name in ("boolean", "string", "str"):
            columns.append(column.to_numpy(dtype=object))
            text.append(True)
        elif kind in "iuf":
            columns.append(column.to_numpy(dtype=np.float64, na_value=np.nan))
            text.append(False)
        else:
            values, is_text = _object_column(column.to_numpy(dtype=object), name, label)
            columns.append(values)
            text.append(is_text)
    return Frame(list(X.columns), columns, text, n_rows=X.shape[0])


_POLARS_TEXT = ("String", "Utf8", "Categorical", "Enum", "Boolean")


def _read_polars(X, name: str) -> Frame:
    float64 = sys.modules["polars"].Float64  # X is a polars object: polars is loaded
    columns, text = [], []
    for series in X.get_columns():
        dtype = series.dtype
        if dtype.is_temporal():
            raise _temporal_error(f"{name} column {series.name!r}", dtype)
        if dtype.is_numeric() or type(dtype).__name__ == "Null":
            columns.append(np.asarray(series.cast(float64).to_numpy(), dtype=np.float64))
            text.append(False)
        elif type(dtype).__name__ in _POLARS_TEXT:
            columns.append(np.fromiter(series.to_list(), dtype=object, count=len(series)))
            text.append(True)
        else:
            values, is_text = _object_column(series.to_list(), name, series.name)
            columns.append(values)
            text.append(is_text)
    return Frame(X.columns, columns, text, n_rows=X.height)


def _arrow_table(X, name: str):
    """X as a pyarrow Table (pyarrow is imported only here, for Arrow and interchange input)."""
    if type(X).__module__.split(".")[0] == "pyarrow" and hasattr(X, "column_names") and hasattr(X, "columns") \
            and type(X).__name__ == "Table":
        return X
    try:
        import pyarrow
    except ImportError as err:
        raise TypeError(
            f"{name} is a {type(X).__name__}, a table that embedsum reads through pyarrow, which is not "
            f"installed: pip install pyarrow, or pass {name} as a numpy array or a pandas DataFrame."
        ) from err
    try:
        if hasattr(X, "__arrow_c_stream__") or hasattr(X, "column_names"):
            return pyarrow.table(X)
        import pyarrow.interchange

        return pyarrow.interchange.from_dataframe(X)
    except (TypeError, ValueError, NotImplementedError, pyarrow.ArrowException) as err:
        raise TypeError(f"{name} ({type(X).__name__}) could not be read as a table ({err}); "
                        f"pass {name} as a numpy array or a pandas DataFrame.") from err


def _read_arrow(X, name: str) -> Frame:
    table = _arrow_table(X, name)
    types = sys.modules["pyarrow"].types
    columns, text = [], []
    for label, column in zip(table.column_names, table.columns):
        kind = column.type
        if types.is_temporal(kind) or types.is_interval(kind):
            raise _temporal_error(f"{name} column {label!r}", kind)
        if types.is_integer(kind) or types.is_floating(kind) or types.is_decimal(kind) or types.is_null(kind):
            columns.append(np.asarray(column.cast(sys.modules["pyarrow"].float64()).to_numpy(), dtype=np.float64))
            text.append(False)
        elif types.is_dictionary(kind):
            values, _ = _object_column(column.to_pylist(), name, label)  # dates as categories raise too
            columns.append(values.astype(object))
            text.append(True)
        elif types.is_boolean(kind) or types.is_string(kind) or types.is_large_string(kind) or \
                getattr(types, "is_string_view", lambda _: False)(kind):
            columns.append(np.fromiter(column.to_pylist(), dtype=object, count=len(column)))
            text.append(True)
        else:
            values, is_text = _object_column(column.to_pylist(), name, label)
            columns.append(values)
            text.append(is_text)
    return Frame(table.column_names, columns, text, n_rows=table.num_rows)


def as_frame(X, *, name: str = "X") -> Frame | None:
    """X read column by column when it is a data frame (pandas, polars, an Arrow table, or an
    object with ``__arrow_c_stream__`` or ``__dataframe__``), else None.

    Numeric columns stay numbers (nullable integers included, missing values as NaN), text,
    category and boolean columns are marked ``text``, a pandas object column holding only
    numbers is numbers. A column of dates, times or durations is a TypeError that says how to
    convert it.

    Example
    -------
    >>> as_frame(np.zeros((2, 2))) is None
    True
    """
    kind = _frame_type(X)
    if kind is None:
        return None
    if kind == "frame":
        return X
    if kind == "pandas":
        return _read_pandas(X, name)
    if kind == "polars":
        return _read_polars(X, name)
    return _read_arrow(X, name)


def _as_float(values: np.ndarray, name: str) -> np.ndarray:
    """Values (one column or a 2-D array) as float64; None and pandas NA are NaN."""
    if values.dtype.kind in "biuf":
        return values.astype(np.float64, copy=False)
    if values.dtype.kind in "mM":
        raise _temporal_error(name, f"numpy {values.dtype}")
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError) as err:
        first_error = err
    if values.dtype == object:
        # pandas NA, NaT and dates fail the cast above: missing values become NaN, dates raise.
        values = values.copy()
        flat = values.reshape(-1)
        for i, v in enumerate(flat.tolist()):
            if _is_missing_value(v):
                flat[i] = np.nan
            elif _is_temporal_value(v):
                raise _temporal_error(name, f"a {type(v).__name__}: {v!r}")
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError) as err:
            first_error = err
    if isinstance(first_error, ValueError):
        raise ValueError(
            f"{name} has non-numeric values ({first_error}) in a numeric feature: mark text columns as "
            "categorical (categorical_features=...) or encode them as numbers."
        ) from first_error
    raise TypeError(
        f"{name} has values of a type that is not a number ({first_error}); "
        "pass numbers (NaN or None for missing values)."
    ) from first_error
