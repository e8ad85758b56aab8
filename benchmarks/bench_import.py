"""What ``import embedsum`` costs on top of ``import numpy``, in fresh interpreters.

Two measurements, each in many fresh subprocesses, the two commands interleaved
(A, B, A, B, ...) so that drift in machine load hits both alike:

1. wall time of ``python -c "import numpy"`` versus ``python -c "import numpy, embedsum"``
   (interpreter start-up included in both, so it cancels in the difference);
2. ``python -X importtime -c "import numpy, embedsum"``: the cumulative time that the
   import system reports for the ``embedsum`` package itself (numpy already loaded).

Both are taken in two settings: with cached bytecode (as after a normal install; the
cache goes to a temporary PYTHONPYCACHEPREFIX, the source tree is not written to), and
with PYTHONDONTWRITEBYTECODE=1 and no cache for embedsum (every import compiles the
source, as in a read-only vendored copy without .pyc files).

It also checks, in a fresh interpreter, that ``import embedsum`` does not import scipy.

Usage::

    python benchmarks/bench_import.py            # 40 pairs of runs
    python benchmarks/bench_import.py --repeats 100

Target: the median difference is <= 30 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 30.0
BASE = "import numpy"
WITH_EMBEDSUM = "import numpy, embedsum"
CHECK_NO_SCIPY = (
    "import sys, embedsum\n"
    "loaded = sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.'))\n"
    "assert not loaded, f'import embedsum imported {loaded[:5]}'\n"
    "print(len(sys.modules))"
)


def wall_ms(code: str, env: dict) -> float:
    """Wall milliseconds of one fresh ``python -c code``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return (time.perf_counter() - start) * 1000


def importtime_ms(code: str, module: str, env: dict) -> float:
    """Cumulative import milliseconds of ``module`` as reported by ``-X importtime``."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          check=True, capture_output=True, text=True, env=env)
    for line in done.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == module:
            return int(parts[1]) / 1000
    raise RuntimeError(f"{module} not found in -X importtime output")


def spread(values) -> str:
    """Median with the quartiles, in ms."""
    q1, median, q3 = statistics.quantiles(values, n=4)
    return f"median {median:6.1f} ms  (quartiles {q1:6.1f} .. {q3:6.1f})"


def measure(label: str, env: dict, repeats: int) -> float:
    """Print the import figures under ``env``; return the median paired difference in ms."""
    for code in (BASE, WITH_EMBEDSUM):  # warm the page cache (and the bytecode cache, if any)
        wall_ms(code, env)
    base, with_embedsum = [], []
    for _ in range(repeats):
        base.append(wall_ms(BASE, env))
        with_embedsum.append(wall_ms(WITH_EMBEDSUM, env))
    differences = [b - a for a, b in zip(base, with_embedsum)]
    own = [importtime_ms(WITH_EMBEDSUM, "embedsum", env) for _ in range(repeats)]
    print(f"\n{label}")
    print(f"  wall, python -c '{BASE}':            {spread(base)}")
    print(f"  wall, python -c '{WITH_EMBEDSUM}':  {spread(with_embedsum)}")
    print(f"  difference of the paired runs:              {spread(differences)}")
    print(f"  -X importtime, cumulative 'embedsum':       {spread(own)}")
    return statistics.median(differences)


def scipy_check(env: dict) -> tuple[bool, str]:
    """Whether a fresh ``import embedsum`` leaves scipy out of sys.modules, and what it says."""
    done = subprocess.run([sys.executable, "-c", CHECK_NO_SCIPY], capture_output=True, text=True, env=env)
    if done.returncode == 0:
        return True, f"{done.stdout.strip()} modules loaded"
    return False, (done.stderr.strip().splitlines() or ["?"])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=40, help="pairs of runs per setting (default 40)")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]} ({sys.executable}); {args.repeats} interleaved pairs of fresh "
          f"interpreters per setting; load average {os.getloadavg()[0]:.2f}")
    medians = {}
    with tempfile.TemporaryDirectory() as cache:
        # An installed package has its bytecode cached; the cache goes to a temporary
        # directory so that the source tree is left untouched.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        medians["cached bytecode"] = measure(
            "with cached bytecode (.pyc), as after a normal install:", env, args.repeats)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPYCACHEPREFIX", None)
    package = importlib.util.find_spec("embedsum").submodule_search_locations[0]
    has_pyc = any(Path(package).rglob("__pycache__/*.pyc"))
    medians["PYTHONDONTWRITEBYTECODE=1"] = measure(
        f"with PYTHONDONTWRITEBYTECODE=1; .pyc files next to embedsum's source: {'yes' if has_pyc else 'none'}"
        f"{'' if has_pyc else ' (so the source is compiled at every import)'}:", env, args.repeats)

    no_scipy, detail = scipy_check(os.environ.copy())
    print(f"\nscipy not in sys.modules after 'import embedsum': {'PASS' if no_scipy else 'FAIL'} ({detail})")
    for label, median in medians.items():
        print(f"target: import embedsum <= {TARGET_MS:g} ms more than import numpy ({label}): "
              f"{'PASS' if median <= TARGET_MS else 'FAIL'} (median difference {median:.1f} ms)")
    ok = no_scipy and all(m <= TARGET_MS for m in medians.values())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
