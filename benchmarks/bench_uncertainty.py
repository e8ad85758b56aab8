"""Laplace intervals (uncertainty=True) beside a bootstrap, and what uncertainty=True costs at fit.

a) Coverage and width. Data sets are drawn from a known additive logistic model over three
   features of five values each (the third one null), as in tests/test_uncertainty_coverage.py:
   ``eta = -0.3 + f0(x0) + f1(x1)``, one bin per value (``binning="adaptive"``), so the truth is a
   step function on the model's bins. For each data set (``--datasets``, default 50; ``--rows``,
   default 1000) this script fits ``EmbeddingSumClassifier(max_bins=5, binning="adaptive",
   uncertainty=True)`` once and ``--bootstrap`` (default 200) times more on rows resampled with
   replacement (as sample weights: a row drawn k times weighs k), and builds three 95 % intervals
   for every centred bin score (score minus the feature's training-weighted mean) and for the
   decision value at each of the 125 value combinations:

   - Laplace: the model's own, ``bin_scores_se_`` and ``decision_interval``;
   - bootstrap percentile: the 2.5 % and 97.5 % quantiles of the refits;
   - bootstrap normal: the estimate +- 1.96 times the refits' standard deviation.

   It prints each kind's coverage of the truth (the share of intervals holding it, over all
   bins or combinations of all data sets) and mean width, and the time per data set.

b) Overhead. ``EmbeddingSumClassifier()`` and ``EmbeddingSumClassifierCV()`` with their defaults on
   the bundled breast cancer and German credit data and on 70,000 MIRAD-like rows
   (``mirad_data.py``): fit seconds with uncertainty False and True (best of 3), their ratio, the
   number of parameters of the covariance, and the size of the saved document both ways.

Usage::

    python benchmarks/bench_uncertainty.py [--datasets 50] [--bootstrap 200] [--rows 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import scipy.optimize  # noqa: F401  embedsum imports scipy lazily inside fit; load it before any timing
import scipy.sparse  # noqa: F401

import embedsum
from embedsum import EmbeddingSumClassifier, EmbeddingSumClassifierCV
from embedsum.datasets import load_breast_cancer, load_german_credit
from mirad_data import make_mirad_like

TRUTH = [np.array([-0.8, -0.4, 0.0, 0.4, 0.8]), np.array([0.5, -0.5, 0.5, -0.5, 0.0]), np.zeros(5)]
INTERCEPT = -0.3
GRID = np.array([[a, b, c] for a in range(5) for b in range(5) for c in range(5)], dtype=float)
Z95 = 1.959963984540054


def _effect(X):
    return INTERCEPT + sum(TRUTH[j][X[:, j].astype(int)] for j in range(3))


def _centred(model):
    """The centred scores of the five value bins of each feature, concatenated (15 values)."""
    return np.concatenate([s[:5] - w @ s for s, w in zip(model.bin_scores_, model.bin_weights_)])


def _fit(X, y, sample_weight=None, uncertainty=False):
    return EmbeddingSumClassifier(max_bins=5, binning="adaptive", uncertainty=uncertainty).fit(
        X, y, sample_weight=sample_weight)


def coverage(n_datasets: int, n_boot: int, n_rows: int) -> None:
    hits = {kind: {"shape": [], "decision": []} for kind in ("laplace", "percentile", "normal")}
    widths = {kind: {"shape": [], "decision": []} for kind in hits}
    true_grid = _effect(GRID)
    start = time.perf_counter()
    for seed in range(n_datasets):
        rng = np.random.default_rng(seed)
        X = rng.integers(0, 5, size=(n_rows, 3)).astype(float)
        y = rng.random(n_rows) < 1.0 / (1.0 + np.exp(-_effect(X)))
        model = _fit(X, y, uncertainty=True)
        truth = np.concatenate([t - w[:5] @ t for t, w in zip(TRUTH, model.bin_weights_)])
        estimate = {"shape": _centred(model), "decision": model.decision_function(GRID)}
        target = {"shape": truth, "decision": true_grid}
        se = np.concatenate([s[:5] for s in model.bin_scores_se_])
        lower, upper = model.decision_interval(GRID)
        intervals = {"laplace": {"shape": (estimate["shape"] - Z95 * se, estimate["shape"] + Z95 * se),
                                 "decision": (lower, upper)}}
        boot = {"shape": [], "decision": []}
        for _ in range(n_boot):
            counts = np.bincount(rng.integers(0, n_rows, size=n_rows), minlength=n_rows).astype(float)
            refit = _fit(X, y, sample_weight=counts)
            # The truth of a refit's centred shape uses the original rows' weights: centre on them.
            scores = [s[:5] - w @ s for s, w in zip(refit.bin_scores_, model.bin_weights_)]
            boot["shape"].append(np.concatenate(scores))
            boot["decision"].append(refit.decision_function(GRID))
        for what in ("shape", "decision"):
            draws = np.array(boot[what])
            intervals.setdefault("percentile", {})[what] = tuple(np.quantile(draws, [0.025, 0.975], axis=0))
            sd = draws.std(axis=0, ddof=1)
            intervals.setdefault("normal", {})[what] = (estimate[what] - Z95 * sd, estimate[what] + Z95 * sd)
        for kind in hits:
            for what in ("shape", "decision"):
                lo, hi = intervals[kind][what]
                hits[kind][what].append((lo <= target[what]) & (target[what] <= hi))
                widths[kind][what].append(hi - lo)
    seconds = (time.perf_counter() - start) / n_datasets
    print(f"a) {n_datasets} data sets of {n_rows} rows, {n_boot} bootstrap refits each "
          f"({seconds:.2f} s per data set); nominal 95 %:\n")
    print("| intervals | centred shape: coverage | mean width | decision value: coverage | mean width |")
    print("|---|---:|---:|---:|---:|")
    names = {"laplace": "Laplace (uncertainty=True)", "percentile": f"bootstrap percentile ({n_boot} refits)",
             "normal": f"bootstrap normal ({n_boot} refits)"}
    for kind in hits:
        cells = []
        for what in ("shape", "decision"):
            cells += [f"{100 * np.mean(hits[kind][what]):.1f} %", f"{np.mean(widths[kind][what]):.3f}"]
        print(f"| {names[kind]} | " + " | ".join(cells) + " |")
    print()


def _best_of(fit, repeats: int = 3):
    best, model = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        best = min(best, time.perf_counter() - start)
    return best, model


def overhead() -> None:
    Xb, yb, _ = load_breast_cancer()
    Xg, yg, _ = load_german_credit()
    Xm, ym = make_mirad_like(70_000)[:2]
    print("b) fit time with uncertainty=False and True (best of 3), covariance size, saved document size:\n")
    print("| data (rows x features) | estimator | fit s, off | fit s, on | ratio | parameters | document off | "
          "document on |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, X, y in (("breast cancer", Xb, yb), ("German credit", Xg, yg), ("MIRAD-like", Xm, ym)):
        for estimator in (EmbeddingSumClassifier, EmbeddingSumClassifierCV):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator(uncertainty=True).fit(X[:200], y[:200])  # warm: the first call loads scipy's parts
                off, plain = _best_of(lambda: estimator().fit(X, y))
                on, model = _best_of(lambda: estimator(uncertainty=True).fit(X, y))
            print(f"| {name} ({X.shape[0]:,} x {X.shape[1]}) | `{estimator.__name__}()` | {off:.3f} | {on:.3f} | "
                  f"{on / off:.2f}x | {model.covariance_.shape[0]:,} | {len(plain.to_json()) / 1e3:,.0f} kB | "
                  f"{len(model.to_json()) / 1e3:,.0f} kB |", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    print(f"embedsum {embedsum.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores\n")
    coverage(args.datasets, args.bootstrap, args.rows)
    overhead()


if __name__ == "__main__":
    main()
