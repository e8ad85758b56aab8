"""The audit of models with pair terms: reports from predictions, gaps per term, exact what-if, recourse refused
(docs/design.md#pair-terms)."""

import numpy as np
import pandas as pd
import pytest

from embedsum import EmbeddingSumClassifier
from embedsum.audit import counterfactuals, gap_decomposition, group_report, recourse_audit, what_if


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 600
    X = pd.DataFrame({"age": rng.normal(size=n), "z": rng.normal(size=n),
                      "proto": rng.choice(["tcp", "udp", "icmp"], size=n), "g": rng.choice(["m", "f"], size=n)})
    X.loc[rng.random(n) < 0.05, "z"] = np.nan
    logit = np.where(X["proto"] == "tcp", 1.5, -1.0) * X["age"] + X["age"] * X["z"].fillna(0)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    model = EmbeddingSumClassifier(max_bins=5, interactions=[(0, 1), (0, 2)], interaction_bins=4).fit(X, y)
    return X, y, model


def test_group_report_reads_the_predictions(data):
    X, y, model = data
    report = group_report(model, X, y, "g", n_bootstrap=0)
    p = model.predict_proba(X)[:, 1]
    for row in report.rows:
        m = (X["g"] == row["group"]).to_numpy()
        assert row["n"] == m.sum()
        assert row["selection_rate"] == pytest.approx(np.mean(p[m] > 0.5), abs=1e-12)


def test_the_gap_has_a_term_per_feature_and_pair_and_adds_up(data):
    X, y, model = data
    gap = gap_decomposition(model, X, "g")
    assert gap.terms == ["age", "z", "proto", "g", "age × z", "age × proto"]
    assert sorted(row["term"] for row in gap.rows) == sorted(gap.terms)
    assert gap.decision_terms.sum() == pytest.approx(gap.decision_gap, abs=1e-12)
    assert sum(gap.probability_terms) == pytest.approx(gap.probability_gap, abs=1e-12)
    z = model.decision_function(X)
    G = (X["g"] == gap.group).to_numpy()
    assert gap.decision_gap == pytest.approx(z[G].mean() - z[~G].mean(), abs=1e-12)
    pair_column = model.row_scores(X)[:, 4]
    pair_row = next(row for row in gap.rows if row["term"] == "age × z")
    assert pair_row["decision"] == pytest.approx(pair_column[G].mean() - pair_column[~G].mean(), abs=1e-12)


@pytest.mark.parametrize("feature, change, frame_value", [
    ("age", dict(value=0.3), 0.3), ("age", dict(missing=True), np.nan), ("z", dict(value=-2.0), -2.0),
    ("proto", dict(value="udp"), "udp"), ("proto", dict(value="sctp"), "sctp"), ("proto", dict(missing=True), None),
])
def test_what_if_moves_each_pair_to_its_new_cell_exactly(data, feature, change, frame_value):
    X, y, model = data
    result = what_if(model, X, feature=feature, **change)
    changed = X.copy()
    changed[feature] = frame_value
    assert np.array_equal(result.after, model.decision_function(changed))
    assert np.array_equal(result.before, model.decision_function(X))


def test_what_if_drawing_from_a_group_moves_the_pairs_too(data):
    X, y, model = data
    result = what_if(model, X, feature="age", distribution_of="m", sensitive="g", random_state=5)
    source = np.flatnonzero((X["g"] == "m").to_numpy())
    others = np.flatnonzero((X["g"] != "m").to_numpy())
    draw = np.random.default_rng(5).integers(0, len(source), len(others))
    changed = X.copy()
    age = changed["age"].to_numpy().copy()
    age[others] = age[source[draw]]
    changed["age"] = age
    assert np.array_equal(result.after, model.decision_function(changed))


def test_recourse_refuses_pair_terms(data):
    X, y, model = data
    with pytest.raises(ValueError, match="pair terms are not supported by recourse"):
        counterfactuals(model, X.iloc[[0]])
    with pytest.raises(ValueError, match="pair terms are not supported by recourse"):
        recourse_audit(model, X, "g")
