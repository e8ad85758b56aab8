"""The command line: ``python -m embedsum`` and the ``embedsum`` console script.

Public for its entry point, :func:`main`.

May import: foundation, binning, scoring, estimators, persistence, inspection, export, datasets, audit.
"""

from ._main import main

__all__ = ["main"]
