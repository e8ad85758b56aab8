"""The text description of a model."""

import re

import numpy as np

from embedsum import EmbeddingSumClassifier
from embedsum.describe import bin_labels, describe, score_bar


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
