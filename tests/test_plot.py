"""The pictures draw what the model says: bars, steps, weights, history and waterfall checked element by element.

Each plot is rendered to PNG (so drawing really happens), then its artists are compared with
the fitted numbers: bar widths/heights = bin weights/scores, colours by sign, twin-axis ticks =
cuts, step-line vertices = scores at the cuts, the missing bin marked apart, history lines =
``history_`` arrays, waterfall bars chained from the intercept to the decision value.
Also: matplotlib stays an optional extra (not imported by ``import embedsum.plot``; a clear
ImportError naming ``pip install embedsum[plot]`` when it is absent).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import require_matplotlib

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
    fig.savefig(path, dpi=50)
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
    pd = pytest.importorskip("pandas")
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
def test_plot_all_one_axes_per_feature_by_importance(model, tmp_path, kind):
    fig = plot_all(model, kind=kind)
    _render(fig, tmp_path)
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
    assert ax.get_yticklabels()[2].get_text() == "other (2 features)"
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
        assert "pip install embedsum[plot]" in line, line


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
    assert any("expected baseline" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(ax.figure)
