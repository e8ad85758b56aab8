"""The command line end to end, through subprocesses: fit, predict, explain, show, export, errors."""

import csv
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import python_env

import embedsum
from embedsum.datasets import load_breast_cancer

# The tests score plain arrays with a model fitted on named columns, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "embedsum", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=python_env())


def run_all(*commands):
    """Each command's CompletedProcess, the children run side by side (they are independent)."""
    running = [(args, subprocess.Popen([sys.executable, "-m", "embedsum", *args], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True, env=python_env()))
               for args in commands]
    done = []
    for args, proc in running:
        stdout, stderr = proc.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(args, proc.returncode, stdout, stderr))
    return done


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
        ("fit", str(tmp_path / "text.csv"), "--target", "y", "-o", str(tmp_path / "m.json"), "--categorical", "a"),
        ("fit", str(tmp / "train.csv"), "--target", "nope", "-o", str(tmp_path / "m.json")),
        ("predict", str(tmp_path / "broken.json"), str(tmp / "train.csv")),
        ("show", str(tmp_path / "missing.json")),
        ("explain", str(tmp / "model.json"), str(tmp / "train.csv"), "--row", "100000"),
        ("predict", str(tmp / "model.json"), str(tmp_path / "text.csv")),
    ]
    results = run_all(*cases)
    for args, out in zip(cases, results):
        assert out.returncode == 1, (args, out.stderr)
        assert out.stderr.startswith("embedsum: error: "), out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "'hello'" in results[0].stderr and "column 'b'" in results[0].stderr


def test_usage_errors_exit_2_and_every_command_has_help():
    commands = ["demo", "fit", "predict", "explain", "show", "export"]
    missing, unknown, *helps = run_all(("fit", "data.csv"), ("frobnicate",), *((c, "--help") for c in commands))
    assert missing.returncode == 2  # --target and -o missing
    assert unknown.returncode == 2
    for out in helps:
        assert out.returncode == 0 and "usage:" in out.stdout
    assert len(helps) == len(commands)


def _peak_rss_kib(args) -> int:
    """Peak resident memory of one `python -m embedsum ...` child process (Linux: KiB)."""
    import os

    process = subprocess.Popen([sys.executable, "-m", "embedsum", *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=python_env())
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, process.stderr.read()
    return usage.ru_maxrss


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB is Linux's unit")
def test_predict_memory_stays_flat_as_the_file_grows(workdir, tmp_path):
    tmp, X, _, names, _, _ = workdir
    header = ",".join(names) + "\n"
    row = ",".join(repr(float(v)) for v in X[0]) + "\n"
    for n, name in [(2_000, "small.csv"), (50_000, "large.csv")]:
        (tmp_path / name).write_text(header + row * n)
    small = _peak_rss_kib(["predict", str(tmp / "model.json"), str(tmp_path / "small.csv"),
                           "-o", str(tmp_path / "s.out"), "--chunk-rows", "1000"])
    large = _peak_rss_kib(["predict", str(tmp / "model.json"), str(tmp_path / "large.csv"),
                           "-o", str(tmp_path / "l.out"), "--chunk-rows", "1000"])
    # Holding 50,000 parsed rows of 30 floats would take well over 20 MiB more (about 1 KiB a row as Python floats).
    assert large - small < 20 * 1024, (small, large)
    assert sum(1 for _ in open(tmp_path / "l.out")) == 50_001


# --- every model kind: text categories, multiclass, regression, monotone features -------------

from embedsum.cli import main  # noqa: E402

PROTOS = np.array(["tcp", "udp", "icmp"])


def _kinds_data(n=300, seed=1):
    """Rows of a numeric, a text and a numeric column with holes, and a target of each kind."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(3, 1, n)
    proto = PROTOS[rng.integers(0, 3, n)].astype(object)
    proto[:3] = "gre"  # rarer than --min-category-count: the "other" bin
    proto[rng.random(n) < 0.05] = ""  # missing
    hour = rng.integers(0, 24, n).astype(np.float64)
    hour[rng.random(n) < 0.05] = np.nan
    effect = np.where(proto == "tcp", 1.5, np.where(proto == "udp", -1.0, 0.0))
    score = 0.8 * np.log(size) - 2.4 + effect + 0.05 * np.nan_to_num(hour, nan=12.0) - 0.6
    X = np.empty((n, 3), dtype=object)
    X[:, 0], X[:, 1], X[:, 2] = size.tolist(), proto, hour.tolist()
    targets = {
        "binary": np.where(score + rng.normal(0, 0.5, n) > 0, "attack", "benign"),
        "multiclass": np.array(["low", "mid", "high"])[np.digitize(score + rng.normal(0, 0.3, n), [-0.7, 0.7])],
        "regression": score + rng.normal(0, 0.1, n),
        "counts": np.clip(np.round(score + 2), 0, 4).astype(int),  # integers: classes unless --task regression
    }
    return X, targets


def _write_csv(path, X, target_name=None, target=None):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["size", "proto", "hour"] + ([target_name] if target_name else []))
        for i, row in enumerate(X):
            cells = ["NA" if isinstance(v, float) and np.isnan(v) else (repr(v) if isinstance(v, float) else v)
                     for v in row]
            writer.writerow(cells + ([repr(target[i].item())] if target is not None and target.dtype.kind == "f"
                                     else [target[i]] if target is not None else []))


def cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    """The data of every kind as CSV (target in the last column) and the rows the CLI should read."""
    tmp = tmp_path_factory.mktemp("kinds")
    X, targets = _kinds_data()
    for name, y in targets.items():
        _write_csv(tmp / f"{name}.csv", X, "target", y)
    _write_csv(tmp / "features.csv", X)
    return tmp, X, targets


def _read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_text_column_becomes_a_categorical_feature_of_a_binary_model(kinds, tmp_path, capsys):
    tmp, X, targets = kinds
    code, out, err = cli(capsys, "fit", tmp / "binary.csv", "--target", "target", "-o", tmp_path / "m.json",
                         "--max-bins", 8)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("fitted a binary classifier (detected from the target) on 300 rows "
                                           "x 3 features (1 categorical) in ")
    model = embedsum.load(tmp_path / "m.json")
    assert model.is_categorical_.tolist() == [False, True, False]
    assert model.categories_[1].tolist() == ["icmp", "tcp", "udp"] and model.rare_categories_[1].tolist() == ["gre"]
    assert model.binning == "quantile"  # the published cuts, as the plain estimator's default
    direct = embedsum.EmbeddingSumClassifier(max_bins=8, categorical_features=[False, True, False])
    direct.fit(X, targets["binary"])
    assert np.array_equal(model.decision_function(X), direct.decision_function(X))

    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp / "features.csv", "-o", tmp_path / "p.csv",
                       "--chunk-rows", 70)
    assert code == 0, err
    rows = _read(tmp_path / "p.csv")
    assert rows[0] == ["proba_benign", "label"] and len(rows) == 301
    assert [float(r[0]) for r in rows[1:]] == model.predict_proba(X)[:, 1].tolist()
    assert [r[1] for r in rows[1:]] == model.predict(X).tolist()


def test_multiclass_predict_writes_one_probability_per_class_and_the_label(kinds, tmp_path, capsys):
    tmp, X, targets = kinds
    code, out, err = cli(capsys, "fit", tmp / "multiclass.csv", "--target", "target", "-o", tmp_path / "m.json",
                         "--max-bins", 8, "--quiet")
    assert code == 0, err
    assert out == ""
    model = embedsum.load(tmp_path / "m.json")
    assert model.classes_.tolist() == ["high", "low", "mid"]
    direct = embedsum.EmbeddingSumClassifier(max_bins=8, categorical_features=[False, True, False])
    assert np.array_equal(model.decision_function(X), direct.fit(X, targets["multiclass"]).decision_function(X))

    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp / "multiclass.csv", "-o", tmp_path / "p.csv",
                       "--chunk-rows", 128)
    assert code == 0, err
    rows = _read(tmp_path / "p.csv")
    assert rows[0] == ["proba_high", "proba_low", "proba_mid", "label"]
    proba = np.array([[float(v) for v in r[:3]] for r in rows[1:]])
    assert np.array_equal(proba, model.predict_proba(X))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert [r[3] for r in rows[1:]] == model.predict(X).tolist()
    assert len(set(r[3] for r in rows[1:])) == 3


def test_regression_is_detected_from_a_numeric_target(kinds, tmp_path, capsys):
    tmp, X, targets = kinds
    code, out, err = cli(capsys, "fit", tmp / "regression.csv", "--target", "target", "-o", tmp_path / "m.json",
                         "--max-bins", 8)
    assert code == 0, err
    assert "fitted a regressor (detected from the target)" in out
    model = embedsum.load(tmp_path / "m.json")
    assert isinstance(model, embedsum.EmbeddingSumRegressor)
    direct = embedsum.EmbeddingSumRegressor(max_bins=8, categorical_features=[False, True, False])
    assert np.array_equal(model.predict(X), direct.fit(X, targets["regression"]).predict(X))
    assert model.score(X, targets["regression"]) > 0.9

    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp / "features.csv", "-o", tmp_path / "p.csv")
    assert code == 0, err
    rows = _read(tmp_path / "p.csv")
    assert rows[0] == ["prediction"]
    assert [float(r[0]) for r in rows[1:]] == model.predict(X).tolist()


def test_task_option_forces_regression_on_integer_targets(kinds, tmp_path, capsys):
    tmp, X, targets = kinds
    code, out, err = cli(capsys, "fit", tmp / "counts.csv", "--target", "target", "-o", tmp_path / "auto.json",
                         "--max-bins", 8)
    assert code == 0, err
    assert "fitted a 5-class classifier (detected from the target)" in out
    assert embedsum.load(tmp_path / "auto.json").classes_.tolist() == [0, 1, 2, 3, 4]
    code, out, err = cli(capsys, "fit", tmp / "counts.csv", "--target", "target", "-o", tmp_path / "forced.json",
                         "--max-bins", 8, "--task", "regression")
    assert code == 0, err
    assert "fitted a regressor on 300 rows" in out
    model = embedsum.load(tmp_path / "forced.json")
    direct = embedsum.EmbeddingSumRegressor(max_bins=8, categorical_features=[False, True, False])
    assert np.array_equal(model.predict(X), direct.fit(X, targets["counts"].astype(float)).predict(X))


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_monotonic_cst_option_makes_the_named_features_monotone(kinds, tmp_path, capsys, kind):
    tmp, X, targets = kinds
    code, _, err = cli(capsys, "fit", tmp / f"{kind}.csv", "--target", "target", "-o", tmp_path / "m.json",
                       "--max-bins", 16, "--monotonic-cst", "size=+1,hour=-1", "--quiet")
    assert code == 0, err
    model = embedsum.load(tmp_path / "m.json")
    assert model.monotonic_cst_.tolist() == [1, 0, -1]
    steps_size = np.diff(model.bin_scores_[0][:-1])  # the missing bin excluded
    steps_hour = np.diff(model.bin_scores_[2][:-1])
    assert len(steps_size) > 3 and steps_size.min() >= 0
    assert len(steps_hour) > 3 and steps_hour.max() <= 0
    direct_cls = embedsum.EmbeddingSumRegressor if kind == "regression" else embedsum.EmbeddingSumClassifier
    direct = direct_cls(max_bins=16, categorical_features=[False, True, False], monotonic_cst=[1, 0, -1])
    direct.fit(X, targets[kind])
    assert all(np.array_equal(a, b) for a, b in zip(model.bin_scores_, direct.bin_scores_))


def test_a_category_never_seen_in_training_scores_neutral_at_predict_time(kinds, tmp_path, capsys):
    tmp, X, _ = kinds
    assert cli(capsys, "fit", tmp / "binary.csv", "--target", "target", "-o", tmp_path / "m.json",
               "--max-bins", 8, "--quiet")[0] == 0
    new = X[:5].copy()
    new[:, 1] = ["sctp", "tcp", "sctp", "", "gre"]
    _write_csv(tmp_path / "new.csv", new)
    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp_path / "new.csv", "-o", tmp_path / "p.csv")
    assert code == 0, err
    model = embedsum.load(tmp_path / "m.json")
    rows = _read(tmp_path / "p.csv")
    assert [float(r[0]) for r in rows[1:]] == model.predict_proba(new)[:, 1].tolist()
    neutral = model.intercept_ + model.row_scores(new[:1])[0, 0] + model.unseen_scores_[1] \
        + model.row_scores(new[:1])[0, 2]
    assert model.decision_function(new[:1])[0] == neutral
    code, out, err = cli(capsys, "explain", tmp_path / "m.json", tmp_path / "new.csv", "--row", 0)
    assert code == 0, err
    assert "value 'sctp' (never seen in training: the neutral score)" in out
    code, out, _ = cli(capsys, "explain", tmp_path / "m.json", tmp_path / "new.csv", "--row", 4)
    assert "value 'gre' (rare in training: the 'other' bin)" in out
    code, out, _ = cli(capsys, "explain", tmp_path / "m.json", tmp_path / "new.csv", "--row", 3)
    assert re.search(r"(?m)^  proto .* value missing$", out)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_explain_adds_up_to_the_decision_for_every_kind(kinds, tmp_path, capsys, kind):
    tmp, X, _ = kinds
    assert cli(capsys, "fit", tmp / f"{kind}.csv", "--target", "target", "-o", tmp_path / "m.json",
               "--max-bins", 8, "--quiet")[0] == 0
    model = embedsum.load(tmp_path / "m.json")
    code, out, err = cli(capsys, "explain", tmp_path / "m.json", tmp / "features.csv", "--row", 7)
    assert code == 0, err
    lines = out.splitlines()
    body = [line for line in lines if line.startswith("  ") and line.split()[0] in ("size", "proto", "hour")]
    assert len(body) == 3
    if kind == "multiclass":
        assert lines[0].startswith(f"row 7: predicted {model.predict(X[7:8])[0]}; P(high) = ")
        assert lines[1].split() == ["high", "low", "mid"]
        scores = np.array([[float(v) for v in line.split()[1:4]] for line in body])
        assert np.allclose(np.sort(np.abs(scores).max(axis=1))[::-1], np.abs(scores).max(axis=1), rtol=0)
        expected = model.row_scores(X[7:8])[0]
        names = [line.split()[0] for line in body]
        assert np.allclose(scores, expected[[["size", "proto", "hour"].index(n) for n in names]], rtol=1e-3)
    else:
        head = "row 7: prediction " if kind == "regression" else "row 7: decision "
        assert lines[0].startswith(head)
        values = [float(line.split()[1]) for line in body]
        assert [abs(v) for v in values] == sorted((abs(v) for v in values), reverse=True)
        z = model.predict(X[7:8])[0] if kind == "regression" else model.decision_function(X[7:8])[0]
        assert abs(model.intercept_ + sum(values) - z) < 1e-4 * max(1.0, abs(z))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_show_and_export_work_for_every_kind(kinds, tmp_path, capsys, kind):
    tmp = kinds[0]
    assert cli(capsys, "fit", tmp / f"{kind}.csv", "--target", "target", "-o", tmp_path / "m.json",
               "--max-bins", 8, "--quiet")[0] == 0
    code, out, err = cli(capsys, "show", tmp_path / "m.json")
    assert code == 0, err
    assert "proto" in out and "tcp" in out and "size" in out
    code, _, err = cli(capsys, "export", tmp_path / "m.json", "--lang", "python", "-o", tmp_path / "m.py")
    assert code == 0, err
    scorer = "def predict(row)" if kind == "regression" else "def decision_function(row)"
    assert scorer in (tmp_path / "m.py").read_text()


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_auto_step_loss_weight_is_cross_validated_for_each_task(kinds, tmp_path, capsys, kind):
    tmp, X, targets = kinds
    code, out, err = cli(capsys, "fit", tmp / f"{kind}.csv", "--target", "target", "-o", tmp_path / "m.json",
                         "--step-loss-weight", "auto", "--cv", 3, "--max-bins", 16)
    assert code == 0, err
    assert "chosen by 3-fold cross-validation; wrote" in out
    model = embedsum.load(tmp_path / "m.json")
    from embedsum.estimators._cv import EmbeddingSumClassifierCV, EmbeddingSumRegressorCV

    cv = EmbeddingSumRegressorCV if kind == "regression" else EmbeddingSumClassifierCV
    direct = cv(cv=3, max_bins=16, categorical_features=[False, True, False]).fit(X, targets[kind])
    assert model.step_loss_weight == direct.step_loss_weight_
    assert model.binning == direct.binning == "adaptive"  # the cross-validated estimators' default
    predict = (lambda m: m.predict(X)) if kind == "regression" else (lambda m: m.decision_function(X))
    assert np.array_equal(predict(model), predict(direct))


@pytest.mark.parametrize("options, params", [
    ([], dict(binning="quantile")),
    (["--binning", "adaptive", "--min-bin-count", 7], dict(binning="adaptive", min_bin_count=7)),
    (["--step-loss-weight", "auto", "--cv", 3, "--binning", "quantile"], dict(binning="quantile")),
])
def test_binning_options_reach_the_estimator(kinds, tmp_path, capsys, options, params):
    tmp, X, targets = kinds
    code, _, err = cli(capsys, "fit", tmp / "binary.csv", "--target", "target", "-o", tmp_path / "m.json",
                       "--max-bins", 16, "--quiet", *options)
    assert code == 0, err
    model = embedsum.load(tmp_path / "m.json")
    assert model.binning == params["binning"] and model.min_bin_count == params.get("min_bin_count", 5)
    if "auto" in options:
        from embedsum.estimators._cv import EmbeddingSumClassifierCV as direct_cls
        direct = direct_cls(cv=3, max_bins=16, categorical_features=[False, True, False], **params)
    else:
        direct = embedsum.EmbeddingSumClassifier(max_bins=16, categorical_features=[False, True, False], **params)
    direct.fit(X, targets["binary"])
    assert [c.tolist() for c in model.cuts_ if c is not None] == [c.tolist() for c in direct.cuts_ if c is not None]
    assert np.array_equal(model.decision_function(X), direct.decision_function(X))


@pytest.mark.parametrize(
    "kind, options, message",
    [
        ("binary", ["--categorical", "size"],
         r"column 'proto' has the non-numeric value '\w+' on line \d+; .* or declared categorical"),
        ("binary", ["--categorical", "size,nope"], r"no feature column\(s\) \['nope'\] to read as categorical"),
        ("binary", ["--categorical", "target"], "target column 'target' cannot also be a categorical feature"),
        ("binary", ["--task", "regression"], "target column 'target' has the non-numeric value '(attack|benign)' "
                                             "on data line 2; regression needs a number"),
        ("binary", ["--monotonic-cst", "proto=+1"], r"constrains the categorical column\(s\) \['proto'\]"),
        ("binary", ["--monotonic-cst", "nope=-1"], r"names columns that are not features: \['nope'\]"),
        ("multiclass", ["--monotonic-cst", "size=1"], "not supported for multiclass"),
        ("binary", ["--min-category-count", "0"], "min_category_count must be >= 1"),
    ],
)
def test_bad_fit_input_exits_1_with_a_message_that_says_what_is_wrong(kinds, tmp_path, capsys, kind, options,
                                                                      message):
    tmp = kinds[0]
    code, out, err = cli(capsys, "fit", tmp / f"{kind}.csv", "--target", "target", "-o", tmp_path / "m.json",
                         *options)
    assert code == 1
    assert err.startswith("embedsum: error: ") and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
    assert not (tmp_path / "m.json").exists()


@pytest.mark.parametrize("spec", ["size", "size=2", "size=+1,size=-1", "=1"])
def test_malformed_monotonic_cst_is_a_usage_error(kinds, tmp_path, capsys, spec):
    with pytest.raises(SystemExit) as exc:
        main(["fit", str(kinds[0] / "binary.csv"), "--target", "target", "-o", str(tmp_path / "m.json"),
              "--monotonic-cst", spec])
    assert exc.value.code == 2
    assert "--monotonic-cst" in capsys.readouterr().err


def test_predict_names_a_non_number_in_a_numeric_feature_of_a_categorical_model(kinds, tmp_path, capsys):
    tmp, X, _ = kinds
    assert cli(capsys, "fit", tmp / "binary.csv", "--target", "target", "-o", tmp_path / "m.json",
               "--max-bins", 8, "--quiet")[0] == 0
    bad = X[:4].copy()
    bad[2, 2] = "noon"
    _write_csv(tmp_path / "bad.csv", bad)
    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp_path / "bad.csv", "-o", tmp_path / "p.csv")
    assert code == 1
    assert "column 'hour' has the non-numeric value 'noon' on line 4" in err


def test_labels_with_commas_and_quotes_stay_one_csv_field(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.normal(size=120)
    labels = np.array(['say "no"', "yes, really", "maybe"])[np.digitize(x, [-0.5, 0.5])]
    with open(tmp_path / "d.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x", "answer"])
        writer.writerows([repr(float(v)), label] for v, label in zip(x, labels))
    assert cli(capsys, "fit", tmp_path / "d.csv", "--target", "answer", "-o", tmp_path / "m.json", "--quiet",
               "--max-bins", 16)[0] == 0
    code, _, err = cli(capsys, "predict", tmp_path / "m.json", tmp_path / "d.csv", "-o", tmp_path / "p.csv")
    assert code == 0, err
    rows = _read(tmp_path / "p.csv")
    assert rows[0] == ["proba_maybe", 'proba_say "no"', "proba_yes, really", "label"]
    assert all(len(r) == 4 for r in rows)
    predicted = [r[3] for r in rows[1:]]
    assert set(predicted) == set(labels.tolist())
    assert np.mean(np.array(predicted) == labels) > 0.8


def test_uncertainty_option_saves_standard_errors_that_show_prints(kinds, tmp_path, capsys):
    tmp, X, targets = kinds
    code, _, err = cli(capsys, "fit", tmp / "binary.csv", "--target", "target", "-o", tmp_path / "m.json",
                       "--max-bins", 8, "--step-loss-weight", 1.0, "--quiet", "--uncertainty")
    assert code == 0, err
    model = embedsum.load(tmp_path / "m.json")
    direct = embedsum.EmbeddingSumClassifier(max_bins=8, step_loss_weight=1.0, uncertainty=True,
                                             categorical_features=[False, True, False]).fit(X, targets["binary"])
    assert model.uncertainty is True
    for mine, theirs in zip(model.bin_scores_se_, direct.bin_scores_se_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9)
    code, out, err = cli(capsys, "show", tmp_path / "m.json")
    assert code == 0, err
    assert "±" in out and " p " in out
