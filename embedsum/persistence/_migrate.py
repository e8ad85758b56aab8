"""Format version 1 read as version 2: the document of the same model, in today's keys."""

from __future__ import annotations

from .._hyperparameters import HYPERPARAMETERS
from ._format import _KIND_V1, _MAX_CLASSES, _PARAMS_V1, MAX_FEATURES
from ._values import _bad, _describe, _integer, _list


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
