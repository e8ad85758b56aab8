"""Fit 10 million MIRAD-like rows: embedsum beside the straightforward objective, each in a fresh process.

Targets (the large-fit speed targets of the README), for ``EmbeddingSumClassifier()`` with its defaults on
``make_mirad_like(10_000_000, 13)``:

- fit in <= 20 s wall, binning included;
- peak RSS of the fitting process <= 2.5 GB (the float64 input alone is 1.04 GB);
- the objective reached within 1e-6 (relative) of the straightforward objective's fit
  (``straightforward.py``: plain per-feature gathers and bincounts, same bins, same
  regularisers, same L-BFGS-B options).

The data is generated once (by a child process, with a fixed seed) into a temporary folder.
Each fit runs in a fresh Python process that loads the data (``np.load``, so the input is in
memory as float64 like any user's), imports scipy, then times the fit; the process reports
its peak resident memory (``ru_maxrss``: input + fit). The two fits' parameters are scored
by one evaluator, the straightforward objective, for the comparison.

Usage::

    python benchmarks/bench_fit_large.py               # 10,000,000 rows (~3 min)
    python benchmarks/bench_fit_large.py --rows 100000 # smaller
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
SECONDS_TARGET = 20.0
RSS_TARGET_GB = 2.5
OBJECTIVE_TARGET = 1e-6
N_FEATURES = 13
SEED = 0


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB of 10**6 bytes (ru_maxrss: kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def run_child(*args: str) -> dict:
    """Run a script in a fresh interpreter that imports this checkout's embedsum; return its last JSON line."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, HERE, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=HERE, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_data(folder: str, n_rows: int) -> None:
    """Write ``make_mirad_like(n_rows, 13, seed=0)`` as X.npy, y.npy into ``folder`` (in a child)."""
    run_child(os.path.join(HERE, "bench_fit_large.py"), "--child", "data", "--rows", str(n_rows), "--folder", folder)


def load_data(folder: str):
    return np.load(os.path.join(folder, "X.npy")), np.load(os.path.join(folder, "y.npy"))


def child(kind: str, folder: str, n_rows: int) -> dict:
    if kind == "data":
        from mirad_data import make_mirad_like

        X, y = make_mirad_like(n_rows, N_FEATURES, seed=SEED)
        np.save(os.path.join(folder, "X.npy"), X)
        np.save(os.path.join(folder, "y.npy"), y)
        return {"rows": n_rows}
    import scipy.optimize  # noqa: F401  fit imports scipy lazily; not part of the timing

    X, y = load_data(folder)
    if kind == "embedsum":
        from embedsum import EmbeddingSumClassifier

        start = time.perf_counter()
        model = EmbeddingSumClassifier().fit(X, y)
        seconds = time.perf_counter() - start
        coef = np.append(np.concatenate(model.bin_scores_), model.intercept_)
        np.save(os.path.join(folder, "coef_embedsum.npy"), coef)
        return {"seconds": seconds, "rss_mb": peak_rss_mb(), "objective": float(model.history_["loss"][-1]),
                "n_iter": model.n_iter_, "threads": _threads()}
    # The straightforward fit, then both parameter vectors scored by its objective.
    from straightforward import fit_straightforward

    start = time.perf_counter()
    coef, objective, _, _, result = fit_straightforward(X, y)
    seconds = time.perf_counter() - start
    rss = peak_rss_mb()
    own = float(objective.loss_gradient(coef)[0])
    theirs = float(objective.loss_gradient(np.load(os.path.join(folder, "coef_embedsum.npy")))[0])
    return {"seconds": seconds, "rss_mb": rss, "objective": float(result.history["loss"][-1]),
            "n_iter": result.n_iter, "reference_objective": own, "embedsum_objective_by_reference": theirs}


def _threads() -> int:
    from embedsum._threads import default_n_threads

    return default_n_threads()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--child", choices=["data", "embedsum", "straightforward"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.rows)))
        return 0

    print(f"make_mirad_like({args.rows:,}, {N_FEATURES}, seed={SEED}); EmbeddingSumClassifier() defaults "
          f"(max_bins=20, tol=1e-6); load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="embedsum_bench_") as folder:
        start = time.perf_counter()
        make_data(folder, args.rows)
        print(f"data generated in {time.perf_counter() - start:.1f} s", flush=True)
        script = os.path.join(HERE, "bench_fit_large.py")
        ours = run_child(script, "--child", "embedsum", "--rows", str(args.rows), "--folder", folder)
        print(f"embedsum fit done ({ours['seconds']:.1f} s); now the straightforward fit", flush=True)
        ref = run_child(script, "--child", "straightforward", "--rows", str(args.rows), "--folder", folder)

    relative = (ref["embedsum_objective_by_reference"] - ref["reference_objective"]) / ref["reference_objective"]
    print()
    print("| fit | wall s (binning included) | peak RSS MB | objective reached | L-BFGS-B iterations |")
    print("|---|---:|---:|---:|---:|")
    print(f"| embedsum `EmbeddingSumClassifier()` ({ours['threads']} threads) | {ours['seconds']:.2f} | "
          f"{ours['rss_mb']:,.0f} | {ours['objective']:.12f} | {ours['n_iter']} (on all rows) |")
    print(f"| straightforward objective, same bins and L-BFGS-B | {ref['seconds']:.2f} | {ref['rss_mb']:,.0f} | "
          f"{ref['objective']:.12f} | {ref['n_iter']} |")
    print()
    print(f"speed-up {ref['seconds'] / ours['seconds']:.1f}x; both parameter vectors scored by the straightforward "
          f"objective: embedsum {ref['embedsum_objective_by_reference']:.12f}, "
          f"straightforward {ref['reference_objective']:.12f}, relative difference {relative:+.2e}")
    checks = [
        (f"fit <= {SECONDS_TARGET:g} s", ours["seconds"] <= SECONDS_TARGET, f"{ours['seconds']:.2f} s"),
        (f"peak RSS <= {RSS_TARGET_GB:g} GB", ours["rss_mb"] <= RSS_TARGET_GB * 1000,
         f"{ours['rss_mb'] / 1000:.2f} GB"),
        (f"objective within {OBJECTIVE_TARGET:g} (relative)", abs(relative) <= OBJECTIVE_TARGET, f"{relative:+.2e}"),
    ]
    for name, ok, value in checks:
        print(f"target {name}: {value}  {'PASS' if ok else 'FAIL'}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
