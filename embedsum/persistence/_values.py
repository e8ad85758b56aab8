"""Checks of single values of a parsed document: each returns the checked value or raises
ValueError naming where in the document it is (``bin_scores[3][1]``) and what is wrong.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ._format import _MAX_BINS_OF_ANY_FEATURE, _NUMBER_TYPES, _SURROGATE


def _describe(value) -> str:
    kinds = {bool: "a bool", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "an object", type(None): "null"}
    kind = kinds.get(type(value), f"a {type(value).__name__}")
    if isinstance(value, (bool, int, float, str)):
        shown = repr(value[:41] if type(value) is str else value)  # a long string is not copied whole
        return f"{kind} ({shown[:40]}{'...' if len(shown) > 40 else ''})"
    return kind


def _bad(where: str, problem: str) -> ValueError:
    return ValueError(f"{where}: {problem}")


def _short(value) -> str:
    """The repr of a label or a category for a message, at most about 60 characters."""
    shown = repr(value[:61] if isinstance(value, str) else value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _text(value: str, where: str) -> str:
    """A string of the document that must be Unicode text: no surrogate code point."""
    if not value.isascii():
        found = re.search(_SURROGATE, value)
        if found is not None:
            raise _bad(where, f"{_short(value)} holds the surrogate code point U+{ord(found.group()):04X} at "
                              f"position {found.start()}; surrogates are not Unicode characters and JSON cannot "
                              "keep them (a pair of them reads back as the one character it encodes): use the "
                              "character itself")
    return value


def _integer(value, where: str, low: int, high: int) -> int:
    if type(value) is not int:  # bool is a subclass of int and is refused here
        raise _bad(where, f"expected an integer, got {_describe(value)}")
    if not low <= value <= high:
        raise _bad(where, f"{value} is out of bounds (from {low} to {high})")
    return value


def _number(value, where: str) -> float:
    if type(value) not in (float, int) or not math.isfinite(value):
        raise _bad(where, f"expected a finite number, got {_describe(value)}")
    return float(value)


def _list(value, where: str, max_len: int) -> list:
    if type(value) is not list:
        raise _bad(where, f"expected a list, got {_describe(value)}")
    if len(value) > max_len:
        raise _bad(where, f"has {len(value)} entries, more than the bound {max_len}")
    return value


def _numbers(value, where: str, max_len: int, *, neg_inf_first: bool = False) -> np.ndarray:
    values = _list(value, where, max_len)
    start = 1 if neg_inf_first and values and values[0] == "-inf" else 0
    numbers = values[start:] if start else values
    if not _NUMBER_TYPES.issuperset(map(type, numbers)):
        for i in range(start, len(values)):  # name the first value that is not a number
            if type(values[i]) not in _NUMBER_TYPES:
                raise _bad(f"{where}[{i}]", f"expected a number, got {_describe(values[i])}")
    out = np.array(numbers, dtype=np.float64)
    if not np.isfinite(out).all():
        bad = np.flatnonzero(~np.isfinite(out))
        raise _bad(f"{where}[{bad[0] + start}]", f"{out[bad[0]]} is not a finite number")
    return np.concatenate([[-np.inf], out]) if start else out


def _outputs(value, where: str, k: int):
    """One finite number (k == 1) or a list of k of them (one per class) as an array."""
    if k == 1:
        return _number(value, where)
    if type(value) is not list:
        raise _bad(where, f"expected a list of {k} numbers (one per class), got {_describe(value)}")
    if len(value) != k:
        raise _bad(where, f"has {len(value)} values, expected one per class ({k})")
    return _numbers(value, where, k)


def _table(value, where: str, k: int) -> np.ndarray:
    """A list of bins, each a list of k finite numbers, as an (n_bins, k) array."""
    rows = _list(value, where, _MAX_BINS_OF_ANY_FEATURE)
    for b, row in enumerate(rows):
        if type(row) is not list:
            raise _bad(f"{where}[{b}]", f"expected a list of {k} numbers (one per class), got {_describe(row)}")
        if len(row) != k:
            raise _bad(f"{where}[{b}]", f"has {len(row)} values, expected one per class ({k})")
        if not _NUMBER_TYPES.issuperset(map(type, row)):
            i = next(i for i, v in enumerate(row) if type(v) not in _NUMBER_TYPES)
            raise _bad(f"{where}[{b}][{i}]", f"expected a number, got {_describe(row[i])}")
    out = np.array(rows, dtype=np.float64).reshape(len(rows), k)
    if not np.isfinite(out).all():
        b, i = np.argwhere(~np.isfinite(out))[0]
        raise _bad(f"{where}[{b}][{i}]", f"{out[b, i]} is not a finite number")
    return out


def _constraint(value, where: str) -> None:
    if type(value) is not int or value not in (-1, 0, 1):
        raise _bad(where, f"expected -1, 0 or 1, got {_describe(value)}")
