"""The text description of a model."""

import re

import numpy as np
import pytest

from embedsum import EmbeddingSumClassifier
from embedsum.inspection._describe import bin_labels, describe, score_bar


def test_bin_labels_cover_the_line_and_the_missing_bin():
    assert bin_labels([]) == ["(-inf, inf)", "missing"]
    assert bin_labels([0.5]) == ["(-inf, 0.5]", "(0.5, inf)", "missing"]


def test_describe_lists_every_bin_of_the_top_features_in_importance_order():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = (2 * X[:, 2] + 0.2 * X[:, 0] > 0).astype(int)
    model = EmbeddingSumClassifier(max_bins=5).fit(X, y)
    text = describe(model, top=2)
    feature_lines = [line for line in text.splitlines() if re.match(r"\s*\d+\. ", line)]
    assert len(feature_lines) == 2
    assert feature_lines[0].split()[1] == "x2"  # the strongest feature first
    n_bin_lines = sum(1 for line in text.splitlines() if line.rstrip().endswith("%"))
    order = np.argsort(-model.feature_importances_)[:2]
    assert n_bin_lines == sum(len(model.bin_scores_[j]) for j in order)
    assert f"{model.intercept_:+.6g}" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_describe_fits_80_columns_with_long_names_and_extreme_values():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2)) * [1e-7, 1e9]
    X[rng.random(300) < 0.1, 0] = np.nan
    y = (X[:, 0] > 0).astype(int)
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    model.feature_names_in_ = np.array(["a_very_long_feature_name_" * 5, "b"], dtype=object)
    text = describe(model)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert sum(1 for line in text.splitlines() if re.match(r"\s*\d+\. .* importance \d", line)) == 2
    assert sum(1 for line in text.splitlines() if line.strip().startswith("missing")) == 2


def test_bars_point_by_sign_and_scale_with_the_score():
    assert score_bar(0.0, 1.0, half=3) == "   │   "
    assert score_bar(1.0, 1.0, half=3) == "   │███"
    assert score_bar(-1.0, 1.0, half=3) == "███│   "
    assert score_bar(1e-9, 1.0, half=3) == "   │▏  "  # a non-zero score always shows
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 1))
    model = EmbeddingSumClassifier(max_bins=4).fit(X, (X[:, 0] > 0).astype(int))
    bins = [line for line in describe(model).splitlines() if line.rstrip().endswith("%")]
    for line, score in zip(bins, model.bin_scores_[0]):
        left, right = line.split("│")
        left_bar, right_bar = left[-12:], right[:12]
        assert (right_bar.strip() != "") == (score > 0) and (left_bar.strip() != "") == (score < 0)


# --- every kind of model: categorical features, multiclass, regression (docs/design.md#extensions) ---

import pytest  # noqa: E402
from test_explain import KINDS, _round_trip, fit_kind, mixed_data  # noqa: E402

from embedsum.inspection._describe import feature_bin_labels  # noqa: E402
from embedsum.explain import category_order  # noqa: E402


@pytest.fixture(scope="module")
def kinds():
    X, targets = mixed_data(0)
    return X, {kind: fit_kind(kind, X, targets[kind]) for kind in KINDS}


def _block(text, name):
    """The lines of one feature's block: from its numbered line to the next numbered line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"\s*\d+\. {name} ", line))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"\s*\d+\. ", lines[i])), len(lines))
    return lines[start + 1:end]


def _label_of(line):
    return line[5:].split("  ")[0].strip()


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_describe_lists_categories_by_name_ordered_by_score(kinds, kind):
    _, models = kinds
    model = models[kind]
    text = describe(model)
    assert max(len(line) for line in text.splitlines()) <= 80
    block = _block(text, "x1")
    m = len(model.categories_[1])
    scores = model.bin_scores_[1]
    rare = model.rare_categories_[1].tolist()
    names = [_label_of(line) for line in block]
    order = np.argsort(-scores[:m], kind="stable")
    assert names[:m] == model.categories_[1][order].tolist()  # by name, highest score first
    assert names[m] == f"other ({len(rare)} rare: {', '.join(rare)})"
    assert names[m + 1:] == ["missing", "unseen (not in training)"]
    shown = [float(line.split()[-2 if line.endswith("%") else -1]) for line in block]
    np.testing.assert_allclose(shown, [*scores[order], *scores[m:], model.unseen_scores_[1]], atol=5e-5)
    assert all(line.endswith("%") for line in block[:-1]) and not block[-1].endswith("%")
    assert "(categories by score)" in next(line for line in text.splitlines() if re.match(r"\s*\d+\. x1 ", line))
    # every bin line of every feature, plus one unseen line per categorical feature
    n_bin_lines = sum(1 for line in text.splitlines() if line.rstrip().endswith("%"))
    assert n_bin_lines == sum(len(s) for s in model.bin_scores_)


def test_regressor_description_speaks_of_the_prediction(kinds):
    _, models = kinds
    text = describe(models["regression"])
    assert text.splitlines()[0] == "EmbeddingSumRegressor: 3 features, predicts a number; scores are in target units"
    assert "prediction = intercept + one bin score per feature" in text
    assert "log-odds" not in text and "classes" not in text


def test_multiclass_description_shows_class_scores_side_by_side(kinds):
    _, models = kinds
    model = models["multiclass"]
    text = describe(model)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "EmbeddingSumClassifier: 3 features, 3 classes ['dns', 'mail', 'web'] (softmax)"
    intercept_line = next(line for line in lines if line.strip().startswith("intercept"))
    np.testing.assert_allclose([float(v) for v in intercept_line.split()[1:]], model.intercept_, atol=5e-4)
    # features by importance
    ranked = [line.split()[1] for line in lines if re.match(r"\s*\d+\. ", line)]
    assert ranked == [f"x{j}" for j in np.argsort(-model.feature_importances_, kind="stable")]
    for j in range(3):
        block = _block(text, f"x{j}")
        assert block[0].split() == ["dns", "mail", "web"]  # a header of class labels
        rows = block[1:]
        scores = np.asarray(model.bin_scores_[j])
        if j != 1:
            assert [_label_of(r) for r in rows] == feature_bin_labels(model, j)
            values = np.array([[float(v) for v in r.split()[-4:-1]] for r in rows])
            np.testing.assert_allclose(values, scores, atol=5e-4)
            continue
        m = len(model.categories_[1])
        order = category_order(scores[:m])
        names = [_label_of(r) for r in rows]
        assert names[:m] == model.categories_[1][order].tolist()  # grouped by favoured class
        assert names[m].startswith("other (") and names[m + 1:] == ["missing", "unseen (not in training)"]
        values = np.array([[float(v) for v in r.split()[-4:-1]] for r in rows[:m + 2]])
        np.testing.assert_allclose(values, np.vstack([scores[order], scores[m:]]), atol=5e-4)
        unseen = [float(v) for v in rows[-1].split()[-3:]]
        np.testing.assert_allclose(unseen, model.unseen_scores_[1], atol=5e-4)


def test_many_classes_wrap_into_blocks_within_80_columns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1400, 2))
    y = np.array([f"class_{k}_long_label" for k in np.digitize(X[:, 0], np.linspace(-1.5, 1.5, 6))])
    model = EmbeddingSumClassifier(max_bins=5).fit(X, y)
    assert len(model.classes_) == 7
    text = describe(model)
    assert max(len(line) for line in text.splitlines()) <= 80
    block = _block(text, "x0")
    headers = [line for line in block if not re.search(r"[+-]\d", line)]
    assert [h.split() for h in headers] == [["[0]", "[1]", "[2]", "[3]", "[4]"], ["[5]", "[6]"]]
    # labels too wide for a column: numbered columns, named in full once
    columns = text[text.index("columns:"):text.index("features by importance")]
    assert all(f"[{k}] {c}" in columns for k, c in enumerate(model.classes_))
    n_bins = len(model.bin_scores_[0])
    assert len(block) == 2 + 2 * n_bins
    # each class's scores are in its column: the first block holds classes 0..4
    first = block[1:1 + n_bins]
    values = np.array([[float(v) for v in r.split()[-6:-1]] for r in first])
    np.testing.assert_allclose(values, model.bin_scores_[0][:, :5], atol=5e-4)


def test_feature_bin_labels_follow_the_bins(kinds):
    _, models = kinds
    model = models["binary"]
    labels = feature_bin_labels(model, 1)
    assert labels[:-2] == model.categories_[1].tolist() and labels[-1] == "missing"
    assert labels[-2].startswith(f"other ({len(model.rare_categories_[1])} rare: ")
    assert len(labels) == len(model.bin_scores_[1])
    assert feature_bin_labels(model, 0) == bin_labels(model.cuts_[0])


@pytest.mark.parametrize("kind", KINDS)
def test_describe_a_model_loaded_from_json(kinds, kind):
    _, models = kinds
    model = models[kind]
    assert describe(_round_trip(model)) == describe(model)


# Every C0 and C1 control and DEL.
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]


def _hostile_model(n_classes):
    """A model whose feature names, categories and class labels hold terminal control sequences."""
    rng = np.random.default_rng(5)
    n = 240
    X = np.empty((n, 2), dtype=object)
    X[:, 0] = rng.normal(size=n).tolist()
    X[:, 1] = np.array(["tcp\x1b[2J", "udp\x9b31m", "icmp\r\n"], dtype=object)[rng.integers(0, 3, n)]
    labels = np.array(["ok\x07", "bad\x1b]0;title\x07", "x\u202ey", "z\x7f", "w"][:n_classes], dtype=object)
    y = labels[np.digitize(X[:, 0].astype(float), np.quantile(X[:, 0].astype(float), [0.3, 0.5, 0.7, 0.9])[
        : n_classes - 1])]
    model = EmbeddingSumClassifier(max_bins=4, categorical_features=[False, True], min_category_count=1).fit(X, y)
    model.feature_names_in_ = np.array(["size\x1b[31m\nfake line", "proto\x08\x08"], dtype=object)
    return model


@pytest.mark.parametrize("n_classes", [2, 5])
def test_describe_escapes_control_characters_of_names_categories_and_labels(n_classes):
    model = _hostile_model(n_classes)
    text = describe(model)
    assert not any(c in text for c in CONTROLS if c != "\n")
    assert "\u202e" not in text
    lines = text.splitlines()
    assert any("size\\x1b[31m\\x0afake line" in line for line in lines)  # one line, escaped
    assert not any(line.startswith("fake line") for line in lines)
    assert "tcp\\x1b[2J" in text and "udp\\u009b31m" in text
    assert max(len(line) for line in lines) <= 80


def test_describe_refuses_a_negative_top():
    model = _hostile_model(2)
    assert describe(model, top=0).count("importance ") == 1  # the header line only
    for top in (-1, 1.5, True):
        with pytest.raises(ValueError, match="top must be None or an integer >= 0"):
            describe(model, top=top)


def test_describe_shows_standard_errors_and_feature_p_values_of_a_model_with_them():
    rng = np.random.default_rng(3)
    X = np.empty((400, 2), dtype=object)
    X[:, 0] = rng.normal(size=400)
    X[:, 1] = rng.choice(np.array(["tcp", "udp", "icmp"], dtype=object), size=400)
    y = X[:, 0].astype(float) + rng.normal(size=400) > 0
    model = EmbeddingSumClassifier(max_bins=4, uncertainty=True, min_category_count=5).fit(X, y)
    lines = describe(model).splitlines()
    assert max(len(line) for line in lines) <= 80
    for j, name in enumerate(["x0", "x1"]):
        title = next(line for line in lines if re.match(rf"\s+\d\. {name} ", line))
        assert f"p {model.feature_tests_['p_value'][j]:.2g}" in title
    shown = [float(m) for m in re.findall(r"±(\d+\.\d+)", "\n".join(lines))]
    finite = np.concatenate([se[np.isfinite(se)] for se in model.bin_scores_se_])
    assert sorted(shown) == sorted(np.round(finite, 3).tolist())
    assert sum("±inf" in line for line in lines) == sum(int(np.isinf(se).sum()) for se in model.bin_scores_se_)
    assert "±" not in describe(EmbeddingSumClassifier(max_bins=4, min_category_count=5).fit(X, y))


def test_screened_out_features_are_listed_once_at_the_end_and_not_drawn():
    from embedsum import EmbeddingSumClassifierCV

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 60))
    y = (X[:, 0] + 0.5 * rng.normal(size=1500) > 0).astype(int)
    model = EmbeddingSumClassifierCV(step_loss_weights=2, cv=3).fit(X, y)
    assert len(model.dropped_features_) >= 50
    text = model.describe()
    last = text.splitlines()[-1]
    assert last.startswith(f"screened out before the fit (no signal; scores 0): {len(model.dropped_features_)}: x")
    drawn = [line.split(". ", 1)[1].split()[0] for line in text.splitlines() if line[:3].strip().isdigit()]
    assert "x0" in drawn and not set(drawn) & {f"x{j}" for j in model.dropped_features_.tolist()}
    assert max(len(line) for line in text.splitlines()) <= 80
