"""Parameter handling shared by estimators, following scikit-learn's conventions by duck typing.

scikit-learn is never imported at import time: ``__sklearn_tags__`` builds its tags
only when scikit-learn itself asks for them.
"""

from __future__ import annotations

import inspect


class ParamsMixin:
    """``get_params`` / ``set_params`` / ``repr`` from the ``__init__`` signature.

    ``__init__`` must store each argument under its own name and do nothing else.

    Example
    -------
    >>> class Model(ParamsMixin):
    ...     def __init__(self, alpha=1.0):
    ...         self.alpha = alpha
    >>> Model().set_params(alpha=2.0).get_params()
    {'alpha': 2.0}
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(
            p.name for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict:
        """Constructor arguments of this estimator, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor arguments by name; returns self."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {valid!r}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except Exception:  # arrays and other values without a plain truth value
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"
