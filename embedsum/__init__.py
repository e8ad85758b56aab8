"""embedsum: interpretable classifiers and regressors made of one step function per feature.

Example
-------
>>> import numpy as np
>>> import embedsum
>>> X = np.random.default_rng(0).normal(size=(200, 3))
>>> model = embedsum.EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
>>> model.predict_proba(X[:2]).shape
(2, 2)

Layout: the names below and the public modules ``audit``, ``datasets``, ``explain``, ``export``,
``plot`` (and ``cli`` for the command) are the API. Everything else is private: the
foundation modules at the top (``_*.py``, which import only each other) and the folders
``binning``, ``scoring``, ``training``, ``persistence``, ``inspection``, ``estimators``,
each of whose docstrings says what it may import (tests/test_layout.py checks it).
"""

from ._exceptions import ConvergenceWarning, NotFittedError
from .binning._digitizer import Digitizer
from .estimators import _kinds  # noqa: F401  (tells the loader which class each saved kind is)
from .estimators._classifier import EmbeddingSumClassifier
# Imported with the package, not on first use: a security tool imports embedsum to load a
# model, and the first load would otherwise pay for importing json and the loader (~2 ms).
from .persistence._reader import from_json, load

__version__ = "0.1.0"

# Fitting-only modules load on first use: a vendored copy without bytecode compiles each
# module it imports, and scoring needs none of these.
_LAZY = {
    "EmbeddingSumClassifierCV": "estimators._cv",
    "EmbeddingSumRegressorCV": "estimators._cv",
    "EmbeddingSumRegressor": "estimators._regressor",
    "ParameterLayout": "training._layout",
    "Regularizer": "training._regularizers",
    "StepLoss": "training._regularizers",
    "EmbeddingSumLoss": "training._regularizers",
    "L2": "training._regularizers",
}


# The public modules, also loaded on first use (``embedsum.explain`` after ``import embedsum``).
_SUBMODULES = ("audit", "cli", "datasets", "explain", "export", "plot")


def __getattr__(name: str):
    if name in _LAZY or name in _SUBMODULES:
        from importlib import import_module

        if name in _SUBMODULES:
            return import_module(f".{name}", __name__)
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


__all__ = [
    "Digitizer",
    "EmbeddingSumClassifier",
    "EmbeddingSumClassifierCV",
    "EmbeddingSumRegressor",
    "EmbeddingSumRegressorCV",
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
    *_SUBMODULES,
]
