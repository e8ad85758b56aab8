"""Pair terms at fit: which pairs, their coarse axes, their training codes and their tables.

``interactions`` (docs/design.md#pair-terms) is an int (at most that many pairs, chosen after
the main effects by the FAST ranking of :mod:`embedsum.training._pair_ranking` on the main
effects' residuals) or a list of pairs of features. Each pair is a table over coarse bins of
its two features: a numeric axis gets its own cuts (the estimator's binning with
``interaction_bins`` bins), a categorical axis its feature's category bins. Features under a
monotone constraint take no part in pairs, which could undo the constraint.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from .._bins import pair_code


# At most this many features (the most important main effects) are ranked pairwise: the
# ranking costs one 2-D histogram per candidate pair.
_RANKED_FEATURES = 40
# Pair ranking reads an evenly strided subsample of at most this many rows.
_RANKED_ROWS = 2**18
# Weight of the penalty that keeps what a pair shares with its features' main effects in
# the main effects (PairMarginLoss, docs/design.md#pair-terms).
PAIR_MARGIN_WEIGHT = 1.0


def resolve_interactions(interactions, n_features: int, names, monotonic_cst) -> tuple[list, int]:
    """``(explicit pairs, number of pairs to choose)`` from the ``interactions`` parameter.

    An int n >= 0 asks for at most n pairs, chosen at fit; a sequence of pairs ``(i, j)``
    (column indices, or names when X has column names) gives them, each as ``(min, max)``.

    Example
    -------
    >>> resolve_interactions([("b", "a")], 3, ["a", "b", "c"], None)
    ([(0, 1)], 0)
    >>> resolve_interactions(2, 3, None, None)
    ([], 2)
    """
    constrained = set() if monotonic_cst is None else set(np.flatnonzero(np.asarray(monotonic_cst)).tolist())
    if isinstance(interactions, numbers.Integral) and not isinstance(interactions, bool):
        if interactions < 0:
            raise ValueError(f"interactions must be >= 0 or a list of pairs of features, got {interactions!r}")
        return [], int(interactions)
    if isinstance(interactions, (str, bytes)) or not hasattr(interactions, "__iter__"):
        raise ValueError(f"interactions must be an int >= 0 or a list of pairs of features, got {interactions!r}")
    position = {} if names is None else {name: i for i, name in enumerate(list(names))}
    pairs = []
    for pair in interactions:
        items = list(pair) if hasattr(pair, "__iter__") and not isinstance(pair, str) else [pair]
        if len(items) != 2:
            raise ValueError(f"each interaction is a pair of two features, got {pair!r}")
        idx = [_feature_index(item, n_features, position) for item in items]
        if idx[0] == idx[1]:
            raise ValueError(f"an interaction pairs two different features, got {pair!r}")
        if constrained & set(idx):
            raise ValueError(f"interaction {pair!r} involves a feature under a monotone constraint; "
                             "a pair term could undo it")
        key = (min(idx), max(idx))
        if key in pairs:
            raise ValueError(f"interaction {pair!r} is given twice")
        pairs.append(key)
    return pairs, 0


def _feature_index(item, n_features: int, position: dict) -> int:
    if isinstance(item, numbers.Integral) and not isinstance(item, bool):
        if not 0 <= item < n_features:
            raise ValueError(f"interaction feature {item} is out of range: X has {n_features} features")
        return int(item)
    if item in position:
        return position[item]
    raise ValueError(f"interaction feature {item!r} is not a column of X")


class PairAxes:
    """Each feature's coarse axis for pair terms: ``cuts[j]`` (None on a categorical axis),
    ``codes[:, j]`` (training codes) and ``n_bins[j]`` (bins, the missing bin included).

    Example
    -------
    >>> from embedsum.estimators._fitted_bins import fit_bins
    >>> X = np.arange(40.0).reshape(20, 2)
    >>> bins = fit_bins(X, None, None, categorical_features="auto", max_bins=10, min_category_count=1)
    >>> axes = PairAxes(bins, None, axis_bins=4, binning="quantile", min_bin_count=5)
    >>> axes.n_bins.tolist(), axes.cuts[0].tolist()
    ([5, 5], [8.0, 18.0, 28.0])
    """

    def __init__(self, bins, sample_weight, *, axis_bins: int, binning: str, min_bin_count: int, features=None):
        from ._fitted_bins import _digitizer

        # Only the given features' axes (the kept features of a screened fit), in their order.
        features = np.arange(len(bins.n_bins)) if features is None else np.asarray(features, dtype=np.intp)
        codes = np.array(bins.codes[:, features], dtype=np.intp, order="F")
        d = codes.shape[1]
        cuts, n_bins = [None] * d, np.array(bins.n_bins, dtype=np.intp)[features]
        numeric = np.flatnonzero(~np.asarray(bins.is_categorical, dtype=bool)[features])
        if len(numeric):
            digitizer = _digitizer(binning, axis_bins, min_bin_count)
            codes[:, numeric] = digitizer.fit_transform(bins.values[:, features[numeric]], sample_weight=sample_weight)
            for j, c in zip(numeric, digitizer.cuts_):
                cuts[j], n_bins[j] = c, len(c) + 2
        self.cuts, self.codes, self.n_bins = cuts, codes, n_bins

    def training(self, pairs, sample_weight, rows=None) -> tuple[np.ndarray, list, list]:
        """``(joint codes (n, P), shapes, cell weights)`` of the pairs on every row.

        Cell weights are each cell's fraction of the training rows ``rows`` (default: all; of
        the sample weight, when given), row-major, as :class:`~embedsum.training._layout.ParameterLayout`
        takes them.
        """
        n = self.codes.shape[0]
        sw = np.ones(n) if sample_weight is None else np.array(sample_weight, dtype=np.float64)
        if rows is not None:
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            sw[~mask] = 0.0
        total = float(sw.sum())
        joint = np.empty((n, len(pairs)), dtype=np.intp, order="F")
        shapes, weights = [], []
        for p, (a, b) in enumerate(pairs):
            n_a, n_b = int(self.n_bins[a]), int(self.n_bins[b])
            joint[:, p] = pair_code(self.codes[:, a], self.codes[:, b], n_b)
            shapes.append((n_a, n_b))
            weights.append(np.bincount(joint[:, p], weights=sw, minlength=n_a * n_b) / total)
        return joint, shapes, weights


def choose_pairs(axes: PairAxes, n_pairs: int, main_scores, codes, target, sw, loss, monotonic_cst, layout,
                 rows=None):
    """At most ``n_pairs`` pairs, best first, by the FAST interaction score of
    :func:`~embedsum.training._pair_ranking.rank_pairs` on the main-effects model's residuals
    over ``rows`` (default: all); pairs that gain nothing are left out. ``main_scores`` is the
    fitted flat vector of the main effects on ``layout``."""
    from ..scoring._codes import decision_values_of_codes
    from ..training._pair_ranking import loss_derivatives, rank_pairs
    from ._importances import mirad_importances

    d = codes.shape[1]
    allowed = np.flatnonzero(np.asarray(monotonic_cst) == 0)
    scores, intercept = layout.split(main_scores)
    if len(allowed) > _RANKED_FEATURES:
        importance = mirad_importances([scores[j] for j in allowed], [layout.bin_weights[
            layout.offsets[j]:layout.offsets[j + 1]] for j in allowed])
        allowed = np.sort(allowed[np.argsort(-importance, kind="stable")[:_RANKED_FEATURES]])
    if len(allowed) < 2 or n_pairs == 0:
        return []
    rows = np.arange(len(target)) if rows is None else np.asarray(rows)
    rows = rows[::max(1, -(-len(rows) // _RANKED_ROWS))]
    z = decision_values_of_codes([codes[rows, j] for j in range(d)], scores, intercept)
    gradient, hessian = loss_derivatives(loss, z, target[rows])
    candidates = [(int(a), int(b)) for i, a in enumerate(allowed) for b in allowed[i + 1:]]
    ranked, gains = rank_pairs(axes.codes[rows], axes.n_bins, gradient, hessian, sw[rows], candidates=candidates)
    return [pair for pair, gain in zip(ranked[:n_pairs], gains[:n_pairs]) if gain > 0]


def with_pairs(coef: np.ndarray, main_layout, pair_rows: int) -> np.ndarray:
    """A main-effects flat vector extended with zero pair tables (``pair_rows`` bin rows) before the intercepts."""
    K = main_layout.n_outputs
    return np.concatenate([coef[:main_layout.n_bin_rows * K], np.zeros(pair_rows * K), coef[-K:]])


def pair_tables(layout, coef, axes: PairAxes, is_categorical) -> tuple[list, list]:
    """Each fitted pair's scoring table and its training cell weights, (n_a, n_b) each.

    A categorical axis gains one more entry, last, for categories unseen in training: the
    training-weighted mean of the table along that axis (docs/design.md#pair-terms), as a
    main effect's unseen score is its training-weighted mean score.
    """
    views, _ = layout.term_views(coef)
    tables, weights = [], []
    for p, ((a, b), (n_a, n_b)) in enumerate(zip(layout.pairs, layout.pair_shapes)):
        table = np.array(views[layout.n_features + p], dtype=np.float64).reshape((n_a, n_b) + views[0].shape[1:])
        w = np.asarray(layout.bin_weights[layout.term_offsets[layout.n_features + p]:
                                          layout.term_offsets[layout.n_features + p + 1]]).reshape(n_a, n_b)
        weights.append(w.copy())
        cell_w = w
        if is_categorical[b]:
            table = np.concatenate([table, _weighted_mean(table, cell_w, axis=1)], axis=1)
            cell_w = np.concatenate([cell_w, cell_w.sum(axis=1, keepdims=True)], axis=1)
        if is_categorical[a]:
            table = np.concatenate([table, _weighted_mean(table, cell_w, axis=0)], axis=0)
        tables.append(table)
    return tables, weights


def _weighted_mean(table: np.ndarray, w: np.ndarray, axis: int) -> np.ndarray:
    """The ``w``-weighted mean of ``table`` along ``axis`` (kept as a length-1 axis); 0 where no weight."""
    w = w.reshape(w.shape + (1,) * (table.ndim - 2))
    total = w.sum(axis=axis, keepdims=True)
    weighted = (w * table).sum(axis=axis, keepdims=True)
    return np.divide(weighted, total, out=np.zeros_like(weighted), where=total > 0)


class PairRecord:
    """The fitted pair terms as the model keeps them: ``pairs``, ``cuts`` (per pair, per axis;
    None on a categorical axis), ``scores`` (scoring tables) and ``weights`` (training cells)."""

    def __init__(self, pairs, cuts, scores, weights):
        self.pairs, self.cuts, self.scores, self.weights = pairs, cuts, scores, weights


def solve_terms(model, bins, target, sw, names, n_outputs: int, monotonic_cst, groups):
    """Solve for the main effects and the pairs ``model.interactions`` asks for.

    Returns ``(layout, codes, solver result, PairRecord or None)``: with an int, the main
    effects are solved first, the pairs ranked on their residuals, and the whole model
    solved again from there; with a list of pairs, the whole model is solved at once.
    """
    layout = bins.layout(n_outputs)
    explicit, n_auto = resolve_interactions(model.interactions, len(bins.n_bins), names, monotonic_cst)
    solve = model._solve
    if not explicit and n_auto == 0:
        return layout, bins.codes, solve(bins.codes, target, sw, layout, warn=False, monotonic_cst=monotonic_cst,
                                         groups=groups), None
    axes = PairAxes(bins, sw, axis_bins=model.interaction_bins, binning=model.binning,
                    min_bin_count=model.min_bin_count)
    pairs, x0 = explicit, None
    if n_auto:
        main = solve(bins.codes, target, sw, layout, warn=False, monotonic_cst=monotonic_cst)
        pairs = choose_pairs(axes, n_auto, main.coef, bins.codes, target, sw, model._loss(n_outputs),
                             monotonic_cst, layout)
        if not pairs and groups is None:
            return layout, bins.codes, main, None
        x0 = main.coef
    if not pairs:  # nothing gains, and a fairness bound to hold: the main effects under it
        return layout, bins.codes, solve(bins.codes, target, sw, layout, x0=x0, warn=False,
                                         monotonic_cst=monotonic_cst, groups=groups), None
    codes, full = pair_problem(axes, pairs, sw, bins.codes, functools.partial(bins.layout, n_outputs))
    if x0 is not None:
        x0 = with_pairs(x0, layout, full.n_bin_rows - layout.n_bin_rows)
    result = solve(codes, target, sw, full, x0=x0, warn=False, monotonic_cst=monotonic_cst, groups=groups)
    return full, codes, result, pair_record(full, result.coef, axes, bins.is_categorical)


def pair_problem(axes: PairAxes, pairs, sw, codes, bins_layout, rows=None):
    """``(codes, layout)`` of the main effects (their ``codes``) plus ``pairs``: one more code column
    per pair, and ``bins_layout(pairs=, pair_shapes=, pair_weights=)`` with cell weights from ``rows``."""
    from ..binning._digitizer import code_dtype

    joint, shapes, weights = axes.training(pairs, sw, rows)
    full = bins_layout(pairs=pairs, pair_shapes=shapes, pair_weights=weights)
    d = full.n_features
    width = max(int(np.max(full.n_bins)), max(a * b for a, b in shapes))
    all_codes = np.empty((joint.shape[0], full.n_terms), dtype=code_dtype(width), order="F")
    all_codes[:, :d] = codes
    all_codes[:, d:] = joint
    return all_codes, full


def pair_record(layout, coef, axes: PairAxes, is_categorical, features=None) -> PairRecord:
    """The fitted pairs of ``layout`` at ``coef`` as the model keeps them; ``features`` maps the
    layout's feature indices (and those of ``axes`` and ``is_categorical``) to the table's."""
    features = np.arange(layout.n_features) if features is None else np.asarray(features)
    tables, cell_weights = pair_tables(layout, coef, axes, np.asarray(is_categorical)[features])
    return PairRecord([(int(features[a]), int(features[b])) for a, b in layout.pairs],
                      [(axes.cuts[a], axes.cuts[b]) for a, b in layout.pairs], tables, cell_weights)
