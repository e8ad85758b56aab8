"""The training objective of an embedding-sum model and its gradient, fused.

With ``z_i = coef[-1] + sum_j coef[offsets[j] + codes[i, j]]`` (layout: see
:mod:`embedsum.training._layout` and docs/design.md#parameter-layout), the binary
objective (``loss="log"``) is::

    sum_i( w_i * (softplus(z_i) - y_i * z_i) ) / sum_i( w_i )  +  sum of the regularisers

The data term is the weighted mean of the per-row losses. The published code (MIRAD)
averages ``w_i * loss_i`` over the n rows instead; the two are identical for unit weights
(the default), and dividing by ``sum(w)`` makes weights mean what scikit-learn users
expect: a weight of 2 is the row repeated, 0 the row removed, and multiplying every
weight by a constant changes nothing (see docs/design.md#published-objective and
#sample-weights). The same holds for the other losses (:mod:`embedsum.training._losses`):
``loss="softmax"`` (K classes, K values per bin, ``y_i`` the class index, see
docs/design.md#multiclass) has the data term
``sum_i( w_i * (logsumexp_k z_ik - z_i,y_i) ) / sum_i( w_i )``, and ``loss="squared"``
(docs/design.md#regression) ``sum_i( w_i * (z_i - y_i)**2 / 2 ) / sum_i( w_i )``.

This module is the facade: it checks the weights, asks the loss object which engine
evaluates its data term (:mod:`~embedsum.training._binary_engine` for the binary
log-loss, :mod:`~embedsum.training._general_engine` for any other) and adds the
regularisers.
"""

from __future__ import annotations

import numpy as np

from ._binary_engine import BinaryLogEngine
from ._general_engine import GeneralEngine
from ._layout import ParameterLayout
from ._losses import BinaryLogLoss, Loss, resolve_loss
# Importable from here as before (estimators/_cv.py imports them from this module).
from ._losses import log_loss_terms, softmax_loss_terms  # noqa: F401

# The engine of each loss class that has a tuned one; any other loss (a subclass too, as it
# may change the loss) is evaluated by the general engine through its loss_gradient.
_ENGINES = {BinaryLogLoss: BinaryLogEngine}


class EmbeddingSumObjective:
    """Loss and gradient of the flat parameter vector on binned training data.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_features)
        Bin codes (from :class:`~embedsum.binning._digitizer.Digitizer`).
    y : ndarray of shape (n_samples,)
        Targets: 0 or 1 (``loss="log"``), class indices 0..K-1 (``"softmax"``), or
        real numbers (``"squared"``).
    sample_weight : ndarray of shape (n_samples,)
        Finite, >= 0, not all 0; only their ratios matter.
    layout : ParameterLayout
    regularizers : sequence
        Objects with ``name`` and ``value_gradient(coef, layout)``.
    max_cells : int, optional
        Largest joint bin grid of a group of features (see
        :mod:`~embedsum.training._fused_groups`).
    n_threads : int, optional
        Threads that evaluate blocks of rows in parallel (default: the cores this process
        may use; a problem of one block, 8 chunks, uses one thread).
    chunk_rows : int, optional
        Rows per chunk (default 2**15 for the binary log-loss, 2**16 / K otherwise). Small
        binary problems are evaluated in one piece.
    loss : {"log", "softmax", "squared"} or Loss, default="log"
        The data term: a name of :data:`~embedsum.training._losses.LOSSES` or a loss
        object; "softmax" needs ``layout.n_outputs == K`` classes, the others one output
        (the loss's ``accepts``).

    After each call, ``last_components`` maps the loss's ``history_name`` (the data term:
    "classification" for the log-losses, "squared_error" for the squared loss) and each
    regulariser's name to its (weighted) value at the coef just evaluated. Both engines
    take their sums in a fixed order, so the number of threads changes no bit;
    ``max_cells`` and ``chunk_rows`` change the result only through rounding.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> objective = EmbeddingSumObjective(
    ...     np.array([[0], [1]]), np.array([0.0, 1.0]), np.ones(2), ParameterLayout([3]))
    >>> loss, grad = objective.loss_gradient(np.zeros(4))
    >>> round(loss, 6), grad.tolist()
    (0.693147, [0.25, -0.25, 0.0, 0.0])
    """

    def __init__(self, codes, y, sample_weight, layout: ParameterLayout, regularizers=(),
                 max_cells: int | None = None, n_threads: int | None = None, chunk_rows: int | None = None,
                 loss: str | Loss = "log"):
        codes = np.asarray(codes)
        self.n_samples, self.n_features = codes.shape
        self.layout = layout
        self.loss = resolve_loss(loss)
        if not self.loss.accepts(layout.n_outputs):
            raise ValueError(f"loss={self.loss.name!r} does not fit a layout of {layout.n_outputs} outputs per bin")
        self.regularizers = list(regularizers)
        self.last_components: dict[str, float] = {}
        # w_i / sum(w): the data term is a weighted mean. Divided by the largest weight first,
        # so that no sum overflows; unit weights give 1 / n exactly, as a mean over n rows.
        w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if len(w) != self.n_samples or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
            raise ValueError("sample_weight must hold one finite weight >= 0 per row, not all 0.")
        w = w / w.max()
        share = w / w.sum()
        engine = _ENGINES.get(type(self.loss), GeneralEngine)
        self._engine = engine(codes, y, share, layout, self.loss, max_cells=max_cells, n_threads=n_threads,
                              chunk_rows=chunk_rows)

    @classmethod
    def from_engine(cls, engine, layout: ParameterLayout, regularizers=(), loss: str | Loss = "log"):
        """The objective of an engine made elsewhere (one that evaluates the data term over
        partitions on a cluster, say): any object with ``n_samples``, ``data_term(coef, grad)``,
        ``decision(coef)`` and ``close()`` whose data term is the weighted mean loss."""
        self = cls.__new__(cls)
        self.n_samples, self.n_features = engine.n_samples, layout.n_features
        self.layout, self.loss = layout, resolve_loss(loss)
        self.regularizers = list(regularizers)
        self.last_components = {}
        self._engine = engine
        return self

    def decision(self, coef: np.ndarray) -> np.ndarray:
        """Decision value of every training row (summation order not guaranteed);
        shape (n,) with one output, (n, K) with K."""
        return self._engine.decision(np.asarray(coef, dtype=np.float64))

    def close(self) -> None:
        """End the threads this objective started (if any); it stays usable."""
        self._engine.close()

    def __enter__(self) -> "EmbeddingSumObjective":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def loss_gradient(self, coef: np.ndarray) -> tuple[float, np.ndarray]:
        """Return ``(objective value, gradient)`` at ``coef``."""
        coef = np.asarray(coef, dtype=np.float64)
        grad = np.empty_like(coef)
        data_term = self._engine.data_term(coef, grad)
        components = {self.loss.history_name: data_term}
        total = data_term
        for reg in self.regularizers:
            value, reg_grad = reg.value_gradient(coef, self.layout)
            components[reg.name] = components.get(reg.name, 0.0) + value
            total += value
            grad += reg_grad
        self.last_components = components
        return total, grad

    __call__ = loss_gradient
