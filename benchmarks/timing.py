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
