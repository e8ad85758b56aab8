"""The training history plot: the loss and each loss term, iteration by iteration."""

from __future__ import annotations

import numpy as np

from .._validation import check_is_fitted
from ._plot_style import _axes, _legend


def history_plot(model, ax=None):
    """The training history: the total loss and each loss term at the start and after every iteration.

    One line per series of ``model.history_`` (``"loss"`` first), against the iteration
    number, on a log y axis when every value is >= 0 and some are > 0 (zeros are then not
    drawn, and the axis spans at most 8 decades below the largest value). Terms that are 0
    at every iteration (e.g. ``l2`` when its weight is 0) are left out, and the legend
    says so. A model without a history (loaded from a document that has none) gets empty
    axes that say so; a history without some series draws the ones it has.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> ax = history_plot(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0))
    >>> [line.get_label() for line in ax.lines]
    ['loss', 'classification', 'step', 'embedding_sum']
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    check_is_fitted(model, "bin_scores_")
    ax = _axes(ax)
    history = {str(k): np.asarray(v, dtype=np.float64).ravel() for k, v in (getattr(model, "history_", None) or {}).items()}
    keys = sorted(history, key=lambda k: k != "loss")  # "loss" first, the others in their order
    shown = [k for k in keys if k == "loss" or np.any(history[k] != 0)]
    skipped = [k for k in keys if k not in shown]
    lines = []
    for k in shown:
        lines += ax.plot(np.arange(len(history[k])), history[k], label=k,
                         linewidth=2.2 if k == "loss" else 1.2, color="black" if k == "loss" else None)
    values = np.concatenate([history[k] for k in shown]) if shown else np.empty(0)
    positive = values[values > 0]
    if positive.size and np.all(values >= 0):
        ax.set_yscale("log")
        # A term that starts at exactly 0 passes through tiny values (1e-36, say) on its first
        # step; showing those would squash everything else: keep 8 decades below the top.
        top = float(positive.max())
        ax.set_ylim(max(float(positive.min()), top * 1e-8) / 2, min(top * 2, np.finfo(np.float64).max))
    ax.set_xlabel("L-BFGS-B iteration")
    ax.set_ylabel("loss (weighted terms)")
    if not history:
        ax.text(0.5, 0.5, "no training history\n(the model was loaded without one)", transform=ax.transAxes,
                ha="center", va="center", fontsize=9, color="0.4")
        return ax
    title = f"always 0, not drawn: {', '.join(skipped)}" if skipped else None
    _legend(ax, lines, shown, title=title, title_fontsize=8, fontsize=8)
    return ax
