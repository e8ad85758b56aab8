"""Fitting over Dask partitions (embedsum/distributed/): on a real distributed.LocalCluster (two worker processes).

The cuts equal the in-memory digitizer's, and the objective equals the in-memory objective, whatever the
partitioning; a worker killed between evaluations is recomputed and the objective is unchanged
(docs/design.md#dask).
"""

import os
import signal
import time

import numpy as np
import pytest
from _oracles import assert_same_bins
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedsum.binning._digitizer import Digitizer
from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective
from embedsum.training._regularizers import EmbeddingSumLoss, StepLoss

import dask.array as da  # the test extra installs dask and distributed: never skipped
import dask.dataframe as dd
import distributed
import pandas as pd

from embedsum.distributed._cuts import distributed_cuts, key_values, ordered_keys
from embedsum.distributed._objective import distributed_objective
from embedsum.distributed._partitions import Partitions


@pytest.fixture
def client(dask_client):
    return dask_client


def _table(seed, n):
    rng = np.random.default_rng(seed)
    X = np.column_stack([
        rng.normal(size=n),
        rng.poisson(0.3, n).astype(float),            # mostly zeros: ties everywhere
        np.where(rng.random(n) < 0.2, np.nan, rng.exponential(size=n)),
        np.full(n, np.nan),                           # never observed
        np.round(rng.normal(size=n) * 3),             # a few values, -0.0 among them
    ])
    X[rng.random(n) < 0.01, 0] = np.inf
    X[rng.random(n) < 0.01, 0] = -np.inf
    return X


def test_ordered_keys_follow_the_order_of_the_values():
    values = np.array([-np.inf, -1e308, -1.0, -5e-324, 0.0, 5e-324, 1.0, 1e308, np.inf])
    keys = ordered_keys(values)
    assert np.all(keys[1:] > keys[:-1])
    np.testing.assert_array_equal(key_values(keys), values)
    assert ordered_keys(np.array([-0.0]))[0] == ordered_keys(np.array([0.0]))[0]


@pytest.mark.parametrize("weighted, max_bins", [(False, 20), (True, 2), (True, 255)])
def test_cuts_equal_the_in_memory_digitizers(client, weighted, max_bins):
    X = _table(max_bins, 5000)
    rng = np.random.default_rng(1)
    w = rng.integers(0, 4, len(X)).astype(float) if weighted else None
    chunks = (1234,)  # uneven partitions, the last one short
    parts = Partitions(da.from_array(X, chunks=chunks + (2,)), None,
                       None if w is None else da.from_array(w, chunks=chunks), client=client)
    cuts, weights = distributed_cuts(parts, max_bins)
    assert_same_bins(cuts, weights, Digitizer(max_bins).fit(X, sample_weight=w))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 400), n_parts=st.integers(1, 5), max_bins=st.integers(2, 40),
       values=st.sampled_from(["normal", "few", "heavy"]), seed=st.integers(0, 2**16),
       weights=st.sampled_from([None, "integer", "real"]))
def test_cuts_equal_the_in_memory_digitizers_for_drawn_tables(client, n, n_parts, max_bins, values, seed, weights):
    rng = np.random.default_rng(seed)
    X = {"normal": rng.normal(size=(n, 2)), "few": rng.integers(-2, 3, size=(n, 2)).astype(float),
         "heavy": rng.standard_cauchy(size=(n, 2)) * 1e200}[values]
    X[rng.random(X.shape) < 0.1] = np.nan
    w = {None: None, "integer": rng.integers(0, 5, n).astype(float) + (np.arange(n) == 0),
         "real": rng.uniform(0.01, 2.0, n)}[weights]
    rows = -(-n // n_parts)
    parts = Partitions(da.from_array(X, chunks=(rows, 2)), None,
                       None if w is None else da.from_array(w, chunks=rows), client=client)
    cuts, bin_weights = distributed_cuts(parts, max_bins)
    assert_same_bins(cuts, bin_weights, Digitizer(max_bins).fit(X, sample_weight=w))


def test_a_dataframe_of_numbers_gives_the_cuts_of_its_values(client):
    X = _table(3, 3000)
    frame = dd.from_pandas(pd.DataFrame(X, columns=list("abcde")), npartitions=4)
    parts = Partitions(frame, client=client)
    assert parts.columns == list("abcde") and parts.n_rows.sum() == 3000
    cuts, weights = distributed_cuts(parts, 20)
    assert_same_bins(cuts, weights, Digitizer(20).fit(X))


def _problem(loss, seed=0, n=4000):
    rng = np.random.default_rng(seed)
    X = _table(seed, n)
    y = {"log": (np.nan_to_num(X[:, 0]) + rng.normal(size=n) > 0).astype(float),
         "softmax": rng.integers(0, 3, n),
         "squared": np.nan_to_num(X[:, 1]) * 2 + rng.normal(size=n)}[loss]
    return X, y, rng.uniform(0.0, 3.0, n)


@pytest.mark.parametrize("loss, n_outputs", [("log", 1), ("softmax", 3), ("squared", 1)])
def test_the_objective_equals_the_in_memory_objective(client, loss, n_outputs):
    X, y, w = _problem(loss)
    parts = Partitions(da.from_array(X, chunks=(700, 5)), da.from_array(y, chunks=700),
                       da.from_array(w, chunks=700), client=client)
    cuts, weights = distributed_cuts(parts, 20)
    layout = ParameterLayout([len(c) + 2 for c in cuts], weights, n_outputs=n_outputs)
    regularizers = [StepLoss(0.1), EmbeddingSumLoss(0.01)]
    objective = distributed_objective(parts, cuts, parts.y, layout, regularizers, loss)
    digitizer = Digitizer(20).fit(X, sample_weight=w)
    reference = EmbeddingSumObjective(digitizer.transform(X), y, w, layout, regularizers, loss=loss)
    rng = np.random.default_rng(5)
    for scale in (0.0, 0.3, 3.0):
        coef = rng.normal(scale=scale, size=layout.n_params)
        (value, grad), (expected, expected_grad) = objective.loss_gradient(coef), reference.loss_gradient(coef)
        np.testing.assert_allclose(value, expected, rtol=1e-12)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-11, atol=1e-14)
        assert objective.last_components.keys() == reference.last_components.keys()
    np.testing.assert_allclose(objective.decision(coef), reference.decision(coef), rtol=1e-12, atol=1e-12)
    objective.close()


def test_a_lost_worker_is_recomputed_and_the_objective_is_unchanged(client):
    X, y, w = _problem("log", seed=2, n=3000)
    parts = Partitions(da.from_array(X, chunks=(500, 5)), da.from_array(y, chunks=500), client=client)
    cuts, weights = distributed_cuts(parts, 16)
    layout = ParameterLayout([len(c) + 2 for c in cuts], weights)
    objective = distributed_objective(parts, cuts, parts.y, layout, [StepLoss(0.1)], "log")
    coef = np.random.default_rng(0).normal(size=layout.n_params)
    before = objective.loss_gradient(coef)
    # Kill the process of one worker that holds engines; its nanny starts a new one.
    holders = client.who_has(objective._engine.engines)
    address = next(iter(next(a for a in holders.values() if a)))
    pid = client.run(os.getpid, workers=[address])[address]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while address in client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.1)
    after = objective.loss_gradient(coef)
    assert after[0] == before[0]
    assert np.array_equal(after[1], before[1])
    objective.close()
