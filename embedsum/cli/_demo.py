"""The demo: train on the bundled breast cancer data and report held-out quality."""

from __future__ import annotations

import time

import numpy as np

from ..datasets import load_breast_cancer
from ..estimators._classifier import EmbeddingSumClassifier
from ..estimators._cv import EmbeddingSumClassifierCV
from ..inspection._metrics import log_loss, roc_auc


def stratified_split(y, test_size: float = 0.3, seed: int = 0):
    """Row indices of a seeded stratified train/test split.

    Example
    -------
    >>> train, test = stratified_split(np.array([0, 1] * 10), test_size=0.3)
    >>> len(train), len(test)
    (14, 6)
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(test_size * len(rows)))
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _fit_and_score(model, X, y, train, test) -> dict:
    start = time.perf_counter()
    model.fit(X[train], y[train])
    seconds = time.perf_counter() - start
    proba = model.predict_proba(X[test])[:, 1]
    positive = y[test] == model.classes_[1]
    return {
        "fit_seconds": seconds,
        "n_iter": model.n_iter_,
        "test_auc": roc_auc(positive, proba),
        "test_log_loss": log_loss(positive, proba),
        "test_accuracy": float(np.mean(model.predict(X[test]) == y[test])),
    }


def run_demo(top: int = 10, seed: int = 0, out=print) -> dict:
    """Fit on 70% of the breast cancer data, print fit time, test AUC, log-loss and top features.

    The model is the recommended :class:`~embedsum.EmbeddingSumClassifierCV`; a line
    compares it with the published defaults (:class:`~embedsum.EmbeddingSumClassifier`).
    Returns the figures as a dict (those of the published defaults under ``"published"``).

    Example
    -------
    >>> figures = run_demo(top=3, out=lambda line: None)
    >>> figures["test_auc"] > 0.95
    True
    """
    X, y, names = load_breast_cancer()
    train, test = stratified_split(y, 0.3, seed)
    import scipy.optimize  # noqa: F401  -- time the fit, not scipy's first import

    model = EmbeddingSumClassifierCV()
    result = _fit_and_score(model, X, y, train, test)
    result["published"] = published = _fit_and_score(EmbeddingSumClassifier(), X, y, train, test)
    out(f"Breast Cancer Wisconsin (Diagnostic): {len(train)} training rows, {len(test)} test rows, "
        f"{X.shape[1]} features; positive class: {str(model.classes_[1])!r}")
    out(f"fit (EmbeddingSumClassifierCV, 5-fold cross-validation included): {result['fit_seconds'] * 1000:.1f} ms, "
        f"step_loss_weight {model.step_loss_weight_:.3g} chosen from {len(model.cv_results_['step_loss_weight'])}")
    out(f"test AUC {result['test_auc']:.4f}   log-loss {result['test_log_loss']:.4f}   "
        f"accuracy {result['test_accuracy']:.4f}")
    out(f"published defaults (EmbeddingSumClassifier()): fit {published['fit_seconds'] * 1000:.1f} ms, "
        f"test AUC {published['test_auc']:.4f}   log-loss {published['test_log_loss']:.4f}   "
        f"accuracy {published['test_accuracy']:.4f}")
    out("features by importance (MIRAD):")
    for rank, j in enumerate(np.argsort(-model.feature_importances_)[:top], start=1):
        out(f"  {rank:2d}. {names[j]:<24s} {model.feature_importances_[j]:.4f}")
    return result
