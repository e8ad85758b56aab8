"""The table of shared hyperparameters (embedsum/_hyperparameters.py) and what it must agree with.

The estimators' ``__init__`` signatures and docstrings are written out by hand (scikit-learn
reads the signatures); these tests hold them to the table: the same names, the same defaults,
and the table's one-line description at the start of each parameter's documentation.
"""

import ast
import inspect
import json
import re

import numpy as np
import pytest

from embedsum import (EmbeddingSumClassifier, EmbeddingSumClassifierCV, EmbeddingSumRegressor,
                      EmbeddingSumRegressorCV, from_json)
from embedsum._hyperparameters import HYPERPARAMETERS, check_hyperparameters
from embedsum._validation import MAX_BINS

PLAIN = (EmbeddingSumClassifier, EmbeddingSumRegressor)
CROSS_VALIDATED = (EmbeddingSumClassifierCV, EmbeddingSumRegressorCV)
_GRIDDED = ("step_loss_weight", "category_weight", "interaction_weight")  # the CV estimators' grids replace these


def _signature_defaults(cls) -> dict:
    return {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"}


def _documented_parameters(cls) -> dict:
    """name -> (the text after ``name :`` or None, the description) from the docstring's Parameters section."""
    doc = inspect.getdoc(cls)
    section = re.search(r"^Parameters\n-+\n(.*?)(?=^\S[^\n]*\n-+\n|\Z)", doc, flags=re.M | re.S).group(1)
    entries, current = {}, None
    for line in section.splitlines():
        if line and not line[0].isspace():
            names, _, spec = line.partition(" : ")
            current = [spec or None, []]
            for name in names.split(","):
                entries[name.strip()] = current
        elif current is not None and line.strip():
            current[1].append(line.strip())
    return {name: (spec, " ".join(lines)) for name, (spec, lines) in entries.items()}


@pytest.mark.parametrize("cls", PLAIN + CROSS_VALIDATED, ids=lambda c: c.__name__)
def test_signature_defaults_are_the_table_defaults(cls):
    defaults = _signature_defaults(cls)
    cross_validated = cls in CROSS_VALIDATED
    shared = [name for name in HYPERPARAMETERS if not (cross_validated and name in _GRIDDED)]
    assert set(shared) <= set(defaults)
    if not cross_validated:
        assert list(defaults) == list(HYPERPARAMETERS)  # the table is in signature order
    for name in shared:
        row = HYPERPARAMETERS[name]
        expected = (row.default_cv if cross_validated else
                    row.default_regressor if cls is EmbeddingSumRegressor else row.default)
        assert defaults[name] == expected and type(defaults[name]) is type(expected), (cls.__name__, name)


@pytest.mark.parametrize("cls", PLAIN + CROSS_VALIDATED, ids=lambda c: c.__name__)
def test_docstrings_document_every_parameter_with_its_default(cls):
    documented = _documented_parameters(cls)
    defaults = _signature_defaults(cls)
    assert sorted(documented) == sorted(defaults)
    for name, (spec, _) in documented.items():
        found = re.search(r"default=(.*)$", spec or "")
        if found:
            assert ast.literal_eval(found.group(1)) == defaults[name], (cls.__name__, name)


def test_the_classifier_documents_each_parameter_with_the_table_description():
    documented = _documented_parameters(EmbeddingSumClassifier)
    for name, row in HYPERPARAMETERS.items():
        spec, description = documented[name]
        assert spec is not None and "default=" in spec, name
        assert description.startswith(row.doc.rstrip(".")), name


def test_saved_documents_hold_the_table_parameters():
    X = np.random.default_rng(0).normal(size=(60, 2))
    doc = json.loads(EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 0]).to_json())
    assert list(doc["params"]) == sorted(HYPERPARAMETERS)
    # interactions, resolved at fit, is a number (0) or a list of pairs
    numbers = {name for name, value in doc["params"].items()
               if type(value) in (int, float) and HYPERPARAMETERS[name].kind != "resolved at fit"}
    assert numbers == {name for name, row in HYPERPARAMETERS.items() if row.is_number}


BAD_VALUES = {
    "max_bins": [1, MAX_BINS + 1, 2.5, True, np.nan],
    "step_loss_weight": [-1e-9, np.inf, "0.1", None],
    "embedding_sum_loss_weight": [-1.0, np.nan],
    "l2": [-0.5, False],
    "regularizers": [[object()], ["l2"]],
    "max_iter": [0, 10.0],
    "tol": [0.0, -1e-6, np.inf],
    "verbose": [-1, 0.5],
    "min_category_count": [0, 1.5],
    "binning": ["x", "Quantile", None, 1, b"quantile"],
    "min_bin_count": [0, 2.5, True, -1],
    "uncertainty": ["yes", 1, 0, None, 1.0],
    "fairness": ["parity", "", 1, True, "Demographic_Parity"],
    "fairness_tolerance": [-0.1, np.nan, np.inf, None, "0.1", True],
}


@pytest.mark.parametrize("name,value", [(n, v) for n, values in BAD_VALUES.items() for v in values])
def test_every_estimator_and_the_loader_refuse_what_the_table_refuses(name, value):
    with pytest.raises((ValueError, TypeError), match=name):
        check_hyperparameters({name: value})
    for cls in PLAIN + CROSS_VALIDATED:
        if cls in CROSS_VALIDATED and name == "step_loss_weight":
            continue
        with pytest.raises((ValueError, TypeError), match=name):
            cls(**{name: value})._check_params()
    if HYPERPARAMETERS[name].is_number and type(value) in (int, float) and np.isfinite(value):
        X = np.random.default_rng(0).normal(size=(60, 2))
        doc = json.loads(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0).to_json())
        doc["params"][name] = value
        with pytest.raises(ValueError, match=f"params: {name}"):
            from_json(json.dumps(doc))


def test_good_values_pass():
    check_hyperparameters({name: row.default for name, row in HYPERPARAMETERS.items()})
    check_hyperparameters({"uncertainty": True})
    check_hyperparameters({"uncertainty": np.bool_(False)})
    check_hyperparameters({"max_bins": MAX_BINS, "tol": 5e-324, "l2": 0, "max_iter": np.int64(3)})
