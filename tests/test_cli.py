"""The command line and the demo."""

import subprocess
import sys

from conftest import python_env
from embedsum.cli import main
from embedsum.cli._demo import run_demo, stratified_split


def test_demo_reports_quality_and_importances():
    lines = []
    result = run_demo(top=5, out=lines.append)
    assert result["test_auc"] > 0.97
    assert result["test_log_loss"] < 0.3
    assert sum(line.startswith("   ") and "." in line for line in lines) == 5
    assert any(line.startswith("fit (EmbeddingSumClassifierCV") for line in lines)
    assert any(line.startswith("published defaults (EmbeddingSumClassifier())") for line in lines)
    # the recommended model generalises at least as well as the published defaults here
    assert result["test_log_loss"] <= result["published"]["test_log_loss"]


def test_stratified_split_keeps_class_ratio_and_covers_all_rows():
    import numpy as np

    y = np.array([0] * 70 + [1] * 30)
    train, test = stratified_split(y, 0.3, seed=1)
    assert len(np.intersect1d(train, test)) == 0
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(100))
    assert (y[test] == 1).sum() == 9 and (y[test] == 0).sum() == 21


def test_python_dash_m_demo_runs_in_a_fresh_process():
    out = subprocess.run(
        [sys.executable, "-m", "embedsum", "demo", "--top", "3"], capture_output=True, text=True, timeout=120,
        env=python_env(),
    )
    assert out.returncode == 0, out.stderr
    assert "test AUC" in out.stdout
    assert out.stderr == ""


def test_unknown_command_is_a_usage_error(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["nonsense"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
