"""The text description of a model."""

import re

import numpy as np

from embedsum import EmbeddingSumClassifier
from embedsum.describe import bin_labels, describe


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
