"""The audit and recourse commands: the report in 80 columns, exact recourse for one row, clear
errors, no file written, and hostile CSV text printed escaped."""

import csv

import numpy as np
import pytest

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.audit import counterfactuals, group_report
from embedsum.cli import main
from embedsum.datasets import load_german_credit


def cli(capsys, *args):
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    X, y, names = load_german_credit(as_frame=True)
    X, y = X.iloc[:300], y[:300]
    model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    model.save(tmp / "model.json")
    EmbeddingSumRegressor(max_bins=6).fit(X, X["age"]).save(tmp / "regressor.json")
    hostile = np.where(np.arange(300) % 3 == 0, "\x1b[2Jevil,\"quoted\"", X["sex"].to_numpy())
    with open(tmp / "data.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*names, "credit", "origin"])
        for row, label, origin in zip(X.itertuples(index=False), y, hostile):
            writer.writerow([*("" if v != v else v for v in row), label, origin])
    return tmp, model, X, y, hostile


def test_audit_prints_the_report_of_the_api(files, capsys):
    tmp, model, X, y, _ = files
    before = sorted(p.name for p in tmp.iterdir())
    code, out, err = cli(capsys, "audit", tmp / "model.json", tmp / "data.csv", "--group", "sex",
                         "--target", "credit", "--bootstrap", "30", "--threshold", "0.6")
    assert code == 0, err
    expected = group_report(model, X, y, "sex", threshold=0.6, n_bootstrap=30).to_text()
    assert out.rstrip("\n") == expected
    assert max(len(line) for line in out.splitlines()) <= 80
    assert sorted(p.name for p in tmp.iterdir()) == before  # nothing written
    code, out, err = cli(capsys, "audit", tmp / "model.json", tmp / "data.csv", "--group", "sex", "--bootstrap", "0")
    assert code == 0 and "selection rate" in out and "AUC" not in out


def test_audit_escapes_hostile_group_labels(files, capsys):
    tmp, *_ = files
    code, out, err = cli(capsys, "audit", tmp / "model.json", tmp / "data.csv", "--group", "origin",
                         "--target", "credit", "--bootstrap", "0")
    assert code == 0, err
    assert "\x1b" not in out and "\\x1b[2Jevil" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_audit_of_a_regressor(files, capsys):
    tmp, *_ = files
    code, out, err = cli(capsys, "audit", tmp / "regressor.json", tmp / "data.csv", "--group", "sex",
                         "--target", "age", "--bootstrap", "0")
    assert code == 0, err
    assert "RMSE" in out and "MAE" in out


def test_recourse_prints_the_counterfactuals_of_the_api(files, capsys):
    tmp, model, X, _, _ = files
    row = int(np.flatnonzero(model.predict(X) == "bad")[0])
    code, out, err = cli(capsys, "recourse", tmp / "model.json", tmp / "data.csv", "--row", row,
                         "--immutable", "sex,age", "--k", "2")
    assert code == 0, err
    found = counterfactuals(model, X.iloc[row].to_dict(), immutable=["sex", "age"], k=2)
    assert out.splitlines()[0] == f"row {row}"
    assert "\n".join(out.splitlines()[1:]) == found.to_text()
    assert out.count("cost ") == len(found) and "sex:" not in out and "age:" not in out


@pytest.mark.parametrize("args,code,message", [
    (["audit", "{m}", "{d}", "--group", "nope"], 1, "no column 'nope'"),
    (["audit", "{m}", "{d}", "--group", "sex", "--threshold", "1.5"], 2, "strictly between 0 and 1"),
    (["audit", "{m}", "{d}", "--group", "sex", "--target", "origin"], 1, "labels the model does not know"),
    (["recourse", "{m}", "{d}", "--row", "999"], 1, "past the end"),
    (["recourse", "{m}", "{d}", "--row", "0", "--immutable", "zz"], 1, "unknown feature"),
    (["recourse", "{m}", "{d}", "--row", "0", "--target", "maybe"], 1, "not a class"),
    (["recourse", "{r}", "{d}", "--row", "0"], 1, "binary classifier"),
])
def test_errors_are_one_line(files, capsys, args, code, message):
    tmp, *_ = files
    args = [a.format(m=tmp / "model.json", d=tmp / "data.csv", r=tmp / "regressor.json") for a in args]
    status, out, err = cli(capsys, *args)
    assert status == code and message in err and "Traceback" not in err
    if code == 1:
        assert err.startswith("embedsum: error: ") and err.count("\n") == 1
