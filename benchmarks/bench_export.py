"""One-row latency of exported models: numpy API vs generated Python vs generated C, beside peers.

A 13-feature model (``EmbeddingSumClassifier()``, 20 bins) is fitted on
``make_mirad_like(20000)``; the same 1,000 rows (the last 1,000 generated rows, with
some values replaced by NaN so that the missing bins are used too) are then scored one at a
time by:

- the numpy API: ``model.predict_proba(x.reshape(1, -1))``;
- the module written by ``embedsum.export.to_python``: ``predict_proba(row)`` with the row
  as a Python list (the natural input of a pure-Python caller) and as a numpy row;
- the header written by ``embedsum.export.to_c``, compiled with ``gcc -O2``: a C driver
  times many single-row calls of ``<prefix>_predict_proba`` and ``<prefix>_decision`` in a
  loop with ``clock_gettime`` and reports nanoseconds per row;
- the published torch model (``published_torch.fit_published``, trained on the same rows):
  ``predict_proba(x.reshape(1, -1))`` (binning in numpy, then a torch gather and sum);
- interpret's ExplainableBoostingClassifier, only if ``interpret`` is importable.

Python timings are the best of 7 passes over the 1,000 rows (the median is printed too).
Before timing, the script checks that the generated Python and C give the numpy decision
values and probabilities (``predict_proba``) bit for bit on these rows. It prints the size of the compiled C object (``size``:
text + data) and the targets, PASS or FAIL: generated Python <= 5 us per row and C <= 0.2 us
per row (predict_proba). The exit status is 0 only if both pass.

With ``--interactions N`` the model also has pair terms (``EmbeddingSumClassifier(interactions=N)``,
docs/design.md#pair-terms): the same checks and timings of a model whose exported code adds them.

Usage::

    python benchmarks/bench_export.py [--interactions N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import embedsum
from embedsum import EmbeddingSumClassifier, export
from timing import one_row_workload, per_call_us

N_ROWS = 20_000
N_TIMED = 1_000
PYTHON_TARGET_US = 5.0
C_TARGET_US = 0.2

C_TIMER = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "model.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    FILE *f = fopen(argv[1], "rb");
    size_t n_rows = (size_t)atol(argv[2]), reps = (size_t)atol(argv[3]), i, r, pass;
    double *rows = (double *)malloc(n_rows * BENCH_N_FEATURES * sizeof(double));
    double best_proba = 1e300, best_decision = 1e300, sink = 0.0;
    (void)argc;
    if (f == NULL || rows == NULL || fread(rows, sizeof(double), n_rows * BENCH_N_FEATURES, f) != n_rows * BENCH_N_FEATURES) {
        return 2;
    }
    fclose(f);
    for (i = 0; i < n_rows; ++i) { /* the values scored, for the bit-exactness check */
        double out[3];
        if (bench_decision(rows + i * BENCH_N_FEATURES, BENCH_N_FEATURES, &out[0]) != BENCH_OK) return 3;
        if (bench_predict_proba(rows + i * BENCH_N_FEATURES, BENCH_N_FEATURES, &out[1]) != BENCH_OK) return 3;
        fwrite(out, sizeof out[0], 3, stdout);
    }
    for (pass = 0; pass < 7; ++pass) {
        double start = now_ns(), elapsed;
        for (r = 0; r < reps; ++r) {
            for (i = 0; i < n_rows; ++i) {
                double proba[2];
                bench_predict_proba(rows + i * BENCH_N_FEATURES, BENCH_N_FEATURES, proba);
                sink += proba[1];
            }
        }
        elapsed = (now_ns() - start) / (double)(reps * n_rows);
        if (elapsed < best_proba) best_proba = elapsed;
        start = now_ns();
        for (r = 0; r < reps; ++r) {
            for (i = 0; i < n_rows; ++i) {
                double z;
                bench_decision(rows + i * BENCH_N_FEATURES, BENCH_N_FEATURES, &z);
                sink += z;
            }
        }
        elapsed = (now_ns() - start) / (double)(reps * n_rows);
        if (elapsed < best_decision) best_decision = elapsed;
    }
    fprintf(stderr, "%.3f %.3f %g\n", best_proba, best_decision, sink); /* sink keeps the calls alive */
    free(rows);
    return 0;
}
"""

# Non-static wrappers so that the object file holds the code and tables a user links in.
C_OBJECT = """
#include "model.h"
int model_decision(const double *row, size_t n, double *out) { return bench_decision(row, n, out); }
int model_decision_many(const double *rows, size_t n_rows, size_t n, double *out)
{ return bench_decision_many(rows, n_rows, n, out); }
int model_predict_proba(const double *row, size_t n, double *proba) { return bench_predict_proba(row, n, proba); }
int model_predict(const double *row, size_t n, int *k) { return bench_predict(row, n, k); }
"""


def line(name: str, best: float, median: float | None, reference: float) -> str:
    middle = "-" if median is None else f"{median:.3f}"  # the C driver reports its best pass only
    return f"{name:<46} {best:>10.3f} {middle:>10} {reference / best:>12.1f}x"


def c_results(model, rows: np.ndarray, work: Path):
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    (work / "model.h").write_text(export.to_c(model, prefix="bench"), encoding="utf-8")
    (work / "timer.c").write_text(C_TIMER)
    (work / "object.c").write_text(C_OBJECT)
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
    subprocess.run([gcc, *flags, "timer.c", "-o", "timer"], cwd=work, check=True)  # no libm needed
    subprocess.run([gcc, *flags, "-c", "object.c", "-o", "object.o"], cwd=work, check=True)
    rows.astype("<f8").tofile(work / "rows.bin")
    run = subprocess.run([str(work / "timer"), "rows.bin", str(len(rows)), "500"], cwd=work,
                         capture_output=True, check=True)
    out = np.frombuffer(run.stdout, dtype="<f8").reshape(-1, 3)
    z, proba = out[:, 0], np.ascontiguousarray(out[:, 1:])
    proba_ns, decision_ns, _ = run.stderr.decode().split()
    size = None
    if shutil.which("size"):
        fields = subprocess.run(["size", "object.o"], cwd=work, capture_output=True, text=True, check=True)
        text, data, bss = (int(v) for v in fields.stdout.splitlines()[1].split()[:3])
        size = (text, data, bss)
    return z, proba, float(proba_ns) / 1e3, float(decision_ns) / 1e3, size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="one-row latency of exported models")
    parser.add_argument("--interactions", type=int, default=0, help="pair terms of the model (default 0)")
    args = parser.parse_args(argv)
    print(f"embedsum {embedsum.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    X_fit, y_fit, rows = one_row_workload(N_ROWS, N_TIMED)
    model = EmbeddingSumClassifier(interactions=args.interactions).fit(X_fit, y_fit)
    n_bins = [len(s) for s in model.bin_scores_]
    pairs = getattr(model, "pairs_", None) or []
    print(f"model: {model.n_features_in_} features, {min(n_bins)}-{max(n_bins)} bins per feature "
          f"(missing bin included), {len(pairs)} pair terms {pairs}, fitted on {len(X_fit)} rows; "
          f"{N_TIMED} rows scored one at a time\n")

    z = model.decision_function(rows)
    p = model.predict_proba(rows)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "exported_model.py"
        path.write_text(export.to_python(model), encoding="utf-8")
        spec = importlib.util.spec_from_file_location("exported_model", path)
        generated = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(generated)
        as_lists = rows.tolist()
        as_numpy = list(rows)
        z_py = np.array([generated.decision_function(r) for r in as_lists])
        p_py = np.array([generated.predict_proba(r) for r in as_lists])
        py_exact = np.array_equal(z_py.view(np.uint64), z.view(np.uint64))
        py_exact = py_exact and np.array_equal(p_py.view(np.uint64), p.view(np.uint64))
        c = c_results(model, rows, work)

    numpy_api = per_call_us(lambda x: model.predict_proba(x.reshape(1, -1)), as_numpy)
    py_list = per_call_us(generated.predict_proba, as_lists)
    py_numpy = per_call_us(generated.predict_proba, as_numpy)

    print(f"{'one-row predict_proba':<46} {'best us':>10} {'median us':>10} {'vs numpy API':>13}")
    ref = numpy_api[0]
    print(line("embedsum numpy API (predict_proba(x[None]))", *numpy_api, ref))
    print(line("generated Python, row = list", *py_list, ref))
    print(line("generated Python, row = numpy 1-D array", *py_numpy, ref))
    if c is not None:
        z_c, p_c, c_proba_us, c_decision_us, size = c
        c_exact = np.array_equal(z_c.view(np.uint64), z.view(np.uint64))
        c_exact = c_exact and np.array_equal(p_c.view(np.uint64), p.view(np.uint64))
        print(line("generated C, gcc -O2, predict_proba", c_proba_us, None, ref))
        print(line("generated C, gcc -O2, decision only", c_decision_us, None, ref))
    else:
        c_exact, c_proba_us, size = False, float("inf"), None
        print(f"{'generated C':<46} gcc not found")

    try:
        import torch
        from published_torch import fit_published
    except ImportError:
        print(f"{'published torch model':<46} torch not installed")
    else:
        published = fit_published(X_fit, y_fit)
        with torch.no_grad():
            torch_row = per_call_us(lambda x: published.predict_proba(x.reshape(1, -1)), as_numpy)
        print(line(f"published torch model ({published.fit_seconds:.0f} s fit)", *torch_row, ref))

    if importlib.util.find_spec("interpret") is None:
        print(f"{'interpret ExplainableBoostingClassifier':<46} not installed")
    else:
        from interpret.glassbox import ExplainableBoostingClassifier

        ebm = ExplainableBoostingClassifier(random_state=0).fit(X_fit, y_fit)
        ebm_row = per_call_us(lambda x: ebm.predict_proba(x.reshape(1, -1)), as_numpy)
        print(line("interpret ExplainableBoostingClassifier", *ebm_row, ref))

    print()
    print(f"decision values and probabilities bit for bit equal to numpy: generated Python {py_exact}, "
          f"generated C {c_exact}")
    if size is not None:
        text, data, bss = size
        print(f"compiled C object (gcc -O2, all entry points): text {text} + data {data} = {text + data} bytes "
              f"(bss {bss})")
    python_ok = py_exact and py_list[0] <= PYTHON_TARGET_US
    c_ok = c_exact and c_proba_us <= C_TARGET_US
    print(f"target generated Python <= {PYTHON_TARGET_US} us per row (13 features): {py_list[0]:.2f} us "
          f"{'PASS' if python_ok else 'FAIL'}")
    print(f"target generated C <= {C_TARGET_US} us per row: {c_proba_us:.3f} us {'PASS' if c_ok else 'FAIL'}")
    return 0 if python_ok and c_ok else 1


if __name__ == "__main__":
    sys.exit(main())
