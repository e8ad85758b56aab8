"""Export of models with pair terms: the generated Python and C score bit for bit like the model.

A model with pair terms (docs/design.md#pair-terms) adds, after its main effects, each pair's
table at ``code_a * length_b + code_b``. Three small models cover every output kind and every
kind of axis: numeric (the pair's own cuts), categorical by value and categorical by text,
paired with each other. The rows hold NaN, ±inf, values on and next to every cut, unseen, rare
and missing categories. The C headers of all three are compiled into one driver, in two builds
(optimised with FMA contraction allowed; sanitized), by gcc with the flags of tests/test_export.py
(docs/design.md#export).
"""

from __future__ import annotations

import copy
import math
import shutil
import subprocess
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import embedsum
from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor, export
from embedsum.cli._main import main as cli_main
from embedsum.export._c_literals import _c_string

from _oracles import bits

C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
BUILDS = {
    # GNU C with FMA contraction allowed: the probabilities must keep their bits all the same.
    "contract": ["-std=gnu99", "-O2", "-march=native", "-ffp-contract=fast"],
    "sanitized": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
}
N_ROWS = 300
TEXT = ["tcp", "udp", "icmp", "gre", "sctp"]
UNSEEN_TEXT = ["never seen", "TCP", "zzz"]


def _gcc() -> str:
    path = shutil.which("gcc")
    assert path is not None, "gcc is needed to test the exported C code of pair models"
    return path


def _text_column(rng, n):
    values = rng.choice(np.array(TEXT, dtype=object), size=n)
    values[:3] = "rare one"  # fewer rows than min_category_count: a rare category ("other")
    values[rng.random(n) < 0.05] = None
    return values


def _pair_models():
    """name -> (model, the kind of each feature: "numeric", "number" or "text")."""
    rng = np.random.default_rng(7)
    n = 500
    models = {}

    # Binary: numeric, number categories (one rare), numeric; every pair of them.
    X = rng.normal(size=(n, 3))
    X[rng.random(n) < 0.05, 0] = np.nan
    X[:, 1] = rng.integers(0, 5, size=n).astype(float)
    X[:3, 1] = 42.0
    y = (np.nan_to_num(X[:, 0]) * (X[:, 1] - 2) + 0.5 * X[:, 2] * np.nan_to_num(X[:, 0]) + rng.normal(size=n)) > 0
    models["binary"] = (EmbeddingSumClassifier(max_bins=6, categorical_features=[1], min_category_count=5,
                                               interactions=[(0, 1), (0, 2), (1, 2)], interaction_bins=4).fit(X, y),
                        ["numeric", "number", "numeric"])

    # Multiclass: numeric x text, text x text, numeric x numeric.
    X = np.empty((n, 4), dtype=object)
    X[:, 0] = rng.normal(size=n)
    X[:, 1] = _text_column(rng, n)
    X[:, 2] = rng.choice(np.array(["a", "b", "c"], dtype=object), size=n)
    X[:, 3] = rng.normal(size=n)
    y = np.where(X[:, 1] == "tcp", 0, np.where(X[:, 2] == "a", 1, 2))
    y[X[:, 0].astype(float) * X[:, 3].astype(float) > 0.5] = 1
    models["multiclass"] = (EmbeddingSumClassifier(max_bins=5, categorical_features=[1, 2], min_category_count=5,
                                                   interactions=[(0, 1), (1, 2), (0, 3)],
                                                   interaction_bins=3).fit(X, y),
                            ["numeric", "text", "text", "numeric"])

    # Regression: number categories x text, text x numeric.
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = rng.normal(size=n)
    X[:, 1] = rng.integers(0, 4, size=n).astype(float)
    X[:, 2] = _text_column(rng, n)
    target = (X[:, 2] == "udp") * X[:, 0].astype(float) + (X[:, 1] == 2) * (X[:, 2] == "tcp") + rng.normal(size=n)
    models["regression"] = (EmbeddingSumRegressor(max_bins=6, categorical_features=[1, 2], min_category_count=5,
                                                  interactions=[(1, 2), (0, 2)], interaction_bins=4).fit(X, target),
                            ["numeric", "number", "text"])
    return models


def _rows(model, kinds, rng):
    """Rows of Python values (floats, str, None) that hit every cut, code and missing value."""
    columns = []
    for j, kind in enumerate(kinds):
        if kind == "numeric":
            cuts = np.concatenate([model.cuts_[j]] + [c for pair, axes in zip(model.pairs_, model.pair_cuts_)
                                                       for i, c in zip(pair, axes) if i == j and c is not None])
            pool = np.concatenate([cuts, np.nextafter(cuts, -np.inf), np.nextafter(cuts, np.inf),
                                   [np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(float).max],
                                   rng.normal(size=20)]).tolist()
        elif kind == "number":
            known = np.concatenate([model.categories_[j], model.rare_categories_[j]]).astype(float).tolist()
            pool = known + [np.nan, np.inf, -np.inf, 0.5, 99.0]
        else:
            pool = [*model.categories_[j].tolist(), *model.rare_categories_[j].tolist(), *UNSEEN_TEXT, None, ""]
        columns.append([pool[i] for i in rng.integers(0, len(pool), size=N_ROWS)])
    rows = [list(r) for r in zip(*columns)]
    rows[0] = [None if k == "text" else math.nan for k in kinds]  # everything missing
    rows[1] = ["never seen" if k == "text" else (99.0 if k == "number" else math.inf) for k in kinds]
    rows[2] = [math.nan if k == "number" else (-math.inf if k == "numeric" else "zzz") for k in kinds]
    return rows


def _library_input(rows):
    table = np.empty((len(rows), len(rows[0])), dtype=object)
    table[:] = rows
    return table


def _decision(model, rows):
    data = _library_input(rows)
    return model.predict(data) if isinstance(model, EmbeddingSumRegressor) else model.decision_function(data)


@pytest.fixture(scope="module")
def pair_cases():
    """name -> (model, kinds, rows)."""
    rng = np.random.default_rng(11)
    return {name: (model, kinds, _rows(model, kinds, rng)) for name, (model, kinds) in _pair_models().items()}


def test_pair_models_and_rows_exercise_every_axis_and_the_pairs_matter(pair_cases):
    axes = set()
    for name, (model, kinds, rows) in pair_cases.items():
        assert len(model.pairs_) >= 2, name
        for (a, b), cuts in zip(model.pairs_, model.pair_cuts_):
            axes.add(tuple("numeric" if c is not None else kinds[j] for j, c in zip((a, b), cuts)))
        # Without its pair terms the model scores these rows differently: the comparisons below
        # would catch an export that left them out.
        main_only = copy.deepcopy(model)
        main_only.pairs_ = []
        assert not np.array_equal(_decision(main_only, rows), _decision(model, rows)), name
    assert {("numeric", "number"), ("numeric", "numeric"), ("number", "numeric"), ("numeric", "text"),
            ("text", "text"), ("number", "text")} <= axes


def _scorer(model):
    """The module written by to_python, run: its names as attributes."""
    namespace: dict = {}
    exec(export.to_python(model), namespace)
    return types.SimpleNamespace(**namespace)


def _assert_python_equals_library(module, model, rows, name):
    z = _decision(model, rows)
    if isinstance(model, EmbeddingSumRegressor):
        got = np.array([module.predict(r) for r in rows])
    else:
        got = np.array([module.decision_function(r) for r in rows])
        proba = np.array([module.predict_proba(r) for r in rows])
        np.testing.assert_array_equal(bits(proba), bits(model.predict_proba(_library_input(rows))), err_msg=name)
        assert [module.predict(r) for r in rows] == model.predict(_library_input(rows)).tolist(), name
    assert got.shape == z.shape, name
    np.testing.assert_array_equal(bits(got), bits(z), err_msg=name)


def test_generated_python_equals_the_library_bit_for_bit(pair_cases):
    for name, (model, kinds, rows) in pair_cases.items():
        module = _scorer(model)
        _assert_python_equals_library(module, model, rows, name)
        # Values only Python callers pass: None and ints in numeric columns.
        odd = [[None if k == "numeric" and i % 2 else (3 if k == "numeric" else v) for k, v in zip(kinds, r)]
               for i, r in enumerate(rows[:40])]
        _assert_python_equals_library(module, model, odd, name)


def test_generated_python_tables_read_back_exactly(pair_cases):
    for name, (model, _, _) in pair_cases.items():
        module = _scorer(model)
        assert module.PAIRS == tuple(tuple(p) for p in model.pairs_), name
        for p, (cuts, table) in enumerate(zip(model.pair_cuts_, model.pair_scores_)):
            for got, expected in zip(module.PAIR_CUTS[p], cuts):
                assert got is None if expected is None else bits(got).tolist() == bits(expected).tolist()
            table = np.asarray(table)
            np.testing.assert_array_equal(bits(module.PAIR_SCORES[p]),
                                          bits(table.reshape((-1,) + table.shape[2:])), err_msg=name)
        assert "PAIR_SCORES[p][ca * n_b + cb]" in module.__doc__


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_generated_python_equals_the_library_on_drawn_rows(pair_cases, data):
    model, kinds, _ = pair_cases["multiclass"]
    decision_function = _scorer(model).decision_function
    pair_cuts = [c for axes in model.pair_cuts_ for c in axes if c is not None]
    numeric = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                        st.sampled_from(np.concatenate([model.cuts_[0], *pair_cuts]).tolist()))
    text = st.one_of(st.sampled_from(TEXT + ["rare one", "a", "b", "c"]), st.text(max_size=4), st.none())
    value = {"numeric": numeric, "text": text}
    rows = data.draw(st.lists(st.tuples(*(value[k] for k in kinds)).map(list), min_size=1, max_size=6))
    got = np.array([decision_function(r) for r in rows])
    np.testing.assert_array_equal(bits(got), bits(_decision(model, rows)))


def test_export_refuses_inconsistent_pair_terms(pair_cases):
    model = pair_cases["binary"][0]
    edits = {
        "shape": lambda m: m.pair_scores_.__setitem__(0, np.zeros((2, 2))),
        "NaN": lambda m: m.pair_scores_[1].__setitem__((0, 0), np.nan),
        # pair 2 is (1, 2): its first axis is the categorical feature 1
        "cuts exactly when": lambda m: m.pair_cuts_.__setitem__(2, (np.array([0.0]), m.pair_cuts_[2][1])),
        "strictly increasing": lambda m: m.pair_cuts_.__setitem__(1, (m.pair_cuts_[1][0][::-1], m.pair_cuts_[1][1])),
        "pair_cuts_": lambda m: m.pair_cuts_.pop(),
        "two features": lambda m: m.pairs_.__setitem__(0, (0, 3)),
    }
    for message, edit in edits.items():
        broken = copy.deepcopy(model)
        edit(broken)
        for function in (export.to_python, export.to_c):
            with pytest.raises(ValueError, match=message):
                function(broken)


# --------------------------------------------------------------------------------------
# Generated C
# --------------------------------------------------------------------------------------

def _c_double(v: float) -> str:
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return float.hex(v)


def _c_runner(name, model, kinds, rows) -> str:
    """A C function that scores the rows with every entry point of header ``name`` and prints
    each result's bits: K decision values (one-row call), K (many-row call), the
    probabilities (classifiers), the prediction (class index, or the predicted target)."""
    text = "text" in kinds
    k = 1 if isinstance(model, EmbeddingSumRegressor) else (1 if len(model.classes_) == 2 else len(model.classes_))
    d = len(kinds)
    numbers = [_c_double(math.nan if kind == "text" or v is None else float(v)) for r in rows
               for kind, v in zip(kinds, r)]
    out = [f"static const double {name}_rows[{len(rows) * d}] = {{{', '.join(numbers)}}};"]
    args = f"{name}_rows + i * {d}"
    if text:
        strings = ["NULL" if kind != "text" or v is None else _c_string(v) for r in rows for kind, v in zip(kinds, r)]
        out.append(f"static const char *const {name}_texts[{len(rows) * d}] = {{{', '.join(strings)}}};")
        args += f", {name}_texts + i * {d}"
    n_proba = 0 if isinstance(model, EmbeddingSumRegressor) else max(k, 2)
    local = f", proba[{n_proba}]; int label" if n_proba else ""
    out += [f"static int run_{name}(void)", "{",
            f"    size_t i, k; double z[{k}], zm[{k}], y{local}; int s = 0;",
            f"    for (i = 0; i < {len(rows)}; ++i) {{",
            f"        s |= {name}_decision({args}, {d}, z);",
            f"        s |= {name}_decision_many({args}, 1, {d}, zm);"]
    if n_proba:
        out += [f"        s |= {name}_predict_proba({args}, {d}, proba);",
                f"        s |= {name}_predict({args}, {d}, &label);", "        y = label;"]
    else:
        out.append(f"        s |= {name}_predict({args}, {d}, &y);")
    out += [f"        for (k = 0; k < {k}; ++k) put(z[k]);",
            f"        for (k = 0; k < {k}; ++k) put(zm[k]);"]
    if n_proba:
        out.append(f"        for (k = 0; k < {n_proba}; ++k) put(proba[k]);")
    out += ["        put(y);", '        printf("\\n");', "    }", "    return s;", "}"]
    return "\n".join(out)


DRIVER_HEAD = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
%(includes)s

static void put(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    printf("%%016llx ", (unsigned long long)u);
}
"""


@pytest.fixture(scope="module")
def c_pairs(pair_cases, tmp_path_factory):
    """Directory with each model's header (prefix = its name) and one driver of all, built two ways."""
    work = tmp_path_factory.mktemp("export_pairs_c")
    includes, runners = [], []
    for name, (model, kinds, rows) in pair_cases.items():
        (work / f"{name}.h").write_text(export.to_c(model, prefix=name), encoding="utf-8")
        includes.append(f'#include "{name}.h"')
        runners.append(_c_runner(name, model, kinds, rows))
    calls = "".join(f'    if (strcmp(argv[1], "{name}") == 0) return run_{name}();\n' for name in pair_cases)
    driver = (DRIVER_HEAD % {"includes": "\n".join(includes)} + "\n".join(runners)
              + f"\n\nint main(int argc, char **argv)\n{{\n    if (argc != 2) return 2;\n{calls}    return 2;\n}}\n")
    (work / "driver.c").write_text(driver, encoding="utf-8")
    gcc = _gcc()
    running = [subprocess.Popen([gcc, *C_FLAGS, *flags, "driver.c", "-o", f"driver_{build}"], cwd=work,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for build, flags in BUILDS.items()]
    for proc in running:
        _, err = proc.communicate()
        assert proc.returncode == 0, err
    return work


@pytest.mark.parametrize("build", list(BUILDS))
def test_generated_c_equals_the_library_bit_for_bit(pair_cases, c_pairs, build):
    for name, (model, kinds, rows) in pair_cases.items():
        result = subprocess.run([str(c_pairs / f"driver_{build}"), name], capture_output=True, text=True)
        assert result.returncode == 0, (name, result.stderr)
        got = np.array([[int(h, 16) for h in line.split()] for line in result.stdout.splitlines()], dtype=np.uint64)
        assert got.shape[0] == len(rows), name
        z = np.asarray(_decision(model, rows), dtype=np.float64).reshape(len(rows), -1)
        k = z.shape[1]
        np.testing.assert_array_equal(got[:, :k], bits(z), err_msg=f"{name} one row")
        np.testing.assert_array_equal(got[:, k:2 * k], bits(z), err_msg=f"{name} many rows")
        if isinstance(model, EmbeddingSumRegressor):
            np.testing.assert_array_equal(got[:, -1], bits(z[:, 0]), err_msg=f"{name} predict")
            continue
        proba = model.predict_proba(_library_input(rows))
        np.testing.assert_array_equal(got[:, 2 * k:-1], bits(proba), err_msg=f"{name} predict_proba")
        labels = got[:, -1].view(np.float64).astype(int)
        np.testing.assert_array_equal(model.classes_[labels], model.predict(_library_input(rows)), err_msg=name)


def test_c_header_lists_the_pairs_and_keeps_its_layout(pair_cases, c_pairs):
    for name, (model, _, _) in pair_cases.items():
        header = (c_pairs / f"{name}.h").read_text(encoding="utf-8")
        assert f" * Pairs ({len(model.pairs_)}; length_a x length_b):" in header, name
        names = [f"x{j}" for j in range(model.n_features_in_)]
        for q, ((a, b), table) in enumerate(zip(model.pairs_, model.pair_scores_)):
            shape = np.shape(table)
            assert f'{q:>4}: {a} "{names[a]}" ' in header and f' x {b} "{names[b]}" ' in header, name
            assert f", {shape[0]} x {shape[1]}\n" in header, name
        assert f"static const double {name}_pair_scores[" in header
        for line in header.splitlines():
            if line[:1].isalpha():
                assert line.startswith(("static const ", "static inline ")), line


@pytest.fixture(scope="module")
def many_pairs():
    """A numeric regressor of 10 features and all their 45 pairs, and rows with NaN and ±inf."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 10))
    model = EmbeddingSumRegressor(max_bins=4, interactions=[(a, b) for a in range(10) for b in range(a + 1, 10)],
                                  interaction_bins=3).fit(X, X[:, 0] * X[:, 1] + rng.normal(size=300))
    rows = rng.normal(size=(60, 10))
    rows[rng.random(rows.shape) < 0.2] = np.nan
    rows[rng.random(rows.shape) < 0.1] = np.inf
    rows[rng.random(rows.shape) < 0.1] = -np.inf
    return model, rows


def test_generated_python_of_a_numeric_model_with_many_pairs(many_pairs):
    model, rows = many_pairs
    assert len(model.pairs_) == 45  # more terms than one statement of the generated sum holds
    module = _scorer(model)
    got = np.array([module.predict(r) for r in rows.tolist()] + [module.predict(r) for r in rows[:5]])
    np.testing.assert_array_equal(bits(got), bits(np.concatenate([model.predict(rows), model.predict(rows[:5])])))


def test_c_stack_frames_stay_small_whatever_the_number_of_pairs(pair_cases, many_pairs, tmp_path):
    """-fstack-usage: every function of each pair header, and of a header of 45 pairs, has a
    static frame, and each header's frames together stay under the 1 KiB (2 KiB multiclass)
    its comment states: the pair terms add nothing to the stack. The headers compile as C++."""
    models = {name: model for name, (model, _, _) in pair_cases.items()} | {"many": many_pairs[0]}
    units = []
    for name, model in models.items():
        (tmp_path / f"{name}.h").write_text(export.to_c(model, prefix=name), encoding="utf-8")
        units.append(f'#include "{name}.h"')
    (tmp_path / "all.c").write_text("\n".join(units) + "\n")
    gcc, gxx = _gcc(), shutil.which("g++")
    assert gxx is not None, "g++ is needed to check that the pair headers are valid C++ too"
    commands = [[gcc, *C_FLAGS, level, "-fstack-usage", "-fkeep-inline-functions", "-c", "all.c", "-o", f"all{level}.o"]
                for level in ("-O0", "-O2")]
    # The header is also valid C++ (docs/design.md#export): checked on the same headers, side by side.
    commands.append([gxx, "-x", "c++", "-std=c++17", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-fsyntax-only",
                     "all.c"])
    running = [subprocess.Popen(args, cwd=tmp_path, stderr=subprocess.PIPE, text=True) for args in commands]
    for proc in running:
        _, err = proc.communicate()
        assert proc.returncode == 0, err
    for level in ("-O0", "-O2"):
        frames = [line.split("\t") for line in (tmp_path / f"all{level}.su").read_text().splitlines()]
        for name, model in models.items():
            mine = [(where, int(size), kind) for where, size, kind in frames if f":{name}_" in where]
            assert any(f":{name}_add_terms" in where for where, _, _ in mine), (name, level)
            assert all(kind == "static" for _, _, kind in mine), (name, level, mine)
            limit = 2048 if name == "multiclass" else 1024
            assert sum(size for _, size, _ in mine) <= limit, (name, level, mine)


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------

def test_cli_export_writes_the_exporters_source_for_a_pair_model(pair_cases, tmp_path, capsys):
    for name in ("binary", "multiclass"):
        model = pair_cases[name][0]
        model.save(tmp_path / f"{name}.json")
        loaded = embedsum.load(tmp_path / f"{name}.json")
        assert [tuple(p) for p in loaded.pairs_] == [tuple(p) for p in model.pairs_]
        for lang, suffix in (("python", "py"), ("c", "h")):
            target = tmp_path / f"{name}.{suffix}"
            code = cli_main(["export", str(tmp_path / f"{name}.json"), "--lang", lang, "-o", str(target),
                             "--prefix", name])
            assert code == 0, capsys.readouterr().err
            expected = export.to_python(model) if lang == "python" else export.to_c(model, prefix=name)
            assert target.read_text(encoding="utf-8") == expected, (name, lang)
