"""ParameterLayout: where each feature's bins and the intercept live in the flat vector.

The expected values here are written from the "Conventions" docstring of
embedsum/training/_layout.py (feature j owns coef[offsets[j]:offsets[j+1]]: its interval bins in
order, then one missing-value bin; the intercept is coef[-1]), not read back from the
implementation.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from embedsum.training._layout import ParameterLayout

n_bins_lists = st.lists(st.integers(2, 12), min_size=1, max_size=8)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def layouts_and_coefs(draw):
    n_bins = draw(n_bins_lists)
    coef = draw(hnp.arrays(np.float64, sum(n_bins) + 1, elements=finite))
    return n_bins, coef


@given(n_bins_lists)
@settings(max_examples=150)
def test_offsets_and_sizes_follow_the_conventions(n_bins):
    layout = ParameterLayout(n_bins)
    d = len(n_bins)
    assert layout.n_features == d
    assert layout.offsets.tolist() == [sum(n_bins[:j]) for j in range(d + 1)]
    assert layout.n_params == sum(n_bins) + 1
    assert layout.intercept_index == layout.n_params - 1 == layout.offsets[-1]
    expected_owner = [j for j, k in enumerate(n_bins) for _ in range(k)] + [-1]
    assert layout.feature_of.tolist() == expected_owner
    assert layout.bin_weights is None


@given(layouts_and_coefs())
@settings(max_examples=150)
def test_split_then_join_is_the_identity(problem):
    n_bins, coef = problem
    layout = ParameterLayout(n_bins)
    scores, intercept = layout.split(coef)
    assert len(scores) == len(n_bins)
    assert [len(s) for s in scores] == list(n_bins)
    assert intercept == coef[-1]
    start = 0
    for s, k in zip(scores, n_bins):
        np.testing.assert_array_equal(s, coef[start:start + k])
        start += k
    rebuilt = layout.join(scores, intercept)
    assert rebuilt.dtype == np.float64
    np.testing.assert_array_equal(rebuilt, coef)


@given(layouts_and_coefs())
@settings(max_examples=100)
def test_join_then_split_is_the_identity(problem):
    n_bins, coef = problem
    layout = ParameterLayout(n_bins)
    scores = [coef[:k].copy() + j for j, k in enumerate(n_bins)]
    flat = layout.join(scores, 7.5)
    assert flat.shape == (layout.n_params,)
    again, intercept = layout.split(flat)
    assert intercept == 7.5
    for a, b in zip(again, scores):
        np.testing.assert_array_equal(a, b)


@given(layouts_and_coefs())
@settings(max_examples=50)
def test_split_returns_views_so_writes_reach_the_flat_vector(problem):
    n_bins, coef = problem
    layout = ParameterLayout(n_bins)
    coef = coef.copy()
    scores, _ = layout.split(coef)
    for j, s in enumerate(scores):
        s[:] = j + 1.0
    expected = np.array([j + 1.0 for j, k in enumerate(n_bins) for _ in range(k)])
    np.testing.assert_array_equal(coef[:-1], expected)


def test_join_rejects_wrong_counts():
    layout = ParameterLayout([3, 2])
    with pytest.raises(ValueError, match="feature arrays"):
        layout.join([np.zeros(3)])
    with pytest.raises(ValueError, match="feature 1 has 2 bins"):
        layout.join([np.zeros(3), np.zeros(3)])


@given(n_bins_lists)
@settings(max_examples=150)
def test_step_pairs_are_exactly_the_neighbouring_interval_bins(n_bins):
    layout = ParameterLayout(n_bins)
    left, right = layout.step_left, layout.step_right
    missing = {sum(n_bins[:j + 1]) - 1 for j in range(len(n_bins))}
    intercept = sum(n_bins)
    # Every pair: adjacent, same feature, neither the missing bin nor the intercept.
    np.testing.assert_array_equal(right, left + 1)
    for a, b in zip(left.tolist(), right.tolist()):
        assert a not in missing and b not in missing
        assert a != intercept and b != intercept
        assert layout.feature_of[a] == layout.feature_of[b] >= 0
    # And every neighbouring pair of interval bins is there, each once.
    expected = []
    for j, k in enumerate(n_bins):
        start = sum(n_bins[:j])
        expected += [(start + b, start + b + 1) for b in range(k - 2)]  # k - 1 interval bins
    assert list(zip(left.tolist(), right.tolist())) == expected
    assert len(left) == sum(k - 2 for k in n_bins)


def test_step_pairs_small_example():
    # Features with 3 and 2 interval bins (+ missing): [a0 a1 a2 | M] [b0 b1 | M] bias
    layout = ParameterLayout([4, 3])
    assert layout.step_left.tolist() == [0, 1, 4]
    assert layout.step_right.tolist() == [1, 2, 5]
    # Only one interval bin: no pair at all.
    assert ParameterLayout([2, 2]).step_left.tolist() == []


def test_bin_weights_are_laid_out_with_a_zero_intercept_slot():
    layout = ParameterLayout([3, 2], bin_weights=[[0.2, 0.3, 0.1], [0.6, 0.4]])
    np.testing.assert_array_equal(layout.bin_weights, [0.2, 0.3, 0.1, 0.6, 0.4, 0.0])


@given(n_bins_lists, st.integers(1, 4))
@settings(max_examples=100)
def test_terms_are_one_main_effect_per_feature_in_feature_order(n_bins, n_outputs):
    layout = ParameterLayout(n_bins, n_outputs=n_outputs)
    d = len(n_bins)
    assert layout.terms == tuple((j,) for j in range(d))
    assert layout.n_terms == d
    # Term t's block of bin rows: after the blocks of the terms before it; the intercepts after all.
    assert layout.term_offsets.tolist() == [sum(n_bins[:t]) for t in range(d + 1)]
    assert layout.n_bin_rows == layout.term_offsets[-1] == sum(n_bins)
    assert layout.n_params == (sum(n_bins) + 1) * n_outputs
    # Main effects only: the feature offsets are the terms' offsets.
    np.testing.assert_array_equal(layout.offsets, layout.term_offsets[:d + 1])


@given(n_bins_lists, st.integers(1, 30), st.randoms(use_true_random=False))
@settings(max_examples=100)
def test_term_rows_are_each_terms_offset_plus_its_code(n_bins, n_rows, rnd):
    codes = np.array([[rnd.randrange(k) for k in n_bins] for _ in range(n_rows)])
    rows = ParameterLayout(n_bins).term_rows(codes)
    assert rows.shape == (len(n_bins), n_rows) and rows.dtype == np.intp
    for t, k in enumerate(n_bins):
        first = sum(n_bins[:t])
        assert rows[t].tolist() == [first + c for c in codes[:, t].tolist()]
        assert all(first <= r < first + k for r in rows[t].tolist())


def test_missing_rows_are_each_features_last_bin_row():
    # [a0 a1 a2 | M] [b0 | M] [c0 c1 | M] bias
    assert ParameterLayout([4, 2, 3]).missing_rows.tolist() == [3, 5, 8]


@pytest.mark.parametrize(
    "n_bins",
    [[1], [0], [-3], [3, 1], [2, 0, 5], 3, [[2, 3]], [[2], [3]]],
    ids=["one", "zero", "negative", "second-one", "middle-zero", "scalar", "2d-row", "2d-col"],
)
def test_invalid_n_bins_raise_value_error(n_bins):
    with pytest.raises(ValueError):
        ParameterLayout(n_bins)


@pytest.mark.parametrize("n_bins", [[2.5], [3, 3.7]], ids=["2.5", "3.7"])
def test_non_integer_n_bins_raise_value_error(n_bins):
    # A bin count must be a whole number; silently truncating 2.5 to 2 hides a caller's bug.
    with pytest.raises(ValueError):
        ParameterLayout(n_bins)


# ----------------------------------------------------------------------------------------------
# The package's layout: which folder may import which, and no import cycle
# ----------------------------------------------------------------------------------------------
# The expected directions are written here, once; each folder's ``__init__`` docstring states
# its own row ("May import: ..."), and a test below checks that the two agree. "foundation" is
# the private modules at the top (embedsum/_*.py); "root" is the public face (embedsum/__init__.py,
# explain.py, plot.py, __main__.py), which may import anything and which nothing imports.

import ast  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import embedsum  # noqa: E402

PACKAGE_DIR = Path(embedsum.__file__).resolve().parent
ALLOWED = {
    "foundation": {"foundation"},
    "binning": {"foundation"},
    "scoring": {"foundation", "binning"},
    "training": {"foundation"},
    "distributed": {"foundation", "binning", "training"},
    "persistence": {"foundation"},
    "inspection": {"foundation", "binning", "scoring"},
    "audit": {"foundation", "binning", "scoring", "inspection"},
    "export": {"foundation"},
    "datasets": set(),
    "estimators": {"foundation", "binning", "scoring", "training", "persistence", "inspection", "distributed"},
    "cli": {"foundation", "binning", "scoring", "estimators", "persistence", "inspection", "export", "datasets",
            "audit"},
}
# The numpy-only runtime and the binning never reach for anything that fits, saves or shows.
NEVER = {
    "scoring": {"training", "estimators", "persistence", "export", "cli", "inspection"},
    "binning": {"training", "estimators", "persistence", "export", "cli", "inspection"},
}


def _module_name(path: Path, root: Path = PACKAGE_DIR) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["embedsum", *parts])


def _group(module: str) -> str:
    parts = module.split(".")[1:]
    if len(parts) >= 2 or (parts and (PACKAGE_DIR / parts[0]).is_dir()):
        return parts[0]
    if parts and parts[0].startswith("_") and parts[0] != "__main__":
        return "foundation"
    return "root"


def _import_edges(source: str, module: str, is_package: bool, modules: set) -> list:
    """``(line, imported module)`` for every import of an embedsum module in ``source``: at
    module level, inside functions and classes, under ``if``/``try``, relative or absolute."""
    package = module if is_package else module.rpartition(".")[0]
    edges = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from . import x" imports module x when there is one, else a name of the package.
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
        else:
            continue
        for target in targets:
            # "import embedsum.a.b" imports the deepest module named.
            while target and target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules:
                edges.append((node.lineno, target))
    return edges


def _graph(root: Path = PACKAGE_DIR) -> dict:
    paths = sorted(root.rglob("*.py"))
    modules = {_module_name(p, root): p for p in paths}
    return {
        name: sorted({t for _, t in _import_edges(p.read_text(encoding="utf-8"), name, p.name == "__init__.py",
                                                    set(modules))} - {name})
        for name, p in modules.items()
    }


def _cycle(graph: dict):
    """One import cycle as a list of modules (first == last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_sees_imports_everywhere():
    source = (
        "from . import _b\n"
        "from ._c import x\n"
        "import embedsum.scoring._d\n"
        "def f():\n    from .._e import y\n"
        "class K:\n    def g(self):\n        if True:\n            from .. import export\n"
    )
    modules = {"embedsum", "embedsum.pkg", "embedsum.pkg._b", "embedsum.pkg._c", "embedsum.scoring",
               "embedsum.scoring._d", "embedsum._e", "embedsum.export", "embedsum.pkg._a"}
    edges = sorted(t for _, t in _import_edges(source, "embedsum.pkg._a", False, modules))
    assert edges == ["embedsum._e", "embedsum.export", "embedsum.pkg._b", "embedsum.pkg._c", "embedsum.scoring._d"]


def test_cycle_finder_finds_a_cycle_through_a_function_level_import():
    assert _cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == ["a", "b", "c", "a"]
    assert _cycle({"a": ["b", "c"], "b": ["c"], "c": []}) is None


def test_graph_covers_every_module():
    graph = _graph()
    assert len(graph) == len(list(PACKAGE_DIR.rglob("*.py")))
    assert "embedsum.binning._digitizer" in graph["embedsum"]
    # a function-level import is an edge: fitting loads the solver on first use
    assert "embedsum.training._solver" in graph["embedsum.estimators._base"]


def test_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_folders_import_only_what_the_table_allows():
    bad = []
    for module, targets in _graph().items():
        group = _group(module)
        if group == "root":
            continue
        assert group in ALLOWED, f"{module}: folder {group!r} is not in the table"
        for target in targets:
            if _group(target) != group and _group(target) not in ALLOWED[group]:
                bad.append(f"{module} -> {target} ({group} may import {sorted(ALLOWED[group])})")
    assert bad == []


def test_scoring_and_binning_never_import_training_or_above():
    for module, targets in _graph().items():
        group = _group(module)
        for target in targets:
            assert _group(target) not in NEVER.get(group, ()), f"{module} imports {target}"


def test_every_folder_states_its_row_of_the_table():
    folders = sorted(p.parent.name for p in PACKAGE_DIR.glob("*/__init__.py"))
    assert folders == sorted(set(ALLOWED) - {"foundation"})
    for folder in folders:
        doc = ast.get_docstring(ast.parse((PACKAGE_DIR / folder / "__init__.py").read_text(encoding="utf-8"))) or ""
        found = re.search(r"^May import: (.*)\.$", doc, flags=re.M)
        assert found, f"{folder}/__init__.py does not say what it may import"
        stated = set() if found.group(1) == "nothing" else {s.strip() for s in found.group(1).split(",")}
        assert stated == ALLOWED[folder], folder


def test_modules_inside_folders_are_private():
    for path in PACKAGE_DIR.glob("*/*.py"):
        assert path.name == "__init__.py" or path.name.startswith("_"), path


def test_the_version_the_build_reads_is_the_one_documents_carry():
    # embedsum/__init__.py writes it out for the build (setup.cfg reads it there, statically);
    # the writer takes it from embedsum/_version.py, so that it never imports the package.
    from embedsum._version import __version__

    assert embedsum.__version__ == __version__
