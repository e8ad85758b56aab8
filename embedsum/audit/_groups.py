"""Groups of rows from one sensitive column or several (their intersections).

``sensitive`` may be:

- the name (str) or index (int) of a column of X;
- one column of labels: a 1-D numpy array or a pandas/polars Series of length n;
- a list or tuple of columns, each a name, an index or a 1-D array: the groups are their
  intersections (every combination of values that occurs);
- a 2-D array or a data frame of n rows: its columns, intersected.

A missing label (None, NaN, pandas NA, ``""``) is a group of its own, labelled ``missing``.
Groups are listed largest first (ties by label), and an intersection is labelled by its
values joined with `` & ``.
"""

from __future__ import annotations

import numpy as np

from .._frames import as_frame, feature_names_of
from .._values import _is_missing_value


class Groups:
    """The group of each row: ``index[i]`` is the position in ``labels`` of row i's group.

    Example
    -------
    >>> g = groups_of(None, np.array(["b", "a", "b"]), 3)
    >>> g.labels, g.index.tolist(), g.name
    (['b', 'a'], [0, 1, 0], 'group')
    """

    def __init__(self, labels, index, name, columns=()):
        self.labels, self.index, self.name = list(labels), np.asarray(index, dtype=np.intp), name
        self.columns = tuple(columns)  # the columns of X the groups were read from (indices), if any

    def rows(self, label) -> np.ndarray:
        """Indices of the rows of one group."""
        return np.flatnonzero(self.index == self.position(label))

    def position(self, label) -> int:
        text = _label(label)
        if text not in self.labels:
            raise ValueError(f"no group {label!r}; the groups are {self.labels[:10]}")
        return self.labels.index(text)


def _label(value) -> str:
    if _is_missing_value(value) or (isinstance(value, str) and value == ""):
        return "missing"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _x_columns(X):
    """(names or None, a function j -> column j as a 1-D array) of the table X."""
    frame = as_frame(X)
    if frame is not None:
        return frame.names, lambda j: frame.columns[j]
    names = feature_names_of(X)
    values = X.to_numpy() if hasattr(X, "to_numpy") else X
    if not isinstance(values, np.ndarray):
        values = np.asarray(values, dtype=object)  # lists: keep text and numbers apart
    if values.ndim != 2:
        raise ValueError("X must be 2-D to name a sensitive column in it")
    return (None if names is None else list(names)), lambda j: values[:, j]


def _one_column(X, spec, n: int):
    """(name, 1-D column, index of X's column or None) of one sensitive column spec."""
    if isinstance(spec, (str, int, np.integer)) and not isinstance(spec, bool):
        if X is None:
            raise ValueError(f"sensitive={spec!r} names a column, but no X was given to read it from")
        names, column = _x_columns(X)
        if isinstance(spec, str):
            if names is None or spec not in names:
                raise ValueError(f"X has no column {spec!r}" + ("" if names is None else f"; its columns are "
                                                                                         f"{list(names)[:10]}"))
            j = list(names).index(spec)
        else:
            j = int(spec)
            width = len(names) if names is not None else np.shape(X)[1]
            if not 0 <= j < width:
                raise ValueError(f"sensitive column index {j} is out of range for X's {width} columns")
        return (spec if isinstance(spec, str) else (names[j] if names else f"x{j}")), column(j), j
    name = getattr(spec, "name", None)
    values = np.asarray(spec.to_numpy() if hasattr(spec, "to_numpy") else spec, dtype=object)
    if values.ndim != 1 or len(values) != n:
        raise ValueError(f"a sensitive column must have one label per row of X ({n}), got shape {values.shape}")
    return (str(name) if name is not None else "group"), values, None


def groups_of(X, sensitive, n: int) -> Groups:
    """The :class:`Groups` that ``sensitive`` defines on the n rows of X (see the module docstring)."""
    if sensitive is None:
        raise ValueError("sensitive is required: a column name or index of X, or one label per row")
    if isinstance(sensitive, (list, tuple)):
        specs = list(sensitive)
    elif as_frame(sensitive) is not None or (hasattr(sensitive, "ndim") and sensitive.ndim == 2):
        frame = as_frame(sensitive)
        if frame is not None:
            specs = [_Named(name, column) for name, column in zip(frame.names, frame.columns)]
        else:
            arr = np.asarray(sensitive, dtype=object)
            specs = [arr[:, j] for j in range(arr.shape[1])]
    else:
        specs = [sensitive]
    if not specs:
        raise ValueError("sensitive lists no column")
    columns = [_one_column(X, s, n) for s in specs]
    for name, values, _ in columns:
        if len(values) != n:
            raise ValueError(f"sensitive column {name!r} has {len(values)} values for {n} rows")
    keys = [" & ".join(_label(c[1][i]) for c in columns) for i in range(n)]
    uniques, index, counts = np.unique(np.array(keys, dtype=object).astype(str), return_inverse=True,
                                       return_counts=True)
    order = sorted(range(len(uniques)), key=lambda g: (-counts[g], uniques[g]))
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    name = " & ".join(str(c[0]) for c in columns)
    return Groups([str(uniques[g]) for g in order], rank[index.reshape(-1)], name,
                  [c[2] for c in columns if c[2] is not None])


class _Named:
    """A column with a name, as a Series would carry it."""

    def __init__(self, name, values):
        self.name, self._values = name, values

    def to_numpy(self):
        return self._values
