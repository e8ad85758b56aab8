"""CSV reading without pandas: missing tokens, errors that name the column, chunked streaming."""

import numpy as np
import pytest

from embedsum.csvio import NA_TOKENS, iter_feature_chunks, parse_labels, read_training_csv


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_tokens_become_nan(tmp_path):
    tokens = ["", "NA", "n/a", "NaN", "null", "None", "?", " "]
    text = "x,y\n" + "".join(f"{t},1\n" for t in tokens) + "2.5,0\n"
    X, y, names = read_training_csv(write(tmp_path, text), "y")
    assert names == ["x"] and y.tolist() == [1] * len(tokens) + [0]
    assert np.isnan(X[:-1, 0]).all() and X[-1, 0] == 2.5
    assert "" in NA_TOKENS


def test_infinities_and_exact_floats_are_read(tmp_path):
    X, _, _ = read_training_csv(write(tmp_path, "x,y\ninf,0\n-inf,1\n0.1,0\n-0.0,1\n"), "y")
    assert X[:, 0].tolist()[:3] == [np.inf, -np.inf, 0.1] and np.signbit(X[3, 0])


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("x,y\n", "no data rows"),
        ("x,y\n1,2,3\n", "line 2 .* 3 fields"),
        ("x,x,y\n1,2,0\n", "duplicate column names"),
        ("x,y\nabc,0\n", "column 'x' has the non-numeric value 'abc' on line 2"),
        ("x,y\n1,\n", "target is missing"),
        ("x,z\n1,0\n", "no column 'y'"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_training_csv(write(tmp_path, text), "y")


def test_labels_are_ints_when_all_are_else_strings():
    assert parse_labels(["0", "1"]).dtype.kind == "i"
    assert parse_labels(["0", "yes"]).tolist() == ["0", "yes"]


def test_chunks_pick_columns_by_name_and_bound_memory(tmp_path):
    rows = "".join(f"{i},{-i},x{i}\n" for i in range(10))
    path = write(tmp_path, "a,b,host\n" + rows)
    blocks = list(iter_feature_chunks(path, ["b", "a"], 2, chunk_rows=4))
    assert [len(b) for b in blocks] == [4, 4, 2]
    assert np.vstack(blocks)[:, 1].tolist() == list(range(10))
    with pytest.raises(ValueError, match="lacks the model's feature columns"):
        list(iter_feature_chunks(path, ["c"], 1))
    with pytest.raises(ValueError, match="3 columns; the model expects 2"):
        list(iter_feature_chunks(path, None, 2))
