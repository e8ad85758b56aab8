"""Library calls leave process-wide state alone (docs/design.md#dependencies-and-vendoring: no global state).

``warnings.catch_warnings`` swaps the module's filter list and puts it back on exit: two
threads inside it at once can put back each other's list, so a filter installed by one
call outlives it. The explanation and plot code therefore never touches the warning
filters; what numpy would warn about is avoided, or silenced with ``np.errstate`` (local
to the thread).
"""

import ast
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import embedsum
from embedsum import EmbeddingSumClassifier
from embedsum.inspection._baselines import baseline_points, robust_standardise
from embedsum.explain import attributions

PACKAGE_DIR = Path(embedsum.__file__).resolve().parent
# Modules of explanations and pictures: they run in user threads, next to user code.
QUIET_MODULES = sorted(str(p.relative_to(PACKAGE_DIR)) for p in (PACKAGE_DIR / "inspection").glob("_*.py"))
FILTER_CALLS = {"catch_warnings", "simplefilter", "filterwarnings", "resetwarnings"}


@pytest.mark.parametrize("name", QUIET_MODULES)
def test_no_warning_filter_calls_in_library_code(name):
    tree = ast.parse((PACKAGE_DIR / name).read_text(encoding="utf-8"))
    calls = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
             for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert not calls & FILTER_CALLS


def _baseline_rows(seed=0, n=300, d=4):
    """Rows whose median and IQR numpy would warn about: a column with no observed value,
    a column holding both infinities, a column of huge values."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 1] = np.nan
    X[: n // 2, 2] = -np.inf
    X[n // 2:, 2] = np.inf
    X[:, 3] = np.where(rng.random(n) < 0.5, -1.7e308, 1.7e308)
    return X


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 4))
    return EmbeddingSumClassifier(max_bins=6).fit(X, X[:, 0] > 0), X


def test_concurrent_median_attributions_leave_the_filters_and_warn_nothing(fitted):
    model, X = fitted
    B = _baseline_rows()
    expected = attributions(model, X[:20], "median", baseline_X=B, n_points=5)
    n_threads, rounds = 8, 5
    barrier = threading.Barrier(n_threads)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            for _ in range(rounds):
                results.append(attributions(model, X[:20], "median", baseline_X=B, n_points=5))
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every warning is recorded, none is shown once only
        before = list(warnings.filters)
        threads = [threading.Thread(target=work) for _ in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = list(warnings.filters)
    assert not errors
    assert after == before
    assert [str(w.message) for w in caught] == []
    assert len(results) == n_threads * rounds
    assert all(np.array_equal(r, expected) for r in results)


@pytest.mark.parametrize("baseline", ["median", "kmeans", "close", "random"])
def test_group_baselines_warn_nothing_even_with_floating_point_errors_raising(fitted, baseline):
    model, X = fitted
    B = _baseline_rows(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            a = attributions(model, X[:10], baseline, baseline_X=B, n_points=4, random_state=0)
    assert np.isfinite(a).all()


def test_robust_standardise_of_columns_numpy_would_warn_about():
    B = _baseline_rows(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = robust_standardise(B, B)
    assert np.isnan(Z[:, 1]).all()  # missing stays missing
    assert set(np.unique(Z[:, 2])) == {-1e6, 1e6}  # ±inf, both present: median 0 and IQR 1 -> clamped
    assert np.isfinite(Z[:, [0, 3]]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert robust_standardise(np.zeros((1, 2)), np.empty((0, 2))).tolist() == [[0.0, 0.0]]


@settings(max_examples=30, deadline=None)
@given(B=hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 3)),
                   elements=st.integers(0, 5).map(float) | st.floats(-1e3, 1e3)),
       k=st.integers(1, 8), random_state=st.integers(0, 2**32 - 1))
def test_kmeans_centroids_are_means_of_their_rows(B, k, random_state):
    """As many centroids as asked (at most the rows), the same for the same seed, finite and
    inside the rows' bounding box; repeated rows (fewer distinct rows than centroids, which
    leaves clusters empty) warn nothing."""
    n, d = B.shape
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        points = baseline_points(None, B, "kmeans", n_points=k, random_state=random_state)
        again = baseline_points(None, B, "kmeans", n_points=k, random_state=random_state)
    assert points.shape == (min(k, n), d)
    assert np.array_equal(points, again)
    assert np.isfinite(points).all()
    # every centroid lies in the bounding box of the rows (a mean of rows, or a row)
    assert (points >= B.min(axis=0) - 1e-9).all() and (points <= B.max(axis=0) + 1e-9).all()
