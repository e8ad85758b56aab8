"""Saving and loading models as a versioned JSON document: no pickle, and a loader that trusts nothing.

Format ``"embedsum"``, ``format_version`` 2
-------------------------------------------
One JSON object, one key per line, always in this order; every key is required and no
other key is allowed. Here a multiclass model with a numeric and a categorical feature::

    {
    "format": "embedsum",
    "format_version": 2,
    "library_version": "0.1.0",
    "kind": "classifier",
    "params": {"categorical_features":"auto","embedding_sum_loss_weight":0.01,"l2":0.0,
               "max_bins":4,"max_iter":1000,"min_category_count":10,"monotonic_cst":null,
               "regularizers":null,"step_loss_weight":0.01,"tol":1e-06,"verbose":0},
    "custom_regularizers": [],
    "n_features": 2,
    "feature_names": ["bytes_written","protocol"],
    "classes": ["attack","benign","scan"],
    "classes_dtype": "U6",
    "intercept": [-0.02,0.41,-0.39],
    "is_categorical": [false,true],
    "monotonic_cst": [0,0],
    "cuts": [["-inf",0.5],null],
    "category_kinds": [null,"str"],
    "categories": [null,["tcp","udp"]],
    "rare_categories": [null,["icmp"]],
    "bin_scores": [[[0.9,-0.1,-0.8],[0.1,0.2,-0.3],[-0.4,0.3,0.1],[0.0,0.0,0.0]],
                   [[0.2,-0.1,-0.1],[-0.3,0.2,0.1],[0.5,-0.6,0.1],[0.0,0.1,-0.1]]],
    "unseen_scores": [null,[0.01,-0.02,0.01]],
    "bin_weights": [[0.3,0.2,0.5,0.0],[0.5,0.4,0.05,0.05]],
    "n_iter": 12,
    "history": {"loss":[1.09,0.71],"classification":[1.09,0.70],...}
    }

- Numbers: floats are written as ``repr`` writes them and read back bit for bit.
  NaN and ±Infinity are never written and refused on reading, as are numbers that
  overflow float64 (``1e999``) and integers of more than 20 digits.
- ``kind``: ``"classifier"`` (loads as :class:`~embedsum.EmbeddingSumClassifier`) or
  ``"regressor"`` (:class:`~embedsum.EmbeddingSumRegressor`).
- ``params``: the estimator's hyperparameters, all of them. Custom regularisers are
  Python objects and are **not restored**: ``params.regularizers`` is ``null`` (``[]``
  when it was an empty list) and ``custom_regularizers`` lists their names for the reader.
  Prediction does not need them; refitting a loaded model does not use them.
  ``categorical_features`` is ``"auto"``, ``null`` or a list of all integers (indices), all
  bools (a mask) or all strings (column names); ``monotonic_cst`` is ``null``, a list of
  -1/0/1 or an object from feature name to -1/0/1. A tuple or an array comes back as a list.
- ``classes`` (classifier): the K >= 2 labels in increasing order as JSON values, and
  ``classes_dtype`` the dtype of ``classes_``, so that ``predict`` returns labels of the
  same dtype: ``"bool"``, ``"int8"`` ... ``"int64"``, ``"uint8"`` ... ``"uint64"``,
  ``"float16"``/``"float32"``/``"float64"``, ``"U<n>"`` (str of n characters),
  ``"S<n>"`` (bytes, written as the latin-1 text of the bytes), ``"object"`` (all
  strings, all bools or all numbers). A regressor has ``null`` for both. The width n is
  at least the longest label's length, and ``K * n`` at most ``4096 + 4 *`` (the labels'
  total length): the array is never much larger than the labels written. A model whose
  labels sit in a wider array is saved with the width of its longest label (the same
  labels; only the padding differs).
- Strings (names, labels, categories, history keys) are Unicode text: one without
  surrogate code points (U+D800 to U+DFFF). A Python str can hold them (a lone one, or a
  pair as two code points), JSON cannot keep them apart from the character a pair
  encodes: saving refuses such a string and loading refuses a document that holds one.
- Outputs: one (two classes, or a regressor) or K (more than two classes). With one,
  ``intercept`` is a number, each ``bin_scores[j]`` a list of numbers and each unseen score a
  number; with K, ``intercept`` and each unseen score are lists of K numbers and
  ``bin_scores[j]`` is a list of bins, each a list of K numbers (one per class).
- Per feature j (each list has ``n_features`` entries): ``is_categorical[j]``;
  ``monotonic_cst[j]`` (-1, 0 or 1; 0 for a categorical feature and for every feature of a
  multiclass model); a numeric feature has ``cuts[j]`` and ``null`` in ``category_kinds``,
  ``categories``, ``rare_categories`` and ``unseen_scores``; a categorical feature has
  ``null`` in ``cuts`` and the others set.
- ``cuts[j]``: the strictly increasing cut points of numeric feature j. They are finite
  except that the first may be the string ``"-inf"``: a column made mostly of -inf gets a
  cut at -inf (its first bin then holds exactly the -inf values). +inf is never a cut.
- ``category_kinds[j]``: ``"str"`` (categories are non-empty strings; ``categories_[j]``
  is an object array of str) or ``"number"`` (finite numbers, or the strings ``"-inf"`` and
  ``"inf"``; ``categories_[j]`` is float64). ``categories[j]`` (the kept categories, in bin
  order) and ``rare_categories[j]`` (those that share the "other" bin) are each strictly
  increasing (strings by code point, as fit sorts them) and have no category in common.
- ``bin_scores[j]`` and ``bin_weights[j]``: one entry per bin: for a numeric feature
  ``len(cuts[j]) + 2`` (the interval bins in order, then the missing-value bin), for a
  categorical one ``len(categories[j]) + 2`` (the categories, "other", missing; see
  :mod:`embedsum.training._layout`). Scores are finite; the interval-bin scores of a feature with
  ``monotonic_cst[j]`` = 1 never decrease (-1: never increase); weights are >= 0 and sum
  to 1 (within 1e-6) for each feature.
- ``unseen_scores[j]``: what a category never seen in training scores (finite).
- ``feature_importances_`` is not stored: the loader recomputes it from the scores and
  weights with the code that fit uses, which gives the same bits.
- ``history``: ``null`` or the loss history, name -> list of finite numbers of one length.

Format version 1 (written by embedsum before categorical features, multiclass and
regression) is still read: it has only the keys ``format`` ... ``classes_dtype``,
``intercept``, ``cuts``, ``bin_scores``, ``bin_weights``, ``n_iter`` and ``history`` above,
``kind`` ``"EmbeddingSumClassifier"``, two classes, numeric features only and the eight
hyperparameters other than ``categorical_features``, ``min_category_count`` and
``monotonic_cst``; it loads as a binary classifier with those three at their defaults.
Writing always writes version 2.

Bounds (documents beyond them are refused): the document is at most ``max_bytes``
bytes (64 MiB by default, checked before parsing); ``n_features`` <= 2**20; at most
``MAX_BINS - 1`` cuts per numeric feature (fit accepts ``max_bins <= MAX_BINS`` = 2**16);
at most 2**16 classes; at most 2**20 kept and 2**20 rare categories per feature;
``history`` has at most 256 series of at most 2**20 values. Loading allocates memory in
proportion to the document (every count is checked against the lists the document holds
before anything is allocated from it); a MemoryError is reported as a ValueError.
Loading works under ``np.errstate(all="raise")`` and with warnings turned into errors.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from typing import Any, Callable

import numpy as np

from .._hyperparameters import HYPERPARAMETERS, check_hyperparameters
from .._validation import MAX_BINS


FORMAT_NAME = "embedsum"
FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
MAX_BYTES = 64 * 2**20
MAX_FEATURES = 2**20
MAX_BINS_PER_FEATURE = MAX_BINS + 1
_MAX_CLASSES = 2**16
_MAX_CATEGORIES = 2**20  # kept, and rare, per categorical feature
_MAX_HISTORY_SERIES = 256
_MAX_HISTORY_LENGTH = 2**20
# A "U<n>"/"S<n>" array of K labels has K * n cells; the labels themselves take their total
# length in the document. A wider array than this is refused (and never written).
_LABEL_CELLS_SLACK = 4096
_LABEL_CELLS_PER_CHARACTER = 4
_MAX_INT_DIGITS = 20  # 2**64 - 1 has 20 digits; longer integers only cost time to convert
_MAX_BINS_OF_ANY_FEATURE = max(MAX_BINS_PER_FEATURE, _MAX_CATEGORIES + 2)
_WEIGHT_SUM_TOLERANCE = 1e-6
_KINDS = ("classifier", "regressor")
# The saved hyperparameters, sorted by name (see embedsum/_hyperparameters.py).
_PARAMS = tuple(sorted(HYPERPARAMETERS))
_NUMBER_PARAMS = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.is_number))
_KEYS = ("format", "format_version", "library_version", "kind", "params", "custom_regularizers",
         "n_features", "feature_names", "classes", "classes_dtype", "intercept", "is_categorical",
         "monotonic_cst", "cuts", "category_kinds", "categories", "rare_categories", "bin_scores",
         "unseen_scores", "bin_weights", "n_iter", "history")
# Version 1: binary numeric classifiers, before categorical_features, min_category_count and monotonic_cst.
_KIND_V1 = "EmbeddingSumClassifier"
_PARAMS_V1 = tuple(sorted(name for name, row in HYPERPARAMETERS.items() if row.since_format == 1))
_KEYS_V1 = ("format", "format_version", "library_version", "kind", "params", "custom_regularizers",
            "n_features", "feature_names", "classes", "classes_dtype", "intercept", "cuts",
            "bin_scores", "bin_weights", "n_iter", "history")
_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_FLOAT_DTYPES = ("float16", "float32", "float64")
# Patterns as text, compiled by re (and cached there) on first use: compiling both when the
# module is imported would cost a third of a millisecond of every first load.
_WIDTH_DTYPE = r"([US])([1-9][0-9]{0,9})\Z"
_SURROGATE = "[\ud800-\udfff]"
_JSON_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_DOCUMENT = "embedsum model document"
_INFINITIES = (math.inf, -math.inf)
_NUMBER_TYPES = frozenset((float, int))  # bool is a subclass of int, yet not its type: refused
_INFINITE_CATEGORIES = {"-inf": -math.inf, "inf": math.inf}

# The estimator class of each kind, registered by the estimators (embedsum.estimators._kinds):
# persistence never imports them. Each value returns the class, so that a class can load on
# first use (the regressor's module loads with the first regressor document).
_CLASSES: dict[str, Callable[[], type]] = {}
_Model = Any  # an instance of a registered class: EmbeddingSumClassifier or EmbeddingSumRegressor


def register_kind(kind: str, get_class: Callable[[], type]) -> None:
    """Make documents of ``kind`` load as ``get_class()``: called by the estimators.

    A registered class is built from its saved ``params``, then given its fitted attributes by
    its ``_set_fitted``; ``_n_outputs_for(classes)`` tells the number of outputs; its ``_kind`` is ``kind``.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown model kind {kind!r}; the format has {list(_KINDS)}")
    _CLASSES[kind] = get_class


def _estimator_class(kind: str) -> type:
    return _CLASSES[kind]()


# ----------------------------------------------------------------------------------------------
# Reading: bytes -> text -> JSON values -> checked model
# ----------------------------------------------------------------------------------------------


def from_json(text: str | bytes, *, max_bytes: int = MAX_BYTES) -> _Model:
    """Read a model from a JSON document written by :func:`to_json`; refuse anything else.

    Every damaged, hostile or unknown document raises ValueError with a message that says
    what is wrong. ``max_bytes`` caps the size (for str: its UTF-8 length), checked first.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, np.where(X[:, 0] > 0, "attack", "benign"))
    >>> loaded = from_json(model.to_json())
    >>> loaded.predict([[2.0, 0.0]]).tolist(), loaded.classes_.dtype == model.classes_.dtype
    (['attack'], True)
    >>> from embedsum import EmbeddingSumRegressor
    >>> type(from_json(EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 0]).to_json())).__name__
    'EmbeddingSumRegressor'
    >>> from_json('{"format": "embedsum", "format_version": 9}')
    Traceback (most recent call last):
    ...
    ValueError: embedsum model document rejected: format_version 9 is not supported; ...
    """
    max_bytes = _checked_max_bytes(max_bytes)
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_bytes:
            raise _size_error(_DOCUMENT, len(text), max_bytes)
        return _within_memory(_model_from_bytes, bytes(text), _DOCUMENT)
    if not isinstance(text, str):
        raise TypeError(f"from_json expects str or bytes, got {type(text).__name__}")
    # A str has at least one UTF-8 byte per character: encode only when the count is unclear.
    if len(text) > max_bytes or (len(text) > max_bytes // 4
                                 and len(text.encode("utf-8", "surrogatepass")) > max_bytes):
        raise _size_error(_DOCUMENT, len(text.encode("utf-8", "surrogatepass")), max_bytes)
    return _within_memory(_model_from_text, text, _DOCUMENT)


def load(path, *, max_bytes: int = MAX_BYTES) -> _Model:
    """Read a model saved by :func:`save`. The file size is checked before reading, and at
    most ``max_bytes + 1`` bytes are ever read. A bad file raises ValueError naming the file.

    Example
    -------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.json")
    ...     with open(path, "wb") as handle:
    ...         _ = handle.write(b"")
    ...     load(path)
    Traceback (most recent call last):
    ...
    ValueError: embedsum model file '...model.json' rejected: it is empty
    """
    max_bytes = _checked_max_bytes(max_bytes)
    source = f"embedsum model file {os.fspath(path)!r}"
    return _within_memory(_load_file, path, max_bytes, source, source=source)


def _load_file(path, max_bytes: int, source: str):
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise _size_error(source, size, max_bytes)
        # A pipe or a growing file can hold more than its size said: read one byte past the cap.
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _size_error(source, f"more than {max_bytes}", max_bytes)
    return _model_from_bytes(data, source)


def _within_memory(read, *args, source: str = _DOCUMENT):
    """``read(*args)``, with running out of memory reported as the ValueError of a bad document."""
    try:
        return read(*args)
    except MemoryError:
        raise ValueError(f"{source} rejected: there is not enough memory to load it (it needs memory in "
                         "proportion to its size); free some memory or pass a smaller document") from None


class _Refused(ValueError):
    """Raised by the JSON parser hooks; its message is passed on as it is."""


def _checked_max_bytes(max_bytes) -> int:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, numbers.Integral) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    return int(max_bytes)


def _size_error(source: str, size, max_bytes: int) -> ValueError:
    return ValueError(f"{source} rejected: it is {size} bytes, larger than max_bytes={max_bytes}; "
                      "pass a larger max_bytes if you trust this file")


def _model_from_bytes(data: bytes, source: str) -> _Model:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{source} rejected: it is not UTF-8 text (byte 0x{data[err.start]:02x} "
                         f"at offset {err.start}); is it a model file?") from None
    return _model_from_text(text, source)


def _model_from_text(text: str, source: str) -> _Model:
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
        return _model_from_document(doc, source)
    doc = None  # not held while the text is parsed again
    # A document that will be refused: parse it again with a check on every number, so that
    # the error names the first offending literal as written.
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
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
    return _model_from_document(doc, source)


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


# ----------------------------------------------------------------------------------------------
# Checking the parsed document and building the model
# ----------------------------------------------------------------------------------------------


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


def _model_from_document(doc, source: str):
    try:
        return _build(doc)
    except ValueError as err:
        raise ValueError(f"{source} rejected: {err}") from None


def _build(doc):
    if type(doc) is not dict:
        raise ValueError(f"expected a JSON object at the top, got {_describe(doc)}")
    if doc.get("format") != FORMAT_NAME:
        raise ValueError(f"not an embedsum model: 'format' is {_describe(doc.get('format'))}, "
                         f"expected {FORMAT_NAME!r}")
    version = doc.get("format_version")
    if type(version) is not int:
        raise _bad("format_version", f"expected an integer, got {_describe(version)}")
    if version not in _READABLE_VERSIONS:  # before the keys: another version may have other keys
        raise ValueError(f"format_version {version} is not supported; this embedsum reads format_version "
                         f"{' and '.join(map(str, _READABLE_VERSIONS))} (was the file written by a newer embedsum?)")
    keys = _KEYS if version == FORMAT_VERSION else _KEYS_V1
    unknown = sorted(set(doc) - set(keys))
    if unknown:
        raise ValueError(f"unknown keys {unknown[:5]} (format_version {version} has {list(keys)})")
    missing = [key for key in keys if key not in doc]
    if missing:
        raise ValueError(f"missing keys {missing}")
    if type(doc["library_version"]) is not str or len(doc["library_version"]) > 64:
        raise _bad("library_version", f"expected a short string, got {_describe(doc['library_version'])}")
    _text(doc["library_version"], "library_version")
    if version == 1:
        doc = _v1_as_v2(doc)
    kind = doc["kind"]
    if type(kind) is not str or kind not in _KINDS:
        raise _bad("kind", f"unknown model kind {_describe(kind)}; expected 'classifier' or 'regressor'")
    estimator = _estimator_class(kind)

    model = estimator(**_params(doc["params"]))
    for i, name in enumerate(_list(doc["custom_regularizers"], "custom_regularizers", 1024)):
        if type(name) is not str:
            raise _bad(f"custom_regularizers[{i}]", f"expected a string, got {_describe(name)}")
        _text(name, f"custom_regularizers[{i}]")
    n = _integer(doc["n_features"], "n_features", 1, MAX_FEATURES)
    names = _feature_names(doc["feature_names"], n)
    if kind == "classifier":
        classes = _classes(doc["classes"], doc["classes_dtype"])
    else:
        for key in ("classes", "classes_dtype"):
            if doc[key] is not None:
                raise _bad(key, f"a regressor has no classes: expected null, got {_describe(doc[key])}")
        classes = None
    k = estimator._n_outputs_for(classes)
    intercept = _outputs(doc["intercept"], "intercept", k)
    is_categorical, monotonic_cst, cuts, categories, rare, scores, unseen, weights = _features(doc, n, k)
    n_iter = _integer(doc["n_iter"], "n_iter", 0, 2**63 - 1)
    history = _history(doc["history"])

    # The estimator sets its fitted attributes itself, as at fit (feature_importances_ by the same code).
    model._set_fitted(cuts=cuts, categories=categories, rare_categories=rare, bin_scores=scores, bin_weights=weights,
                      intercept=intercept, is_categorical=is_categorical, monotonic_cst=monotonic_cst,
                      unseen_scores=unseen, names=names, classes=classes, n_iter=n_iter, history=history)
    return model


def _v1_as_v2(doc: dict) -> dict:
    """A version 1 document (keys checked) as the version 2 document of the same model."""
    if doc["kind"] != _KIND_V1:
        raise _bad("kind", f"unknown model kind {_describe(doc['kind'])}; format_version 1 reads {_KIND_V1!r}")
    params = doc["params"]
    if type(params) is not dict:
        raise _bad("params", f"expected an object, got {_describe(params)}")
    unknown = sorted(set(params) - set(_PARAMS_V1))
    missing = [name for name in _PARAMS_V1 if name not in params]
    if unknown or missing:
        raise _bad("params", f"unknown {unknown[:5]}, missing {missing}; format_version 1 has exactly "
                             f"{list(_PARAMS_V1)}")
    classes = _list(doc["classes"], "classes", _MAX_CLASSES)
    if len(classes) != 2:
        raise _bad("classes", f"format_version 1 has exactly 2 classes, got {len(classes)}")
    n = _integer(doc["n_features"], "n_features", 1, MAX_FEATURES)
    for key in ("cuts", "bin_scores", "bin_weights"):  # before lists of n entries are made for the others
        if len(_list(doc[key], key, MAX_FEATURES)) != n:
            raise _bad(key, f"has {len(doc[key])} entries for n_features={n}")
    new_params = {name: row.default for name, row in HYPERPARAMETERS.items() if row.since_format > 1}
    numeric = [None] * n
    return dict(doc, kind="classifier", params=dict(params, **new_params), is_categorical=[False] * n,
                monotonic_cst=[0] * n, category_kinds=numeric, categories=numeric, rare_categories=numeric,
                unseen_scores=numeric)


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
    _categorical_param(params["categorical_features"])
    _monotonic_param(params["monotonic_cst"])
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


def _constraint(value, where: str) -> None:
    if type(value) is not int or value not in (-1, 0, 1):
        raise _bad(where, f"expected -1, 0 or 1, got {_describe(value)}")


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


def _label_width_fits(n_chars: int, labels) -> bool:
    """Whether a "U<n_chars>" or "S<n_chars>" array of these labels (str) is small enough to
    load: ``len(labels) * n_chars`` cells for the labels' total length written out."""
    cells = len(labels) * n_chars
    return cells <= _LABEL_CELLS_SLACK or cells <= _LABEL_CELLS_SLACK + _LABEL_CELLS_PER_CHARACTER * sum(
        map(len, labels))


_PER_FEATURE = ("is_categorical", "monotonic_cst", "cuts", "category_kinds", "categories", "rare_categories",
                "bin_scores", "unseen_scores", "bin_weights")
_CATEGORY_ONLY = ("category_kinds", "categories", "rare_categories", "unseen_scores")


def _features(doc: dict, n: int, k: int) -> tuple:
    """The checked per-feature attributes of a model with n features and k outputs."""
    for key in _PER_FEATURE:
        if len(_list(doc[key], key, MAX_FEATURES)) != n:
            raise _bad(key, f"has {len(doc[key])} entries for n_features={n}")
    flags, csts = doc["is_categorical"], doc["monotonic_cst"]
    for j in range(n):
        if type(flags[j]) is not bool:
            raise _bad(f"is_categorical[{j}]", f"expected a bool, got {_describe(flags[j])}")
        _constraint(csts[j], f"monotonic_cst[{j}]")
        if k > 1 and csts[j]:
            raise _bad(f"monotonic_cst[{j}]", f"a multiclass model has no monotone constraints (fit refuses "
                                              f"them), got {csts[j]}")
    cuts, categories, rare, scores, unseen, weights = [], [], [], [], [], []
    for j in range(n):
        if flags[j]:
            c, kept, others, u = _categorical_feature(doc, j, k, csts[j])
            n_bins = len(kept) + 2
            parts = (len(kept), "categories", "the categories, the other bin and the missing-value bin")
        else:
            if doc["cuts"][j] is None:
                raise _bad(f"cuts[{j}]", f"feature {j} is numeric (is_categorical[{j}] is false): expected its "
                                         "cuts, got null")
            for key in _CATEGORY_ONLY:
                if doc[key][j] is not None:
                    raise _bad(f"{key}[{j}]", f"feature {j} is numeric (is_categorical[{j}] is false): expected "
                                              f"null, got {_describe(doc[key][j])}")
            c = _numbers(doc["cuts"][j], f"cuts[{j}]", MAX_BINS - 1, neg_inf_first=True)
            if len(c) > 1 and not (c[1:] > c[:-1]).all():  # -inf, -inf: refused too
                i = int(np.flatnonzero(~(c[1:] > c[:-1]))[0]) + 1
                raise _bad(f"cuts[{j}]", f"not strictly increasing: {float(c[i])!r} at position {i} follows "
                                         f"{float(c[i - 1])!r}")
            kept = others = u = None
            n_bins = len(c) + 2
            parts = (len(c), "cuts", "the interval bins and the missing-value bin")
        # Bounded by the bins the feature has (checked just below): at most _MAX_CATEGORIES + 2.
        s = (_numbers(doc["bin_scores"][j], f"bin_scores[{j}]", _MAX_BINS_OF_ANY_FEATURE) if k == 1
             else _table(doc["bin_scores"][j], f"bin_scores[{j}]", k))
        w = _numbers(doc["bin_weights"][j], f"bin_weights[{j}]", _MAX_BINS_OF_ANY_FEATURE)
        for key, values in (("bin_scores", s), ("bin_weights", w)):
            if len(values) != n_bins:
                raise _bad(f"{key}[{j}]", f"has {len(values)} values; feature {j} has {parts[0]} {parts[1]}, "
                                          f"so {n_bins} bins ({parts[2]})")
        if (w < 0).any():
            raise _bad(f"bin_weights[{j}]", f"negative weight {float(w[w < 0][0])!r}; weights are fractions >= 0")
        with np.errstate(over="ignore"):  # weights of 1e308: an infinite sum, refused here
            total = float(w.sum())
        if not abs(total - 1.0) <= _WEIGHT_SUM_TOLERANCE:
            raise _bad(f"bin_weights[{j}]", f"sums to {total!r}; the fractions of a feature's bins sum to 1")
        if csts[j]:
            _check_monotone(s, csts[j], j)
        cuts.append(c)
        categories.append(kept)
        rare.append(others)
        scores.append(s)
        unseen.append(u)
        weights.append(w)
    return (np.array(flags, dtype=bool), np.array(csts, dtype=np.int8), cuts, categories, rare, scores,
            unseen, weights)


def _categorical_feature(doc: dict, j: int, k: int, cst: int) -> tuple:
    """(None for the cuts, kept categories, rare categories, unseen score) of categorical feature j, checked."""
    if doc["cuts"][j] is not None:
        raise _bad(f"cuts[{j}]", f"feature {j} is categorical (is_categorical[{j}] is true): expected null, "
                                 f"got {_describe(doc['cuts'][j])}")
    if cst:
        raise _bad(f"monotonic_cst[{j}]", f"feature {j} is categorical and categories have no order: "
                                          f"expected 0, got {cst}")
    kind = doc["category_kinds"][j]
    if kind not in ("str", "number") or type(kind) is not str:
        raise _bad(f"category_kinds[{j}]", f"expected 'str' or 'number' for categorical feature {j}, "
                                           f"got {_describe(kind)}")
    kept = _categories(doc["categories"][j], f"categories[{j}]", kind, _MAX_CATEGORIES)
    rare = _categories(doc["rare_categories"][j], f"rare_categories[{j}]", kind, _MAX_CATEGORIES)
    if len(kept) and len(rare):
        rare_set = set(rare.tolist())
        both = next((v for v in kept.tolist() if v in rare_set), None)
        if both is not None:
            raise _bad(f"rare_categories[{j}]", f"{_short(both)} is also in categories[{j}]; a category is "
                                                "either kept or rare, not both")
    unseen = _outputs(doc["unseen_scores"][j], f"unseen_scores[{j}]", k)
    return None, kept, rare, unseen


def _categories(value, where: str, kind: str, max_len: int) -> np.ndarray:
    """Strictly increasing categories: object array of str ("str") or float64 ("number")."""
    values = _list(value, where, max_len)
    if kind == "str":
        for i, v in enumerate(values):
            if type(v) is not str:
                raise _bad(f"{where}[{i}]", f"expected a string (category kind 'str'), got {_describe(v)}")
            if not v:
                raise _bad(f"{where}[{i}]", "the empty string is a missing value, not a category")
            _text(v, f"{where}[{i}]")
        for i in range(1, len(values)):
            if not values[i - 1] < values[i]:
                raise _bad(where, f"categories must be unique and in increasing order (as fit sorts them): "
                                  f"{_short(values[i])} at position {i} follows {_short(values[i - 1])}")
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    numbers = []
    for i, v in enumerate(values):
        v = _INFINITE_CATEGORIES.get(v, v) if type(v) is str else v
        if type(v) not in _NUMBER_TYPES:
            raise _bad(f"{where}[{i}]", f"expected a number, '-inf' or 'inf' (category kind 'number'), "
                                        f"got {_describe(values[i])}")
        if v != v:  # NaN, from a model being saved: NaN is a missing value
            raise _bad(f"{where}[{i}]", "nan is a missing value, not a category")
        numbers.append(v)
    out = np.array(numbers, dtype=np.float64)
    if len(out) > 1 and not (out[1:] > out[:-1]).all():
        i = int(np.flatnonzero(~(out[1:] > out[:-1]))[0]) + 1
        raise _bad(where, f"categories must be unique and in increasing order (as fit sorts them): "
                          f"{float(out[i])!r} at position {i} follows {float(out[i - 1])!r}")
    return out


def _check_monotone(scores: np.ndarray, cst: int, j: int) -> None:
    interval = scores[:-1]  # the missing bin is free
    with np.errstate(over="ignore"):  # 1e308 - -1e308 is inf, with the right sign
        wrong = np.flatnonzero(cst * np.diff(interval) < 0)
    if len(wrong):
        b = int(wrong[0])
        direction = "never decrease" if cst > 0 else "never increase"
        raise _bad(f"bin_scores[{j}]", f"monotonic_cst[{j}] is {cst}: its interval-bin scores must {direction}, "
                                       f"but they go from {float(interval[b])!r} in bin {b} to "
                                       f"{float(interval[b + 1])!r} in bin {b + 1}")


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
