"""embedsum.audit.gap_decomposition (exact per-term gaps) and what_if (rescoring and flips)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.audit import gap_decomposition, what_if
from embedsum.explain import contributions


def _data(seed, n=240):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.exponential(size=n),
                      "c": rng.choice(["x", "y", "z"], size=n), "s": rng.choice(["f", "m"], size=n, p=[0.4, 0.6])})
    X.loc[rng.random(n) < 0.1, "b"] = np.nan
    y = (X["a"] + (X["c"] == "y") + (X["s"] == "m") * 0.5 + rng.normal(size=n) > 0.5).astype(int)
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _data(0)
    return EmbeddingSumClassifier(max_bins=6).fit(X, y), X, y


@given(seed=st.integers(0, 2**16), step=st.floats(0.0, 0.05))
@settings(max_examples=8, deadline=None)
def test_terms_sum_to_the_gaps(seed, step):
    X, y = _data(seed, n=120)
    model = EmbeddingSumClassifier(max_bins=5, step_loss_weight=step).fit(X, y)
    gap = gap_decomposition(model, X, "s", reference="m")
    z = model.decision_function(X)
    p = model.predict_proba(X)[:, 1]
    f, m = (X["s"] == "f").to_numpy(), (X["s"] == "m").to_numpy()
    assert gap.group == "f" and gap.n_group == f.sum()
    assert gap.decision_gap == pytest.approx(z[f].mean() - z[m].mean(), abs=1e-12)
    assert abs(gap.decision_terms.sum() - gap.decision_gap) <= 1e-12
    c = contributions(model, X)
    np.testing.assert_allclose(gap.decision_terms, c[f].mean(axis=0) - c[m].mean(axis=0), atol=1e-14)
    assert gap.probability_gap == pytest.approx(p[f].mean() - p[m].mean(), abs=1e-12)
    assert abs(gap.probability_terms.sum() - gap.probability_gap) <= 1e-12


def test_rescale_rule_by_hand(fitted):
    model, X, _ = fitted
    gap = gap_decomposition(model, X, "s")
    c = contributions(model, X)
    r = (X["s"] == gap.reference).to_numpy()
    z0 = model.intercept_ + c[r].mean(axis=0).sum()
    z = model.decision_function(X)
    p = 1 / (1 + np.exp(-z))
    p0 = 1 / (1 + np.exp(-z0))
    shares = (c - c[r].mean(axis=0)) * ((p - p0) / (z - z0))[:, None]
    expected = shares[~r].mean(axis=0) - shares[r].mean(axis=0)
    np.testing.assert_allclose(gap.probability_terms, expected, atol=1e-12)


def test_rows_text_and_other_kinds(fitted):
    model, X, y = fitted
    gap = gap_decomposition(model, X, "s")
    assert [r["term"] for r in gap.rows] == sorted(["a", "b", "c", "s"], key=lambda t: -abs(
        gap.decision_terms[["a", "b", "c", "s"].index(t)]))
    assert max(len(line) for line in gap.to_text().splitlines()) <= 80
    reg = EmbeddingSumRegressor(max_bins=5).fit(X, X["a"] * 2)
    gap_r = gap_decomposition(reg, X, "s")
    prediction = reg.predict(X)
    f = (X["s"] == "f").to_numpy()
    assert gap_r.probability_terms is None
    assert gap_r.decision_gap == pytest.approx(prediction[f].mean() - prediction[~f].mean(), abs=1e-12)
    y3 = np.digitize(X["a"], [-0.5, 0.5])
    multi = EmbeddingSumClassifier(max_bins=5).fit(X, y3)
    with pytest.raises(ValueError, match="class_"):
        gap_decomposition(multi, X, "s")
    g2 = gap_decomposition(multi, X, "s", class_=2)
    z2 = multi.decision_function(X)[:, 2]
    assert g2.decision_gap == pytest.approx(z2[f].mean() - z2[~f].mean(), abs=1e-12)
    with pytest.raises(ValueError, match="pass group="):
        gap_decomposition(model, X, "c")


def test_what_if_counts_flips_by_hand(fitted):
    model, X, _ = fitted
    before = model.predict(X)
    changed = X.assign(a=1.5)
    after = model.predict(changed)
    result = what_if(model, X, feature="a", value=1.5, sensitive="s")
    np.testing.assert_array_equal(result.after, model.decision_function(changed))
    np.testing.assert_array_equal(result.before, model.decision_function(X))
    for row in result.rows:
        m = (X["s"] == row["group"]).to_numpy()
        assert row["flips"] == int(np.sum(before[m] != after[m]))
        assert row["flips_to_selected"] == int(np.sum((before[m] == 0) & (after[m] == 1)))
        assert row["flips_to_unselected"] == int(np.sum((before[m] == 1) & (after[m] == 0)))
        assert row["selected_after"] == pytest.approx(np.mean(after[m] == 1))
    assert result.flipped.sum() == sum(r["flips"] for r in result.rows)


def test_what_if_missing_category_removal_and_distribution(fitted):
    model, X, _ = fitted
    missing = what_if(model, X, feature="b", missing=True)
    np.testing.assert_array_equal(missing.after, model.decision_function(X.assign(b=np.nan)))
    assert missing.rows[0]["group"] == "all" and missing.rows[0]["n"] == len(X)
    category = what_if(model, X, feature="c", value="y")
    np.testing.assert_array_equal(category.after, model.decision_function(X.assign(c="y")))
    removed = what_if(model, X, feature="c", remove_term=True)
    c = contributions(model, X)  # X is a DataFrame: so is c, with its feature names
    np.testing.assert_allclose(removed.after, model.decision_function(X) - c["c"].to_numpy(), atol=1e-12)
    moved = what_if(model, X, feature="a", distribution_of="m", sensitive="s", random_state=5)
    again = what_if(model, X, feature="a", distribution_of="m", sensitive="s", random_state=5)
    np.testing.assert_array_equal(moved.after, again.after)
    m = (X["s"] == "m").to_numpy()
    np.testing.assert_array_equal(moved.after[m], moved.before[m])  # the group keeps its own values
    assert moved.rows[0]["flips"] == 0
    assert max(len(line) for line in moved.to_text().splitlines()) <= 80
    with pytest.raises(ValueError, match="exactly one change"):
        what_if(model, X, feature="a", value=1.0, missing=True)
    with pytest.raises(ValueError, match="unknown feature"):
        what_if(model, X, feature="zz", missing=True)


def test_what_if_for_multiclass_and_regression(fitted):
    _, X, _ = fitted
    y3 = np.digitize(X["a"], [-0.5, 0.5])
    multi = EmbeddingSumClassifier(max_bins=5).fit(X, y3)
    result = what_if(multi, X, feature="a", value=2.0)
    changed = multi.predict(X.assign(a=2.0))
    assert result.rows[0]["flips"] == int(np.sum(multi.predict(X) != changed))
    np.testing.assert_array_equal(result.selected_after, changed)  # labels are 0, 1, 2: their indices
    reg = EmbeddingSumRegressor(max_bins=5).fit(X, X["a"] * 2)
    out = what_if(reg, X, feature="a", value=2.0, threshold=1.0, sensitive="s")
    for row in out.rows:
        m = (X["s"] == row["group"]).to_numpy()
        before, after = reg.predict(X)[m] > 1.0, reg.predict(X.assign(a=2.0))[m] > 1.0
        assert row["flips_to_selected"] == int(np.sum(~before & after))
        assert row["mean_change"] == pytest.approx(np.mean(reg.predict(X.assign(a=2.0))[m] - reg.predict(X)[m]))
