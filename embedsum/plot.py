"""Pictures of a fitted model: shape functions, pair tables, training history, one row's explanation.

The public face of :mod:`embedsum.inspection`'s plot modules (``_plot``, ``_pair_plot``, ``_history_plot``,
``_waterfall_plot``), where the functions and their examples live. matplotlib
(``pip install matplotlib``, or the ``embedsum[plot]`` extra) is imported by the functions, never by ``import embedsum.plot``.
"""

from .inspection._plot import bar_plot, history_plot, pair_plot, plot_all, step_plot, waterfall_plot

__all__ = ["bar_plot", "step_plot", "pair_plot", "plot_all", "history_plot", "waterfall_plot"]
