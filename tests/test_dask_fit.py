"""fit over Dask collections (estimators/_dask_fit.py) on a real distributed.LocalCluster: the model of the
in-memory fit on the same rows, for every model kind, categorical features and monotone constraints included.

The objective at the optimum is within 1e-12 (relative) of the in-memory one's, the cuts, categories and
bin weights are the same, and the coefficients agree to the tolerance stated per test
(docs/design.md#dask).
"""

import os
import time
from signal import SIGKILL

import numpy as np
import pytest

import dask.array as da  # the test extra installs dask and distributed: never skipped
import dask.dataframe as dd
import pandas as pd

from _oracles import flat_scores as _flat
from _oracles import telemetry_frame as _frame

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.training._objective import EmbeddingSumObjective

# How close the coefficients of the two fits are, relative to the largest: the same optimum,
# reached along slightly different rounding (sums in partition order), so the solver stops at
# points a little apart along the objective's flattest directions (tol=1e-10 here).
COEF_RTOL = 1e-6


def _objective_at_optimum(model, X, y, w=None):
    """The training objective of a fitted model, evaluated in memory (the same for both fits)."""
    from embedsum.estimators._fitted_bins import fit_bins

    bins = fit_bins(X, None, w, categorical_features=model.categorical_features, max_bins=model.max_bins,
                    min_category_count=model.min_category_count, binning=model.binning,
                    min_bin_count=model.min_bin_count)
    n_outputs = model._n_outputs
    layout = bins.layout(n_outputs)
    if model._kind == "classifier":
        target = np.searchsorted(model.classes_, np.asarray(y))
        target = target.astype(float) if n_outputs == 1 else target
    else:
        target = np.asarray(y, dtype=float)
    sw = np.ones(len(target)) if w is None else np.asarray(w, dtype=float)
    objective = EmbeddingSumObjective(bins.codes, target, sw, layout, model._all_regularizers(),
                                      loss=model._loss(n_outputs))
    return objective.loss_gradient(layout.join(model.bin_scores_, model.intercept_))[0]


def _assert_same_model(distributed, memory, X, y, w=None):
    assert distributed.n_features_in_ == memory.n_features_in_
    for a, b in zip(distributed.cuts_, memory.cuts_):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    for a, b in zip(distributed.categories_, memory.categories_):
        assert (a is None and b is None) or list(a) == list(b)
    for a, b in zip(distributed.bin_weights_, memory.bin_weights_):
        np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(distributed.is_categorical_, memory.is_categorical_)
    np.testing.assert_array_equal(distributed.monotonic_cst_, memory.monotonic_cst_)
    if hasattr(memory, "classes_"):
        assert distributed.classes_.tolist() == memory.classes_.tolist()
    np.testing.assert_allclose(_objective_at_optimum(distributed, X, y, w), _objective_at_optimum(memory, X, y, w),
                               rtol=1e-12)
    gap = np.max(np.abs(_flat(distributed) - _flat(memory))) / np.max(np.abs(_flat(memory)))
    assert gap <= COEF_RTOL, gap


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_a_dask_dataframe_fits_the_in_memory_model(dask_client, kind):
    frame, signal = _frame(0, 3000)
    y = {"binary": np.where(signal > 0, "attack", "benign"),
         "multiclass": np.digitize(signal, [-0.7, 0.0, 0.7]),
         "regression": signal}[kind]
    cls = EmbeddingSumRegressor if kind == "regression" else EmbeddingSumClassifier
    params = dict(max_bins=12, tol=1e-10, step_loss_weight=0.05)
    memory = cls(**params).fit(frame, y)
    X = dd.from_pandas(frame, npartitions=4)
    y_dask = dd.from_pandas(pd.Series(y), npartitions=4)
    distributed = cls(**params).fit(X, y_dask)
    assert distributed.is_categorical_.tolist() == [False, False, True, False]
    assert distributed.feature_names_in_.tolist() == list(frame.columns)
    _assert_same_model(distributed, memory, frame, y)


@pytest.mark.parametrize("binning", ["quantile", "adaptive"])
def test_a_dask_array_with_weights_and_monotone_constraints_fits_the_in_memory_model(dask_client, binning):
    frame, signal = _frame(1, 2500)
    X = frame[["bytes", "files", "score"]].to_numpy()
    y = (signal > 0).astype(int)
    w = np.random.default_rng(2).integers(0, 4, len(y)).astype(float)
    params = dict(max_bins=10, tol=1e-10, monotonic_cst=[1, 0, 0], binning=binning)
    memory = EmbeddingSumClassifier(**params).fit(X, y, sample_weight=w)
    distributed = EmbeddingSumClassifier(**params).fit(
        da.from_array(X, chunks=(700, 3)), da.from_array(y, chunks=700), sample_weight=da.from_array(w, chunks=700))
    assert np.all(np.diff(distributed.bin_scores_[0][:-1]) >= 0)
    _assert_same_model(distributed, memory, X, y, w)


def test_a_weighted_regressor_with_a_categorical_column_fits_the_in_memory_model(dask_client):
    frame, signal = _frame(3, 2000)
    frame["proto"] = frame["proto"].astype(object)  # dask's default convert-string makes it text
    w = np.random.default_rng(4).uniform(0.1, 2.0, len(signal))
    params = dict(max_bins=8, tol=1e-10, monotonic_cst={"bytes": 1}, min_category_count=5)
    memory = EmbeddingSumRegressor(**params).fit(frame, 10 * signal, sample_weight=w)
    X = dd.from_pandas(frame, npartitions=3)
    distributed = EmbeddingSumRegressor(**params).fit(
        X, dd.from_pandas(pd.Series(10 * signal), npartitions=3), sample_weight=dd.from_pandas(pd.Series(w),
                                                                                                npartitions=3))
    _assert_same_model(distributed, memory, frame, 10 * signal, w)


def test_many_rows_start_from_the_in_memory_subsample_solution(dask_client, monkeypatch):
    from embedsum.estimators import _base

    # 3000 rows count as many here: both fits start from the solution on every 12th row.
    monkeypatch.setattr(_base, "_WARM_START_ROWS", 2**10)
    monkeypatch.setattr(_base, "_SUBSAMPLE_ROWS", 2**8)
    frame, signal = _frame(5, 3000)
    X, y = frame[["bytes", "files", "score"]].to_numpy(), signal > 0
    memory = EmbeddingSumClassifier(max_bins=10, tol=1e-10).fit(X, y)
    starts = []
    solve = _base.EmbeddingSumModel._solve
    monkeypatch.setattr(_base.EmbeddingSumModel, "_solve",
                        lambda self, codes, *a, **k: starts.append(len(codes)) or solve(self, codes, *a, **k))
    distributed = EmbeddingSumClassifier(max_bins=10, tol=1e-10).fit(da.from_array(X, chunks=(700, 3)),
                                                                     da.from_array(y, chunks=700))
    assert starts == [250]  # rows 0, 12, 24, ... of all rows, across the partitions
    _assert_same_model(distributed, memory, X, y)


def test_a_worker_lost_during_a_fit_is_recomputed_and_the_model_is_unchanged(dask_client, monkeypatch):
    from embedsum.distributed import _objective

    frame, signal = _frame(6, 2000)
    X = da.from_array(frame[["bytes", "files", "score"]].to_numpy(), chunks=(500, 3))
    y = da.from_array(signal > 0, chunks=500)
    undisturbed = EmbeddingSumClassifier(max_bins=10, tol=1e-10).fit(X, y)
    data_term, calls, killed = _objective.DistributedEngine.data_term, [], []

    def kill_at_the_third_evaluation(self, coef, grad):
        calls.append(1)
        if len(calls) == 3:  # kill the process of a worker holding engines; its nanny starts a new one
            address = next(iter(next(a for a in dask_client.who_has(self.engines).values() if a)))
            os.kill(dask_client.run(os.getpid, workers=[address])[address], SIGKILL)
            deadline = time.monotonic() + 60
            while address in dask_client.scheduler_info()["workers"] and time.monotonic() < deadline:
                time.sleep(0.1)
            killed.append(address not in dask_client.scheduler_info()["workers"])
        return data_term(self, coef, grad)

    monkeypatch.setattr(_objective.DistributedEngine, "data_term", kill_at_the_third_evaluation)
    disturbed = EmbeddingSumClassifier(max_bins=10, tol=1e-10).fit(X, y)
    assert killed == [True]
    np.testing.assert_array_equal(_flat(disturbed), _flat(undisturbed))
    assert disturbed.n_iter_ == undisturbed.n_iter_


def test_options_that_need_the_rows_in_memory_are_refused(dask_client):
    X = da.from_array(np.random.default_rng(0).normal(size=(100, 2)), chunks=(50, 2))
    y = da.from_array(np.arange(100) % 2, chunks=50)
    with pytest.raises(ValueError, match="uncertainty"):
        EmbeddingSumClassifier(uncertainty=True).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        EmbeddingSumClassifier().fit(X, da.zeros(100, chunks=50))
    with pytest.raises(ValueError, match="partitioned like X"):
        EmbeddingSumClassifier().fit(X, da.from_array(np.arange(100) % 2, chunks=(40, 60)))
