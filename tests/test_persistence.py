"""The JSON model format (design.md, section 3 "Persistence" and "Bad input").

- a saved model loads back as an ordinary EmbeddingSumClassifier: same parameters, same
  fitted attributes (values, dtypes and bits), bit-identical decision values, for every
  kind of label, with and without feature names, with missing-value bins and -inf cuts;
- the same model always gives the same bytes;
- every damaged or hostile document raises a ValueError that names the problem, fast;
- random mutations of valid documents (structure and bytes) either load as a working model
  or raise ValueError, never anything else, each in well under a second;
- loading and predicting need neither scipy nor pickle.
"""

import ast
import copy
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import embedsum
from embedsum import EmbeddingSumClassifier, NotFittedError
from embedsum.persistence import MAX_BINS_PER_FEATURE, MAX_FEATURES, from_json, load, save, to_json
from embedsum.regularizers import Regularizer

PACKAGE_DIR = Path(embedsum.__file__).resolve().parent
REJECTED = r"embedsum model document rejected: "


def _data(seed=0, n=240, d=3):
    """Rows with missing values in column 1 and a column 2 made mostly of -inf (a -inf cut)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[::6, 1] = np.nan
    X[: int(0.6 * n), 2] = -np.inf
    signal = X[:, 0] + 0.5 * np.nan_to_num(X[:, 1]) + 0.3 * rng.normal(size=n)
    return X, signal > 0


X_FIT, POSITIVE = _data()
LABELS = {
    "bool": POSITIVE,
    "int64": POSITIVE.astype(np.int64) * 7 - 3,
    "int32": POSITIVE.astype(np.int32),
    "uint8": POSITIVE.astype(np.uint8) + 250,
    "float64": np.where(POSITIVE, 2.0, -1.0),
    "float32": np.where(POSITIVE, 2.0, 1.0).astype(np.float32),
    "str": np.where(POSITIVE, "attack", "benign"),
    "wide str": np.where(POSITIVE, "attack", "benign").astype("<U20"),
    "unicode str": np.where(POSITIVE, "angriff\u00e9\u4e2d", "\U0001f600 ok"),
    "object str": np.where(POSITIVE, "attack", "benign").astype(object),
    "object int": np.where(POSITIVE, 1, 0).astype(object),
    "bytes": np.where(POSITIVE, b"attack\xff", b"benign"),
}


def _fit(labels="str", frame=False, **params):
    X = X_FIT
    if frame:
        import pandas as pd

        X = pd.DataFrame(X_FIT, columns=["bytes_written", "files renamed", "entropy \u00e9"])
    return EmbeddingSumClassifier(max_bins=6, **params).fit(X, LABELS[labels])


@pytest.fixture(scope="module")
def model():
    return _fit("int64")


@pytest.fixture(scope="module")
def doc(model):
    return json.loads(to_json(model))


def _rows(n_features, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, n_features)) * 2
    X[0] = np.nan
    X[1] = np.inf
    X[2] = -np.inf
    return X


def _bits(values):
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64)).view(np.uint64)


def assert_same_model(loaded, original):
    assert type(loaded) is EmbeddingSumClassifier
    expected_params = original.get_params()
    if expected_params["regularizers"]:
        expected_params["regularizers"] = None  # custom regularisers are documented as not restored
    assert loaded.get_params() == expected_params
    assert loaded.classes_.dtype == original.classes_.dtype
    assert loaded.classes_.tolist() == original.classes_.tolist()
    assert [type(v) for v in loaded.classes_.tolist()] == [type(v) for v in original.classes_.tolist()]
    assert type(loaded.n_features_in_) is int and loaded.n_features_in_ == original.n_features_in_
    assert hasattr(loaded, "feature_names_in_") == hasattr(original, "feature_names_in_")
    if hasattr(original, "feature_names_in_"):
        assert loaded.feature_names_in_.dtype == original.feature_names_in_.dtype
        assert loaded.feature_names_in_.tolist() == original.feature_names_in_.tolist()
    assert type(loaded.intercept_) is float
    assert _bits(loaded.intercept_) == _bits(original.intercept_)
    for name in ("cuts_", "bin_scores_", "bin_weights_"):
        got, want = getattr(loaded, name), getattr(original, name)
        assert isinstance(got, list) and len(got) == len(want)
        for a, b in zip(got, want):
            assert a.dtype == b.dtype == np.float64 and a.shape == b.shape
            assert np.array_equal(_bits(a), _bits(b))
    assert loaded.feature_importances_.dtype == original.feature_importances_.dtype
    assert np.array_equal(_bits(loaded.feature_importances_), _bits(original.feature_importances_))
    assert type(loaded.n_iter_) is int and loaded.n_iter_ == original.n_iter_
    assert list(loaded.history_) == list(original.history_)
    for key, values in original.history_.items():
        assert loaded.history_[key].dtype == values.dtype
        assert np.array_equal(_bits(loaded.history_[key]), _bits(values))
    X = _rows(original.n_features_in_)
    X[3] = np.concatenate([c[:1] for c in original.cuts_])  # exactly on cut points
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy X for a model fitted on a DataFrame
        assert np.array_equal(loaded.decision_function(X).view(np.uint64),
                              original.decision_function(X).view(np.uint64))
        assert np.array_equal(loaded.predict_proba(X).view(np.uint64), original.predict_proba(X).view(np.uint64))
        got, want = loaded.predict(X), original.predict(X)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


# ----------------------------------------------------------------------------------------------
# Round trips
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", list(LABELS))
@pytest.mark.parametrize("frame", [False, True], ids=["array", "dataframe"])
def test_round_trip_keeps_everything(labels, frame):
    original = _fit(labels, frame=frame)
    text = original.to_json()
    loaded = embedsum.from_json(text)
    assert_same_model(loaded, original)
    assert loaded.to_json() == text  # deterministic: same model, same bytes
    assert embedsum.from_json(text.encode("ascii")).to_json() == text


def test_document_fields(model, doc):
    assert list(doc) == ["format", "format_version", "library_version", "kind", "params", "custom_regularizers",
                         "n_features", "feature_names", "classes", "classes_dtype", "intercept", "cuts",
                         "bin_scores", "bin_weights", "n_iter", "history"]
    assert doc["format"] == "embedsum" and doc["format_version"] == 1
    assert doc["library_version"] == embedsum.__version__
    assert doc["kind"] == "EmbeddingSumClassifier"
    assert doc["params"] == {**model.get_params(), "regularizers": None}
    assert doc["feature_names"] is None and doc["classes"] == [-3, 4] and doc["classes_dtype"] == "int64"
    assert "feature_importances" not in doc  # recomputed on load, bit for bit (checked above)
    assert set(doc["history"]) == set(model.history_)


def test_missing_bins_and_minus_inf_cut_round_trip(model, doc):
    # column 1 has NaN: its missing-value bin has weight and a fitted score
    assert model.bin_weights_[1][-1] > 0 and doc["bin_weights"][1][-1] == model.bin_weights_[1][-1]
    # column 2 is mostly -inf: its first cut is -inf, written as the string "-inf" (first place only)
    assert model.cuts_[2][0] == -np.inf
    assert doc["cuts"][2][0] == "-inf" and all(isinstance(c, float) for c in doc["cuts"][2][1:])
    assert "Infinity" not in to_json(model) and "NaN" not in to_json(model)
    loaded = from_json(to_json(model))
    X = np.array([[0.0, np.nan, -np.inf], [0.0, 1.0, -1e308], [0.0, np.nan, np.inf]])
    assert np.array_equal(loaded.decision_function(X).view(np.uint64), model.decision_function(X).view(np.uint64))


def test_save_and_load_files(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    assert_same_model(embedsum.load(path), model)
    save(model, str(tmp_path / "again.json"))
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
    assert path.read_bytes().decode("ascii") == model.to_json()
    assert_same_model(load(str(path)), model)


class FlatMissingBins(Regularizer):
    name = "flat_missing"

    def value_gradient(self, coef, layout):
        missing = layout.offsets[1:] - 1
        grad = np.zeros_like(coef)
        grad[missing] = 2 * self.weight * coef[missing]
        return self.weight * float(coef[missing] @ coef[missing]), grad


def test_custom_regularizers_are_named_but_not_restored():
    original = _fit("str", regularizers=[FlatMissingBins(0.5)])
    doc = json.loads(original.to_json())
    assert doc["params"]["regularizers"] is None
    assert doc["custom_regularizers"] == ["flat_missing"]
    loaded = from_json(original.to_json())
    assert loaded.regularizers is None
    assert_same_model(loaded, original)  # prediction does not need them
    assert "flat_missing" in loaded.history_


def test_empty_regularizer_list_round_trips():
    loaded = from_json(_fit("bool", regularizers=[]).to_json())
    assert loaded.regularizers == []


def test_loaded_model_is_an_ordinary_estimator(model):
    loaded = from_json(model.to_json())
    # (scikit-learn's clone is not used here: importing scikit-learn changes the class of
    # NotFittedError, which another module's doctest prints)
    assert EmbeddingSumClassifier(**loaded.get_params()).get_params() == loaded.get_params()
    refit = loaded.fit(X_FIT, LABELS["int64"])  # the restored parameters are valid for fit
    assert np.array_equal(refit.decision_function(X_FIT), model.decision_function(X_FIT))


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        EmbeddingSumClassifier().to_json()
    with pytest.raises(NotFittedError):
        EmbeddingSumClassifier().save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
    with pytest.raises(TypeError, match="expected an EmbeddingSumClassifier"):
        to_json(object())


@pytest.mark.parametrize(
    "attribute, index, value, pattern",
    [
        ("bin_scores_", 0, np.nan, r"bin_scores\[0\]\[\d\]: nan is not a finite number"),
        ("bin_scores_", 1, np.inf, r"bin_scores\[1\]\[\d\]: inf is not a finite number"),
        ("bin_weights_", 0, np.nan, r"bin_weights\[0\]\[\d\]: nan is not a finite number"),
        ("cuts_", 0, np.inf, r"cuts\[0\]\[\d\]: inf is not a finite number"),
        ("cuts_", 1, np.nan, r"cuts\[1\]\[\d\]: nan is not a finite number"),
    ],
)
def test_non_finite_numbers_are_refused_on_save(tmp_path, attribute, index, value, pattern):
    broken = _fit("int64")
    arrays = [a.copy() for a in getattr(broken, attribute)]
    arrays[index][-1] = value
    setattr(broken, attribute, arrays)
    with pytest.raises(ValueError, match=r"cannot save this model, it would not load back: .*" + pattern):
        broken.save(tmp_path / "broken.json")
    assert not (tmp_path / "broken.json").exists()  # nothing half-written


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_intercept_and_history_are_refused_on_save(value):
    broken = _fit("int64")
    broken.intercept_ = value
    with pytest.raises(ValueError, match=r"intercept: expected a finite number"):
        broken.to_json()
    broken = _fit("int64")
    broken.history_ = dict(broken.history_, loss=np.append(broken.history_["loss"][1:], value))
    with pytest.raises(ValueError, match=r"history\['loss'\]\[\d+\]: -?inf|nan"):
        broken.to_json()


def test_duplicate_feature_names_cannot_be_saved():
    import pandas as pd

    model = EmbeddingSumClassifier(max_bins=4).fit(pd.DataFrame(X_FIT, columns=["a", "b", "a"]), POSITIVE)
    with pytest.raises(ValueError, match=r"cannot save.*feature_names: the name 'a' appears twice"):
        model.to_json()


# ----------------------------------------------------------------------------------------------
# Hostile documents: each gets a ValueError that names the problem
# ----------------------------------------------------------------------------------------------


def _text(doc, **changes):
    """The document with top-level keys replaced (None-valued sentinel _DELETE removes)."""
    doc = copy.deepcopy(doc)
    for key, value in changes.items():
        if value is _DELETE:
            del doc[key]
        else:
            doc[key] = value
    return json.dumps(doc)


_DELETE = object()


def _with(doc, path, value):
    """The document with the value at ``path`` (keys and indexes) replaced."""
    doc = copy.deepcopy(doc)
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return json.dumps(doc)


def _hostile_cases(doc):
    text = json.dumps(doc)
    n_bins0 = len(doc["cuts"][0]) + 2
    cases = {
        "empty bytes": (b"", r"it is empty"),
        "blank text": ("  \n\t ", r"it is empty"),
        "truncated in a list": (text[: len(text) // 2], r"it is truncated"),
        "truncated in a string": (text[: text.index('"embedsum"') + 4], r"it is truncated"),
        "truncated after one byte": (text[:1], r"it is truncated"),
        "not UTF-8": (text.encode()[:20] + b"\xff\xfe" + text.encode()[20:], r"not UTF-8 text \(byte 0xff at offset 20\)"),
        "UTF-16": (text.encode("utf-16"), r"not UTF-8 text"),
        "not JSON": ("model = {format: embedsum}", r"not valid JSON \(Expecting value at line 1 column 1\)"),
        "two documents": (text + text, r"not valid JSON \(Extra data"),
        "duplicate top-level key": (text[:-1] + ', "cuts": []}', r"duplicate key 'cuts'"),
        "duplicate nested key": (text.replace('"l2":', '"l2": 0.0, "l2":', 1), r"duplicate key 'l2'"),
        "NaN literal": (text.replace('"intercept": ', '"intercept": NaN, "x": ', 1), r"the literal NaN is not allowed"),
        "Infinity literal": (_with(doc, ["bin_scores", 0, 0], "@").replace('"@"', "Infinity"),
                             r"the literal Infinity is not allowed"),
        "-Infinity literal as a cut": (_with(doc, ["cuts", 2, 0], "@").replace('"@"', "-Infinity"),
                                       r"the literal -Infinity is not allowed"),
        "float overflow": (_with(doc, ["intercept"], "@").replace('"@"', "1e999"), r"the number 1e999 is out of the float64 range"),
        "huge integer": (_with(doc, ["n_iter"], "@").replace('"@"', "9" * 5000), r"an integer of 5000 digits is too large"),
        "top-level list": ("[" + text + "]", r"expected a JSON object at the top, got a list"),
        "top-level number": ("1", r"expected a JSON object at the top, got an integer"),
        "deep nesting": ("[" * 10_000_000, r"nested far deeper than the format"),
        "deep objects": ('{"a":' * 200_000, r"nested far deeper than the format"),
        "unknown format": (_text(doc, format="onnx"), r"not an embedsum model: 'format' is a string \('onnx'\)"),
        "no format": (_text(doc, format=_DELETE), r"not an embedsum model: 'format' is null"),
        "future version": (_text(doc, format_version=2), r"format_version 2 is not supported; this embedsum reads format_version 1"),
        "version 0": (_text(doc, format_version=0), r"format_version 0 is not supported"),
        "version as a string": (_text(doc, format_version="1"), r"format_version: expected an integer, got a string \('1'\)"),
        "version as a bool": (_text(doc, format_version=True), r"format_version: expected an integer, got a bool \(True\)"),
        "version as a float": (_text(doc, format_version=1.0), r"format_version: expected an integer, got a number \(1.0\)"),
        "unknown key": (_text(doc, extra=1), r"unknown keys \['extra'\]"),
        "missing key": (_text(doc, bin_weights=_DELETE), r"missing keys \['bin_weights'\]"),
        "unknown kind": (_text(doc, kind="EmbeddingSumRegressor"), r"kind: unknown model kind a string \('EmbeddingSumRegressor'\)"),
        "bool intercept": (_text(doc, intercept=True), r"intercept: expected a finite number, got a bool \(True\)"),
        "string intercept": (_text(doc, intercept="0.5"), r"intercept: expected a finite number, got a string \('0.5'\)"),
        "bool n_features": (_text(doc, n_features=True), r"n_features: expected an integer, got a bool"),
        "float n_features": (_text(doc, n_features=3.0), r"n_features: expected an integer, got a number"),
        "bool cut": (_with(doc, ["cuts", 0, 1], False), r"cuts\[0\]\[1\]: expected a number, got a bool \(False\)"),
        "string cut": (_with(doc, ["cuts", 0, 1], "0.5"), r"cuts\[0\]\[1\]: expected a number, got a string"),
        "'-inf' not first": (_with(doc, ["cuts", 0, 1], "-inf"), r"cuts\[0\]\[1\]: expected a number, got a string \('-inf'\)"),
        "'inf' first": (_with(doc, ["cuts", 0, 0], "inf"), r"cuts\[0\]\[0\]: expected a number, got a string \('inf'\)"),
        "string score": (_with(doc, ["bin_scores", 1, 0], "1"), r"bin_scores\[1\]\[0\]: expected a number, got a string"),
        "bool weight": (_with(doc, ["bin_weights", 1, 0], True), r"bin_weights\[1\]\[0\]: expected a number, got a bool"),
        "null score": (_with(doc, ["bin_scores", 0, 0], None), r"bin_scores\[0\]\[0\]: expected a number, got null"),
        "bool param": (_with(doc, ["params", "max_bins"], True), r"params.max_bins: expected a number, got a bool \(True\)"),
        "string param": (_with(doc, ["params", "tol"], "1e-6"), r"params.tol: expected a number, got a string \('1e-6'\)"),
        "float for an integer param": (_with(doc, ["params", "max_bins"], 8.0), r"params: max_bins must be an integer, got 8.0"),
        "negative param": (_with(doc, ["params", "l2"], -1.0), r"params: l2 must be >= 0"),
        "huge param": (_with(doc, ["params", "max_iter"], 2**64), rf"params.max_iter: {2**64} is out of bounds"),
        "unknown param": (_with(doc, ["params", "alpha"], 1.0), r"params: unknown \['alpha'\]"),
        "missing param": (_with(doc, ["params"], {k: v for k, v in doc["params"].items() if k != "tol"}),
                          r"params: unknown \[\], missing \['tol'\]"),
        "regularizers restored": (_with(doc, ["params", "regularizers"], ["l2"]), r"params.regularizers: must be null"),
        "params not an object": (_text(doc, params=[1]), r"params: expected an object, got a list"),
        "nested cut list": (_with(doc, ["cuts", 0], [[0.5]]), r"cuts\[0\]\[0\]: expected a number, got a list"),
        "deeper nesting": (_with(doc, ["cuts"], [[[[0.5]]]] * 3), r"cuts\[0\]\[0\]: expected a number, got a list"),
        "object for cuts": (_text(doc, cuts={"0": [0.5]}), r"cuts: expected a list, got an object"),
        "unsorted cuts": (_with(doc, ["cuts", 0], doc["cuts"][0][::-1]), r"cuts\[0\]: not strictly increasing: .* at position 1 follows"),
        "duplicate cuts": (_with(doc, ["cuts", 0], [0.5, 0.5]), r"cuts\[0\]: not strictly increasing: 0.5 at position 1 follows 0.5"),
        "two -inf cuts": (_with(doc, ["cuts", 2], ["-inf", "-inf"]), r"cuts\[2\]\[1\]: expected a number, got a string"),
        "cut count vs scores": (_with(doc, ["cuts", 0], doc["cuts"][0][:-1]),
                                rf"bin_scores\[0\]: has {n_bins0} values; feature 0 has {n_bins0 - 3} cuts, so {n_bins0 - 1} bins"),
        "short scores": (_with(doc, ["bin_scores", 1], doc["bin_scores"][1][:-1]), r"bin_scores\[1\]: has \d+ values; feature 1 has"),
        "long weights": (_with(doc, ["bin_weights", 2], doc["bin_weights"][2] + [0.0]), r"bin_weights\[2\]: has \d+ values; feature 2 has"),
        "fewer features": (_with(doc, ["bin_weights"], doc["bin_weights"][:2]), r"bin_weights: has 2 entries for n_features=3"),
        "more features": (_text(doc, n_features=4), r"cuts: has 3 entries for n_features=4"),
        "negative weight": (_with(doc, ["bin_weights", 0], [-0.5] + doc["bin_weights"][0][1:-1] + [0.5 + doc["bin_weights"][0][0]]),
                            r"bin_weights\[0\]: negative weight -0.5"),
        "weights not summing to 1": (_with(doc, ["bin_weights", 0], [0.0] * n_bins0), r"bin_weights\[0\]: sums to 0.0"),
        "too many features": (_text(doc, n_features=MAX_FEATURES + 1), rf"n_features: {MAX_FEATURES + 1} is out of bounds \(from 1 to {MAX_FEATURES}\)"),
        "zero features": (_text(doc, n_features=0, cuts=[], bin_scores=[], bin_weights=[]), r"n_features: 0 is out of bounds"),
        "too many bins": (_with(doc, ["cuts", 0], [float(i) for i in range(MAX_BINS_PER_FEATURE)]),
                          rf"cuts\[0\]: has {MAX_BINS_PER_FEATURE} entries, more than the bound {MAX_BINS_PER_FEATURE - 2}"),
        "three classes": (_text(doc, classes=[1, 2, 3]), r"classes: has 3 entries, more than the bound 2"),
        "one class": (_text(doc, classes=[1]), r"classes: EmbeddingSumClassifier has exactly 2 classes, got 1"),
        "equal classes": (_text(doc, classes=[1, 1]), r"classes: expected two distinct labels in increasing order"),
        "classes out of order": (_text(doc, classes=[4, -3]), r"classes: expected two distinct labels in increasing order"),
        "string class for int dtype": (_text(doc, classes=["a", "b"]), r"classes\[0\]: expected an integer in .* for classes_dtype 'int64', got a string"),
        "bool class for int dtype": (_text(doc, classes=[False, True]), r"classes\[0\]: expected an integer .* got a bool"),
        "int class too large for its dtype": (_text(doc, classes=[0, 300], classes_dtype="uint8"), r"classes\[1\]: expected an integer in \[0, 255\]"),
        "unknown classes dtype": (_text(doc, classes_dtype="complex128"), r"classes_dtype: unknown dtype a string \('complex128'\)"),
        "too wide string dtype": (_text(doc, classes=["a", "b"], classes_dtype="U999999"), r"classes_dtype: unknown dtype"),
        "string longer than its dtype": (_text(doc, classes=["a", "bcd"], classes_dtype="U2"), r"classes\[1\]: expected a string of at most 2 characters"),
        "non-latin-1 bytes label": (_text(doc, classes=["a", "\u4e2d"], classes_dtype="S3"), r"classes\[1\]: expected a latin-1 string"),
        "mixed object labels": (_text(doc, classes=[1, "b"], classes_dtype="object"), r"object labels must be all strings, all bools or all numbers"),
        "float label overflowing float16": (_text(doc, classes=[0.0, 1e6], classes_dtype="float16"), r"classes\[1\]: expected a number within float16 range"),
        "duplicate feature names": (_text(doc, feature_names=["a", "b", "a"]), r"feature_names: the name 'a' appears twice"),
        "feature name not a string": (_text(doc, feature_names=["a", 2, "c"]), r"feature_names\[1\]: expected a string, got an integer \(2\)"),
        "wrong number of feature names": (_text(doc, feature_names=["a"]), r"feature_names: has 1 names for n_features=3"),
        "history lengths differ": (_with(doc, ["history", "loss"], [1.0]), r"history: its series have different lengths"),
        "history not an object": (_text(doc, history=[1.0]), r"history: expected an object or null, got a list"),
        "string in history": (_with(doc, ["history", "l2", 0], "x"), r"history\['l2'\]\[0\]: expected a number"),
        "negative n_iter": (_text(doc, n_iter=-1), r"n_iter: -1 is out of bounds"),
        "long library_version": (_text(doc, library_version="x" * 65), r"library_version: expected a short string"),
        "custom regularizer name not a string": (_text(doc, custom_regularizers=[1]), r"custom_regularizers\[0\]: expected a string"),
        # Float overflow wherever it is: floats are parsed by json's C parser and the document is
        # searched for the ±inf an overflow leaves; the error still names the literal as written.
        "float overflow in a cut": (_with(doc, ["cuts", 1, 0], "@").replace('"@"', "-1e999"),
                                    r"the number -1e999 is out of the float64 range"),
        "float overflow in weights": (_with(doc, ["bin_weights", 0, 1], "@").replace('"@"', "1E+400"),
                                      r"the number 1E\+400 is out of the float64 range"),
        "float overflow in history": (_with(doc, ["history", "loss", 0], "@").replace('"@"', "2e308"),
                                      r"the number 2e308 is out of the float64 range"),
        "float overflow in params": (_with(doc, ["params", "tol"], "@").replace('"@"', "1e999"),
                                     r"the number 1e999 is out of the float64 range"),
        "float overflow without exponent": (_with(doc, ["bin_scores", 0, 0], "@").replace('"@"', "1" + "0" * 400 + ".5"),
                                            r"the number 1000000000.* is out of the float64 range"),
        "float overflow in an unknown key": (text[:-1] + ', "extra": [[1e999]]}', r"the number 1e999 is out of the float64 range"),
        "float overflow in object labels": (_text(doc, classes=[0.5, 1e999], classes_dtype="object").replace(
            "Infinity", "1e999"), r"the number 1e999 is out of the float64 range"),
        "float overflow before bad JSON": (_with(doc, ["intercept"], "@").replace('"@"', "1e999")[:-1] + ",",
                                           r"the number 1e999 is out of the float64 range"),
    }
    return cases


HOSTILE = list(_hostile_cases(json.loads(to_json(_fit("int64")))))


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_document_raises_value_error_naming_the_problem(doc, case):
    text, pattern = _hostile_cases(doc)[case]
    with pytest.raises(ValueError, match=REJECTED + r"(.|\n)*" + pattern):
        from_json(text)


def test_hostile_cases_differ_from_a_valid_document_only_by_their_problem(doc):
    # the base document of the table loads: each case fails for its own reason
    assert isinstance(from_json(json.dumps(doc)), EmbeddingSumClassifier)


def test_null_feature_names_and_history_are_allowed(doc):
    loaded = from_json(_text(doc, history=None))
    assert not hasattr(loaded, "history_") and not hasattr(loaded, "feature_names_in_")


def test_integer_numbers_are_accepted_where_floats_belong(doc):
    loaded = from_json(_with(doc, ["intercept"], 1))
    assert loaded.intercept_ == 1.0 and type(loaded.intercept_) is float


def test_size_cap_is_checked_before_parsing(model, doc, monkeypatch):
    text = model.to_json()
    with pytest.raises(ValueError, match=REJECTED + rf"it is {len(text)} bytes, larger than max_bytes=100"):
        from_json(text, max_bytes=100)
    with pytest.raises(ValueError, match=rf"it is {len(text)} bytes, larger than max_bytes=100"):
        from_json(text.encode(), max_bytes=100)
    # a str counts its UTF-8 bytes: 40 characters of 3 bytes each are 120 bytes
    with pytest.raises(ValueError, match=r"it is 120 bytes, larger than max_bytes=100"):
        from_json("\u4e2d" * 40, max_bytes=100)
    # garbage larger than the cap is refused for its size, not parsed
    parsed = []
    real_loads = json.loads
    with monkeypatch.context() as patch:
        patch.setattr(json, "loads", lambda *a, **k: parsed.append(1) or real_loads(*a, **k))
        with pytest.raises(ValueError, match=r"larger than max_bytes=1024"):
            from_json(b"[" * 50_000_000, max_bytes=1024)
    assert parsed == []
    assert isinstance(from_json(text, max_bytes=len(text)), EmbeddingSumClassifier)
    for bad in (0, -1, True, 1.5, "64"):
        with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
            from_json(text, max_bytes=bad)
    with pytest.raises(TypeError, match="from_json expects str or bytes"):
        from_json(doc)


def test_load_checks_the_file_size_before_reading(model, tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    model.save(path)
    size = path.stat().st_size
    reads = []
    real_open = open

    class Spy:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def fileno(self):
            return self.handle.fileno()

        def read(self, n=-1):
            reads.append(n)
            return self.handle.read(n)

    monkeypatch.setattr("builtins.open", lambda *a, **k: Spy(real_open(*a, **k)))
    with pytest.raises(ValueError, match=rf"embedsum model file '.*model.json' rejected: it is {size} bytes, "
                                         r"larger than max_bytes=1000"):
        load(path, max_bytes=1000)
    assert reads == []  # refused on its size alone
    assert isinstance(load(path, max_bytes=size), EmbeddingSumClassifier)
    assert reads == [size + 1]  # never more than max_bytes + 1


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_load_reads_at_most_max_bytes_plus_one_from_an_endless_file():
    # /dev/zero reports size 0 and never ends: the read must stop by itself
    with pytest.raises(ValueError, match=r"'/dev/zero' rejected: it is more than 4096 bytes, larger than max_bytes=4096"):
        load("/dev/zero", max_bytes=4096)


def test_load_names_the_file_in_its_messages(tmp_path):
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"format": "embedsum", "format_version": 2}')
    with pytest.raises(ValueError, match=r"embedsum model file '.*broken.json' rejected: format_version 2 is not supported"):
        embedsum.load(path)
    with pytest.raises(FileNotFoundError):
        embedsum.load(tmp_path / "missing.json")


# ----------------------------------------------------------------------------------------------
# Random mutations of valid documents: a working model or a ValueError, never anything else
# ----------------------------------------------------------------------------------------------

BASE_DOCS = [
    json.loads(to_json(_fit("int64"))),
    json.loads(to_json(EmbeddingSumClassifier(max_bins=4).fit(X_FIT[:, :2], LABELS["str"]))),
    json.loads(to_json(_fit("bool", frame=True))),
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["-inf", "inf", "NaN", "embedsum", "EmbeddingSumClassifier", "U6", "bool", "object", "int64"]),
    st.sampled_from([0, 1, 2, 3, -1, 2**16, 2**20 + 1, 10**19, 1e308, -1e308, 5e-324, -0.0]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=12)


def _containers(node, path=()):
    """Every (path, container) in the document, the root included."""
    yield path, node
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        if isinstance(child, (dict, list)):
            yield from _containers(child, path + (key,))


def _mutate_structure(data, doc):
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3), label="n_mutations")):
        containers = list(_containers(doc))
        _, node = containers[data.draw(st.integers(0, len(containers) - 1), label="container")]
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        op = data.draw(st.sampled_from(["delete", "replace", "add", "swap", "truncate", "nest", "huge", "retype"]), label="op")
        if not keys:
            op = "add"
        key = data.draw(st.sampled_from(keys), label="key") if keys else None
        if op == "delete":
            del node[key]
        elif op == "replace":
            node[key] = data.draw(VALUES, label="value")
        elif op == "add":
            if isinstance(node, dict):
                node[data.draw(st.sampled_from(list(BASE_DOCS[0]) + ["extra", "max_bins", "loss"]), label="new key")] = \
                    data.draw(VALUES, label="value")
            else:
                node.insert(data.draw(st.integers(0, len(node)), label="at"), data.draw(VALUES, label="value"))
        elif op == "swap":
            other = data.draw(st.sampled_from(keys), label="other")
            node[key], node[other] = node[other], node[key]
        elif op == "truncate":
            if isinstance(node[key], list):
                node[key] = node[key][: data.draw(st.integers(0, max(len(node[key]) - 1, 0)), label="keep")]
            else:
                node[key] = [node[key]]
        elif op == "nest":
            node[key] = [node[key]] if data.draw(st.booleans(), label="wrap once") else [[[[node[key]]]]]
        elif op == "huge":
            node[key] = data.draw(st.sampled_from([10**19, -(10**19), 2**64, 10**20, 1e308, -1e308, 2.5e-308]), label="huge")
        elif op == "retype":
            value = node[key]
            node[key] = (str(value) if not isinstance(value, str) else
                         data.draw(st.sampled_from([1, 1.5, True, None, [value], {"v": value}]), label="retyped"))
    text = json.dumps(doc)  # non-finite floats become NaN / Infinity literals: the loader must refuse them
    if data.draw(st.booleans(), label="text mutation"):
        kind = data.draw(st.sampled_from(["duplicate key", "huge integer", "deep list"]), label="text op")
        if kind == "duplicate key":
            key = data.draw(st.sampled_from(sorted(doc) or ["format"]), label="dup")
            text = "{" + json.dumps(key) + ": " + json.dumps(doc.get(key)) + ("," if doc else "") + text[1:]
        elif kind == "huge integer":
            at = text.find(":", data.draw(st.integers(0, len(text)), label="near")) + 1 or 1
            end = len(text) if at == 0 else min(
                [i for i in (text.find(",", at), text.find("}", at)) if i != -1] or [len(text)])
            text = text[:at] + "9" * data.draw(st.sampled_from([21, 400, 5000, 100_000]), label="digits") + text[end:]
        else:
            depth = data.draw(st.sampled_from([10, 900, 5000, 100_000]), label="depth")
            at = data.draw(st.integers(0, len(text)), label="at")
            text = text[:at] + "[" * depth + text[at:]
    return text.encode("utf-8", "surrogatepass")


def _mutate_bytes(data, raw: bytes) -> bytes:
    raw = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4), label="n_byte_mutations")):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]), label="byte op")
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="at")
        if op == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255), label="mask")
        elif op == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
                [b"[", b"{", b'"', b"\\", b"NaN", b"-Infinity", b"1e999", b"\xff", b"\xc3", b"\xed\xa0\x80", b"-"]),
                label="inserted")
        elif op == "delete":
            del raw[at:at + data.draw(st.integers(1, 16), label="length")]
        elif op == "truncate":
            del raw[at:]
        elif op == "duplicate":
            raw[at:at] = raw[at:at + data.draw(st.integers(1, 64), label="length")]
    return bytes(raw)


def _load_or_value_error(raw: bytes):
    """Load: a ValueError is fine; a loaded model must predict; anything else fails the test."""
    try:
        loaded = from_json(raw)
    except ValueError as err:
        assert str(err).startswith("embedsum model document rejected: "), str(err)
        loaded = None
    if loaded is not None:
        assert isinstance(loaded, EmbeddingSumClassifier)
        X = _rows(loaded.n_features_in_)[:5]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # feature-name warnings; overflow to inf for huge scores
            labels = loaded.predict(X)
            proba = loaded.predict_proba(X)
        assert labels.shape == (5,) and labels.dtype == loaded.classes_.dtype
        assert proba.shape == (5, 2)


@settings(max_examples=1500)
@given(data=st.data())
def test_structural_mutations_load_or_raise_value_error(data):
    doc = BASE_DOCS[data.draw(st.integers(0, len(BASE_DOCS) - 1), label="base")]
    _load_or_value_error(_mutate_structure(data, doc))


@settings(max_examples=1500)
@given(data=st.data())
def test_byte_mutations_load_or_raise_value_error(data):
    doc = BASE_DOCS[data.draw(st.integers(0, len(BASE_DOCS) - 1), label="base")]
    raw = to_json(from_json(json.dumps(doc))).encode()
    _load_or_value_error(_mutate_bytes(data, raw))


# ----------------------------------------------------------------------------------------------
# Loading needs numpy only; no pickle anywhere
# ----------------------------------------------------------------------------------------------


def test_load_and_predict_in_a_process_without_scipy(tmp_path):
    original = _fit("str", frame=True)
    path = tmp_path / "model.json"
    original.save(path)
    X = _rows(original.n_features_in_)
    code = textwrap.dedent(
        """
        import json, sys
        sys.modules["scipy"] = None  # any import of scipy now raises ImportError
        import numpy as np
        import embedsum

        request = json.loads(sys.stdin.read())
        model = embedsum.load(request["path"])
        X = np.array([[float.fromhex(v) for v in row] for row in request["X"]])
        print(json.dumps({
            "decision": [float(v).hex() for v in model.decision_function(X)],
            "proba": [float(v).hex() for v in model.predict_proba(X).ravel()],
            "predict": model.predict(X).tolist(),
            "same_text": model.to_json() == open(request["path"], encoding="ascii").read(),
            "scipy": sorted(m for m, mod in sys.modules.items() if m.split(".")[0] == "scipy" and mod is not None),
            "file": embedsum.__file__,
        }))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(PACKAGE_DIR.parent), PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
    request = json.dumps({"path": str(path), "X": [[float(v).hex() for v in row] for row in X]})
    proc = subprocess.run([sys.executable, "-c", code], input=request, capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).resolve().parent == PACKAGE_DIR
    assert out["scipy"] == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert out["decision"] == [float(v).hex() for v in original.decision_function(X)]
        assert out["proba"] == [float(v).hex() for v in original.predict_proba(X).ravel()]
        assert out["predict"] == original.predict(X).tolist()
    assert out["same_text"] is True


def _imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield (node.module or "").split(".")[0]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ("__import__", "import_module"):
                yield str(node.args[0].value).split(".")[0]


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_no_module_imports_pickle(path):
    imported = set(_imported_modules(ast.parse(path.read_text(encoding="utf-8"))))
    assert not imported & {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def test_persistence_does_not_import_scipy():
    tree = ast.parse((PACKAGE_DIR / "persistence.py").read_text(encoding="utf-8"))
    assert "scipy" not in set(_imported_modules(tree))


def test_the_largest_floats_load_exactly(doc):
    # json's C parser reads floats; only literals beyond float64 are refused, not its extremes.
    big = float(np.finfo(np.float64).max)
    loaded = from_json(_with(json.loads(_with(doc, ["history", "loss", 0], -big)), ["intercept"], 5e-324))
    assert loaded.history_["loss"][0] == -big and loaded.intercept_ == 5e-324
    assert np.array_equal(from_json(json.dumps(doc)).bin_scores_[0], np.array(doc["bin_scores"][0]))


def test_loaded_floats_are_bit_exact_on_every_scoring_path(model):
    loaded = from_json(model.to_json())
    X = np.random.default_rng(1).normal(size=(700, model.n_features_in_))
    X[::7, 0] = np.nan
    for n in (1, 20, 700):
        assert np.array_equal(loaded.predict_proba(X[:n]).view(np.uint64), model.predict_proba(X[:n]).view(np.uint64))
