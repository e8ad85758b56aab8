"""Fit time, peak memory and held-out score at several shapes: embedsum beside LightGBM and HistGradientBoosting.

Every shape is MIRAD-like counts (``mirad_data.py``): the signal columns of
``make_mirad_like(n, 13, seed=0)`` (and, for the wide shapes, noise columns of another seed appended),
with a binary label, five classes, or a numeric target drawn from step functions of the same counts.
The training rows are followed by held-out rows of the same draw (``--test-rows``, default 20 % of the
training rows, at most 10^6).

| shape | estimator |
|---|---|
| wide500 | 10^5 x 500 (13 signal), binary, `EmbeddingSumClassifier()` |
| wide500cv | 5*10^4 x 500, binary, `EmbeddingSumClassifierCV()` |
| wide2000 | 10^5 x 2,000, binary, `EmbeddingSumClassifier()` |
| classes5 | 10^6 x 13, 5 classes, `EmbeddingSumClassifier()` (softmax) |
| regression | 10^6 x 13, numeric target, `EmbeddingSumRegressor()` |
| regression10m | 10^7 x 13, numeric target, `EmbeddingSumRegressor()` |
| binary10m | 10^7 x 13, binary, `EmbeddingSumClassifier()` (the peak memory regression is held to) |
| classes5_10m | 10^7 x 13, 5 classes, `EmbeddingSumClassifier()` |
| cv10m | 10^7 x 13, binary, `EmbeddingSumClassifierCV()` (and one plain fit for the ratio) |

The peers run with their defaults (`lightgbm.LGBMClassifier()` / `LGBMRegressor()`, `verbose=-1`;
scikit-learn's `HistGradientBoostingClassifier()` / `Regressor()`). Each fit runs in a fresh Python
process that loads the data from ``.npy`` files (float64, as any user's), imports its library, then
times the fit; the process reports its peak resident memory (``ru_maxrss``: the input is included, the
same for every model of a shape). Held-out scores: log-loss (classification), R^2 (regression).

Usage::

    python benchmarks/bench_shapes.py                              # every shape (~45 min on 2 cores)
    python benchmarks/bench_shapes.py --shapes classes5 regression # some
    python benchmarks/bench_shapes.py --scale 0.1                  # every shape with a tenth of the rows
    python benchmarks/bench_shapes.py --shapes regression10m --peers   # embedsum alone (memory)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (training rows, columns, task, embedsum estimator)
SHAPES = {
    "wide500": (100_000, 500, "binary", "EmbeddingSumClassifier"),
    "wide500cv": (50_000, 500, "binary", "EmbeddingSumClassifierCV"),
    "wide2000": (100_000, 2_000, "binary", "EmbeddingSumClassifier"),
    "classes5": (1_000_000, 13, "classes5", "EmbeddingSumClassifier"),
    "regression": (1_000_000, 13, "regression", "EmbeddingSumRegressor"),
    "regression10m": (10_000_000, 13, "regression", "EmbeddingSumRegressor"),
    "binary10m": (10_000_000, 13, "binary", "EmbeddingSumClassifier"),
    "classes5_10m": (10_000_000, 13, "classes5", "EmbeddingSumClassifier"),
    "cv10m": (10_000_000, 13, "binary", "EmbeddingSumClassifierCV"),
}
PEERS = ("lightgbm", "hgb")


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB of 10**6 bytes (ru_maxrss: kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def run_child(*args: str) -> dict:
    """Run this script in a fresh interpreter that imports this checkout's embedsum; return its last JSON line."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, HERE, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, os.path.join(HERE, "bench_shapes.py"), *args], capture_output=True,
                         text=True, cwd=HERE, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_shape(n_rows: int, n_columns: int, task: str):
    """Counts with 13 signal columns first, and the target of the task."""
    from mirad_data import make_mirad_like

    X, y = make_mirad_like(n_rows, 13, seed=0)
    if task != "binary":
        # Another target from step functions of the same counts, with noise: per class (five classes,
        # the label is the arg-max of step-function logits plus Gumbel noise) or one (regression).
        rng = np.random.default_rng(7)
        outputs = 5 if task == "classes5" else 1
        scores = np.zeros((n_rows, outputs))
        means = X.mean(axis=0)
        for j in rng.permutation(13)[:9]:
            steps = (X[:, [j]] > means[j] * np.array([0.5, 2.0, 6.0])).astype(np.float64)
            scores += steps @ rng.normal(0.0, 1.0, size=(3, outputs))
        if task == "classes5":
            y = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
        else:
            y = scores[:, 0] + rng.normal(0.0, 1.0, size=n_rows)
    if n_columns > 13:
        noise, _ = make_mirad_like(n_rows, n_columns - 13, seed=1)
        X = np.hstack([X, noise])
    return X, y


def child_data(folder: str, n_rows: int, n_columns: int, task: str) -> dict:
    X, y = make_shape(n_rows, n_columns, task)
    np.save(os.path.join(folder, "X.npy"), X)
    np.save(os.path.join(folder, "y.npy"), y)
    return {"rows": n_rows}


def _estimator(model: str, task: str, name: str):
    if model == "embedsum":
        import embedsum

        return getattr(embedsum, name)()
    if model == "lightgbm":
        import lightgbm

        return lightgbm.LGBMRegressor(verbose=-1) if task == "regression" else lightgbm.LGBMClassifier(verbose=-1)
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    return HistGradientBoostingRegressor() if task == "regression" else HistGradientBoostingClassifier()


def child_fit(folder: str, model: str, task: str, name: str, n_train: int) -> dict:
    import scipy.optimize  # noqa: F401  (embedsum imports scipy lazily at fit: not part of the timing)

    X, y = np.load(os.path.join(folder, "X.npy")), np.load(os.path.join(folder, "y.npy"))
    estimator = _estimator(model, task, name)
    start = time.perf_counter()
    estimator.fit(X[:n_train], y[:n_train])
    seconds = time.perf_counter() - start
    rss = peak_rss_mb()
    X_test, y_test = X[n_train:], y[n_train:]
    if task == "regression":
        residual = y_test - estimator.predict(X_test)
        score = 1.0 - float(np.mean(residual ** 2)) / float(np.var(y_test))
    else:
        proba = np.clip(estimator.predict_proba(X_test), 1e-15, 1.0)
        score = -float(np.mean(np.log(proba[np.arange(len(y_test)), np.searchsorted(estimator.classes_, y_test)])))
    result = {"seconds": seconds, "rss_mb": rss, "score": score}
    if model == "embedsum":
        result["n_iter"] = int(getattr(estimator, "n_iter_", -1))
        if hasattr(estimator, "dropped_features_"):
            result["dropped"] = len(estimator.dropped_features_)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every shape's rows by this")
    parser.add_argument("--peers", nargs="*", choices=PEERS, default=list(PEERS),
                        help="peers to run beside embedsum (none: embedsum only)")
    parser.add_argument("--child", choices=["data", "fit"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--columns", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "data":
        print(json.dumps(child_data(args.folder, args.rows, args.columns, args.task)))
        return 0
    if args.child == "fit":
        print(json.dumps(child_fit(args.folder, args.model, args.task, args.name, args.rows)))
        return 0

    print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; each fit in a fresh process", flush=True)
    print()
    print("| shape | model | fit s | peak RSS MB | held-out | fit s / LightGBM's | held-out / LightGBM's |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for shape in args.shapes:
        n_train, n_columns, task, name = SHAPES[shape]
        n_train = max(1000, int(n_train * args.scale))
        n_test = min(n_train // 5, 1_000_000)
        with tempfile.TemporaryDirectory(prefix="embedsum_shapes_") as folder:
            run_child("--child", "data", "--folder", folder, "--rows", str(n_train + n_test),
                      "--columns", str(n_columns), "--task", task)
            runs = [("embedsum", name)]
            if name == "EmbeddingSumClassifierCV" and shape == "cv10m":
                runs.append(("embedsum", "EmbeddingSumClassifier"))  # one plain fit: the CV's cost in plain fits
            runs += [(peer, name) for peer in args.peers]
            results = []
            for model, estimator in runs:
                result = run_child("--child", "fit", "--folder", folder, "--model", model, "--task", task,
                                   "--name", estimator, "--rows", str(n_train))
                results.append((model, estimator, result))
        lightgbm = next((r for m, _, r in results if m == "lightgbm"), {"seconds": np.nan, "score": np.nan})
        metric = "R^2" if task == "regression" else "log-loss"
        for model, estimator, r in results:
            label = f"embedsum {estimator}" if model == "embedsum" else model
            extra = f", {r['n_iter']} iterations" if "n_iter" in r else ""
            extra += f", {r['dropped']} features dropped" if "dropped" in r else ""
            print(f"| {shape} {n_train:,} x {n_columns:,} {task} | {label}{extra} | {r['seconds']:.2f} | "
                  f"{r['rss_mb']:,.0f} | {metric} {r['score']:.4f} | {r['seconds'] / lightgbm['seconds']:.2f} | "
                  f"{r['score'] / lightgbm['score']:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
