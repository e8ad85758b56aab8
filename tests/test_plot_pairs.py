"""The pair heatmap draws the pair's table: cells, labels, a colour scale centred at 0, untrained cells hatched (docs/design.md#pair-terms)."""

import io

import numpy as np
import pytest
from _oracles import pair_frame
from conftest import require_matplotlib

from embedsum import EmbeddingSumClassifier
from embedsum.inspection._describe_pairs import pair_axis_labels

require_matplotlib()  # before pyplot is imported: Agg backend

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from embedsum.plot import pair_plot, plot_all  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data():
    return pair_frame(n=600, missing=0.05)


@pytest.fixture(scope="module")
def model(data):
    X, logit, rng = data
    y = rng.random(len(X)) < 1 / (1 + np.exp(-logit))
    return EmbeddingSumClassifier(max_bins=5, interactions=[(0, 1), (0, 2)], interaction_bins=4).fit(X, y)


def _hatched(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]


@pytest.mark.parametrize("pair", [0, (0, 1), ("z", "age")])
def test_the_heatmap_is_the_table_with_its_labels(model, pair):
    ax = pair_plot(model, pair)
    image = ax.images[0]
    assert np.array_equal(np.asarray(image.get_array()), model.pair_scores_[0])
    vmin, vmax = image.get_clim()
    assert vmin == -vmax == -np.abs(model.pair_scores_[0]).max()
    assert image.get_cmap().name == "RdYlGn"
    labels_a, labels_b = pair_axis_labels(model, 0, short=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == labels_a and labels_a[-1] == "missing"
    assert [t.get_text() for t in ax.get_xticklabels()] == labels_b and labels_b[-1] == "missing"
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("age", "z")
    # age has no missing value: its missing row has no training rows and is hatched
    untrained = int(np.sum(model.pair_weights_[0] == 0))
    assert len(_hatched(ax)) == untrained >= model.pair_weights_[0].shape[1]
    assert len(ax.texts) == model.pair_scores_[0].size
    plt.close(ax.figure)


def test_a_categorical_axis_has_its_categories_and_the_unseen_column_hatched(model):
    ax = pair_plot(model, 1, class_=model.classes_[0])
    table = model.pair_scores_[1]
    assert np.array_equal(np.asarray(ax.images[0].get_array()), -table)
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "unseen"
    assert "class False" in ax.images[0].colorbar.ax.get_ylabel()
    n_a, n_b = model.pair_weights_[1].shape
    assert table.shape == (n_a, n_b + 1)
    assert len(_hatched(ax)) == int(np.sum(model.pair_weights_[1] == 0)) + n_a
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(PNG_MAGIC)
    plt.close(ax.figure)


def test_plot_all_draws_the_pairs_after_the_features(model):
    fig = plot_all(model, top=2)
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    order = np.argsort(-model.pair_importances_, kind="stable")
    names = ["age × z", "age × proto"]
    assert [t.split(" (")[0] for t in titles[2:]] == [names[p] for p in order]
    assert sum(bool(a.images) for a in fig.axes) == 2
    plt.close(fig)


def test_refusals(model, data):
    X, logit, _ = data
    with pytest.raises(ValueError, match="not a pair of the model"):
        pair_plot(model, ("z", "proto"))
    with pytest.raises(ValueError, match="out of range"):
        pair_plot(model, 2)
    plain = EmbeddingSumClassifier(max_bins=3).fit(X, logit > 0)
    with pytest.raises(ValueError, match="no pair terms"):
        pair_plot(plain)
    y3 = np.digitize(logit, [-0.5, 0.5])
    multiclass = EmbeddingSumClassifier(max_bins=3, interactions=1, interaction_bins=3).fit(X, y3)
    with pytest.raises(ValueError, match="one table per class"):
        pair_plot(multiclass)
    with pytest.warns(UserWarning, match="pass class_= to draw them"):
        fig = plot_all(multiclass)
    assert not any(a.images for a in fig.axes)
    plt.close(fig)
    fig = plot_all(multiclass, class_=2)
    assert sum(bool(a.images) for a in fig.axes) == 1
    plt.close("all")


def test_the_waterfall_has_a_bar_per_term_the_pairs_named_with_both_values(model, data):
    from embedsum.plot import waterfall_plot

    X = data[0]
    ax = waterfall_plot(model, X.iloc[[0]])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    texts = {label.split(" = ")[0]: label.split(" = ")[1] for label in labels[1:-1]}
    assert sorted(texts) == ["age", "age × proto", "age × z", "proto", "z"]
    assert texts["age × z"] == f"{texts['age']}, {texts['z']}"
    assert texts["age × proto"] == f"{texts['age']}, {texts['proto']}"
    plt.close(ax.figure)


def test_cells_too_narrow_for_a_score_show_none(model):
    fig, ax = plt.subplots(figsize=(1.5, 1.5))
    pair_plot(model, 0, ax=ax)
    assert len(ax.texts) == 0 and ax.get_xticklabels()[0].get_rotation() == 65
    plt.close(fig)
