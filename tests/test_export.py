"""Exported Python and C score rows bit for bit like the numpy model (design.md section 3).

Every model here is scored on 10,000 rows made of NaN, ±inf, ±0.0, values exactly on
cuts and one step (np.nextafter) on either side of them, and random values, by: numpy
in one batch, numpy one row at a time, the generated Python module (exec'd and
imported from a file), and the generated C header compiled by gcc at -O0, at -O3 and
with AddressSanitizer + UBSan. Decision values are compared as uint64 bit patterns.
A C driver written here reads rows as raw little-endian doubles and writes raw
doubles back, so no decimal conversion takes part.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from embedsum import EmbeddingSumClassifier, NotFittedError
from embedsum import export

N_ROWS = 10_000
WEIRD_NAME = 'bytes */ written "quoted"\nnext line /* ??/ C:\\temp\\'
C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]


def bits(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.uint64)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str) -> str:
    """Path of a compiler; under CI=true a missing one fails the test, elsewhere it skips."""
    path = shutil.which(name)
    if path is None:
        if _in_ci():
            pytest.fail(f"{name} is required under CI=true to test the exported C code; install it.")
        pytest.skip(f"{name} not found: the exported C code is not compiled here")
    return path


class Frame:
    """The two attributes by which embedsum recognises a DataFrame (pandas is not needed)."""

    def __init__(self, values, columns):
        self.values, self.columns = np.asarray(values, dtype=np.float64), list(columns)

    def to_numpy(self):
        return self.values


# --------------------------------------------------------------------------------------
# Models and rows
# --------------------------------------------------------------------------------------


def _counts(rng, n, d):
    rate = rng.gamma(rng.uniform(0.1, 2.0, size=d), rng.uniform(0.3, 300.0, size=d), size=(n, d))
    return rng.poisson(rate).astype(np.float64)


def _labels(rng, X):
    filled = np.nan_to_num(X, nan=0.0, posinf=1e6, neginf=-1e6)
    ranks = np.argsort(np.argsort(filled, axis=0), axis=0) / len(X)
    logits = 3.0 * (ranks[:, : max(1, X.shape[1] // 2)].mean(axis=1) - 0.5) + rng.normal(size=len(X))
    return logits > 0


def _fit_models():
    rng = np.random.default_rng(20240917)
    models = {}

    X = rng.normal(size=(400, 1))
    models["tiny"] = (EmbeddingSumClassifier(max_bins=3).fit(X, _labels(rng, X).astype(int)), X)

    X = _counts(rng, 3000, 13)
    models["counts"] = (EmbeddingSumClassifier().fit(X, _labels(rng, X).astype(int)), X)

    # Missing values in training (their own bins), an all-NaN column and a constant column
    # (no cuts at all), a column with ±inf (infinite cuts), string labels, odd feature names.
    X = rng.normal(size=(2000, 6)) * [1.0, 1e-300, 1e300, 5.0, 1.0, 1.0]
    X[rng.random(X.shape) < 0.3] = np.nan
    X[:, 3] = np.nan
    X[:, 4] = 7.0
    X[:, 5] = np.where(rng.random(2000) < 0.4, np.inf, X[:, 5])
    X[:, 5] = np.where(rng.random(2000) < 0.2, -np.inf, X[:, 5])
    names = ["a", WEIRD_NAME, "naïve ünïcode", "all missing", "constant", "with inf"]
    y = np.where(_labels(rng, X), "attack", "benign")
    models["missing"] = (EmbeddingSumClassifier(max_bins=10).fit(Frame(X, names), y), X)

    X = np.column_stack([_counts(rng, 3000, 30), rng.normal(size=(3000, 30))])
    models["wide"] = (EmbeddingSumClassifier(max_bins=50).fit(X, _labels(rng, X)), X)

    X = np.full((50, 2), 3.0)  # every column constant: no feature has a cut
    models["constant"] = (EmbeddingSumClassifier().fit(X, np.arange(50) % 2), X)
    return models


def _rows(model, X_train, rng) -> np.ndarray:
    columns = []
    for j, cuts in enumerate(model.cuts_):
        special = np.concatenate([
            cuts, np.nextafter(cuts, -np.inf), np.nextafter(cuts, np.inf),
            [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, np.finfo(float).max, -np.finfo(float).max],
        ])
        observed = X_train[:, j]
        random = np.concatenate([observed, rng.normal(size=100) * rng.choice([1e-300, 1.0, 1e3, 1e300], size=100)])
        col = np.where(rng.random(N_ROWS) < 0.5, rng.choice(special, N_ROWS), rng.choice(random, N_ROWS))
        columns.append(col)
    rows = np.column_stack(columns)
    rows[0], rows[1], rows[2] = np.nan, np.inf, -np.inf  # whole rows of missing and of infinite values
    assert np.signbit(rows[rows == 0]).any() and not np.signbit(rows[rows == 0]).all()
    return np.ascontiguousarray(rows)


def _as_input(model, X):
    names = getattr(model, "feature_names_in_", None)
    return X if names is None else Frame(X, names)


@pytest.fixture(scope="module")
def cases():
    """name -> (model, rows, numpy batch decision values)."""
    rng = np.random.default_rng(7)
    out = {}
    for name, (model, X_train) in _fit_models().items():
        rows = _rows(model, X_train, rng)
        out[name] = (model, rows, model.decision_function(_as_input(model, rows)))
    return out


def _load_python(source: str, path):
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _probabilities_must_be_bit_exact(z) -> bool:
    # The generated code and C use the C library's exp (math.exp is it); numpy may use its
    # own vectorised exp. Where the two agree on every tested value, so must the probabilities.
    e = -np.abs(z)
    return bool(np.array_equal(bits(np.exp(e)), bits([math.exp(v) for v in e])))


def _assert_probabilities(got, expected, exact: bool):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if exact:
        np.testing.assert_array_equal(bits(got), bits(expected))
    else:  # documented in embedsum.export: at most one unit in the last place apart
        assert np.all(np.abs(got - expected) <= np.spacing(np.abs(expected)))


# --------------------------------------------------------------------------------------
# numpy and generated Python
# --------------------------------------------------------------------------------------


def test_numpy_one_row_equals_batch_bit_for_bit(cases):
    for name, (model, rows, z) in cases.items():
        one = np.array([model.decision_function(_as_input(model, r.reshape(1, -1)))[0] for r in rows])
        np.testing.assert_array_equal(bits(one), bits(z), err_msg=name)


def test_generated_python_equals_numpy_bit_for_bit(cases, tmp_path):
    for name, (model, rows, z) in cases.items():
        source = export.to_python(model)
        namespace: dict = {}
        exec(compile(source, f"<{name}>", "exec"), namespace)
        module = _load_python(source, tmp_path / f"scorer_{name}.py")
        as_lists = rows.tolist()
        for scorer in (namespace["decision_function"], module.decision_function):
            got = np.array([scorer(r) for r in as_lists])
            np.testing.assert_array_equal(bits(got), bits(z), err_msg=name)
        # numpy rows (their own conversion path) and tuples score the same
        got = np.array([module.decision_function(r) for r in rows[:500]])
        np.testing.assert_array_equal(bits(got), bits(z[:500]), err_msg=name)
        assert module.decision_function(tuple(as_lists[0])) == z[0] or math.isnan(z[0])

        proba = np.array([module.predict_proba(r) for r in as_lists])
        _assert_probabilities(proba, model.predict_proba(_as_input(model, rows)), _probabilities_must_be_bit_exact(z))
        predicted = [module.predict(r) for r in as_lists]
        assert predicted == model.predict(_as_input(model, rows)).tolist(), name
        assert module.CLASSES == tuple(model.classes_.tolist())
        assert module.N_FEATURES == model.n_features_in_
        names = getattr(model, "feature_names_in_", None)
        expected_names = [f"x{j}" for j in range(model.n_features_in_)] if names is None else list(names)
        assert list(module.FEATURES) == expected_names


def test_generated_python_reads_back_every_number_exactly(cases):
    model, _, _ = cases["missing"]
    namespace: dict = {}
    exec(export.to_python(model), namespace)
    assert bits(namespace["INTERCEPT"]) == bits(model.intercept_)
    for j in range(model.n_features_in_):
        np.testing.assert_array_equal(bits(namespace["CUTS"][j]), bits(model.cuts_[j]))
        np.testing.assert_array_equal(bits(namespace["SCORES"][j]), bits(model.bin_scores_[j]))
    assert np.isinf(np.concatenate(model.cuts_)).any(), "the test model should have an infinite cut"
    assert namespace["FEATURES"][1] == WEIRD_NAME


def test_generated_python_refuses_a_wrong_number_of_features(cases, tmp_path):
    model, _, _ = cases["counts"]
    module = _load_python(export.to_python(model), tmp_path / "scorer_counts.py")
    for row in ([], [0.0] * 12, [0.0] * 14, np.zeros((1, 13))):
        for function in (module.decision_function, module.predict_proba, module.predict):
            with pytest.raises(ValueError, match="expects 13 features"):
                function(row)


def test_generated_python_imports_only_the_standard_library(cases, tmp_path):
    model, rows, z = cases["missing"]
    source = export.to_python(model)
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"bisect", "math"}
    # A fresh interpreter without site-packages (no numpy) scores a row, the same bits.
    path = tmp_path / "standalone_scorer.py"
    path.write_text(source, encoding="utf-8")
    code = (
        "import sys, struct; sys.path.insert(0, sys.argv[1]); import standalone_scorer as m; "
        "row = [struct.unpack('<d', bytes.fromhex(h))[0] for h in sys.argv[2].split(',')]; "
        "print(struct.pack('<d', m.decision_function(row)).hex()); "
        "import doctest; print(doctest.testmod(m).failed)"
    )
    row_hex = ",".join(np.array([v], dtype="<f8").tobytes().hex() for v in rows[5])
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(tmp_path), row_hex],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [np.array([z[5]], dtype="<f8").tobytes().hex(), "0"]


def test_export_of_an_unfitted_model_raises_not_fitted():
    for function in (export.to_python, export.to_c):
        with pytest.raises(NotFittedError):
            function(EmbeddingSumClassifier())


@pytest.mark.parametrize(
    "prefix", ["", "1model", "my-model", "my model", "int", "class", "_model", "a__b", "naïve", 3, None]
)
def test_to_c_refuses_a_prefix_that_is_not_a_c_identifier(cases, prefix):
    model, _, _ = cases["tiny"]
    with pytest.raises(ValueError, match="prefix"):
        export.to_c(model, prefix=prefix)


def test_c_header_has_no_allocation_and_no_writable_globals(cases):
    for name, (model, _, _) in cases.items():
        header = export.to_c(model, prefix=name)
        assert not re.search(r"\b(malloc|calloc|realloc|free|alloca)\s*\(", header), name
        # Every file-scope declaration (a line starting with a letter) is a constant or a function.
        for line in header.splitlines():
            if re.match(r"[A-Za-z_]", line):
                assert line.startswith(("static const ", "static inline ")), line
        # The weird name never ends a comment early: every comment closes on its own line.
        assert WEIRD_NAME not in header


def test_c_comments_and_strings_escape_feature_names():
    assert "\n" not in export._c_comment_text(WEIRD_NAME)
    for text in (WEIRD_NAME, "*/*/", "/*/", "a*/", "??/", "\\"):
        comment = export._c_comment_text(text)
        assert "*/" not in comment and "/*" not in comment and "??" not in comment
    assert export._c_string('a"b\\c\n?') == '"a\\"b\\\\c\\012\\?"'
    assert export._c_string("é1") == '"\\303\\2511"'  # three-digit octal: the '1' stays a '1'


def test_require_tool_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require_tool("gcc")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_tool("gcc")


# --------------------------------------------------------------------------------------
# Generated C
# --------------------------------------------------------------------------------------

# Per row the driver writes: decision (one-row call), decision (many-row call), p0, p1,
# class index. "errors" mode prints the return codes of calls with bad arguments.
DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
%(includes)s

typedef int (*decision_fn)(const double *, size_t, double *);
typedef int (*many_fn)(const double *, size_t, size_t, double *);
typedef int (*proba_fn)(const double *, size_t, double *);
typedef int (*predict_fn)(const double *, size_t, int *);
struct model { const char *name; size_t n_features; decision_fn decision; many_fn many; proba_fn proba; predict_fn predict; };
static const struct model models[] = {
%(table)s
};

static int errors(const struct model *m)
{
    size_t n = m->n_features;
    double *row = (double *)calloc(n + 1, sizeof(double));
    double out = -1.0, proba[2] = {-1.0, -1.0};
    int k = -1;
    if (row == NULL) return 3;
    /* A row one value short is allocated exactly, so ASan sees any read past it. */
    double *short_row = (double *)calloc(n > 1 ? n - 1 : 1, sizeof(double));
    if (short_row == NULL) { free(row); return 3; }
    printf("%%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\n",
           m->decision(short_row, n - 1, &out), m->decision(row, n + 1, &out), m->decision(row, 0, &out),
           m->many(row, 1, n + 1, &out), m->proba(short_row, n - 1, proba), m->predict(row, n + 1, &k),
           m->decision(NULL, n, &out), m->decision(row, n, NULL), m->many(NULL, 0, n, NULL),
           m->decision(row, n, &out));
    printf("%%d %%d %%d\n", proba[0] == -1.0, proba[1] == -1.0, k == -1);
    free(short_row);
    free(row);
    return 0;
}

int main(int argc, char **argv)
{
    const struct model *m = NULL;
    size_t i, n_rows, count = sizeof models / sizeof models[0];
    FILE *f;
    long bytes;
    double *rows, *z, *z_many;
    for (i = 0; i < count; ++i) if (argc > 2 && strcmp(argv[1], models[i].name) == 0) m = &models[i];
    if (m == NULL) { fprintf(stderr, "usage: driver MODEL (errors | IN OUT)\n"); return 2; }
    if (strcmp(argv[2], "errors") == 0) return errors(m);
    if (argc != 4 || (f = fopen(argv[2], "rb")) == NULL) return 2;
    fseek(f, 0, SEEK_END);
    bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    n_rows = (size_t)bytes / sizeof(double) / m->n_features;
    rows = (double *)malloc((size_t)bytes);
    z = (double *)malloc(n_rows * sizeof(double));
    z_many = (double *)malloc(n_rows * sizeof(double));
    if (rows == NULL || z == NULL || z_many == NULL || fread(rows, 1, (size_t)bytes, f) != (size_t)bytes) return 3;
    fclose(f);
    if (m->many(rows, n_rows, m->n_features, z_many) != 0) return 4;
    f = fopen(argv[3], "wb");
    if (f == NULL) return 2;
    for (i = 0; i < n_rows; ++i) {
        double proba[2], record[5];
        int k;
        const double *row = rows + i * m->n_features;
        if (m->decision(row, m->n_features, &z[i]) != 0 || m->proba(row, m->n_features, proba) != 0
            || m->predict(row, m->n_features, &k) != 0) return 5;
        record[0] = z[i]; record[1] = z_many[i]; record[2] = proba[0]; record[3] = proba[1]; record[4] = k;
        fwrite(record, sizeof(double), 5, f);
    }
    fclose(f);
    free(rows); free(z); free(z_many);
    return 0;
}
"""

BUILDS = {
    "O0": ["-O0"],
    "O3": ["-O3"],
    "sanitized": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
}


def _compile(args, cwd):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stderr}"


@pytest.fixture(scope="module")
def c_build(cases, tmp_path_factory):
    """Directory with one header per model, a driver and the driver built three ways."""
    gcc = require_tool("gcc")
    work = tmp_path_factory.mktemp("export_c")
    includes, table = [], []
    for name, (model, _, _) in cases.items():
        (work / f"{name}.h").write_text(export.to_c(model, prefix=name), encoding="utf-8")
        includes.append(f'#include "{name}.h"')
        table.append(f'    {{"{name}", {name.upper()}_N_FEATURES, {name}_decision, {name}_decision_many, '
                     f'{name}_predict_proba, {name}_predict}},')
    (work / "driver.c").write_text(DRIVER % {"includes": "\n".join(includes), "table": "\n".join(table)})
    for build, flags in BUILDS.items():
        _compile([gcc, *C_FLAGS, *flags, "driver.c", "-o", f"driver_{build}", "-lm"], work)
    return work


def _run(path, *args):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")
    result = subprocess.run([str(path), *map(str, args)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("build", list(BUILDS))
def test_generated_c_equals_numpy_bit_for_bit(cases, c_build, build):
    for name, (model, rows, z) in cases.items():
        rows.astype("<f8").tofile(c_build / f"{name}.rows")
        out_path = c_build / f"{name}_{build}.out"
        _run(c_build / f"driver_{build}", name, c_build / f"{name}.rows", out_path)
        out = np.fromfile(out_path, dtype="<f8").reshape(-1, 5)
        assert len(out) == N_ROWS
        np.testing.assert_array_equal(bits(out[:, 0]), bits(z), err_msg=f"{name} one row")
        np.testing.assert_array_equal(bits(out[:, 1]), bits(z), err_msg=f"{name} many rows")
        _assert_probabilities(out[:, 2:4], model.predict_proba(_as_input(model, rows)),
                              _probabilities_must_be_bit_exact(z))
        np.testing.assert_array_equal(out[:, 4], (z > 0).astype(float))


@pytest.mark.parametrize("build", ["O0", "sanitized"])
def test_generated_c_returns_error_codes_for_bad_arguments(cases, c_build, build):
    for name in cases:
        codes, untouched = _run(c_build / f"driver_{build}", name, "errors").splitlines()
        # wrong n (x6) -> ERR_N_FEATURES (1); NULL pointers (x3) -> ERR_NULL (2); a good call -> OK
        assert codes.split() == ["1", "1", "1", "1", "1", "1", "2", "2", "0", "0"], name
        assert untouched.split() == ["1", "1", "1"], name


def test_c_header_in_two_translation_units_has_no_writable_globals(cases, tmp_path):
    gcc = require_tool("gcc")
    model, rows, z = cases["missing"]
    (tmp_path / "model.h").write_text(export.to_c(model, prefix="m"), encoding="utf-8")
    (tmp_path / "a.c").write_text(
        '#include "model.h"\nint score_a(const double *row, double *z) { return m_decision(row, M_N_FEATURES, z); }\n'
    )
    (tmp_path / "b.c").write_text(
        '#include <stdio.h>\n#include "model.h"\n'
        "int score_a(const double *row, double *z);\n"
        "static void hex(const char *s) { printf(\" \"); if (s == NULL) { printf(\"NULL\"); return; } "
        "for (; *s; ++s) printf(\"%02x\", (unsigned)(unsigned char)*s); }\n"
        "int main(void) { double row[M_N_FEATURES] = {0}, za, zb; int a = score_a(row, &za), "
        "b = m_decision(row, M_N_FEATURES, &zb); size_t j; printf(\"%d %d %d\", a, b, za == zb);\n"
        "for (j = 0; j <= M_N_FEATURES; ++j) hex(m_feature_name(j));\n"
        "hex(m_class_name(0)); hex(m_class_name(1)); hex(m_class_name(2)); printf(\"\\n\"); return 0; }\n"
    )
    for unit in ("a", "b"):
        _compile([gcc, *C_FLAGS, "-O0", "-c", f"{unit}.c", "-o", f"{unit}.o"], tmp_path)
    _compile([gcc, "a.o", "b.o", "-o", "two_units", "-lm"], tmp_path)
    texts = [*model.feature_names_in_, None, *model.classes_, None]
    hexes = ["NULL" if t is None else t.encode("utf-8").hex() for t in texts]
    assert _run(tmp_path / "two_units").split() == ["0", "0", "1", *hexes]
    nm = shutil.which("nm")
    if nm is not None:
        for unit in ("a", "b"):
            symbols = subprocess.run([nm, f"{unit}.o"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
            # nm types of writable data: B/b bss, D/d data, C common, G/g and S/s small data
            writable = [entry for entry in symbols.splitlines() if re.match(r"\S*\s+[BbDdCGgSs]\s", entry)]
            assert writable == [], writable


def test_c_header_refuses_fast_math_and_compiles_as_cpp(cases, tmp_path):
    gcc = require_tool("gcc")
    model, _, _ = cases["missing"]
    header = tmp_path / "model.h"
    header.write_text(export.to_c(model, prefix="m"), encoding="utf-8")
    # (-fassociative-math needs the other two, or gcc ignores it)
    for flags in (["-ffast-math"], ["-Ofast"], ["-ffinite-math-only"],
                  ["-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"]):
        fast = subprocess.run([gcc, *C_FLAGS, *flags, "-x", "c", "-fsyntax-only", str(header)],
                              capture_output=True, text=True)
        assert fast.returncode != 0 and "without -ffast-math" in fast.stderr, flags
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not found: the C++ check is a bonus")
    _compile([gxx, "-x", "c++", "-std=c++17", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-fsyntax-only",
              str(header)], tmp_path)
