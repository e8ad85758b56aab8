"""Checks of the document's ``uncertainty`` field: the covariance, scale, edf and feature tests.

See :mod:`embedsum.persistence._format` (format_version 4) and docs/design.md#uncertainty.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._format import _COVARIANCE_TOLERANCE, _FEATURE_TEST_KEYS, _MAX_COVARIANCE_PARAMS, _UNCERTAINTY_KEYS
from ._values import _bad, _describe, _list, _number, _numbers


_CHECK_ROWS = 256  # rows of the covariance checked at a time


class SavedUncertainty(NamedTuple):
    """The checked ``uncertainty`` field, read by the estimator's ``_set_fitted`` as fit's record.

    Example
    -------
    >>> SavedUncertainty(np.eye(1), 1.0, 0.5, {}).edf
    0.5
    """

    covariance: np.ndarray
    scale: float
    edf: float
    feature_tests: dict


def _exact_keys(value, where: str, keys: tuple) -> dict:
    if type(value) is not dict:
        raise _bad(where, f"expected an object, got {_describe(value)}")
    if list(value) != list(keys):
        raise _bad(where, f"expected exactly the keys {list(keys)} in this order, got {list(value)[:8]}")
    return value


def _uncertainty(value, wanted: bool, n_features: int, n_params: int, is_classifier: bool):
    """The checked field: None when ``params.uncertainty`` is false, else a :class:`SavedUncertainty`."""
    if not wanted:
        if value is not None:
            raise _bad("uncertainty", f"params.uncertainty is false: expected null, got {_describe(value)}")
        return None
    if value is None:
        raise _bad("uncertainty", "params.uncertainty is true: expected the standard errors' record, got null")
    record = _exact_keys(value, "uncertainty", _UNCERTAINTY_KEYS)
    scale = _number(record["scale"], "uncertainty.scale")
    if not scale > 0 or (is_classifier and scale != 1.0):
        raise _bad("uncertainty.scale", f"expected {'1.0 for a classifier' if is_classifier else 'a number > 0'}, "
                                        f"got {scale!r}")
    edf = _number(record["edf"], "uncertainty.edf")
    if edf < 0:
        raise _bad("uncertainty.edf", f"expected a number >= 0, got {edf!r}")
    tests = {}
    for key, values in _exact_keys(record["feature_tests"], "uncertainty.feature_tests", _FEATURE_TEST_KEYS).items():
        where = f"uncertainty.feature_tests.{key}"
        numbers = _numbers(values, where, n_features)
        if len(numbers) != n_features:
            raise _bad(where, f"has {len(numbers)} values for n_features={n_features}")
        if (numbers < 0).any() or (key == "p_value" and (numbers > 1).any()):
            raise _bad(where, f"expected numbers >= 0{' and <= 1' if key == 'p_value' else ''}")
        tests[key] = numbers
    return SavedUncertainty(_covariance(record["covariance"], n_params), scale, edf, tests)


def _covariance(value, n_params: int) -> np.ndarray:
    where = "uncertainty.covariance"
    if n_params > _MAX_COVARIANCE_PARAMS:
        raise _bad(where, f"the model has {n_params} parameters, more than the bound {_MAX_COVARIANCE_PARAMS}")
    expected = n_params * (n_params + 1) // 2
    packed = _list(value, where, expected)  # its length is checked before the matrix is made
    if len(packed) != expected:
        raise _bad(where, f"has {len(packed)} values; the lower triangle of {n_params} parameters has {expected}")
    packed = _numbers(packed, where, expected)
    covariance = np.empty((n_params, n_params))
    offset = 0
    for i in range(n_params):  # row by row: no index array as large as the matrix
        covariance[i, :i + 1] = packed[offset:offset + i + 1]
        covariance[:i, i] = packed[offset:offset + i]
        offset += i + 1
    diagonal = np.diag(covariance).copy()
    if (diagonal < 0).any():
        i = int(np.flatnonzero(diagonal < 0)[0])
        raise _bad(where, f"variance {float(diagonal[i])!r} of parameter {i} is negative")
    deviations = np.sqrt(diagonal)
    for start in range(0, n_params, _CHECK_ROWS):  # in blocks of rows: no temporary as large as the matrix
        block = covariance[start:start + _CHECK_ROWS]
        with np.errstate(over="ignore"):  # variances of 1e300: an infinite bound, which any finite value meets
            bound = np.outer(deviations[start:start + _CHECK_ROWS], deviations) * (1 + _COVARIANCE_TOLERANCE)
        bad = np.abs(block) > bound
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise _bad(where, f"covariance {float(block[i, j])!r} of parameters {int(start + i)} and {int(j)} "
                              "exceeds the product of their standard errors: not a covariance matrix")
    return covariance
