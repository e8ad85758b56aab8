"""Nested cross-validation of EmbeddingSumClassifierCV's settings: how its defaults were chosen.

On the 70 % training split of each data set of ``bench_cv.py`` (breast cancer, ``credit_data``;
same loading, same fixed split, the test split is never used), for each setting (the defaults
or one option changed): 5 stratified outer folds (``StratifiedKFold(5, shuffle=True,
random_state=seed)``); ``EmbeddingSumClassifierCV(**setting)`` is fitted on each outer training
part (its own inner cross-validation included) and scored by log-loss on the outer held-out part.
Prints a Markdown table: the mean nested-CV log-loss per data set (over outer folds and seeds)
and the mean seconds of one fit.

Usage::

    python benchmarks/cv_defaults.py                      # every setting, seed 0
    python benchmarks/cv_defaults.py --seeds 0 1 2 --settings defaults average_folds max_bins=20
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

from bench_cv import data_sets, split
from embedsum import EmbeddingSumClassifierCV

# name on the command line, label in the table, options given to EmbeddingSumClassifierCV
SETTINGS = [
    ("defaults", "**defaults** (64 bins, `tol=1e-4`, refit, 8 weights, 5 folds)", {}),
    ("average_folds", "`average_folds=True` (the mean of the fold models, no refit)", {"average_folds": True}),
    ("max_bins=20", "`max_bins=20`", {"max_bins": 20}),
    ("max_bins=32", "`max_bins=32`", {"max_bins": 32}),
    ("max_bins=128", "`max_bins=128`", {"max_bins": 128}),
    ("tol=1e-5", "`tol=1e-5`", {"tol": 1e-5}),
    ("tol=1e-6", "`tol=1e-6` (the base class's)", {"tol": 1e-6}),
    ("l2s", "`l2s=[0, 1e-3, 1e-2]` (l2 tuned too)", {"l2s": [0, 1e-3, 1e-2]}),
    ("step_loss_weights=12", "`step_loss_weights=12` (a finer grid)", {"step_loss_weights": 12}),
    ("cv=10", "`cv=10`", {"cv": 10}),
]


def nested_cv(X, y, options: dict, seeds) -> tuple[float, float]:
    """(mean outer-fold log-loss, mean fit seconds) of EmbeddingSumClassifierCV(**options)."""
    losses, seconds = [], []
    for seed in seeds:
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
            start = time.perf_counter()
            model = EmbeddingSumClassifierCV(**options).fit(X[train], y[train])
            seconds.append(time.perf_counter() - start)
            losses.append(log_loss(y[test], model.predict_proba(X[test])[:, 1]))
    return float(np.mean(losses)), float(np.mean(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds of the outer folds (default 0)")
    parser.add_argument("--settings", nargs="+", choices=[s[0] for s in SETTINGS], default=[s[0] for s in SETTINGS])
    args = parser.parse_args()

    print(f"outer folds: StratifiedKFold(5, shuffle=True), seeds {args.seeds}; "
          f"load average {os.getloadavg()[0]:.2f}")
    sets = [(name.split(" (")[0], *split(X, y)[::2]) for name, X, y in data_sets()]  # (name, X_train, y_train)
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        EmbeddingSumClassifierCV().fit(sets[0][1][:100], sets[0][2][:100])  # warm-up: imports are not timed
        for key, label, options in SETTINGS:
            if key in args.settings:
                results[label] = [nested_cv(X, y, options, args.seeds) for _, X, y in sets]

    print(f"\n| setting (else the defaults) | {' | '.join(f'{name}: nested-CV log-loss' for name, _, _ in sets)} "
          "| mean fit s (cancer / credit) |")
    print("|---|" + "---:|" * (len(sets) + 1))
    for label, per_set in results.items():
        print(f"| {label} | {' | '.join(f'{loss:.4f}' for loss, _ in per_set)} "
              f"| {' / '.join(f'{s:.2f}' for _, s in per_set)} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
