"""Inputs mean what they say: data frames of every kind, object columns, dates, labels.

polars DataFrames, pyarrow Tables and any object offering an Arrow stream
(``__arrow_c_stream__``) or the dataframe interchange protocol (``__dataframe__``) are read
column by column: numbers stay numbers (missing values as NaN), text, categories and booleans
are categorical, the column names are kept, at fit and at predict time. A pandas object
column holding only numbers is numbers. Dates, times and durations are a TypeError that
says how to convert them. Labels given as numpy strings are the same labels as Python strings.
"""

import datetime
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from conftest import python_env
from numpy.testing import assert_array_equal

from embedsum import (
    EmbeddingSumClassifier,
    EmbeddingSumClassifierCV,
    EmbeddingSumRegressor,
)
from embedsum._frames import as_frame, feature_names_of
from embedsum._validation import check_array

N = 240


def _columns(seed=0, n=N):
    rng = np.random.default_rng(seed)
    count = rng.integers(0, 6, n).astype(float)
    count[rng.random(n) < 0.1] = np.nan  # an integer column with missing values
    return {
        "bytes": rng.normal(size=n),
        "count": count,
        "proto": rng.choice(["tcp", "udp", "icmp"], size=n).astype(object),
        "flag": rng.random(n) < 0.5,
    }


def _target(columns):
    return (columns["bytes"] + (columns["proto"] == "udp") > 0.3).astype(int)


def _polars(columns):
    count = [None if np.isnan(v) else int(v) for v in columns["count"]]
    return pl.DataFrame({"bytes": columns["bytes"], "count": pl.Series(count, dtype=pl.Int64),
                         "proto": columns["proto"].tolist(), "flag": columns["flag"]})


def _pandas(columns):
    return pd.DataFrame({"bytes": columns["bytes"], "count": pd.array(
        [None if np.isnan(v) else int(v) for v in columns["count"]], dtype="Int64"),
        "proto": columns["proto"], "flag": columns["flag"]})


class ArrowStreamOnly:
    """A table known only by its Arrow C stream (what duckdb, nanoarrow and others offer)."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


class InterchangeOnly:
    """A table known only by the dataframe interchange protocol."""

    def __init__(self, table):
        self._table = table

    def __dataframe__(self, nan_as_null=False, allow_copy=True):
        return self._table.__dataframe__(nan_as_null=nan_as_null, allow_copy=allow_copy)


FRAMES = {
    "polars": lambda c: _polars(c),
    "pyarrow": lambda c: _polars(c).to_arrow(),
    "arrow-stream": lambda c: ArrowStreamOnly(_polars(c).to_arrow()),
    "interchange": lambda c: InterchangeOnly(_polars(c).to_arrow()),
}


@pytest.fixture(scope="module")
def reference():
    """The model fitted on the same data as a pandas DataFrame (its reading was already right)."""
    columns = _columns()
    return EmbeddingSumClassifier(max_bins=8, min_category_count=5).fit(_pandas(columns), _target(columns))


@pytest.mark.parametrize("kind", list(FRAMES))
def test_frame_numbers_stay_numbers_text_is_categorical_and_names_are_kept(kind, reference):
    columns = _columns()
    X = FRAMES[kind](columns)
    model = EmbeddingSumClassifier(max_bins=8, min_category_count=5).fit(X, _target(columns))
    assert model.is_categorical_.tolist() == [False, False, True, True]
    assert model.feature_names_in_.tolist() == ["bytes", "count", "proto", "flag"]
    assert model.cuts_[1] is not None and model.bin_weights_[1][-1] > 0  # missing counts use the missing bin
    assert model.categories_[2].tolist() == ["icmp", "tcp", "udp"]
    assert model.categories_[3].tolist() == ["False", "True"]
    for ours, theirs in zip(model.cuts_, reference.cuts_):
        assert (ours is None and theirs is None) or np.array_equal(ours, theirs)
    # At predict time, every kind of frame reads the same: numpy arrays of the same values too.
    X_test = FRAMES[kind](_columns(seed=1))
    expected = reference.decision_function(_pandas(_columns(seed=1)))
    assert_array_equal(model.decision_function(X_test), expected)
    assert_array_equal(reference.decision_function(X_test), expected)


@pytest.mark.parametrize("kind", list(FRAMES))
def test_frame_feature_names_are_checked_at_predict_time(kind, reference):
    columns = _columns()
    swapped = {name: columns[name] for name in ["count", "bytes", "proto", "flag"]}
    table = pl.DataFrame({k: (v.tolist() if v.dtype == object else v) for k, v in swapped.items()}).to_arrow()
    X = {"polars": pl.from_arrow(table), "pyarrow": table, "arrow-stream": ArrowStreamOnly(table),
         "interchange": InterchangeOnly(table)}[kind]
    assert feature_names_of(X).tolist() == ["count", "bytes", "proto", "flag"]
    with pytest.raises(ValueError, match="same names come in another order"):
        reference.predict(X)


def test_polars_numeric_frame_fits_a_numeric_model_like_its_numpy_array():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    frame = pl.DataFrame(X, schema=["a", "b", "c"])
    model = EmbeddingSumClassifier(max_bins=8).fit(frame, y)
    plain = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    assert not model.is_categorical_.any()
    assert_array_equal(model.decision_function(frame), plain.decision_function(X))
    assert_array_equal(check_array(frame), X)


def test_polars_regressor_and_cross_validated_estimator_read_frames_alike():
    columns = _columns(seed=3)
    X = _polars(columns)
    y = columns["bytes"] * 2.0
    regressor = EmbeddingSumRegressor(max_bins=8, min_category_count=5).fit(X, y)
    assert regressor.is_categorical_.tolist() == [False, False, True, True]
    cv = EmbeddingSumClassifierCV(step_loss_weights=2, cv=3, max_bins=8, min_category_count=5).fit(
        X, _target(columns))
    assert cv.is_categorical_.tolist() == [False, False, True, True]
    assert cv.feature_names_in_.tolist() == ["bytes", "count", "proto", "flag"]


def test_polars_category_enum_and_null_columns():
    n = 60
    X = pl.DataFrame({
        "cat": pl.Series(["a", "b", None] * 20).cast(pl.Categorical),
        "enum": pl.Series(["x", "y"] * 30).cast(pl.Enum(["x", "y"])),
        "empty": pl.Series([None] * n, dtype=pl.Null),
        "small": pl.Series(list(range(n)), dtype=pl.UInt8),
    })
    frame = as_frame(X)
    assert frame.text.tolist() == [True, True, False, False]
    assert np.isnan(frame.columns[2]).all() and frame.columns[3].dtype == np.float64
    model = EmbeddingSumClassifier(min_category_count=1).fit(X, [0, 1, 1] * 20)
    assert model.categories_[0].tolist() == ["a", "b"] and model.categories_[1].tolist() == ["x", "y"]


def test_embedsum_imports_no_frame_library_for_arrays():
    code = (
        "import sys, numpy as np\n"
        "import embedsum\n"
        "X = np.random.default_rng(0).normal(size=(100, 2)); y = X[:, 0] > 0\n"
        "m = embedsum.EmbeddingSumClassifier(max_bins=4).fit(X, y); m.predict(X)\n"
        "Xo = np.array([[1.0, 'a'], [2.0, 'b']] * 20, dtype=object)\n"
        "embedsum.EmbeddingSumClassifier(max_bins=4, min_category_count=1).fit(Xo, [0, 1] * 20).predict(Xo)\n"
        "print(sorted(m for m in ('polars', 'pyarrow', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=python_env())
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------------------------
# pandas object columns and nullable dtypes
# ----------------------------------------------------------------------------------------------


def test_pandas_object_column_of_numbers_is_numeric_as_in_an_array():
    rng = np.random.default_rng(4)
    values = rng.normal(size=N)
    column = values.astype(object)
    column[::10] = None
    column[5::10] = np.nan
    X = pd.DataFrame({"number": column, "text": rng.choice(["a", "b"], N).astype(object)})
    y = (values > 0).astype(int)
    model = EmbeddingSumClassifier(max_bins=8, min_category_count=1).fit(X, y)
    assert model.is_categorical_.tolist() == [False, True]
    as_array = EmbeddingSumClassifier(max_bins=8, min_category_count=1).fit(X.to_numpy(), y)
    assert as_array.is_categorical_.tolist() == [False, True]
    assert_array_equal(model.cuts_[0], as_array.cuts_[0])
    assert_array_equal(model.decision_function(X), as_array.decision_function(X.to_numpy()))


def test_simple_imputer_pandas_output_is_read_as_numbers():
    from sklearn.impute import SimpleImputer

    rng = np.random.default_rng(5)
    raw = pd.DataFrame({"a": pd.Series(rng.normal(size=N), dtype=object),
                        "b": pd.Series(rng.integers(0, 9, N), dtype=object)})
    raw.iloc[::7, 0] = None
    imputed = SimpleImputer(strategy="most_frequent").set_output(transform="pandas").fit_transform(raw)
    assert (imputed.dtypes == object).all()  # what the imputer returns for object input
    y = (raw["b"].to_numpy(dtype=float) > 4).astype(int)
    model = EmbeddingSumClassifier(max_bins=8).fit(imputed, y)
    assert not model.is_categorical_.any()
    assert all(c is not None and len(c) > 1 for c in model.cuts_)
    assert model.score(imputed, y) > 0.9


def test_pandas_nullable_numbers_are_numbers_with_missing_values():
    X = pd.DataFrame({"i": pd.array([1, None, 3, 4] * 25, dtype="Int64"),
                      "f": pd.array([0.5, 1.5, None, 2.5] * 25, dtype="Float64")})
    arr = check_array(X)
    assert arr.dtype == np.float64 and np.isnan(arr[1, 0]) and np.isnan(arr[2, 1]) and arr[0, 0] == 1.0
    model = EmbeddingSumClassifier(max_bins=4).fit(X, [0, 1] * 50)
    assert not model.is_categorical_.any()
    assert model.predict(X).shape == (100,)


def test_numeric_model_reads_a_pandas_object_column_of_numbers_at_predict_time():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(100, 2))
    model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
    frame = pd.DataFrame(X.astype(object))
    frame.iloc[0, 1] = pd.NA
    expected = model.decision_function(np.where(np.arange(2) == 1, np.nan, X[:1]))
    assert_array_equal(model.decision_function(frame)[:1], expected)


# ----------------------------------------------------------------------------------------------
# Dates, times and durations
# ----------------------------------------------------------------------------------------------

_days = pd.date_range("2024-01-01", periods=40, freq="D")
DATES = {
    "pandas datetime64": lambda: pd.DataFrame({"t": _days, "x": np.arange(40.0)}),
    "pandas datetimetz": lambda: pd.DataFrame({"t": _days.tz_localize("UTC"), "x": np.arange(40.0)}),
    "pandas timedelta": lambda: pd.DataFrame({"t": _days - _days[0], "x": np.arange(40.0)}),
    "pandas period": lambda: pd.DataFrame({"t": _days.to_period("D"), "x": np.arange(40.0)}),
    "pandas category of dates": lambda: pd.DataFrame({"t": pd.Categorical(_days), "x": np.arange(40.0)}),
    "python datetime objects": lambda: np.array([[d.to_pydatetime(), 1.0] for d in _days], dtype=object),
    "python dates in pandas": lambda: pd.DataFrame({"t": [d.date() for d in _days], "x": np.arange(40.0)}),
    "numpy datetime64": lambda: np.array(_days.to_numpy()).reshape(-1, 1),
    "numpy timedelta64": lambda: (np.array(_days.to_numpy()) - np.datetime64("2024-01-01")).reshape(-1, 1),
    "polars datetime": lambda: pl.DataFrame({"t": _days.to_pydatetime(), "x": np.arange(40.0)}),
    "polars date": lambda: pl.DataFrame({"t": [d.date() for d in _days], "x": np.arange(40.0)}),
    "polars duration": lambda: pl.DataFrame({"t": [datetime.timedelta(hours=i) for i in range(40)]}),
    "arrow timestamp": lambda: pa.table({"t": pa.array(_days.to_pydatetime()), "x": np.arange(40.0)}),
}


@pytest.mark.parametrize("kind", list(DATES))
@pytest.mark.parametrize("categorical_features", ["auto", None])
def test_dates_are_a_type_error_that_says_how_to_convert_them(kind, categorical_features):
    X = DATES[kind]()
    with pytest.raises(TypeError, match=r"dates, times or durations(.|\n)*timestamp(.|\n)*day of the week"):
        EmbeddingSumClassifier(categorical_features=categorical_features).fit(X, [0, 1] * 20)


@pytest.mark.parametrize("kind", ["pandas datetime64", "polars datetime", "python datetime objects"])
def test_dates_at_predict_time_are_the_same_type_error(kind):
    X = DATES[kind]()
    numeric = np.column_stack([np.arange(40.0), np.arange(40.0)])[:, :np.shape(X)[1]]
    model = EmbeddingSumClassifier(max_bins=4).fit(numeric, [0, 1] * 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fitted without column names: a warning, then the error
        with pytest.raises(TypeError, match="dates, times or durations"):
            model.predict(X)


def test_a_date_declared_categorical_is_the_same_type_error():
    X = np.array([[datetime.date(2024, 1, i + 1), "a"] for i in range(20)], dtype=object)
    with pytest.raises(TypeError, match="dates, times or durations"):
        EmbeddingSumClassifier(categorical_features=[0, 1]).fit(X, [0, 1] * 10)


# ----------------------------------------------------------------------------------------------
# Labels
# ----------------------------------------------------------------------------------------------


def test_numpy_strings_and_python_strings_are_the_same_labels():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 2))
    labels = np.where(X[:, 0] > 0, "attack", "benign")
    y = np.array([str(v) if i % 2 else np.str_(v) for i, v in enumerate(labels)], dtype=object)
    assert {type(v) for v in y} == {str, np.str_}
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    assert model.classes_.tolist() == ["attack", "benign"]
    assert all(type(c) is str for c in model.classes_)
    assert_array_equal(model.predict(X), EmbeddingSumClassifier(max_bins=6).fit(X, labels).predict(X))
    assert model.score(X, y) == model.score(X, labels)
    series = pd.Series(y)  # the same labels in a pandas object column
    assert EmbeddingSumClassifier(max_bins=6).fit(X, series).classes_.tolist() == ["attack", "benign"]


def test_numpy_scalar_numbers_mixed_with_python_numbers_are_numbers():
    y = np.array([np.int64(0), 1, np.float64(0.0), 1] * 10, dtype=object)
    model = EmbeddingSumClassifier(max_bins=4).fit(np.arange(40.0)[:, None], y)
    assert model.classes_.tolist() == [0, 1]


def test_pandas_missing_label_is_a_clear_error():
    y = pd.array([True, False, None, True] * 10, dtype="boolean")
    with pytest.raises(ValueError, match="contains NaN or None"):
        EmbeddingSumClassifier().fit(np.arange(40.0)[:, None], y)


def test_labels_from_frame_libraries():
    X = np.arange(40.0)[:, None]
    for y in (pl.Series(["a", "b"] * 20), pa.chunked_array([["a", "b"] * 20])):
        assert EmbeddingSumClassifier(max_bins=4).fit(X, y).classes_.tolist() == ["a", "b"]
