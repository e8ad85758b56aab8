"""embedsum: interpretable classifiers made of one step function per feature.

Example
-------
>>> import numpy as np
>>> import embedsum
>>> X = np.random.default_rng(0).normal(size=(200, 3))
>>> model = embedsum.EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
>>> model.predict_proba(X[:2]).shape
(2, 2)
"""

from .digitizer import Digitizer
from .cross_validation import EmbeddingSumClassifierCV
from .estimator import EmbeddingSumClassifier
from .exceptions import ConvergenceWarning, NotFittedError
from .layout import ParameterLayout
from .regularizers import L2, EmbeddingSumLoss, Regularizer, StepLoss

__version__ = "0.1.0"

# Loaded on first use, so that `import embedsum` stays light (the loader is large).
_LAZY = {"load": "persistence", "from_json": "persistence"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "Digitizer",
    "EmbeddingSumClassifier",
    "EmbeddingSumClassifierCV",
    "ConvergenceWarning",
    "NotFittedError",
    "ParameterLayout",
    "Regularizer",
    "StepLoss",
    "EmbeddingSumLoss",
    "L2",
    "load",
    "from_json",
    "__version__",
]
