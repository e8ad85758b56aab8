"""Data frames read column by column: pandas, polars, Arrow tables, and anything offering
``__arrow_c_stream__`` or ``__dataframe__``.

They are recognised by duck typing and by the module of their type: none of those libraries
is imported unless X is one of their objects (pyarrow also reads other objects that offer an
Arrow stream or the dataframe interchange protocol). What a text column becomes is
docs/design.md#categorical-features.
"""

from __future__ import annotations

import numbers
import sys

import numpy as np

from ._values import _is_missing_value, _is_temporal_value, _temporal_error


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


def like_input(X, values: np.ndarray, columns, classes=None):
    """``values`` (one row per row of X) as a pandas DataFrame with X's index and these
    ``columns`` when X is a pandas DataFrame, else ``values`` as they are. A 3-D result (n, d, K)
    gets two levels of columns, (column, class), in the order of ``values.reshape(n, d * K)``.

    pandas is not imported here: X being a pandas object, pandas is already loaded.

    Example
    -------
    >>> like_input(np.zeros((2, 2)), np.ones((2, 2)), ["a", "b"]).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    if _frame_type(X) != "pandas":
        return values
    pandas = sys.modules["pandas"]
    columns = list(columns)[:values.shape[1]]  # a model's terms beyond its columns are not named
    if values.ndim == 3:
        labels = [c.item() if hasattr(c, "item") else c for c in classes]
        columns = pandas.MultiIndex.from_product([columns, labels], names=["feature", "class"])
        values = values.reshape(values.shape[0], -1)
    return pandas.DataFrame(values, index=X.index, columns=columns)
