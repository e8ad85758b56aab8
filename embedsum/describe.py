"""A plain-text description of a fitted model: its features by importance and their step functions."""

from __future__ import annotations

import numpy as np

__all__ = ["bin_labels", "describe"]


def bin_labels(cuts) -> list[str]:
    """Readable interval of each bin of one feature, then ``"missing"``.

    Example
    -------
    >>> bin_labels([1.0, 2.5])
    ['(-inf, 1]', '(1, 2.5]', '(2.5, inf)', 'missing']
    """
    edges = [-np.inf, *[float(c) for c in cuts], np.inf]
    labels = [f"({lo:g}, {hi:g}]" for lo, hi in zip(edges[:-2], edges[1:-1])]
    labels.append(f"({edges[-2]:g}, inf)")
    return labels + ["missing"]


def describe(model, top: int | None = None) -> str:
    """The model as text: classes, intercept, then each feature's bins by importance.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> text = describe(EmbeddingSumClassifier(max_bins=2).fit(X, X[:, 0] > 0))
    >>> print(text.splitlines()[0])
    EmbeddingSumClassifier: 1 features, classes [False, True] (positive: True)
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = [f"x{j}" for j in range(model.n_features_in_)]
    classes = [c.item() if hasattr(c, "item") else c for c in model.classes_]
    lines = [
        f"{type(model).__name__}: {model.n_features_in_} features, classes {classes} (positive: {classes[1]!r})",
        f"intercept {model.intercept_:+.6g}; decision = intercept + one bin score per feature",
        "features by importance (MIRAD):",
    ]
    order = np.argsort(-model.feature_importances_, kind="stable")
    for rank, j in enumerate(order[:top] if top is not None else order, start=1):
        lines.append(f"{rank:3d}. {names[j]}  importance {model.feature_importances_[j]:.4f}")
        for label, score, weight in zip(bin_labels(model.cuts_[j]), model.bin_scores_[j], model.bin_weights_[j]):
            lines.append(f"       {label:<28s} score {score:+.4f}   rows {100 * weight:5.1f}%")
    return "\n".join(lines)
