"""embedsum's portable exp: the same bits in numpy and in Python, within 1 ulp of exp (docs/design.md#portable-exp).

Probabilities are bit for bit equal on every path and CPU because the sigmoid and the
softmax use one exp made of IEEE float64 operations (embedsum._portable_exp). These tests
check that exp itself: its constants, numpy == Python bit for bit on drawn values (NaN,
±0, subnormals, the underflow edge included), its accuracy against an exact reference
(the decimal module, whose exp is correctly rounded at the working precision), and the
monotonicity that the sigmoid and the softmax inherit. The C version is compiled and
checked in tests/test_export.py.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import _portable_exp as pe
from embedsum.scoring import _links as scoring
from embedsum.scoring._decision import sigmoid, softmax

from _oracles import bits

SMALLEST_SUBNORMAL = 5e-324


def numpy_exp(values) -> np.ndarray:
    x = np.array(values, dtype=np.float64)
    scratch = [np.empty(x.shape), np.empty(x.shape), np.empty(x.shape, dtype=np.int32)]
    return pe.exp_nonpositive_array(x, np.empty(x.shape), *scratch)


def exact_exp(x: float) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        return Decimal(x).exp()


def ulps_from_exact(got: float, x: float) -> float:
    """|got - exp(x)| in units in the last place of exp(x) (2**-1074 for subnormal results)."""
    exact = exact_exp(x)
    nearest = float(exact)
    ulp = math.ulp(nearest) if nearest >= 2.0**-1022 else SMALLEST_SUBNORMAL
    with localcontext() as context:
        context.prec = 60
        return float(abs(Decimal(got) - exact) / Decimal(ulp))


def nan_with(sign: int, payload: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", (sign << 63) | (0x7FF8 << 48) | payload))[0]


EDGES = [0.0, -0.0, -SMALLEST_SUBNORMAL, -1e-300, -2.0**-1022, -1e-17, -0.34657359027997264, -0.3465735902799727,
         -math.log(2), -1.0, -36.0, -700.0, -708.3964185322641, -708.4, -709.0, -744.44007192138122,
         -745.13321910194110, -745.1332191019411, -745.1332191019412, -745.2, -746.0, -746.0000000000001,
         -1000.0, -1e308, -math.inf, math.nan, nan_with(1, 0), nan_with(0, 12345), nan_with(1, 99)]
nonpositive = st.one_of(
    st.floats(max_value=0.0, allow_nan=False, allow_infinity=True, allow_subnormal=True),
    st.floats(min_value=-746.5, max_value=0.0),
    st.floats(min_value=-746.5, max_value=-700.0),  # subnormal results and the underflow to 0
    st.sampled_from(EDGES),
    st.builds(nan_with, st.integers(0, 1), st.integers(0, 2**48 - 1)),
)


# --------------------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------------------


def test_constants_are_what_the_algorithm_needs():
    # C_k = 1/k!, correctly rounded, C_13 first (Horner's order)
    assert pe.COEFFICIENTS == tuple(float(Fraction(1, math.factorial(k))) for k in range(13, 1, -1))
    # LN2_HI has 32 significant bits, so n * LN2_HI is exact for every n the exp meets (|n| <= 1076)
    mantissa = Fraction(pe.LN2_HI) * 2**53
    assert mantissa.denominator == 1 and int(mantissa) % 2**21 == 0
    for n in range(-1076, 1):
        assert Fraction(n * pe.LN2_HI) == n * Fraction(pe.LN2_HI)
    with localcontext() as context:
        context.prec = 60
        ln2 = Decimal(2).ln()
        assert abs(Decimal(pe.LN2_HI) + Decimal(pe.LN2_LO) - ln2) < Decimal(2) ** -80
        assert abs(Decimal(pe.INV_LN2) * ln2 - 1) < Decimal(2) ** -52
    assert pe.TWO_TO_MINUS_SHIFT == 2.0**-pe.SHIFT
    assert 1.5 * 2.0 ** (-1076 + pe.SHIFT) >= 2.0**-1022  # ldexp(p, n + SHIFT) stays normal: exact


@pytest.mark.parametrize("x", EDGES, ids=repr)
def test_special_values(x):
    got = pe.exp_nonpositive(x)
    assert bits(numpy_exp([x])).tolist() == bits([got]).tolist()
    if math.isnan(x):
        assert bits([got]).tolist() == bits([x]).tolist()  # NaN comes back as it came (sign and payload)
    elif x == 0.0:
        assert got == 1.0
    elif x < -745.1332191019412:  # below half the smallest subnormal: exp(x) rounds to 0
        assert got == 0.0 and not math.copysign(1.0, got) < 0
    else:
        assert ulps_from_exact(got, x) <= 1.0


# --------------------------------------------------------------------------------------
# numpy == Python, bit for bit
# --------------------------------------------------------------------------------------


@settings(max_examples=200)
@given(values=st.lists(nonpositive, min_size=1, max_size=40))
def test_numpy_equals_python_bit_for_bit(values):
    expected = [pe.exp_nonpositive(v) for v in values]
    assert bits(numpy_exp(values)).tolist() == bits(expected).tolist()
    # in place (out is x), as the batch kernel calls it, under np.errstate(all="raise")
    x = np.array(values, dtype=np.float64)
    with np.errstate(all="raise"):
        pe.exp_nonpositive_array(x, x, np.empty(x.shape), np.empty(x.shape), np.empty(x.shape, dtype=np.int32))
    assert bits(x).tolist() == bits(expected).tolist()


@settings(max_examples=100)
@given(values=st.lists(nonpositive, min_size=1, max_size=10))
def test_generated_python_exp_equals_the_library_bit_for_bit(values):
    namespace = {"_ldexp": math.ldexp}
    exec(pe.python_source("generated_exp"), namespace)
    got = [namespace["generated_exp"](v) for v in values]
    assert bits(got).tolist() == bits([pe.exp_nonpositive(v) for v in values]).tolist()


def test_numpy_equals_python_on_a_dense_grid():
    # Every binade from 2**-60 to 2**10 and the last 50 units of the range, tens of thousands of values.
    rng = np.random.default_rng(0)
    x = -np.concatenate([np.ldexp(rng.uniform(1, 2, 40_000), rng.integers(-60, 10, 40_000)),
                         rng.uniform(0, 746.5, 20_000), rng.uniform(696, 746.5, 20_000)])
    x = x[x >= -1000]
    assert bits(numpy_exp(x)).tolist() == bits([pe.exp_nonpositive(v) for v in x.tolist()]).tolist()


# --------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------


@settings(max_examples=400)
@given(x=st.one_of(st.floats(min_value=-745.13, max_value=0.0), st.floats(min_value=-1.0, max_value=0.0),
                   st.floats(min_value=-745.13, max_value=-708.0)))
def test_within_one_ulp_of_the_exact_exp(x):
    # Measured worst case about 0.9 ulp (the bound written in embedsum._portable_exp).
    got = pe.exp_nonpositive(x)
    assert ulps_from_exact(got, x) <= 1.0
    # so within 2 ulp of any C library exp that is itself within 1 ulp (math.exp)
    reference = math.exp(x)
    ulp = math.ulp(reference) if reference >= 2.0**-1022 else SMALLEST_SUBNORMAL
    assert abs(got - reference) <= 2 * ulp


def test_accuracy_on_a_grid():
    rng = np.random.default_rng(1)
    x = -np.concatenate([rng.uniform(0, 0.4, 1500), rng.uniform(0, 745.13, 1500), np.ldexp(1.0, -np.arange(60))])
    worst = max(ulps_from_exact(pe.exp_nonpositive(v), v) for v in x.tolist())
    assert worst <= 1.0


@settings(max_examples=200)
@given(values=st.lists(st.floats(max_value=0.0, allow_nan=False, allow_infinity=True), min_size=2, max_size=30))
def test_exp_is_monotone(values):
    x = np.sort(np.array(values))
    with np.errstate(over="ignore"):  # nextafter(-max float, -inf) is -inf
        x = np.sort(np.concatenate([x, np.nextafter(x, 0.0), np.nextafter(x, -np.inf)]))
    x = x[x <= 0]
    e = numpy_exp(x)
    assert np.all(np.diff(e) >= 0)
    assert np.all((e >= 0) & (e <= 1))


# --------------------------------------------------------------------------------------
# the sigmoid and the softmax built on it
# --------------------------------------------------------------------------------------

any_z = st.floats(allow_nan=False, allow_infinity=True, allow_subnormal=True)


@settings(max_examples=200)
@given(zs=st.lists(any_z, min_size=1, max_size=3 * scoring.FEW_VALUES))
def test_sigmoid_numpy_and_python_paths_agree(zs):
    z = np.array(zs)
    whole = sigmoid(z)  # numpy past FEW_VALUES values, Python floats below
    one_by_one = np.array([float(sigmoid(v)) for v in zs])
    assert bits(whole).tolist() == bits(one_by_one).tolist()
    e = [pe.exp_nonpositive(-abs(v)) for v in zs]
    assert bits(whole).tolist() == bits([1.0 / (1.0 + a) if v >= 0 else (1.0 / (1.0 + 1.0 / a) if a else 0.0)
                                            for v, a in zip(zs, e)]).tolist()


@st.composite
def decision_rows(draw, max_classes=12):
    k = draw(st.integers(1, max_classes))
    value = st.one_of(st.floats(-800.0, 800.0), st.sampled_from([0.0, -0.0, 745.5, -745.5, 1e300, -1e300]))
    return np.array(draw(st.lists(st.lists(value, min_size=k, max_size=k), min_size=1, max_size=12)))


@settings(max_examples=80)
@given(z=decision_rows(), chunk=st.integers(1, 40))
def test_softmax_numpy_chunks_equal_the_python_loop(z, chunk):
    expected = scoring._softmax_lists(z.tolist())
    original = scoring._CHUNK_VALUES
    try:
        scoring._CHUNK_VALUES = chunk  # chunks of a few rows: every boundary is crossed
        if z.size > scoring.FEW_VALUES:
            got = softmax(z)
        else:  # force the numpy path on small inputs too
            got = np.vstack([softmax(np.repeat(row[None, :], scoring.FEW_VALUES + 1, axis=0))[:1] for row in z])
    finally:
        scoring._CHUNK_VALUES = original
    assert bits(got).tolist() == bits(expected).tolist()
    assert np.all(np.abs(got.sum(axis=1) - 1.0) <= 1e-13 * z.shape[1])


@settings(max_examples=100)
@given(z=decision_rows(max_classes=6), k=st.integers(0, 5), step=st.floats(0.0, 50.0))
def test_softmax_is_monotone_in_each_decision_value(z, k, step):
    k = k % z.shape[1]
    raised = z.copy()
    raised[:, k] += step
    before, after = softmax(z), softmax(raised)
    assert np.all(after[:, k] >= before[:, k])
    others = np.delete(np.arange(z.shape[1]), k)
    assert np.all(after[:, others] <= before[:, others])


def test_softmax_sums_left_to_right():
    # e = [1, 2**-53, 2**-53, ...]: left to right, each 2**-53 vanishes in 1 + 2**-53 (ties to even);
    # a pairwise sum would add them up first and change the total.
    k = 64
    z = np.full((3, k), -53 * math.log(2))
    z[:, 0] = 0.0
    e = [pe.exp_nonpositive(v) for v in z[0].tolist()]
    total = 0.0
    for v in e:
        total += v
    assert total != math.fsum(e)  # the order matters for these numbers
    assert bits(softmax(z)[0]).tolist() == bits([v / total for v in e]).tolist()
