"""Minimising an objective with scipy's L-BFGS-B, keeping a per-iteration history.

scipy is imported here, inside the function, so that ``import embedsum`` and
prediction need numpy alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SolverResult", "minimize_lbfgs"]


@dataclass
class SolverResult:
    """What the solver found: the parameters, how it ended and the history of each loss term."""

    coef: np.ndarray
    n_iter: int
    converged: bool
    message: str
    history: dict = field(default_factory=dict)


def minimize_lbfgs(objective, x0: np.ndarray, *, max_iter: int, tol: float, verbose: int = 0,
                   print_every: int = 10) -> SolverResult:
    """Minimise ``objective.loss_gradient`` from ``x0`` with L-BFGS-B.

    ``tol`` bounds the largest gradient component at the optimum (scipy's ``gtol``).
    The history holds the total loss and each component at the start and after
    every iteration (``n_iter + 1`` entries).

    Example
    -------
    >>> import numpy as np
    >>> class Bowl:
    ...     last_components = {}
    ...     def loss_gradient(self, x):
    ...         self.last_components = {"bowl": float(x @ x)}
    ...         return float(x @ x), 2 * x
    >>> result = minimize_lbfgs(Bowl(), np.ones(3), max_iter=50, tol=1e-8)
    >>> result.converged, np.abs(result.coef).max() < 1e-6
    (True, True)
    """
    try:
        from scipy.optimize import minimize
    except ImportError as err:
        raise ImportError(
            "fitting an embedsum model needs scipy (pip install scipy); predicting does not."
        ) from err

    cache = {}

    def fun(x):
        loss, grad = objective.loss_gradient(x)
        cache["x"], cache["loss"], cache["components"] = x.copy(), loss, dict(objective.last_components)
        return loss, grad

    history: dict[str, list] = {}

    def record(x):
        if "x" not in cache or not np.array_equal(cache["x"], x):
            fun(x)
        history.setdefault("loss", []).append(cache["loss"])
        for name, value in cache["components"].items():
            history.setdefault(name, []).append(value)
        iteration = len(history["loss"]) - 1
        if verbose and iteration % print_every == 0:
            terms = "  ".join(f"{k} {v:.6g}" for k, v in cache["components"].items())
            print(f"iter {iteration:5d}  loss {cache['loss']:.10g}  {terms}", flush=True)

    record(np.asarray(x0, dtype=np.float64))
    result = minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        callback=record,
        options={"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps, "maxls": 50},
    )
    return SolverResult(
        coef=np.asarray(result.x, dtype=np.float64),
        n_iter=int(result.nit),
        converged=bool(result.status == 0),
        message=str(result.message),
        history={k: np.asarray(v) for k, v in history.items()},
    )
