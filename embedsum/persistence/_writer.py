"""Writing a model: the versioned JSON document of a fitted model, and its text.

The format is documented in :mod:`embedsum.persistence._format` and read back by
:mod:`embedsum.persistence._reader`. A model's ``to_json`` and ``save`` import this module on
first use: ``import embedsum`` and ``embedsum.load`` never import it, so a tool that only loads
models does not compile the writer (a vendored copy without bytecode compiles every module it
imports).
"""

from __future__ import annotations

import json
import math
import numbers

import numpy as np

from .._validation import check_is_fitted
from .._version import __version__
from ._format import (_BOOL_PARAMS, _CHOICE_PARAMS, _DOCUMENT, _INFINITIES, _KEYS, _KINDS, _NUMBER_PARAMS,
                      _OPTIONAL_KEYS, _PARAMS, FORMAT_NAME, FORMAT_VERSION, _label_width_fits)
from ._reader import _estimator_class, _model_from_document


def to_json(model) -> str:
    """The fitted model as a JSON document (format "embedsum", version 4; see :mod:`embedsum.persistence._format`).

    The same model always gives the same text. Raises NotFittedError before ``fit``, and
    ValueError when a number is not finite or the model is beyond the format's bounds.

    Example
    -------
    >>> import json, numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    >>> doc = json.loads(to_json(model))
    >>> doc["format"], doc["format_version"], doc["kind"], doc["classes"], doc["classes_dtype"]
    ('embedsum', 5, 'classifier', [False, True], 'bool')
    """
    doc = _document(model)
    try:  # what is written must load: check it with the loader's own rules
        _model_from_document(doc, _DOCUMENT)
    except ValueError as err:
        raise ValueError(f"cannot save this model, it would not load back: {err}") from None
    lines = [f"{json.dumps(key)}: {_dumps(doc[key])}" for key in _KEYS + _OPTIONAL_KEYS if key in doc]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def save(model, path) -> None:
    """Write the fitted model to ``path`` as JSON (see :func:`to_json`); nothing is written on error.

    Example
    -------
    >>> import os, tempfile, numpy as np
    >>> from embedsum import EmbeddingSumClassifier, load
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(model, os.path.join(folder, "model.json"))
    ...     loaded = load(os.path.join(folder, "model.json"))
    >>> bool((loaded.decision_function(X) == model.decision_function(X)).all())
    True
    """
    data = to_json(model).encode("ascii")  # before opening: a bad model leaves no file behind
    with open(path, "wb") as handle:
        handle.write(data)


def _dumps(value) -> str:
    # ensure_ascii: the file is plain ASCII whatever the feature names; allow_nan=False:
    # a non-finite number that slipped past the checks fails here rather than being written.
    return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _document(model) -> dict:
    kind = getattr(model, "_kind", None)  # set by the estimator classes
    if kind not in _KINDS or not isinstance(model, _estimator_class(kind)):
        raise TypeError(f"expected an EmbeddingSumClassifier or an EmbeddingSumRegressor, got {type(model).__name__}")
    check_is_fitted(model, "bin_scores_")

    # A cross-validated model (EmbeddingSumClassifierCV, EmbeddingSumRegressorCV) is an ordinary
    # fitted model with chosen weights: it saves as one, so that load gives the plain estimator.
    params = model._saved_params() if hasattr(model, "_saved_params") else model.get_params()
    if tuple(sorted(params)) != _PARAMS:  # a new hyperparameter needs a new format_version
        raise ValueError(f"format_version {FORMAT_VERSION} stores the parameters {list(_PARAMS)}, "
                         f"the model has {sorted(params)}")
    custom = list(params["regularizers"] or ())
    json_params = {name: _param_to_json(name, params[name]) for name in _NUMBER_PARAMS}
    json_params["regularizers"] = None if params["regularizers"] is None or custom else []
    json_params["categorical_features"] = _plain(params["categorical_features"])
    json_params["monotonic_cst"] = _plain(params["monotonic_cst"])
    json_params["interactions"] = _plain(params["interactions"])
    for name in _CHOICE_PARAMS:  # a str (np.str_ too) is written as one; anything else fails the check below
        value = params[name]
        json_params[name] = str(value) if isinstance(value, str) else value
    for name in _BOOL_PARAMS:  # a bool (np.bool_ too) is written as one; anything else fails the check below
        value = params[name]
        json_params[name] = bool(value) if isinstance(value, (bool, np.bool_)) else value
    is_classifier = kind == "classifier"
    classes, classes_dtype = _classes_to_json(np.asarray(model.classes_)) if is_classifier else (None, None)
    d = _int_or_value(model.n_features_in_)
    names = getattr(model, "feature_names_in_", None)
    history = getattr(model, "history_", None)
    is_categorical = [bool(v) for v in model.is_categorical_]
    monotonic = [_int_or_value(v) for v in np.asarray(model.monotonic_cst_).tolist()]
    categories, rare, unseen = model.categories_, model.rare_categories_, model.unseen_scores_
    kinds = [None if c is None else "number" if np.asarray(c).dtype.kind == "f" else "str" for c in categories]
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "kind": kind,
        "params": dict(sorted(json_params.items())),
        "custom_regularizers": [str(getattr(reg, "name", type(reg).__name__)) for reg in custom],
        "n_features": d,
        "feature_names": None if names is None else [str(n) if isinstance(n, str) else n for n in names],
        "classes": classes,
        "classes_dtype": classes_dtype,
        "intercept": _floats(model.intercept_),
        "is_categorical": is_categorical,
        "monotonic_cst": monotonic,
        "cuts": [None if c is None else _cuts_to_json(c) for c in model.cuts_],
        "category_kinds": kinds,
        "categories": [_categories_to_json(c, kind) for c, kind in zip(categories, kinds)],
        "rare_categories": [_categories_to_json(c, kind) for c, kind in zip(rare, kinds)],
        "bin_scores": [np.asarray(s, dtype=np.float64).tolist() for s in model.bin_scores_],
        "unseen_scores": [None if u is None else _floats(u) for u in unseen],
        "bin_weights": [np.asarray(w, dtype=np.float64).tolist() for w in model.bin_weights_],
        "n_iter": _int_or_value(model.n_iter_),
        "history": None if history is None else {
            str(k): np.asarray(v, dtype=np.float64).ravel().tolist() for k, v in history.items()
        },
        "uncertainty": _uncertainty_to_json(model),
        "pairs": _pairs_to_json(model),
        **({"edits": [_plain(record) for record in model.edits_]} if getattr(model, "edits_", None) else {}),
    }


def _pairs_to_json(model) -> list:
    """The pair terms' list (see :mod:`embedsum.persistence._format`); empty without pairs."""
    out = []
    for (a, b), cuts, table, weights in zip(getattr(model, "pairs_", []), getattr(model, "pair_cuts_", []),
                                             getattr(model, "pair_scores_", []), getattr(model, "pair_weights_", [])):
        out.append({"features": [_int_or_value(a), _int_or_value(b)],
                    "cuts": [None if c is None else _cuts_to_json(c) for c in cuts],
                    "scores": np.asarray(table, dtype=np.float64).tolist(),
                    "weights": np.asarray(weights, dtype=np.float64).tolist()})
    return out


def _uncertainty_to_json(model):
    """The standard errors' record (see :mod:`embedsum.persistence._format`), or None without them."""
    covariance = getattr(model, "covariance_", None)
    if covariance is None:
        return None
    covariance = np.asarray(covariance, dtype=np.float64)
    tests = model.feature_tests_
    return {
        "scale": float(getattr(model, "scale_", 1.0)),
        "edf": float(model.edf_),
        "feature_tests": {key: np.asarray(tests[key], dtype=np.float64).tolist()
                          for key in ("statistic", "df", "edf", "p_value")},
        "covariance": covariance[np.tril_indices(len(covariance))].tolist(),
    }


def _int_or_value(value):
    # numpy integers become Python ints; anything else is left for the checks to name.
    return int(value) if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) else value


def _float_or_value(value):
    return float(value) if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) else value


def _floats(value):
    """A number, or an array of them, as JSON values (a float, or a list of floats)."""
    if isinstance(value, np.ndarray):
        return (value.astype(np.float64) if value.dtype.kind in "iuf" else value).tolist()
    return _float_or_value(value)


def _plain(value):
    """numpy scalars and arrays, tuples and dicts as the JSON values they hold; others unchanged
    (the checks of the loader name what the format cannot store)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _param_to_json(name: str, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"cannot save hyperparameter {name}={value!r}: the format stores numbers only")
    return _int_or_value(value) if isinstance(value, numbers.Integral) else float(value)


def _cuts_to_json(cuts) -> list:
    values = np.asarray(cuts, dtype=np.float64).tolist()
    if values and values[0] == -math.inf:
        values[0] = "-inf"  # the one non-finite cut the format allows (see the module doc)
    return values


def _categories_to_json(categories, kind):
    if categories is None:
        return None
    values = np.asarray(categories).tolist()
    if kind == "number":  # ±inf are categories a column of numbers can hold: written as text
        return [("-inf" if v < 0 else "inf") if type(v) is float and v in _INFINITIES else v for v in values]
    return values


def _classes_to_json(classes: np.ndarray) -> tuple[list, str]:
    kind, dtype = classes.dtype.kind, classes.dtype
    if kind == "b":
        return [bool(v) for v in classes], "bool"
    if kind in "iu":
        return [int(v) for v in classes], dtype.name
    if kind == "f":
        return [float(v) for v in classes], dtype.name
    if kind == "U":
        labels = [str(v) for v in classes]
        return labels, f"U{_width(dtype.itemsize // 4, labels)}"
    if kind == "S":
        labels = [bytes(v).decode("latin-1") for v in classes]
        return labels, f"S{_width(dtype.itemsize, labels)}"
    if kind == "O":
        return [_object_label(v) for v in classes], "object"
    raise ValueError(f"cannot save class labels of dtype {dtype}: use numbers, strings or bools")


def _width(width: int, labels: list) -> int:
    """The dtype width to write: the array's own, unless the loader would refuse it as far
    wider than the labels; then the longest label's (the same labels, less padding)."""
    return width if _label_width_fits(width, labels) else max(1, *map(len, labels))


def _object_label(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"cannot save the class label {value!r} of type {type(value).__name__}: "
                     "labels must be numbers, strings or bools")
