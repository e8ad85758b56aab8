"""The general engine: any loss object, K outputs per bin, one plain pass per term.

It serves the losses the binary engine (:mod:`embedsum.training._binary_engine`) does not:
softmax over K classes (docs/design.md#multiclass), squared error (docs/design.md#regression),
or a user's loss. The per-row loss and its derivative come from ``loss.loss_gradient``; the
engine only gathers decision values from the table of bin values and scatters the
derivatives back with ``bincount``. The binary path is tuned for speed; this one keeps to
the simplest vectorised form, chunk by chunk over the rows.
"""

from __future__ import annotations

import numpy as np

# Below this many (term, row, output) cells, per-call overhead dominates: one gather and
# one bincount over all of them at once, where per-term, per-output calls would cost more.
_ONE_CALL_CELLS = 2**17
# Rows per chunk otherwise.
_CHUNK_ROWS = 2**16


class GeneralEngine:
    """Data term of any loss object and its gradient on binned rows, K outputs per bin.

    ``share`` holds each row's ``w_i / sum(w)``. :meth:`data_term` returns the weighted
    mean loss and writes its gradient into ``grad``; :meth:`decision` gives every row's
    decision values. A loss of one output gets ``z`` of shape (n,), else (n, K).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum.training._layout import ParameterLayout
    >>> from embedsum.training._losses import HalfSquaredError
    >>> engine = GeneralEngine(np.array([[0], [1]]), np.array([1.0, 3.0]), np.full(2, 0.5),
    ...                        ParameterLayout([3]), HalfSquaredError())
    >>> grad = np.empty(4)
    >>> engine.data_term(np.zeros(4), grad), grad.tolist()
    (2.5, [-0.5, -1.5, 0.0, -2.0])
    """

    def __init__(self, codes, y, share, layout, loss, *, max_cells: int | None = None,
                 n_threads: int | None = None, chunk_rows: int | None = None):
        # max_cells and n_threads tune the binary engine only; this engine runs on one thread.
        self.layout, self.loss = layout, loss
        self.n_samples = len(codes)
        self._rows = layout.term_rows(codes)  # (n_terms, n) bin rows
        self.chunk_rows = _CHUNK_ROWS if chunk_rows is None else max(1, int(chunk_rows))
        K = layout.n_outputs
        self._one_output = K == 1
        self._y = loss.check_target(y, K)
        self._w_share = share
        self._flat = None
        if chunk_rows is None and self._rows.size * K <= _ONE_CALL_CELLS:
            self._flat = (self._rows[:, :, None] * K + np.arange(K)).ravel()

    def _loss_rows(self, z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row loss and its derivative as an (n, K) array, from z of shape (n, K)."""
        if self._one_output:
            loss, dz = self.loss.loss_gradient(z[:, 0], y)
            return loss, dz.reshape(-1, 1)
        return self.loss.loss_gradient(z, y)

    def _decision(self, coef: np.ndarray, a: int, b: int) -> np.ndarray:
        table = self.layout.table(coef)
        z = np.empty((b - a, self.layout.n_outputs))
        z[:] = self.layout.intercepts(coef)
        for rows in self._rows[:, a:b]:
            z += table[rows]
        return z

    def decision(self, coef: np.ndarray) -> np.ndarray:
        """Decision values of every training row: shape (n,) with one output, (n, K) with K."""
        z = self._decision(coef, 0, self.n_samples)
        return z[:, 0] if self._one_output else z

    def data_term(self, coef: np.ndarray, grad: np.ndarray) -> float:
        """The weighted mean loss at ``coef``; writes its gradient into ``grad``."""
        if self._flat is not None:
            return self._one_call_terms(coef, grad)
        K, n_rows = self.layout.n_outputs, self.layout.n_bin_rows
        grad_table = np.zeros((n_rows, K))
        grad_intercepts = np.zeros(K)
        total = 0.0
        for a in range(0, self.n_samples, self.chunk_rows):
            b = min(a + self.chunk_rows, self.n_samples)
            z = self._decision(coef, a, b)
            w = self._w_share[a:b]
            loss_rows, dz = self._loss_rows(z, self._y[a:b])
            total += float(np.sum(loss_rows * w))
            dz *= w[:, None]
            grad_intercepts += dz.sum(axis=0)
            for k in range(K):
                column = np.ascontiguousarray(dz[:, k])
                for rows in self._rows[:, a:b]:
                    grad_table[:, k] += np.bincount(rows, weights=column, minlength=n_rows)
        self.layout.table(grad)[:] = grad_table
        self.layout.intercepts(grad)[:] = grad_intercepts
        return total

    def _one_call_terms(self, coef: np.ndarray, grad: np.ndarray) -> float:
        t, n = self._rows.shape
        K, n_rows = self.layout.n_outputs, self.layout.n_bin_rows
        table = coef[:n_rows * K]
        z = table[self._flat].reshape(t, n, K).sum(axis=0)
        z += self.layout.intercepts(coef)
        loss_rows, dz = self._loss_rows(z, self._y)
        total = float(np.sum(loss_rows * self._w_share))
        dz *= self._w_share[:, None]
        self.layout.intercepts(grad)[:] = dz.sum(axis=0)
        weights = np.broadcast_to(dz, (t, n, K)).ravel()
        grad[:n_rows * K] = np.bincount(self._flat, weights=weights, minlength=n_rows * K)
        return total

    def close(self) -> None:
        """Nothing to end: this engine starts no threads."""
