"""embedsum can be vendored, imported light, and used for prediction without scipy (docs/design.md#dependencies-and-vendoring).

- a copy of the package folder under another name imports and works on its own;
- ``import embedsum`` does not import scipy (nor scikit-learn, pandas, torch, matplotlib);
- with scipy unimportable, a model built from its fitted numbers predicts bit for bit
  like the parent's model, and only ``fit`` fails, with an ImportError naming scipy;
- the sources use relative imports only, and no forbidden module at module level.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import embedsum
from embedsum import EmbeddingSumClassifier

from _oracles import hexes

PACKAGE_DIR = Path(embedsum.__file__).resolve().parent
VENDORED_NAME = "vendored_es_xyz"
TIMEOUT = 300


def _run_python(code, *, cwd, pythonpath, stdin=None, args=()):
    """Run ``python -c code`` in a fresh interpreter with PYTHONPATH set to one directory only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(pythonpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONNOUSERSITE"] = "1"
    return subprocess.run(
        [sys.executable, *args, "-c", textwrap.dedent(code)],
        cwd=str(cwd), env=env, input=stdin, capture_output=True, text=True, timeout=TIMEOUT,
    )


def _check(proc):
    assert proc.returncode == 0, f"subprocess failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*"))


@pytest.fixture
def vendored(tmp_path):
    target = tmp_path / VENDORED_NAME
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tmp_path


# ----------------------------------------------------------------------------------------------
# (a) a renamed copy of the folder works on its own
# ----------------------------------------------------------------------------------------------


def test_vendored_copy_imports_loads_data_fits_predicts_and_runs_demo(vendored):
    before = _tree(vendored)
    code = f"""
        import json, sys
        import numpy as np
        import {VENDORED_NAME} as es
        from {VENDORED_NAME}.datasets import load_breast_cancer
        from {VENDORED_NAME}.cli._demo import run_demo

        X, y, names = load_breast_cancer()
        model = es.EmbeddingSumClassifier().fit(X, y)
        accuracy = float(np.mean(model.predict(X) == y))
        proba = model.predict_proba(X)
        lines = []
        result = run_demo(top=3, out=lines.append)
        loaded = sorted(m for m in sys.modules if m == "embedsum" or m.startswith("embedsum."))
        files = {{m: getattr(sys.modules[m], "__file__", None)
                 for m in sys.modules if m == "{VENDORED_NAME}" or m.startswith("{VENDORED_NAME}.")}}
        print(json.dumps({{
            "file": es.__file__, "files": files, "shape": list(X.shape), "n_names": len(names),
            "classes": model.classes_.tolist(), "accuracy": accuracy,
            "proba_ok": bool(np.allclose(proba.sum(axis=1), 1.0)),
            "demo_auc": result["test_auc"], "demo_lines": lines, "embedsum_modules": loaded,
            "model_module": type(model).__module__,
        }}))
    """
    proc = _check(_run_python(code, cwd=vendored, pythonpath=vendored))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    root = vendored.resolve()
    assert Path(out["file"]).resolve().is_relative_to(root / VENDORED_NAME)
    assert not Path(out["file"]).resolve().is_relative_to(PACKAGE_DIR)
    assert len(out["files"]) >= 8  # the package and its submodules
    for name, file in out["files"].items():
        assert file is not None and Path(file).resolve().is_relative_to(root), (name, file)
    # the vendored copy never reached for the installed package
    assert out["embedsum_modules"] == []
    assert out["model_module"] == f"{VENDORED_NAME}.estimators._classifier"
    assert out["shape"] == [569, 30] and out["n_names"] == 30
    assert out["classes"] == ["benign", "malignant"]
    assert out["accuracy"] > 0.95
    assert out["proba_ok"]
    assert out["demo_auc"] > 0.95
    assert any("test AUC" in line for line in out["demo_lines"])
    # it wrote nothing into its own folder (nor anywhere else in the tmp dir)
    assert _tree(vendored) == before


def test_vendored_copy_runs_as_a_module(vendored):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(vendored), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", VENDORED_NAME, "demo", "--top", "2"],
        cwd=str(vendored), env=env, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "test AUC" in proc.stdout
    assert "features by importance" in proc.stdout


def test_vendored_copy_exports_c_from_its_own_runtime(vendored):
    """to_c reads the static C runtime next to its module: the renamed copy's, not the installed one's."""
    runtime = vendored / VENDORED_NAME / "export" / "_runtime.c"
    runtime.write_text(runtime.read_text(encoding="utf-8") + "/* vendored marker */\n", encoding="utf-8")
    code = f"""
        import numpy as np
        from {VENDORED_NAME} import EmbeddingSumClassifier, export

        model = EmbeddingSumClassifier(max_bins=2).fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
        header = export.to_c(model, prefix="v")
        print(header.count("/* vendored marker */"), "v_predict_proba(" in header)
    """
    proc = _check(_run_python(code, cwd=vendored, pythonpath=vendored))
    assert proc.stdout.split() == ["1", "True"]


def test_built_wheel_ships_the_c_runtime(tmp_path):
    """The files to_c reads are package data (setup.cfg [options.package_data]): a wheel built from the
    sources holds them, unchanged."""
    source = tmp_path / "source"
    shutil.copytree(PACKAGE_DIR, source / "embedsum", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(PACKAGE_DIR.parent / name, source / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp_path / "wheel"), str(source)],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=TIMEOUT,
    )
    _check(proc)
    (wheel,) = (tmp_path / "wheel").glob("embedsum-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in ("_runtime.h", "_runtime.c"):
            shipped = archive.read(f"embedsum/export/{name}")
            assert shipped == (PACKAGE_DIR / "export" / name).read_bytes(), name


# ----------------------------------------------------------------------------------------------
# (b) import embedsum is light
# ----------------------------------------------------------------------------------------------


def test_import_embedsum_does_not_import_scipy_or_heavy_libraries(tmp_path):
    code = """
        import json, sys
        import numpy
        before = set(sys.modules)
        import embedsum
        new = sorted(set(sys.modules) - before)
        heavy = ("scipy", "sklearn", "pandas", "torch", "matplotlib", "pickle", "socket", "urllib", "requests")
        print(json.dumps({
            "file": embedsum.__file__,
            "scipy": sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy.")),
            "heavy_new": [m for m in new if m.split(".")[0] in heavy],
            "n_new": len(new),
        }))
    """
    proc = _check(_run_python(code, cwd=tmp_path, pythonpath=PACKAGE_DIR.parent))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).resolve().parent == PACKAGE_DIR
    assert out["n_new"] > 0  # embedsum's own modules were imported by this process
    assert out["scipy"] == []
    assert out["heavy_new"] == []


# ----------------------------------------------------------------------------------------------
# (c) predicting needs numpy only; fitting needs scipy and says so
# ----------------------------------------------------------------------------------------------

_BLOCK_SCIPY = """
    import sys

    class _NoScipy:
        '''Make scipy unimportable, exactly as if it were not installed.'''

        def find_spec(self, name, path=None, target=None):
            if name == "scipy" or name.startswith("scipy."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    for _name in [m for m in sys.modules if m == "scipy" or m.startswith("scipy.")]:
        del sys.modules[_name]
    sys.meta_path.insert(0, _NoScipy())
"""


def test_fitted_model_predicts_bit_for_bit_without_scipy(tmp_path):
    rng = np.random.default_rng(42)
    X = rng.normal(size=(300, 4))
    X[::9, 1] = np.nan
    X[::13, 2] = np.inf
    y = np.where(X[:, 0] - 0.5 * X[:, 3] + 0.3 * rng.normal(size=300) > 0, "attack", "benign")
    model = EmbeddingSumClassifier(max_bins=12).fit(X, y)
    X_test = rng.normal(size=(50, 4))
    X_test[0] = [np.nan, np.inf, -np.inf, 0.0]
    X_test[1] = model.cuts_[0][0]  # exactly on cut points
    payload = {
        "classes": model.classes_.tolist(),
        "n_features": int(model.n_features_in_),
        "cuts": [hexes(c) for c in model.cuts_],
        "bin_scores": [hexes(s) for s in model.bin_scores_],
        "bin_weights": [hexes(w) for w in model.bin_weights_],
        "intercept": float(model.intercept_).hex(),
        "importances": hexes(model.feature_importances_),
        "X": [hexes(row) for row in X_test],
        "X_fit": [hexes(row) for row in X[:60]],
        "y_fit": y[:60].tolist(),
    }
    code = _BLOCK_SCIPY + """
    import json
    import numpy as np

    try:
        import scipy  # noqa: F401
    except ImportError:
        scipy_blocked = True
    else:
        scipy_blocked = False

    import embedsum
    from embedsum import EmbeddingSumClassifier

    def arr(values):
        return np.array([float.fromhex(v) for v in values], dtype=np.float64)

    data = json.loads(sys.stdin.read())
    model = EmbeddingSumClassifier(max_bins=12)
    model.classes_ = np.array(data["classes"])
    model.n_features_in_ = data["n_features"]
    model.cuts_ = [arr(c) for c in data["cuts"]]
    model.bin_scores_ = [arr(s) for s in data["bin_scores"]]
    model.bin_weights_ = [arr(w) for w in data["bin_weights"]]
    model.intercept_ = float.fromhex(data["intercept"])
    model.feature_importances_ = arr(data["importances"])
    X = np.array([arr(row) for row in data["X"]])

    out = {"scipy_blocked": scipy_blocked}
    out["decision"] = [float(v).hex() for v in model.decision_function(X)]
    out["proba"] = [float(v).hex() for v in model.predict_proba(X).ravel()]
    out["predict"] = model.predict(X).tolist()
    out["one_row"] = float(model.decision_function(X[:1])[0]).hex()

    try:
        model.fit(np.array([arr(row) for row in data["X_fit"]]), np.array(data["y_fit"]))
    except ImportError as err:
        out["fit_error"] = [type(err).__name__, str(err), getattr(err, "name", None)]
    else:
        out["fit_error"] = None
    # the failed fit left the fitted numbers in place
    out["decision_after_failed_fit"] = [float(v).hex() for v in model.decision_function(X)]
    out["scipy_loaded"] = sorted(m for m in sys.modules if (m == "scipy" or m.startswith("scipy.")) and sys.modules[m] is not None)
    out["embedsum_file"] = embedsum.__file__
    print(json.dumps(out))
    """
    proc = _check(_run_python(code, cwd=tmp_path, pythonpath=PACKAGE_DIR.parent, stdin=json.dumps(payload)))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["scipy_blocked"] is True
    assert out["scipy_loaded"] == []
    assert Path(out["embedsum_file"]).resolve().parent == PACKAGE_DIR
    # bit for bit: compare the exact float64 bit patterns through their hex form
    assert out["decision"] == hexes(model.decision_function(X_test))
    assert out["proba"] == hexes(model.predict_proba(X_test))
    assert out["predict"] == model.predict(X_test).tolist()
    assert out["one_row"] == hexes(model.decision_function(X_test[:1]))[0]
    assert out["decision_after_failed_fit"] == out["decision"]
    # fitting needs scipy: an ImportError that names it
    assert out["fit_error"] is not None, "fit succeeded although scipy could not be imported"
    kind, message, name = out["fit_error"]
    assert kind in ("ImportError", "ModuleNotFoundError")
    assert "scipy" in message


# ----------------------------------------------------------------------------------------------
# (d) static scan of the sources
# ----------------------------------------------------------------------------------------------

FORBIDDEN_AT_MODULE_LEVEL = {
    "pickle", "urllib", "socket", "requests", "sklearn", "pandas", "torch", "matplotlib", "scipy",
}
FORBIDDEN_ANYWHERE = {"pickle", "urllib", "socket", "requests", "http", "ftplib", "marshal", "shelve"}

SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))


def _imports(tree):
    """Yield ``(node, root module name or None for relative, at_module_level)`` for every import."""

    def visit(node, top):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield child, alias.name.split(".")[0], top
            elif isinstance(child, ast.ImportFrom):
                root = None if child.level else (child.module or "").split(".")[0]
                yield child, root, top
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from visit(child, inner)

    yield from visit(tree, True)


def _dynamic_imports(tree):
    """Names passed as string literals to ``__import__`` / ``importlib.import_module``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("__import__", "import_module") and node.args and isinstance(node.args[0], ast.Constant):
                yield node, str(node.args[0].value).split(".")[0]


def _violations(source, filename="<src>"):
    tree = ast.parse(source, filename=filename)
    found = []
    for node, root, top in _imports(tree):
        if root == "embedsum":
            found.append(f"{filename}:{node.lineno}: absolute import of embedsum (use a relative import)")
        if root in FORBIDDEN_ANYWHERE:
            found.append(f"{filename}:{node.lineno}: imports {root}")
        elif top and root in FORBIDDEN_AT_MODULE_LEVEL:
            found.append(f"{filename}:{node.lineno}: imports {root} at module level")
    for node, root in _dynamic_imports(tree):
        if root == "embedsum" or root in FORBIDDEN_ANYWHERE:
            found.append(f"{filename}:{node.lineno}: dynamically imports {root}")
    return found


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import embedsum", 1),
        ("from embedsum.layout import ParameterLayout", 1),
        ("from . import layout\nfrom .validation import check_array", 0),
        ("import pickle", 1),
        ("def f():\n    import pickle", 1),
        ("from urllib.request import urlopen", 1),
        ("import sklearn", 1),
        ("try:\n    import pandas\nexcept ImportError:\n    pass", 1),
        ("class A:\n    import torch", 1),
        ("def f():\n    import sklearn, scipy.optimize\n    from matplotlib import pyplot", 0),
        ("import importlib\nm = importlib.import_module('embedsum.layout')", 1),
        ("'''>>> import embedsum'''", 0),  # doctest text is not an import
    ],
)
def test_scanner_detects_what_it_should(source, expected):
    assert len(_violations(source)) == expected


def test_sources_found():
    names = {p.name for p in SOURCES}
    assert {"__init__.py", "_classifier.py", "_validation.py", "_solver.py"} <= names
    assert any(p.parent.name == "datasets" for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_source_uses_relative_imports_and_no_forbidden_modules(path):
    assert _violations(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE_DIR))) == []


def test_package_has_no_compiled_code():
    compiled = [p for p in PACKAGE_DIR.rglob("*") if p.suffix in (".so", ".pyd", ".dll", ".dylib")]
    assert compiled == []
