"""One row handed to recourse: its values in the model's feature order, and the same form rebuilt.

A row may be a dict (feature name -> value), a pandas Series (indexed by feature name), or a
1-D sequence or numpy array in feature order. A changed row is given back in the same form.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_array, check_n_features, check_table


def row_values(names: list, x) -> list:
    """The row's values in feature order.

    Example
    -------
    >>> row_values(["a", "b"], {"b": 2.0, "a": 1.0}), row_values(["a", "b"], [1.0, 2.0])
    ([1.0, 2.0], [1.0, 2.0])
    """
    if isinstance(x, dict) or (hasattr(x, "index") and hasattr(x, "to_dict") and not isinstance(x, np.ndarray)):
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"the row lacks the model's features {missing[:5]}")
        return [_plain(x[n]) for n in names]
    arr = np.asarray(x, dtype=object)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1 or len(arr) != len(names):
        raise ValueError(f"x must be one row of {len(names)} values (a 1-D array, a dict or a Series), "
                         f"got shape {np.shape(x)}")
    return [_plain(v) for v in arr.tolist()]


def _plain(value):
    """A numpy scalar as the Python value it holds (so that it prints as itself)."""
    return value.item() if isinstance(value, np.generic) else value


def rebuilt(names: list, x, changes: dict):
    """x with ``changes`` (feature index -> value) applied, in x's own form.

    Example
    -------
    >>> rebuilt(["a", "b"], np.array([1.0, 2.0]), {1: 5.0}).tolist()
    [1.0, 5.0]
    >>> rebuilt(["a", "b"], {"a": 1, "b": "x"}, {1: "y"})
    {'a': 1, 'b': 'y'}
    """
    if isinstance(x, dict):
        out = dict(x)
        for j, v in changes.items():
            out[names[j]] = v
        return out
    if hasattr(x, "index") and hasattr(x, "copy") and not isinstance(x, np.ndarray):
        out = x.copy()
        if any(not isinstance(v, (int, float)) for v in changes.values()):
            out = out.astype(object)
        for j, v in changes.items():
            out[names[j]] = v
        return out
    if isinstance(x, np.ndarray):
        out = x.copy()
        numbers = all(isinstance(v, (int, float)) for v in changes.values())
        if not (numbers and out.dtype.kind == "f") and out.dtype != object:
            out = out.astype(object)
        flat = out.reshape(-1)
        for j, v in changes.items():
            flat[j] = v
        return out
    out = list(x)
    for j, v in changes.items():
        out[j] = v
    return type(x)(out) if isinstance(x, tuple) else out


def row_data(model, values: list):
    """The row as the model's validated data (what its coding reads), names already matched."""
    arr = np.empty((1, len(values)), dtype=object)
    arr[0, :] = values
    if model._has_categories():
        numeric, columns = check_table(arr, model.is_categorical_)
        check_n_features(model, numeric)
        return numeric, columns
    data = check_array(arr)
    check_n_features(model, data)
    return data
