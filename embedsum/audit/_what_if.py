"""what_if: rescore a table with one feature changed (or its term removed) and count decision flips per group."""

from __future__ import annotations

import numpy as np

from .._bins import category_missing, interval_code, numeric_missing, pair_code
from ..binning._categories import encode_categories
from ._groups import groups_of
from ._model import ModelView, decision_threshold
from ._text import name, num

_UNSET = object()


class WhatIf:
    """The decisions of a table before and after a change, and the flips per group.

    Attributes
    ----------
    change : str, what was changed
    before, after : ndarray, decision values (log-odds of ``classes_[1]``; (n, K) for a
        multiclass model; predictions for a regressor)
    selected_before, selected_after : ndarray of bool (multiclass: the predicted class index)
    flipped : ndarray of bool, the rows whose decision changed
    rows : list of dict, one per group (or one ``all`` group): ``group``, ``n``,
        ``selected_before``, ``selected_after`` (rates; multiclass: not given), ``flips``,
        ``flips_to_selected``, ``flips_to_unselected`` (counts) and ``mean_change`` (mean
        change of the decision value; multiclass: not given)

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> model = EmbeddingSumClassifier(max_bins=5).fit(X, X[:, 0] > 0)
    >>> result = what_if(model, X, feature=0, value=2.0)
    >>> result.rows[0]["flips_to_selected"] == int(np.sum(~result.selected_before & result.selected_after))
    True
    """

    def __init__(self, change, before, after, selected_before, selected_after, rows, kind):
        self.change, self.before, self.after, self.kind = change, before, after, kind
        self.selected_before, self.selected_after = selected_before, selected_after
        self.flipped = selected_before != selected_after
        self.rows = rows

    def __repr__(self) -> str:
        return f"<WhatIf {self.change}: {int(self.flipped.sum())} of {len(self.flipped)} decisions flip>"

    def to_frame(self):
        """The per-group rows as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.rows)

    def to_text(self) -> str:
        """Flips per group in at most 80 columns."""
        lines = [name(f"What if: {self.change}", 80), "",
                 f"{'group':18s} {'n':>7s} {'selected':>9s} {'after':>7s} {'flips':>7s} {'to sel.':>8s} "
                 f"{'to unsel.':>9s} {'mean dz':>8s}"]
        for row in self.rows:
            lines.append(f"{name(row['group'], 18):18s} {row['n']:>7d} {num(row['selected_before']):>9s} "
                         f"{num(row['selected_after']):>7s} {row['flips']:>7d} {row['flips_to_selected']:>8d} "
                         f"{row['flips_to_unselected']:>9d} {num(row['mean_change']):>8s}")
        return "\n".join(line.rstrip() for line in lines)

    __str__ = to_text


def _code_of(model, j: int, value) -> int:
    cuts = model.cuts_[j]
    if cuts is not None:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"feature {j} is numeric: value must be a number, got {value!r}") from None
        return interval_code(cuts, v)
    column = np.empty(1, dtype=object)
    column[0] = value
    return int(encode_categories(column, model.categories_[j], model.rare_categories_[j], j)[0])


def _set_pair_axes(model, codes, new_codes, j: int, axis_code) -> None:
    """Give every pair term with feature j its new codes (docs/design.md#pair-terms).

    A pair's axis has its own cuts, so its code is not the main effect's: ``axis_code(cuts,
    old)`` is j's new code on an axis with those cuts (None: categorical), from its old codes;
    the other axis's codes are read back from the joint code ``code_a * length_b + code_b``.
    """
    d = model.n_features_in_
    pairs, pair_cuts = getattr(model, "pairs_", None) or (), getattr(model, "pair_cuts_", None) or ()
    for p, (pair, cuts) in enumerate(zip(pairs, pair_cuts)):
        if j not in pair:
            continue
        axis, length_b = tuple(pair).index(j), np.shape(model.pair_scores_[p])[1]
        first, second = np.divmod(codes[d + p], length_b)
        if axis == 0:
            new_codes[d + p] = pair_code(axis_code(cuts[0], first), second, length_b)
        else:
            new_codes[d + p] = pair_code(first, axis_code(cuts[1], second), length_b)


def what_if(model, X, *, feature, value=_UNSET, missing: bool = False, distribution_of=None,
            remove_term: bool = False, sensitive=None, threshold: float = 0.5, random_state=0) -> WhatIf:
    """Rescore X with one feature changed and report the decision flips per group.

    Exactly one change is given:

    - ``value=v``: every row's ``feature`` set to v (a category never seen in training
      scores the feature's unseen score, as ``predict`` would);
    - ``missing=True``: every row's ``feature`` missing;
    - ``distribution_of=label``: each row outside group ``label`` of ``sensitive`` gets a
      value drawn (with replacement, seeded by ``random_state``) from that group's rows;
      the group's own rows keep theirs;
    - ``remove_term=True``: the feature's term is dropped from every decision value (it
      adds 0; the embedding-sum loss keeps each term near mean zero on the training data).
      Its main effect only: pair terms with the feature stay.

    With pair terms, a changed feature changes the cell of each pair it is in, exactly
    (each pair axis has its own bins).

    Rows are rescored from their bin codes by the scoring contract, so an unchanged row
    keeps its decision value bit for bit. A row is selected when its decision value
    exceeds ``logit(threshold)`` (binary: ``predict``'s rule at 0.5), when its prediction
    exceeds ``threshold`` (regressor: give a threshold in target units), or is read by its
    predicted class (multiclass: a flip is a change of predicted class).

    Example
    -------
    >>> from embedsum import EmbeddingSumClassifier
    >>> from embedsum.datasets import load_german_credit
    >>> X, y, names = load_german_credit()
    >>> model = EmbeddingSumClassifier().fit(X, y)
    >>> result = what_if(model, X, feature=names.index("age"), distribution_of="male", sensitive=names.index("sex"))
    >>> [row["group"] for row in result.rows], result.rows[0]["flips"], result.rows[1]["flips"] > 0
    (['male', 'female'], 0, True)
    """
    view = ModelView(model)
    j = view.column(feature)
    given = [value is not _UNSET, bool(missing), distribution_of is not None, bool(remove_term)]
    if sum(given) != 1:
        raise ValueError("give exactly one change: value=..., missing=True, distribution_of=group or "
                         "remove_term=True")
    codes, tables = view.codes(X)
    n = len(codes[0])
    groups = None if sensitive is None else groups_of(X, sensitive, n)
    new_codes, new_tables = list(codes), list(tables)
    feature_name = view.names[j]
    cuts = model.cuts_[j]
    if value is not _UNSET:
        new_codes[j] = np.full(n, _code_of(model, j, value), dtype=np.intp)
        _set_pair_axes(model, codes, new_codes, j, lambda axis_cuts, old: new_codes[j] if axis_cuts is None else
                       np.full(n, interval_code(axis_cuts, float(value)), dtype=np.intp))
        change = f"{feature_name} set to {value!r}"
    elif missing:
        code = numeric_missing(len(cuts)) if cuts is not None else category_missing(len(model.categories_[j]))
        new_codes[j] = np.full(n, code, dtype=np.intp)
        _set_pair_axes(model, codes, new_codes, j, lambda axis_cuts, old: new_codes[j] if axis_cuts is None else
                       np.full(n, numeric_missing(len(axis_cuts)), dtype=np.intp))
        change = f"{feature_name} set to missing"
    elif distribution_of is not None:
        if groups is None:
            raise ValueError("distribution_of names a group: pass sensitive= too")
        source = groups.rows(distribution_of)
        others = np.flatnonzero(groups.index != groups.position(distribution_of))
        draw = np.random.default_rng(random_state).integers(0, len(source), len(others))
        def drawn(old, *_):
            old = old.copy()
            old[others] = old[source[draw]]
            return old

        new_codes[j] = drawn(codes[j])
        _set_pair_axes(model, codes, new_codes, j, lambda axis_cuts, old: drawn(old))
        change = f"{feature_name} drawn from group {distribution_of}"
    else:
        new_tables[j] = np.zeros_like(tables[j])
        change = f"term {feature_name} removed"
    before, after = view.decisions(codes, tables), view.decisions(new_codes, new_tables)
    if view.kind == "multiclass":
        sel_before, sel_after = np.argmax(before, axis=1), np.argmax(after, axis=1)
    else:
        cut = float(threshold) if view.kind == "regression" else decision_threshold(threshold)
        sel_before, sel_after = before > cut, after > cut
    labels = ["all"] if groups is None else groups.labels
    index = np.zeros(n, dtype=np.intp) if groups is None else groups.index
    rows = []
    for g, label in enumerate(labels):
        m = index == g
        b, a = sel_before[m], sel_after[m]
        binary = view.kind != "multiclass"
        rows.append({"group": label, "n": int(m.sum()),
                     "selected_before": float(np.mean(b)) if binary else float("nan"),
                     "selected_after": float(np.mean(a)) if binary else float("nan"),
                     "flips": int(np.count_nonzero(b != a)),
                     "flips_to_selected": int(np.count_nonzero(~b & a)) if binary else 0,
                     "flips_to_unselected": int(np.count_nonzero(b & ~a)) if binary else 0,
                     "mean_change": float(np.mean(after[m] - before[m])) if binary else float("nan")})
    return WhatIf(change, before, after, sel_before, sel_after, rows, view.kind)
