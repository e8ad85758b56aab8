"""How embedsum's fit and predict_proba grow with the number of rows (10^4 .. 10^7 MIRAD-like rows).

For each size, in a fresh Python process: load ``make_mirad_like(n, 13, seed=0)`` (generated once
per size by a child process into a temporary folder), time ``EmbeddingSumClassifier().fit(X, y)``
(binning included; scipy imported beforehand) and ``predict_proba(X)`` on the same rows, and read
the process's peak resident memory (``ru_maxrss``: the input, the fit and the prediction). Up to
10^6 rows each timing is the best of 3 in that process; at 10^7, one run. Seconds per million rows
show whether the growth is linear.

Prints a Markdown table ready for the README.

Usage::

    python benchmarks/bench_scaling.py                       # 10^4, 10^5, 10^6, 10^7 rows (~2 min)
    python benchmarks/bench_scaling.py --rows 10000 100000   # other sizes
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


from bench_fit_large import N_FEATURES, SEED, load_data, make_data, peak_rss_mb, run_child

HERE = os.path.dirname(os.path.abspath(__file__))


def child(folder: str, repeats: int) -> dict:
    import scipy.optimize  # noqa: F401  fit imports scipy lazily; not part of the timing

    from embedsum import EmbeddingSumClassifier

    X, y = load_data(folder)
    fit_s = predict_s = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model = EmbeddingSumClassifier().fit(X, y)
        fit_s = min(fit_s, time.perf_counter() - start)
        start = time.perf_counter()
        proba = model.predict_proba(X)
        predict_s = min(predict_s, time.perf_counter() - start)
        del proba
    return {"fit_s": fit_s, "predict_s": predict_s, "rss_mb": peak_rss_mb(), "n_iter": model.n_iter_}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10**4, 10**5, 10**6, 10**7])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeats)))
        return 0

    print(f"make_mirad_like(n, {N_FEATURES}, seed={SEED}); EmbeddingSumClassifier() defaults; "
          f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores", flush=True)
    rows = []
    for n in args.rows:
        with tempfile.TemporaryDirectory(prefix="embedsum_scaling_") as folder:
            make_data(folder, n)
            repeats = 3 if n <= 10**6 else 1
            result = run_child(os.path.join(HERE, "bench_scaling.py"), "--child", folder, "--repeats", str(repeats))
        result["rows"] = n
        rows.append(result)
        print(f"{n:,} rows done", file=sys.stderr, flush=True)
    print()
    print("| rows | fit s | fit s per 10^6 rows | predict_proba s | predict_proba s per 10^6 rows "
          "| peak RSS MB | L-BFGS-B iterations |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        millions = r["rows"] / 1e6
        print(f"| {r['rows']:,} | {r['fit_s']:.3f} | {r['fit_s'] / millions:.2f} | {r['predict_s']:.4f} | "
              f"{r['predict_s'] / millions:.3f} | {r['rss_mb']:,.0f} | {r['n_iter']} |")
    print()
    print("From 2,097,152 rows, fit starts from the solution on an evenly strided subsample of about "
          "1,048,576 rows; the iterations are those on all rows.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
