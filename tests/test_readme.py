"""The Python examples in README.md run and print what the text says."""

import contextlib
import io
import pathlib
import re
import warnings

import pytest

from embedsum import ConvergenceWarning

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        exec(compile(BLOCKS[index], f"README block {index}", "exec"), {"__name__": "readme"})
    assert out.getvalue().strip()
    # a printed comparison claimed True in the README must be True
    assert "False" not in out.getvalue()
