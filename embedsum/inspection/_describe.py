"""A plain-text description of a fitted model: its features by importance and their shape functions.

Each feature's shape function is drawn as a small unicode bar chart, one line per bin, so
that a whole model can be read in an 80-column terminal.

Kinds of model: a binary classifier's scores are log-odds of ``classes_[1]``; a
regressor's are in target units (the text speaks of the prediction); a multiclass
classifier has one score per class in each bin, shown as a compact table (one column per
class, in ``classes_`` order, as many classes side by side as fit in 80 columns, the rest
in further blocks) instead of bars; when a class label is wider than a column (7
characters), the columns are numbered ``[0]``, ``[1]``, ... and a "columns:" line names them.

A categorical feature lists its categories by name, ordered by score, highest first (for
a multiclass model grouped by the class each category favours most: see
:func:`embedsum.explain.category_order`), then the "other" bin with how many rare
categories share it (and the first of them), the missing bin, and the score of a
category never seen in training ("unseen", which has no training rows and so no share).

A model fitted with ``uncertainty=True`` also shows, after each bin's score, ``±`` its standard
error (``bin_scores_se_``: the error of the bin's centred score, docs/design.md#uncertainty;
not for the multiclass table), and after each feature's importance the p-value of
``feature_tests_`` (is the step function flat?).
"""

from __future__ import annotations

import numpy as np

from ._describe_pairs import pair_lines, pair_scale
from ._edit_log import edit_lines
from ._kinds import _is_categorical, _kind, _label, feature_names
from ._shape_functions import _category_text, shape_functions
# The layout pieces, imported from here by the audit and the CLI too.
from ._text_layout import (_HALF, _INDENT, _LABEL, _UNSEEN, WIDTH, _column_names, _fit, _other_label,  # noqa: F401
                           _score_text, _share, _table, bin_labels, feature_bin_labels, printable, score_bar)


def _rows(model, record, j) -> list[tuple[str, object, float | None]]:
    """``(label, score or class scores, training share or None)`` of each bin, in display order."""
    if not record.is_categorical:
        labels = bin_labels(model.cuts_[j])
        scores = [*record.scores, record.missing_score]
        weights = [*record.weights, record.missing_weight]
        return list(zip(labels, scores, weights))
    rows = [(printable(_category_text(v)), s, w) for v, s, w in zip(record.categories, record.scores, record.weights)]
    rows.append((_other_label(record.rare_categories), record.other_score, record.other_weight))
    rows.append(("missing", record.missing_score, record.missing_weight))
    rows.append((_UNSEEN, record.unseen_score, None))
    return rows


def _standard_errors(model, record, j) -> list:
    """The standard error of each row of :func:`_rows` (None for the unseen score), or None without them."""
    errors = getattr(model, "bin_scores_se_", None)
    if errors is None:
        return None
    se = np.asarray(errors[j], dtype=np.float64)
    if not record.is_categorical:
        return list(se)
    m = len(record.categories)
    return [*se[record.bins], se[m], se[m + 1], None]  # kept categories in display order, other, missing


def _error_text(se) -> str:
    if se is None:
        return ""
    return f"±{se:.3f}" if se < 999.9995 else "±inf" if se == np.inf else f"±{se:.0e}"


def _header(model, kind: str, scale: float) -> list[str]:
    name, d = type(model).__name__, model.n_features_in_
    errors = ([] if getattr(model, "bin_scores_se_", None) is None else
              ["±: standard error of a score around its feature's mean; p: is the feature flat"])
    if kind == "regression":
        return [
            f"{name}: {d} features, predicts a number; scores are in target units",
            f"intercept {model.intercept_:+.6g}; prediction = intercept + one bin score per feature",
            f"bars: left of │ lowers the prediction, right raises it; a full side = {scale:.4g}",
            *errors,
            "features by importance (MIRAD):",
        ]
    classes = [_label(c) for c in model.classes_]
    if kind == "binary":
        return [
            f"{name}: {d} features, classes {classes} (positive: {classes[1]!r})",
            f"intercept {model.intercept_:+.6g}; decision = intercept + one bin score per feature",
            f"bars: left of │ lowers the decision, right raises it; a full side = {scale:.4g}",
            *errors,
            "features by importance (MIRAD):",
        ]
    lines = [
        f"{name}: {d} features, {len(classes)} classes {classes} (softmax)",
        "decision of each class = its intercept + one bin score per feature (logits)",
    ]
    if _column_names(model) != [printable(c) for c in classes]:  # numbered columns: say which is which
        items = [f"[{k}] {printable(c)}" for k, c in enumerate(classes)]
        line = "columns:"
        for item in items:
            if len(line) + 2 + len(item) > WIDTH and line != "columns:":
                lines.append(line)
                line = " " * (len("columns:") - 1)
            line += "  " + item
        lines.append(line)
    lines += _table(model, [("intercept", np.asarray(model.intercept_), None)])
    if getattr(model, "feature_tests_", None) is not None:
        lines.append("p: is the feature flat? (standard errors: bin_scores_se_)")
    lines.append("features by importance (MIRAD, mean over classes); per bin: each class's")
    lines.append("score, then the share of training rows:")
    return lines


def describe(model, top: int | None = None) -> str:
    """The model as text: its kind, intercept(s), then each feature's shape function by importance.

    One line per feature (``  1. name  importance 0.1234``), then one line per bin: the
    interval or the category, a bar proportional to the score (left of "│" lowers the
    decision, right raises it; the same scale for every feature shown), the score and the
    share of training rows; the missing-value bin last (for a categorical feature, after
    the "other" bin, and followed by the unseen score). A multiclass model shows each bin's
    class scores side by side instead of a bar (see the module docstring). No line is wider
    than 80 characters, and names and labels have their control characters escaped
    (:func:`printable`). ``top`` (None: every feature) shows only the most important ones.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> text = describe(EmbeddingSumClassifier(max_bins=2).fit(X, X[:, 0] > 0))
    >>> print(text.splitlines()[0])
    EmbeddingSumClassifier: 1 features, classes [False, True] (positive: True)
    >>> max(len(line) for line in text.splitlines()) <= 80
    True
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0):
        raise ValueError(f"top must be None or an integer >= 0, got {top!r}")
    kind = _kind(model)
    names = feature_names(model)
    records = shape_functions(model)
    order = np.argsort(-np.asarray(model.feature_importances_), kind="stable")
    shown = order[:top] if top is not None else order
    dropped = getattr(model, "dropped_features_", None)
    if dropped is not None and len(dropped):  # screened out: their scores are 0, nothing to draw
        shown = np.array([j for j in shown if not _is_dropped(names[j], int(j), dropped)], dtype=np.intp)
    rows = {int(j): _rows(model, records[j], j) for j in shown}
    scale = max((abs(float(s)) for j in rows for _, s, _ in rows[j] if np.ndim(s) == 0), default=0.0)
    scale = max(scale, pair_scale(model))  # one scale for the features' bars and the pairs' cells
    lines = _header(model, kind, scale)
    tests = getattr(model, "feature_tests_", None)
    for rank, j in enumerate(shown, start=1):
        suffix = f"  importance {model.feature_importances_[j]:.4f}"
        if tests is not None:
            suffix += f"  p {tests['p_value'][j]:.2g}"
        if records[j].is_categorical:
            suffix += "  (categories by score)"
        prefix = f"{rank:3d}. "
        lines.append(prefix + _fit(printable(names[j]), WIDTH - len(prefix) - len(suffix)) + suffix)
        if kind == "multiclass":
            lines += _table(model, rows[int(j)])
            continue
        errors = _standard_errors(model, records[j], j)
        half = _HALF if errors is None else _HALF - 4  # room for the ± column within 80 characters
        for i, (label, score, weight) in enumerate(rows[int(j)]):
            error = "" if errors is None else f" {_error_text(errors[i]):>7s}"
            lines.append(f"{_INDENT}{_fit(label, _LABEL):<{_LABEL}s} {score_bar(score, scale, half)} "
                         f"{_score_text(score):>9s}{error} {_share(weight)}".rstrip())
    lines += pair_lines(model, kind, scale, top)  # docs/design.md#pair-terms
    if dropped is not None and len(dropped):
        listed = ", ".join(printable(str(name if dropped.dtype == object else names[name]))
                           for name in dropped.tolist())
        lines.append(f"screened out before the fit (no signal; scores 0): {len(dropped)}: {listed}")
    lines += edit_lines(model)  # docs/design.md#edits
    # Labels were escaped where they are laid out; this pass covers the rest (class lists).
    return "\n".join(_fit(printable(line), WIDTH) for line in lines)


def _is_dropped(name, j: int, dropped) -> bool:
    """Whether feature ``j`` (called ``name``) is among ``dropped`` (names, or indices)."""
    values = dropped.tolist()
    return (name in values) if dropped.dtype == object else (j in values)
