"""group_report: per-group metrics of a fitted model, with differences and ratios to a
reference group and seeded bootstrap confidence intervals."""

from __future__ import annotations

import numpy as np

from ..inspection._kinds import _class_choice, _label
from ..scoring._decision import softmax
from ._groups import groups_of
from ._metrics import BINARY_METRICS, REGRESSION_METRICS, binary_metrics, regression_metrics
from ._model import ModelView, decision_threshold, probabilities
from ._report_text import GroupReport


def _positive(view: ModelView, y, class_) -> tuple[np.ndarray, object]:
    """Booleans "y is the positive class", and that class's label."""
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    classes = [_label(c) for c in view.model.classes_]
    labels = [_label(v) for v in y.tolist()]
    # Labels read from a file may be text for classes that are numbers (or the reverse).
    by_text = {str(c): c for c in classes}
    labels = [v if v in classes else by_text.get(str(v), v) for v in labels]
    unknown = sorted({str(v) for v in labels if v not in classes})
    if unknown:
        raise ValueError(f"y holds labels the model does not know: {unknown[:5]}; its classes are {classes}")
    positive = classes[1] if class_ is None else class_
    return np.array([v == positive for v in labels], dtype=bool), positive


def _scored(view: ModelView, X, y, threshold, class_):
    """(metric names, function rows -> metric vector, positive class) for the model's kind."""
    model = view.model
    z = view.decisions(*view.codes(X))
    if view.kind == "regression":
        if class_ is not None:
            raise ValueError("a regressor has no classes: leave class_=None")
        if y is None:
            return REGRESSION_METRICS[1:2], lambda rows: regression_metrics(z[rows], z[rows])[:1], None
        target = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y, dtype=np.float64)
        return REGRESSION_METRICS, lambda rows: regression_metrics(target[rows], z[rows]), None
    if view.kind == "multiclass":
        if class_ is None:
            raise ValueError("group_report reads a multiclass model one class against the rest: pass class_= one "
                             f"of {[_label(c) for c in model.classes_]}")
        k, _ = _class_choice(model, class_)
        proba = softmax(z)[:, k]
        selected = np.argmax(z, axis=1) == k  # predict's rule; the threshold does not apply
    else:
        _class_choice(model, class_)  # checks the label
        sign = 1.0 if class_ is None or class_ == _label(model.classes_[1]) else -1.0
        cut = decision_threshold(threshold)
        proba = probabilities(sign * z)
        # P(positive) > threshold; for classes_[0] at 0.5, predict's own rule (z <= 0), ties included.
        selected = (z > cut) if sign > 0 else (~(z > 0.0) if cut == 0.0 else (-z > cut))
    if y is None:  # what needs no labels: the mean probability and the selection rate
        none = np.zeros(len(z), dtype=bool)
        label = _label(model.classes_[1]) if class_ is None else class_
        return BINARY_METRICS[1:3], lambda rows: binary_metrics(none[rows], proba[rows], selected[rows])[1:3], label
    positive, label = _positive(view, y, class_)
    return BINARY_METRICS, lambda rows: binary_metrics(positive[rows], proba[rows], selected[rows]), label


def group_report(model, X, y, sensitive, *, threshold: float = 0.5, reference=None, class_=None,
                 n_bootstrap: int = 200, confidence: float = 0.95, random_state=0) -> GroupReport:
    """Per-group metrics of a fitted model, compared with a reference group.

    For each group of ``sensitive`` (one column, or several: their intersections; see
    :mod:`embedsum.audit._groups`): the number of rows ``n`` and, for a binary classifier,
    the base rate of ``classes_[1]`` (the positive class), the mean predicted probability,
    the selection rate (share of rows whose decision value exceeds ``logit(threshold)``, so
    at 0.5 the rows ``predict`` labels ``classes_[1]``), TPR, FPR, FNR, ROC AUC, log-loss
    (probabilities clipped to [1e-15, 1 - 1e-15]) and the expected calibration error
    (ECE over 10 equal-width probability bins). Each metric also has its difference
    (group - reference) and ratio (group / reference) to the reference group.

    Confidence intervals are percentile bootstrap intervals: ``n_bootstrap`` resamples of
    each group's rows (with replacement, each group apart), drawn from
    ``numpy.random.default_rng(random_state)``, so a seed always gives the same intervals.
    The difference and ratio intervals pair the group's and the reference's resamples.

    Other kinds: a multiclass model is read one class against the rest, with
    ``class_=label`` (selection = the model predicts that class; ``threshold`` is not
    used); without ``class_`` it is a ValueError. A regressor reports the mean target, the
    mean prediction, RMSE and MAE.

    Parameters
    ----------
    model : fitted embedsum classifier or regressor
    X : array-like or data frame of shape (n, n_features)
    y : array-like of shape (n,), the true labels (values for a regressor), or None: then only
        what needs no labels is reported (mean probability and selection rate; mean prediction)
    sensitive : column name or index of X, labels of length n, or a list of those
    threshold : float, default=0.5
    reference : group label or None (default: the largest group)
    class_ : a label of ``classes_`` (the positive class), or None for ``classes_[1]``
    n_bootstrap : int, default=200 (0: no intervals)
    confidence : float, default=0.95
    random_state : int or None, default=0

    Returns
    -------
    GroupReport
        ``.rows``: one record (dict) per group, reference first; ``.to_text()``;
        ``.to_frame()`` with pandas.

    Example
    -------
    >>> from embedsum import EmbeddingSumClassifier
    >>> from embedsum.datasets import load_german_credit
    >>> X, y, names = load_german_credit()
    >>> model = EmbeddingSumClassifier().fit(X, y)
    >>> report = group_report(model, X, y, names.index("sex"), n_bootstrap=50)
    >>> [row["group"] for row in report.rows], report.positive
    (['male', 'female'], 'good')
    >>> report.rows[1]["selection_rate_diff"] < 0      # women are selected less often
    True
    """
    view = ModelView(model)
    n = len(X) if not hasattr(X, "shape") else X.shape[0]
    if n == 0:
        raise ValueError("X has no rows")
    if y is not None and len(y) != n:
        raise ValueError(f"y has {len(y)} values for {n} rows of X")
    if type(n_bootstrap) is not int or n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be an integer >= 0, got {n_bootstrap!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    metrics, compute, positive = _scored(view, X, y, threshold, class_)
    groups = groups_of(X, sensitive, n)
    ref = 0 if reference is None else groups.position(reference)
    order = [ref] + [g for g in range(len(groups.labels)) if g != ref]
    members = [np.flatnonzero(groups.index == g) for g in range(len(groups.labels))]
    point = [compute(rows) for rows in members]
    rng = np.random.default_rng(random_state)
    replicates = [np.array([compute(rows[rng.integers(0, len(rows), len(rows))]) for _ in range(n_bootstrap)])
                  .reshape(n_bootstrap, len(metrics)) for rows in members]
    tail = (1.0 - float(confidence)) / 2.0
    records = []
    for g in order:
        record = {"group": groups.labels[g], "n": len(members[g])}
        with np.errstate(divide="ignore", invalid="ignore"):
            diff, ratio = point[g] - point[ref], point[g] / point[ref]
            rep_diff, rep_ratio = replicates[g] - replicates[ref], replicates[g] / replicates[ref]
        for m, name in enumerate(metrics):
            record[name] = float(point[g][m])
            record[f"{name}_lo"], record[f"{name}_hi"] = _interval(replicates[g][:, m], tail)
            record[f"{name}_diff"] = float(diff[m])
            record[f"{name}_diff_lo"], record[f"{name}_diff_hi"] = _interval(rep_diff[:, m], tail, g == ref)
            record[f"{name}_ratio"] = float(ratio[m]) if np.isfinite(ratio[m]) else float("nan")
            record[f"{name}_ratio_lo"], record[f"{name}_ratio_hi"] = _interval(rep_ratio[:, m], tail, g == ref)
        records.append(record)
    return GroupReport(records, metrics, groups.name, groups.labels[ref], view.kind, float(threshold), positive,
                       n_bootstrap, float(confidence), random_state)


def _interval(values: np.ndarray, tail: float, skip: bool = False) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if skip or len(values) == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(values, [tail, 1.0 - tail])
    return float(lo), float(hi)
