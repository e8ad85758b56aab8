"""Bytes and text to JSON values, hardened: a document that is not what the format allows is refused early.

The size is checked before anything is parsed; duplicate keys, NaN and ±Infinity literals,
numbers beyond float64 and integers of more than 20 digits are refused; a refused document is
parsed a second time with a check on every number, so that the error names the first bad
literal as written (see :mod:`embedsum.persistence._format` and docs/design.md#loader-bounds).
"""

from __future__ import annotations

import json
import math
import numbers
import re

from ._format import _DOCUMENT, _INFINITIES, _JSON_STRING, _MAX_INT_DIGITS


class _Refused(ValueError):
    """Raised by the JSON parser hooks; its message is passed on as it is."""


def _checked_max_bytes(max_bytes) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, numbers.Integral) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    return int(max_bytes)


def _size_error(source: str, size, max_bytes: int) -> ValueError:
    return ValueError(f"{source} rejected: it is {size} bytes, larger than max_bytes={max_bytes}; "
                      "pass a larger max_bytes if you trust this file")


def _within_memory(read, *args, source: str = _DOCUMENT):
    """``read(*args)``, with running out of memory reported as the ValueError of a bad document."""
    try:
        return read(*args)
    except MemoryError:
        raise ValueError(f"{source} rejected: there is not enough memory to load it (it needs memory in "
                         "proportion to its size); free some memory or pass a smaller document") from None


def decoded(data: bytes, source: str) -> str:
    """The UTF-8 text of a document's bytes; refused (ValueError naming ``source``) when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{source} rejected: it is not UTF-8 text (byte 0x{data[err.start]:02x} "
                         f"at offset {err.start}); is it a model file?") from None


def parsed(text: str, source: str):
    """The JSON values of a document's text; refused (ValueError naming ``source``) when the format cannot hold it.

    Example
    -------
    >>> parsed('{"a": [1, 2.5]}', "doc")
    {'a': [1, 2.5]}
    >>> parsed('{"a": 1e999}', "doc")
    Traceback (most recent call last):
    ...
    ValueError: doc rejected: the number 1e999 is out of the float64 range
    """
    if not text.strip():
        raise ValueError(f"{source} rejected: it is empty")
    try:
        # Floats by json's C parser (a Python hook per float costs more than the rest of the
        # load); a literal beyond float64 (1e999) becomes ±inf there, which _overflowed finds.
        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                         parse_int=_short_int)
        refused = _overflowed(doc)
    except (ValueError, RecursionError):  # JSONDecodeError and _Refused are ValueErrors
        refused = True
    if not refused:
        return doc
    doc = None  # not held while the text is parsed again
    # A document that will be refused: parse it again with a check on every number, so that
    # the error names the first offending literal as written.
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                          parse_float=_finite_float, parse_int=_short_int)
    except _Refused as err:
        raise ValueError(f"{source} rejected: {err}") from None
    except RecursionError:  # json recurses once per nesting level
        raise ValueError(f"{source} rejected: its JSON is nested far deeper than the format "
                         "(at most 4 levels)") from None
    except json.JSONDecodeError as err:
        where = f"{err.msg} at line {err.lineno} column {err.colno}"
        if _looks_truncated(text):
            raise ValueError(f"{source} rejected: it is truncated, the JSON ends before it is "
                             f"complete ({where})") from None
        raise ValueError(f"{source} rejected: it is not valid JSON ({where})") from None


def _unique_keys(pairs):
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {key!r} in a JSON object")
            seen.add(key)
    return doc


def _refuse_constant(name: str):
    raise _Refused(f"the literal {name} is not allowed: every number must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of the float64 range")
    return value


def _overflowed(doc) -> bool:
    """Whether a parsed JSON value holds ±inf: only a float literal beyond float64 parses to it."""
    stack = [doc]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            stack.extend(value.values())
        elif type(value) is list:
            for item in value:
                if type(item) is float:
                    if item in _INFINITIES:
                        return True
                elif type(item) is list or type(item) is dict:
                    stack.append(item)
        elif type(value) is float and value in _INFINITIES:
            return True
    return False


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _Refused(f"an integer of {len(text.lstrip('-'))} digits is too large "
                       f"(at most {_MAX_INT_DIGITS})")
    return int(text)


def _looks_truncated(text: str) -> bool:
    # Truncated = it ends inside a string or with an object or list still open.
    body = re.sub(_JSON_STRING, "", text, flags=re.S)
    return '"' in body or body.count("{") + body.count("[") > body.count("}") + body.count("]")
