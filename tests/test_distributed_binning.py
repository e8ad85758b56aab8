"""Categories and adaptive cuts over Dask partitions (embedsum/distributed/), on a real distributed.LocalCluster.

Both equal the in-memory binnings on the concatenated rows, whatever the partitioning, with and without sample
weights (docs/design.md#dask).
"""

import numpy as np
import pytest
from _oracles import assert_same_bins
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedsum._validation import check_table, sample_weight_counts
from embedsum.binning._adaptive import AdaptiveDigitizer
from embedsum.binning._categories import fit_categories

import dask
import dask.array as da  # the test extra installs dask and distributed: never skipped
import dask.dataframe as dd
import distributed
import pandas as pd

from embedsum.distributed._adaptive_cuts import distributed_adaptive_cuts
from embedsum.distributed._categories import distributed_categories, partition_category_codes
from embedsum.distributed._partitions import Partitions


@pytest.fixture
def client(dask_client):
    return dask_client


def _weights(kind, rng, n):
    if kind is None:
        return None
    if kind == "integer":
        return rng.integers(0, 4, n).astype(float) + (np.arange(n) == 0)
    return rng.uniform(0.05, 2.0, n) * (rng.random(n) < 0.85) + (np.arange(n) == 0)  # real, zeros among them


def _frame(seed, n):
    rng = np.random.default_rng(seed)
    mixed = np.array([float(i % 5) for i in range(n)], dtype=object)
    tail = ["late", "text", None]  # only the last partition holds strings: the column is of string kind
    mixed[max(0, n - 3):] = tail[max(0, 3 - n):]
    nums = rng.integers(0, 12, n).astype(float)
    nums[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "text": pd.Series(rng.choice(["tcp", "udp", "icmp", "gre", "x", None, ""], n, p=[.4, .3, .1, .05, .05, .05, .05]),
                          dtype=object),
        "category": pd.Categorical(rng.choice(["low", "mid", "high"], n)),
        "flag": rng.random(n) < 0.2,
        "string": pd.Series(rng.choice(["a", "b", None], n), dtype="string"),
        "numbers": nums,  # numbers treated as categories
        "mixed": mixed,
    })


def _dask(data, npartitions=1, divisions=None):
    # Object columns as they are (dask would otherwise turn them into text, numbers included).
    with dask.config.set({"dataframe.convert-string": False}):
        out = dd.from_pandas(data, npartitions=npartitions)
        return out if divisions is None else out.repartition(divisions=divisions)


def _assert_same_categories(got, expected):
    kept, rare, weights = got
    kept_, rare_, _, weights_ = expected
    assert kept.dtype == kept_.dtype and rare.dtype == rare_.dtype
    np.testing.assert_array_equal(kept, kept_)
    np.testing.assert_array_equal(rare, rare_)
    assert weights.tobytes() == weights_.tobytes()


@pytest.mark.parametrize("weights", [None, "integer", "real"])
def test_categories_and_codes_equal_fit_categories(client, weights):
    n = 600
    frame = _frame(0, n)
    w = _weights(weights, np.random.default_rng(1), n)
    divisions = [0, 7, 300, 301, n - 1]  # uneven partitions, one of a single row
    ddf = _dask(frame, divisions=divisions)
    dw = None if w is None else _dask(pd.Series(w), divisions=divisions)
    columns = list(range(frame.shape[1]))
    kept, rare, bin_weights, kinds = distributed_categories(ddf, columns, 25, dw, client=client)
    _, raw = check_table(frame, np.ones(len(columns), dtype=bool))
    assert kinds == ["str", "str", "str", "str", "number", "str"]
    counts = None if w is None else sample_weight_counts(w)
    for j in columns:
        expected = fit_categories(raw[j], 25, j, sample_weight=w)
        _assert_same_categories((kept[j], rare[j], bin_weights[j]), expected)
        for start, stop in zip(divisions[:-1], divisions[1:-1] + [n]):
            codes = partition_category_codes(raw[j][start:stop], kept[j], rare[j], j,
                                             None if counts is None else counts[start:stop])
            np.testing.assert_array_equal(codes, expected[2][start:stop])
    assert len(rare[5]) and len(kept[5]) and len(kept[0])  # both kept and rare categories


def test_a_value_seen_only_in_rows_of_weight_zero_decides_nothing(client):
    values = np.array([1.0, 2.0, 2.0, "word", 3.0, 1.0], dtype=object)
    w = np.array([1.0, 2.0, 1.0, 0.0, 1.0, 1.0])
    frame = pd.DataFrame({"v": values})
    kept, rare, bin_weights, kinds = distributed_categories(
        _dask(frame, 3), [0], 2, _dask(pd.Series(w), 3), client=client)
    expected = fit_categories(values, 2, 0, sample_weight=w)
    assert kinds == ["number"] and expected[0].dtype == np.float64
    _assert_same_categories((kept[0], rare[0], bin_weights[0]), expected)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 200), n_parts=st.integers(1, 4), min_count=st.integers(0, 30), seed=st.integers(0, 2**16),
       weights=st.sampled_from([None, "integer", "real"]))
def test_categories_equal_fit_categories_for_drawn_columns(client, n, n_parts, min_count, seed, weights):
    frame = _frame(seed, n).iloc[:, [0, 4]]
    w = _weights(weights, np.random.default_rng(seed), n)
    kept, rare, bin_weights, _ = distributed_categories(
        _dask(frame, n_parts), [0, 1], min_count, None if w is None else _dask(pd.Series(w), n_parts), client=client)
    _, raw = check_table(frame, np.ones(2, dtype=bool))
    for j in range(2):
        _assert_same_categories((kept[j], rare[j], bin_weights[j]), fit_categories(raw[j], min_count, j, sample_weight=w))


def _table(seed, n):
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.normal(size=n),
        np.where(rng.random(n) < 0.93, 0.0, np.round(rng.exponential(100, n))),  # zero-inflated, ties in the tail
        rng.integers(0, 7, n).astype(float),                                     # few values: one bin each
        np.where(rng.random(n) < 0.5, 3.0, rng.integers(0, 500, n)),             # a heavy value inside the range
        rng.choice([0.0, -0.0, 1.0, np.inf, -np.inf, 2.5, 7.0, 9.0], n),        # ±inf and -0.0
        np.full(n, np.nan),                                                      # never observed
    ])
    X[rng.random(X.shape) < 0.08] = np.nan
    return X


@pytest.mark.parametrize("weights, max_bins, min_bin_count", [(None, 6, 5), ("integer", 16, 3), ("real", 64, 5)])
def test_adaptive_cuts_equal_the_in_memory_digitizers(client, weights, max_bins, min_bin_count):
    n = 3000
    X = _table(max_bins, n)
    w = _weights(weights, np.random.default_rng(2), n)
    chunks = (1100,)  # uneven partitions, the last one short
    parts = Partitions(da.from_array(X, chunks=chunks + (6,)), None,
                       None if w is None else da.from_array(w, chunks=chunks), client=client)
    cuts, bin_weights = distributed_adaptive_cuts(parts, max_bins, min_bin_count)
    reference = AdaptiveDigitizer(max_bins, min_bin_count).fit(X, sample_weight=w)
    assert_same_bins(cuts, bin_weights, reference)
    assert 0.0 in reference.cuts_[1] and len(reference.cuts_[1]) > 2  # the zero alone, the tail binned


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 300), n_parts=st.integers(1, 6), max_bins=st.integers(2, 30),
       min_bin_count=st.sampled_from([0, 1, 5.5]), seed=st.integers(0, 2**16),
       weights=st.sampled_from([None, "integer", "real"]))
def test_adaptive_cuts_equal_the_in_memory_digitizers_for_drawn_tables(client, n, n_parts, max_bins, min_bin_count,
                                                                     seed, weights):
    X = _table(seed, n)[:, :5]
    w = _weights(weights, np.random.default_rng(seed), n)
    rows = -(-n // n_parts)
    parts = Partitions(da.from_array(X, chunks=(rows, 5)), None,
                       None if w is None else da.from_array(w, chunks=rows), client=client)
    cuts, bin_weights = distributed_adaptive_cuts(parts, max_bins, min_bin_count)
    assert_same_bins(cuts, bin_weights, AdaptiveDigitizer(max_bins, min_bin_count).fit(X, sample_weight=w))
