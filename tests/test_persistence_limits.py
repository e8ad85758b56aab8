"""What loading costs and what saving keeps (docs/design.md#persistence-format, #loader-bounds).

- loading allocates at most a small constant times the document's size, whatever the
  document says (a dtype width, a count): crafted documents measured with tracemalloc;
- running out of memory is a ValueError; loading works with floating-point errors raising
  and with warnings as errors, also for scores at the edge of float64;
- save and load are inverses for every string the API accepts, or saving refuses the
  string: surrogate code points (lone, or a pair given as two code points) are refused,
  when saving and when loading;
- a model fit with the largest max_bins can be saved.
"""

import json
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import embedsum
from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.persistence._reader import MAX_BINS, MAX_FEATURES, from_json

REJECTED = r"embedsum model document rejected: "


@pytest.fixture(scope="module")
def doc():
    X = np.random.default_rng(0).normal(size=(200, 2))
    model = EmbeddingSumClassifier(max_bins=4).fit(X, np.where(X[:, 0] > 0, "attack", "benign"))
    return json.loads(model.to_json())


def _changed(doc, **changes):
    return json.dumps(dict(doc, **changes))


# ----------------------------------------------------------------------------------------------
# memory: in proportion to the document
# ----------------------------------------------------------------------------------------------

# Python's json makes objects of up to ~25 times the text they come from ("[]," is a list);
# the arrays built from them are smaller than those objects. The slack covers the estimator.
ALLOCATION_FACTOR = 40
ALLOCATION_SLACK = 2**18


def _load_or_refuse(text):
    try:
        return from_json(text)
    except ValueError:
        return None


def _peak_bytes(text):
    """Peak memory traced while loading ``text`` (loaded or refused alike)."""
    _load_or_refuse(text)  # not measured: first-use imports and caches
    tracemalloc.start()
    try:
        _load_or_refuse(text)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _peak_of_refused(text):
    with pytest.raises(ValueError):
        from_json(text)
    return _peak_bytes(text)


def _labels(n, width=3):
    return [f"{i:0{width}d}" for i in range(n)]


def _hostile_documents(doc):
    """Documents that name far more memory than they hold."""
    many = _labels(1024)
    v1 = dict(doc, format_version=1, kind="EmbeddingSumClassifier", n_features=MAX_FEATURES,
              params={k: v for k, v in doc["params"].items()
                      if k not in ("categorical_features", "min_category_count", "monotonic_cst", "binning",
                                   "min_bin_count")})
    for key in ("is_categorical", "monotonic_cst", "category_kinds", "categories", "rare_categories",
                "unseen_scores"):
        del v1[key]
    return {
        # 1024 labels of 4 characters in "U65536" would be an array of 256 MiB.
        "wide U dtype": _changed(doc, classes=many, classes_dtype="U65536"),
        "wide S dtype": _changed(doc, classes=many, classes_dtype="S65536"),
        # 8192 short labels in "U65536": 2 GiB.
        "many labels in a wide U dtype": _changed(doc, classes=_labels(8192, 4), classes_dtype="U65536"),
        # one long label widens the array for every other one: 1024 x 65536 characters.
        "one long label": _changed(doc, classes=[*many[:-1], "9" * 65536], classes_dtype="U65536"),
        # format 1 makes its per-feature lists from n_features: 2**20 of them, for 2 features.
        "version 1 with many features": json.dumps(v1),
    }


@pytest.mark.parametrize("case", ["wide U dtype", "wide S dtype", "many labels in a wide U dtype", "one long label",
                                  "version 1 with many features"])
def test_loading_a_hostile_document_allocates_in_proportion_to_it(doc, case):
    text = _hostile_documents(doc)[case]
    peak = _peak_of_refused(text)
    assert peak <= ALLOCATION_FACTOR * len(text) + ALLOCATION_SLACK, (peak, len(text))


def test_labels_are_stored_in_an_array_of_their_own_width_when_a_wider_one_is_refused():
    """A model fit on labels in a very wide array saves with the longest label's width: the
    same labels, and the document loads within the memory bound."""
    X = np.random.default_rng(1).normal(size=(300, 2))
    y = np.where(X[:, 0] > 0, "attack", "benign").astype("<U100000")
    model = EmbeddingSumClassifier(max_bins=4).fit(X, y)
    assert model.classes_.dtype == np.dtype("<U100000")
    text = model.to_json()
    assert json.loads(text)["classes_dtype"] == "U6"
    loaded = from_json(text)
    assert loaded.classes_.tolist() == model.classes_.tolist()
    assert loaded.predict(X).tolist() == model.predict(X).tolist()
    assert _peak_bytes(text) <= ALLOCATION_FACTOR * len(text) + ALLOCATION_SLACK
    # a width that is merely wider than the labels still round-trips as it is
    narrow = EmbeddingSumClassifier(max_bins=4).fit(X, y.astype("<U20"))
    assert from_json(narrow.to_json()).classes_.dtype == np.dtype("<U20")


@pytest.mark.parametrize("kind", ["classifier", "multiclass", "regressor"])
def test_loading_an_ordinary_document_allocates_in_proportion_to_it(kind):
    X = np.random.default_rng(2).normal(size=(400, 5))
    if kind == "regressor":
        model = EmbeddingSumRegressor(max_bins=16).fit(X, X[:, 0])
    else:
        y = np.digitize(X[:, 0], [-0.5, 0.5]) if kind == "multiclass" else X[:, 0] > 0
        model = EmbeddingSumClassifier(max_bins=16).fit(X, y)
    text = model.to_json()
    assert _peak_bytes(text) <= ALLOCATION_FACTOR * len(text) + ALLOCATION_SLACK


def test_running_out_of_memory_is_a_value_error(doc, tmp_path, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    text = json.dumps(doc)
    path = tmp_path / "model.json"
    path.write_text(text)
    monkeypatch.setattr(json, "loads", exhausted)  # the loader parses with the json module's loads
    for call in (lambda: from_json(text), lambda: from_json(text.encode()), lambda: embedsum.load(path)):
        with pytest.raises(ValueError, match=r"rejected: there is not enough memory to load it"):
            call()


# ----------------------------------------------------------------------------------------------
# floating-point errors raising, warnings as errors
# ----------------------------------------------------------------------------------------------


def _extreme_scores(doc):
    """Scores at the edge of float64 whose weighted mean deviation overflows unless scaled."""
    n_bins = len(doc["bin_scores"][0])
    scores = [1.7e308 if b % 2 == 0 else -1.7e308 for b in range(n_bins)]
    weights = [0.7] + [0.3 / (n_bins - 1)] * (n_bins - 1)
    return _changed(doc, bin_scores=[scores, doc["bin_scores"][1]], bin_weights=[weights, doc["bin_weights"][1]])


def _strict(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return call()


def test_loading_works_with_floating_point_errors_raising_and_warnings_as_errors(doc):
    model = _strict(lambda: from_json(json.dumps(doc)))
    assert np.isfinite(model.feature_importances_).all()
    tiny = _changed(doc, bin_scores=[[5e-324, -5e-324, 1e-310, 0.0, 1e-300], doc["bin_scores"][1]])
    assert np.isfinite(_strict(lambda: from_json(tiny)).feature_importances_).all()


def test_scores_at_the_edge_of_float64_load_with_finite_importances(doc):
    """The importance of a feature is at most its largest |score|: finite for finite scores.
    (Needs the overflow-safe mirad_importances of embedsum.model.)"""
    text = _extreme_scores(doc)
    model = _strict(lambda: from_json(text))
    importance = model.feature_importances_[0]
    assert np.isfinite(importance) and 0 < importance <= 1.7e308


@pytest.mark.parametrize("change, pattern", [
    ({"bin_weights": [[1e308, 1e308, 1e308, 1e308, 0.0], [0.25, 0.25, 0.25, 0.25, 0.0]]},
     r"bin_weights\[0\]: sums to inf"),
    ({"cuts": [[1e308, -1e308, 0.0], [0.0, 1.0, 2.0]]}, r"cuts\[0\]: not strictly increasing: -1e\+308 at position 1"),
    ({"classes": [1e-320, 2e-320], "classes_dtype": "float16"}, r"classes: expected distinct labels"),
])
def test_refusals_are_value_errors_with_floating_point_errors_raising(doc, change, pattern):
    doc = dict(doc, **change)
    for key in ("cuts", "bin_scores", "bin_weights"):  # 3 cuts, 5 bins for each feature
        if key not in change:
            doc[key] = {"cuts": [[0.0, 1.0, 2.0]] * 2, "bin_scores": [[0.0] * 5] * 2,
                        "bin_weights": [[0.25, 0.25, 0.25, 0.25, 0.0]] * 2}[key]
    with pytest.raises(ValueError, match=REJECTED + pattern):
        _strict(lambda: from_json(json.dumps(doc)))


# ----------------------------------------------------------------------------------------------
# strings: save and load are inverses, or saving refuses
# ----------------------------------------------------------------------------------------------

# Letters, digits, symbols, spaces, and surrogate code points (category Cs), which a Python
# str holds and JSON cannot keep apart from the character a pair of them encodes.
TEXT = st.text(st.characters(categories=["Cs", "Lu", "Ll", "Nd", "So", "Zs", "Po"]), min_size=1, max_size=6)


class _Named(np.ndarray):
    """An array with column names: a table of any names (pandas refuses surrogates in them)."""

    def __new__(cls, data, columns):
        table = np.asarray(data).view(cls)
        table.columns = list(columns)
        return table


def _has_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in value)


@settings(max_examples=40, deadline=None)
@given(names=st.lists(TEXT, min_size=2, max_size=2, unique=True),
       labels=st.lists(TEXT, min_size=2, max_size=2, unique=True),
       categories=st.lists(TEXT, min_size=2, max_size=3, unique=True))
def test_strings_round_trip_exactly_or_saving_refuses_them(names, labels, categories):
    rng = np.random.default_rng(0)
    n = 60
    data = np.empty((n, 2), dtype=object)
    data[:, 0] = rng.normal(size=n)
    data[:, 1] = np.array(categories, dtype=object)[np.arange(n) % len(categories)]
    frame = _Named(data, names)
    y = np.array(labels)[(np.arange(n) // 2) % 2]
    model = EmbeddingSumClassifier(max_bins=4, min_category_count=1, categorical_features=[1]).fit(frame, y)
    if any(map(_has_surrogate, names + labels + categories)):
        with pytest.raises(ValueError, match=r"cannot save this model, .*surrogate code point U\+D[89A-F]"):
            model.to_json()
        return
    loaded = from_json(model.to_json())
    assert loaded.feature_names_in_.tolist() == names
    assert loaded.classes_.tolist() == model.classes_.tolist() and loaded.classes_.dtype == model.classes_.dtype
    assert loaded.categories_[1].tolist() == model.categories_[1].tolist()
    assert loaded.predict(frame).tolist() == model.predict(frame).tolist()


def test_a_surrogate_pair_given_as_two_code_points_is_refused_not_merged():
    X = np.random.default_rng(3).normal(size=(100, 1))
    model = EmbeddingSumClassifier(max_bins=4).fit(X, np.where(X[:, 0] > 0, "\ud83d\ude00", "b"))
    assert len(model.classes_[1]) == 2  # two code points in Python
    with pytest.raises(ValueError, match=r"classes\[1\]: '\\ud83d\\ude00' holds the surrogate code point U\+D83D"):
        model.to_json()
    # The character itself (one code point) round-trips.
    model = EmbeddingSumClassifier(max_bins=4).fit(X, np.where(X[:, 0] > 0, "\U0001f600", "b"))
    assert from_json(model.to_json()).classes_.tolist() == ["b", "\U0001f600"]


@pytest.mark.parametrize("path, value", [
    (("feature_names", 0), "\ud800"),
    (("classes", 0), "\udc00"),
    (("history", "\ud83d"), None),
    (("library_version",), "0.1\udfff"),
    (("custom_regularizers", 0), "\ud800x"),
])
def test_a_document_holding_a_surrogate_is_refused(doc, path, value):
    doc = json.loads(json.dumps(doc))
    if path[0] == "history":
        doc["history"] = {path[1]: doc["history"]["loss"]}
    elif path[0] == "library_version":
        doc["library_version"] = value
    elif path[0] == "custom_regularizers":
        doc["custom_regularizers"] = [value]
    elif path[0] == "feature_names":
        doc["feature_names"] = [value, "b"]
    else:
        doc["classes"] = sorted([value, doc["classes"][1]])
    text = json.dumps(doc)  # escapes: \ud800 in the JSON text
    assert "\\ud" in text
    for document in (text, json.dumps(doc, ensure_ascii=False)):  # escaped, and raw in a str
        with pytest.raises(ValueError, match=REJECTED + r".*surrogate code point U\+D[89A-F]"):
            from_json(document)


def test_an_escaped_pair_is_the_character_it_encodes_and_loads(doc):
    text = _changed(doc, classes=["a", "\U0001f600"], classes_dtype="U1")
    assert "\\ud83d\\ude00" in text  # json writes the character as an escaped pair
    assert from_json(text).classes_.tolist() == ["a", "\U0001f600"]


# ----------------------------------------------------------------------------------------------
# a model that fits can be saved
# ----------------------------------------------------------------------------------------------


def test_a_model_with_the_largest_max_bins_saves_and_loads():
    rng = np.random.default_rng(4)
    X = rng.permutation(np.arange(MAX_BINS + 5, dtype=np.float64))[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=2 does not converge: not what this is about
        model = EmbeddingSumClassifier(max_bins=MAX_BINS, max_iter=2).fit(X, X[:, 0] % 3 == 0)
    assert len(model.cuts_[0]) == MAX_BINS - 1
    loaded = from_json(model.to_json())
    assert np.array_equal(loaded.cuts_[0], model.cuts_[0])
    assert np.array_equal(loaded.decision_function(X[:100]), model.decision_function(X[:100]))


def test_fit_refuses_more_bins_than_the_format_stores():
    """(Needs fit's parameter check to bound max_bins by the shared MAX_BINS.)"""
    X = np.random.default_rng(5).normal(size=(50, 1))
    with pytest.raises(ValueError, match="max_bins"):
        EmbeddingSumClassifier(max_bins=MAX_BINS + 1).fit(X, X[:, 0] > 0)
