"""Oracles shared by the tests: float bits, the published bin rule, the left-to-right decision value, data.

Each is written here once, in plain Python or plain numpy, independently of embedsum's own code, so that a
test compares the library against something it cannot share a bug with. Import as ``from _oracles import ...``.
"""

import math

import numpy as np

# ----------------------------------------------------------------------------------------------
# Bits
# ----------------------------------------------------------------------------------------------


def bits(values) -> np.ndarray:
    """The float64 values as their uint64 bit patterns: equal bits, not merely equal numbers (-0.0 != 0.0)."""
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64)).view(np.uint64)


def hexes(values) -> list:
    """The float64 values as a flat list of ``float.hex`` strings (exact, and readable in a failure)."""
    return [float(v).hex() for v in np.asarray(values, dtype=np.float64).ravel()]


def assert_same_bits(actual, expected):
    """Same shape, both float64, and the same bits everywhere (NaN payloads and signed zeros included)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype == np.float64
    mismatch = np.flatnonzero(bits(actual).ravel() != bits(expected).ravel())
    assert len(mismatch) == 0, f"{len(mismatch)} values differ, first at flat index {mismatch[0]}"


# ----------------------------------------------------------------------------------------------
# The bin rule and the decision value, written the plain way
# ----------------------------------------------------------------------------------------------


def reference_bin(v, cuts):
    """Bin k holds cuts[k-1] < v <= cuts[k]; NaN gets the missing bin, len(cuts) + 1."""
    if math.isnan(v):
        return len(cuts) + 1
    return sum(1 for c in cuts if c < v)


def reference_code(model, j, v):
    """Bin of value v of feature j of a fitted model; None for a category never seen in training.

    Numeric: the rule of ``reference_bin``. Categorical: kept categories in order, then the "other" bin of the
    rare ones (m), then the missing bin (m + 1) for None, NaN and "".
    """
    if model.cuts_[j] is not None:
        return reference_bin(float(v), [float(c) for c in model.cuts_[j]])
    cats, rare = model.categories_[j].tolist(), model.rare_categories_[j].tolist()
    m = len(cats)
    if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
        return m + 1
    if v in cats:
        return cats.index(v)
    return m if v in rare else None


def left_to_right(start, terms):
    """((start + t0) + t1) + ... in float64, in this order: the bit-exact contract of a decision value.

    ``start`` and the terms may be scalars or arrays (then the sum is taken element by element).
    """
    z = np.float64(start) if np.ndim(start) == 0 else np.asarray(start, dtype=np.float64)
    for t in terms:
        z = z + np.asarray(t, dtype=np.float64)
    return z


def reference_decision(row, cuts, scores, intercept):
    """Decision value of one numeric row: intercept + s_0[b_0] + s_1[b_1] + ..., Python floats, left to right."""
    z = float(intercept)
    for v, feature_cuts, feature_scores in zip(row, cuts, scores):
        z = z + float(feature_scores[reference_bin(float(v), [float(c) for c in feature_cuts])])
    return z


def model_reference_decision(model, rows):
    """Decision values of a fitted classifier (binary: shape (n,); K classes: (n, K)) by the plain loop.

    Numeric and categorical features alike (``reference_code``); an unseen category scores ``unseen_scores_``.
    """
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    multi = intercept.ndim == 1
    n_out = len(intercept) if multi else 1
    out = np.empty((len(rows), n_out))
    for i, row in enumerate(rows):
        for k in range(n_out):
            z = float(intercept[k] if multi else intercept)
            for j, v in enumerate(row):
                b = reference_code(model, j, v)
                s = model.unseen_scores_[j] if b is None else model.bin_scores_[j][b]
                z = z + float(s[k] if multi else s)
            out[i, k] = z
    return out if multi else out[:, 0]


def probe_values(cuts):
    """The values where a bin rule can go wrong: NaN, ±inf, ±0.0, ±smallest subnormal, each cut and its neighbours."""
    values = [math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, -5e-324]
    with np.errstate(over="ignore"):  # nextafter(max float, inf) is inf
        for c in cuts:
            values += [float(c), float(np.nextafter(c, np.inf)), float(np.nextafter(c, -np.inf))]
    return values


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------


def linear_data(seed=0, n=240, d=3, *, coef=None, noise=1.0, holes=None, nan_share=0.0):
    """Normal rows and a binary target ``sum_j coef[j] * x_j + noise * N(0, 1) > 0`` (bool).

    ``coef`` maps column -> weight (default ``{0: 1.0}``); ``holes`` maps column -> step: every step-th value
    of that column is NaN, which counts as 0 in the target. With ``nan_share``, that share of all values is
    made NaN after the target is drawn.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    for j, step in (holes or {}).items():
        X[::step, j] = np.nan
    logit = 0
    for j, w in (coef or {0: 1.0}).items():
        logit = logit + w * np.nan_to_num(X[:, j], nan=0.0)
    y = logit + noise * rng.normal(size=n) > 0
    if nan_share:
        X[rng.random(X.shape) < nan_share] = np.nan
    return X, y


def synthetic_multiclass(n_classes, n_features, n_cuts=2, seed=0, magnitudes=None):
    """A multiclass EmbeddingSumClassifier made from random numbers, without a fit: any size, quickly.

    Scores are N(0, 1); with ``magnitudes``, each is also multiplied by one of them drawn at random, so that
    the order of summation changes the result.
    """
    from embedsum import EmbeddingSumClassifier

    rng = np.random.default_rng(seed)
    model = EmbeddingSumClassifier()
    model.classes_ = np.arange(n_classes)
    model.n_features_in_ = n_features
    model.cuts_ = [np.sort(rng.normal(size=n_cuts)) for _ in range(n_features)]
    shape = (n_cuts + 2, n_classes)
    if magnitudes is None:
        model.bin_scores_ = [rng.normal(size=shape) for _ in range(n_features)]
    else:
        model.bin_scores_ = [rng.choice(magnitudes, size=shape) * rng.normal(size=shape) for _ in range(n_features)]
    model.intercept_ = rng.normal(size=n_classes)
    model.is_categorical_ = np.zeros(n_features, dtype=bool)
    model.categories_ = [None] * n_features
    model.rare_categories_ = [None] * n_features
    model.unseen_scores_ = [None] * n_features
    model.monotonic_cst_ = np.zeros(n_features, dtype=np.int8)
    model.bin_weights_ = [np.full(n_cuts + 2, 1.0 / (n_cuts + 2)) for _ in range(n_features)]
    return model


# ----------------------------------------------------------------------------------------------
# Hypothesis strategies for training data
# ----------------------------------------------------------------------------------------------


def training_data(min_rows=20, max_rows=120, min_features=1, max_features=6, nan=True, target="binary"):
    """A strategy of (X, y): float64 rows with ties, magnitudes from 1e-3 to 1e6 and NaN; a target drawn too.

    ``target``: "binary" (bool, at least two rows of each class) or "regression" (finite floats).
    """
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    value = st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
        st.integers(-3, 3).map(float),  # ties
        st.sampled_from([0.0, -0.0, 1e-3, -1e-3]),
        *([st.just(math.nan)] if nan else []),
    )

    @st.composite
    def draw_data(draw):
        n = draw(st.integers(min_rows, max_rows), label="n_rows")
        d = draw(st.integers(min_features, max_features), label="n_features")
        X = draw(hnp.arrays(np.float64, (n, d), elements=value), label="X")
        if target == "binary":
            y = draw(hnp.arrays(np.bool_, n), label="y")
            y[:4] = [False, True, False, True]  # two rows of each class: any cv=2 can fit
        else:
            y = draw(hnp.arrays(np.float64, n, elements=st.floats(-1e3, 1e3, allow_nan=False)), label="y")
        return X, y

    return draw_data()


def assert_same_bins(cuts, weights, digitizer):
    """Cuts equal to the digitizer's (a zero cut's sign aside: the same bins) and bin weights equal bit for bit."""
    assert len(cuts) == len(digitizer.cuts_)
    for mine, theirs in zip(cuts, digitizer.cuts_):
        np.testing.assert_array_equal(mine, theirs)  # -0.0 == 0.0: the same bins
    for mine, theirs in zip(weights, digitizer.bin_weights_):
        assert mine.tobytes() == theirs.tobytes()


def telemetry_frame(seed, n):
    """A pandas frame of endpoint telemetry (two counts, a protocol, a score with 10% missing) and a
    noisy signal of it: the table the Dask tests fit in memory and over partitions."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "bytes": rng.exponential(size=n),
        "files": rng.poisson(2.0, n).astype(float),
        "proto": rng.choice(["tcp", "udp", "icmp", "dns"], n, p=[0.5, 0.3, 0.15, 0.05]),
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
    })
    signal = frame["bytes"] - 1 + 0.5 * (frame["proto"] == "udp") + 0.3 * np.nan_to_num(frame["score"])
    return frame, signal.to_numpy() + rng.normal(scale=0.5, size=n)


def flat_scores(model):
    """A fitted model's bin scores and intercept(s) as one vector."""
    return np.concatenate([np.ravel(s) for s in model.bin_scores_] + [np.ravel(model.intercept_)])


def pair_frame(n=600, seed=3, missing=0.05):
    """A DataFrame (age, z with ``missing`` of its cells empty, proto: three categories) whose log-odds
    are an age x proto and an age x z interaction, its log-odds and the generator that drew it (the
    pair terms' tests, docs/design.md#pair-terms)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.normal(size=n), "z": rng.normal(size=n),
                      "proto": rng.choice(["tcp", "udp", "icmp"], size=n, p=[0.5, 0.3, 0.2])})
    X.loc[rng.random(n) < missing, "z"] = np.nan
    logit = np.where(X["proto"] == "tcp", 1.5, -1.0) * X["age"] + X["age"] * X["z"].fillna(0)
    return X, logit, rng
