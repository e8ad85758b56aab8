"""Inspection of a fitted model: explanations, baselines, text descriptions, plots, metrics.

Private: the public modules are :mod:`embedsum.explain` and :mod:`embedsum.plot`.

May import: foundation, binning, scoring.
"""
