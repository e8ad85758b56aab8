"""The JSON model format (docs/design.md#persistence-format, #loader-bounds and #bad-input).

- a saved model loads back as the same kind of estimator (EmbeddingSumClassifier or
  EmbeddingSumRegressor): same parameters, same fitted attributes (values, dtypes and bits),
  bit-identical decision values, probabilities and predictions, for every kind of label, two
  or more classes, regression, categorical features (string and number kind, with rare,
  unseen and missing values at predict time), monotone constraints, with and without
  feature names, with missing-value bins and -inf cuts;
- the same model always gives the same bytes; writing always writes format_version 4;
- format_version 1 documents (written before categorical features, multiclass and regression) and
  format_version 2 documents (written before adaptive binning) still load, with their decision values;
- every damaged or hostile document raises a ValueError that names the field and the problem;
- random mutations of valid documents (structure and bytes) either load as a working model
  or raise ValueError, never anything else, each in well under a second;
- loading and predicting need neither scipy nor pickle.
"""

import ast
import copy
import json
import os
import re
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
from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor, NotFittedError
from embedsum.persistence._reader import MAX_BINS, MAX_FEATURES, from_json, load
from embedsum.persistence._writer import save, to_json
from embedsum.training._regularizers import Regularizer

from _oracles import bits, linear_data

import pandas as pd  # noqa: E402 (a test dependency)

PACKAGE_DIR = Path(embedsum.__file__).resolve().parent
REJECTED = r"embedsum model document rejected: "


def _data(seed=0, n=240, d=3):
    """Rows with missing values in column 1 and a column 2 made mostly of -inf (a -inf cut)."""
    X, positive = linear_data(seed, n, d, coef={0: 1.0, 1: 0.5}, noise=0.3, holes={1: 6})
    X[: int(0.6 * n), 2] = -np.inf
    return X, positive


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
        X = pd.DataFrame(X_FIT, columns=["bytes_written", "files renamed", "entropy \u00e9"])
    return EmbeddingSumClassifier(max_bins=6, **params).fit(X, LABELS[labels])


# A table with a numeric column, a column of text categories and a column of number categories.
PROTOCOLS = ["tcp", "udp", "icmp", "gre", "sctp"]
PORTS = [22.0, 80.0, 443.0, 8080.0, 3389.0]


def _table(seed=0, n=400):
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    size[::9] = np.nan
    protocol = rng.choice(PROTOCOLS, p=[0.45, 0.35, 0.13, 0.045, 0.025], size=n).astype(object)
    protocol[::13] = None
    protocol[5::17] = ""
    port = rng.choice(PORTS, p=[0.4, 0.35, 0.19, 0.04, 0.02], size=n)
    port[::11] = np.nan
    frame = pd.DataFrame({"size": size, "protocol": protocol, "port": port})
    effect = {"tcp": 1.0, "udp": -0.5, "icmp": 0.8, "gre": -1.0, "sctp": 0.0, None: 0.3, "": 0.3}
    signal = np.nan_to_num(size) + np.array([effect[v] for v in protocol]) + 0.02 * np.nan_to_num(port - 200)
    return frame, signal + 0.5 * rng.normal(size=n)


FRAME, SIGNAL = _table()
CLASSES4 = np.array(["brute force", "exfiltration", "normal", "scan"])
MULTI_LABELS = CLASSES4[np.digitize(SIGNAL, np.quantile(SIGNAL, [0.25, 0.5, 0.75]))]
CATEGORICAL = ["protocol", "port"]  # port is a column of numbers: its categories are float64


def _predict_frame(seed=3):
    """Rows with kept, rare, unseen and missing categories, and numeric extremes."""
    rng = np.random.default_rng(seed)
    n = 40
    frame = pd.DataFrame({
        "size": rng.normal(size=n) * 2,
        "protocol": rng.choice(PROTOCOLS + ["quic", None, "", "TCP"], size=n).astype(object),
        "port": rng.choice(PORTS + [9999.0, np.nan, -0.0, 1e300], size=n),
    })
    frame.loc[0] = [np.nan, "quic", 9999.0]  # never seen in training
    frame.loc[1] = [np.inf, None, np.nan]  # missing
    frame.loc[2] = [-np.inf, "sctp", 3389.0]  # rare
    frame.loc[3] = [0.0, "", 80.0]
    return frame


def _categorical_model(kind="binary", **params):
    params = {"max_bins": 6, "categorical_features": CATEGORICAL, "min_category_count": 12, **params}
    if kind == "regressor":
        return EmbeddingSumRegressor(**params).fit(FRAME, SIGNAL)
    labels = MULTI_LABELS if kind == "multiclass" else np.where(SIGNAL > 0, "attack", "benign")
    return EmbeddingSumClassifier(**params).fit(FRAME, labels)


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


def _assert_same_value(got, want):
    """None, a float, or an array: same type, dtype, shape and bits (or equal objects)."""
    if want is None:
        assert got is None
    elif isinstance(want, float):
        assert type(got) is float and bits(got) == bits(want)
    else:
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype and got.shape == want.shape
        if want.dtype == object:
            assert got.tolist() == want.tolist()
            assert [type(v) for v in got.tolist()] == [type(v) for v in want.tolist()]
        else:
            assert np.array_equal(bits(got), bits(want))


def assert_same_model(loaded, original, X=None):
    is_regressor = isinstance(original, EmbeddingSumRegressor)
    assert type(loaded) is (EmbeddingSumRegressor if is_regressor else EmbeddingSumClassifier)
    expected_params = original.get_params()
    if expected_params["regularizers"]:
        expected_params["regularizers"] = None  # custom regularisers are documented as not restored
    assert loaded.get_params() == expected_params
    if is_regressor:
        assert not hasattr(loaded, "classes_")
    else:
        assert loaded.classes_.dtype == original.classes_.dtype
        assert loaded.classes_.tolist() == original.classes_.tolist()
        assert [type(v) for v in loaded.classes_.tolist()] == [type(v) for v in original.classes_.tolist()]
    assert type(loaded.n_features_in_) is int and loaded.n_features_in_ == original.n_features_in_
    assert hasattr(loaded, "feature_names_in_") == hasattr(original, "feature_names_in_")
    if hasattr(original, "feature_names_in_"):
        assert loaded.feature_names_in_.dtype == original.feature_names_in_.dtype
        assert loaded.feature_names_in_.tolist() == original.feature_names_in_.tolist()
    _assert_same_value(loaded.intercept_, original.intercept_)
    for name, dtype in (("is_categorical_", bool), ("monotonic_cst_", np.int8)):
        got, want = getattr(loaded, name), getattr(original, name)
        assert got.dtype == want.dtype == dtype and got.tolist() == want.tolist()
    for name in ("cuts_", "categories_", "rare_categories_", "bin_scores_", "unseen_scores_", "bin_weights_"):
        got, want = getattr(loaded, name), getattr(original, name)
        assert isinstance(got, list) and len(got) == len(want)
        for a, b in zip(got, want):
            _assert_same_value(a, b)
    assert loaded.feature_importances_.dtype == original.feature_importances_.dtype
    assert np.array_equal(bits(loaded.feature_importances_), bits(original.feature_importances_))
    assert type(loaded.n_iter_) is int and loaded.n_iter_ == original.n_iter_
    assert list(loaded.history_) == list(original.history_)
    for key, values in original.history_.items():
        assert loaded.history_[key].dtype == values.dtype
        assert np.array_equal(bits(loaded.history_[key]), bits(values))
    if X is None:
        X = _rows(original.n_features_in_)
        X[3] = np.concatenate([c[:1] for c in original.cuts_])  # exactly on cut points
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy X for a model fitted on a DataFrame
        if is_regressor:
            assert np.array_equal(bits(loaded.predict(X)), bits(original.predict(X)))
            return
        assert np.array_equal(bits(loaded.decision_function(X)), bits(original.decision_function(X)))
        assert np.array_equal(bits(loaded.predict_proba(X)), bits(original.predict_proba(X)))
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


THREE = np.array(["high", "low", "mid"])[np.digitize(X_FIT[:, 0], [-0.5, 0.5])]


def _with_object_ports(frame):
    frame = frame.copy()
    frame["port"] = [None if v != v else int(v) if v == int(v) and abs(v) < 1e6 else v for v in frame["port"]]
    return frame.astype({"port": object})


def _infinite_ports(frame):
    frame = frame.copy()
    frame.loc[::7, "port"] = np.inf
    frame.loc[3::7, "port"] = -np.inf
    return frame


MODELS = {
    # name: () -> (fitted model, rows to predict; None = numeric rows with NaN, ±inf and cut points)
    "multiclass, 3 str labels": lambda: (EmbeddingSumClassifier(max_bins=6).fit(X_FIT, THREE), None),
    "multiclass, 4 int labels": lambda: (
        EmbeddingSumClassifier(max_bins=5).fit(X_FIT, np.digitize(X_FIT[:, 0], [-1, 0, 1]) * 10 - 7), None),
    "multiclass, object str labels, frame": lambda: (
        EmbeddingSumClassifier(max_bins=6).fit(pd.DataFrame(X_FIT, columns=["a", "b", "c"]), THREE.astype(object)),
        pd.DataFrame(_rows(3), columns=["a", "b", "c"])),
    "regressor": lambda: (EmbeddingSumRegressor(max_bins=6).fit(X_FIT, X_FIT[:, 0] + np.nan_to_num(X_FIT[:, 1])), None),
    "regressor, frame": lambda: (
        EmbeddingSumRegressor(max_bins=4, l2=0.1).fit(pd.DataFrame(X_FIT, columns=["a", "b", "c"]), X_FIT[:, 0]),
        pd.DataFrame(_rows(3), columns=["a", "b", "c"])),
    "categorical, binary": lambda: (_categorical_model("binary"), _predict_frame()),
    "categorical, multiclass": lambda: (_categorical_model("multiclass"), _predict_frame()),
    "categorical, regressor": lambda: (_categorical_model("regressor"), _predict_frame()),
    "categorical auto (text column only)": lambda: (
        _categorical_model("binary", categorical_features="auto"), _predict_frame()),
    "categorical by index": lambda: (_categorical_model("multiclass", categorical_features=[1, -1]), _predict_frame()),
    "categorical by mask": lambda: (
        _categorical_model("regressor", categorical_features=[False, True, True]), _predict_frame()),
    "categorical auto, object column of numbers": lambda: (
        EmbeddingSumClassifier(max_bins=6, min_category_count=12).fit(_with_object_ports(FRAME), SIGNAL > 0),
        _with_object_ports(_predict_frame())),
    "every category rare": lambda: (_categorical_model("binary", min_category_count=10_000), _predict_frame()),
    "infinite number categories": lambda: (
        EmbeddingSumClassifier(max_bins=6, categorical_features=CATEGORICAL).fit(_infinite_ports(FRAME), SIGNAL > 0),
        _infinite_ports(_predict_frame())),
    "monotone classifier": lambda: (EmbeddingSumClassifier(max_bins=6, monotonic_cst=[1, -1, 0]).fit(X_FIT, POSITIVE),
                                    None),
    "monotone regressor, categorical, by name": lambda: (
        _categorical_model("regressor", monotonic_cst={"size": 1}), _predict_frame()),
    "monotone classifier, categorical": lambda: (
        _categorical_model("binary", monotonic_cst=[-1, 0, 0]), _predict_frame()),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_of_every_model_kind(name):
    original, X = MODELS[name]()
    text = original.to_json()
    loaded = from_json(text)
    assert_same_model(loaded, original, X)
    assert loaded.to_json() == text
    if X is not None and hasattr(X, "columns"):  # the same rows as a plain object array score the same
        rows = X.to_numpy(dtype=object)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # no column names
            score = "predict" if isinstance(original, EmbeddingSumRegressor) else "decision_function"
            assert np.array_equal(bits(getattr(loaded, score)(rows)), bits(getattr(original, score)(X)))


def test_round_trip_exercises_what_it_claims():
    # the categorical models above really have rare and kept categories of both kinds, and the
    # prediction rows hit the unseen, "other" and missing bins
    model = _categorical_model("multiclass")
    assert model.categories_[1].dtype == object and model.categories_[2].dtype == np.float64
    assert len(model.rare_categories_[1]) and len(model.rare_categories_[2])
    loaded = from_json(model.to_json())
    scores = loaded.row_scores(_predict_frame())
    m = len(loaded.categories_[1])
    assert np.array_equal(bits(scores[0, 1]), bits(loaded.unseen_scores_[1]))  # "quic": never seen
    assert np.array_equal(bits(scores[1, 1]), bits(loaded.bin_scores_[1][m + 1]))  # None: missing
    assert np.array_equal(bits(scores[2, 1]), bits(loaded.bin_scores_[1][m]))  # "sctp": rare
    assert np.array_equal(bits(scores[3, 1]), bits(loaded.bin_scores_[1][m + 1]))  # "": missing
    assert np.array_equal(bits(scores[0, 2]), bits(loaded.unseen_scores_[2]))  # port 9999: never seen
    # the decision contract: the intercept, then each feature's score, added left to right
    expected = loaded.intercept_.copy() + scores[:, 0]
    expected = expected + scores[:, 1]
    expected = expected + scores[:, 2]
    assert np.array_equal(bits(loaded.decision_function(_predict_frame())), bits(expected))
    everything_rare = MODELS["every category rare"]()[0]
    assert len(everything_rare.categories_[1]) == 0 and everything_rare.categories_[1].dtype == object
    assert len(everything_rare.categories_[2]) == 0 and everything_rare.categories_[2].dtype == np.float64
    infinite = MODELS["infinite number categories"]()[0]
    assert infinite.categories_[2][0] == -np.inf and infinite.categories_[2][-1] == np.inf
    assert json.loads(infinite.to_json())["categories"][2][::len(infinite.categories_[2]) - 1] == ["-inf", "inf"]


def test_monotone_models_load_monotone():
    model = _categorical_model("regressor", monotonic_cst={"size": 1})
    loaded = from_json(model.to_json())
    assert loaded.monotonic_cst_.tolist() == [1, 0, 0] and loaded.monotonic_cst == {"size": 1}
    interval = loaded.bin_scores_[0][:-1]
    assert (np.diff(interval) >= 0).all() and interval[-1] > interval[0]


def test_loaded_categorical_model_refits_to_the_same_model():
    model = _categorical_model("multiclass", monotonic_cst=None, l2=0.01)
    loaded = from_json(model.to_json())
    refit = loaded.fit(FRAME, MULTI_LABELS)  # categorical_features (names), min_category_count restored
    assert np.array_equal(bits(refit.decision_function(_predict_frame())),
                          bits(model.decision_function(_predict_frame())))


def test_tuple_and_array_parameters_come_back_as_lists():
    model = _categorical_model("binary", categorical_features=np.array([False, True, True]),
                               monotonic_cst=(np.int64(-1), 0, 0))
    doc = json.loads(model.to_json())
    assert doc["params"]["categorical_features"] == [False, True, True]
    assert doc["params"]["monotonic_cst"] == [-1, 0, 0]
    loaded = from_json(model.to_json())
    assert loaded.categorical_features == [False, True, True] and loaded.monotonic_cst == [-1, 0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert np.array_equal(bits(loaded.decision_function(_predict_frame())),
                              bits(model.decision_function(_predict_frame())))


def test_cross_validated_models_save_as_the_plain_estimator_of_their_kind():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = embedsum.EmbeddingSumClassifierCV(step_loss_weights=2, cv=2, max_bins=6, categorical_features=CATEGORICAL,
                                                       min_category_count=12).fit(FRAME, MULTI_LABELS)
        regressor = embedsum.EmbeddingSumRegressorCV(step_loss_weights=2, cv=2, max_bins=6,
                                                     monotonic_cst={"size": 1}).fit(FRAME, SIGNAL)
    for cross_validated, plain in ((classifier, EmbeddingSumClassifier), (regressor, EmbeddingSumRegressor)):
        loaded = from_json(cross_validated.to_json())
        assert type(loaded) is plain
        assert loaded.get_params() == cross_validated._saved_params()
        assert loaded.step_loss_weight == cross_validated.step_loss_weight_
        score = "predict" if plain is EmbeddingSumRegressor else "decision_function"
        assert np.array_equal(bits(getattr(loaded, score)(_predict_frame())),
                              bits(getattr(cross_validated, score)(_predict_frame())))


def test_unsaveable_new_parameters_and_categories_are_refused(tmp_path):
    model = _categorical_model("binary")
    broken = copy.deepcopy(model).set_params(monotonic_cst=[2, 0, 0])
    with pytest.raises(ValueError, match=r"cannot save this model, it would not load back: .*"
                                         r"params.monotonic_cst\[0\]: expected -1, 0 or 1, got an integer \(2\)"):
        broken.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
    broken = copy.deepcopy(model).set_params(categorical_features={"protocol"})
    with pytest.raises(ValueError, match=r"params.categorical_features: expected 'auto', null or a list"):
        broken.to_json()
    broken = copy.deepcopy(model)
    broken.categories_[1] = np.array([b"gre", "icmp", "tcp", "udp"], dtype=object)
    with pytest.raises(ValueError, match=r"categories\[1\]\[0\]: expected a string \(category kind 'str'\), got a bytes"):
        broken.to_json()
    broken = copy.deepcopy(model)
    broken.rare_categories_[2] = np.array([np.nan])
    with pytest.raises(ValueError, match=r"rare_categories\[2\]\[0\]: nan is a missing value, not a category"):
        broken.to_json()
    broken = copy.deepcopy(model)
    broken.unseen_scores_[1] = np.inf
    with pytest.raises(ValueError, match=r"unseen_scores\[1\]: expected a finite number, got a number \(inf\)"):
        broken.to_json()


# ----------------------------------------------------------------------------------------------
# Hypothesis: any small table, any kind of model, round-trips to the same bits and bytes
# ----------------------------------------------------------------------------------------------


@st.composite
def _small_problems(draw):
    n = draw(st.integers(20, 60), label="n")
    kinds = draw(st.lists(st.sampled_from(["numeric", "text", "numbers"]), min_size=1, max_size=3), label="columns")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    columns = {}
    for j, kind in enumerate(kinds):
        if kind == "numeric":
            values = rng.choice([rng.normal(), -np.inf, np.nan, 0.0], size=n, p=[0.05, 0.05, 0.1, 0.8]) \
                if draw(st.booleans(), label="ties") else rng.normal(size=n)
            values[rng.random(n) < 0.1] = np.nan
        elif kind == "text":
            alphabet = draw(st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=5, unique=True),
                            label="categories")
            values = np.array([alphabet[i] for i in rng.integers(0, len(alphabet), n)], dtype=object)
            values[rng.random(n) < 0.1] = None
        else:
            values = rng.choice(draw(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=5), label="numbers"), size=n)
            values[rng.random(n) < 0.1] = np.nan
        columns[f"c{j}"] = values
    frame = pd.DataFrame(columns)
    task = draw(st.sampled_from(["binary", "multiclass", "regression"]), label="task")
    if task == "regression":
        y = rng.normal(size=n)
    else:
        k = 2 if task == "binary" else draw(st.integers(3, 4), label="K")
        y = rng.integers(0, k, n)
        y[:k] = np.arange(k)  # every class present
    categorical = [k != "numeric" for k in kinds]
    min_count = draw(st.integers(1, 8), label="min_category_count")
    return frame, y, task, categorical, min_count


@settings(max_examples=25)
@given(problem=_small_problems())
def test_any_model_round_trips_to_the_samebits(problem):
    frame, y, task, categorical, min_count = problem
    estimator = EmbeddingSumRegressor if task == "regression" else EmbeddingSumClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence on tiny random data
        model = estimator(max_bins=4, max_iter=30, categorical_features=categorical,
                          min_category_count=min_count).fit(frame, y)
    text = model.to_json()
    loaded = from_json(text)
    assert loaded.to_json() == text
    rows = pd.concat([frame, frame.iloc[:3].map(lambda v: "never seen" if isinstance(v, str) else v)])
    assert_same_model(loaded, model, rows)


def test_document_fields(model, doc):
    assert list(doc) == ["format", "format_version", "library_version", "kind", "params", "custom_regularizers",
                         "n_features", "feature_names", "classes", "classes_dtype", "intercept", "is_categorical",
                         "monotonic_cst", "cuts", "category_kinds", "categories", "rare_categories", "bin_scores",
                         "unseen_scores", "bin_weights", "n_iter", "history", "uncertainty", "pairs"]
    assert doc["format"] == "embedsum" and doc["format_version"] == 5
    assert doc["params"]["uncertainty"] is False and doc["uncertainty"] is None
    assert doc["library_version"] == embedsum.__version__
    assert doc["kind"] == "classifier"
    assert doc["params"] == {**model.get_params(), "regularizers": None}
    assert doc["params"]["categorical_features"] == "auto" and doc["params"]["monotonic_cst"] is None
    assert doc["params"]["binning"] == "quantile" and doc["params"]["min_bin_count"] == 5
    assert doc["feature_names"] is None and doc["classes"] == [-3, 4] and doc["classes_dtype"] == "int64"
    assert doc["is_categorical"] == [False] * 3 and doc["monotonic_cst"] == [0] * 3
    for key in ("category_kinds", "categories", "rare_categories", "unseen_scores"):
        assert doc[key] == [None] * 3
    assert "feature_importances" not in doc  # recomputed on load, bit for bit (checked above)
    assert set(doc["history"]) == set(model.history_)


def test_document_fields_of_a_categorical_multiclass_model():
    model = _categorical_model("multiclass")
    doc = json.loads(model.to_json())
    assert doc["kind"] == "classifier" and doc["classes"] == CLASSES4.tolist() and doc["classes_dtype"] == "U12"
    assert doc["params"]["categorical_features"] == CATEGORICAL and doc["params"]["min_category_count"] == 12
    assert doc["is_categorical"] == [False, True, True] and doc["cuts"][1:] == [None, None]
    assert doc["category_kinds"] == [None, "str", "number"]
    # kept categories in bin order, rare ones apart; "" and None are missing values, not categories
    assert doc["categories"] == [None, ["gre", "icmp", "tcp", "udp"], [22.0, 80.0, 443.0]]
    assert doc["rare_categories"] == [None, ["sctp"], [3389.0, 8080.0]]
    assert len(doc["intercept"]) == 4 and all(len(u) == 4 for u in doc["unseen_scores"][1:])
    assert [len(s) for s in doc["bin_scores"]] == [len(doc["cuts"][0]) + 2, 6, 5]
    assert all(len(row) == 4 for s in doc["bin_scores"] for row in s)
    assert doc["unseen_scores"][1] == model.unseen_scores_[1].tolist()


def test_document_fields_of_a_regressor():
    doc = json.loads(_categorical_model("regressor").to_json())
    assert doc["kind"] == "regressor" and doc["classes"] is None and doc["classes_dtype"] is None
    assert type(doc["intercept"]) is float and all(type(u) is float for u in doc["unseen_scores"][1:])


def test_a_regressors_data_term_is_named_by_its_loss_and_older_documents_load_renamed():
    model = _categorical_model("regressor")
    assert "squared_error" in model.history_ and "classification" not in model.history_
    doc = json.loads(model.to_json())
    assert list(doc["history"]) == list(model.history_)
    # A version 2 document named a regressor's data term "classification".
    doc["history"] = {("classification" if k == "squared_error" else k): v for k, v in doc["history"].items()}
    doc["format_version"] = 2
    for name in ("binning", "min_bin_count", "uncertainty", "fairness", "fairness_tolerance", "interactions",
                 "interaction_bins", "interaction_weight", "category_weight"):  # added by 3, 4 and 5
        del doc["params"][name]
    del doc["uncertainty"], doc["pairs"]
    loaded = from_json(json.dumps(doc))
    assert list(loaded.history_) == list(model.history_)
    assert np.array_equal(loaded.history_["squared_error"], model.history_["squared_error"])
    # A classifier's data term keeps its name.
    classifier = EmbeddingSumClassifier(max_bins=4).fit(*linear_data(0, n=60, d=2))
    assert "classification" in from_json(classifier.to_json()).history_


def test_missing_bins_and_minus_inf_cut_round_trip(model, doc):
    # column 1 has NaN: its missing-value bin has weight and a fitted score
    assert model.bin_weights_[1][-1] > 0 and doc["bin_weights"][1][-1] == model.bin_weights_[1][-1]
    # column 2 is mostly -inf: its first cut is -inf, written as the string "-inf" (first place only)
    assert model.cuts_[2][0] == -np.inf
    assert doc["cuts"][2][0] == "-inf" and all(isinstance(c, float) for c in doc["cuts"][2][1:])
    assert "Infinity" not in to_json(model) and "NaN" not in to_json(model)
    loaded = from_json(to_json(model))
    X = np.array([[0.0, np.nan, -np.inf], [0.0, 1.0, -1e308], [0.0, np.nan, np.inf]])
    assert np.array_equal(bits(loaded.decision_function(X)), bits(model.decision_function(X)))


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
    with pytest.raises(NotFittedError, match="not fitted"):
        EmbeddingSumRegressor().to_json()
    with pytest.raises(NotFittedError):
        EmbeddingSumClassifier().save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
    with pytest.raises(TypeError, match="expected an EmbeddingSumClassifier or an EmbeddingSumRegressor, got object"):
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
        "future version": (_text(doc, format_version=6), r"format_version 6 is not supported; this embedsum reads format_version 1, 2, 3, 4 and 5"),
        "version 0": (_text(doc, format_version=0), r"format_version 0 is not supported"),
        "version as a string": (_text(doc, format_version="1"), r"format_version: expected an integer, got a string \('1'\)"),
        "version as a bool": (_text(doc, format_version=True), r"format_version: expected an integer, got a bool \(True\)"),
        "version as a float": (_text(doc, format_version=1.0), r"format_version: expected an integer, got a number \(1.0\)"),
        "unknown key": (_text(doc, extra=1), r"unknown keys \['extra'\]"),
        "missing key": (_text(doc, bin_weights=_DELETE), r"missing keys \['bin_weights'\]"),
        "unknown kind": (_text(doc, kind="EmbeddingSumRegressor"),
                         r"kind: unknown model kind a string \('EmbeddingSumRegressor'\); expected 'classifier' or 'regressor'"),
        "kind not a string": (_text(doc, kind=["classifier"]), r"kind: unknown model kind a list"),
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
        "more features": (_text(doc, n_features=4), r"is_categorical: has 3 entries for n_features=4"),
        "negative weight": (_with(doc, ["bin_weights", 0], [-0.5] + doc["bin_weights"][0][1:-1] + [0.5 + doc["bin_weights"][0][0]]),
                            r"bin_weights\[0\]: negative weight -0.5"),
        "weights not summing to 1": (_with(doc, ["bin_weights", 0], [0.0] * n_bins0), r"bin_weights\[0\]: sums to 0.0"),
        "too many features": (_text(doc, n_features=MAX_FEATURES + 1), rf"n_features: {MAX_FEATURES + 1} is out of bounds \(from 1 to {MAX_FEATURES}\)"),
        "zero features": (_text(doc, n_features=0, cuts=[], bin_scores=[], bin_weights=[]), r"n_features: 0 is out of bounds"),
        "too many bins": (_with(doc, ["cuts", 0], [float(i) for i in range(MAX_BINS)]),
                          rf"cuts\[0\]: has {MAX_BINS} entries, more than the bound {MAX_BINS - 1}"),
        "three classes for one output": (_text(doc, classes=[1, 2, 3]),
                                         r"intercept: expected a list of 3 numbers \(one per class\), got a number"),
        "one class": (_text(doc, classes=[1]), r"classes: a classifier has at least 2 classes, got 1"),
        "no classes": (_text(doc, classes=[]), r"classes: a classifier has at least 2 classes, got 0"),
        "classifier without classes": (_text(doc, classes=None), r"classes: expected a list, got null"),
        "too many classes": (_text(doc, classes=list(range(2**16 + 1))), r"classes: has 65537 entries, more than the bound 65536"),
        "equal classes": (_text(doc, classes=[1, 1]), r"classes: expected distinct labels in increasing order, got 1 at position 1 after 1"),
        "classes out of order": (_text(doc, classes=[4, -3]), r"classes: expected distinct labels in increasing order, got -3 at position 1 after 4"),
        "string class for int dtype": (_text(doc, classes=["a", "b"]), r"classes\[0\]: expected an integer in .* for classes_dtype 'int64', got a string"),
        "bool class for int dtype": (_text(doc, classes=[False, True]), r"classes\[0\]: expected an integer .* got a bool"),
        "int class too large for its dtype": (_text(doc, classes=[0, 300], classes_dtype="uint8"), r"classes\[1\]: expected an integer in \[0, 255\]"),
        "unknown classes dtype": (_text(doc, classes_dtype="complex128"), r"classes_dtype: unknown dtype a string \('complex128'\)"),
        "too wide string dtype": (_text(doc, classes=["a", "b"], classes_dtype="U999999"),
                                  r"classes_dtype: 'U999999' would make an array of 2 x 999999 characters for labels of 2"),
        "too wide bytes dtype": (_text(doc, classes=["a", "b"], classes_dtype="S99999999"),
                                 r"classes_dtype: 'S99999999' would make an array of 2 x 99999999 characters"),
        "unknown width dtype": (_text(doc, classes=["a", "b"], classes_dtype="U12345678901"), r"classes_dtype: unknown dtype"),
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


@pytest.fixture(scope="module")
def hostile(doc):
    """The hostile cases made from the module's document, once for every case."""
    return _hostile_cases(doc)


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_document_raises_value_error_naming_the_problem(hostile, case):
    text, pattern = hostile[case]
    with pytest.raises(ValueError, match=REJECTED + r"(.|\n)*" + pattern):
        from_json(text)


def test_hostile_cases_differ_from_a_valid_document_only_by_their_problem(doc):
    # the base document of the table loads: each case fails for its own reason
    assert isinstance(from_json(json.dumps(doc)), EmbeddingSumClassifier)


CAT_DOC = json.loads(_categorical_model("binary", monotonic_cst={"size": -1}).to_json())
MULTI_DOC = json.loads(_categorical_model("multiclass").to_json())
REG_DOC = json.loads(_categorical_model("regressor").to_json())


def _without(doc, *keys):
    return {k: v for k, v in doc.items() if k not in keys}


def _new_field_cases(c, m, r):
    """Hostile values of the fields of format_version 2: (text or a function giving it, pattern)."""
    kept, rare = c["categories"][1], c["rare_categories"][1]
    ports, rare_ports = c["categories"][2], c["rare_categories"][2]
    assert len(kept) >= 3 and rare and len(ports) >= 2 and rare_ports  # what the cases below rely on
    size = c["bin_scores"][0]
    numeric_null = r"feature 0 is numeric \(is_categorical\[0\] is false\): expected null, got "
    one_per_class = r"expected one per class \(4\)"
    cases = {
        # kind, and what each kind has
        "regressor with classes": (_text(r, classes=[0, 1]), r"classes: a regressor has no classes: expected null, got a list"),
        "regressor with a classes dtype": (_text(r, classes_dtype="int64"),
                                           r"classes_dtype: a regressor has no classes: expected null, got a string"),
        "regressor as a classifier": (_text(r, kind="classifier"), r"classes: expected a list, got null"),
        "classifier as a regressor": (_text(c, kind="regressor"), r"classes: a regressor has no classes"),
        "capitalised kind": (_text(r, kind="Regressor"), r"kind: unknown model kind a string \('Regressor'\)"),
        "regressor with K intercepts": (_text(r, intercept=[0.0, 1.0]), r"intercept: expected a finite number, got a list"),
        # new hyperparameters
        "categorical_features a string": (_with(c, ["params", "categorical_features"], "all"),
                                          r"params.categorical_features: expected 'auto', null or a list of indices, "
                                          r"bools or names, got a string \('all'\)"),
        "categorical_features an object": (_with(c, ["params", "categorical_features"], {"protocol": True}),
                                           r"params.categorical_features: expected 'auto', null or a list .* got an object"),
        "categorical_features mixed": (_with(c, ["params", "categorical_features"], ["protocol", 2]),
                                       r"params.categorical_features\[1\]: expected a string \(a name\) as the first entry "
                                       r"is, got an integer \(2\); the list holds all indices, all bools or all names"),
        "categorical_features bool and int": (_with(c, ["params", "categorical_features"], [False, 1, 1]),
                                              r"params.categorical_features\[1\]: expected a bool \(a mask\)"),
        "categorical_features float": (_with(c, ["params", "categorical_features"], [1.0]),
                                       r"params.categorical_features\[0\]: expected an integer, a bool or a string, got a number"),
        "categorical_features nested": (_with(c, ["params", "categorical_features"], [[1]]),
                                        r"params.categorical_features\[0\]: expected an integer, a bool or a string, got a list"),
        "categorical_features huge index": (_with(c, ["params", "categorical_features"], [2**40]),
                                            rf"params.categorical_features\[0\]: {2**40} is out of bounds"),
        "categorical_features surrogate name": (_with(c, ["params", "categorical_features"], ["x\ud800"]),
                                                r"params.categorical_features\[0\]: 'x\\ud800' holds the surrogate code point U\+D800 at position 1"),
        "monotonic_cst param a string": (_with(c, ["params", "monotonic_cst"], "increasing"),
                                         r"params.monotonic_cst: expected null, a list of -1/0/1 or an object from feature "
                                         r"name to -1/0/1, got a string"),
        "monotonic_cst param 2": (_with(c, ["params", "monotonic_cst"], {"size": 2}),
                                  r"params.monotonic_cst\['size'\]: expected -1, 0 or 1, got an integer \(2\)"),
        "monotonic_cst param bool": (_with(c, ["params", "monotonic_cst"], [True, 0, 0]),
                                     r"params.monotonic_cst\[0\]: expected -1, 0 or 1, got a bool \(True\)"),
        "monotonic_cst param float": (_with(c, ["params", "monotonic_cst"], {"size": -1.0}),
                                      r"params.monotonic_cst\['size'\]: expected -1, 0 or 1, got a number \(-1.0\)"),
        "min_category_count 0": (_with(c, ["params", "min_category_count"], 0), r"params: min_category_count must be >= 1, got 0"),
        "min_category_count float": (_with(c, ["params", "min_category_count"], 2.5),
                                     r"params: min_category_count must be an integer, got 2.5"),
        "min_category_count bool": (_with(c, ["params", "min_category_count"], True),
                                    r"params.min_category_count: expected a number, got a bool"),
        "a new param missing": (_with(c, ["params"], _without(c["params"], "monotonic_cst")),
                                r"params: unknown \[\], missing \['monotonic_cst'\]"),
        # is_categorical and the fields that follow from it
        "is_categorical not a list": (_text(c, is_categorical=True), r"is_categorical: expected a list, got a bool"),
        "is_categorical too short": (_text(c, is_categorical=[False, True]), r"is_categorical: has 2 entries for n_features=3"),
        "is_categorical an integer": (_with(c, ["is_categorical", 1], 1), r"is_categorical\[1\]: expected a bool, got an integer \(1\)"),
        "is_categorical a string": (_with(c, ["is_categorical", 2], "true"), r"is_categorical\[2\]: expected a bool, got a string"),
        "numeric feature marked categorical": (_with(c, ["is_categorical", 0], True),
                                               r"cuts\[0\]: feature 0 is categorical \(is_categorical\[0\] is true\): "
                                               r"expected null, got a list"),
        "categorical feature marked numeric": (_with(c, ["is_categorical", 1], False),
                                               r"cuts\[1\]: feature 1 is numeric \(is_categorical\[1\] is false\): "
                                               r"expected its cuts, got null"),
        "cuts on a categorical feature": (_with(c, ["cuts", 2], [80.0]), r"cuts\[2\]: feature 2 is categorical .* got a list"),
        "null cuts on a numeric feature": (_with(c, ["cuts", 0], None), r"cuts\[0\]: feature 0 is numeric .* expected its cuts, got null"),
        "category kind on a numeric feature": (_with(c, ["category_kinds", 0], "str"), r"category_kinds\[0\]: " + numeric_null + "a string"),
        "categories on a numeric feature": (_with(c, ["categories", 0], ["a"]), r"categories\[0\]: " + numeric_null + "a list"),
        "rare categories on a numeric feature": (_with(c, ["rare_categories", 0], []), r"rare_categories\[0\]: " + numeric_null + "a list"),
        "unseen score on a numeric feature": (_with(c, ["unseen_scores", 0], 0.0), r"unseen_scores\[0\]: " + numeric_null + "a number"),
        "category_kinds too long": (_with(c, ["category_kinds"], [None, "str", "number", None]),
                                    r"category_kinds: has 4 entries for n_features=3"),
        # category kinds
        "unknown category kind": (_with(c, ["category_kinds", 1], "float"),
                                  r"category_kinds\[1\]: expected 'str' or 'number' for categorical feature 1, got a string \('float'\)"),
        "null category kind": (_with(c, ["category_kinds", 1], None), r"category_kinds\[1\]: expected 'str' or 'number' .* got null"),
        "category kind a list": (_with(c, ["category_kinds", 2], ["number"]), r"category_kinds\[2\]: expected 'str' or 'number' .* got a list"),
        "text categories read as numbers": (_with(c, ["category_kinds", 1], "number"),
                                            r"categories\[1\]\[0\]: expected a number, '-inf' or 'inf' \(category kind 'number'\), "
                                            rf"got a string \('{kept[0]}'\)"),
        "number categories read as text": (_with(c, ["category_kinds", 2], "str"),
                                           r"categories\[2\]\[0\]: expected a string \(category kind 'str'\), got a number"),
        # categories: types, bounds, order, overlap
        "categories not a list": (_with(c, ["categories", 1], "tcp"), r"categories\[1\]: expected a list, got a string"),
        "null categories": (_with(c, ["categories", 1], None), r"categories\[1\]: expected a list, got null"),
        "integer text category": (_with(c, ["categories", 1, 0], 5), r"categories\[1\]\[0\]: expected a string \(category kind 'str'\), got an integer \(5\)"),
        "bool text category": (_with(c, ["rare_categories", 1, 0], True), r"rare_categories\[1\]\[0\]: expected a string .* got a bool"),
        "nested text category": (_with(c, ["categories", 1, 1], [kept[1]]), r"categories\[1\]\[1\]: expected a string .* got a list"),
        "empty-string category": (_with(c, ["categories", 1], [""] + kept), r"categories\[1\]\[0\]: the empty string is a missing value, not a category"),
        "surrogate category": (_with(c, ["rare_categories", 1], ["\udfff"]),
                               r"rare_categories\[1\]\[0\]: '\\udfff' holds the surrogate code point U\+DFFF at position 0"),
        "unsorted categories": (_with(c, ["categories", 1], kept[::-1]),
                                rf"categories\[1\]: categories must be unique and in increasing order \(as fit sorts them\): "
                                rf"'{kept[-2]}' at position 1 follows '{kept[-1]}'"),
        "duplicate categories": (_with(c, ["categories", 1], [kept[0]] + kept[:-1]),
                                 rf"categories\[1\]: categories must be unique .*: '{kept[0]}' at position 1 follows '{kept[0]}'"),
        "case-sorted categories": (_with(c, ["categories", 1], ["b", "C"] + kept[2:]), r"categories\[1\]: .* 'C' at position 1 follows 'b'"),
        "unsorted rare categories": (_with(c, ["rare_categories", 1], ["zz", "aa"]), r"rare_categories\[1\]: categories must be unique"),
        "string number category": (_with(c, ["categories", 2, 0], str(ports[0])),
                                   rf"categories\[2\]\[0\]: expected a number, '-inf' or 'inf' \(category kind 'number'\), got a string"),
        "NaN as a text number category": (_with(c, ["rare_categories", 2, 0], "nan"), r"rare_categories\[2\]\[0\]: expected a number, '-inf' or 'inf'"),
        "bool number category": (_with(c, ["categories", 2, 0], False), r"categories\[2\]\[0\]: expected a number, .* got a bool"),
        "null number category": (_with(c, ["categories", 2, 1], None), r"categories\[2\]\[1\]: expected a number, .* got null"),
        "unsorted number categories": (_with(c, ["categories", 2], ports[::-1]),
                                       rf"categories\[2\]: categories must be unique and in increasing order \(as fit sorts them\): "
                                       rf"{ports[-2]} at position 1 follows {ports[-1]}"),
        "-0.0 and 0.0": (_with(c, ["rare_categories", 2], [-0.0, 0.0]), r"rare_categories\[2\]: .* 0.0 at position 1 follows -0.0"),
        "inf not last": (_with(c, ["rare_categories", 2], ["inf", 1.0]), r"rare_categories\[2\]: .* 1.0 at position 1 follows inf"),
        "two -inf": (_with(c, ["rare_categories", 2], ["-inf", "-inf"]), r"rare_categories\[2\]: .* -inf at position 1 follows -inf"),
        "float overflow in a category": (_with(c, ["rare_categories", 2, 0], "@").replace('"@"', "1e999"),
                                         r"the number 1e999 is out of the float64 range"),
        "too many categories": (lambda: _with(c, ["categories", 2], list(range(2**20 + 1))),
                                r"categories\[2\]: has 1048577 entries, more than the bound 1048576"),
        "too many rare categories": (lambda: _with(c, ["rare_categories", 2], list(range(2**20 + 1))),
                                     r"rare_categories\[2\]: has 1048577 entries, more than the bound 1048576"),
        "kept and rare overlap": (_with(c, ["rare_categories", 1], sorted(rare + [kept[1]])),
                                  rf"rare_categories\[1\]: '{kept[1]}' is also in categories\[1\]; a category is either kept or rare, not both"),
        "number kept and rare overlap": (_with(c, ["rare_categories", 2], sorted(rare_ports + [ports[0]])),
                                         rf"rare_categories\[2\]: {ports[0]} is also in categories\[2\]"),
        "1 and 1.0 overlap": (_with(json.loads(_with(c, ["categories", 2], [1] + ports[1:])), ["rare_categories", 2], [1.0]),
                              r"rare_categories\[2\]: 1.0 is also in categories\[2\]"),
        # bin counts of categorical features
        "bins of a categorical feature": (_with(c, ["categories", 1], kept[:-1]),
                                          rf"bin_scores\[1\]: has {len(kept) + 2} values; feature 1 has {len(kept) - 1} categories, "
                                          rf"so {len(kept) + 1} bins \(the categories, the other bin and the missing-value bin\)"),
        "weights of a categorical feature": (_with(c, ["bin_weights", 2], c["bin_weights"][2][:-1]),
                                             rf"bin_weights\[2\]: has {len(ports) + 1} values; feature 2 has {len(ports)} categories"),
        "a category without its bin": (_with(c, ["categories", 2], ports + [65535.0]),
                                       rf"bin_scores\[2\]: has {len(ports) + 2} values; feature 2 has {len(ports) + 1} categories"),
        # unseen scores
        "unseen score missing": (_with(c, ["unseen_scores", 1], None), r"unseen_scores\[1\]: expected a finite number, got null"),
        "unseen score a string": (_with(c, ["unseen_scores", 2], "0.0"), r"unseen_scores\[2\]: expected a finite number, got a string"),
        "unseen score a list": (_with(c, ["unseen_scores", 1], [0.0]), r"unseen_scores\[1\]: expected a finite number, got a list"),
        "unseen score a bool": (_with(c, ["unseen_scores", 1], False), r"unseen_scores\[1\]: expected a finite number, got a bool"),
        "unseen score overflow": (_with(c, ["unseen_scores", 1], "@").replace('"@"', "-1e999"), r"the number -1e999 is out of the float64 range"),
        # monotone constraints
        "monotonic_cst not a list": (_text(c, monotonic_cst={"size": -1}), r"monotonic_cst: expected a list, got an object"),
        "monotonic_cst too short": (_text(c, monotonic_cst=[-1]), r"monotonic_cst: has 1 entries for n_features=3"),
        "monotonic_cst 2": (_with(c, ["monotonic_cst", 0], 2), r"monotonic_cst\[0\]: expected -1, 0 or 1, got an integer \(2\)"),
        "monotonic_cst bool": (_with(c, ["monotonic_cst", 0], True), r"monotonic_cst\[0\]: expected -1, 0 or 1, got a bool \(True\)"),
        "monotonic_cst string": (_with(c, ["monotonic_cst", 2], "0"), r"monotonic_cst\[2\]: expected -1, 0 or 1, got a string"),
        "monotonic_cst float": (_with(c, ["monotonic_cst", 0], -1.0), r"monotonic_cst\[0\]: expected -1, 0 or 1, got a number \(-1.0\)"),
        "monotone categorical feature": (_with(c, ["monotonic_cst", 1], 1),
                                         r"monotonic_cst\[1\]: feature 1 is categorical and categories have no order: expected 0, got 1"),
        "scores against the constraint": (_with(c, ["bin_scores", 0, 1], size[0] + 1.0),
                                          rf"bin_scores\[0\]: monotonic_cst\[0\] is -1: its interval-bin scores must never increase, "
                                          rf"but they go from {re.escape(repr(size[0]))} in bin 0 to {re.escape(repr(size[0] + 1.0))} in bin 1"),
        "constraint flipped": (_with(c, ["monotonic_cst", 0], 1),
                               r"bin_scores\[0\]: monotonic_cst\[0\] is 1: its interval-bin scores must never decrease, but they go from"),
        "monotone multiclass": (_with(m, ["monotonic_cst", 0], 1),
                                r"monotonic_cst\[0\]: a multiclass model has no monotone constraints \(fit refuses them\), got 1"),
        # K outputs
        "multiclass scores not nested": (_with(m, ["bin_scores", 0], [row[0] for row in m["bin_scores"][0]]),
                                         r"bin_scores\[0\]\[0\]: expected a list of 4 numbers \(one per class\), got a number"),
        "multiclass scores too deep": (_with(m, ["bin_scores", 1, 0], [m["bin_scores"][1][0]]),
                                       r"bin_scores\[1\]\[0\]: has 1 values, " + one_per_class),
        "short class row": (_with(m, ["bin_scores", 0, 1], m["bin_scores"][0][1][:-1]), r"bin_scores\[0\]\[1\]: has 3 values, " + one_per_class),
        "long class row": (_with(m, ["bin_scores", 2, 0], m["bin_scores"][2][0] + [0.0]), r"bin_scores\[2\]\[0\]: has 5 values, " + one_per_class),
        "string in a class row": (_with(m, ["bin_scores", 0, 1, 2], "0.5"), r"bin_scores\[0\]\[1\]\[2\]: expected a number, got a string"),
        "overflow in a class row": (_with(m, ["bin_scores", 0, 1, 2], "@").replace('"@"', "1e400"), r"the number 1e400 is out of the float64 range"),
        "fewer class rows than bins": (_with(m, ["bin_scores", 1], m["bin_scores"][1][:-1]),
                                       rf"bin_scores\[1\]: has {len(m['bin_scores'][1]) - 1} values; feature 1 has"),
        "multiclass intercept a number": (_text(m, intercept=0.5), r"intercept: expected a list of 4 numbers \(one per class\), got a number"),
        "multiclass intercept short": (_text(m, intercept=m["intercept"][:3]), r"intercept: has 3 values, " + one_per_class),
        "multiclass intercept with a string": (_with(m, ["intercept", 3], "x"), r"intercept\[3\]: expected a number, got a string"),
        "multiclass unseen a number": (_with(m, ["unseen_scores", 1], 0.0), r"unseen_scores\[1\]: expected a list of 4 numbers \(one per class\)"),
        "multiclass unseen short": (_with(m, ["unseen_scores", 2], m["unseen_scores"][2][:2]), r"unseen_scores\[2\]: has 2 values, " + one_per_class),
        "a class fewer": (_text(m, classes=m["classes"][:3]), r"intercept: has 4 values, expected one per class \(3\)"),
        "two classes and K scores": (_text(m, classes=m["classes"][:2]), r"intercept: expected a finite number, got a list"),
        "multiclass labels out of order": (_text(m, classes=[m["classes"][1], m["classes"][0]] + m["classes"][2:]),
                                           rf"classes: expected distinct labels in increasing order, got '{m['classes'][0]}' at "
                                           rf"position 1 after '{m['classes'][1]}'"),
        "multiclass labels repeated": (_text(m, classes=m["classes"][:3] + m["classes"][2:3]),
                                       r"classes: expected distinct labels in increasing order, got .* at position 3"),
        "multiclass mixed object labels": (_text(m, classes=["a", "b", 3, "d"], classes_dtype="object"),
                                           r"classes: object labels must be all strings, all bools or all numbers, got a string \('a'\) and an integer \(3\)"),
        "multiclass labels longer than their dtype": (_text(m, classes_dtype="U5"), r"classes\[0\]: expected a string of at most 5 characters"),
    }
    return cases


NEW_CASES = _new_field_cases(CAT_DOC, MULTI_DOC, REG_DOC)


@pytest.mark.parametrize("case", list(NEW_CASES))
def test_hostile_new_fields_are_refused_naming_the_field(case):
    text, pattern = NEW_CASES[case]
    with pytest.raises(ValueError, match=REJECTED + r"(.|\n)*" + pattern):
        from_json(text() if callable(text) else text)


def test_new_field_cases_start_from_valid_documents():
    for doc, kind in ((CAT_DOC, EmbeddingSumClassifier), (MULTI_DOC, EmbeddingSumClassifier), (REG_DOC, EmbeddingSumRegressor)):
        assert type(from_json(json.dumps(doc))) is kind


def test_the_missing_bin_of_a_monotone_feature_is_free():
    # the constraint is on the interval bins; the missing bin may score anything
    loaded = from_json(_with(CAT_DOC, ["bin_scores", 0, -1], 1e6))
    assert loaded.bin_scores_[0][-1] == 1e6 and loaded.monotonic_cst_[0] == -1
    flat = _with(CAT_DOC, ["bin_scores", 0], [0.5] * (len(CAT_DOC["bin_scores"][0]) - 1) + [-3.0])
    assert from_json(flat).bin_scores_[0][0] == 0.5  # constant is monotone both ways


def test_number_categories_may_be_written_as_integers():
    loaded = from_json(_with(CAT_DOC, ["categories", 2], [int(v) for v in CAT_DOC["categories"][2]]))
    assert loaded.categories_[2].dtype == np.float64
    assert loaded.categories_[2].tolist() == CAT_DOC["categories"][2]


# ----------------------------------------------------------------------------------------------
# Format version 1: documents written before categorical features, multiclass and regression still load
# ----------------------------------------------------------------------------------------------

# Written by embedsum at commit 7c59626 (the last format_version 1 writer):
#   X: 60 rows, column "bytes" -inf in 25 rows, column "rate" NaN in every 5th row;
#   EmbeddingSumClassifier(max_bins=3, max_iter=3).fit(pd.DataFrame(X, columns=["bytes", "rate"]), labels)
V1_DOCUMENT = """{
"format": "embedsum",
"format_version": 1,
"library_version": "0.1.0",
"kind": "EmbeddingSumClassifier",
"params": {"embedding_sum_loss_weight":0.01,"l2":0.0,"max_bins":3,"max_iter":3,"regularizers":null,"step_loss_weight":0.01,"tol":1e-06,"verbose":0},
"custom_regularizers": [],
"n_features": 2,
"feature_names": ["bytes","rate"],
"classes": ["attack","benign"],
"classes_dtype": "U6",
"intercept": 0.6672169321977849,
"cuts": [["-inf",-0.33129089269991674],[-0.4786384630527245,0.1602267063174243]],
"bin_scores": [[-0.08944756696829495,0.24482277304751446,0.04982387556888469,0.0],[1.9070478808018065,-0.2956105745297541,-3.122276399112363,2.21717128486067]],
"bin_weights": [[0.4166666666666667,0.24999999999999994,0.33333333333333337,0.0],[0.26666666666666666,0.26666666666666666,0.2666666666666667,0.2]],
"n_iter": 3,
"history": {"loss":[0.6474466390346325,0.43085619707269474,0.2721297406828373,0.2520479494526416],"classification":[0.6474466390346325,0.427044283239166,0.2501080818689485,0.21955274846698739],"step":[0.0,0.0038119138335287227,0.021924335249926447,0.032478762962347654],"embedding_sum":[0.0,1.396299209680746e-34,9.732356396238409e-05,1.643802330655165e-05],"l2":[0.0,0.0,0.0,0.0]}
}
"""
V1_ROWS = np.array([[-np.inf, np.nan], [0.0, 0.0], [1.0, -1.0], [np.inf, 5.0], [-1.0, np.nan]])
# What that commit's model computed for V1_ROWS
V1_DECISION = ["0x1.65c09d7f32f8cp+1", "0x1.af8b6835315c7p-2", "0x1.4fe2235d9a41dp+1", "-0x1.33dec28600a30p+1",
               "0x1.9089fc5864fb4p+1"]
# and its probabilities, but for the fourth (z < 0): the sigmoid below 0 is now 1 / (1 + 1 / e), which
# never decreases, where that commit's e / (1 + e) gave ...6ebp-4, one ulp above (docs/design.md#scoring-contract)
V1_PROBA = ["0x1.e2827d8f55ad2p-1", "0x1.35289bb6b7365p-1", "0x1.dd62fe6c63660p-1", "0x1.530b2c26ab6eap-4",
            "0x1.ea89afd193ce9p-1"]
V1_PREDICT = ["benign", "benign", "benign", "attack", "benign"]
V1_DOC = json.loads(V1_DOCUMENT)


def _as_version_1(doc):
    """A format_version 5 document of a binary numeric classifier, as version 1 wrote it."""
    v1 = _without(doc, "is_categorical", "monotonic_cst", "category_kinds", "categories", "rare_categories",
                  "unseen_scores", "uncertainty", "pairs")
    v1["format_version"] = 1
    v1["kind"] = "EmbeddingSumClassifier"
    v1["params"] = _without(doc["params"], "categorical_features", "min_category_count", "monotonic_cst", "binning",
                            "min_bin_count", "uncertainty", "fairness", "fairness_tolerance", "interactions", "interaction_weight", "category_weight",
                            "interaction_bins", "interaction_weight", "category_weight")
    return v1


def test_version_1_document_loads_with_the_decision_values_of_its_time(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(V1_DOCUMENT, encoding="ascii")
    for loaded in (from_json(V1_DOCUMENT), load(path)):
        assert type(loaded) is EmbeddingSumClassifier
        assert loaded.get_params() == EmbeddingSumClassifier(max_bins=3, max_iter=3).get_params()
        assert loaded.is_categorical_.tolist() == [False, False] and loaded.is_categorical_.dtype == bool
        assert loaded.monotonic_cst_.tolist() == [0, 0] and loaded.monotonic_cst_.dtype == np.int8
        assert loaded.categories_ == loaded.rare_categories_ == loaded.unseen_scores_ == [None, None]
        assert loaded.feature_names_in_.tolist() == ["bytes", "rate"] and loaded.classes_.dtype == "<U6"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # no column names
            assert [float(v).hex() for v in loaded.decision_function(V1_ROWS)] == V1_DECISION
            assert [float(v).hex() for v in loaded.predict_proba(V1_ROWS)[:, 1]] == V1_PROBA
            assert loaded.predict(V1_ROWS).tolist() == V1_PREDICT


def test_version_1_document_is_saved_again_as_version_5():
    loaded = from_json(V1_DOCUMENT)
    doc = json.loads(loaded.to_json())
    assert doc["format_version"] == 5 and doc["kind"] == "classifier" and doc["pairs"] == []
    assert doc["params"]["binning"] == "quantile" and doc["params"]["min_bin_count"] == 5
    assert _as_version_1(doc) == V1_DOC  # the same numbers, bit for bit
    assert_same_model(from_json(loaded.to_json()), loaded, V1_ROWS)


def test_version_1_form_of_a_current_model_loads_as_that_model(model, doc):
    loaded = from_json(json.dumps(_as_version_1(doc)))
    assert_same_model(loaded, model)
    assert loaded.to_json() == model.to_json()


def _v1_cases(v):
    return {
        "a version 2 key in version 1": (_text(v, is_categorical=[False, False]),
                                         r"unknown keys \['is_categorical'\] \(format_version 1 has \['format'"),
        "a version 2 parameter in version 1": (_with(v, ["params", "monotonic_cst"], None),
                                               r"params: unknown \['monotonic_cst'\], missing \[\]; format_version 1 has exactly"),
        "a version 3 parameter in version 1": (_with(v, ["params", "binning"], "quantile"),
                                               r"params: unknown \['binning'\], missing \[\]; format_version 1 has exactly"),
        "a version 1 parameter missing": (_with(v, ["params"], _without(v["params"], "l2")),
                                          r"params: unknown \[\], missing \['l2'\]; format_version 1 has exactly"),
        "version 1 params not an object": (_text(v, params=None), r"params: expected an object, got null"),
        "version 2 kind in version 1": (_text(v, kind="classifier"),
                                        r"kind: unknown model kind a string \('classifier'\); format_version 1 reads 'EmbeddingSumClassifier'"),
        "three classes in version 1": (_text(v, classes=["a", "b", "c"]), r"classes: format_version 1 has exactly 2 classes, got 3"),
        "classes not a list in version 1": (_text(v, classes="ab"), r"classes: expected a list, got a string"),
        "no features in version 1": (_text(v, n_features=0), r"n_features: 0 is out of bounds"),
        "version 1 key missing": (_text(v, bin_weights=_DELETE), r"missing keys \['bin_weights'\]"),
        "version 1 unsorted cuts": (_with(v, ["cuts", 1], v["cuts"][1][::-1]), r"cuts\[1\]: not strictly increasing"),
        "version 1 null cuts": (_with(v, ["cuts", 1], None), r"cuts\[1\]: feature 1 is numeric \(is_categorical\[1\] is false\): expected its cuts"),
        "version 1 nested scores": (_with(v, ["bin_scores", 0, 0], [0.0]), r"bin_scores\[0\]\[0\]: expected a number, got a list"),
        "version 1 read as version 2": (_text(v, format_version=2),
                                        r"missing keys \['is_categorical', 'monotonic_cst', 'category_kinds', 'categories', "
                                        r"'rare_categories', 'unseen_scores'\]"),
    }


V1_CASES = _v1_cases(V1_DOC)


@pytest.mark.parametrize("case", list(V1_CASES))
def test_hostile_version_1_documents_are_refused(case):
    text, pattern = V1_CASES[case]
    with pytest.raises(ValueError, match=REJECTED + r"(.|\n)*" + pattern):
        from_json(text)


# ----------------------------------------------------------------------------------------------
# Format version 2: documents written before adaptive binning still load, binned by quantiles
# ----------------------------------------------------------------------------------------------

# Written by embedsum at commit ef63fc3 (the last format_version 2 writer):
#   rng = np.random.default_rng(7); 40 rows: a numeric column (NaN in every 7th row) and a
#   categorical one (tcp/udp/icmp/gre, 3 rows of sctp), labels attack/benign/scan;
#   EmbeddingSumClassifier(max_bins=3, max_iter=3, min_category_count=4).fit(X, y)
V2_DOCUMENT = """{
"format": "embedsum",
"format_version": 2,
"library_version": "0.1.0",
"kind": "classifier",
"params": {"categorical_features":"auto","embedding_sum_loss_weight":0.01,"l2":0.0,"max_bins":3,"max_iter":3,"min_category_count":4,"monotonic_cst":null,"regularizers":null,"step_loss_weight":0.01,"tol":1e-06,"verbose":0},
"custom_regularizers": [],
"n_features": 2,
"feature_names": null,
"classes": ["attack","benign","scan"],
"classes_dtype": "U6",
"intercept": [-1.0528881655671274,-1.245828716497198,-1.0049001712589665],
"is_categorical": [false,true],
"monotonic_cst": [0,0],
"cuts": [[-0.8088372394255993,-0.0325217049455206],null],
"category_kinds": [null,"str"],
"categories": [null,["gre","icmp","tcp","udp"]],
"rare_categories": [null,["sctp"]],
"bin_scores": [[[-0.82648630308342,0.6325195173778907,0.19396678570552958],[0.013193973929371649,-0.12453891315768455,0.1113449392283125],[0.44628232378698346,-0.34798168462970974,-0.09830063915727377],[0.7944466644720077,-0.6680528595741418,-0.12639380489786503]],[[-1.6856977643118172,1.152230146035691,0.5334676182761261],[0.8004365535227587,-1.040072495237526,0.23963594171476757],[-1.0207460307486353,1.218827527474591,-0.19808149672595535],[0.43403943862758315,0.09458227476544598,-0.5286217133930294],[0.9014582149029502,-1.1451271300476837,0.24366891514473316],[0.0,0.0,0.0]]],
"unseen_scores": [null,[-0.002422909382227242,-0.040395238114287475,0.042818147496514775]],
"bin_weights": [[0.3,0.275,0.27499999999999997,0.15],[0.15,0.375,0.2,0.2,0.075,0.0]],
"n_iter": 3,
"history": {"loss":[1.0960673284468552,0.9224644044971149,0.8182419906099921,0.806114924835377],"classification":[1.0960673284468552,0.9214025413058992,0.811974490662903,0.7982478631212713],"step":[0.0,0.0010618631912157484,0.0061373087019293985,0.007832351319033438],"embedding_sum":[0.0,5.609270963027825e-35,0.00013019124515975807,3.471039507217765e-05],"l2":[0.0,0.0,0.0,0.0]}
}
"""
V2_ROWS = np.array([[0.0, "tcp"], [np.nan, "udp"], [-2.0, "never seen"], [5.0, None], [1.0, "sctp"]], dtype=object)
# What that commit's model computed for V2_ROWS
V2_DECISION = [["-0x1.a09a21df98709p+0", "-0x1.7ffb82ab9652cp-2", "-0x1.4d20d6580a064p+0"],
               ["0x1.679fe437936b2p-3", "-0x1.d1bd9958be954p+0", "-0x1.a8f03c10bbe3ap+0"],
               ["-0x1.e1bd7914596ccp+0", "-0x1.4eb2591656352p-1", "-0x1.8946668607084p-1"],
               ["-0x1.36950a78043bcp-1", "-0x1.9803f55cdd5dap+0", "-0x1.1a6b5e49a8901p+0"],
               ["0x1.2dedc7ced77e4p-2", "-0x1.5e9581491746ep+1", "-0x1.b81490881ebb0p-1"]]
V2_PREDICT = ["benign", "attack", "benign", "attack", "attack"]
V2_DOC = json.loads(V2_DOCUMENT)


def _as_version_2(doc):
    """A format_version 5 document of a quantile-binned model without standard errors or pairs, as version 2 wrote it."""
    assert doc["params"]["binning"] == "quantile" and doc["uncertainty"] is None and doc["pairs"] == []
    return dict(_without(doc, "uncertainty", "pairs"), format_version=2,
                params=_without(doc["params"], "binning", "min_bin_count", "uncertainty", "fairness",
                                "fairness_tolerance", "interactions", "interaction_bins", "interaction_weight", "category_weight"))


def test_version_2_document_loads_binned_by_quantiles_with_the_decision_values_of_its_time():
    loaded = from_json(V2_DOCUMENT)
    assert type(loaded) is EmbeddingSumClassifier
    assert loaded.get_params() == EmbeddingSumClassifier(max_bins=3, max_iter=3, min_category_count=4).get_params()
    assert loaded.binning == "quantile" and loaded.min_bin_count == 5
    assert loaded.categories_[1].tolist() == ["gre", "icmp", "tcp", "udp"]
    assert [[float(v).hex() for v in row] for row in loaded.decision_function(V2_ROWS)] == V2_DECISION
    assert loaded.predict(V2_ROWS).tolist() == V2_PREDICT


def test_version_2_document_is_saved_again_as_version_5():
    loaded = from_json(V2_DOCUMENT)
    doc = json.loads(loaded.to_json())
    assert doc["format_version"] == 5
    assert doc["params"]["binning"] == "quantile" and doc["params"]["min_bin_count"] == 5
    assert _as_version_2(doc) == V2_DOC  # the same numbers, bit for bit
    assert_same_model(from_json(loaded.to_json()), loaded, V2_ROWS)


def test_version_2_form_of_a_current_model_loads_as_that_model(model, doc):
    loaded = from_json(json.dumps(_as_version_2(doc)))
    assert_same_model(loaded, model)
    assert loaded.to_json() == model.to_json()


def test_an_adaptively_binned_model_loads_with_its_binning_and_the_same_bits():
    X, y = _data(seed=3)
    X[:200, 0] = 0.0  # a point mass: adaptive cuts differ from the quantile ones
    model = EmbeddingSumClassifier(max_bins=8, binning="adaptive", min_bin_count=3).fit(X, y)
    doc = json.loads(model.to_json())
    assert doc["params"]["binning"] == "adaptive" and doc["params"]["min_bin_count"] == 3
    loaded = from_json(model.to_json())
    assert loaded.binning == "adaptive" and loaded.min_bin_count == 3
    assert_same_model(loaded, model, X)


V2_CASES = {
    "a version 3 parameter in version 2": (_with(V2_DOC, ["params", "binning"], "quantile"),
                                           r"params: unknown \['binning'\], missing \[\]; format_version 2 has exactly"),
    "a version 2 parameter missing": (_with(V2_DOC, ["params"], _without(V2_DOC["params"], "min_category_count")),
                                      r"params: unknown \[\], missing \['min_category_count'\]; format_version 2 has"),
    "version 2 params not an object": (_text(V2_DOC, params=[]), r"params: expected an object, got a list"),
    "version 2 read as version 1": (_text(V2_DOC, format_version=1), r"unknown keys \['categories', 'category_kinds'"),
    "version 2 read as version 3": (_text(V2_DOC, format_version=3),
                                    r"params: unknown \[\], missing \['binning', 'min_bin_count'\]; format_version 3 "
                                    r"has exactly"),
    "version 2 read as version 4": (_text(V2_DOC, format_version=4), r"missing keys \['uncertainty'\]"),
}


@pytest.mark.parametrize("case", list(V2_CASES))
def test_hostile_version_2_documents_are_refused(case):
    text, pattern = V2_CASES[case]
    with pytest.raises(ValueError, match=REJECTED + r"(.|\n)*" + pattern):
        from_json(text)


BINNING_PARAM_CASES = {
    "binning unknown": ("binning", "x", r"params: binning must be one of \['quantile', 'adaptive'\], got 'x'"),
    "binning capitalised": ("binning", "Quantile", r"params: binning must be one of"),
    "binning null": ("binning", None, r"params.binning: expected a string, got null"),
    "binning a number": ("binning", 1, r"params.binning: expected a string, got an integer \(1\)"),
    "binning a list": ("binning", ["quantile"], r"params.binning: expected a string, got a list"),
    "binning missing": ("binning", _DELETE, r"params: unknown \[\], missing \['binning'\]"),
    "min_bin_count zero": ("min_bin_count", 0, r"params: min_bin_count must be >= 1, got 0"),
    "min_bin_count negative": ("min_bin_count", -5, r"params: min_bin_count must be >= 1"),
    "min_bin_count fractional": ("min_bin_count", 2.5, r"params: min_bin_count must be an integer, got 2.5"),
    "min_bin_count a bool": ("min_bin_count", True, r"params.min_bin_count: expected a number, got a bool"),
    "min_bin_count a string": ("min_bin_count", "5", r"params.min_bin_count: expected a number, got a string"),
    "min_bin_count huge": ("min_bin_count", 2**63, r"params.min_bin_count: 9223372036854775808 is out of bounds"),
    "min_bin_count missing": ("min_bin_count", _DELETE, r"params: unknown \[\], missing \['min_bin_count'\]"),
    "an unknown parameter": ("min_bin_counts", 5, r"params: unknown \['min_bin_counts'\], missing \[\]"),
}


@pytest.mark.parametrize("case", list(BINNING_PARAM_CASES))
def test_hostile_binning_parameters_are_refused(doc, case):
    name, value, pattern = BINNING_PARAM_CASES[case]
    params = dict(doc["params"])
    if value is _DELETE:
        del params[name]
    else:
        params[name] = value
    with pytest.raises(ValueError, match=REJECTED + pattern):
        from_json(_text(doc, params=params))


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
    path.write_bytes(b'{"format": "embedsum", "format_version": 6}')
    with pytest.raises(ValueError, match=r"embedsum model file '.*broken.json' rejected: format_version 6 is not supported"):
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
    CAT_DOC,
    json.loads(to_json(_categorical_model("multiclass", max_bins=3, min_category_count=30))),
    json.loads(to_json(EmbeddingSumRegressor(max_bins=3, categorical_features=[1]).fit(FRAME.iloc[:, :2], SIGNAL))),
    V1_DOC,
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["-inf", "inf", "NaN", "embedsum", "EmbeddingSumClassifier", "U6", "bool", "object", "int64",
                     "classifier", "regressor", "str", "number", "auto", "", "tcp"]),
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


def _mutate_structure(data, text):
    doc = json.loads(text)  # a fresh copy (parsing is cheaper than deepcopy)
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
        assert type(loaded) in (EmbeddingSumClassifier, EmbeddingSumRegressor)
        X = _rows(loaded.n_features_in_)[:5]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # feature-name warnings; overflow to inf for huge scores
            labels = loaded.predict(X)
            proba = None if isinstance(loaded, EmbeddingSumRegressor) else loaded.predict_proba(X)
        assert labels.shape == (5,)
        if proba is not None:
            assert labels.dtype == loaded.classes_.dtype and proba.shape == (5, len(loaded.classes_))


# Each base document once as JSON text, and once as the bytes the writer makes of it (loaded and saved again).
BASE_TEXTS = [json.dumps(doc) for doc in BASE_DOCS]
BASE_BYTES = [to_json(from_json(text)).encode() for text in BASE_TEXTS]


@settings(max_examples=600)
@given(data=st.data())
def test_structural_mutations_load_or_raise_value_error(data):
    text = BASE_TEXTS[data.draw(st.integers(0, len(BASE_TEXTS) - 1), label="base")]
    _load_or_value_error(_mutate_structure(data, text))


@settings(max_examples=600)
@given(data=st.data())
def test_byte_mutations_load_or_raise_value_error(data):
    raw = BASE_BYTES[data.draw(st.integers(0, len(BASE_BYTES) - 1), label="base")]
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


@pytest.mark.parametrize("path", sorted((PACKAGE_DIR / "persistence").glob("*.py")), ids=lambda p: p.name)
def test_persistence_does_not_import_scipy(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
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
        assert np.array_equal(bits(loaded.predict_proba(X[:n])), bits(model.predict_proba(X[:n])))
