"""Estimators: the shared base, the classifier, the regressor and their cross-validated versions.

Private: the estimators are public as :class:`embedsum.EmbeddingSumClassifier` and its siblings.

May import: foundation, binning, scoring, training, persistence, inspection.
"""
