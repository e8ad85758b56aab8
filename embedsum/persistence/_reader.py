"""Loading models: :func:`from_json` and :func:`load` turn a saved document into a fitted estimator.

A loader that trusts nothing: the bytes are size-checked and parsed by
:mod:`~embedsum.persistence._safe_json`, every field is checked (:mod:`~embedsum.persistence._values`,
:mod:`~embedsum.persistence._fields`, :mod:`~embedsum.persistence._features`; version 1 documents
and versions 2 and 3 through :mod:`~embedsum.persistence._migrate`; the standard errors through
:mod:`~embedsum.persistence._uncertainty`), and the estimator registered for the document's
``kind`` is built from its params and given its fitted attributes by its own ``_set_fitted``.
The format and its bounds are documented in :mod:`embedsum.persistence._format`
(docs/design.md#persistence-format, #loader-bounds).
"""

from __future__ import annotations

import os
from typing import Any, Callable

from ._edits import _edits
from ._features import _features
from ._fields import _classes, _feature_names, _history, _params
from ._format import (  # noqa: F401  (the format's public constants, importable from here too)
    _DOCUMENT, _KEYS, _KEYS_V1, _KEYS_V3, _KEYS_V4, _KINDS, _OPTIONAL_KEYS, _READABLE_VERSIONS, FORMAT_NAME,
    FORMAT_VERSION, MAX_BINS, MAX_BINS_PER_FEATURE, MAX_BYTES, MAX_FEATURES)
from ._migrate import _v1_as_v2, _v2_as_v3, _v3_as_v4, _v4_as_v5
from ._pairs import _pairs
from ._uncertainty import _uncertainty
from ._safe_json import _checked_max_bytes, _size_error, _within_memory, decoded, parsed
from ._values import _bad, _describe, _integer, _list, _outputs, _text


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


def _model_from_bytes(data: bytes, source: str) -> _Model:
    return _model_from_document(parsed(decoded(data, source), source), source)


def _model_from_text(text: str, source: str) -> _Model:
    return _model_from_document(parsed(text, source), source)


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
                         f"{', '.join(map(str, _READABLE_VERSIONS[:-1]))} and {_READABLE_VERSIONS[-1]} (was the file written by a newer embedsum?)")
    # Version 2 differs from 3 in its params only; 4 adds the "uncertainty" key, 5 "pairs".
    keys = _KEYS_V1 if version == 1 else _KEYS_V3 if version <= 3 else _KEYS_V4 if version == 4 else _KEYS
    optional = _OPTIONAL_KEYS if version >= 5 else ()  # "edits": docs/design.md#edits
    unknown = sorted(set(doc) - set(keys) - set(optional))
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
    if version <= 2:
        doc = _v2_as_v3(doc)
    if version <= 3:
        doc = _v3_as_v4(doc)
    if version <= 4:
        doc = _v4_as_v5(doc)
    kind = doc["kind"]
    if type(kind) is not str or kind not in _KINDS:
        raise _bad("kind", f"unknown model kind {_describe(kind)}; expected 'classifier' or 'regressor'")
    estimator = _estimator_class(kind)

    params = _params(doc["params"])
    model = estimator(**params)
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
    pairs = _pairs(doc["pairs"], n, k, is_categorical, [len(w) for w in weights])
    pair_cells = 0 if pairs is None else sum(w.size for w in pairs.weights)
    n_params = (sum(len(w) for w in weights) + pair_cells + 1) * k
    edits = _edits(doc["edits"], names, [len(w) for w in weights]) if "edits" in doc else []
    # An edited model has no standard errors (they described the model before the edits).
    uncertainty = _uncertainty(doc["uncertainty"], params["uncertainty"] and not edits, n, n_params,
                               kind == "classifier")

    # The estimator sets its fitted attributes itself, as at fit (feature_importances_ by the same code).
    model._set_fitted(cuts=cuts, categories=categories, rare_categories=rare, bin_scores=scores, bin_weights=weights,
                      intercept=intercept, is_categorical=is_categorical, monotonic_cst=monotonic_cst,
                      unseen_scores=unseen, names=names, classes=classes, n_iter=n_iter, history=history,
                      uncertainty=uncertainty, pairs=pairs, edits=edits)
    return model
