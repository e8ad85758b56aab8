"""The target and the sample weights of a fit over Dask partitions, checked and encoded on the workers.

Each partition checks its own labels (or target values) and weights as the in-memory fit
checks them; the classes are the sorted union of the partitions' classes, and each partition
encodes its labels as indices into it. What the client needs of the target (the start of the
intercept, the regression target's scale) are weighted sums, taken per partition over the
weights divided by their largest and added in partition order (docs/design.md#dask).
"""

from __future__ import annotations

import copy

import numpy as np

from .._targets import check_classification_target, check_regression_target


def _classes(y):
    classes, _ = check_classification_target(y, len(y))
    return classes


def _encoded(y, classes, as_float: bool):
    own, encoded = check_classification_target(y, len(y))
    codes = np.searchsorted(classes, own)[encoded] if len(own) else np.empty(0, dtype=np.intp)
    return codes.astype(np.float64 if as_float else np.intp)


def _regression(y):
    return check_regression_target(y, len(y))


def _weights(w):
    w = np.asarray(w, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight contains NaN or infinity; every weight must be a finite number >= 0.")
    if np.any(w < 0):
        raise ValueError("Negative values in sample_weight; every weight must be >= 0.")
    return float(w.max()) if len(w) else 0.0


def _rows(target, w, top, rows):
    """The target and the weights (over ``top``) of the rows of a mask (None: all rows)."""
    w = np.ones(len(target)) if w is None else np.asarray(w, dtype=np.float64) / top
    return (target, w) if rows is None else (target[rows], w[rows])


def _sums(target, w, rows, top, n_classes):
    """sum(w), and sum(w * y) (one output) or each class's sum(w) (n_classes > 0)."""
    target, w = _rows(target, w, top, rows)
    if n_classes:
        return float(np.sum(w)), np.bincount(target.astype(np.intp), weights=w, minlength=n_classes)
    return float(np.sum(w)), float(np.sum(w * target))


def _squares(target, w, rows, top, mean):
    target, w = _rows(target, w, top, rows)
    return float(np.sum(w * (target - mean) ** 2))


def _divided(target, scale):
    return target / scale


class Targets:
    """The checked target of ``parts`` (a :class:`~embedsum.distributed._partitions.Partitions`
    with ``y`` and maybe ``sample_weight``) on its workers.

    ``classifier``: labels encoded as indices into ``classes`` (0/1 floats with two classes);
    else the target as float64. Attributes: ``classes`` (None for a regressor), ``target``
    (futures, one per partition) and ``top`` (the largest weight, 1 without weights).
    """

    def __init__(self, parts, classifier: bool):
        from distributed import wait

        client = self.client = parts.client
        self.weights = parts.sample_weight
        self.top = 1.0
        if self.weights is not None:
            self.top = max(client.gather(client.map(_weights, self.weights, pure=False)))
            if not self.top > 0:
                raise ValueError("sample_weight is zero everywhere; at least one row must have a positive weight.")
        if classifier:
            own = client.gather(client.map(_classes, parts.y, pure=False))
            self.classes = np.unique(np.concatenate(own))
            if len(self.classes) < 2:
                raise ValueError(f"y contains only one class ({self.classes[0].item()!r}); a classifier needs rows "
                                 "of two classes.")
            as_float = len(self.classes) == 2
            self.target = [client.submit(_encoded, y, self.classes, as_float, pure=False) for y in parts.y]
        else:
            self.classes = None
            self.target = client.map(_regression, parts.y, pure=False)
        wait(self.target)  # then the raw target may be released

    def _each(self, function, rows, *args):
        ws = self.weights if self.weights is not None else [None] * len(self.target)
        rows = rows if rows is not None else [None] * len(self.target)
        return self.client.gather([self.client.submit(function, t, w, r, self.top, *args, pure=False)
                                   for t, w, r in zip(self.target, ws, rows)])

    def sums(self, n_classes: int = 0, rows=None):
        """``(sum of w, sum of w * y)`` or, with ``n_classes``, ``(sum of w, each class's sum of w)``,
        the weights over their largest, added in partition order; over the rows of the masks
        ``rows`` (futures, one per partition) when given."""
        results = self._each(_sums, rows, n_classes)
        total, by = 0.0, 0.0
        for part_total, part_by in results:
            total, by = total + part_total, by + part_by
        return total, by

    def scale(self, rows=None) -> float:
        """The weighted standard deviation of a regression target, as ``HalfSquaredError.target_scale``
        decides its unit (1 when it is 0 or not finite)."""
        total, weighted = self.sums(rows=rows)
        mean = weighted / total
        squares = self._each(_squares, rows, mean)
        std = float(np.sqrt(sum(squares) / total))
        return std if std > 0 and np.isfinite(std) and np.isfinite(1.0 / std) else 1.0

    def divided(self, scale: float) -> "Targets":
        """These targets in units of ``scale`` (the solver's units), divided on the workers."""
        other = copy.copy(self)
        other.target = [self.client.submit(_divided, t, scale, pure=False) for t in self.target]
        return other
