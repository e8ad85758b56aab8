"""The estimator class of each kind of saved model, registered with the loader.

The loader (:mod:`embedsum.persistence._reader`) never imports the estimators: the package
imports this module, which tells it which class each document ``kind`` loads as. The
regressor's module loads with the first regressor document, not with ``import embedsum``.
"""

from ..persistence._reader import register_kind


def _classifier() -> type:
    from ._classifier import EmbeddingSumClassifier

    return EmbeddingSumClassifier


def _regressor() -> type:
    from ._regressor import EmbeddingSumRegressor

    return EmbeddingSumRegressor


register_kind("classifier", _classifier)
register_kind("regressor", _regressor)
