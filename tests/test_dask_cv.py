"""The cross-validated estimators over Dask collections (estimators/_dask_cv.py) on a real LocalCluster: the
folds, the held-out scores, the chosen weights and the final model of the in-memory CV on the same rows
(docs/design.md#dask)."""

import numpy as np
import pytest

import dask.array as da  # the test extra installs dask and distributed: never skipped
import dask.dataframe as dd
import pandas as pd

from _oracles import flat_scores as _flat
from _oracles import telemetry_frame as _frame

from embedsum import EmbeddingSumClassifierCV, EmbeddingSumRegressorCV

# The held-out scores are sums over the same rows of fold models that agree to about where the
# solver stops (its relative-reduction rule ends a flat solve within ~1e-7 of the optimum): equal to
# 1e-6 relative, and the choice is the same; the final models as in test_dask_fit.py.
SCORE_RTOL = 1e-6
COEF_RTOL = 1e-6


def _assert_same_choice(distributed, memory):
    assert distributed.best_index_ == memory.best_index_
    assert distributed.step_loss_weight_ == memory.step_loss_weight_ and distributed.l2_ == memory.l2_
    assert distributed.cv_results_.keys() == memory.cv_results_.keys()
    for key, expected in memory.cv_results_.items():
        if key.startswith(("split", "mean_test")):
            np.testing.assert_allclose(distributed.cv_results_[key], expected, rtol=SCORE_RTOL, err_msg=key)
        elif key.startswith(("step", "l2", "rank")):
            np.testing.assert_array_equal(distributed.cv_results_[key], expected, err_msg=key)
    gap = np.max(np.abs(_flat(distributed) - _flat(memory))) / np.max(np.abs(_flat(memory)))
    assert gap <= COEF_RTOL, gap
    for a, b in zip(distributed.bin_weights_, memory.bin_weights_):
        np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("n_classes, average_folds", [(2, False), (3, True)])
def test_the_classifier_cv_over_a_dask_dataframe_chooses_as_in_memory(dask_client, n_classes, average_folds):
    frame, signal = _frame(0, 1000)
    y = np.digitize(signal, [0.0] if n_classes == 2 else [-0.5, 0.5])
    params = dict(step_loss_weights=[3e-3, 3e-4], interactions=0, cv=2, max_bins=6, tol=1e-8, average_folds=average_folds)
    memory = EmbeddingSumClassifierCV(**params).fit(frame, y)
    distributed = EmbeddingSumClassifierCV(**params).fit(dd.from_pandas(frame, npartitions=3),
                                                         dd.from_pandas(pd.Series(y), npartitions=3))
    _assert_same_choice(distributed, memory)
    assert distributed.classes_.tolist() == memory.classes_.tolist()


def test_the_weighted_monotone_regressor_cv_over_a_dask_array_chooses_as_in_memory(dask_client):
    frame, signal = _frame(1, 1000)
    X = frame[["bytes", "score"]].to_numpy()
    w = np.random.default_rng(2).integers(0, 4, len(signal)).astype(float)
    params = dict(step_loss_weights=[0.1, 0.01], interactions=0, cv=2, max_bins=6, tol=1e-8,
                  monotonic_cst=[1, 0])
    memory = EmbeddingSumRegressorCV(**params).fit(X, 5 * signal, sample_weight=w)
    distributed = EmbeddingSumRegressorCV(**params).fit(
        da.from_array(X, chunks=(500, 2)), da.from_array(5 * signal, chunks=500), sample_weight=da.from_array(w, chunks=500))
    _assert_same_choice(distributed, memory)


def test_options_the_dask_fit_does_not_offer_are_refused(dask_client):
    X = da.from_array(np.random.default_rng(0).normal(size=(100, 2)), chunks=(50, 2))
    with pytest.raises(ValueError, match="cv must be an int"):
        EmbeddingSumRegressorCV(cv=[(np.arange(50), np.arange(50, 100))], interactions=0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="interactions=0"):
        EmbeddingSumRegressorCV(interactions=4).fit(X, X[:, 0])
