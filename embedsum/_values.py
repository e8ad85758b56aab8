"""What one input value is: missing, a date or time, or a number.

None, NaN, pandas NA and NaT are missing values; dates, times and durations are refused
with a message that says how to convert them (docs/design.md#bad-input). Shared by the
array checks (:mod:`embedsum._validation`), the data frame readers (:mod:`embedsum._frames`),
the targets (:mod:`embedsum._targets`) and the category coder.

Example
-------
>>> _is_missing_value(None), _is_missing_value(float("nan")), _is_missing_value(0.0)
(True, True, False)
>>> _as_float(np.array([1, None], dtype=object), "X").tolist()
[1.0, nan]
"""

from __future__ import annotations

import numpy as np


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
