"""Shared test set-up: a deterministic hypothesis profile under CI, and torch required there."""

import os

# One BLAS/OpenMP thread per test process: the suite runs one process per core (pytest-xdist),
# and idle BLAS threads spin on the cores the other process needs. Before numpy is imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# CI: the same examples on every run (derandomize), and 30 of them where a test does not say
# how many: the whole suite stays within its time budget (tests that need more ask for more).
settings.register_profile(
    "ci",
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def require_torch():
    """Import torch; under CI a missing torch is an error, elsewhere the test is skipped."""
    try:
        import torch
    except ImportError as err:
        if IN_CI:
            raise RuntimeError("torch is required under CI=true: pip install torch==2.13.0") from err
        pytest.skip("torch is not installed (pip install torch==2.13.0)")
    return torch


@pytest.fixture(scope="session")
def torch():
    """The torch module (an error under CI when it is missing)."""
    return require_torch()


def require_matplotlib():
    """Import matplotlib with the Agg backend; under CI a missing matplotlib is an error, elsewhere a skip."""
    try:
        import matplotlib
    except ImportError as err:
        if IN_CI:
            raise RuntimeError("matplotlib is required under CI=true: pip install embedsum[plot]") from err
        pytest.skip("matplotlib is not installed (pip install embedsum[plot])")
    matplotlib.use("Agg")  # no display in tests; Agg renders to PNG
    return matplotlib


@pytest.fixture(scope="session")
def matplotlib():
    """The matplotlib module on the Agg backend (an error under CI when it is missing)."""
    return require_matplotlib()


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python_env(**extra):
    """The environment for a child Python that imports this tree's embedsum, installed or not."""
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p)
    return env


# scikit-learn runs check_array_api_input only when SCIPY_ARRAY_API=1 was set before scipy was imported.
# One child Python with it set serves every estimator's check (one import of scikit-learn, not one each).
_ARRAY_API_WORKER = """
import json, sys, traceback
from sklearn.utils.estimator_checks import check_array_api_input
from embedsum import EmbeddingSumClassifier, EmbeddingSumClassifierCV, EmbeddingSumRegressor, EmbeddingSumRegressorCV
for line in sys.stdin:
    try:
        exec(json.loads(line))
        reply = {"passed": True}
    except BaseException:
        reply = {"passed": False, "error": traceback.format_exc()[-3000:]}
    print(json.dumps(reply), flush=True)
"""
_array_api_worker = None


def run_array_api_check(estimator, keywords):
    """Run scikit-learn's check_array_api_input on ``estimator`` in a child with SCIPY_ARRAY_API=1; fail on error."""
    import json
    import subprocess
    import sys

    global _array_api_worker
    if _array_api_worker is None:
        _array_api_worker = subprocess.Popen([sys.executable, "-c", _ARRAY_API_WORKER], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, text=True, env=python_env(SCIPY_ARRAY_API="1"))
    code = f"check_array_api_input({type(estimator).__name__!r}, {estimator!r}, **{keywords!r})"
    _array_api_worker.stdin.write(json.dumps(code) + "\n")
    _array_api_worker.stdin.flush()
    line = _array_api_worker.stdout.readline()
    assert line, f"the array API worker died (exit code {_array_api_worker.poll()})"
    reply = json.loads(line)
    assert reply["passed"], reply["error"]


def pytest_sessionfinish(session, exitstatus):
    if _array_api_worker is not None:
        _array_api_worker.stdin.close()  # the worker's loop ends at end of input
        _array_api_worker.wait(timeout=60)
        _array_api_worker.stdout.close()


class _DaskCluster:
    """One distributed.LocalCluster at a time (two worker processes, one thread each): started by the first
    test that asks for it and closed after the last of a run of such tests, not at the end of the session,
    because an idle cluster's heartbeats cost about a tenth of a core for as long as it lives."""

    def __init__(self):
        self._stack = None
        self.client = None

    def get(self):
        if self.client is None:
            import contextlib

            import dask
            import distributed

            with contextlib.ExitStack() as stack:
                # No statistical profiler sampling every worker thread's stack each 10 ms, and a system monitor
                # every second, not every 0.5 s: nothing here reads them (the nannies pass the config on).
                stack.enter_context(dask.config.set({"distributed.worker.profile.enabled": False,
                                                     "distributed.admin.system-monitor.interval": "1s"}))
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40))
                self.client = stack.enter_context(distributed.Client(cluster))
                self._stack = stack.pop_all()
        return self.client

    def close(self):
        stack, self._stack, self.client = self._stack, None, None
        if stack is not None:
            stack.close()


_dask_cluster = _DaskCluster()


@pytest.fixture
def dask_client():
    """A client of the shared LocalCluster (dask and distributed come with the test extra)."""
    return _dask_cluster.get()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if nextitem is None or "dask_client" not in nextitem.fixturenames:
        _dask_cluster.close()


# Modules that share something costly to start in a test process, run by one worker as one work unit:
# the Dask cluster (2.5 s of CPU: two spawned processes), torch (2.4 s to import) and the scikit-learn child
# of run_array_api_check (2.4 s to start). Each unit starts it once instead of once per worker.
_SHARED_UNITS = {
    "the Dask cluster's modules": ("test_dask_*.py", "test_distributed*.py"),
    "the torch modules": ("test_objective_torch*.py", "test_uncertainty.py"),
    "the array API check's modules": ("test_sklearn_compat.py", "test_regressor.py", "test_cross_validation.py"),
}


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's --dist loadscope (one module's tests on one worker), except that the modules of each
    of _SHARED_UNITS are one work unit, and those units are sent first, in the order of the table."""
    import fnmatch

    from xdist.scheduler import LoadScopeScheduling

    class SharedUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            for unit, patterns in _SHARED_UNITS.items():
                if any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
                    return unit
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node):
            for unit in reversed(_SHARED_UNITS):
                if unit in self.workqueue:
                    self.workqueue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

    return SharedUnitScheduling(config, log)
