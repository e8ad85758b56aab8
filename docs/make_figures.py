"""Reproduce the published embedding-sum tutorial's figures with embedsum, on the bundled breast-cancer data.

Fits an unregularised model (step_loss_weight=0, embedding_sum_loss_weight=0) and a regularised
one (the defaults) on the same 80% of the rows, then writes into this folder:

- mean_texture.png: the bar plot and the step plot of "mean_texture" in both models;
- history.png: the training history of both models;
- top_features.png: the six most important features of the regularised model;
- waterfall.png: one held-out row's explanation by the regularised model, against the expected baseline.

Every number quoted in docs/tutorial.md is printed here. Run: ``python docs/make_figures.py``
(needs matplotlib: ``pip install matplotlib``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from embedsum import EmbeddingSumClassifier  # noqa: E402
from embedsum.datasets import load_breast_cancer  # noqa: E402
from embedsum.explain import attributions, contributions  # noqa: E402
from embedsum.plot import bar_plot, history_plot, plot_all, step_plot, waterfall_plot  # noqa: E402

HERE = Path(__file__).resolve().parent
DPI = 90  # keeps every PNG under ~150 KB
FEATURE = "mean_texture"
ROW = 0  # the held-out row explained by the waterfall


def _save(fig, name: str) -> None:
    path = HERE / name
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"wrote {path.relative_to(HERE.parent)} ({path.stat().st_size / 1024:.0f} KB)")


class _Table(np.ndarray):
    """A numpy array with the data set's column names: the model keeps the names without needing pandas."""

    columns: list[str] = []


def _named(a: np.ndarray, names: list[str]) -> _Table:
    table = a.view(_Table)
    table.columns = names
    return table


def _log_loss(model, X, y) -> float:
    p = model.predict_proba(X)[:, 1]
    positive = y == model.classes_[1]
    return float(-np.mean(np.log(np.where(positive, p, 1 - p))))


def main() -> None:
    X, y, names = load_breast_cancer()
    # A fixed 80/20 split, so that the figures and the numbers are the same on every run.
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[: int(0.8 * len(y))], order[int(0.8 * len(y)):]
    models = {
        "unregularised": EmbeddingSumClassifier(step_loss_weight=0.0, embedding_sum_loss_weight=0.0),
        "regularised": EmbeddingSumClassifier(),
    }
    X_train, X_test = _named(X[train], names), _named(X[test], names)
    print(f"data: {len(y)} rows, {X.shape[1]} features; train {len(train)}, test {len(test)}; "
          f"positive class '{sorted(set(y.tolist()))[1]}'")
    j = names.index(FEATURE)
    for label, model in models.items():
        model.fit(X_train, y[train])
        print(f"{label}: {model.n_iter_} iterations, final loss {model.history_['loss'][-1]:.2g}, "
              f"test accuracy {model.score(X_test, y[test]):.3f}, test log-loss {_log_loss(model, X_test, y[test]):.3f}, "
              f"{FEATURE} importance {model.feature_importances_[j]:.3f}, "
              f"{FEATURE} scores from {model.bin_scores_[j][:-1].min():+.2f} to {model.bin_scores_[j][:-1].max():+.2f}")

    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
    for row, (label, model) in enumerate(models.items()):
        bar_plot(model, FEATURE, ax=axes[row, 0])
        step_plot(model, FEATURE, ax=axes[row, 1], X=X_train)
        axes[row, 0].set_title(f"{label}: bar plot", fontsize=10)
        axes[row, 1].set_title(f"{label}: step plot", fontsize=10)
    _save(fig, "mean_texture.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    for ax, (label, model) in zip(axes, models.items()):
        history_plot(model, ax=ax)
        ax.set_title(label, fontsize=10)
    _save(fig, "history.png")

    regularised = models["regularised"]
    fig = plot_all(regularised, top=6)
    top6 = np.argsort(-regularised.feature_importances_, kind="stable")[:6]
    print("top features (regularised): " + ", ".join(
        f"{names[k]} {regularised.feature_importances_[k]:.3f}" for k in top6))
    _save(fig, "top_features.png")

    x = X[test[ROW]]  # a plain 1-D row: waterfall_plot takes the names from the model
    ax = waterfall_plot(regularised, x, top=8, baseline="expected")
    row = _named(X[test[ROW : ROW + 1]], names)
    c = contributions(regularised, row)[0]
    z = regularised.decision_function(row)[0]
    biggest = int(np.argmax(np.abs(c)))
    print(f"waterfall: test row {ROW} (data row {test[ROW]}), label '{y[test[ROW]]}'; intercept "
          f"{regularised.intercept_:+.3f}, decision value {z:+.3f}, "
          f"P('{regularised.classes_[1]}') {regularised.predict_proba(row)[0, 1]:.3f}; "
          f"largest contribution {names[biggest]} {c[biggest]:+.3f}")
    # Against the "expected" baseline (the model's average row): exact interventional SHAP values.
    phi = attributions(regularised, row, baseline="expected")[0]
    expected_decision = z - phi.sum()
    order = np.argsort(-np.abs(phi))[:3]
    print(f"expected baseline: decision of the average row {expected_decision:+.3f}; attributions sum to "
          f"{phi.sum():+.3f} = decision - baseline decision; largest: " + ", ".join(
              f"{names[k]} {phi[k]:+.3f}" for k in order))
    ax.set_title(f"Test row {ROW}: from the average row's decision to its own", fontsize=10)
    _save(ax.figure, "waterfall.png")


if __name__ == "__main__":
    main()
