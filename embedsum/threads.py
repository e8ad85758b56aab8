"""How many threads embedsum's numpy work may use.

Fitting splits long passes (binning columns, evaluating the objective on chunks of
rows) over a few threads: numpy releases the GIL inside ufuncs, ``take``, ``sort``
and ``bincount``, so the threads run on separate cores. Each caller makes its own
short-lived pool; nothing here keeps state.
"""

from __future__ import annotations

import os

__all__ = ["default_n_threads"]


def default_n_threads() -> int:
    """The number of cores this process may run on (at least 1).

    Example
    -------
    >>> default_n_threads() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
