"""The C generator of :func:`embedsum.export.to_c`: one portable C99 header.

The header scores rows bit for bit like the model (the contract is in
:mod:`embedsum.export._tables`). It is the model's constants and tables
(:mod:`embedsum.export._c_terms`) around the static runtime, ``_runtime.h`` and
``_runtime.c`` (:mod:`embedsum.export._c_runtime`), under a top comment that says how to use
it (:mod:`embedsum.export._c_comment`). Every identifier starts with a checked prefix, so the
headers of several models can be included in one translation unit (docs/design.md#export).
"""

from __future__ import annotations

from ._c_comment import _c_top_comment
from ._c_literals import _check_prefix
from ._c_runtime import _runtime
from ._c_terms import _CTerms
from ._tables import _NUMBER, _TEXT, _Tables


# P_predict of a multiclass model scores the classes this many at a time, so that its stack
# does not grow with the number of classes.
_CLASS_BLOCK = 64


def _c_source(t: _Tables, p: str) -> str:
    """The source of to_c for the checked tables ``t`` of a model and the checked prefix ``p``."""
    up = p.upper()
    flags = {"BINARY": t.kind == "binary", "MULTICLASS": t.kind == "multiclass",
             "REGRESSION": t.kind == "regression", "CLASSIFIER": t.is_classifier,
             "TEXT": _TEXT in t.kinds, "VALUES": _NUMBER in t.kinds}
    block = min(_CLASS_BLOCK, t.n_outputs)
    constants = [f"#define {up}_N_FEATURES {t.n_features}", f"#define {up}_N_OUTPUTS {t.n_outputs}"]
    if t.is_classifier:
        constants.append(f"#define {up}_N_CLASSES {len(t.classes)}")
    if t.kind == "multiclass":
        constants.append(f"#define {up}_CLASS_BLOCK {block}")
    terms = _CTerms(t, p)
    return "\n".join([
        _c_top_comment(t, p, block) + f"#ifndef {up}_EMBEDSUM_MODEL_H\n#define {up}_EMBEDSUM_MODEL_H\n",
        "\n".join(constants),
        _runtime("_runtime.h", p, flags),
        terms.tables(),
        terms.add_terms(),
        _runtime("_runtime.c", p, flags),
        f"#endif /* {up}_EMBEDSUM_MODEL_H */\n",
    ])


def to_c(model, prefix: str = "embedsum") -> str:
    """One portable C99 header that scores rows like ``model``, bit for bit.

    Tables are ``static const``, functions ``static inline``; no allocation, no
    writable global state. Entry points (``P`` = prefix):

    - binary classifier: ``P_decision(row, n, &z)``, ``P_decision_many(rows, n_rows, n,
      out)``, ``P_predict_proba(row, n, proba)`` (2 values), ``P_predict(row, n,
      &class_index)``, ``P_sigmoid(z)``, ``P_class_name(k)``;
    - multiclass: ``P_decision(row, n, z)`` fills ``double z[P_N_CLASSES]``
      (``P_N_OUTPUTS`` values), ``P_predict_proba`` their softmax, ``P_predict`` the
      index of the largest, ``P_decision_many`` ``n_rows * P_N_CLASSES`` values;
    - regressor: ``P_predict(row, n, &y)`` (also ``P_decision``, ``P_decision_many``).

    ``row`` is ``const double *`` (NaN = missing); numeric features and categorical
    features whose categories are numbers read it. Only a model with categorical
    features of strings takes a second argument ``const char *const *text``
    (``text[j]`` for such a feature j; NULL or "" = missing), so ``P_decision(row, text,
    n, &z)``; every other model keeps the signatures above. Each ``int`` function
    returns ``P_OK`` (0) or an error code (``P_ERR_N_FEATURES``, ``P_ERR_NULL``). The
    header's top comment says how to use and compile it (never with ``-ffast-math``).

    Pair terms (docs/design.md#pair-terms) are added after the main effects, each at the
    joint code of its two axes; the header's top comment lists them.

    The stack any entry point uses is bounded whatever the numbers of classes, features and
    pairs (the header says how much): arrays of one value per class are the caller's.

    ``prefix`` must be a C identifier (ValueError otherwise). Raises NotFittedError
    when ``model`` is not fitted.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> model = EmbeddingSumClassifier(max_bins=2).fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    >>> header = to_c(model, prefix="ransom")
    >>> "static inline int ransom_decision(const double *row, size_t n_features, double *out)" in header
    True
    """
    p = _check_prefix(prefix)  # a bad prefix is reported before an unfitted model
    return _c_source(_Tables(model), p)
