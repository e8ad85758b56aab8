"""The kind of a fitted model (binary, multiclass, regression), the ``class_`` argument, its features.

What each kind's arrays are and what ``class_`` picks is in :mod:`embedsum.inspection._explain`.
"""

from __future__ import annotations

import numpy as np


def _kind(model) -> str:
    """"regression", "multiclass" or "binary"."""
    if not hasattr(model, "classes_"):
        return "regression"
    return "multiclass" if np.ndim(model.intercept_) == 1 else "binary"


def _label(value):
    """A class label as a plain Python value (numpy scalars print as their value)."""
    return value.item() if hasattr(value, "item") else value


def _class_choice(model, class_) -> tuple[int | None, float]:
    """``(k, sign)`` for ``class_``: k is the class column (None: all, or the one output)
    and sign is -1.0 when a binary model's values are read for ``classes_[0]``."""
    kind = _kind(model)
    if class_ is None:
        return None, 1.0
    if kind == "regression":
        raise ValueError(f"a regressor has no classes: leave class_=None (got {class_!r}).")
    matches = [k for k, c in enumerate(model.classes_) if _label(c) == class_]
    if not matches:
        raise ValueError(f"unknown class {class_!r}; class_ must be one of {[_label(c) for c in model.classes_]}")
    k = matches[0]
    if kind == "binary":
        return None, (1.0 if k == 1 else -1.0)
    return k, 1.0


def _select(values: np.ndarray, k: int | None, sign: float) -> np.ndarray:
    """One class's values (the last axis) and/or the binary sign, as :func:`_class_choice` says."""
    if k is not None:
        values = values[..., k]
    return -values if sign < 0 else values


def _is_categorical(model, j: int) -> bool:
    return model.cuts_[j] is None


def feature_names(model) -> list[str]:
    """The model's feature names: ``feature_names_in_`` when it has them, else ``x0, x1, ...``.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> feature_names(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0))
    ['x0', 'x1']
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(model.n_features_in_)]
    return [str(n) for n in names]


def term_names(model) -> list[str]:
    """The names of a model's terms, as the columns of its contributions: its features, then
    each pair ``a × b`` (U+00D7, the multiplication sign; docs/design.md#pair-terms): a
    character feature names rarely hold, unlike ``&``, which the audit's intersections use.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> term_names(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0))
    ['x0', 'x1']
    >>> model = EmbeddingSumClassifier(max_bins=4, interactions=[(0, 1)]).fit(X, X[:, 0] * X[:, 1] > 0)
    >>> term_names(model)
    ['x0', 'x1', 'x0 × x1']
    """
    names = feature_names(model)
    return names + [f"{names[a]} × {names[b]}" for a, b in getattr(model, "pairs_", None) or ()]
