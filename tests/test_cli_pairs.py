"""The command line with pair terms: fit --interactions, show and explain print the pairs (docs/design.md#pair-terms)."""

import csv
import subprocess
import sys

import numpy as np
import pytest
from conftest import python_env

import embedsum
from embedsum.cli._main import main
from embedsum.inspection._describe_pairs import pair_axis_labels

# The tests score a plain row with the model fitted on named columns, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A CSV whose label is an interaction of a and b (b with empty cells), and a model fitted on it by the CLI."""
    tmp = tmp_path_factory.mktemp("cli_pairs")
    rng = np.random.default_rng(0)
    n = 1500
    a, b, c = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    proto = rng.choice(["tcp", "udp", "icmp"], size=n)
    hole = rng.random(n) < 0.05
    logit = 2.5 * np.sign(a) * np.sign(b) + 0.5 * c
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "bad", "good")
    with open(tmp / "train.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "a", "b", "c", "proto"])
        for row in zip(y, a, b, c, proto, hole):
            writer.writerow([row[0], repr(float(row[1])), "" if row[5] else repr(float(row[2])),
                             repr(float(row[3])), row[4]])
    return tmp


@pytest.fixture(scope="module")
def fitted(workdir):
    """The fit run as a command (a subprocess: its progress lines are its own standard output)."""
    done = subprocess.run([sys.executable, "-m", "embedsum", "fit", str(workdir / "train.csv"), "--target", "label",
                           "-o", str(workdir / "model.json"), "--interactions", "1", "--interaction-bins", "4",
                           "--max-bins", "8"], capture_output=True, text=True, timeout=300, env=python_env())
    assert done.returncode == 0, done.stderr
    return done.returncode, done.stdout, embedsum.load(workdir / "model.json")


def test_fit_with_interactions_finds_the_pair(fitted):
    status, out, model = fitted
    assert status == 0
    assert model.pairs_ == [(0, 1)] and model.get_params()["interaction_bins"] == 4
    assert all(len(cuts) <= 3 for cuts in model.pair_cuts_[0])  # at most 4 interval bins per axis
    assert "x 4 features (1 categorical) and 1 pair in" in out.splitlines()[-1]


def test_show_lists_the_pair(workdir, fitted, capsys):
    assert main(["show", str(workdir / "model.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("pairs by importance (MIRAD); the decision adds one cell of each pair's table;")
    model = fitted[2]
    assert lines[start + 2] == f"  1. a × b  importance {model.pair_importances_[0]:.4f}"
    assert " × " in lines[start + 3] and "%" in lines[start + 3]


@pytest.mark.parametrize("row", [0, 1, 2])
def test_explain_prints_each_term_with_the_pairs_cell(workdir, fitted, capsys, row):
    assert main(["explain", str(workdir / "model.json"), str(workdir / "train.csv"), "--row", str(row)]) == 0
    lines = capsys.readouterr().out.splitlines()
    model = fitted[2]
    terms = {line[2:34].rstrip(): line[34:].split() for line in lines[2:]}
    assert sorted(terms) == sorted(["a", "b", "c", "proto", "a × b"])
    with open(workdir / "train.csv", newline="") as f:
        record = list(csv.DictReader(f))[row]
    X = np.array([[float(record["a"]), float(record["b"] or "nan"), float(record["c"]), record["proto"]]],
                 dtype=object)
    scores = model.row_scores(X)[0]
    assert terms["a × b"][0] == f"{scores[4]:+.6g}" and terms["a"][0] == f"{scores[0]:+.6g}"
    labels = pair_axis_labels(model, 0, short=True)
    code_a = int(np.searchsorted(model.pair_cuts_[0][0], float(record["a"]), side="left"))
    code_b = (len(model.pair_cuts_[0][1]) + 1 if record["b"] == "" else
              int(np.searchsorted(model.pair_cuts_[0][1], float(record["b"]), side="left")))
    assert " ".join(terms["a × b"][1:]) == f"cell {labels[0][code_a]} × {labels[1][code_b]}"
    # the largest contribution comes first
    assert lines[2][34:].split()[0] == f"{scores[np.argmax(np.abs(scores))]:+.6g}"


def test_a_negative_number_of_interactions_is_a_usage_error(workdir, capsys):
    with pytest.raises(SystemExit) as err:
        main(["fit", str(workdir / "train.csv"), "--target", "label", "-o", str(workdir / "never.json"),
              "--interactions", "-1"])
    assert err.value.code == 2
    assert not (workdir / "never.json").exists()


def test_recourse_refuses_a_pair_model_in_one_line(workdir, fitted, capsys):
    assert main(["recourse", str(workdir / "model.json"), str(workdir / "train.csv"), "--row", "0"]) == 1
    err = capsys.readouterr().err
    assert "pair terms are not supported by recourse" in err and len(err.strip().splitlines()) == 1
