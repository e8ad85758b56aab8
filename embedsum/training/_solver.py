"""Minimising an objective with scipy's L-BFGS-B, keeping a per-iteration history.

scipy is imported here, inside the function, so that ``import embedsum`` and
prediction need numpy alone.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np


@dataclass
class SolverResult:
    """What the solver found: the parameters, how it ended and the history of each loss term.

    Example
    -------
    >>> SolverResult(coef=np.zeros(2), n_iter=0, converged=True, message="").history
    {}
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    message: str
    history: dict = field(default_factory=dict)


def one_blas_thread():
    """A context in which OpenBLAS runs on one thread (when threadpoolctl is importable).

    Example
    -------
    >>> with one_blas_thread():
    ...     pass
    """
    # L-BFGS-B makes only tiny BLAS calls; OpenBLAS's extra threads just spin and take
    # the cores from the numpy work around them (2-3x slower fits on a loaded 2-core
    # machine). threadpoolctl is optional: without it, nothing changes.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def minimize_lbfgs(objective, x0: np.ndarray, *, max_iter: int, tol: float, scale=None, verbose: int = 0,
                   print_every: int = 10, limit_blas_threads: bool = True, bounds=None) -> SolverResult:
    """Minimise ``objective.loss_gradient`` from ``x0`` with L-BFGS-B.

    ``scale`` (positive, the shape of x0) preconditions the problem: L-BFGS-B works
    on ``u = x * scale``, which helps when the curvature along each coordinate is
    roughly proportional to ``scale**2``. With ``scale <= 1`` the stopping rule
    ``max |gradient in u| <= tol`` implies ``max |gradient in x| <= tol``.
    The history holds the total loss and each component at the start and after
    every iteration (``n_iter + 1`` entries). BLAS runs on one thread meanwhile (see
    :func:`one_blas_thread`) unless ``limit_blas_threads`` is False. ``bounds`` (a
    ``(low, high)`` pair per coordinate, None for no bound) must be 0 or infinite where
    ``scale`` is not 1, so that scaling leaves them unchanged.

    Example
    -------
    >>> import numpy as np
    >>> class Bowl:
    ...     last_components = {}
    ...     def loss_gradient(self, x):
    ...         self.last_components = {"bowl": float(x @ x)}
    ...         return float(x @ x), 2 * x
    >>> result = minimize_lbfgs(Bowl(), np.ones(3), max_iter=50, tol=1e-8)
    >>> result.converged, bool(np.abs(result.coef).max() < 1e-6)
    (True, True)
    """
    try:
        from scipy.optimize import minimize
    except ImportError as err:
        raise ImportError(
            "fitting an embedsum model needs scipy (pip install scipy); predicting does not."
        ) from err

    x0 = np.asarray(x0, dtype=np.float64)
    scale = np.ones_like(x0) if scale is None else np.asarray(scale, dtype=np.float64)
    cache = {}

    def fun(u):
        loss, grad = objective.loss_gradient(u / scale)
        cache["u"], cache["loss"], cache["components"] = u.copy(), loss, dict(objective.last_components)
        return loss, grad / scale

    history: dict[str, list] = {}

    def record(u):
        if "u" not in cache or not np.array_equal(cache["u"], u):
            fun(u)
        history.setdefault("loss", []).append(cache["loss"])
        for name, value in cache["components"].items():
            history.setdefault(name, []).append(value)
        iteration = len(history["loss"]) - 1
        if verbose and iteration % print_every == 0:
            terms = "  ".join(f"{k} {v:.6g}" for k, v in cache["components"].items())
            print(f"iter {iteration:5d}  loss {cache['loss']:.10g}  {terms}", flush=True)

    u0 = x0 * scale
    record(u0)
    # Setting the limit costs ~1.5 ms (threadpoolctl scans the loaded libraries): a caller
    # that solves many small problems sets it once around them all and passes False.
    with one_blas_thread() if limit_blas_threads else contextlib.nullcontext():
        result = minimize(
            fun,
            u0,
            jac=True,
            method="L-BFGS-B",
            callback=record,
            bounds=bounds,
            options={"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps, "maxls": 50},
        )
    return SolverResult(
        coef=np.asarray(result.x, dtype=np.float64) / scale,
        n_iter=int(result.nit),
        converged=bool(result.status == 0),
        message=str(result.message),
        history={k: np.asarray(v) for k, v in history.items()},
    )
