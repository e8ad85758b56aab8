"""Checks of the document's model-wide fields: params, feature names, class labels and history."""

from __future__ import annotations

import re

import numpy as np

from .._hyperparameters import HYPERPARAMETERS, check_hyperparameters
from ._format import (_BOOL_PARAMS, _CHOICE_PARAMS, _FLOAT_DTYPES, _INT_DTYPES, _LABEL_CELLS_PER_CHARACTER, _LABEL_CELLS_SLACK,
                      _MAX_CLASSES, _MAX_HISTORY_LENGTH, _MAX_HISTORY_SERIES, _NUMBER_PARAMS, _PARAMS, _WIDTH_DTYPE,
                      MAX_FEATURES, _label_width_fits)
from ._values import _bad, _constraint, _describe, _integer, _list, _numbers, _short, _text


def _params(params) -> dict:
    if type(params) is not dict:
        raise _bad("params", f"expected an object, got {_describe(params)}")
    unknown = sorted(set(params) - set(_PARAMS))
    missing = [name for name in _PARAMS if name not in params]
    if unknown or missing:
        raise _bad("params", f"unknown {unknown[:5]}, missing {missing}; expected exactly {list(_PARAMS)}")
    if params["regularizers"] not in (None, []):
        raise _bad("params.regularizers", "must be null (custom regularisers are not saved)")
    for name in _NUMBER_PARAMS:
        value = params[name]
        if type(value) not in (int, float):  # bool is a subclass of int and is refused here
            raise _bad(f"params.{name}", f"expected a number, got {_describe(value)}")
        if type(value) is int:
            _integer(value, f"params.{name}", -(2**63), 2**63 - 1)
    for name in _CHOICE_PARAMS:
        if type(params[name]) is not str and not (params[name] is None and None in HYPERPARAMETERS[name].choices):
            raise _bad(f"params.{name}", f"expected a string, got {_describe(params[name])}")
    for name in _BOOL_PARAMS:
        if type(params[name]) is not bool:
            raise _bad(f"params.{name}", f"expected true or false, got {_describe(params[name])}")
    _categorical_param(params["categorical_features"])
    _monotonic_param(params["monotonic_cst"])
    _interactions_param(params["interactions"])
    kwargs = dict(params, regularizers=None if params["regularizers"] is None else [])
    try:  # the checks fit makes: types (bool is not a number), signs, finiteness
        check_hyperparameters(kwargs)
    except (ValueError, TypeError) as err:
        raise _bad("params", str(err)) from None
    return kwargs


def _categorical_param(value) -> None:
    where = "params.categorical_features"
    if value is None or value == "auto":
        return
    if type(value) is not list:
        raise _bad(where, f"expected 'auto', null or a list of indices, bools or names, got {_describe(value)}")
    values = _list(value, where, MAX_FEATURES)
    family = type(values[0]) if values else None
    expected = {int: "an integer (an index)", bool: "a bool (a mask)", str: "a string (a name)"}
    if values and family not in expected:
        raise _bad(f"{where}[0]", f"expected an integer, a bool or a string, got {_describe(values[0])}")
    for i, v in enumerate(values):
        if type(v) is not family:
            raise _bad(f"{where}[{i}]", f"expected {expected[family]} as the first entry is, got {_describe(v)}; "
                                        "the list holds all indices, all bools or all names")
        if family is int:
            _integer(v, f"{where}[{i}]", -MAX_FEATURES, MAX_FEATURES - 1)
        elif family is str:
            _text(v, f"{where}[{i}]")


def _monotonic_param(value) -> None:
    where = "params.monotonic_cst"
    if value is None:
        return
    if type(value) is dict:
        if len(value) > MAX_FEATURES:
            raise _bad(where, f"has {len(value)} entries, more than the bound {MAX_FEATURES}")
        for name, cst in value.items():
            if type(name) is not str:  # JSON keys are strings; a model being saved may hold others
                raise _bad(where, f"its keys are feature names, got {_describe(name)}")
            _text(name, f"{where} key")
            _constraint(cst, f"{where}[{_short(name)}]")
        return
    if type(value) is not list:
        raise _bad(where, f"expected null, a list of -1/0/1 or an object from feature name to -1/0/1, "
                          f"got {_describe(value)}")
    for i, cst in enumerate(_list(value, where, MAX_FEATURES)):
        _constraint(cst, f"{where}[{i}]")


def _interactions_param(value) -> None:
    where = "params.interactions"
    if type(value) is int:
        _integer(value, where, 0, 2**31)
        return
    if type(value) is not list:
        raise _bad(where, f"expected an integer >= 0 or a list of pairs of features, got {_describe(value)}")
    for i, pair in enumerate(_list(value, where, 2**16)):
        if type(pair) is not list or len(pair) != 2:
            raise _bad(f"{where}[{i}]", f"expected a pair of two features, got {_describe(pair)}")
        for v in pair:
            if type(v) is int:
                _integer(v, f"{where}[{i}]", 0, MAX_FEATURES - 1)
            elif type(v) is str:
                _text(v, f"{where}[{i}]")
            else:
                raise _bad(f"{where}[{i}]", f"expected feature indices or names, got {_describe(v)}")


def _feature_names(value, n: int):
    if value is None:
        return None
    names = _list(value, "feature_names", MAX_FEATURES)
    if len(names) != n:
        raise _bad("feature_names", f"has {len(names)} names for n_features={n}")
    for j, name in enumerate(names):
        if type(name) is not str:
            raise _bad(f"feature_names[{j}]", f"expected a string, got {_describe(name)}")
        _text(name, f"feature_names[{j}]")
    if len(set(names)) != n:
        seen = set()
        duplicate = next(name for name in names if name in seen or seen.add(name))
        raise _bad("feature_names", f"the name {_short(duplicate)} appears twice; names must be unique")
    return np.array(names, dtype=object)


def _classes(values, dtype_name) -> np.ndarray:
    values = _list(values, "classes", _MAX_CLASSES)
    if len(values) < 2:
        raise _bad("classes", f"a classifier has at least 2 classes, got {len(values)}")

    def require(test, expected: str):
        for i, v in enumerate(values):
            if not test(v):
                raise _bad(f"classes[{i}]", f"expected {expected} for classes_dtype {dtype_name!r}, "
                                            f"got {_describe(v)}")

    is_width = type(dtype_name) is str and dtype_name[:1] in ("U", "S")  # compile the pattern only for these
    width = re.match(_WIDTH_DTYPE, dtype_name) if is_width else None
    if dtype_name == "bool":
        require(lambda v: type(v) is bool, "a bool")
        classes = np.array(values, dtype=bool)
    elif dtype_name in _INT_DTYPES:
        info = np.iinfo(dtype_name)
        require(lambda v: type(v) is int and info.min <= v <= info.max, f"an integer in [{info.min}, {info.max}]")
        classes = np.array(values, dtype=dtype_name)
    elif dtype_name in _FLOAT_DTYPES:
        require(lambda v: type(v) in (int, float), "a number")
        with np.errstate(over="ignore", under="ignore"):  # out of range: refused just below
            classes = np.array(values, dtype=np.float64).astype(dtype_name)
        for i in np.flatnonzero(~np.isfinite(classes)):
            raise _bad(f"classes[{i}]", f"expected a number within {dtype_name} range for classes_dtype "
                                        f"{dtype_name!r}, got {_describe(values[i])}")
    elif width is not None:
        n_chars = int(width.group(2))
        if width.group(1) == "U":
            require(lambda v: type(v) is str and len(v) <= n_chars, f"a string of at most {n_chars} characters")
            for i, v in enumerate(values):
                _text(v, f"classes[{i}]")
        else:
            require(lambda v: type(v) is str and len(v) <= n_chars and all(ord(c) < 256 for c in v),
                    f"a latin-1 string of at most {n_chars} characters")
        if not _label_width_fits(n_chars, values):  # before the array is made: its size is K * n
            raise _bad("classes_dtype", f"{dtype_name!r} would make an array of {len(values)} x {n_chars} "
                                        f"characters for labels of {sum(map(len, values))} characters in all; "
                                        f"the width is at most what {_LABEL_CELLS_SLACK} + "
                                        f"{_LABEL_CELLS_PER_CHARACTER} x that total allows")
        if width.group(1) == "U":
            classes = np.array(values, dtype=f"<U{n_chars}")
        else:
            classes = np.array([v.encode("latin-1") for v in values], dtype=f"S{n_chars}")
    elif dtype_name == "object":
        def family(v):
            return str if type(v) is str else bool if type(v) is bool else float if type(v) in (int, float) else None

        first = family(values[0])
        for i, v in enumerate(values):
            if family(v) is None or family(v) is not first:
                raise _bad("classes", "object labels must be all strings, all bools or all numbers, got "
                                      f"{_describe(values[0])} and {_describe(v)}")
            if first is str:
                _text(v, f"classes[{i}]")
        classes = np.empty(len(values), dtype=object)
        classes[:] = values
    else:
        raise _bad("classes_dtype", f"unknown dtype {_describe(dtype_name)}; expected 'bool', "
                                    f"{', '.join(map(repr, _INT_DTYPES + _FLOAT_DTYPES))}, 'U<n>', "
                                    f"'S<n>' or 'object'")
    increasing = np.asarray(classes[1:] > classes[:-1], dtype=bool)
    if not increasing.all():  # fit sorts them; predict relies on the order
        i = int(np.flatnonzero(~increasing)[0]) + 1
        raise _bad("classes", f"expected distinct labels in increasing order, got {_short(values[i])} at "
                              f"position {i} after {_short(values[i - 1])}")
    return classes


def _history(value):
    if value is None:
        return None
    if type(value) is not dict:
        raise _bad("history", f"expected an object or null, got {_describe(value)}")
    if len(value) > _MAX_HISTORY_SERIES:
        raise _bad("history", f"has {len(value)} series, more than the bound {_MAX_HISTORY_SERIES}")
    history = {_text(name, "history key"): _numbers(series, f"history[{_short(name)}]", _MAX_HISTORY_LENGTH)
               for name, series in value.items()}
    if len({len(series) for series in history.values()}) > 1:
        raise _bad("history", "its series have different lengths")
    return history
