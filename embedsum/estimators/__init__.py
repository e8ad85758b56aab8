"""Estimators: the shared base, the classifier, the regressor and their cross-validated versions.

Private: the estimators are public as :class:`embedsum.EmbeddingSumClassifier` and its siblings.

They reach distributed/ only when given a Dask collection (docs/design.md#dask).

May import: foundation, binning, scoring, training, persistence, inspection, distributed.
"""
