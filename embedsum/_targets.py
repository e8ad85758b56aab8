"""The target y of a fit: class labels for a classifier, finite numbers for a regressor.

A column vector y is raveled with scikit-learn's :class:`DataConversionWarning`; every bad
target gets a message that says what to do (docs/design.md#bad-input).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ._values import _is_missing_value


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
