"""describe() of models with pair terms: a pairs section by importance, each pair's strongest cells (docs/design.md#pair-terms)."""

import numpy as np
import pytest
from _oracles import pair_frame

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor
from embedsum.inspection._describe import describe
from embedsum.inspection._describe_pairs import pair_axis_labels


@pytest.fixture(scope="module")
def data():
    return pair_frame(n=500, missing=0.0)


@pytest.fixture(scope="module")
def binary(data):
    X, logit, rng = data
    y = rng.random(len(X)) < 1 / (1 + np.exp(-logit))
    return EmbeddingSumClassifier(max_bins=6, interactions=[(0, 1), (0, 2)], interaction_bins=4).fit(X, y)


def _section(text):
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("pairs by importance"))
    return lines[start:]


def test_pairs_are_listed_by_importance_with_their_strongest_cells(binary):
    text = describe(binary)
    section = _section(text)
    order = np.argsort(-np.asarray(binary.pair_importances_), kind="stable")
    names = ["age × z", "age × proto"]
    headers = [line for line in section if line[:3].strip().rstrip(".").isdigit()]
    assert [h.split("  importance")[0][5:] for h in headers] == [names[p] for p in order]
    assert headers[0].endswith(f"importance {binary.pair_importances_[order[0]]:.4f}")
    # the first pair's first cell is its largest trained cell in absolute value, with its score and share
    p = int(order[0])
    w, table = binary.pair_weights_[p], binary.pair_scores_[p][:binary.pair_weights_[p].shape[0],
                                                                 :binary.pair_weights_[p].shape[1]]
    i, k = np.unravel_index(np.argmax(np.where(w > 0, np.abs(table), -1)), w.shape)
    labels = pair_axis_labels(binary, p, short=True)
    cell = section[section.index(headers[0]) + 1]
    assert cell.strip().startswith(f"{labels[0][i]} × {labels[1][k]}")
    assert f"{table[i, k]:+.4f}" in cell and f"{100 * w[i, k]:5.1f}%" in cell
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_categorical_axis_is_labelled_by_its_categories_then_unseen(binary):
    labels = pair_axis_labels(binary, 1)
    assert labels[1][:3] == [str(c) for c in binary.categories_[2]]
    assert labels[1][3].startswith("other")
    assert labels[1][-2:] == ["missing", "unseen"]
    assert len(labels[0]) == binary.pair_scores_[1].shape[0] and len(labels[1]) == binary.pair_scores_[1].shape[1]


def test_top_keeps_the_most_important_pair_and_no_pairs_no_section(binary, data):
    section = _section(describe(binary, top=1))
    assert sum(line.startswith("  1. ") for line in section) == 1
    assert not any(line.startswith("  2. ") for line in section)
    X, logit, _ = data
    plain = EmbeddingSumRegressor(max_bins=4).fit(X, logit)
    assert "pairs by importance" not in describe(plain)


def test_multiclass_and_regression_pairs_are_described(data):
    X, logit, rng = data
    y3 = np.digitize(logit + rng.normal(size=len(X)), [-0.5, 0.5])
    for model in (EmbeddingSumClassifier(max_bins=4, interactions=1, interaction_bins=3).fit(X, y3),
                  EmbeddingSumRegressor(max_bins=4, interactions=1, interaction_bins=3).fit(X, logit)):
        text = describe(model)
        section = _section(text)
        assert len(model.pairs_) == 1 and section[2].startswith("  1. ")
        assert len(section) >= 4 and max(len(line) for line in text.splitlines()) <= 80
