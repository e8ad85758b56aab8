"""Row-wise methods over Dask collections (estimators/_dask_rows.py): lazy Dask arrays whose values are
the in-memory results bit for bit (each partition scored by the numpy path; docs/design.md#dask)."""

import numpy as np
import pytest

import dask.array as da  # the test extra installs dask and distributed: never skipped
import dask.dataframe as dd
import pandas as pd

from _oracles import telemetry_frame as _frame

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.estimators._dask_rows import is_dask_collection


def test_dask_collections_are_recognised_without_importing_dask_for_other_input():
    X = np.zeros((4, 2))
    assert not is_dask_collection(X) and not is_dask_collection(pd.DataFrame(X))
    assert is_dask_collection(da.from_array(X)) and is_dask_collection(dd.from_pandas(pd.DataFrame(X), npartitions=2))


METHODS = {"binary": ["predict", "predict_proba", "decision_function", "contributions"],
           "multiclass": ["predict", "predict_proba", "decision_function", "contributions"],
           "regression": ["predict", "contributions"]}


def _model(kind, frame, signal):
    if kind == "regression":
        return EmbeddingSumRegressor(max_bins=8).fit(frame, signal)
    y = np.where(signal > 0, "attack", "benign") if kind == "binary" else np.digitize(signal, [-0.5, 0.5])
    return EmbeddingSumClassifier(max_bins=8).fit(frame, y)


@pytest.mark.parametrize("kind", list(METHODS))
def test_predictions_of_a_dask_dataframe_are_lazy_and_equal_the_in_memory_ones(dask_client, kind):
    frame, signal = _frame(0, 1500)
    model = _model(kind, frame, signal)
    new, _ = _frame(1, 900)
    new.loc[3, "proto"] = "gre"  # unseen category
    X = dd.from_pandas(new, npartitions=4)
    for name in METHODS[kind]:
        result = getattr(model, name)(X)
        assert is_dask_collection(result), name
        expected = getattr(model, name)(new)
        computed = result.compute()
        assert type(computed) is type(expected) and computed.shape == expected.shape, name
        if hasattr(expected, "columns"):  # contributions of a frame: a frame with its index and names
            assert computed.index.equals(expected.index) and computed.columns.equals(expected.columns), name
        else:
            assert computed.dtype == expected.dtype, name
        np.testing.assert_array_equal(np.asarray(computed), np.asarray(expected))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_predictions_of_a_dask_array_are_lazy_and_equal_the_in_memory_ones(dask_client, kind):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1200, 3))
    X[rng.random(X.shape) < 0.05] = np.nan
    signal = np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 2])
    model = _model(kind, X, signal)
    # Uneven row blocks, one of them empty, and the columns split in two blocks.
    dask_X = da.from_array(X, chunks=((500, 0, 400, 300), (2, 1)))
    for name in METHODS[kind]:
        result = getattr(model, name)(dask_X)
        assert is_dask_collection(result), name
        expected = getattr(model, name)(X)
        assert result.shape[1:] == expected.shape[1:], name
        np.testing.assert_array_equal(result.compute(), expected)
