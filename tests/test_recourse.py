"""embedsum.audit.counterfactuals and recourse_audit: the exact optimum against brute force over every
combination of bins, changed rows that land in their bins, input forms, constraints, and no recourse."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedsum import EmbeddingSumClassifier
from embedsum.audit import counterfactuals, recourse_audit
from embedsum.inspection._describe import feature_bin_labels


def _data(seed, n=150, categorical=True):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 40, size=n).astype(float),
                      "c": rng.normal(size=n)})
    if categorical:
        X["k"] = rng.choice(["p", "q", "r", "s"], size=n, p=[0.45, 0.3, 0.2, 0.05])
    score = X["a"] - X["b"] / 20 + 0.5 * X["c"] + (X["k"] == "q" if categorical else 0)
    y = np.where(score + rng.normal(size=n) > 0, "good", "bad")
    return X, y


def _allowed_bins(model, j, lo=-math.inf, hi=math.inf):
    """Every bin a default search may use, written from docs/design.md#bin-codes (no missing bin)."""
    cuts = model.cuts_[j]
    if cuts is None:
        m = len(model.categories_[j])
        return list(range(m)) + ([m] if len(model.rare_categories_[j]) else [])
    edges = [-math.inf, *cuts, math.inf]
    return [k for k in range(len(cuts) + 1) if edges[k] < hi and edges[k + 1] >= lo]


def _current_bins(model, row):
    bins = []
    for j, v in enumerate(row):
        cuts = model.cuts_[j]
        if cuts is None:
            cats = list(model.categories_[j])
            bins.append(cats.index(v) if v in cats else len(cats))
        else:
            bins.append(int(np.searchsorted(cuts, v, side="left")))
    return bins


def _brute_force(model, row, cost_of, target_positive=True, ranges=None):
    """Least cost over every combination of allowed bins whose decision crosses 0 (None if none)."""
    current = _current_bins(model, row)
    ranges = ranges or {}
    choices = []
    for j in range(model.n_features_in_):
        choices.append(sorted(set(_allowed_bins(model, j, *ranges.get(j, (-math.inf, math.inf)))) | {current[j]}))
    best = None
    for combo in itertools.product(*choices):
        z = model.intercept_
        for j, k in enumerate(combo):
            z = z + model.bin_scores_[j][k]
        if (z > 0) != target_positive:
            continue
        cost = sum(cost_of(j, k) for j, k in enumerate(combo) if k != current[j])
        best = cost if best is None else min(best, cost)
    return best


def _lands(model, cf):
    """Each change's new value codes into the bin the counterfactual names, as the model codes it."""
    names = list(model.feature_names_in_)
    for change in cf.changes:
        j = names.index(change["feature"])
        labels = feature_bin_labels(model, j)
        if model.cuts_[j] is None:
            cats = [str(c) for c in model.categories_[j]]
            code = cats.index(change["new_value"]) if change["new_value"] in cats else len(cats)
        else:
            code = int(np.searchsorted(model.cuts_[j], change["new_value"], side="left"))
        assert labels[code] == change["new_bin"], change
    z = model.decision_function(cf.x.to_frame().T)[0]
    assert z == cf.decision


def _pulled_back(model, cf, x, tables, positive, ranges):
    """No changed feature has another allowed bin, no dearer, of smaller score change that still crosses."""
    names = list(model.feature_names_in_)
    current = _current_bins(model, list(x))
    new = _current_bins(model, list(cf.x))
    for change in cf.changes:
        j = names.index(change["feature"])
        scores = model.bin_scores_[j]
        sign = 1.0 if positive else -1.0
        rest = cf.decision - scores[new[j]]
        for b in _allowed_bins(model, j, *ranges.get(j, (-math.inf, math.inf))):
            if b in (current[j], new[j]) or (tables is not None and tables[j][b] > tables[j][new[j]]):
                continue
            if sign * (scores[b] - scores[current[j]]) < sign * (scores[new[j]] - scores[current[j]]):
                z = rest + scores[b]
                assert not ((z > 0) if positive else (z <= 0)), (change, b)


@given(seed=st.integers(0, 2**16), max_bins=st.integers(3, 5), row=st.integers(0, 149),
       per_bin=st.booleans(), lo=st.none() | st.integers(0, 30))
@settings(max_examples=10, deadline=None)
def test_the_optimum_is_brute_forces(seed, max_bins, row, per_bin, lo):
    X, y = _data(seed)
    model = EmbeddingSumClassifier(max_bins=max_bins, step_loss_weight=0.0).fit(X, y)
    x = X.iloc[row]
    z = float(model.decision_function(X.iloc[[row]])[0])
    target = "bad" if z > 0 else "good"
    rng = np.random.default_rng(seed)
    n_bins = [len(s) for s in model.bin_scores_]
    tables = [rng.uniform(0.1, 3.0, size=k).round(2) for k in n_bins]
    cost = {name: tables[j] for j, name in enumerate(X.columns)} if per_bin else "features"
    allowed = {} if lo is None else {"b": (lo, lo + 15)}
    ranges = {} if lo is None else {1: (lo, lo + 15)}
    found = counterfactuals(model, x, target=target, cost=cost, allowed=allowed, k=3)
    best = _brute_force(model, list(x), (lambda j, k: tables[j][k]) if per_bin else (lambda j, k: 1.0),
                        target_positive=target == "good", ranges=ranges)
    if best is None:
        assert not found.found and found.reason
        return
    assert found.found
    assert found[0].cost == pytest.approx(best, abs=1e-9)
    costs = [c.cost for c in found]
    assert costs == sorted(costs)
    sets = [set(c.features) for c in found]
    for i, s in enumerate(sets):  # diverse: no later set contains an earlier one
        assert not any(t <= s for t in sets[:i])
    for c in found:
        assert str(model.predict(c.x.to_frame().T)[0]) == target
        _lands(model, c)
        _pulled_back(model, c, x, tables if per_bin else None, target == "good", ranges)
        if lo is not None and "b" in c.features:
            assert lo <= c.x["b"] <= lo + 15


@pytest.fixture(scope="module")
def fitted():
    X, y = _data(7, n=300)
    return EmbeddingSumClassifier(max_bins=6).fit(X, y), X, y


def _a_bad_row(model, X):
    return int(np.flatnonzero(model.predict(X) == "bad")[0])


def test_input_forms_come_back_in_their_form(fitted):
    model, X, _ = fitted
    i = _a_bad_row(model, X)
    series = counterfactuals(model, X.iloc[i])
    as_dict = counterfactuals(model, X.iloc[i].to_dict())
    as_array = counterfactuals(model, X.to_numpy(dtype=object)[i])
    assert isinstance(series[0].x, pd.Series) and isinstance(as_dict[0].x, dict)
    assert isinstance(as_array[0].x, np.ndarray) and as_array[0].x.shape == (4,)
    assert series[0].features == as_dict[0].features == as_array[0].features
    assert as_dict[0].x == series[0].x.to_dict()
    assert str(model.predict(pd.DataFrame([as_dict[0].x]))[0]) == "good"
    assert X.iloc[i].to_dict() != as_dict[0].x  # the input is not changed in place
    assert series.target == "good" and series.decision < 0
    assert max(len(line) for line in series.to_text().splitlines()) <= 80


def test_constraints_are_kept(fitted):
    model, X, _ = fitted
    i = _a_bad_row(model, X)
    x = X.iloc[i].to_dict()
    frozen = counterfactuals(model, x, immutable=["a", "b"], k=5)
    assert all(not {"a", "b"} & set(c.features) for c in frozen)
    up = counterfactuals(model, x, allowed={"a": "increase", "c": "decrease"}, immutable=["b", "k"], k=5)
    for c in up:
        assert c.x["a"] >= x["a"] and c.x["c"] <= x["c"]
    listed = counterfactuals(model, x, allowed={"k": ["q"]}, immutable=["a", "b", "c"])
    assert all(c.x["k"] == "q" for c in listed)
    nothing = counterfactuals(model, x, immutable=["a", "b", "c", "k"])
    assert not nothing.found and "no feature may change" in nothing.reason
    short = counterfactuals(model, x, immutable=["a", "b", "c"], allowed={"k": [x["k"]]})
    assert not short.found
    already = counterfactuals(model, x, target="bad")
    assert not already.found and "already" in already.reason
    with pytest.raises(ValueError, match="categorical"):
        counterfactuals(model, x, allowed={"k": "increase"})
    with pytest.raises(ValueError, match="unknown feature"):
        counterfactuals(model, x, immutable=["zz"])


def test_unit_costs_and_missing_values(fitted):
    model, X, _ = fitted
    i = _a_bad_row(model, X)
    x = X.iloc[i].to_dict()
    found = counterfactuals(model, x, cost={"a": 2.0, "b": 0.1, "c": 1.0, "k": 5.0}, k=3)
    for c in found:
        expected = sum({"a": 2.0 * abs(ch["new_value"] - ch["old_value"]), "b": 0.1 * abs(ch["new_value"] -
                        ch["old_value"]), "c": abs(ch["new_value"] - ch["old_value"]), "k": 5.0}[ch["feature"]]
                       for ch in c.changes)
        assert c.cost == pytest.approx(expected)
    x_missing = dict(x, a=np.nan)
    from_missing = counterfactuals(model, x_missing, allowed={"a": [np.nan, 3.0]}, immutable=["b", "c", "k"])
    for c in from_missing:
        assert c.x["a"] == 3.0


def test_multiclass_is_refused():
    X, _ = _data(1)
    model = EmbeddingSumClassifier(max_bins=4).fit(X, np.digitize(X["a"], [-0.5, 0.5]))
    with pytest.raises(ValueError, match="binary"):
        counterfactuals(model, X.iloc[0])


def test_recourse_audit_per_group(fitted):
    model, X, _ = fitted
    audit = recourse_audit(model, X, "k", immutable=["a"])
    bad = model.predict(X) == "bad"
    for row in audit.rows:
        m = (X["k"] == row["group"]).to_numpy()
        assert row["n"] == m.sum() and row["n_unfavourable"] == (m & bad).sum()
        if row["n_recourse"]:
            assert row["cost_q25"] <= row["cost_median"] <= row["cost_q75"] <= row["cost_max"]
    # the sensitive feature is immutable: each row's cheapest cost is counterfactuals' without k or a
    for i in np.flatnonzero(bad)[:5]:
        single = counterfactuals(model, X.iloc[i], immutable=["a", "k"], k=1)
        assert (audit.costs[i] == single[0].cost) if single.found else np.isnan(audit.costs[i])
    assert np.isnan(audit.costs[~bad]).all()
    assert max(len(line) for line in audit.to_text().splitlines()) <= 80


@pytest.mark.parametrize("seed", [3, 11])
def test_numeric_arrays_against_brute_force(seed):
    X, y = _data(seed, categorical=False)
    arr = X.to_numpy()
    model = EmbeddingSumClassifier(max_bins=5, step_loss_weight=0.0).fit(arr, y)
    for row in arr[:8]:
        z = float(model.decision_function(row[None, :])[0])
        target = "bad" if z > 0 else "good"
        found = counterfactuals(model, row, target=target)
        best = _brute_force(model, row.tolist(), lambda j, k: 1.0, target_positive=target == "good")
        assert (best is None) == (not found.found)
        if found.found:
            assert found[0].cost == best
            assert isinstance(found[0].x, np.ndarray) and found[0].x.dtype == np.float64
            assert str(model.predict(found[0].x[None, :])[0]) == target
            assert found[0].features[0] in ("x0", "x1", "x2")
