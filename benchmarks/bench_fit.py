"""Fit time and quality of embedsum beside the published torch training and scikit-learn.

For each data set (breast cancer, and the MIRAD-like counts of ``mirad_data.py``), with
one fixed stratified 70/30 split, this script fits in the same run:

- ``embedsum.EmbeddingSumClassifier()`` with its defaults (L-BFGS-B), timed as the best of 3 fits
  (threadpoolctl, which scikit-learn installs, is importable here, so the fit runs
  L-BFGS-B with one BLAS thread, as it does for any user who has threadpoolctl);
- the published training (``published_torch.py``: float32, plain SGD, lr 10, 1000 epochs), timed once;
- scikit-learn's ``KBinsDiscretizer(n_bins=20, strategy="quantile", encode="onehot")`` +
  ``LogisticRegression`` in a Pipeline, timed as the best of 3 fits;

and prints per data set: fit seconds, the speed-up of each model over the published
torch training (torch seconds / model seconds), the published objective on the training
data evaluated in float64 by embedsum's evaluator on the same bins (embedsum and torch
only: scikit-learn's bins and penalty differ), test ROC AUC and test log-loss.

Usage::

    python benchmarks/bench_fit.py              # 100,000 generated rows
    python benchmarks/bench_fit.py --rows 20000 # another size of the generated set
    python benchmarks/bench_fit.py --profile    # and where an embedsum fit spends its time

The target printed at the end: embedsum fits >= 100x faster than the published torch
training on both data sets, and reaches a published objective <= torch's.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import re
import time
import warnings

import numpy as np
import scipy  # noqa: F401  embedsum imports scipy lazily inside fit; load it before any timing
import scipy.optimize  # noqa: F401
import sklearn
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import KBinsDiscretizer

import embedsum
from embedsum import Digitizer, EmbeddingSumClassifier
from embedsum.datasets import load_breast_cancer
from mirad_data import make_mirad_like
from published_torch import EPOCHS, LEARNING_RATE, fit_published, published_objective

SPEEDUP_TARGET = 100.0
REPEATS = 3
SEED = 0


def n_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def best_of(repeats: int, fit):
    """Run ``fit()`` ``repeats`` times; return (fastest wall seconds, last result, warnings seen)."""
    best, result, seen = float("inf"), None, []
    for _ in range(repeats):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            result = fit()
            best = min(best, time.perf_counter() - start)
        seen = [f"{w.category.__name__}: {w.message}" for w in caught]
    return best, result, seen


def summarise(messages) -> str:
    """Distinct warnings, with feature numbers folded together (e.g. "... in feature N ... (x11)")."""
    if not messages:
        return "none"
    counts = {}
    for message in messages:
        key = re.sub(r"feature \d+", "feature N", message)
        counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{key} (x{count})" for key, count in counts.items())


def sklearn_pipeline() -> Pipeline:
    """Quantile one-hot bins + logistic regression, the scikit-learn peer."""
    return Pipeline([
        ("bins", KBinsDiscretizer(n_bins=20, strategy="quantile", encode="onehot")),
        ("logreg", LogisticRegression(max_iter=10_000)),
    ])


def warm_up() -> None:
    """One small fit of each kind, so that first-call costs (imports, allocators) are not timed."""
    X, y = make_mirad_like(500, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        EmbeddingSumClassifier().fit(X, y)
        fit_published(X, y, epochs=5)
        sklearn_pipeline().fit(X, y)


def data_sets(n_rows: int):
    """(name, X, y in {0, 1}) of each benchmark data set."""
    X, labels, _ = load_breast_cancer()
    y = (labels == "malignant").astype(np.int64)
    yield "breast cancer (569 x 30, positive = malignant)", X, y
    X, y = make_mirad_like(n_rows, seed=SEED)
    yield f"MIRAD-like counts ({n_rows:,} x {X.shape[1]}, seed {SEED})", X, y


def split(X, y):
    """The fixed stratified 70/30 split: X_train, X_test, y_train, y_test."""
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=SEED)


def profile_fit(X, y, top: int = 10) -> None:
    """Print where one default embedsum fit spends its time (cProfile, sorted by own time)."""
    X_train, _, y_train, _ = split(X, y)
    profiler = cProfile.Profile()
    profiler.enable()
    EmbeddingSumClassifier().fit(X_train, y_train)
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(top)
    lines = [line for line in stream.getvalue().strip().splitlines() if line.strip()]
    print("\n".join(line for line in lines if "Ordered by" not in line and "List reduced" not in line))


def run(name: str, X, y) -> dict:
    """Fit the three models on one data set, print its table, return the figures of the target."""
    X_train, X_test, y_train, y_test = split(X, y)
    print(f"\n=== {name}: train {len(y_train):,} rows, test {len(y_test):,} rows, "
          f"positive rate {y_train.mean():.3f}")

    emb_seconds, emb, emb_warnings = best_of(REPEATS, lambda: EmbeddingSumClassifier().fit(X_train, y_train))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own notices; the published code has none to give
        pub = fit_published(X_train, y_train)
    skl_seconds, skl, skl_warnings = best_of(REPEATS, lambda: sklearn_pipeline().fit(X_train, y_train))

    # The published objective, float64, on the same training bins for both models.
    digitizer = Digitizer(max_bins=20).fit(X_train)
    assert all(np.array_equal(a, b) for a, b in zip(digitizer.cuts_, emb.cuts_)), "bins differ"
    assert all(np.array_equal(a, b) for a, b in zip(digitizer.cuts_, pub.digitizer.cuts_)), "bins differ"
    codes = digitizer.transform(X_train)

    def objective(scores, bias):
        return published_objective(codes, y_train, digitizer.bin_weights_, digitizer.n_bins_, scores, bias)

    emb_objective = objective(emb.bin_scores_, emb.intercept_)
    pub_objective = objective(pub.bin_scores, pub.bias)

    rows = [
        ("embedsum (L-BFGS-B)", emb_seconds, f"best of {REPEATS}", emb_objective,
         emb.predict_proba(X_test)[:, 1]),
        (f"published torch (SGD lr {LEARNING_RATE:g}, {EPOCHS} ep.)", pub.fit_seconds, "once", pub_objective,
         pub.predict_proba(X_test)),
        ("sklearn KBins(20, quantile) + LogReg", skl_seconds, f"best of {REPEATS}", None,
         skl.predict_proba(X_test)[:, 1]),
    ]
    header = (f"{'model':<40} {'fit s':>9} {'timed':>10} {'speed-up vs published':>22} "
              f"{'published objective (train)':>28} {'test AUC':>9} {'test log-loss':>14}")
    print(header)
    print("-" * len(header))
    for model, seconds, timed, obj, proba in rows:
        obj_text = f"{obj:.10f}" if obj is not None else "n/a (other bins/penalty)"
        print(f"{model:<40} {seconds:>9.4f} {timed:>10} {pub.fit_seconds / seconds:>21.1f}x "
              f"{obj_text:>28} {roc_auc_score(y_test, proba):>9.4f} {log_loss(y_test, proba):>14.4f}")

    speedup = pub.fit_seconds / emb_seconds
    tail = pub.loss_history[-100:]
    print(f"embedsum objective <= torch's: {emb_objective <= pub_objective} "
          f"(embedsum - torch = {emb_objective - pub_objective:+.3e})")
    print(f"embedsum: {emb.n_iter_} L-BFGS-B iterations; warnings: {summarise(emb_warnings)}")
    print(f"torch: float32 loss at epochs 1 / {EPOCHS // 2} / {EPOCHS}: {pub.loss_history[0]:.6f} / "
          f"{pub.loss_history[EPOCHS // 2 - 1]:.6f} / {pub.loss_history[-1]:.6f}; "
          f"min..max over the last 100 epochs: {tail.min():.6f}..{tail.max():.6f}")
    print(f"sklearn warnings: {summarise(skl_warnings)}")
    return {"speedup": speedup, "objective_ok": emb_objective <= pub_objective}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the MIRAD-like data set")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of one embedsum fit on the MIRAD-like training split")
    args = parser.parse_args()

    cores = n_cores()
    torch.set_num_threads(cores)
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, embedsum {embedsum.__version__}")
    print(f"{platform.machine()} with {cores} cores; torch.set_num_threads({cores}) "
          f"(torch uses {torch.get_num_threads()} threads); load average {os.getloadavg()[0]:.2f}")
    warm_up()

    results = []
    for name, X, y in data_sets(args.rows):
        results.append(run(name, X, y))
    if args.profile:
        print(f"\ncProfile of one embedsum fit on the MIRAD-like training split ({len(y) * 7 // 10:,} rows):")
        profile_fit(X, y)

    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    speedups = ", ".join(f"{r['speedup']:.1f}x" for r in results)
    ok = all(r["speedup"] >= SPEEDUP_TARGET and r["objective_ok"] for r in results)
    print(f"target: fit >= {SPEEDUP_TARGET:g}x faster than published torch on both data sets, "
          f"reaching objective <= torch's: {'PASS' if ok else 'FAIL'} "
          f"(speed-ups {speedups}; objective <= torch's: {[r['objective_ok'] for r in results]})")


if __name__ == "__main__":
    main()
