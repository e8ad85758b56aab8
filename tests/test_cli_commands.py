"""The command line end to end, through subprocesses: fit, predict, explain, show, export, errors."""

import csv
import re
import subprocess
import sys

import numpy as np
import pytest

import embedsum
from embedsum.datasets import load_breast_cancer

# The tests score plain arrays with a model fitted on named columns, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "embedsum", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A training CSV (breast cancer with some cells emptied or NA) and a model fitted on it."""
    tmp = tmp_path_factory.mktemp("cli")
    X, y, names = load_breast_cancer()
    rng = np.random.default_rng(0)
    holes = rng.random(X.shape) < 0.02
    with open(tmp / "train.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["diagnosis", *names])
        for row, label, hole in zip(X, y, holes):
            cells = ["" if h and k % 2 else ("NA" if h else repr(float(v))) for k, (v, h) in enumerate(zip(row, hole))]
            writer.writerow([label, *cells])
    out = run("fit", str(tmp / "train.csv"), "--target", "diagnosis", "-o", str(tmp / "model.json"))
    assert out.returncode == 0, out.stderr
    return tmp, X, y, names, holes, out


def test_fit_writes_a_model_and_prints_progress(workdir):
    tmp, X, y, names, holes, out = workdir
    assert out.stdout.startswith("iter     0  loss ")
    assert "wrote" in out.stdout.splitlines()[-1]
    model = embedsum.load(tmp / "model.json")
    assert model.feature_names_in_.tolist() == names
    assert model.classes_.tolist() == ["benign", "malignant"]
    X_missing = np.where(holes, np.nan, X)
    direct = embedsum.EmbeddingSumClassifier().fit(X_missing, y)
    assert np.array_equal(model.decision_function(X_missing), direct.decision_function(X_missing))


def test_fit_with_auto_step_loss_weight_is_the_cross_validated_model(workdir, tmp_path):
    tmp, X, y, names, holes, _ = workdir
    out = run("fit", str(tmp / "train.csv"), "--target", "diagnosis", "-o", str(tmp_path / "auto.json"),
              "--step-loss-weight", "auto", "--cv", "3")
    assert out.returncode == 0, out.stderr
    assert "chosen by 3-fold cross-validation; wrote" in out.stdout
    model = embedsum.load(tmp_path / "auto.json")
    X_missing = np.where(holes, np.nan, X)
    direct = embedsum.EmbeddingSumClassifierCV(cv=3).fit(X_missing, y)
    assert model.step_loss_weight == direct.step_loss_weight_
    assert np.array_equal(model.decision_function(X_missing), direct.decision_function(X_missing))


def test_fit_refuses_a_step_loss_weight_that_is_neither_a_number_nor_auto(workdir, tmp_path):
    tmp = workdir[0]
    out = run("fit", str(tmp / "train.csv"), "--target", "diagnosis", "-o", str(tmp_path / "m.json"),
              "--step-loss-weight", "strong")
    assert out.returncode == 2
    assert "expected a number or 'auto', got 'strong'" in out.stderr


def test_predict_streams_and_matches_the_library(workdir):
    tmp, X, y, names, holes, _ = workdir
    out = run("predict", str(tmp / "model.json"), str(tmp / "train.csv"), "-o", str(tmp / "pred.csv"),
              "--chunk-rows", "100")
    assert out.returncode == 0, out.stderr
    with open(tmp / "pred.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["proba_malignant", "label"]
    model = embedsum.load(tmp / "model.json")
    X_missing = np.where(holes, np.nan, X)
    proba = model.predict_proba(X_missing)[:, 1]
    assert [float(r[0]) for r in rows[1:]] == proba.tolist()  # repr round-trips exactly
    assert [r[1] for r in rows[1:]] == model.predict(X_missing).tolist()


def test_predict_to_stdout_without_output_option(workdir):
    tmp = workdir[0]
    out = run("predict", str(tmp / "model.json"), str(tmp / "train.csv"))
    assert out.returncode == 0
    assert len(out.stdout.splitlines()) == 570


def test_explain_lists_contributions_largest_first(workdir):
    tmp = workdir[0]
    out = run("explain", str(tmp / "model.json"), str(tmp / "train.csv"), "--row", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("row 3: decision")
    assert lines[1].split()[0] == "intercept"
    values = [abs(float(line.split()[1])) for line in lines[2:]]
    assert len(values) == 30 and values == sorted(values, reverse=True)


def test_show_describes_features_by_importance(workdir):
    tmp = workdir[0]
    out = run("show", str(tmp / "model.json"), "--top", "2")
    assert out.returncode == 0, out.stderr
    assert "features by importance" in out.stdout
    assert len(re.findall(r"(?m)^\s*\d+\. .* importance ", out.stdout)) == 2
    assert "missing" in out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
    assert "│" in out.stdout  # each bin's score drawn as a bar around a centre mark


@pytest.mark.parametrize("lang", ["python", "c"])
def test_export_writes_source(workdir, lang):
    tmp = workdir[0]
    target = tmp / f"model.{'py' if lang == 'python' else 'h'}"
    out = run("export", str(tmp / "model.json"), "--lang", lang, "-o", str(target))
    assert out.returncode == 0, out.stderr
    text = target.read_text()
    assert ("def decision_function" in text) if lang == "python" else ("static const double" in text)


def test_data_and_model_errors_exit_1_with_one_line(workdir, tmp_path):
    tmp = workdir[0]
    (tmp_path / "text.csv").write_text("a,b,y\n1,hello,0\n2,3,1\n")
    (tmp_path / "broken.json").write_text("{not json")
    cases = [
        ("fit", str(tmp_path / "text.csv"), "--target", "y", "-o", str(tmp_path / "m.json")),
        ("fit", str(tmp / "train.csv"), "--target", "nope", "-o", str(tmp_path / "m.json")),
        ("predict", str(tmp_path / "broken.json"), str(tmp / "train.csv")),
        ("show", str(tmp_path / "missing.json")),
        ("explain", str(tmp / "model.json"), str(tmp / "train.csv"), "--row", "100000"),
        ("predict", str(tmp / "model.json"), str(tmp_path / "text.csv")),
    ]
    for args in cases:
        out = run(*args)
        assert out.returncode == 1, (args, out.stderr)
        assert out.stderr.startswith("embedsum: error: "), out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "'hello'" in run(*cases[0]).stderr and "column 'b'" in run(*cases[0]).stderr


def test_usage_errors_exit_2_and_every_command_has_help():
    assert run("fit", "data.csv").returncode == 2  # --target and -o missing
    assert run("frobnicate").returncode == 2
    for command in ["demo", "fit", "predict", "explain", "show", "export"]:
        out = run(command, "--help")
        assert out.returncode == 0 and "usage:" in out.stdout


def _peak_rss_kib(args) -> int:
    """Peak resident memory of one `python -m embedsum ...` child process (Linux: KiB)."""
    import os

    process = subprocess.Popen([sys.executable, "-m", "embedsum", *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, process.stderr.read()
    return usage.ru_maxrss


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB is Linux's unit")
def test_predict_memory_stays_flat_as_the_file_grows(workdir, tmp_path):
    tmp, X, _, names, _, _ = workdir
    header = ",".join(names) + "\n"
    row = ",".join(repr(float(v)) for v in X[0]) + "\n"
    for n, name in [(2_000, "small.csv"), (100_000, "large.csv")]:
        (tmp_path / name).write_text(header + row * n)
    small = _peak_rss_kib(["predict", str(tmp / "model.json"), str(tmp_path / "small.csv"),
                           "-o", str(tmp_path / "s.out"), "--chunk-rows", "1000"])
    large = _peak_rss_kib(["predict", str(tmp / "model.json"), str(tmp_path / "large.csv"),
                           "-o", str(tmp_path / "l.out"), "--chunk-rows", "1000"])
    # Holding 100,000 parsed rows of 30 floats would take well over 50 MiB more.
    assert large - small < 20 * 1024, (small, large)
    assert sum(1 for _ in open(tmp_path / "l.out")) == 100_001
