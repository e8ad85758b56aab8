"""The digitizer reproduces the published MIRAD binning (docs/design.md#quantile-binning, #bin-merging) exactly.

``reference_fit_cuts`` below is a deliberately slow, literal transcription of the
published steps, written from docs/design.md and not from embedsum/binning/_digitizer.py: Python
lists, one ``np.quantile`` call per k, one ``np.mean(x <= c)`` per cut, and the
narrow-bin merge loop with its tie rules spelled out. It runs on the non-NaN values
of the column (embedsum gives NaN its own bin instead of the published behaviour,
where NaN cuts swallow missing values into the last bin).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import embedsum
from embedsum import Digitizer
from embedsum.binning._digitizer import bin_codes, code_dtype, fit_cuts

from _oracles import bits, probe_values, reference_bin


# --------------------------------------------------------------------------------------
# The reference: docs/design.md#quantile-binning and #bin-merging, step by step.
# --------------------------------------------------------------------------------------


def _published_weights(x_values, cuts):
    """Step 3: diff([0, mean(x <= c) for c in cuts, 1]) on the observed values."""
    fractions = [0.0] + [float(np.mean(x_values <= c)) for c in cuts] + [1.0]
    return [fractions[i + 1] - fractions[i] for i in range(len(fractions) - 1)]


def reference_fit_cuts(column, max_bins, *, smallest_on_tie="first", neighbour_on_tie="left"):
    """Published cuts and interval weights of the non-NaN values of ``column``.

    The two keyword arguments exist only so that the deterministic tie tests can show
    that their examples do discriminate between the published tie rule and the other one.
    """
    observed = [float(v) for v in column if not math.isnan(float(v))]
    if not observed:
        return [], [0.0]
    x_values = np.array(observed, dtype=np.float64)

    # Step 1: candidate cuts = unique(quantile(x, k / max_bins, method="lower")), k = 1..max_bins-1.
    candidates = [np.quantile(x_values, k / max_bins, method="lower") for k in range(1, max_bins)]
    cuts = []
    for c in sorted(candidates):  # quantiles are already non-decreasing; sorted() is stable
        if not cuts or c != cuts[-1]:
            cuts.append(float(c))

    # Steps 3 and 4: weights, then merge narrow bins until none is below 1 / (2 * max_bins).
    min_weight = 1 / (2 * max_bins)
    weights = _published_weights(x_values, cuts)
    while min(weights) < min_weight:
        assert len(weights) > 1, "a single bin has weight 1 and can never be narrow"
        smallest = min(weights)
        ties = [k for k, w in enumerate(weights) if w == smallest]
        k = ties[0] if smallest_on_tie == "first" else ties[-1]
        has_left, has_right = k > 0, k < len(weights) - 1
        if has_left and has_right:
            if weights[k - 1] == weights[k + 1]:
                merge_left = neighbour_on_tie == "left"
            else:
                merge_left = weights[k - 1] < weights[k + 1]
        else:
            merge_left = has_left
        # Bin k sits between cuts[k-1] and cuts[k]: merging with the left neighbour deletes cuts[k-1].
        del cuts[k - 1 if merge_left else k]
        weights = _published_weights(x_values, cuts)
    return cuts, weights


# Step 2 for one value is _oracles.reference_bin: bin k holds cuts[k-1] < v <= cuts[k]; NaN the extra last bin.


# --------------------------------------------------------------------------------------
# Strategies: columns with ties, constants, few distinct values, NaN, ±inf, ±0.0, extremes.
# --------------------------------------------------------------------------------------

SPECIAL = [
    0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.nan, math.inf, -math.inf,
    5e-324, -5e-324, 2.2250738585072014e-308, -2.2250738585072014e-308, 1e-300,
    1.7976931348623157e308, -1.7976931348623157e308, 1e300, -1e300, 1e16, 1e16 + 2,
]
any_float = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
a_value = st.one_of(st.sampled_from(SPECIAL), st.integers(-4, 4).map(float), any_float)


@st.composite
def columns(draw, n=None):
    """A float64 column of length 1..300 of one of several kinds."""
    if n is None:
        n = draw(st.one_of(st.integers(1, 300), st.sampled_from([8, 16, 32, 64, 128, 256])))
    kinds = ["few_distinct", "free", "constant", "all_nan", "mostly_one", "signed_zeros"]
    if n in (8, 16, 32, 64, 128, 256):
        kinds.append("dyadic")
    kind = draw(st.sampled_from(kinds))
    if kind == "dyadic":
        # n a power of two: bin weights are exact, so exact ties between weights (and a weight
        # exactly equal to 1/(2*max_bins)) are common, and every tie rule is exercised.
        return draw(hnp.arrays(np.float64, n, elements=st.integers(0, draw(st.integers(1, 8))).map(float)))
    if kind == "few_distinct":
        pool = draw(st.lists(a_value, min_size=1, max_size=6))
        return draw(hnp.arrays(np.float64, n, elements=st.sampled_from(pool)))
    if kind == "free":
        return draw(hnp.arrays(np.float64, n, elements=a_value))
    if kind == "constant":
        return np.full(n, draw(a_value))
    if kind == "all_nan":
        return np.full(n, np.nan)
    if kind == "signed_zeros":
        pool = [0.0, -0.0] + draw(st.lists(a_value, max_size=3))
        return draw(hnp.arrays(np.float64, n, elements=st.sampled_from(pool)))
    # mostly_one: hypothesis fills most of the array with one value and sprinkles others
    fill = draw(a_value)
    return draw(hnp.arrays(np.float64, n, elements=a_value, fill=st.just(fill)))


max_bins_st = st.integers(2, 40)


def probes(column, cuts):
    """Values worth binning: the column, every cut and its neighbours, ±inf, ±0.0, NaN."""
    return np.concatenate([np.asarray(column, dtype=np.float64), np.array(probe_values(cuts), dtype=np.float64)])


# --------------------------------------------------------------------------------------
# Property tests against the reference.
# --------------------------------------------------------------------------------------


@settings(max_examples=120)
@given(column=columns(), max_bins=max_bins_st)
def test_fit_cuts_equals_the_published_steps(column, max_bins):
    cuts, weights = fit_cuts(column, max_bins)
    ref_cuts, ref_weights = reference_fit_cuts(column.tolist(), max_bins)
    ref_cuts = np.array(ref_cuts, dtype=np.float64)
    ref_weights = np.array(ref_weights, dtype=np.float64)

    assert cuts.dtype == np.float64 and weights.dtype == np.float64
    assert cuts.shape == ref_cuts.shape
    # Values equal (np.array_equal treats -0.0 == 0.0, as every comparison in binning does).
    assert np.array_equal(cuts, ref_cuts)
    # Weights are computed from exact counts: equal bit for bit.
    assert np.array_equal(bits(weights), bits(ref_weights))

    # Signed zeros. Step 1 only says "np.quantile(x, q, method='lower')": which of several
    # equal elements (-0.0 and 0.0 compare equal) np.quantile's partition returns is not
    # specified, so the sign of a zero cut is not part of the contract. What is specified:
    # every cut is one of the data values (bit for bit), and hence its sign equals the
    # reference's whenever the column has only one kind of zero.
    observed = column[~np.isnan(column)]
    assert set(bits(cuts).tolist()) <= set(bits(observed).tolist())
    zero_signs = set(np.signbit(observed[observed == 0]).tolist())
    if len(zero_signs) <= 1:
        assert np.array_equal(np.signbit(cuts), np.signbit(ref_cuts))
    # ... and the sign never changes a bin: both cut arrays bin every probe identically.
    values = probes(column, ref_cuts)
    assert np.array_equal(bin_codes(values, cuts), bin_codes(values, ref_cuts))


@st.composite
def block_columns(draw):
    """Runs of equal values with counts like 1, 1, 1, 4, 6 and n a power of two.

    Weights are then exact multiples of 1/n, so two bins often tie for smallest, both
    neighbours of the smallest bin often weigh the same, and a weight often equals
    1/(2*max_bins) exactly: the cases where the tie rules and the strict "below" matter.
    """
    n = draw(st.sampled_from([16, 32, 64]))
    counts = []
    while sum(counts) < n:
        counts.append(draw(st.sampled_from([1, 1, 1, 2, 4, 6, 8])))
    counts[-1] -= sum(counts) - n
    start = draw(st.sampled_from([-3.0, 0.0, 1e-300, 1e300]))
    values = np.repeat(start + np.arange(len(counts)) * (abs(start) or 1.0), counts)
    order = draw(st.permutations(range(n)))
    return values[np.array(order)]


@settings(max_examples=200)
@given(column=block_columns(), max_bins=st.integers(2, 24))
def test_fit_cuts_tie_rules_on_block_columns(column, max_bins):
    cuts, weights = fit_cuts(column, max_bins)
    ref_cuts, ref_weights = reference_fit_cuts(column.tolist(), max_bins)
    assert cuts.tolist() == ref_cuts
    assert weights.tolist() == ref_weights


@settings(max_examples=60)
@given(column=columns(), max_bins=max_bins_st)
def test_fit_cuts_guarantees_of_the_published_algorithm(column, max_bins):
    cuts, weights = fit_cuts(column, max_bins)
    observed = column[~np.isnan(column)]
    if len(observed) == 0:
        assert len(cuts) == 0 and weights.tolist() == [0.0]
        return
    assert not np.any(np.isnan(cuts))  # the published NaN-cut flaw is not copied
    assert np.all(np.diff(cuts) > 0)  # strictly increasing
    assert len(weights) == len(cuts) + 1 <= max_bins
    # The merge loop stops only when no bin is below 1/(2*max_bins), or when one bin is left.
    if len(weights) > 1:
        assert weights.min() >= 1 / (2 * max_bins)
    else:
        assert weights.tolist() == [1.0]
    # Hence the last interval bin is never empty and +inf is never a cut (-inf can be one).
    assert not np.any(cuts == np.inf)
    if len(cuts):
        assert cuts[-1] < observed.max()
    # Weights are the fractions of observed values per bin (bins as in step 2).
    counts = np.bincount(np.digitize(observed, cuts, right=True), minlength=len(weights))
    np.testing.assert_allclose(weights, counts / len(observed), rtol=0, atol=1e-12)
    assert math.isclose(weights.sum(), 1.0, rel_tol=0, abs_tol=1e-12)


@st.composite
def matrices(draw):
    n = draw(st.integers(1, 120))
    d = draw(st.integers(1, 3))
    return np.column_stack([draw(columns(n=n)) for _ in range(d)])


@settings(max_examples=100)
@given(X=matrices(), max_bins=max_bins_st)
def test_digitizer_fit_adds_the_missing_bin_to_the_published_weights(X, max_bins):
    digitizer = Digitizer(max_bins=max_bins)
    assert digitizer.fit(X) is digitizer
    assert digitizer.n_features_in_ == X.shape[1]
    assert len(digitizer.cuts_) == len(digitizer.bin_weights_) == X.shape[1]
    for j in range(X.shape[1]):
        column = X[:, j]
        ref_cuts, ref_weights = reference_fit_cuts(column.tolist(), max_bins)
        nan_fraction = float(np.mean(np.isnan(column)))
        expected = np.append(np.array(ref_weights) * (1.0 - nan_fraction), nan_fraction)
        assert np.array_equal(digitizer.cuts_[j], np.array(ref_cuts, dtype=np.float64))
        assert np.array_equal(bits(digitizer.bin_weights_[j]), bits(expected))
        assert math.isclose(digitizer.bin_weights_[j].sum(), 1.0, rel_tol=0, abs_tol=1e-12)
        assert digitizer.n_bins_[j] == len(ref_cuts) + 2


@settings(max_examples=50)
@given(X=matrices(), max_bins=max_bins_st, data=st.data())
def test_transform_codes_are_published_bins_and_nan_gets_the_last_bin(X, max_bins, data):
    digitizer = Digitizer(max_bins=max_bins).fit(X)
    # Score training rows and probe rows (cuts, their float neighbours, ±inf, ±0.0, NaN).
    per_feature = [probes(X[:, j], digitizer.cuts_[j]) for j in range(X.shape[1])]
    n_new = max(len(p) for p in per_feature)
    new = np.column_stack([np.resize(p, n_new) for p in per_feature])
    shuffle = data.draw(st.permutations(range(n_new)))
    new = new[np.array(shuffle)]
    for Z in (X, new):
        codes = digitizer.transform(Z)
        assert codes.shape == Z.shape
        assert codes.dtype == np.uint8  # at most 40 interval bins + 1 missing bin
        for j, cuts in enumerate(digitizer.cuts_):
            v = Z[:, j]
            nan = np.isnan(v)
            expected = np.where(nan, len(cuts) + 1, np.digitize(v, cuts, right=True))
            assert np.array_equal(codes[:, j], expected)
            assert [int(c) for c in codes[:, j]] == [reference_bin(float(x), cuts.tolist()) for x in v]
            assert np.all(codes[v == np.inf, j] == len(cuts))  # +inf: last interval bin
            assert np.all(codes[v == -np.inf, j] == 0)  # -inf: first bin
            assert np.all(codes[:, j] < digitizer.n_bins_[j])
    assert np.array_equal(digitizer.fit_transform(X), digitizer.transform(X))


# --------------------------------------------------------------------------------------
# Deterministic, hand-computed examples.
# --------------------------------------------------------------------------------------


def test_one_to_ten_with_four_bins():
    # n = 10, lower quantile index floor(9 * k/4) = 2, 4, 6 -> x = 3, 5, 7.
    # mean(x <= c) = 0.3, 0.5, 0.7 -> weights 0.3, 0.2, 0.2, 0.3, all >= 1/8: no merge.
    cuts, weights = fit_cuts(np.arange(1.0, 11.0), max_bins=4)
    assert cuts.tolist() == [3.0, 5.0, 7.0]
    assert weights.tolist() == np.diff([0.0, 0.3, 0.5, 0.7, 1.0]).tolist()
    np.testing.assert_allclose(weights, [0.3, 0.2, 0.2, 0.3], rtol=1e-15)


def test_ninety_percent_zeros():
    x = np.array([0.0] * 90 + list(range(1, 11)), dtype=np.float64)
    # max_bins=10: indices floor(99 k / 10) = 9 .. 89 all hold 0 -> one cut, 0.
    # weights 0.9, 0.1; 0.1 >= 1/20, so the upper bin stays.
    cuts, weights = fit_cuts(x, max_bins=10)
    assert cuts.tolist() == [0.0]
    assert weights.tolist() == [0.9, 1.0 - 0.9]
    # max_bins=4: the same single cut, but 0.1 < 1/8, so the two bins merge into one.
    cuts, weights = fit_cuts(x, max_bins=4)
    assert cuts.tolist() == []
    assert weights.tolist() == [1.0]


def test_a_bin_exactly_at_the_minimum_weight_stays():
    # x = 0 x5, 1 x2, 2 (n = 8); max_bins = 4, min_weight = 1/8.
    # indices floor(7 k / 4) = 1, 3, 5 -> 0, 0, 1 -> cuts [0, 1], weights [5/8, 2/8, 1/8].
    # 1/8 is not *below* 1/8, so nothing merges.
    cuts, weights = fit_cuts([0.0] * 5 + [1.0, 1.0, 2.0], max_bins=4)
    assert cuts.tolist() == [0.0, 1.0]
    assert weights.tolist() == [5 / 8, 2 / 8, 1 / 8]


def test_constant_column_has_one_bin():
    # Every quantile is 7 -> cut [7]; the bin above it is empty (weight 0) and merges left.
    cuts, weights = fit_cuts(np.full(5, 7.0), max_bins=3)
    assert cuts.tolist() == [] and weights.tolist() == [1.0]


def test_smallest_bin_tie_takes_the_first():
    # x = 1 x5, 2 x5, 3, 4 x4, 5 (n = 16); max_bins = 6, min_weight = 1/12.
    # lower quantile indices floor(15 k / 6) = 2, 5, 7, 10, 12 -> 1, 2, 2, 3, 4 -> cuts [1, 2, 3, 4]
    # weights (sixteenths) [5, 5, 1, 4, 1]: bins 2 and 4 tie for smallest -> take bin 2;
    #   its neighbours weigh 5 and 4 -> merge right: delete cut 3 -> [1, 2, 4], weights [5, 5, 5, 1]
    #   bin 3 (1/16 < 1/12) has only a left neighbour: delete cut 4 -> [1, 2], weights [5, 5, 6].
    x = np.array([1.0] * 5 + [2.0] * 5 + [3.0] + [4.0] * 4 + [5.0])
    cuts, weights = fit_cuts(x, max_bins=6)
    assert cuts.tolist() == [1.0, 2.0]
    assert weights.tolist() == [5 / 16, 5 / 16, 6 / 16]
    assert reference_fit_cuts(x.tolist(), 6) == ([1.0, 2.0], [5 / 16, 5 / 16, 6 / 16])
    # Taking the last of the tied bins instead would give other cuts, so this example discriminates.
    assert reference_fit_cuts(x.tolist(), 6, smallest_on_tie="last")[0] == [1.0, 3.0]


def test_neighbour_tie_takes_the_left():
    # x = 0 x9, 1 x3, 2, 4 x3 (n = 16); max_bins = 5, min_weight = 1/10.
    # lower quantile indices floor(15 k / 5) = 3, 6, 9, 12 -> 0, 0, 1, 2 -> cuts [0, 1, 2]
    # weights (sixteenths) [9, 3, 1, 3]: bin 2 is smallest; both neighbours weigh 3/16 -> the
    # left one: delete cut 1 -> cuts [0, 2], weights [9, 4, 3], all >= 1/10.
    x = np.array([0.0] * 9 + [1.0] * 3 + [2.0] + [4.0] * 3)
    cuts, weights = fit_cuts(x, max_bins=5)
    assert cuts.tolist() == [0.0, 2.0]
    assert weights.tolist() == [9 / 16, 4 / 16, 3 / 16]
    assert reference_fit_cuts(x.tolist(), 5, neighbour_on_tie="right")[0] == [0.0, 1.0]
    # The same column, shuffled and with NaN added, gives the same cuts.
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(np.concatenate([x, [np.nan] * 4]))
    assert fit_cuts(shuffled, max_bins=5)[0].tolist() == [0.0, 2.0]


def test_nan_is_left_out_of_the_cuts_and_gets_its_own_bin():
    x = np.array([[np.nan], [1.0], [2.0], [3.0], [4.0]])
    cuts, weights = fit_cuts(x[:, 0], max_bins=2)  # observed 1..4: index floor(3/2) = 1 -> 2
    assert cuts.tolist() == [2.0] and weights.tolist() == [0.5, 0.5]
    digitizer = Digitizer(max_bins=2).fit(x)
    assert digitizer.bin_weights_[0].tolist() == [0.5 * 0.8, 0.5 * 0.8, 0.2]
    assert digitizer.transform(x)[:, 0].tolist() == [2, 0, 0, 1, 1]


def test_all_nan_column():
    cuts, weights = fit_cuts([np.nan, np.nan, np.nan], max_bins=4)
    assert cuts.tolist() == [] and weights.tolist() == [0.0]
    digitizer = Digitizer(max_bins=4).fit(np.array([[np.nan, 1.0], [np.nan, 2.0]]))
    assert digitizer.bin_weights_[0].tolist() == [0.0, 1.0]
    assert digitizer.n_bins_.tolist() == [2, 3]
    codes = digitizer.transform(np.array([[np.nan, 0.0], [5.0, np.nan], [-np.inf, np.inf]]))
    assert codes[:, 0].tolist() == [1, 0, 0]


def test_infinities_are_ordered_values():
    # -inf x5, 0..4, +inf x5 (n = 15), max_bins = 3: indices floor(14 k / 3) = 4, 9 -> -inf, 4.
    # weights 5/15 each, all >= 1/6: -inf is a cut and -inf values have bin 0 to themselves.
    x = np.array([-np.inf] * 5 + [0.0, 1.0, 2.0, 3.0, 4.0] + [np.inf] * 5)
    cuts, weights = fit_cuts(x, max_bins=3)
    assert cuts.tolist() == [-np.inf, 4.0]
    assert weights.tolist() == np.diff([0.0, 5 / 15, 10 / 15, 1.0]).tolist()
    codes = bin_codes([-np.inf, -1e308, 4.0, np.nextafter(4.0, 5.0), np.inf, np.nan], cuts)
    assert codes.tolist() == [0, 1, 1, 2, 2, 3]
    # Many +inf: the quantile proposes +inf as a cut, the empty bin above it merges away.
    cuts, _ = fit_cuts([1.0, np.inf, np.inf, np.inf], max_bins=2)
    assert cuts.tolist() == []


# --------------------------------------------------------------------------------------
# Code dtype, parameters, fitted state, shapes.
# --------------------------------------------------------------------------------------


def test_code_dtype_is_the_smallest_unsigned_type():
    assert code_dtype(2) == np.uint8
    assert code_dtype(256) == np.uint8
    assert code_dtype(257) == np.uint16
    assert code_dtype(65536) == np.uint16
    assert code_dtype(65537) == np.uint32
    assert code_dtype(2**32) == np.uint32
    assert code_dtype(2**32 + 1) == np.uint64


def test_many_bins_use_uint16_codes():
    X = np.arange(3000.0).reshape(-1, 1)
    digitizer = Digitizer(max_bins=300).fit(X)
    assert digitizer.n_bins_[0] == 301  # 299 cuts, 300 interval bins, the missing bin
    codes = digitizer.transform(X)
    assert codes.dtype == np.uint16
    assert int(codes.max()) == 299
    assert Digitizer(max_bins=255).fit(X).transform(X).dtype == np.uint8  # 254 cuts -> 256 bins


@pytest.mark.parametrize("max_bins", [1, 0, -3, 2.5, 2.0, True, False, "4", None, np.float64(3.0)])
def test_invalid_max_bins_is_a_value_error(max_bins):
    with pytest.raises(ValueError, match="max_bins"):
        Digitizer(max_bins=max_bins).fit(np.zeros((3, 1)))


def test_numpy_integer_max_bins_is_accepted():
    digitizer = Digitizer(max_bins=np.int64(2)).fit(np.arange(4.0).reshape(-1, 1))
    assert digitizer.cuts_[0].tolist() == [1.0]


def test_init_only_stores_the_argument():
    digitizer = Digitizer(max_bins=1)  # validated in fit, not in __init__
    assert digitizer.max_bins == 1
    assert Digitizer().max_bins == 20


def test_transform_before_fit_raises_not_fitted():
    with pytest.raises(embedsum.NotFittedError, match="not fitted"):
        Digitizer().transform(np.zeros((2, 2)))


@pytest.mark.parametrize("n_columns", [1, 2, 4])
def test_wrong_number_of_columns_says_how_many_were_expected(n_columns):
    digitizer = Digitizer(max_bins=2).fit(np.arange(9.0).reshape(3, 3))
    with pytest.raises(ValueError, match=r"X has %d features.*expecting 3 features" % n_columns):
        digitizer.transform(np.zeros((2, n_columns)))


@given(
    cuts=hnp.arrays(np.float64, st.integers(0, 40), elements=st.floats(-1e6, 1e6, allow_nan=False), unique=True)
    .map(np.sort)
    .filter(lambda c: not np.any(c == 0) or np.count_nonzero(c == 0) == 1),
    n_rows=st.sampled_from([1, 511, 512, 2000]),
    data=st.data(),
)
def test_bin_codes_every_path_equals_searchsorted(cuts, n_rows, data):
    """The counting path (many rows, few cuts) and the binary search agree everywhere."""
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308]
    value = st.sampled_from(probe_values(cuts) + specials) | st.floats(-1e4, 1e4)
    # fill: most rows one drawn value, the others drawn one by one (a long column stays cheap to draw)
    column = data.draw(hnp.arrays(np.float64, n_rows, elements=value, fill=value), label="column")
    expected = np.searchsorted(cuts, column, side="left")
    expected[np.isnan(column)] = len(cuts) + 1
    assert np.array_equal(bin_codes(column, cuts), expected)
    strided = np.repeat(column[:, None], 3, axis=1)[:, 1]  # a non-contiguous column
    assert np.array_equal(bin_codes(strided, cuts), expected)


# --------------------------------------------------------------------------------------
# The fused fit_transform, long columns (threads over columns, codes chunk by chunk).
# --------------------------------------------------------------------------------------


@settings(max_examples=50)
@given(X=matrices(), max_bins=max_bins_st)
def test_fit_transform_fits_the_same_state_and_gives_the_published_bins(X, max_bins):
    fused = Digitizer(max_bins=max_bins)
    codes = fused.fit_transform(X)
    plain = Digitizer(max_bins=max_bins).fit(X)
    assert codes.shape == X.shape and codes.dtype == np.uint8
    assert np.array_equal(fused.n_bins_, plain.n_bins_)
    for j in range(X.shape[1]):
        assert np.array_equal(bits(fused.cuts_[j]), bits(plain.cuts_[j]))
        assert np.array_equal(bits(fused.bin_weights_[j]), bits(plain.bin_weights_[j]))
        cuts = fused.cuts_[j]
        expected = [reference_bin(float(v), cuts.tolist()) for v in X[:, j]]
        assert codes[:, j].tolist() == expected
    assert np.array_equal(codes, plain.transform(X))


def long_columns(n=70_000, seed=0):
    """Columns long enough for the threaded, chunked paths, with ties, NaN, ±inf and ±0.0."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.gamma(0.3, 5.0, n)).astype(np.float64)  # mostly zeros, long tail
    signed = rng.choice([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf], size=n, p=[0.3, 0.3, 0.1, 0.1, 0.1, 0.1])
    with_nan = rng.normal(size=n)
    with_nan[rng.random(n) < 0.1] = np.nan
    late_nan = rng.integers(0, 50, n).astype(np.float64)
    late_nan[-3:] = np.nan  # NaN only in the last chunk of rows
    constant = np.full(n, 7.0)
    return np.column_stack([counts, signed, with_nan, late_nan, constant])


def test_long_columns_reproduce_the_published_steps():
    X = long_columns()
    assert len(X) >= 2**16  # the columns are binned on threads, the codes chunk by chunk
    digitizer = Digitizer(max_bins=20)
    codes = digitizer.fit_transform(X)
    for j in range(X.shape[1]):
        column = X[:, j]
        ref_cuts, ref_weights = reference_fit_cuts(column, 20)
        nan_fraction = float(np.mean(np.isnan(column)))
        expected_weights = np.append(np.array(ref_weights) * (1.0 - nan_fraction), nan_fraction)
        assert digitizer.cuts_[j].tolist() == ref_cuts
        assert np.array_equal(bits(digitizer.bin_weights_[j]), bits(expected_weights))
        cuts = digitizer.cuts_[j]
        expected = np.where(np.isnan(column), len(cuts) + 1, np.digitize(column, cuts, right=True))
        assert np.array_equal(codes[:, j], expected)
    assert codes[-1, 3] == len(digitizer.cuts_[3]) + 1  # the late NaN got the missing bin
    assert np.array_equal(codes, digitizer.transform(X))
    assert np.array_equal(codes, Digitizer(max_bins=20).fit(X).transform(X))


def test_bin_codes_over_many_chunks_of_a_strided_column():
    rng = np.random.default_rng(3)
    n = 2 * 2**16 + 5  # two full chunks and a short one
    column = rng.choice(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, 2.0, 3.0]), size=n)
    column[: 2**16] = np.where(np.isnan(column[: 2**16]), 1.0, column[: 2**16])  # no NaN in chunk 1
    cuts = np.array([-np.inf, 0.0, 1.5, 2.5])
    expected = np.searchsorted(cuts, column, side="left")
    expected[np.isnan(column)] = len(cuts) + 1
    strided = np.repeat(column[:, None], 2, axis=1)[:, 1]
    for values in (column, strided):
        codes = bin_codes(values, cuts)
        assert codes.dtype == np.uint8
        assert np.array_equal(codes, expected)
