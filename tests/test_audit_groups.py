"""embedsum.audit.group_report: per-group metrics against scikit-learn and fairlearn, bootstrap
intervals, intersections, input forms, and what other kinds of model get."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.audit import group_report
from embedsum.audit._metrics import BINARY_METRICS, expected_calibration_error


def _same(rows, other) -> bool:
    """Records equal, NaN equal to NaN."""
    return pd.DataFrame.from_records(rows).equals(pd.DataFrame.from_records(other))


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    region = rng.choice(["north", "south"], size=n)
    x0 = rng.normal(size=n) + (group == "b") * 0.5
    x1 = rng.normal(size=n)
    logit = 1.2 * x0 - 0.8 * x1 + 0.4 * (region == "north")
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    X = pd.DataFrame({"x0": x0, "x1": x1, "region": region, "group": group})
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    return EmbeddingSumClassifier(max_bins=8).fit(X, y), X, y


def test_each_groups_metrics_match_scikit_learn(fitted):
    model, X, y = fitted
    report = group_report(model, X, y, "group", n_bootstrap=0, threshold=0.4)
    proba = model.predict_proba(X)[:, 1]
    selected = proba > 0.4
    assert [r["group"] for r in report.rows] == ["a", "b", "c"]  # largest first: the reference
    for row in report.rows:
        m = (X["group"] == row["group"]).to_numpy()
        pos = y[m] == "yes"
        assert row["n"] == m.sum()
        assert row["base_rate"] == pytest.approx(pos.mean())
        assert row["mean_proba"] == pytest.approx(proba[m].mean(), abs=1e-12)
        assert row["selection_rate"] == pytest.approx(selected[m].mean())
        assert row["tpr"] == pytest.approx(selected[m][pos].mean())
        assert row["fpr"] == pytest.approx(selected[m][~pos].mean())
        assert row["fnr"] == pytest.approx(1 - selected[m][pos].mean())
        assert row["auc"] == pytest.approx(roc_auc_score(pos, proba[m]), abs=1e-12)
        assert row["log_loss"] == pytest.approx(log_loss(pos, proba[m]), abs=1e-9)
        ref = report.rows[0]
        for name in BINARY_METRICS:
            assert row[f"{name}_diff"] == pytest.approx(row[name] - ref[name], abs=1e-15)
            assert row[f"{name}_ratio"] == pytest.approx(row[name] / ref[name])


def test_expected_calibration_error_by_hand():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.15, 0.55, 0.58, 1.0])
    # bins: [0, .1): {0.05 | y 0}, [.1, .2): {0.15 | 1}, [.5, .6): {0.55, 0.58 | 1, 0}, [.9, 1]: {1.0 | 1}
    expected = (abs(0 - 0.05) + abs(1 - 0.15) + 2 * abs(0.5 - 0.565) + abs(1 - 1.0)) / 5
    assert expected_calibration_error(y, p) == pytest.approx(expected)


def test_bootstrap_intervals_are_deterministic_and_hold_the_estimate(fitted):
    model, X, y = fitted
    one = group_report(model, X, y, "group", n_bootstrap=40, random_state=3)
    two = group_report(model, X, y, "group", n_bootstrap=40, random_state=3)
    other = group_report(model, X, y, "group", n_bootstrap=40, random_state=4)
    assert _same(one.rows, two.rows)
    assert one.rows[1]["auc_lo"] != other.rows[1]["auc_lo"]
    for row in one.rows:
        for name in ("base_rate", "mean_proba", "selection_rate", "tpr", "fpr", "auc", "log_loss"):
            assert row[f"{name}_lo"] <= row[name] <= row[f"{name}_hi"], (row["group"], name)
        if row["group"] != one.reference:
            assert row["selection_rate_diff_lo"] <= row["selection_rate_diff"] <= row["selection_rate_diff_hi"]


def test_intersections_reference_and_text(fitted):
    model, X, y = fitted
    report = group_report(model, X, y, ["group", "region"], reference="b & south", n_bootstrap=20)
    labels = [r["group"] for r in report.rows]
    assert labels[0] == "b & south" and report.reference == "b & south"
    assert sorted(labels) == sorted({f"{g} & {r}" for g, r in zip(X["group"], X["region"])})
    assert sum(r["n"] for r in report.rows) == len(X)
    text = report.to_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("difference") == len(labels) - 1
    frame = report.to_frame()
    assert list(frame["group"]) == labels and "auc_diff_hi" in frame.columns
    with pytest.raises(ValueError, match="no group"):
        group_report(model, X, y, "group", reference="zzz", n_bootstrap=0)


def test_numpy_and_pandas_input_give_the_same_report(fitted):
    _, X, y = fitted
    arr = X.to_numpy(dtype=object)
    model = EmbeddingSumClassifier(max_bins=8).fit(arr, y)
    from_array = group_report(model, arr, y, 3, n_bootstrap=10)
    from_labels = group_report(model, arr, y, X["group"].to_numpy(), n_bootstrap=10)
    by_name = group_report(EmbeddingSumClassifier(max_bins=8).fit(X, y), X, y, "group", n_bootstrap=10)
    assert _same(from_array.rows, from_labels.rows)
    assert [r["auc"] for r in from_array.rows] == [r["auc"] for r in by_name.rows]


def test_multiclass_needs_a_class_and_is_one_against_the_rest(fitted):
    _, X, _ = fitted
    y3 = np.digitize(X["x0"], [-0.5, 0.5])
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y3)
    with pytest.raises(ValueError, match="class_"):
        group_report(model, X, y3, "group")
    report = group_report(model, X, y3, "group", class_=2, n_bootstrap=0)
    proba = model.predict_proba(X)[:, 2]
    for row in report.rows:
        m = (X["group"] == row["group"]).to_numpy()
        assert row["base_rate"] == pytest.approx(np.mean(y3[m] == 2))
        assert row["selection_rate"] == pytest.approx(np.mean(model.predict(X)[m] == 2))
        assert row["auc"] == pytest.approx(roc_auc_score(y3[m] == 2, proba[m]), abs=1e-12)


def test_regression_reports_errors_per_group(fitted):
    _, X, _ = fitted
    target = 2 * X["x0"].to_numpy() + np.random.default_rng(1).normal(size=len(X))
    model = EmbeddingSumRegressor(max_bins=6).fit(X, target)
    report = group_report(model, X, target, "group", n_bootstrap=10)
    prediction = model.predict(X)
    assert report.metrics == ("mean_target", "mean_prediction", "rmse", "mae")
    for row in report.rows:
        m = (X["group"] == row["group"]).to_numpy()
        assert row["rmse"] == pytest.approx(np.sqrt(np.mean((prediction[m] - target[m]) ** 2)))
        assert row["mae"] == pytest.approx(np.mean(np.abs(prediction[m] - target[m])))
        assert row["mean_target"] == pytest.approx(target[m].mean())
    assert "RMSE" in report.to_text()


def test_bad_arguments_are_clear(fitted):
    model, X, y = fitted
    with pytest.raises(ValueError, match="labels the model does not know"):
        group_report(model, X, np.where(y == "yes", "oui", "non"), "group", n_bootstrap=0)
    with pytest.raises(ValueError, match="no column"):
        group_report(model, X, y, "sex", n_bootstrap=0)
    with pytest.raises(ValueError, match="threshold"):
        group_report(model, X, y, "group", threshold=1.0, n_bootstrap=0)
    with pytest.raises(ValueError, match="one label per row"):
        group_report(model, X, y, np.array(["a", "b"]), n_bootstrap=0)


def test_fairlearn_metricframe_works_with_embedsum_and_agrees(fitted):
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

    model, X, y = fitted
    y01 = (y == "yes").astype(int)
    predicted = (model.predict(X) == "yes").astype(int)
    frame = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                                 "fpr": false_positive_rate},
                        y_true=y01, y_pred=predicted, sensitive_features=X["group"])
    scores = MetricFrame(metrics=roc_auc_score, y_true=y01, y_pred=model.predict_proba(X)[:, 1],
                         sensitive_features=X["group"])
    report = group_report(model, X, y, "group", n_bootstrap=0)
    for row in report.rows:
        for name in ("selection_rate", "tpr", "fpr"):
            assert row[name] == pytest.approx(frame.by_group.loc[row["group"], name], abs=1e-12)
        assert row["auc"] == pytest.approx(scores.by_group[row["group"]], abs=1e-12)
    # MetricFrame's between-group difference is report's largest |difference| to the reference here
    diffs = [abs(r["selection_rate_diff"]) for r in report.rows]
    spread = max(r["selection_rate"] for r in report.rows) - min(r["selection_rate"] for r in report.rows)
    assert frame.difference()["selection_rate"] == pytest.approx(spread)
    assert max(diffs) <= spread + 1e-15


def test_labels_read_as_text_match_classes_that_are_numbers(fitted):
    _, X, y = fitted
    y01 = (y == "yes").astype(int)
    model = EmbeddingSumClassifier(max_bins=8).fit(X, y01)
    as_numbers = group_report(model, X, y01, "group", n_bootstrap=0)
    as_text = group_report(model, X, y01.astype(str), "group", n_bootstrap=0)
    assert _same(as_numbers.rows, as_text.rows)
    assert as_numbers.rows[0]["base_rate"] == pytest.approx(y01[(X["group"] == "a").to_numpy()].mean())


def test_the_first_class_as_positive(fitted):
    model, X, y = fitted
    report = group_report(model, X, y, "group", class_="no", threshold=0.3, n_bootstrap=0)
    p_no = model.predict_proba(X)[:, 0]
    assert report.positive == "no"
    for row in report.rows:
        m = (X["group"] == row["group"]).to_numpy()
        assert row["base_rate"] == pytest.approx(np.mean(y[m] == "no"))
        assert row["selection_rate"] == pytest.approx(np.mean(p_no[m] > 0.3))
        assert row["auc"] == pytest.approx(roc_auc_score(y[m] == "no", p_no[m]), abs=1e-12)
    at_half = group_report(model, X, y, "group", class_="no", n_bootstrap=0)
    assert at_half.rows[0]["selection_rate"] == pytest.approx(
        np.mean(model.predict(X)[(X["group"] == "a").to_numpy()] == "no"))
