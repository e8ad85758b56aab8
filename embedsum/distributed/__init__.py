"""Fitting on a Dask cluster: row partitions stay on the workers (docs/design.md#dask).

Imported only when a Dask collection is handed to embedsum; it imports dask and
distributed (``pip install embedsum[dask]``). Private: the estimators are the public way in.

May import: foundation, binning, training.
"""
