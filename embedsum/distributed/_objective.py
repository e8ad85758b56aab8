"""The objective over partitions on a cluster: codes stay on the workers, sums come back.

Each partition's rows are binned on its worker (:func:`partition_codes`) and kept there as
an engine of the in-memory kind (:mod:`embedsum.training._binary_engine` or
:mod:`~embedsum.training._general_engine`) over that partition's bin codes, with each row's
share ``w_i / sum(w)`` of the whole table. An evaluation sends the parameter vector out and
gets each partition's part of the data term and of its gradient back, then adds them in
partition order (a fixed order, so the same data give the same result); the regularisers are
added on the client, as in memory (docs/design.md#dask). If a worker is lost, Dask recomputes
its partitions' engines from their inputs, and the sums are unchanged.
"""

from __future__ import annotations

import numpy as np

from ..binning._digitizer import bin_codes, code_dtype
from ..training._binary_engine import BinaryLogEngine
from ..training._general_engine import GeneralEngine
from ..training._losses import BinaryLogLoss, resolve_loss
from ..training._objective import EmbeddingSumObjective
from ._cuts import _scaled_sum, _weight_stats


def partition_codes(X, cuts) -> np.ndarray:
    """Bin codes of a partition's rows (numeric features), as ``Digitizer.transform`` gives."""
    n_bins = max(len(c) for c in cuts) + 2 if len(cuts) else 2
    codes = np.empty(X.shape, dtype=code_dtype(n_bins), order="F")
    for j, column_cuts in enumerate(cuts):
        codes[:, j] = bin_codes(X[:, j], column_cuts)
    return codes


def _make_engine(codes, y, w, layout, loss, top, total):
    n = len(codes)
    share = (np.ones(n) if w is None else np.asarray(w, dtype=np.float64) / top) / total
    engine = BinaryLogEngine if type(loss) is BinaryLogLoss else GeneralEngine
    # One thread per partition: the cluster's workers are the parallelism.
    return engine(codes, y, share, layout, loss, n_threads=1)


def _evaluate(engine, coef):
    grad = np.empty_like(coef)
    return engine.data_term(coef, grad), grad


def _decision(engine, coef):
    return engine.decision(coef)


def _take(values, rows):
    return None if values is None else values[rows]


def _n_rows(rows) -> int:
    return int(np.count_nonzero(rows))


class DistributedEngine:
    """The data term summed over the partitions of a cluster (the engine interface of
    :class:`~embedsum.training._objective.EmbeddingSumObjective`).

    ``rows`` (futures of one boolean mask per partition, or None: all rows) restricts it to
    some rows, as the in-memory objective of those rows alone (a cross-validation fold).
    """

    def __init__(self, parts, codes: list, target: list, layout, loss, rows=None):
        client = self.client = parts.client
        loss = resolve_loss(loss)
        weights = parts.sample_weight
        if rows is None:
            self.n_samples = int(np.sum(parts.n_rows))
        else:
            codes, target = ([client.submit(_take, a, r, pure=False) for a, r in zip(values, rows)]
                             for values in (codes, target))
            if weights is not None:
                weights = [client.submit(_take, w, r, pure=False) for w, r in zip(weights, rows)]
            self.n_samples = sum(client.gather(client.map(_n_rows, rows, pure=False)))
        if weights is None:
            top, total = 1.0, float(self.n_samples)
            weights = [None] * len(codes)
        else:
            # As in memory: weights over their largest, then over their sum.
            stats = client.gather([client.submit(_weight_stats, None, None, w, pure=False) for w in weights])
            top = max(largest for largest, _ in stats)
            total = sum(client.gather([client.submit(_scaled_sum, None, None, w, top, pure=False) for w in weights]))
        self.engines = [client.submit(_make_engine, c, y, w, layout, loss, top, total, pure=False)
                        for c, y, w in zip(codes, target, weights)]

    def data_term(self, coef: np.ndarray, grad: np.ndarray) -> float:
        results = self.client.gather([self.client.submit(_evaluate, e, coef, pure=False) for e in self.engines])
        value = 0.0
        grad[:] = 0.0
        for part_value, part_grad in results:  # in partition order
            value += part_value
            grad += part_grad
        return value

    def decision(self, coef: np.ndarray) -> np.ndarray:
        parts = self.client.gather([self.client.submit(_decision, e, coef, pure=False) for e in self.engines])
        return np.concatenate(parts)

    def close(self) -> None:
        """Release the engines on the workers."""
        for engine in self.engines:
            engine.release()
        self.engines = []


def distributed_objective(parts, cuts, target: list, layout, regularizers=(), loss="log") -> EmbeddingSumObjective:
    """The objective of :mod:`embedsum.training._objective` over ``parts``' rows, binned by ``cuts``
    on the workers; ``target`` holds each partition's target (futures), as the loss expects it."""
    codes = [parts.client.submit(partition_codes, x, cuts, pure=False) for x in parts.X]
    engine = DistributedEngine(parts, codes, target, layout, loss)
    return EmbeddingSumObjective.from_engine(engine, layout, regularizers, loss)
