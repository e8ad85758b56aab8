"""Fit MIRAD-like rows out of core through Dask: generated per partition, written to Parquet, fitted on a LocalCluster.

The rows are 13 MIRAD-like counts and an attack label (the recipe of ``mirad_data.make_mirad_like``:
fixed feature parameters, each partition's rows drawn from its own seed), generated on the
workers one partition at a time and written to Parquet: the client never holds them. The
cluster is then restarted (so that each worker's peak memory is the fit's), and
``EmbeddingSumClassifier()`` fits ``dd.read_parquet(...)``: binned on the workers, codes kept
there, L-BFGS-B on the client (docs/design.md#dask). Printed:

- wall time of the Dask fit, binning included, and per row;
- peak resident memory of each worker (during the fit) and of the client;
- the time before the first objective evaluation (binning, the subsample start, the engines);
- per objective evaluation: the number of evaluations, the mean wall time of one, and the
  bytes it moves (the pickled parameter vector sent to each partition and the pickled
  (value, gradient) each sends back);
- the in-memory fit of the first 10**7 rows (or all, if fewer) in this process, after the Dask
  fit: its wall time per row, and both models' objective per row on those rows (equal data
  when --rows is 10**7 or less: then the relative difference of the two optima).

Usage::

    python benchmarks/bench_dask.py --rows 10000000        # about 4 minutes on 2 cores
    python benchmarks/bench_dask.py                        # 10**8 rows (long)
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mirad_data import BASE_RATE, _intercept_for_rate, mirad_counts, mirad_step  # noqa: E402

N_FEATURES = 13
SEED = 0
COLUMNS = [f"x{j}" for j in range(N_FEATURES)]


def _peak_mb() -> float:
    """Peak resident memory of this process, MB of 10**6 bytes (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _parameters():
    """The feature parameters (as make_mirad_like draws them), the informative features and their steps."""
    rng = np.random.default_rng(SEED)
    shapes = rng.uniform(0.1, 2.0, size=N_FEATURES)
    means = np.exp(rng.uniform(np.log(0.3), np.log(300.0), size=N_FEATURES))
    informative = np.sort(rng.permutation(N_FEATURES)[: (2 * N_FEATURES) // 3])
    heights = rng.normal(0.0, 1.0, size=(len(informative), 3))
    return shapes, means / shapes, means, informative, heights


def _logits(rng, X, means, informative, heights):
    logits = rng.normal(0.0, 1.0, size=len(X))
    for j, h in zip(informative, heights):
        logits += mirad_step(X[:, j], means[j], h)
    return logits


def _partition(part: int, rows: int, intercept: float):
    """One partition of the data set, as a pandas frame (drawn on a worker)."""
    import pandas as pd

    shapes, scales, means, informative, heights = _parameters()
    rng = np.random.default_rng([SEED, part])
    X = mirad_counts(rng, rows, shapes, scales)
    logits = _logits(rng, X, means, informative, heights) + intercept
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logits))).astype(np.int64)
    frame = pd.DataFrame(X, columns=COLUMNS)
    frame["y"] = y
    return frame


def _intercept() -> float:
    """The shift that makes about BASE_RATE of the labels 1, from 2**18 calibration rows."""
    shapes, scales, means, informative, heights = _parameters()
    rng = np.random.default_rng([SEED, 2**31])
    X = mirad_counts(rng, 2**18, shapes, scales)
    return _intercept_for_rate(_logits(rng, X, means, informative, heights), BASE_RATE)


def _worker_peak_mb() -> float:
    return _peak_mb()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e8)
    parser.add_argument("--partition-rows", type=float, default=1e6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    n_rows, part_rows = int(args.rows), int(args.partition_rows)

    import dask
    import dask.dataframe as dd
    import distributed

    import embedsum.distributed._objective as distributed_objective
    from embedsum import EmbeddingSumClassifier

    sizes = [part_rows] * (n_rows // part_rows) + ([n_rows % part_rows] if n_rows % part_rows else [])
    with tempfile.TemporaryDirectory() as folder, \
            distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None,
                                     silence_logs=40, memory_limit=0) as cluster, \
            distributed.Client(cluster) as client:
        intercept = _intercept()
        start = time.perf_counter()
        frame = dd.from_delayed([dask.delayed(_partition)(p, r, intercept) for p, r in enumerate(sizes)],
                                meta=_partition(0, 1, intercept).iloc[:0], verify_meta=False)
        frame.to_parquet(folder, write_index=False)
        print(f"{n_rows:,} rows x {N_FEATURES} counts in {len(sizes)} partitions, written to Parquet "
              f"in {time.perf_counter() - start:.1f} s")
        client.restart()  # each worker's peak memory is then the fit's

        evaluations = []
        data_term = distributed_objective.DistributedEngine.data_term

        def timed(self, coef, grad):
            t0 = time.perf_counter()
            value = data_term(self, coef, grad)
            evaluations.append((time.perf_counter() - t0, len(self.engines), coef, value, grad.copy(), t0))
            return value

        distributed_objective.DistributedEngine.data_term = timed
        data = dd.read_parquet(folder)
        start = time.perf_counter()
        model = EmbeddingSumClassifier().fit(data[COLUMNS], data["y"])
        seconds = time.perf_counter() - start
        distributed_objective.DistributedEngine.data_term = data_term
        workers = client.run(_worker_peak_mb)
        client_peak = _peak_mb()
        print(f"Dask fit: {seconds:.1f} s wall ({seconds / n_rows * 1e9:.0f} ns per row), {model.n_iter_} iterations")
        print("peak memory per worker (MB): " + ", ".join(f"{mb:.0f}" for mb in workers.values())
              + f"; client {client_peak:.0f} MB")
        times, n_parts, coef, value, grad, started = zip(*evaluations)
        out = len(pickle.dumps(coef[-1], protocol=5))
        back = len(pickle.dumps((value[-1], grad[-1]), protocol=5))
        print(f"before the first evaluation (binning, the subsample start, the engines): {started[0] - start:.1f} s; "
              f"{len(evaluations)} evaluations, {np.mean(times) * 1e3:.0f} ms each on average; per evaluation "
              f"{n_parts[-1]} partitions x ({out} B out + {back} B back) = {n_parts[-1] * (out + back):,} B "
              f"({len(coef[-1])} parameters)")

        reference_rows = min(n_rows, 10**7)
        head = dd.read_parquet(folder).head(reference_rows, npartitions=-1)
        X, y = head[COLUMNS].to_numpy(), head["y"].to_numpy()
        del head
        start = time.perf_counter()
        memory = EmbeddingSumClassifier().fit(X, y)
        memory_seconds = time.perf_counter() - start
    print(f"in-memory fit of {reference_rows:,} rows: {memory_seconds:.1f} s ({memory_seconds / reference_rows * 1e9:.0f} "
          f"ns per row); Dask per row / in-memory per row: {seconds / n_rows / (memory_seconds / reference_rows):.2f}")
    dask_loss, memory_loss = model.history_["loss"][-1], memory.history_["loss"][-1]
    same = reference_rows == n_rows
    print(f"objective per row (mean loss + penalties): Dask fit {dask_loss:.10f} on {n_rows:,} rows, in-memory fit "
          f"{memory_loss:.10f} on {reference_rows:,} rows"
          + (f"; relative difference {abs(dask_loss - memory_loss) / abs(memory_loss):.1e}" if same else ""))


if __name__ == "__main__":
    main()
