"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time


def per_call_us(score, rows, passes: int = 7) -> tuple[float, float]:
    """Best and median, over ``passes`` passes through ``rows``, of the microseconds per ``score(row)``."""
    for row in rows[:50]:  # warm-up
        score(row)
    times = []
    for _ in range(passes):
        start = time.perf_counter_ns()
        for row in rows:
            score(row)
        times.append((time.perf_counter_ns() - start) / len(rows) / 1e3)
    return min(times), statistics.median(times)


def one_row_workload(n_rows: int, n_timed: int):
    """MIRAD-like training rows and the ``n_timed`` rows scored one at a time after them
    (5 % of their values NaN): ``(X_fit, y_fit, rows)``."""
    import numpy as np

    from mirad_data import make_mirad_like

    X, y = make_mirad_like(n_rows)
    rng = np.random.default_rng(0)
    rows = X[-n_timed:].copy()
    rows[rng.random(rows.shape) < 0.05] = np.nan
    return X[:-n_timed], y[:-n_timed], rows
