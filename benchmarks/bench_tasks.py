"""Multiclass, regression and text-category tasks: embedsum beside scikit-learn and EBM, in one run.

Four data sets, each with one fixed 70/30 split (``random_state=0``; stratified for classification):

- iris (150 x 4, 3 classes) and wine (178 x 13, 3 classes): ``sklearn.datasets.load_iris/load_wine``;
  test log-loss and accuracy;
- diabetes (442 x 10, regression): ``sklearn.datasets.load_diabetes``; test R^2;
- text categories: ``make_text_categories`` below, a deterministic generated table of network
  connections (4 numeric columns, 3 text columns: protocol, country, process name, with rare and
  missing values) and a binary label; test log-loss and ROC AUC.

Models, fitted on the same split in the same run:

- embedsum: ``EmbeddingSumClassifier()`` / ``EmbeddingSumRegressor()`` with their defaults, and
  ``EmbeddingSumClassifierCV()`` / ``EmbeddingSumRegressorCV()`` (a row says "n/a" with the reason
  when a model cannot fit the task). Every model gets a pandas DataFrame; embedsum finds the text columns
  itself (``categorical_features="auto"``, the default). Best of 3 fits.
- scikit-learn: ``LogisticRegression(max_iter=10000)`` (lbfgs: multinomial for 3 classes; C = 1) or
  ``Ridge()`` (alpha = 1) on one-hot quantile bins: a ColumnTransformer with
  ``KBinsDiscretizer(n_bins=20, encode="onehot", strategy="quantile")`` on the numeric columns
  (after a median ``SimpleImputer``, with ``MissingIndicator`` columns, when a numeric column has
  missing values) and ``OneHotEncoder(handle_unknown="ignore")`` on the text columns. Best of 3.
- interpret's EBM: ``ExplainableBoostingClassifier/Regressor(interactions=0, random_state=0)``,
  which takes the text columns as they are. Once (``--ebm-repeats`` for more).

Per data set it prints one table: fit seconds, how they were timed, the ratio of each fit time
to the plain embedsum model's (``EmbeddingSumClassifier`` / ``EmbeddingSumRegressor``), and the
test metrics; below it the reference values (the constant model; for diabetes a plain
``LinearRegression`` on the raw columns; for the generated data the metrics of the true
probabilities), embedsum's iterations and categories, and every warning a fit raised.

Usage::

    python benchmarks/bench_tasks.py            # ~1-2 min on 2 cores
    python benchmarks/bench_tasks.py --quick    # 5,000 generated rows, every model fitted once
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd
import scipy  # noqa: F401  embedsum imports scipy lazily inside fit; load it before any timing
import scipy.optimize  # noqa: F401
import sklearn
from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

SEED = 0
REPEATS = 3
TEXT_ROWS = 20_000


# ---------------------------------------------------------------- the generated data set

PROTOCOLS = {  # name: (frequency, effect on the log-odds); telnet and gre are rare (< 10 training rows)
    "tcp": (0.30, 0.0), "udp": (0.20, -0.3), "https": (0.18, -0.6), "http": (0.10, 0.2),
    "dns": (0.08, -0.2), "icmp": (0.05, 0.4), "ssh": (0.03, 0.8), "smb": (0.025, 1.0),
    "rdp": (0.015, 1.2), "ftp": (0.01, 0.6), "telnet": (0.0006, 2.0), "gre": (0.0003, 1.5),
}
COUNTRIES = ["US", "DE", "FR", "GB", "NL", "JP", "CN", "RU", "BR", "IN", "CA", "AU", "KR", "SE", "IT",
             "ES", "PL", "UA", "TR", "VN", "IR", "KP", "NG", "RO", "ZA"]
PROCESSES = ["chrome.exe", "svchost.exe", "firefox.exe", "msedge.exe", "outlook.exe", "teams.exe",
             "explorer.exe", "python.exe", "java.exe", "node.exe", "curl", "wget", "sshd", "nginx",
             "postgres", "slack.exe", "zoom.exe", "onedrive.exe", "dropbox.exe", "spotify.exe",
             "winword.exe", "excel.exe", "powershell.exe", "cmd.exe", "rundll32.exe", "mshta.exe",
             "certutil.exe", "bitsadmin.exe", "regsvr32.exe", "wscript.exe"]


def make_text_categories(n_rows: int = TEXT_ROWS, seed: int = 0):
    """(X, y, p): a DataFrame of ``n_rows`` network connections, labels in {0, 1}, true P(y = 1).

    Numeric columns: ``bytes_out`` (log-normal; a monotone increasing effect), ``duration``
    (seconds, gamma; 5 % missing, NaN; short and missing durations raise the risk), ``hour``
    (0..23; night hours raise it), ``failed_logins`` (Poisson; monotone increasing effect).
    Text columns (object dtype): ``protocol`` (12 values, two rare), ``country`` (25 codes of
    Zipf-like frequencies, 4 % missing as None), ``process`` (30 common names of Zipf-like
    frequencies, plus 400 random names ``tmp_<hex>.exe`` sharing 4 % of the rows, most of them
    rare or never seen in training, with a high risk; 2 % missing as ""). The label is drawn
    from sigmoid(b + the sum of the seven effects), b set for a 20 % positive rate: the truth
    is additive, so an additive model can reach it.
    """
    rng = np.random.default_rng(seed)
    n = n_rows

    bytes_out = np.round(rng.lognormal(7.0, 2.0, n))
    duration = np.round(rng.gamma(0.7, 30.0, n), 3)
    duration_missing = rng.random(n) < 0.05
    duration[duration_missing] = np.nan
    hour = rng.integers(0, 24, n).astype(float)
    failed_logins = rng.poisson(0.3, n).astype(float)

    names = list(PROTOCOLS)
    freq = np.array([PROTOCOLS[k][0] for k in names])
    p_index = rng.choice(len(names), n, p=freq / freq.sum())
    protocol = np.array(names, dtype=object)[p_index]
    proto_effect = np.array([PROTOCOLS[k][1] for k in names])[p_index]

    c_freq = 1.0 / np.arange(1, len(COUNTRIES) + 1) ** 1.1
    c_index = rng.choice(len(COUNTRIES), n, p=c_freq / c_freq.sum())
    c_effect = rng.normal(0.0, 0.5, len(COUNTRIES))
    c_effect[COUNTRIES.index("KP")] = 2.0
    c_effect[COUNTRIES.index("IR")] = 1.2
    country = np.array(COUNTRIES, dtype=object)[c_index]
    country_effect = c_effect[c_index]
    country_missing = rng.random(n) < 0.04
    country[country_missing] = None
    country_effect[country_missing] = 0.5

    tail = [f"tmp_{v:06x}.exe" for v in rng.choice(16 ** 6, 400, replace=False)]
    p_freq = 1.0 / np.arange(1, len(PROCESSES) + 1)
    p_freq = np.concatenate([0.96 * p_freq / p_freq.sum(), np.full(len(tail), 0.04 / len(tail))])
    r_index = rng.choice(len(p_freq), n, p=p_freq)
    p_effect = np.concatenate([rng.normal(0.0, 0.5, len(PROCESSES)), np.full(len(tail), 1.8)])
    for risky, effect in [("powershell.exe", 1.0), ("mshta.exe", 1.5), ("certutil.exe", 1.5), ("rundll32.exe", 0.8)]:
        p_effect[PROCESSES.index(risky)] = effect
    process = np.array(PROCESSES + tail, dtype=object)[r_index]
    process_effect = p_effect[r_index]
    process_missing = rng.random(n) < 0.02
    process[process_missing] = ""
    process_effect[process_missing] = 0.3

    logit = (
        0.9 * np.tanh((np.log1p(bytes_out) - 9.0) / 1.5)                      # monotone increasing
        + np.where(duration_missing, 0.5, np.where(np.nan_to_num(duration) < 1.0, 0.6, 0.0))
        + np.where(hour < 6, 0.5, 0.0)
        + 0.5 * np.minimum(failed_logins, 3)                                   # monotone increasing
        + proto_effect + country_effect + process_effect
    )
    lo, hi = -20.0, 20.0  # intercept for a 20 % positive rate, by bisection (deterministic)
    for _ in range(60):
        b = (lo + hi) / 2
        lo, hi = (b, hi) if np.mean(1 / (1 + np.exp(-(b + logit)))) < 0.2 else (lo, b)
    p = 1 / (1 + np.exp(-(b + logit)))
    y = (rng.random(n) < p).astype(np.int64)
    X = pd.DataFrame({"bytes_out": bytes_out, "duration": duration, "hour": hour,
                      "failed_logins": failed_logins, "protocol": protocol, "country": country,
                      "process": process})
    return X, y, p


# ---------------------------------------------------------------- models

def n_cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def text_columns(X: pd.DataFrame) -> list:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]


def one_hot_bins(X: pd.DataFrame) -> ColumnTransformer:
    """scikit-learn's features: one-hot quantile bins of the numeric columns, one-hot text columns."""
    text = text_columns(X)
    numeric = [c for c in X.columns if c not in text]
    with_nan = [c for c in numeric if X[c].isna().any()]
    bins = KBinsDiscretizer(n_bins=20, encode="onehot", strategy="quantile")
    parts = [("bins", make_pipeline(SimpleImputer(strategy="median"), bins) if with_nan else bins, numeric)]
    if with_nan:
        parts.append(("missing", MissingIndicator(features="missing-only", error_on_new=False), with_nan))
    if text:
        parts.append(("text", OneHotEncoder(handle_unknown="ignore"), text))
    return ColumnTransformer(parts)


def models(kind: str, X_train: pd.DataFrame, ebm_repeats: int):
    """[(label, repeats, make_model or the reason it is n/a)] for kind "classification" or "regression".

    The first row is the plain embedsum model, the reference of the time ratios."""
    import embedsum

    rows = []
    if kind == "classification":
        rows.append(("embedsum EmbeddingSumClassifier()", REPEATS, embedsum.EmbeddingSumClassifier))
        rows.append(("embedsum EmbeddingSumClassifierCV()", REPEATS, embedsum.EmbeddingSumClassifierCV))
        rows.append(("KBins(20)+OneHot + LogisticRegression", REPEATS,
                     lambda: make_pipeline(one_hot_bins(X_train), LogisticRegression(max_iter=10_000))))
        rows.append(("EBM (interactions=0)", ebm_repeats,
                     lambda: ExplainableBoostingClassifier(interactions=0, random_state=SEED)))
    else:
        regressor = getattr(embedsum, "EmbeddingSumRegressor", None)
        rows.append(("embedsum EmbeddingSumRegressor()", REPEATS,
                     regressor if regressor is not None else "embedsum has no EmbeddingSumRegressor"))
        rows.append(("embedsum EmbeddingSumRegressorCV()", REPEATS, embedsum.EmbeddingSumRegressorCV))
        rows.append(("KBins(20)+OneHot + Ridge", REPEATS, lambda: make_pipeline(one_hot_bins(X_train), Ridge())))
        rows.append(("EBM (interactions=0)", ebm_repeats,
                     lambda: ExplainableBoostingRegressor(interactions=0, random_state=SEED)))
    return rows


def timed(make, X, y, repeats: int):
    """(fastest wall seconds of ``repeats`` fits of make(), the last fitted model, warnings raised)."""
    best, model, caught = float("inf"), None, []
    for _ in range(repeats):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            model = make()
            start = time.perf_counter()
            model.fit(X, y)
            best = min(best, time.perf_counter() - start)
        caught = record  # the warnings of the last fit
    messages = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0][:150]}" for w in caught})
    return best, model, messages


def warm_up() -> None:
    """One small fit of each kind, so that first-call costs (imports, allocators) are not timed."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300),
                      "c": rng.choice(np.array(["x", "y", "z"], dtype=object), 300)})
    y2 = (X["a"] + rng.normal(size=300) > 0).astype(int).to_numpy()
    y3 = np.digitize(X["a"] + rng.normal(size=300), [-0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind, y in [("classification", y2), ("classification", y3), ("regression", X["b"].to_numpy())]:
            for _, _, make in models(kind, X, 1):
                if callable(make):
                    try:
                        make().fit(X, y)
                    except Exception:  # noqa: BLE001  reported when the real fit fails too
                        pass


# ---------------------------------------------------------------- one data set

def metrics(kind: str, model, X_test, y_test) -> dict:
    if kind == "regression":
        return {"test R^2": r2_score(y_test, model.predict(X_test))}
    proba = np.asarray(model.predict_proba(X_test))
    classes = np.asarray(model.classes_)
    out = {"test log-loss": log_loss(y_test, proba, labels=classes)}
    if len(classes) == 2:
        out["test AUC"] = roc_auc_score(y_test, proba[:, 1])
    else:
        out["test accuracy"] = accuracy_score(y_test, classes[np.argmax(proba, axis=1)])
    return out


def describe_embedsum(model) -> str:
    """One line on a fitted embedsum model: iterations, chosen weight, categorical columns."""
    parts = [f"{getattr(model, 'n_iter_', '?')} L-BFGS-B iterations"]
    if hasattr(model, "step_loss_weight_"):
        parts.append(f"CV chose step_loss_weight={model.step_loss_weight_:.4g}")
    categorical = getattr(model, "is_categorical_", None)
    if categorical is not None and np.any(categorical):
        names = getattr(model, "feature_names_in_", None)
        for j in np.flatnonzero(categorical):
            name = names[j] if names is not None else f"x{j}"
            kept = model.categories_[j]
            rare = model.rare_categories_[j]
            parts.append(f"{name}: {len(kept)} categories kept, {len(rare)} rare")
    return "; ".join(parts)


def run(name: str, kind: str, X: pd.DataFrame, y, ebm_repeats: int, p_true=None) -> None:
    stratify = y if kind == "classification" else None
    arrays = [X, y] if p_true is None else [X, y, p_true]
    split = train_test_split(*arrays, test_size=0.3, stratify=stratify, random_state=SEED)
    X_train, X_test, y_train, y_test = split[:4]
    print(f"\n=== {name}: train {len(y_train):,} rows, test {len(y_test):,} rows, {X.shape[1]} columns"
          + (f" ({len(text_columns(X))} text)" if text_columns(X) else ""))

    rows, notes = [], []
    for label, repeats, make in models(kind, X_train, ebm_repeats):
        if not callable(make):
            rows.append((label, None, repeats, f"n/a: {make}", {}))
            continue
        try:
            seconds, model, caught = timed(make, X_train, y_train, repeats)
            scores = metrics(kind, model, X_test, y_test)
        except Exception as exc:  # noqa: BLE001  the row reports why
            message = str(exc).splitlines()[0] if str(exc) else ""
            rows.append((label, None, repeats, f"n/a: {type(exc).__name__}: {message[:160]}", {}))
            continue
        rows.append((label, seconds, repeats, "", scores))
        if label.startswith("embedsum"):
            notes.append(f"{label}: {describe_embedsum(model)}")
        notes.extend(f"{label} warned: {message}" for message in caught)

    columns = (["test R^2"] if kind == "regression"
               else ["test log-loss", "test AUC" if len(np.unique(y)) == 2 else "test accuracy"])
    reference = rows[0][1]
    header = f"{'model':<40} {'fit s':>8} {'timed':>10} {'x embedsum':>11}" + "".join(f" {c:>14}" for c in columns)
    print(header)
    print("-" * len(header))
    for label, seconds, repeats, failure, scores in rows:
        if seconds is None:
            print(f"{label:<40} {failure}")
            continue
        timing = f"best of {repeats}" if repeats > 1 else "once"
        ratio = f"{seconds / reference:>10.2f}x" if reference else f"{'n/a':>11}"
        print(f"{label:<40} {seconds:>8.3f} {timing:>10} {ratio}" + "".join(f" {scores[c]:>14.4f}" for c in columns))

    if kind == "regression":
        linear = LinearRegression().fit(X_train, y_train)
        print(f"reference: the constant model (training mean) has test R^2 "
              f"{r2_score(y_test, np.full(len(y_test), np.mean(y_train))):.4f}; LinearRegression on the raw "
              f"columns {r2_score(y_test, linear.predict(X_test)):.4f}")
    else:
        prior = np.array([np.mean(y_train == c) for c in np.unique(y)])
        print(f"reference: the constant model (training class rates) has test log-loss "
              f"{log_loss(y_test, np.tile(prior, (len(y_test), 1)), labels=np.unique(y)):.4f}")
    if p_true is not None:
        p_test = split[5]
        seen = set(X_train["process"])
        unseen = (~X_test["process"].isin(seen)).mean()
        print(f"reference: the true probabilities have test log-loss {log_loss(y_test, p_test):.4f}, "
              f"test AUC {roc_auc_score(y_test, p_test):.4f}; {unseen:.1%} of test rows have a process "
              f"name never seen in training")
    for note in notes:
        print(f"  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 generated rows, every model fitted once")
    parser.add_argument("--rows", type=int, default=None, help=f"generated rows (default {TEXT_ROWS:,})")
    parser.add_argument("--ebm-repeats", type=int, default=1, help="fits of EBM, the best timed (default 1)")
    args = parser.parse_args()
    global REPEATS
    if args.quick:
        REPEATS = 1
    rows = args.rows or (5_000 if args.quick else TEXT_ROWS)

    import interpret

    import embedsum

    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"pandas {pd.__version__}, scikit-learn {sklearn.__version__}, interpret {interpret.__version__}, "
          f"embedsum {embedsum.__version__}")
    print(f"{platform.machine()} with {n_cores()} cores; load average {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    warm_up()

    iris = load_iris(as_frame=True)
    run("iris (150 x 4, 3 classes)", "classification", iris.data, iris.target.to_numpy(), args.ebm_repeats)
    wine = load_wine(as_frame=True)
    run("wine (178 x 13, 3 classes)", "classification", wine.data, wine.target.to_numpy(), args.ebm_repeats)
    diabetes = load_diabetes(as_frame=True)
    run("diabetes (442 x 10, regression)", "regression", diabetes.data, diabetes.target.to_numpy(),
        args.ebm_repeats)
    X, y, p = make_text_categories(rows, seed=SEED)
    run(f"text categories (generated, {rows:,} x 7, positive rate {y.mean():.3f})", "classification",
        X, y, args.ebm_repeats, p_true=p)

    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
