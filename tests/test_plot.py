"""The pictures draw what the model says: bars, steps, weights, history and waterfall checked element by element.

Each kind of plot is rendered (so drawing really happens; a figure is rendered once, not per
check, since rendering is what costs), and its artists are compared with
the fitted numbers: bar widths/heights = bin weights/scores, colours by sign, twin-axis ticks =
cuts, step-line vertices = scores at the cuts, the missing bin marked apart, history lines =
``history_`` arrays, waterfall bars chained from the intercept to the decision value.
Also: matplotlib stays an optional extra (not imported by ``import embedsum.plot``; a clear
ImportError naming ``pip install matplotlib`` and the ``embedsum[plot]`` extra when it is absent).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import REPO_ROOT, require_matplotlib

from embedsum import EmbeddingSumClassifier
from embedsum.explain import contributions

require_matplotlib()  # before pyplot is imported: Agg backend, and an error (not a skip) under CI

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from embedsum.plot import bar_plot, history_plot, plot_all, step_plot, waterfall_plot  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=400)) > 0
    X[rng.random(400) < 0.15, 0] = np.nan  # feature 0 has a populated missing-value bin
    return X, y


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return EmbeddingSumClassifier(max_bins=6).fit(X, y)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _render(fig, tmp_path, name="plot.png"):
    path = tmp_path / name
    fig.savefig(path, dpi=20)  # what is checked is that it draws and writes a PNG; few pixels draw faster
    assert path.read_bytes()[:8] == PNG_MAGIC
    return path


def _is_red(colour):
    r, g, _, _ = mcolors.to_rgba(colour)
    return r > g


def _is_green(colour):
    r, g, _, _ = mcolors.to_rgba(colour)
    return g > r


def _sign_ok(patch, value):
    if value > 0:
        return _is_green(patch.get_facecolor())
    if value < 0:
        return _is_red(patch.get_facecolor())
    return True


def _other_axes(fig, ax):
    others = [a for a in fig.axes if a is not ax]
    assert len(others) == 1
    return others[0]


# ------------------------------------------------------------------------------------------
# bar plot
# ------------------------------------------------------------------------------------------


def test_bar_plot_bars_are_weights_wide_and_scores_tall(model, tmp_path):
    fig, ax = plt.subplots()
    assert bar_plot(model, 1, ax=ax) is ax
    _render(fig, tmp_path)
    scores, weights = model.bin_scores_[1], model.bin_weights_[1]
    assert weights[-1] == 0  # no missing value in feature 1: no missing bar
    bars = ax.patches
    assert len(bars) == len(model.cuts_[1]) + 1
    np.testing.assert_allclose([b.get_width() for b in bars], weights[:-1], rtol=0, atol=1e-15)
    np.testing.assert_allclose([b.get_height() for b in bars], scores[:-1], rtol=0, atol=1e-15)
    # side by side along [0, total weight]
    lefts = np.array([b.get_x() for b in bars])
    np.testing.assert_allclose(lefts, np.concatenate([[0], np.cumsum(weights[:-1])[:-1]]), atol=1e-12)
    assert all(_sign_ok(b, s) for b, s in zip(bars, scores[:-1]))
    assert any(s < 0 for s in scores[:-1]) and any(s > 0 for s in scores[:-1])  # both colours exercised


def test_bar_plot_twin_axis_ticks_are_the_cuts_at_the_bar_boundaries(model, tmp_path):
    fig, ax = plt.subplots()
    bar_plot(model, 1, ax=ax)
    _render(fig, tmp_path)
    top = _other_axes(fig, ax)
    boundaries = [b.get_x() + b.get_width() for b in ax.patches[:-1]]
    np.testing.assert_allclose(top.get_xticks(), boundaries, atol=1e-12)
    assert [t.get_text() for t in top.get_xticklabels()] == [f"{c:.4g}" for c in model.cuts_[1]]
    assert top.get_xlim() == ax.get_xlim()


def test_bar_plot_draws_the_missing_bin_apart_when_it_has_weight(model, tmp_path):
    fig, ax = plt.subplots()
    bar_plot(model, 0, ax=ax)
    _render(fig, tmp_path)
    scores, weights = model.bin_scores_[0], model.bin_weights_[0]
    assert weights[-1] > 0
    bars = ax.patches
    assert len(bars) == len(model.cuts_[0]) + 2
    missing = bars[-1]
    total = float(np.sum(weights[:-1]))
    assert missing.get_x() > total + 1e-9  # after a gap
    assert missing.get_width() == pytest.approx(weights[-1], abs=1e-15)
    assert missing.get_height() == pytest.approx(scores[-1], abs=1e-15)
    assert missing.get_hatch() and all(not b.get_hatch() for b in bars[:-1])
    assert _sign_ok(missing, scores[-1])
    assert any(t.get_text() == "missing" for t in ax.texts)
    assert ax.get_xlim()[1] >= missing.get_x() + missing.get_width() - 1e-12


# ------------------------------------------------------------------------------------------
# step plot
# ------------------------------------------------------------------------------------------


def test_step_plot_line_is_the_step_function_on_the_value_scale(model, tmp_path):
    fig, ax = plt.subplots()
    assert step_plot(model, 1, ax=ax) is ax
    _render(fig, tmp_path)
    cuts, scores = model.cuts_[1], model.bin_scores_[1]
    line = ax.lines[0]
    assert line.get_drawstyle() == "steps-post"
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    np.testing.assert_array_equal(x[1:-1], cuts)
    np.testing.assert_array_equal(y, np.concatenate([scores[:-1], scores[-2:-1]]))
    assert np.isfinite(x).all() and x[0] < cuts[0] and x[-1] > cuts[-1]  # padded ends
    # the plotted function agrees with the model where it counts: just right of each cut
    probe = np.concatenate([[x[0]], cuts + 1e-9])
    Xp = np.zeros((probe.size, model.n_features_in_))
    Xp[:, 1] = probe
    assert np.allclose(contributions(model, Xp)[:, 1], y[:-1])


def test_step_plot_shows_the_training_weights_underneath(model, tmp_path):
    fig, ax = plt.subplots()
    step_plot(model, 0, ax=ax)
    _render(fig, tmp_path)
    below = _other_axes(fig, ax)
    weights = model.bin_weights_[0]
    bars = below.patches
    assert len(bars) == len(weights)  # every interval bin, then the missing bin
    np.testing.assert_allclose([b.get_height() for b in bars], weights, atol=1e-15)
    # interval bars span exactly the bins on the value axis
    x = np.asarray(ax.lines[0].get_xdata())
    np.testing.assert_allclose([b.get_x() for b in bars[:-1]], x[:-1], atol=1e-12)
    np.testing.assert_allclose([b.get_x() + b.get_width() for b in bars[:-1]], x[1:], atol=1e-12)
    assert below.get_ylim()[1] >= 2 * weights.max()  # kept in the lower part, under the line
    assert ax.get_zorder() > below.get_zorder()


def test_step_plot_marks_the_missing_bin_apart(model, tmp_path):
    fig, ax = plt.subplots()
    step_plot(model, 0, ax=ax)
    _render(fig, tmp_path)
    step_line = ax.lines[0]
    missing = [line for line in ax.lines if line.get_label() == "missing"]
    assert len(missing) == 1
    (mx,), (my,) = missing[0].get_xdata(), missing[0].get_ydata()
    assert my == model.bin_scores_[0][-1]
    assert mx > np.max(step_line.get_xdata())  # beside the value range, not on it
    assert ax.get_xlim()[1] > mx
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("missing") and f"{100 * model.bin_weights_[0][-1]:.1f}%" in t for t in texts)


def test_step_plot_range_follows_X_when_given(model, data, tmp_path):
    X, _ = data
    fig, ax = plt.subplots()
    step_plot(model, 0, ax=ax, X=X)
    _render(fig, tmp_path)
    x = ax.lines[0].get_xdata()
    assert x[0] == np.nanmin(X[:, 0]) and x[-1] == np.nanmax(X[:, 0])


def test_feature_by_name_or_index_and_bad_features(model):
    a = step_plot(model, "x2")
    b = step_plot(model, 2)
    np.testing.assert_array_equal(a.lines[0].get_xdata(), b.lines[0].get_xdata())
    assert a.get_xlabel() == "x2"
    with pytest.raises(ValueError, match="unknown feature 'nope'"):
        bar_plot(model, "nope")
    with pytest.raises(ValueError, match="out of range"):
        step_plot(model, 4)
    with pytest.raises(TypeError, match="index or a feature name"):
        bar_plot(model, 1.5)


def test_feature_names_come_from_the_model(data):
    import pandas as pd  # a test dependency (the test extra)
    X, y = data
    frame = pd.DataFrame(X, columns=["bytes", "renames", "entropy", "procs"])
    model = EmbeddingSumClassifier(max_bins=6).fit(frame, y)
    ax = step_plot(model, "renames")
    assert ax.get_xlabel() == "renames"
    np.testing.assert_array_equal(ax.lines[0].get_xdata()[1:-1], model.cuts_[1])
    ax = waterfall_plot(model, X[0])  # a plain 1-D row of a named model: no warning, names shown
    assert any(t.get_text().startswith("bytes = ") for t in ax.get_yticklabels())


# ------------------------------------------------------------------------------------------
# all features
# ------------------------------------------------------------------------------------------


def _titled(fig):
    return [a for a in fig.axes if a.get_title()]


@pytest.mark.parametrize("kind", ["step", "bar"])
def test_plot_all_one_axes_per_feature_by_importance(model, kind):
    fig = plot_all(model, kind=kind)  # its artists are checked; test_plot_all_top_keeps_... renders one
    axes = _titled(fig)
    assert len(axes) == model.n_features_in_
    order = np.argsort(-model.feature_importances_, kind="stable")
    assert [a.get_title() for a in axes] == [
        f"x{j} (importance {model.feature_importances_[j]:.3g})" for j in order
    ]
    for a, j in zip(axes, order):
        if kind == "step":
            np.testing.assert_array_equal(a.lines[0].get_xdata()[1:-1], model.cuts_[j])
        else:
            np.testing.assert_allclose([p.get_height() for p in a.patches[: len(model.cuts_[j]) + 1]],
                                       model.bin_scores_[j][:-1], atol=1e-15)


def test_plot_all_top_keeps_the_most_important(model, tmp_path):
    fig = plot_all(model, top=2)
    _render(fig, tmp_path)
    axes = _titled(fig)
    order = np.argsort(-model.feature_importances_, kind="stable")[:2]
    assert [a.get_title().split()[0] for a in axes] == [f"x{j}" for j in order]
    assert all(a.lines for a in axes)
    with pytest.raises(ValueError, match="kind"):
        plot_all(model, kind="pie")
    with pytest.raises(ValueError, match="top"):
        plot_all(model, top=0)


# ------------------------------------------------------------------------------------------
# history
# ------------------------------------------------------------------------------------------


def test_history_plot_lines_are_the_history_arrays(model, tmp_path):
    fig, ax = plt.subplots()
    assert history_plot(model, ax=ax) is ax
    _render(fig, tmp_path)
    lines = {line.get_label(): line for line in ax.lines}
    assert list(lines) == ["loss", "classification", "step", "embedding_sum"]
    for name, line in lines.items():
        np.testing.assert_array_equal(line.get_ydata(), model.history_[name])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(len(model.history_[name])))
    assert np.all(model.history_["l2"] == 0)  # skipped, and the legend says so
    assert "l2" in ax.get_legend().get_title().get_text()
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(lines)


def test_history_plot_draws_l2_when_it_is_used(data):
    X, y = data
    model = EmbeddingSumClassifier(max_bins=4, l2=0.1).fit(X, y)
    ax = history_plot(model)
    assert "l2" in [line.get_label() for line in ax.lines]
    assert ax.get_legend().get_title().get_text() == ""


# ------------------------------------------------------------------------------------------
# waterfall
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", [0, 1, 5])
def test_waterfall_chains_from_intercept_to_decision_value(model, data, tmp_path, row):
    X, _ = data
    x = X[row]
    fig, ax = plt.subplots()
    assert waterfall_plot(model, x, ax=ax) is ax
    _render(fig, tmp_path)
    c = contributions(model, x[None])[0]
    decision = model.decision_function(x[None])[0]
    bars = ax.patches
    assert len(bars) == model.n_features_in_
    widths = np.array([b.get_width() for b in bars])
    # matplotlib stores a bar's width as (left + width) - left: equal to rounding only
    np.testing.assert_allclose(widths, c[np.argsort(-np.abs(c), kind="stable")], rtol=0, atol=1e-14)
    assert np.all(np.diff(np.abs(widths)) <= 1e-14)  # largest |contribution| first
    assert bars[0].get_x() == model.intercept_
    for prev, nxt in zip(bars[:-1], bars[1:]):
        assert nxt.get_x() == pytest.approx(prev.get_x() + prev.get_width(), abs=1e-15)
    end = bars[-1].get_x() + bars[-1].get_width()
    assert abs(end - decision) <= 1e-12
    assert all(_sign_ok(b, w) for b, w in zip(bars, widths))
    lines = {line.get_label(): line for line in ax.lines}
    decision_line = next(v for k, v in lines.items() if k.startswith("decision value"))
    assert decision_line.get_xdata()[0] == decision  # the model's own value, bit for bit
    assert ax.yaxis_inverted()  # first bar at the top


def test_waterfall_top_sums_the_rest_into_other(model, data, tmp_path):
    X, _ = data
    x = X[3]
    ax = waterfall_plot(model, x, top=2)
    _render(ax.figure, tmp_path)
    c = contributions(model, x[None])[0]
    order = np.argsort(-np.abs(c), kind="stable")
    bars = ax.patches
    assert len(bars) == 3
    np.testing.assert_allclose([b.get_width() for b in bars[:2]], c[order[:2]], rtol=0, atol=1e-14)
    assert bars[2].get_width() == pytest.approx(np.sum(c[order[2:]]), abs=1e-14)
    assert ax.get_yticklabels()[3].get_text() == "other (2 features)"  # after the start's row
    end = bars[-1].get_x() + bars[-1].get_width()
    assert abs(end - model.decision_function(x[None])[0]) <= 1e-12


def test_waterfall_rejects_more_than_one_row(model, data):
    X, _ = data
    with pytest.raises(ValueError, match="one row"):
        waterfall_plot(model, X[:2])
    with pytest.raises(ValueError, match="top"):
        waterfall_plot(model, X[0], top=-1)


def test_unfitted_model_is_refused():
    from embedsum import NotFittedError

    with pytest.raises(NotFittedError):
        bar_plot(EmbeddingSumClassifier(), 0)
    with pytest.raises(NotFittedError):
        history_plot(EmbeddingSumClassifier())


# ------------------------------------------------------------------------------------------
# matplotlib is optional
# ------------------------------------------------------------------------------------------


def _run(code):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = REPO_ROOT
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300, env=env)


def test_importing_embedsum_plot_does_not_import_matplotlib():
    proc = _run("""
        import sys
        import embedsum, embedsum.plot
        from embedsum.plot import bar_plot, step_plot, plot_all, history_plot, waterfall_plot
        print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_missing_matplotlib_raises_an_import_error_with_the_install_command():
    proc = _run("""
        import sys
        sys.modules["matplotlib"] = None  # as if matplotlib were not installed
        import numpy as np
        from embedsum import EmbeddingSumClassifier
        from embedsum import plot
        X = np.random.default_rng(0).normal(size=(100, 2))
        model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0)
        calls = {
            "bar_plot": lambda: plot.bar_plot(model, 0),
            "step_plot": lambda: plot.step_plot(model, 0),
            "plot_all": lambda: plot.plot_all(model),
            "history_plot": lambda: plot.history_plot(model),
            "waterfall_plot": lambda: plot.waterfall_plot(model, X[0]),
        }
        for name, call in calls.items():
            try:
                call()
            except ImportError as err:
                print(name, "|", err)
            else:
                print(name, "| no error")
    """)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 5
    for line in lines:
        assert "pip install matplotlib" in line and "pip install 'embedsum[plot]'" in line, line


def test_waterfall_against_the_expected_baseline_starts_at_the_baseline_decision(matplotlib):
    import matplotlib.pyplot as plt

    from embedsum.explain import attributions

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    model = EmbeddingSumClassifier(max_bins=6).fit(X, (X[:, 0] + X[:, 1] > 0).astype(int))
    ax = waterfall_plot(model, X[5], baseline="expected")
    phi = attributions(model, X[5:6], baseline="expected")[0]
    z = model.decision_function(X[5:6])[0]
    bars = ax.patches
    order = np.argsort(-np.abs(phi), kind="stable")
    np.testing.assert_allclose([b.get_width() for b in bars], phi[order], atol=1e-14)
    assert bars[0].get_x() == pytest.approx(z - phi.sum(), abs=1e-12)
    assert bars[-1].get_x() + bars[-1].get_width() == pytest.approx(z, abs=1e-12)
    assert ax.get_yticklabels()[0].get_text() == "expected baseline"  # the start's row
    plt.close(ax.figure)


# ------------------------------------------------------------------------------------------
# every kind of model: categorical features, multiclass, regression (docs/design.md#extensions)
# ------------------------------------------------------------------------------------------

from test_explain import KINDS, fit_kind, mixed_data, odd_rows  # noqa: E402

from embedsum.explain import shape_functions  # noqa: E402


@pytest.fixture(scope="module")
def kinds():
    X, targets = mixed_data(0)
    return X, {kind: fit_kind(kind, X, targets[kind]) for kind in KINDS}


def _tick_names(ax):
    """The row names of a categorical bar plot, without their "(share)" (the y tick labels)."""
    return [t.get_text().rsplit(" (", 1)[0] for t in ax.get_yticklabels()]


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_categorical_bar_plot_shows_categories_by_name_ordered_by_score(kinds, tmp_path):
    _, models = kinds
    model = models["binary"]
    fig, ax = plt.subplots()
    assert bar_plot(model, 1, ax=ax) is ax
    _render(fig, tmp_path)
    record = shape_functions(model)[1]
    m = len(model.categories_[1])
    scores, weights = model.bin_scores_[1], model.bin_weights_[1]
    bars = ax.patches
    assert len(bars) == m + 2  # each kept category, "other", "missing"
    lengths = np.array([b.get_width() for b in bars])  # horizontal bars: a score is a length
    np.testing.assert_array_equal(lengths, np.concatenate([record.scores, scores[m:]]))
    assert np.all(np.diff(lengths[:m]) <= 0)  # highest first
    rows = np.array([b.get_y() + b.get_height() / 2 for b in bars])
    assert np.all(np.diff(rows) > 0) and ax.yaxis_inverted()  # one row each, from the top down
    assert all(_sign_ok(b, s) for b, s in zip(bars, lengths))
    names = _tick_names(ax)
    assert names[:m] == record.categories.tolist()
    assert names[m] == f"other ({len(model.rare_categories_[1])} rare)" and names[m + 1:] == ["missing", "unseen"]
    shares = [t.get_text().rsplit(" (", 1)[1] for t in ax.get_yticklabels()[: m + 2]]
    assert shares == [f"{100 * w:.1f}%)" for w in np.concatenate([record.weights, weights[m:]])]
    assert bars[m + 1].get_hatch() == "//" and bars[m].get_hatch() and not bars[0].get_hatch()
    (unseen,) = [line for line in ax.lines if line.get_label() == "unseen"]
    assert unseen.get_xdata()[0] == model.unseen_scores_[1]
    assert ax.get_ylabel() == "x1" and ax.get_xlabel() == "score (log-odds of class True)"


def test_step_plot_of_a_categorical_feature_draws_the_bar_plot(kinds):
    _, models = kinds
    model = models["binary"]
    step = step_plot(model, 1, X=np.zeros((2, 3)))  # X is not used for a categorical feature
    bar = bar_plot(model, 1)
    assert [p.get_width() for p in step.patches] == [p.get_width() for p in bar.patches]
    assert _tick_names(step) == _tick_names(bar)
    assert not any(line.get_drawstyle() == "steps-post" for line in step.lines)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("plot_kind", ["step", "bar"])
def test_plot_all_draws_mixed_models(kinds, kind, plot_kind):
    _, models = kinds
    model = models[kind]
    fig = plot_all(model, kind=plot_kind)  # drawn for every kind by test_every_plot_draws_...
    axes = _titled(fig)
    order = np.argsort(-model.feature_importances_, kind="stable")
    assert [a.get_title().split()[0] for a in axes] == [f"x{j}" for j in order]
    for a, j in zip(axes, order):
        if j == 1:  # the categorical feature: bars named by category
            assert set(model.categories_[1]) <= set(_tick_names(a))
        elif plot_kind == "step":
            steps = [line for line in a.lines if line.get_drawstyle() == "steps-post"]
            assert len(steps) == (3 if kind == "multiclass" else 1)
            np.testing.assert_array_equal(steps[0].get_xdata()[1:-1], model.cuts_[j])


def test_multiclass_step_plot_has_one_line_per_class_and_a_legend(kinds, tmp_path):
    _, models = kinds
    model = models["multiclass"]
    fig, ax = plt.subplots()
    step_plot(model, 0, ax=ax)
    _render(fig, tmp_path)
    labels = [str(c) for c in model.classes_]
    steps = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
    assert [line.get_label() for line in steps] == labels
    assert _legend_texts(ax) == labels
    scores = model.bin_scores_[0]
    for k, line in enumerate(steps):
        np.testing.assert_array_equal(line.get_xdata()[1:-1], model.cuts_[0])
        np.testing.assert_array_equal(line.get_ydata(), np.concatenate([scores[:-1, k], scores[-2:-1, k]]))
    assert len({line.get_color() for line in steps}) == 3
    missing = [line for line in ax.lines if line.get_label() == "_missing"]
    assert [line.get_ydata()[0] for line in missing] == scores[-1].tolist()
    assert [line.get_color() for line in missing] == [line.get_color() for line in steps]
    assert "each class" in ax.get_ylabel()


def test_multiclass_plots_of_one_class(kinds):
    _, models = kinds
    model = models["multiclass"]
    ax = step_plot(model, 0, class_="mail")
    steps = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
    assert len(steps) == 1
    np.testing.assert_array_equal(steps[0].get_ydata()[:-1], model.bin_scores_[0][:-1, 1])
    assert "'mail'" in ax.get_ylabel()
    ax = bar_plot(model, 1, class_="web")
    m = len(model.categories_[1])
    lengths = [p.get_width() for p in ax.patches[:m]]
    assert lengths == sorted(lengths, reverse=True)  # one class: ordered by its scores
    assert _tick_names(ax)[0] == "tcp"  # the web class is the tcp rows
    with pytest.raises(ValueError, match="unknown class"):
        plot_all(model, class_="spam")


@pytest.mark.parametrize("feature", [0, 1])
def test_multiclass_bar_plot_has_one_bar_per_class_in_each_bin(kinds, tmp_path, feature):
    _, models = kinds
    model = models["multiclass"]
    fig, ax = plt.subplots()
    bar_plot(model, feature, ax=ax)
    _render(fig, tmp_path)
    scores = np.asarray(model.bin_scores_[feature])
    labels = [str(c) for c in model.classes_]
    assert _legend_texts(ax) == labels
    bars = ax.patches
    assert len(bars) == 3 * len(scores)  # every bin has weight here: the missing bin too
    colours = {}
    for bar in bars:  # a categorical feature's bars are horizontal: its scores are lengths
        score = bar.get_height() if feature == 0 else bar.get_width()
        colours.setdefault(mcolors.to_hex(bar.get_facecolor()), []).append(score)
    assert len(colours) == 3  # one colour per class
    by_class = list(colours.values())
    if feature == 0:
        expected = [scores[:, k].tolist() for k in range(3)]
    else:
        record = shape_functions(model)[1]
        m = len(record.categories)
        expected = [record.scores[:, k].tolist() + scores[m:, k].tolist() for k in range(3)]
    assert by_class == expected


def test_multiclass_waterfall_explains_the_predicted_class_by_default(kinds, tmp_path):
    X, models = kinds
    model = models["multiclass"]
    rows = odd_rows(X)
    for i in [0, 1, 2, len(rows) - 4]:
        z = model.decision_function(rows[i:i + 1])[0]
        k = int(np.argmax(z))
        ax = waterfall_plot(model, rows[i])
        assert ax.get_title() == f"class {str(model.classes_[k])!r} (predicted)"
        bars = ax.patches
        assert bars[0].get_x() == model.intercept_[k]
        c = contributions(model, rows[i:i + 1])[0, :, k]
        np.testing.assert_allclose([b.get_width() for b in bars], c[np.argsort(-np.abs(c), kind="stable")],
                                   rtol=0, atol=1e-13)
        decision_line = next(line for line in ax.lines if line.get_label().startswith("decision value"))
        assert decision_line.get_xdata()[0] == z[k]  # the model's own value, bit for bit
        assert abs(bars[-1].get_x() + bars[-1].get_width() - z[k]) <= 1e-12
        plt.close(ax.figure)
    ax = waterfall_plot(model, rows[0], class_="dns")
    _render(ax.figure, tmp_path)
    assert ax.get_title() == "class 'dns'" and "'dns'" in ax.get_xlabel()
    assert ax.patches[0].get_x() == model.intercept_[0]


def test_waterfall_names_categories_and_their_bins(kinds):
    X, models = kinds
    model = models["binary"]
    rows = odd_rows(X)[-5:]  # rare "esp", "never-seen", None, "", rare "ah"
    expected = ["x1 = esp (other)", "x1 = never-seen (unseen)", "x1 = missing", "x1 = missing", "x1 = ah (other)"]
    for row, label in zip(rows, expected):
        ax = waterfall_plot(model, row)
        assert label in [t.get_text() for t in ax.get_yticklabels()]
        plt.close(ax.figure)
    ax = waterfall_plot(model, rows[0], baseline="expected")
    assert ax.get_yticklabels()[0].get_text() == "expected baseline"


def test_regressor_plots_speak_of_the_prediction(kinds, tmp_path):
    X, models = kinds
    model = models["regression"]
    for draw in (step_plot, bar_plot):
        for feature in (0, 1):
            ax = draw(model, feature)
            # the categorical feature's bars are horizontal: the scores run along x
            assert (ax.get_ylabel() if feature == 0 else ax.get_xlabel()) == "contribution to the prediction"
            plt.close(ax.figure)
    ax = waterfall_plot(model, X[0])
    _render(ax.figure, tmp_path)
    assert ax.get_xlabel().startswith("prediction") and "log-odds" not in ax.get_xlabel()
    line = next(line for line in ax.lines if line.get_label().startswith("prediction"))
    assert line.get_xdata()[0] == model.predict(X[:1])[0]
    assert ax.patches[0].get_x() == model.intercept_
    with pytest.raises(ValueError, match="regressor has no classes"):
        waterfall_plot(model, X[0], class_=1)


def test_binary_plots_for_classes_0_are_negated(kinds):
    X, models = kinds
    model = models["binary"]
    ax = step_plot(model, 0, class_=False)
    np.testing.assert_array_equal(ax.lines[0].get_ydata()[:-1], -model.bin_scores_[0][:-1])
    assert ax.get_ylabel() == "score (log-odds of class False)"
    ax = waterfall_plot(model, X[0], class_=False)
    line = next(line for line in ax.lines if line.get_label().startswith("decision value"))
    assert line.get_xdata()[0] == -model.decision_function(X[:1])[0]


def test_a_categorical_feature_whose_categories_are_all_rare(tmp_path):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=300), rng.choice(["p", "q", "r"], size=300)]).astype(object)
    X[:, 0] = X[:, 0].astype(float)
    y = np.digitize(X[:, 0].astype(float), [-0.5, 0.5])
    model = EmbeddingSumClassifier(max_bins=4, min_category_count=1000).fit(X, y)
    assert len(model.categories_[1]) == 0
    fig, ax = plt.subplots()
    bar_plot(model, 1, ax=ax)
    _render(fig, tmp_path)
    assert _legend_texts(ax) == ["0", "1", "2"]  # each class once
    assert _tick_names(ax) == ["other (3 rare)", "missing", "unseen"]
    assert len(ax.patches) == 6


# ------------------------------------------------------------------------------------------
# any model that loads draws: names as written, histories with or without series, extreme numbers
# ------------------------------------------------------------------------------------------

import json  # noqa: E402
import re  # noqa: E402
import warnings  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import embedsum  # noqa: E402

# What mathtext would read: dollars, backslashes, braces, sub- and superscripts; "_" first
# also hides a legend entry when matplotlib builds the legend itself.
MATH_CHARACTERS = "$\\{}_^%&#~ax"
NAME = st.text(alphabet=MATH_CHARACTERS, min_size=1, max_size=12)


@pytest.fixture(scope="module")
def documents():
    """The documents of a binary, a three-class and a regression model, each with a numeric
    feature, a categorical one (3 kept categories, rare ones) and a second numeric one."""
    X, targets = mixed_data(0)
    return {kind: json.loads(fit_kind(kind, X, targets[kind], min_category_count=40).to_json()) for kind in KINDS}


@st.composite
def _renamed(draw, doc):
    """``doc`` with every name drawn from MATH_CHARACTERS: features, classes, categories, history keys."""
    doc = json.loads(json.dumps(doc))
    n = doc["n_features"]
    doc["feature_names"] = draw(st.lists(NAME, min_size=n, max_size=n, unique=True))
    if doc["classes"] is not None:
        k = len(doc["classes"])
        classes = sorted(draw(st.lists(NAME, min_size=k, max_size=k, unique=True)))
        doc["classes"], doc["classes_dtype"] = classes, f"U{max(map(len, classes))}"
    j = doc["is_categorical"].index(True)
    m, r = len(doc["categories"][j]), len(doc["rare_categories"][j])
    names = draw(st.lists(NAME, min_size=m + r, max_size=m + r, unique=True))
    doc["categories"][j], doc["rare_categories"][j] = sorted(names[:m]), sorted(names[m:])
    if doc["params"]["categorical_features"] not in (None, "auto"):
        doc["params"]["categorical_features"] = [j]
    keys = draw(st.lists(st.sampled_from(sorted(doc["history"])) | NAME, max_size=5, unique=True))
    length = len(doc["history"]["loss"])
    doc["history"] = draw(st.sampled_from([None, {key: [float(i + 1) for i in range(length)] for key in keys}]))
    return doc


def _every_plot(model, row, kind="step"):
    """Every plot of the module on one model, drawn on the Agg canvas; the Axes they return.

    The one-axes plots share one figure, the one drawn (drawing is what costs, per figure)."""
    fig, grid = plt.subplots(3, 4, dpi=30)
    cells = iter(grid.flat)
    axes = []
    for j in range(model.n_features_in_):
        axes += [bar_plot(model, j, ax=next(cells)), step_plot(model, j, ax=next(cells))]
    if hasattr(model, "classes_"):
        axes += [bar_plot(model, 0, ax=next(cells), class_=embedsum.inspection._kinds._label(model.classes_[-1]))]
    axes += [history_plot(model, ax=next(cells)), waterfall_plot(model, row, ax=next(cells)),
             waterfall_plot(model, row, ax=next(cells), baseline="expected")]
    # plot_all's cells are the plots drawn above; its figure is built (titles, layout), not drawn again.
    every = plot_all(model, kind=kind)
    fig.canvas.draw()
    return axes + [a for a in every.axes if a.get_title()]


LOG_TICK = "$\\mathdefault{"  # matplotlib's own tick labels on a log axis are mathtext


def _texts_showing(axes, names):
    """``(text, parsed as mathtext)`` of every label, title, tick label and legend text of the
    figures of ``axes`` that shows one of ``names`` and a "$" (which would start mathtext;
    the log axis's own ticks are mathtext by design)."""
    texts = []
    for ax in axes:
        for a in [ax, *ax.figure.axes]:
            legend = a.get_legend()
            candidates = [a.xaxis.label, a.yaxis.label, a.title, *a.get_xticklabels(), *a.get_yticklabels()]
            if legend is not None:
                candidates += [*legend.get_texts(), legend.get_title()]
            texts += [(t.get_text(), t.get_parse_math()) for t in candidates
                      if "$" in t.get_text() and any(name in t.get_text() for name in names)
                      and not t.get_text().startswith(LOG_TICK)]
    return texts


@pytest.mark.parametrize("extreme", [False, True])
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(KINDS), plot_kind=st.sampled_from(["step", "bar"]))
def test_every_plot_draws_names_as_written_and_extreme_numbers(documents, data, kind, plot_kind, extreme):
    """Names drawn from mathtext's special characters; with ``extreme``, any finite cuts (a -inf first cut
    too), scores and weights as well. One drawing checks both (drawing is what costs)."""
    doc = data.draw(_renamed(documents[kind]))
    if extreme:
        doc = data.draw(_extreme(doc))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the model's own sums may overflow: not the plots'
        model = embedsum.from_json(json.dumps(doc))
        j = doc["is_categorical"].index(True)
        row = np.array([0.5, doc["categories"][j][0], -1.0], dtype=object)
        axes = _every_plot(model, row, plot_kind)
    plt.close("all")
    # Each name is shown as written (the step plots' x labels), and no text holding a "$"
    # goes to mathtext.
    # (an axis of values near the float64 limit is drawn scaled by a power of two, and says so)
    # (a categorical feature's bars are horizontal: its name is the y label)
    labels = [axes[2 * j + 1].get_ylabel() if doc["is_categorical"][j] else axes[2 * j + 1].get_xlabel()
              for j in range(model.n_features_in_)]
    assert [re.sub(r" \(drawn x 2\^-?[0-9]+\)$", "", label) for label in labels] == doc["feature_names"]
    j = doc["is_categorical"].index(True)
    names = [*doc["feature_names"], *(doc["classes"] or ()), *doc["categories"][j], *(doc["history"] or ())]
    texts = _texts_showing(axes, names)
    assert not [text for text, parsed in texts if parsed]
    if any("$" in name for name in names):
        assert texts
    if kind == "multiclass":  # one legend entry per class, "_" names included
        assert _legend_texts(axes[0]) == doc["classes"]


def test_a_name_mathtext_cannot_parse_draws(documents, tmp_path):
    doc = json.loads(json.dumps(documents["multiclass"]))
    doc["feature_names"] = ["$\\foo$", "a$^$b", "$_$"]
    doc["classes"], doc["classes_dtype"] = sorted(["${$", "_hidden", "e^{"]), "U7"
    model = embedsum.from_json(json.dumps(doc))
    ax = step_plot(model, "$\\foo$")
    _render(ax.figure, tmp_path)
    assert ax.get_xlabel() == "$\\foo$"
    assert _legend_texts(ax) == doc["classes"]  # "_hidden" too
    fig = plot_all(model)
    _render(fig, tmp_path, "all.png")
    assert sorted(a.get_title().split(" (importance")[0] for a in _titled(fig)) == sorted(doc["feature_names"])


def test_history_plot_of_a_model_without_history_or_without_loss(documents):
    doc = json.loads(json.dumps(documents["binary"]))
    doc["history"] = None
    model = embedsum.from_json(json.dumps(doc))
    assert not hasattr(model, "history_")
    ax = history_plot(model)
    ax.figure.canvas.draw()
    assert len(ax.lines) == 0 and "no training history" in ax.texts[0].get_text()
    doc["history"] = {"step": [0.5, 0.25], "_classification": [1.0, 0.5], "l2": [0.0, 0.0]}
    ax = history_plot(embedsum.from_json(json.dumps(doc)))
    ax.figure.canvas.draw()
    assert [line.get_label() for line in ax.lines] == ["step", "_classification"]
    assert _legend_texts(ax) == ["step", "_classification"]
    assert "l2" in ax.get_legend().get_title().get_text()


FINITE = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def _extreme(draw, doc):
    """``doc`` with any finite cuts (a -inf first cut too), scores and weights."""
    doc = json.loads(json.dumps(doc))
    k = 1 if not isinstance(doc["intercept"], list) else len(doc["intercept"])
    for j, cuts in enumerate(doc["cuts"]):
        if cuts is None:
            continue
        cuts = sorted(set(draw(st.lists(FINITE.filter(lambda v: v != 0.0) | st.just(0.0), max_size=5))))
        if draw(st.booleans()):
            cuts = ["-inf"] + cuts
        doc["cuts"][j] = cuts
        n_bins = len(cuts) + 2
        scores = draw(st.lists(FINITE, min_size=n_bins * k, max_size=n_bins * k))
        doc["bin_scores"][j] = scores if k == 1 else [scores[b * k:(b + 1) * k] for b in range(n_bins)]
        weights = draw(st.lists(st.integers(0, 3), min_size=n_bins, max_size=n_bins).filter(any))
        doc["bin_weights"][j] = [w / sum(weights) for w in weights]
    doc["intercept"] = draw(FINITE) if k == 1 else draw(st.lists(FINITE, min_size=k, max_size=k))
    doc["params"]["monotonic_cst"] = None
    doc["monotonic_cst"] = [0] * doc["n_features"]
    return doc


@pytest.mark.parametrize("others", [0, 1, 3])
def test_step_plot_of_a_fitted_feature_with_a_minus_inf_cut(tmp_path, others):
    """A column made mostly of -inf gets a cut at -inf: the range comes from the finite cuts,
    the -inf bin is a marker at the left end."""
    rng = np.random.default_rng(others)
    X = rng.normal(size=(300, 1))
    X[:200, 0] = -np.inf
    if others == 0:
        X[200:, 0] = 1.0
    model = EmbeddingSumClassifier(max_bins=2 + 2 * others).fit(X, rng.random(300) > 0.5)
    cuts = model.cuts_[0]
    assert cuts[0] == -np.inf
    ax = step_plot(model, 0)
    _render(ax.figure, tmp_path)
    xs = ax.lines[0].get_xdata()
    assert np.isfinite(xs).all() and xs[1] == xs[0]  # the -inf bin: no width, at the left end
    np.testing.assert_array_equal(xs[2:-1], cuts[1:])
    assert any(t.get_text() == "-inf" for t in ax.texts)


# ----------------------------------------------------------------------------------------------
# Bands of a model with standard errors (uncertainty=True)
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_with_errors(data):
    X, y = data
    return EmbeddingSumClassifier(max_bins=6, uncertainty=True).fit(X, y)


def _error_segments(ax):
    """(x, low, high) of every error bar drawn on ax."""
    import matplotlib.collections as mcoll

    out = []
    for coll in ax.collections:
        if isinstance(coll, mcoll.LineCollection):
            for seg in coll.get_segments():
                out.append((seg[0][0], min(seg[0][1], seg[1][1]), max(seg[0][1], seg[1][1])))
    return sorted(out)


def test_bar_plot_draws_a_band_of_1_96_standard_errors_on_each_bar(model_with_errors, model, tmp_path):
    ax = bar_plot(model_with_errors, 0)
    _render(ax.figure, tmp_path)
    scores, se = model_with_errors.bin_scores_[0], model_with_errors.bin_scores_se_[0]
    segments = _error_segments(ax)
    assert len(segments) == len(scores)  # every interval bin and the populated missing bin
    middles = np.array([s[0] for s in segments])
    assert np.all(np.diff(middles) > 0)
    lows, highs = np.array([s[1] for s in segments]), np.array([s[2] for s in segments])
    np.testing.assert_allclose((lows + highs) / 2, scores, atol=1e-12)
    np.testing.assert_allclose((highs - lows) / 2, 1.959963984540054 * se, rtol=1e-9)
    # Another level, and none at all; a model without standard errors has no band.
    narrow = _error_segments(bar_plot(model_with_errors, 0, level=0.5))
    np.testing.assert_allclose([(s[2] - s[1]) / 2 for s in narrow], 0.6744897501960817 * se, rtol=1e-9)
    assert _error_segments(bar_plot(model_with_errors, 0, level=None)) == []
    assert _error_segments(bar_plot(model, 0)) == []  # the same fit without standard errors
    with pytest.raises(ValueError, match="level"):
        bar_plot(model_with_errors, 0, level=95)


def test_step_plot_shades_the_band_around_the_step_line(model_with_errors, tmp_path):
    import matplotlib.collections as mcoll

    ax = step_plot(model_with_errors, 1)
    _render(ax.figure, tmp_path)
    bands = [c for c in ax.collections if isinstance(c, mcoll.PolyCollection)]
    assert len(bands) == 1
    ys = np.concatenate([p.vertices[:, 1] for p in bands[0].get_paths()])
    scores, se = model_with_errors.bin_scores_[1], model_with_errors.bin_scores_se_[1]
    for value in np.concatenate([scores[:-1] - 1.959963984540054 * se[:-1], scores[:-1] + 1.959963984540054 * se[:-1]]):
        assert np.isclose(ys, value, atol=1e-12).any()
    assert not np.isfinite(se[-1])  # feature 1 has no missing values: no band on its missing diamond
    assert _error_segments(ax) == []
    plain_ax = step_plot(model_with_errors, 1, level=None)
    assert not any(isinstance(c, mcoll.PolyCollection) for c in plain_ax.collections)


# ------------------------------------------------------------------------------------------
# readable on a census-like table: many categories, a point mass, large amounts, a 0/1 target
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def census():
    """41 categories with long names, a money column 92% zeros with a long tail, a 0/1 target."""
    rng = np.random.default_rng(4)
    n = 1200
    country = rng.choice([f"country number {c:02d} of a long list of names" for c in range(41)], size=n)
    gain = np.where(rng.random(n) < 0.92, 0.0, np.exp(rng.normal(8, 1.5, n)))
    X = np.empty((n, 2), dtype=object)
    X[:, 0], X[:, 1] = country, gain
    y = ((gain > 3000) ^ (rng.random(n) < 0.2)).astype(int)
    model = EmbeddingSumClassifier(binning="adaptive", min_category_count=5).fit(X, y)
    return X, y, model


def _boxes_apart(texts):
    """Whether the drawn boxes of ``texts`` (non-empty ones) overlap nowhere."""
    boxes = sorted((t.get_window_extent() for t in texts if t.get_text()), key=lambda b: b.y0)
    return all(low.y1 <= high.y0 + 0.5 for low, high in zip(boxes, boxes[1:]))


def test_forty_one_categories_draw_as_readable_rows(census):
    _, _, model = census
    assert len(model.categories_[0]) == 41
    ax = bar_plot(model, 0)
    ax.figure.set_dpi(40)  # boxes scale with the dpi: overlaps show at any; fewer pixels draw faster
    ax.figure.canvas.draw()
    labels = ax.get_yticklabels()
    assert _boxes_apart(labels)  # no name is written over another
    assert min(t.get_fontsize() for t in labels) >= 5
    names = _tick_names(ax)
    assert len(names) == 20 + 1 + 3 and "21 more categories" in names  # 20 drawn, one shared row
    shown = [n for n in names if n.startswith("country")]
    assert all(len(n) <= 28 and n.endswith("\u2026") for n in shown)  # long names are cut
    scores = np.asarray(model.bin_scores_[0][:41])
    cut = np.sort(np.abs(scores))[::-1][19]
    assert len(shown) == 20 and np.sum(np.abs(scores) >= cut) == 20  # the 20 farthest from 0 are drawn
    every = bar_plot(model, 0, max_categories=None)
    assert len(every.patches) == 41 + 2
    with pytest.raises(ValueError, match="max_categories"):
        bar_plot(model, 0, max_categories=0)


def test_a_point_mass_bin_has_width_and_the_weight_axis_stops_at_its_share(census):
    X, _, model = census
    cuts, weights = model.cuts_[1], model.bin_weights_[1]
    assert cuts[0] == 0 and weights[0] > 0.9  # the zeros have a bin of their own
    ax = step_plot(model, 1, X=X)
    below = _other_axes(ax.figure, ax)
    first = below.patches[0]
    lo, hi = ax.get_xlim()
    assert first.get_width() >= 0.02 * (hi - lo) and first.get_height() == weights[0]
    assert first.get_x() + first.get_width() == 0.0  # it ends at its value
    ticks = below.get_yticks()
    assert ticks.max() <= weights.max() and below.get_ylim()[1] >= 2 * weights.max()
    assert below.yaxis.get_major_formatter()(0.5, 0) == "50%"
    assert ax.xaxis.get_major_formatter()(20000.0, 0) == "20k"  # no "1e4" offset in a corner


def test_bar_plot_prints_only_the_cuts_that_fit(census):
    _, _, model = census
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=40)
    bar_plot(model, 1, ax=ax)
    top = _other_axes(fig, ax)
    fig.canvas.draw()
    labels = top.get_xticklabels()
    assert len(labels) == len(model.cuts_[1]) and labels[0].get_text() == "0"
    shown = [t for t in labels if t.get_text()]
    assert 1 < len(shown) < len(labels)
    boxes = sorted((t.get_window_extent() for t in shown), key=lambda b: b.x0)
    assert all(left.x1 <= right.x0 + 0.5 for left, right in zip(boxes, boxes[1:]))
    assert all("e+" not in t.get_text() for t in labels)


def test_waterfall_is_readable_and_ends_at_the_probability(census):
    X, _, model = census
    row = X[int(np.argmax(X[:, 1].astype(float)))].copy()
    row[1] = 226800.0
    ax = waterfall_plot(model, row)
    ax.figure.set_dpi(40)
    ax.figure.canvas.draw()
    assert "x1 = 226,800" in [t.get_text() for t in ax.get_yticklabels()]
    p = model.predict_proba(row[None])[0, 1]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "intercept" and labels[-1] == f"decision value: P(class 1) = {p:.3f}"  # the end
    assert "log-odds of class 1" in ax.get_xlabel()
    # The amounts: a column right of the axes (nothing drawn there), level with the rows.
    (column,) = ax.child_axes
    amounts = [model.intercept_] + [b.get_width() for b in ax.patches] + [model.decision_function(row[None])[0]]
    assert [t.get_text() for t in column.get_yticklabels()] == [f"{a:+.3g}" for a in amounts]
    right = ax.get_window_extent().x1
    assert all(t.get_window_extent().x0 >= right for t in column.get_yticklabels())
    assert ax.get_legend() is None
    multiclass = EmbeddingSumClassifier(max_bins=4).fit(X[:, 1:].astype(float), np.arange(len(X)) % 3)
    z = multiclass.predict_proba(X[:1, 1:].astype(float))[0]
    ax = waterfall_plot(multiclass, X[0, 1:].astype(float), class_=2)
    assert ax.get_yticklabels()[-1].get_text() == f"decision value: P(class 2) = {z[2]:.3f}"


def test_numbers_read_as_written():
    from embedsum.inspection._plot_style import _number_text

    assert [_number_text(v) for v in (226800.0, 999.97, -1234.5, 6.0, 0.01234567, 3e-7, 2e16)] == \
        ["226,800", "1,000", "-1,234", "6", "0.01235", "3e-07", "2e+16"]
    assert _number_text(0.5, signed=True) == "+0.5"
