"""The links: decision values to probabilities, bit for bit the same on every path and CPU.

docs/design.md#scoring-contract states the links; this module computes them in numpy
and in Python floats. numpy's ``np.exp`` is not the C library's ``exp`` (on AVX-512 CPUs
numpy uses its own vectorised code, up to 2 ulp apart) and C libraries differ among
themselves, so neither is used: the sigmoid and the softmax call one portable exp
(:mod:`embedsum._portable_exp`, docs/design.md#portable-exp) made of IEEE float64
additions and multiplications in a fixed order, each correctly rounded by definition on
every CPU, and exact scalings by powers of two. numpy ufuncs never fuse a multiplication
with an addition, Python floats neither, and the generated C keeps its compiler from doing
so. Then, with ``z`` the decision value(s):

- two classes: ``e = exp(-|z|)`` (at most 1: nothing overflows, for any float64 z,
  ±inf included); ``sigmoid(z) = 1 / (1 + e)`` where ``z >= 0``, else ``1 / (1 + 1 / e)``
  (0 where ``e`` is 0). Each step rounds monotonically, so the sigmoid never decreases, to
  the last bit (``e / (1 + e)``, the same number in exact arithmetic, did by one ulp);
  ``[P(class 0), P(class 1)] = [sigmoid(-z), sigmoid(z)]``;
- K classes: ``e_k = exp(z_k - max_k z_k)``; ``total = e_0 + e_1 + ...`` added left to
  right (``np.cumsum``, which is sequential, never ``np.sum``, which adds pairwise);
  ``P(class k) = e_k / total``.

Up to ``FEW_VALUES`` values, Python floats beat numpy's per-call costs, and give the same
bits. The softmax of many rows runs in chunks of about ``_CHUNK_VALUES`` values, so its
temporaries stay a few MiB whatever the number of classes.
"""

from __future__ import annotations

import math

import numpy as np

from .._portable_exp import exp_nonpositive, exp_nonpositive_array
from ._few_rows import FEW_ROWS


FEW_VALUES = 32    # up to this many probabilities, Python floats beat numpy's per-call costs
_CHUNK_VALUES = 2**16  # values per chunk of the softmax: 512 KiB per temporary


def sigmoid(z) -> np.ndarray:
    """``1 / (1 + exp(-z))`` without overflow for any float64, ±inf included.

    Bit for bit the same on every CPU and in the exported code (see the module docstring).

    Example
    -------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    z = np.asarray(z, dtype=np.float64)
    if z.size <= FEW_VALUES:
        values = z.ravel().tolist()
        e = [exp_nonpositive(-abs(t)) for t in values]
        return np.array([1.0 / (1.0 + et) if t >= 0 else _below_half(et) for t, et in zip(values, e)],
                        dtype=np.float64).reshape(z.shape)
    e = np.negative(np.abs(z))
    exp_nonpositive_array(e, e, np.empty(z.shape), np.empty(z.shape), np.empty(z.shape, dtype=np.int32))
    with np.errstate(divide="ignore", under="ignore"):  # e == 0: 1 / e is inf, and 1 / (1 + inf) is 0
        below = 1.0 / (1.0 + 1.0 / e)
    return np.where(z >= 0, 1.0 / (1.0 + e), below)


def _below_half(e: float) -> float:
    """sigmoid(t) for t < 0 from ``e = exp(t)`` in Python floats: ``1 / (1 + 1 / e)``, 0 where e is 0."""
    return 1.0 / (1.0 + 1.0 / e) if e else 0.0


def _few_rows_probabilities(z: list) -> np.ndarray:
    """``[sigmoid(-t), sigmoid(t)]`` for each decision value t (Python floats), as :func:`sigmoid` computes them."""
    rows = []
    for t in z:
        e = exp_nonpositive(-abs(t))  # in [0, 1]: never overflows
        a, b = 1.0 / (1.0 + e), _below_half(e)
        # sigmoid(t) = 1 / (1 + e) if t >= 0 else 1 / (1 + 1 / e); Python floats are IEEE float64
        rows.append((a if -t >= 0 else b, a if t >= 0 else b))
    return np.array(rows, dtype=np.float64).reshape(len(rows), 2)


def probabilities_of_decision_values(z: np.ndarray) -> np.ndarray:
    """``[sigmoid(-z), sigmoid(z)]`` of 1-D decision values, shape (n, 2), as :func:`sigmoid` computes them.

    Example
    -------
    >>> probabilities_of_decision_values(np.array([0.0, np.inf])).tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """
    from ._batch import probability_buffers, write_probabilities

    z = np.ascontiguousarray(z, dtype=np.float64)
    n = len(z)
    if n <= FEW_ROWS:
        return _few_rows_probabilities(z.tolist())
    out = np.empty((n, 2))
    write_probabilities(z, out, probability_buffers(n))
    return out


def _softmax_lists(rows: list) -> list:
    """Softmax of each list of Python floats, as :func:`softmax` computes it."""
    out = []
    for z in rows:
        # np.max: NaN if any value is NaN (the sign of a zero maximum changes no result)
        top = z[0] if len(z) == 1 else math.nan if any(v != v for v in z) else max(z)
        e = [exp_nonpositive(v - top) for v in z]
        total = 0.0
        for v in e:  # left to right
            total += v
        out.append([v / total for v in e])
    return out


class _SoftmaxScratch:
    """Scratch arrays of the softmax of up to ``rows`` rows of K values."""

    def __init__(self, rows: int, k: int) -> None:
        self.top = np.empty((rows, 1))
        self.total = np.empty((rows, k))
        self.r = np.empty((rows, k))
        self.n = np.empty((rows, k))
        self.k = np.empty((rows, k), dtype=np.int32)

    def softmax_in_place(self, e: np.ndarray) -> None:
        """e (m, K), C-contiguous, m <= rows: its row-wise softmax, in place."""
        m = e.shape[0]
        top = self.top[:m]
        np.max(e, axis=1, out=top[:, 0])
        np.subtract(e, top, out=e)
        exp_nonpositive_array(e, e, self.r[:m], self.n[:m], self.k[:m])
        total = self.total[:m]
        np.cumsum(e, axis=1, out=total)  # sequential: e_0 + e_1 + ... left to right
        np.divide(e, total[:, -1:], out=e)


def softmax(z) -> np.ndarray:
    """Row-wise ``exp(z) / sum(exp(z))`` of a (n, K) array, stable for any finite z.

    Bit for bit the same on every CPU and in the exported code (see the module
    docstring); rows are done in chunks, so temporaries stay small.

    Example
    -------
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"softmax needs a 2-D array of shape (n, K); got shape {z.shape}")
    n, k = z.shape
    if n * k <= FEW_VALUES:
        return np.array(_softmax_lists(z.tolist()), dtype=np.float64).reshape(n, k)
    out = np.array(z, dtype=np.float64, order="C")
    rows = max(1, min(n, _CHUNK_VALUES // max(k, 1)))
    scratch = _SoftmaxScratch(rows, k)
    for start in range(0, n, rows):
        scratch.softmax_in_place(out[start:start + rows])
    return out
