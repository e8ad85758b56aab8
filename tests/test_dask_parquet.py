"""Out-of-core fitting through Dask (distributed/_table.py): a Parquet dataset read by dd.read_parquet is
binned on the workers, only its codes (and the checked target) stay in worker memory, and the model is
the in-memory one of the same rows (docs/design.md#dask)."""

import time

import numpy as np
import pytest

import dask.dataframe as dd  # the test extra installs dask, distributed and pyarrow: never skipped
import pandas as pd

from embedsum import EmbeddingSumClassifier
from embedsum.estimators._dask_fit import dask_training


def _write(folder, n_files=3, rows=700):
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n_files):
        frame = pd.DataFrame({
            "writes": rng.poisson(3.0, rows).astype(float),
            "renames": np.where(rng.random(rows) < 0.05, np.nan, rng.exponential(size=rows)),
            "process": rng.choice(["explorer", "svchost", "vssadmin"], rows),
        })
        frame["attack"] = (frame["writes"] + 2 * (frame["process"] == "vssadmin") + rng.normal(size=rows) > 4)
        frame.to_parquet(folder / f"part{i}.parquet")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _held(dask_worker):
    """What a worker holds in memory: (kind, dtype, number of dimensions) of each value."""
    out = []
    for value in dask_worker.data.values():
        kind = type(value).__name__
        out.append((kind, str(getattr(value, "dtype", "")), getattr(value, "ndim", 0)))
    return out


def test_a_parquet_dataset_fits_the_in_memory_model_and_keeps_only_codes_on_the_workers(dask_client, tmp_path):
    table = _write(tmp_path)
    frame = dd.read_parquet(str(tmp_path))
    X, y = frame[["writes", "renames", "process"]], frame["attack"]
    model = EmbeddingSumClassifier(max_bins=8, tol=1e-10)
    _, bins, targets, binned = dask_training(model, X, y, None, classifier=True)
    expected = [("ndarray", "float64", 1), ("ndarray", "uint8", 2)]
    deadline = time.monotonic() + 60
    while True:  # released futures leave the workers asynchronously
        held = [item for items in dask_client.run(_held).values() for item in items]
        if sorted(set(held)) == expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    # After binning: each partition's codes (uint8, 2-D) and its checked target (1-D); no float rows.
    assert sorted(set(held)) == expected
    assert len(held) == 2 * frame.npartitions
    assert bins.categories[2].tolist() == ["explorer", "svchost", "vssadmin"]
    del binned, targets
    memory = EmbeddingSumClassifier(max_bins=8, tol=1e-10).fit(table[["writes", "renames", "process"]], table["attack"])
    distributed = EmbeddingSumClassifier(max_bins=8, tol=1e-10).fit(X, y)
    for a, b in zip(distributed.cuts_, memory.cuts_):
        assert (a is None and b is None) or np.array_equal(a, b)
    scores = [np.concatenate([np.ravel(s) for s in m.bin_scores_] + [[m.intercept_]]) for m in (distributed, memory)]
    gap = np.max(np.abs(scores[0] - scores[1])) / np.max(np.abs(scores[1]))
    assert gap <= 1e-6, gap
    np.testing.assert_array_equal(distributed.predict_proba(X).compute(),
                                  distributed.predict_proba(table[["writes", "renames", "process"]]))
