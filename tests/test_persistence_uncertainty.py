"""Saving and loading standard errors (format_version 4) and reading version 3 documents.

A model fitted with uncertainty=True saves its covariance (the packed lower triangle), edf, scale and
feature tests; the loader checks them like every other field and recomputes ``bin_scores_se_`` with
fit's code, so a loaded model has the same bits. A version 3 document, as embedsum wrote it before
standard errors, loads without them.
"""

import copy
import json

import numpy as np
import pytest

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor, from_json

REJECTED = r"embedsum model document rejected: "

# Written by embedsum at commit fb00673 (the last format_version 3 writer): an adaptively binned
# regressor with a numeric and a categorical feature.
V3_DOCUMENT = """{
"format": "embedsum",
"format_version": 3,
"library_version": "0.1.0",
"kind": "regressor",
"params": {"binning":"adaptive","categorical_features":"auto","embedding_sum_loss_weight":0.01,"l2":0.0,"max_bins":3,"max_iter":5,"min_bin_count":4,"min_category_count":5,"monotonic_cst":null,"regularizers":null,"step_loss_weight":0.01,"tol":1e-06,"verbose":0},
"custom_regularizers": [],
"n_features": 2,
"feature_names": null,
"classes": null,
"classes_dtype": null,
"intercept": 0.40433333333333454,
"is_categorical": [false,true],
"monotonic_cst": [0,0],
"cuts": [[-0.32,0.4],null],
"category_kinds": [null,"str"],
"categories": [null,["a","b","c"]],
"rare_categories": [null,[]],
"bin_scores": [[-1.910312782124011,0.0008007341677578762,1.909512047956258,0.0],[0.7816349839205041,-0.209318788428989,-0.30954397449433557,0.0,0.0]],
"unseen_scores": [null,1.429412144204889e-15],
"bin_weights": [[0.3333333333333333,0.3333333333333333,0.3333333333333333,0.0],[0.25,0.36666666666666664,0.38333333333333336,0.0,0.0]],
"n_iter": 5,
"history": {"loss":[1.7451539444444446,0.4749309616414445,0.350189076033232,0.3334095434702126,0.3329474573714439,0.33294652013391013],"squared_error":[1.7451539444444446,0.4586383601643609,0.31901287524831995,0.2971620539852353,0.29645905835254666,0.29646885137622353],"step":[0.0,0.016292601477083675,0.031176200784912098,0.03624748948497735,0.03648839901889722,0.03647766875768656],"embedding_sum":[0.0,1.0755341565347372e-34,3.3610442391710536e-36,1.1965317491448952e-33,3.9794763791785275e-33,2.3933996027137075e-32],"l2":[0.0,0.0,0.0,0.0,0.0,0.0]}
}
"""
V3_ROWS = np.array([[0.3, "a"], [-1.0, "zzz"], [np.nan, "c"]], dtype=object)
# What that commit's model predicted for V3_ROWS
V3_PREDICT = ["0x1.2fd018b7c2bd3p+0", "-0x1.8187de810109dp+0", "0x1.8441d8c38e940p-4"]


def test_version_3_document_loads_without_standard_errors_and_saves_as_version_5():
    loaded = from_json(V3_DOCUMENT)
    assert type(loaded) is EmbeddingSumRegressor and loaded.uncertainty is False
    assert not hasattr(loaded, "bin_scores_se_") and not hasattr(loaded, "covariance_")
    assert [float(v).hex() for v in loaded.predict(V3_ROWS)] == V3_PREDICT
    doc = json.loads(loaded.to_json())
    assert doc["format_version"] == 5 and doc["params"]["uncertainty"] is False and doc["uncertainty"] is None
    assert doc["pairs"] == []
    old = json.loads(V3_DOCUMENT)
    assert {k: v for k, v in doc.items() if k not in ("format_version", "params", "uncertainty", "pairs")} == \
        {k: v for k, v in old.items() if k not in ("format_version", "params")}


def _models():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 3))
    X[::9, 1] = np.nan
    y = X[:, 0] + rng.normal(size=240) > 0
    frame = np.empty((240, 2), dtype=object)
    frame[:, 0] = X[:, 0]
    frame[:, 1] = rng.choice(np.array(["tcp", "udp", "icmp"], dtype=object), size=240)
    return [
        EmbeddingSumClassifier(max_bins=4, uncertainty=True).fit(X, y),
        EmbeddingSumClassifier(max_bins=4, uncertainty=True).fit(X, rng.integers(0, 3, size=240)),
        EmbeddingSumRegressor(max_bins=4, uncertainty=True, min_category_count=5).fit(frame, X[:, 0] * 2),
    ]


@pytest.fixture(scope="module")
def models():
    return _models()


def test_standard_errors_round_trip_bit_for_bit(models):
    rows = [np.random.default_rng(1).normal(size=(5, 3))] * 2 + [np.array([[0.2, "tcp"], [1.0, "sctp"]], dtype=object)]
    for model, X in zip(models, rows):
        text = model.to_json()
        loaded = from_json(text)
        assert loaded.to_json() == text and loaded.uncertainty is True
        assert np.array_equal(loaded.covariance_, model.covariance_)
        for a, b in zip(loaded.bin_scores_se_, model.bin_scores_se_):
            assert a.tobytes() == b.tobytes()
        for key in ("statistic", "df", "edf", "p_value"):
            assert loaded.feature_tests_[key].tobytes() == model.feature_tests_[key].tobytes()
        assert loaded.edf_ == model.edf_ and getattr(loaded, "scale_", None) == getattr(model, "scale_", None)
        for a, b in zip(loaded.decision_interval(X), model.decision_interval(X)):
            assert a.tobytes() == b.tobytes()


def _hostile_cases(doc):
    P = int(round((np.sqrt(8 * len(doc["uncertainty"]["covariance"]) + 1) - 1) / 2))
    cov = doc["uncertainty"]["covariance"]
    negative = copy.deepcopy(cov)
    negative[0] = -1.0
    too_large = copy.deepcopy(cov)
    too_large[1] = 1e3  # V[1][0] beyond sqrt(V[0][0] V[1][1])
    tests = doc["uncertainty"]["feature_tests"]

    def changed(path, value):
        new = copy.deepcopy(doc)
        node = new
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        return json.dumps(new)

    return {
        "standard errors without the parameter": (changed(["params", "uncertainty"], False),
                                                   r"uncertainty: params.uncertainty is false: expected null"),
        "the parameter without standard errors": (changed(["uncertainty"], None),
                                                   r"uncertainty: params.uncertainty is true: expected"),
        "parameter not a bool": (changed(["params", "uncertainty"], 1),
                                 r"params.uncertainty: expected true or false, got an integer"),
        "triangle too short": (changed(["uncertainty", "covariance"], cov[:-1]),
                               rf"uncertainty.covariance: has {len(cov) - 1} values; the lower triangle of {P} "
                               rf"parameters has {len(cov)}"),
        "triangle too long": (changed(["uncertainty", "covariance"], cov + [0.0]),
                              r"uncertainty.covariance: has \d+ entries, more than the bound"),
        "a string in it": (changed(["uncertainty", "covariance"], ["x"] + cov[1:]),
                           r"uncertainty.covariance\[0\]: expected a number, got a string"),
        "negative variance": (changed(["uncertainty", "covariance"], negative),
                              r"uncertainty.covariance: variance -1.0 of parameter 0 is negative"),
        "not a covariance": (changed(["uncertainty", "covariance"], too_large),
                             r"covariance 1000.0 of parameters 0 and 1 exceeds the product"),
        "p-value above 1": (changed(["uncertainty", "feature_tests", "p_value"], [1.5] + tests["p_value"][1:]),
                            r"uncertainty.feature_tests.p_value: expected numbers >= 0 and <= 1"),
        "a test missing": (changed(["uncertainty", "feature_tests"], {k: v for k, v in tests.items() if k != "df"}),
                           r"uncertainty.feature_tests: expected exactly the keys"),
        "tests of too few features": (changed(["uncertainty", "feature_tests", "edf"], tests["edf"][:1]),
                                      r"uncertainty.feature_tests.edf: has 1 values for n_features=3"),
        "a classifier with a scale": (changed(["uncertainty", "scale"], 2.0),
                                      r"uncertainty.scale: expected 1.0 for a classifier, got 2.0"),
        "negative edf": (changed(["uncertainty", "edf"], -1.0), r"uncertainty.edf: expected a number >= 0"),
        "an extra key": (changed(["uncertainty"], dict(doc["uncertainty"], more=1)),
                         r"uncertainty: expected exactly the keys"),
        "a list for the record": (changed(["uncertainty"], []), r"uncertainty: expected an object, got a list"),
        "version 3 with standard errors": (changed(["format_version"], 3),
                                           r"unknown keys \['pairs', 'uncertainty'\] \(format_version 3 has"),
    }


def test_hostile_standard_errors_are_refused(models):
    doc = json.loads(models[0].to_json())
    for case, (text, pattern) in _hostile_cases(doc).items():
        with pytest.raises(ValueError, match=REJECTED + r"(.|\n)*" + pattern):
            from_json(text)


def test_the_covariance_bound_is_checked_before_the_matrix_is_made(models, monkeypatch):
    import embedsum.persistence._uncertainty as fields

    monkeypatch.setattr(fields, "_MAX_COVARIANCE_PARAMS", 3)
    with pytest.raises(ValueError, match=r"uncertainty.covariance: the model has \d+ parameters, more than the bound 3"):
        from_json(models[0].to_json())
