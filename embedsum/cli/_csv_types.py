"""What the cells of a CSV file are: numbers, missing values, categories, class labels or targets.

A cell is a number when it follows one grammar (:func:`parse_number`): ASCII digits with
an optional sign, point and exponent, or the words inf, infinity (with an optional sign)
and nan, in any case. ``2024_01``, Arabic-Indic or fullwidth digits are text, although
Python's ``float`` accepts them.

Empty cells and NA-like tokens (:data:`NA_TOKENS`, any case) are missing values, in every
column. A feature column whose other cells all read as numbers is numeric (float64, NaN
for missing); a column with any other text is a *text* column, read as categories:
Python ``str`` stripped of surrounding spaces, with ``""`` for missing (what
:mod:`embedsum.binning._categories` takes as missing).

The target of a training file is class labels or numbers: with ``task="auto"``,
:func:`detect_task` decides (see :data:`MAX_AUTO_CLASSES`).
"""

from __future__ import annotations

import math
import re

import numpy as np


NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "-nan"})

# A numeric target whose values are all integers is read as class labels up to this many
# distinct values, and as a regression target past it (counts, prices in whole units).
MAX_AUTO_CLASSES = 20

TASKS = ("auto", "classification", "regression")

# re.ASCII: without it, IGNORECASE lets "ınf" (dotless i) match "inf".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|[+-]?inf(?:inity)?|nan",
                     re.ASCII | re.IGNORECASE)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


def parse_number(token: str) -> float | None:
    """The float that ``token`` spells under embedsum's number grammar, or None for text.

    Optional sign, ASCII digits, optional point, optional exponent; or inf, infinity (with
    an optional sign) and nan, in any case. No surrounding spaces, no underscores, no
    other digits than 0-9: those are text.

    Example
    -------
    >>> parse_number("-1.5e3"), parse_number("Infinity"), parse_number(".5")
    (-1500.0, inf, 0.5)
    >>> parse_number("2024_01"), parse_number("\\u0663"), parse_number(" 1")
    (None, None, None)
    """
    return float(token) if _NUMBER.fullmatch(token) else None


def _is_na(token: str) -> bool:
    return token.lower() in NA_TOKENS


def _non_numeric_error(column: str, token: str, line: int, hint: str) -> ValueError:
    return ValueError(f"column {column!r} has the non-numeric value {token!r} on line {line}; {hint}")


_NUMERIC_HINT = "feature columns must be numbers (empty or NA for missing)"


def _number(text: str, column: str, line: int, hint: str = _NUMERIC_HINT) -> float:
    token = text.strip()
    if _is_na(token):
        return np.nan
    value = parse_number(token)
    if value is None:
        raise _non_numeric_error(column, token, line, hint)
    return value


def _category(text: str) -> str:
    token = text.strip()
    return "" if _is_na(token) else token


def parse_labels(values: list[str]) -> np.ndarray:
    """Class labels from text: numbers when every label is one, else the strings as written.

    A column of numbers gives int64 labels when every value is a whole number ("1" and
    "1.0" are one class), float64 otherwise. A column with any text keeps every label as
    the string it is ("007" and "7" stay two classes).

    Example
    -------
    >>> parse_labels(["1", "0", "1.0"]).tolist(), parse_labels(["0.5", "2"]).tolist()
    ([1, 0, 1], [0.5, 2.0])
    >>> parse_labels(["007", "7", "attack"]).tolist()
    ['007', '7', 'attack']
    """
    stripped = _present(values)
    numbers = _floats_or_none(stripped)
    if numbers is None:
        return np.array(stripped)
    if all(math.isfinite(v) and v.is_integer() for v in numbers):
        # Exact for integers written as such, however long; via the float otherwise ("1e3").
        whole = [int(t) if _INTEGER.fullmatch(t) else int(v) for t, v in zip(stripped, numbers)]
        if all(-(1 << 63) <= v < (1 << 63) for v in whole):
            return np.array(whole, dtype=np.int64)
    return np.array(numbers, dtype=np.float64)


def _present(values: list[str], lines=None) -> list[str]:
    """The target cells stripped; a missing one is an error naming its line."""
    stripped = [v.strip() for v in values]
    missing = next((i for i, v in enumerate(stripped) if _is_na(v)), None)
    if missing is not None:
        line = missing + 2 if lines is None else lines[missing]
        raise ValueError(f"the target is missing on data line {line}; every row needs a label")
    return stripped


def _floats_or_none(values: list[str]) -> list[float] | None:
    numbers = [parse_number(v) for v in values]
    return None if None in numbers else numbers


def detect_task(values: list[str]) -> str:
    """``"regression"`` or ``"classification"`` for a target column given as text.

    Regression when every value is a number and either one of them is not an integer or
    there are more than :data:`MAX_AUTO_CLASSES` distinct values; classification otherwise
    (text labels, or a few integer codes).

    Example
    -------
    >>> detect_task(["1", "0", "2"]), detect_task(["0.5", "2"]), detect_task([str(i) for i in range(30)])
    ('classification', 'regression', 'regression')
    >>> detect_task(["cat", "dog"])
    'classification'
    """
    numbers = _floats_or_none(_present(values))
    if numbers is None:
        return "classification"
    if not all(math.isfinite(v) and v.is_integer() for v in numbers):
        return "regression"
    return "regression" if len(set(numbers)) > MAX_AUTO_CLASSES else "classification"


def parse_target(values: list[str], task: str = "auto", column: str = "target") -> tuple[np.ndarray, str]:
    """``(y, task)`` from the target cells: labels for classification, float64 for regression.

    ``task`` is ``"auto"`` (see :func:`detect_task`), ``"classification"`` or ``"regression"``.

    Example
    -------
    >>> y, task = parse_target(["1.5", "2", "-0.25"])
    >>> y.tolist(), task
    ([1.5, 2.0, -0.25], 'regression')
    >>> parse_target(["1.5", "2"], task="classification")[0].tolist()
    [1.5, 2.0]
    """
    return _parse_target(values, task, column)


def _parse_target(values, task, column, lines=None):
    """:func:`parse_target`; ``lines`` numbers the rows in error messages (default: one line each after a header)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
    stripped = _present(values, lines)
    if task == "auto":
        task = detect_task(stripped)
    if task == "classification":
        return parse_labels(stripped), task
    numbers = [parse_number(v) for v in stripped]
    if None in numbers:
        i = numbers.index(None)
        raise ValueError(
            f"the target column {column!r} has the non-numeric value {stripped[i]!r} on data line "
            f"{i + 2 if lines is None else lines[i]}; regression needs a number in every row (use classification "
            "for labels)")
    return np.array(numbers, dtype=np.float64), task


def _is_number(token: str) -> bool:
    return _is_na(token) or parse_number(token) is not None
