"""Cross-validation folds over Dask partitions: row masks on the workers and held-out scores summed back.

The folds are those of the in-memory estimator on the same rows: the client deals them with
the in-memory dealer from the encoded target (and the weights), one value per row, and sends
each partition its rows' fold numbers; a fold's training and test rows are then boolean masks
computed on the workers. A held-out score is each partition's weighted loss sum over its
test rows, added in partition order (docs/design.md#dask).
"""

from __future__ import annotations

import numpy as np


def gather_rows(client, futures) -> np.ndarray:
    """The per-partition 1-D arrays of ``futures`` as one array on the client, in partition order."""
    return np.concatenate(client.gather(list(futures)))


def _fold_numbers(numbers):
    return numbers


def scatter_folds(client, fold: np.ndarray, n_rows) -> list:
    """Futures of each partition's slice of ``fold`` (each row's fold number, -1 for none)."""
    edges = np.concatenate([[0], np.cumsum(n_rows)])
    # Sent as the argument of a task rather than scattered: a lost worker's copy is recomputed.
    return [client.submit(_fold_numbers, fold[a:b].astype(np.int16), pure=False)
            for a, b in zip(edges[:-1], edges[1:])]


def _mask(fold, k: int, train: bool):
    return (fold != k) & (fold >= 0) if train else fold == k


def fold_masks(client, folds: list, k: int, train: bool) -> list:
    """Futures of the boolean masks of fold ``k``'s training (or test) rows, one per partition."""
    return [client.submit(_mask, f, k, train, pure=False) for f in folds]


def _decision(codes, coef, layout):
    """Decision values of binned rows in the bin-code order of the contract: the intercept, then each feature's score."""
    k = layout.n_outputs
    table = coef[:-k].reshape(-1, k)
    z = np.tile(coef[-k:], (len(codes), 1))
    for j in range(codes.shape[1]):
        z += table[layout.offsets[j] + codes[:, j].astype(np.intp)]
    return z[:, 0] if k == 1 else z


def _held_out(codes, target, w, rows, coef, layout, loss, top):
    w = np.ones(len(target)) if w is None else np.asarray(w, dtype=np.float64) / top
    codes, target, w = codes[rows], target[rows], w[rows]
    total = float(np.sum(w))
    if total == 0:
        return 0.0, 0.0
    return loss.held_out(target, _decision(codes, coef, layout), w) * total, total


def held_out_score(client, codes, target, weights, rows, coef, layout, loss, top: float) -> float:
    """The weighted mean held-out loss of ``coef`` over the rows of the masks ``rows``."""
    ws = weights if weights is not None else [None] * len(codes)
    parts = client.gather([client.submit(_held_out, c, t, w, r, coef, layout, loss, top, pure=False)
                           for c, t, w, r in zip(codes, target, ws, rows)])
    weighted, total = 0.0, 0.0
    for part_weighted, part_total in parts:  # in partition order
        weighted, total = weighted + part_weighted, total + part_total
    return weighted / total
