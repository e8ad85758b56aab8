"""CSV reading without pandas: missing tokens, text columns as categories, the task of the target,
errors that name the column, chunked streaming."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedsum.cli._csv import iter_feature_chunks, read_training_csv
from embedsum.cli._csv_types import MAX_AUTO_CLASSES, NA_TOKENS, detect_task, parse_labels, parse_target


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_tokens_become_nan(tmp_path):
    tokens = ["", "NA", "n/a", "NaN", "null", "None", "?", " "]
    text = "x,y\n" + "".join(f"{t},1\n" for t in tokens) + "2.5,0\n"
    X, y, names, is_categorical, task = read_training_csv(write(tmp_path, text), "y")
    assert names == ["x"] and y.tolist() == [1] * len(tokens) + [0] and task == "classification"
    assert X.dtype == np.float64 and not is_categorical.any()
    assert np.isnan(X[:-1, 0]).all() and X[-1, 0] == 2.5
    assert "" in NA_TOKENS


def test_infinities_and_exact_floats_are_read(tmp_path):
    X = read_training_csv(write(tmp_path, "x,y\ninf,0\n-inf,1\n0.1,0\n-0.0,1\n"), "y").X
    assert X[:, 0].tolist()[:3] == [np.inf, -np.inf, 0.1] and np.signbit(X[3, 0])


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("x,y\n", "no data rows"),
        ("x,y\n1,2,3\n", "line 2 .* 3 fields"),
        ("x,x,y\n1,2,0\n", "duplicate column names"),
        ("x,y\n1,\n", "target is missing"),
        ("x,z\n1,0\n", "no column 'y'"),
        ("y\n1\n", "no feature columns"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_training_csv(write(tmp_path, text), "y")


@pytest.mark.parametrize(
    "text, options, message",
    [
        ("x,z,y\n1,abc,0\n", {"categorical": []}, "column 'z' has the non-numeric value 'abc' on line 2; "
                                                    ".* or declared categorical"),
        ("x,z,y\n1,abc,0\n", {"categorical": ["q"]}, r"no feature column\(s\) \['q'\] .* are \['x', 'z'\]"),
        ("x,z,y\n1,abc,0\n", {"categorical": ["y"]}, "target column 'y' cannot also be a categorical feature"),
        ("x,y\n1,cat\n2,3.5\n", {"task": "regression"}, "column 'y' has the non-numeric value 'cat' on data line 2"),
        ("x,y\n1,NA\n", {"task": "regression"}, "target is missing on data line 2"),
        ("x,y\n1,0\n", {"task": "clustering"}, "task must be one of"),
    ],
)
def test_bad_options_say_what_is_wrong(tmp_path, text, options, message):
    with pytest.raises(ValueError, match=message):
        read_training_csv(write(tmp_path, text), "y", **options)


def test_text_columns_are_categorical_and_keep_their_strings(tmp_path):
    text = "port,proto,size,y\n80,tcp,1.5,0\n443, udp ,NA,1\n80,,2,0\n22,NA,3,1\n"
    data = read_training_csv(write(tmp_path, text), "y")
    assert data.feature_names == ["port", "proto", "size"]
    assert data.is_categorical.tolist() == [False, True, False]
    assert data.X.dtype == object
    # text is stripped; empty and NA-like cells are missing (""), what embedsum.categories reads as missing
    assert data.X[:, 1].tolist() == ["tcp", "udp", "", ""]
    assert all(type(v) is str for v in data.X[:, 1])
    assert [type(v) for v in data.X[:, 0]] == [float] * 4 and np.isnan(data.X[1, 2])
    # a numeric column declared categorical keeps numbers: its categories compare as numbers
    declared = read_training_csv(write(tmp_path, text), "y", categorical=["port", "proto"])
    assert declared.is_categorical.tolist() == [True, True, False]
    assert declared.X[:, 0].tolist() == [80.0, 443.0, 80.0, 22.0]
    none = read_training_csv(write(tmp_path, "a,b,y\n1,2,0\n"), "y", categorical=[])
    assert none.X.dtype == np.float64 and none.X.tolist() == [[1.0, 2.0]]


def test_the_target_decides_the_task(tmp_path):
    regression = read_training_csv(write(tmp_path, "x,y\n1,0.5\n2,-3\n3,1e3\n"), "y")
    assert regression.task == "regression" and regression.y.dtype == np.float64
    assert regression.y.tolist() == [0.5, -3.0, 1000.0]
    labels = read_training_csv(write(tmp_path, "x,y\n1,2\n2,0\n3,1\n"), "y")
    assert labels.task == "classification" and labels.y.tolist() == [2, 0, 1]
    forced = read_training_csv(write(tmp_path, "x,y\n1,2\n2,0\n3,1\n"), "y", task="regression")
    assert forced.task == "regression" and forced.y.tolist() == [2.0, 0.0, 1.0]
    as_labels = read_training_csv(write(tmp_path, "x,y\n1,0.5\n2,1.5\n"), "y", task="classification")
    # a numeric target read as classes keeps numbers: "1" and "1.0" would be one class
    assert as_labels.task == "classification" and as_labels.y.tolist() == [0.5, 1.5]


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=60))
def test_integer_targets_are_classes_unless_they_have_many_values(values):
    expected = "classification" if len(set(values)) <= MAX_AUTO_CLASSES else "regression"
    assert detect_task([str(v) for v in values]) == expected
    assert detect_task([f"{float(v)!r}" for v in values]) == expected  # "3.0" is an integer too


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30),
       st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: not v.is_integer()))
def test_a_non_integer_number_makes_a_regression_target_read_exactly(values, fraction):
    cells = [repr(v) for v in values + [fraction]]
    y, task = parse_target(cells)
    assert task == "regression" and y.tolist() == values + [fraction]  # repr round-trips bit for bit


def test_text_targets_are_classes_whatever_their_count():
    assert detect_task([f"class{i}" for i in range(100)]) == "classification"
    assert detect_task(["1", "2", "three"]) == "classification"


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


def test_chunks_read_categorical_features_as_text_and_others_as_numbers(tmp_path):
    path = write(tmp_path, "a,host,b\n1, web ,2\n3,NA,\n5,,6\n7,db,8\n")
    blocks = list(iter_feature_chunks(path, ["host", "b"], 2, chunk_rows=3, is_categorical=[True, False]))
    assert [b.shape for b in blocks] == [(3, 2), (1, 2)] and all(b.dtype == object for b in blocks)
    rows = np.vstack(blocks)
    assert rows[:, 0].tolist() == ["web", "", "", "db"]
    assert rows[[0, 2, 3], 1].tolist() == [2.0, 6.0, 8.0] and np.isnan(rows[1, 1])
    # a numeric feature still refuses text, naming the column and the line
    with pytest.raises(ValueError, match="column 'host' has the non-numeric value 'web' on line 2"):
        list(iter_feature_chunks(path, ["host", "b"], 2, is_categorical=[False, False]))
    with pytest.raises(ValueError, match="chunk_rows must be >= 1"):
        list(iter_feature_chunks(path, ["b"], 1, chunk_rows=0))
