"""One exp for every scoring path: plain IEEE float64 operations, the same bits everywhere.

numpy's ``np.exp`` uses its own vectorised code on some CPUs (AVX-512) and differs from
the C library's ``exp`` (``math.exp``) by up to 2 ulp; C libraries differ among
themselves too. Probabilities are to be equal bit for bit on every path (batch numpy,
few rows in pure Python, generated Python, generated C) and every CPU, so they use this
exp instead, written with operations that IEEE 754 defines to the bit: +, -, * (each
correctly rounded, never fused) and exact scalings by powers of two.

The algorithm, for ``x <= 0`` (the sigmoid needs ``exp(-|z|)``, the softmax
``exp(z - max)``):

1. ``x`` NaN gives ``x``; ``x < X_MIN`` (-inf included) gives 0.0, where exp(x) < 2**-1076
   rounds to 0 anyway (the numpy code clamps to X_MIN, which gives 0.0 too).
2. ``n = rint(x * INV_LN2)``, rounded half to even;
   ``r = (x - n * LN2_HI) - n * LN2_LO``, where LN2_HI has 32 significant bits, so
   ``n * LN2_HI`` is exact for ``|n| < 2**21`` and ``x - n * LN2_HI`` is exact (Sterbenz);
   ``|r| <= ln2 / 2`` (about).
3. ``q = C13``, then ``q = q * r + C_k`` for k = 12 down to 2 (Horner, two roundings per
   step), ``C_k = 1 / k!`` correctly rounded (Taylor: the truncation error is below
   4e-18 relative on ``|r| <= 0.35``); ``p = 1.0 + (r + (q * r) * r)``, in that order.
4. ``exp(x) = ldexp(p, n + SHIFT) * 2**-SHIFT``: the ``ldexp`` is exact (its result is a
   normal number, since ``n >= -1076``), and the product by ``2**-SHIFT`` rounds once,
   correctly, where the result is subnormal.

Measured against an exact reference (Python's decimal module at 60 digits), the result is within 1 ulp of exp(x)
(see tests/test_portable_exp.py). :func:`exp_nonpositive` (Python floats) and
:func:`exp_nonpositive_array` (numpy) perform these operations in this order;
:func:`python_source` writes them for the generated Python (constants as ``repr``
literals, which read back exactly); the C runtime of the export (embedsum/export/_runtime.h)
performs the same operations with the same constants as hexadecimal literals, and the
export's tests check that it scores the same bits (docs/design.md#portable-exp).
Nothing here handles ``x > 0``, which no caller needs.
"""

from __future__ import annotations

from math import ldexp as _ldexp

import numpy as np


X_MIN = -746.0  # exp(-746) < 2**-1076: rounds to 0.0
INV_LN2 = float.fromhex("0x1.71547652b82fep+0")   # 1 / ln 2
LN2_HI = float.fromhex("0x1.62e42fee00000p-1")    # ln 2, 32 significant bits (the low 21 are zero)
LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")   # ln 2 - LN2_HI
SHIFT = 60  # ldexp(p, n + SHIFT) is a normal number for every n >= -1076
TWO_TO_MINUS_SHIFT = float.fromhex("0x1p-60")
# C_13, C_12, ..., C_2: 1 / k!, correctly rounded, in the order Horner's rule uses them.
COEFFICIENTS = tuple(float.fromhex(h) for h in (
    "0x1.6124613a86d09p-33", "0x1.1eed8eff8d898p-29", "0x1.ae64567f544e4p-26", "0x1.27e4fb7789f5cp-22",
    "0x1.71de3a556c734p-19", "0x1.a01a01a01a01ap-16", "0x1.a01a01a01a01ap-13", "0x1.6c16c16c16c17p-10",
    "0x1.1111111111111p-7", "0x1.5555555555555p-5", "0x1.5555555555555p-3", "0x1.0000000000000p-1",
))
(_C13, _C12, _C11, _C10, _C9, _C8, _C7, _C6, _C5, _C4, _C3, _C2) = COEFFICIENTS


def exp_nonpositive(x: float) -> float:
    """exp(x) of a Python float ``x <= 0`` (or NaN), bit for bit as every embedsum path computes it.

    Example
    -------
    >>> exp_nonpositive(0.0), exp_nonpositive(-float("inf"))
    (1.0, 0.0)
    >>> abs(exp_nonpositive(-1.0) - 0.36787944117144233) <= 2**-53
    True
    """
    if not x >= X_MIN:
        return x if x != x else 0.0
    n = round(x * INV_LN2)  # an int, rounded half to even
    r = (x - n * LN2_HI) - n * LN2_LO
    q = _C13  # Horner's rule: each * and + rounds
    q = q * r + _C12
    q = q * r + _C11
    q = q * r + _C10
    q = q * r + _C9
    q = q * r + _C8
    q = q * r + _C7
    q = q * r + _C6
    q = q * r + _C5
    q = q * r + _C4
    q = q * r + _C3
    q = q * r + _C2
    return _ldexp(1.0 + (r + (q * r) * r), n + SHIFT) * TWO_TO_MINUS_SHIFT


def exp_nonpositive_array(x: np.ndarray, out: np.ndarray, r: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``out = exp(x)`` elementwise for float64 ``x <= 0`` (or NaN), bit for bit :func:`exp_nonpositive`.

    ``out`` may be ``x``; ``r`` and ``n`` are float64 and ``k`` int32 scratch arrays of
    x's shape. Raises no floating-point warning (the caller's np.errstate is kept for
    everything else).

    Example
    -------
    >>> import numpy as np
    >>> x = np.array([0.0, -1.0, -800.0, -np.inf])
    >>> scratch = [np.empty(4), np.empty(4), np.empty(4, dtype=np.int32)]
    >>> exp_nonpositive_array(x, np.empty(4), *scratch).tolist() == [exp_nonpositive(v) for v in x.tolist()]
    True
    """
    # Products may underflow (tiny r, subnormal results): rounded as intended, not an error.
    with np.errstate(under="ignore"):
        np.fmax(x, X_MIN, out=n)      # n: finite (NaN -> X_MIN), so that it converts to an int
        np.maximum(x, X_MIN, out=r)   # r: NaN stays NaN, and makes the result NaN
        np.multiply(n, INV_LN2, out=n)
        np.rint(n, out=n)
        np.multiply(n, LN2_HI, out=out)
        np.subtract(r, out, out=r)
        np.multiply(n, LN2_LO, out=out)
        np.subtract(r, out, out=r)
        q = out
        np.multiply(r, _C13, out=q)
        np.add(q, _C12, out=q)
        for c in COEFFICIENTS[2:]:
            np.multiply(q, r, out=q)
            np.add(q, c, out=q)
        np.multiply(q, r, out=q)
        np.multiply(q, r, out=q)
        np.add(r, q, out=q)
        np.add(q, 1.0, out=q)
        np.add(n, SHIFT, out=n)
        np.copyto(k, n, casting="unsafe")  # whole numbers in [-1016, 60]: exact
        np.ldexp(q, k, out=q)
        np.multiply(q, TWO_TO_MINUS_SHIFT, out=q)
    return out


def python_source(name: str = "_exp") -> str:
    """Source of a standalone Python function ``name(x)`` computing :func:`exp_nonpositive`.

    It needs ``from math import ldexp as _ldexp`` in its module; the constants are
    written with ``repr``, which reads back to the same float64.

    Example
    -------
    >>> namespace = {"_ldexp": _ldexp}
    >>> exec(python_source("e"), namespace)
    >>> namespace["e"](-0.5) == exp_nonpositive(-0.5)
    True
    """
    horner = "".join(f"    q = q * r + {c!r}\n" for c in COEFFICIENTS[1:])
    return f'''\
def {name}(x):
    """exp(x) for x <= 0 with plain float64 operations, bit for bit embedsum's (see embedsum._portable_exp)."""
    if not x >= {X_MIN!r}:
        return x if x != x else 0.0  # NaN stays NaN; exp(x) < 2**-1076 rounds to 0.0
    n = round(x * {INV_LN2!r})  # an int, rounded half to even
    r = (x - n * {LN2_HI!r}) - n * {LN2_LO!r}  # n * {LN2_HI!r} is exact
    # Horner's rule on the Taylor polynomial of exp(r), degree 13; each * and + rounds.
    q = {COEFFICIENTS[0]!r}
{horner}\
    return _ldexp(1.0 + (r + (q * r) * r), n + {SHIFT}) * {TWO_TO_MINUS_SHIFT!r}
'''
