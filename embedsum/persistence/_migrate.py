"""Older format versions read as today's: each version as the next one (1 as 2, ..., 4 as 5).

See docs/design.md#persistence-format.
"""

from __future__ import annotations

from .._hyperparameters import HYPERPARAMETERS
from ._format import _KIND_V1, _MAX_CLASSES, _PARAMS_V1, _PARAMS_V2, _PARAMS_V3, _PARAMS_V4, MAX_FEATURES
from ._values import _bad, _describe, _integer, _list

# What version 3 added, as every version 2 model was fitted: the published quantile cuts
# (min_bin_count at its default: it only acts on adaptive cuts).
_V3_PARAMS = {"binning": "quantile", "min_bin_count": 5}


def _exact_params(params, expected: tuple, version: int) -> dict:
    if type(params) is not dict:
        raise _bad("params", f"expected an object, got {_describe(params)}")
    unknown = sorted(set(params) - set(expected))
    missing = [name for name in expected if name not in params]
    if unknown or missing:
        raise _bad("params", f"unknown {unknown[:5]}, missing {missing}; format_version {version} has exactly "
                             f"{list(expected)}")
    return params


def _v1_as_v2(doc: dict) -> dict:
    """A version 1 document (keys checked) as the version 2 document of the same model."""
    if doc["kind"] != _KIND_V1:
        raise _bad("kind", f"unknown model kind {_describe(doc['kind'])}; format_version 1 reads {_KIND_V1!r}")
    params = _exact_params(doc["params"], _PARAMS_V1, 1)
    classes = _list(doc["classes"], "classes", _MAX_CLASSES)
    if len(classes) != 2:
        raise _bad("classes", f"format_version 1 has exactly 2 classes, got {len(classes)}")
    n = _integer(doc["n_features"], "n_features", 1, MAX_FEATURES)
    for key in ("cuts", "bin_scores", "bin_weights"):  # before lists of n entries are made for the others
        if len(_list(doc[key], key, MAX_FEATURES)) != n:
            raise _bad(key, f"has {len(doc[key])} entries for n_features={n}")
    new_params = {name: row.default for name, row in HYPERPARAMETERS.items() if row.since_format == 2}
    numeric = [None] * n
    return dict(doc, kind="classifier", params=dict(params, **new_params), is_categorical=[False] * n,
                monotonic_cst=[0] * n, category_kinds=numeric, categories=numeric, rare_categories=numeric,
                unseen_scores=numeric)


def _v2_as_v3(doc: dict) -> dict:
    """A version 2 document (keys checked) as the version 3 document of the same model."""
    params = _exact_params(doc["params"], _PARAMS_V2, 2)
    history = doc["history"]
    if doc["kind"] == "regressor" and type(history) is dict and "classification" in history \
            and "squared_error" not in history:
        # Version 2 named every data term "classification"; version 3 names it by its loss.
        history = {("squared_error" if name == "classification" else name): v for name, v in history.items()}
    return dict(doc, params=dict(params, **_V3_PARAMS), history=history)


def _v3_as_v4(doc: dict) -> dict:
    """A version 3 document (keys checked) as the version 4 document of the same model: no standard errors."""
    params = _exact_params(doc["params"], _PARAMS_V3, 3)
    new_params = {name: row.default for name, row in HYPERPARAMETERS.items() if row.since_format == 4}
    return dict(doc, params=dict(params, **new_params), uncertainty=None)


def _v4_as_v5(doc: dict) -> dict:
    """A version 4 document (keys checked) as the version 5 document of the same model: no pair terms."""
    params = _exact_params(doc["params"], _PARAMS_V4, 4)
    new_params = {name: row.default for name, row in HYPERPARAMETERS.items() if row.since_format == 5}
    return dict(doc, params=dict(params, **new_params), pairs=[])
