"""How many threads embedsum's numpy work may use.

Fitting and batch scoring split long passes (binning columns, evaluating the objective
or scoring chunks of rows) over a few threads: numpy releases the GIL inside ufuncs, ``take``, ``sort``
and ``bincount``, so the threads run on separate cores. Each caller makes its own
short-lived pool; nothing here keeps state.
"""

from __future__ import annotations

import os


def default_n_threads() -> int:
    """The number of cores this process may run on (at least 1).

    Example
    -------
    >>> default_n_threads() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity mask outside Linux
        return max(1, os.cpu_count() or 1)
