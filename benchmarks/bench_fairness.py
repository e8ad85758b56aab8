"""Accuracy and disparity of fair fits on the German credit data: embedsum's constraint beside fairlearn's.

Data: the Statlog German credit data bundled with embedsum (1,000 applicants, 21 features, 14 of
them text; `embedsum.datasets.load_german_credit`), label "good", sensitive attribute `sex`.
The sensitive column stays a feature of the first unconstrained model and is dropped from the
others (a fair model need not see it; fairlearn's reductions are given it apart, as is embedsum's
`sensitive_features=`). In this data `personal_status` determines `sex` (every woman is
"divorced/separated/married", no man is), so dropping `sex` alone hides nothing: the two
unconstrained models are nearly the same, which is why a bound inside the fit is needed. Stratified 70/30 splits, seeds 0..4; each figure is the mean over the seeds.

Models:
- `EmbeddingSumClassifier()` unconstrained, with and without the sensitive column;
- `EmbeddingSumClassifier(fairness="demographic_parity", fairness_tolerance=t)` for a few t,
  fitted with `sensitive_features=`: the bound is on the difference of the groups' mean
  predicted probabilities on the training rows, enforced inside the solve;
- fairlearn's `ExponentiatedGradient(EmbeddingSumClassifier(), DemographicParity())` (a randomised
  mixture of models; its probabilities are the mixture's `_pmf_predict`) and
  `ThresholdOptimizer(EmbeddingSumClassifier(), constraints="demographic_parity")` (group-specific
  thresholds, so it needs the group at prediction time, and has no probabilities).

Columns: held-out accuracy, AUC and log-loss (where the model has probabilities), the difference of
the groups' mean predicted probability on the training and held-out rows, the difference of their
selection rates at 0.5 on held-out rows (fairlearn's `demographic_parity_difference`), and fit time.

Usage::

    python benchmarks/bench_fairness.py            # ~1 min on 2 cores
    python benchmarks/bench_fairness.py --seeds 0  # one split
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from embedsum import EmbeddingSumClassifier
from embedsum.datasets import load_german_credit


def _mean_gap(p, groups) -> float:
    means = [float(np.mean(p[groups == g])) for g in np.unique(groups)]
    return max(means) - min(means)


def _fit_predict(name, X_train, y_train, s_train, X_test, s_test, tolerance=None):
    from fairlearn.postprocessing import ThresholdOptimizer
    from fairlearn.reductions import DemographicParity, ExponentiatedGradient

    start = time.perf_counter()
    p_train = p_test = None
    if name == "embedsum fair":
        model = EmbeddingSumClassifier(fairness="demographic_parity", fairness_tolerance=tolerance)
        model.fit(X_train, y_train, sensitive_features=s_train)
        seconds = time.perf_counter() - start
        p_train, p_test = model.predict_proba(X_train)[:, 1], model.predict_proba(X_test)[:, 1]
        labels = (p_test > 0.5).astype(int)
    elif name == "fairlearn ExponentiatedGradient":
        model = ExponentiatedGradient(EmbeddingSumClassifier(), DemographicParity())
        model.fit(X_train, y_train, sensitive_features=s_train)
        seconds = time.perf_counter() - start
        p_train, p_test = model._pmf_predict(X_train)[:, 1], model._pmf_predict(X_test)[:, 1]
        labels = model.predict(X_test, random_state=0)
    elif name == "fairlearn ThresholdOptimizer":
        model = ThresholdOptimizer(estimator=EmbeddingSumClassifier(), constraints="demographic_parity",
                                   predict_method="predict_proba")
        model.fit(X_train, y_train, sensitive_features=s_train)
        seconds = time.perf_counter() - start
        labels = model.predict(X_test, sensitive_features=s_test, random_state=0)
    else:
        model = EmbeddingSumClassifier().fit(X_train, y_train)
        seconds = time.perf_counter() - start
        p_train, p_test = model.predict_proba(X_train)[:, 1], model.predict_proba(X_test)[:, 1]
        labels = (p_test > 0.5).astype(int)
    return p_train, p_test, np.asarray(labels), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--tolerances", type=float, nargs="+", default=[0.1, 0.05, 0.02])
    args = parser.parse_args()
    from fairlearn.metrics import demographic_parity_difference
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split

    X, labels, names = load_german_credit()
    y = (labels == "good").astype(int)
    sex = X[:, names.index("sex")].astype(str)
    without = [j for j in range(X.shape[1]) if names[j] != "sex"]
    runs = [("embedsum unconstrained (sex a feature)", None, "all"), ("embedsum unconstrained", None, "without")]
    runs += [("embedsum fair", t, "without") for t in args.tolerances]
    runs += [("fairlearn ExponentiatedGradient", None, "without"), ("fairlearn ThresholdOptimizer", None, "without")]
    rows = {}
    for seed in args.seeds:
        train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=seed)
        for name, tolerance, columns in runs:
            cols = list(range(X.shape[1])) if columns == "all" else without
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p_train, p_test, predicted, seconds = _fit_predict(
                    name, X[train][:, cols], y[train], sex[train], X[test][:, cols], sex[test], tolerance)
            result = {
                "accuracy": float(np.mean(predicted == y[test])),
                "auc": np.nan if p_test is None else roc_auc_score(y[test], p_test),
                "log_loss": np.nan if p_test is None else log_loss(y[test], np.clip(p_test, 1e-15, 1 - 1e-15)),
                "gap_train": np.nan if p_train is None else _mean_gap(p_train, sex[train]),
                "gap_test": np.nan if p_test is None else _mean_gap(p_test, sex[test]),
                "dp_labels": demographic_parity_difference(y[test], predicted, sensitive_features=sex[test]),
                "seconds": seconds,
            }
            key = name if tolerance is None else f"{name}, tolerance {tolerance:g}"
            rows.setdefault(key, []).append(result)
    print(f"German credit, sensitive attribute sex; mean over splits with seeds {args.seeds}")
    print()
    print("| model | accuracy | AUC | log-loss | mean-probability gap, train | same, held-out "
          "| selection-rate gap, held-out | fit s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, results in rows.items():
        mean = {k: float(np.mean([r[k] for r in results])) for k in results[0]}
        print(f"| {key} | {mean['accuracy']:.3f} | {mean['auc']:.3f} | {mean['log_loss']:.4f} | "
              f"{mean['gap_train']:.4f} | {mean['gap_test']:.4f} | {mean['dp_labels']:.4f} | {mean['seconds']:.2f} |")


if __name__ == "__main__":
    main()
