"""recourse_audit: for each group, the share of unfavourable decisions that recourse can reverse, and its cost."""

from __future__ import annotations

import numpy as np

from ..inspection._kinds import _label
from ._counterfactuals import _setup, search_row
from ._groups import groups_of
from ._model import ModelView, decision_threshold, refuse_pairs
from ._text import name, num

_QUANTILES = (0.25, 0.5, 0.75)


class RecourseAudit:
    """Recourse per group: what :func:`recourse_audit` returns.

    ``rows``: one dict per group: ``group``, ``n``, ``n_unfavourable``, ``n_recourse``
    (unfavourable rows with a feasible change), ``share_recourse`` (their share),
    ``cost_mean``, ``cost_q25``, ``cost_median``, ``cost_q75``, ``cost_max`` (of the
    cheapest change, over those rows) and ``features_mean`` (mean number of changed
    features). ``costs`` holds each row's cheapest cost (NaN: favourable, or no recourse).

    Example
    -------
    >>> audit = RecourseAudit([], np.zeros(0), "g", "good")
    >>> audit.rows
    []
    """

    def __init__(self, rows, costs, sensitive, favourable):
        self.rows, self.costs, self.sensitive, self.favourable = rows, costs, sensitive, favourable

    def __repr__(self) -> str:
        return f"<RecourseAudit of {self.sensitive!r}: {len(self.rows)} groups>"

    def to_frame(self):
        """The per-group rows as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.rows)

    def to_text(self) -> str:
        """The audit in at most 80 columns."""
        lines = [name(f"Recourse to {self.favourable} by group of {self.sensitive}", 80),
                 "(cost of the cheapest change, over the unfavourable rows that have one)", "",
                 f"{'group':17s} {'n':>6s} {'unfav.':>6s} {'recourse':>8s} {'mean':>7s} {'q25':>7s} "
                 f"{'median':>7s} {'q75':>7s} {'max':>7s}"]
        for row in self.rows:
            lines.append(f"{name(row['group'], 17):17s} {row['n']:>6d} {row['n_unfavourable']:>6d} "
                         f"{num(row['share_recourse']):>8s} {num(row['cost_mean']):>7s} {num(row['cost_q25']):>7s} "
                         f"{num(row['cost_median']):>7s} {num(row['cost_q75']):>7s} {num(row['cost_max']):>7s}")
        return "\n".join(line.rstrip() for line in lines)

    __str__ = to_text


def recourse_audit(model, X, sensitive, *, favourable=None, immutable=(), allowed=None, cost="features",
                   threshold: float = 0.5) -> RecourseAudit:
    """The share of each group's unfavourable decisions that recourse can reverse, and what it costs.

    For every row that does not get the ``favourable`` class (default ``classes_[1]``),
    the cheapest change of :func:`~embedsum.audit.counterfactuals` is searched with the
    same ``immutable``, ``allowed``, ``cost`` and ``threshold``. The sensitive columns,
    when they are features of the model (given by name or index), are immutable too. Each
    change is confirmed by rescoring its bin codes with the model's contract.

    Example
    -------
    >>> from embedsum import EmbeddingSumClassifier
    >>> from embedsum.datasets import load_german_credit
    >>> X, y, names = load_german_credit()
    >>> model = EmbeddingSumClassifier().fit(X, y)
    >>> audit = recourse_audit(model, X[:300], names.index("sex"), immutable=[names.index("age")])
    >>> [(row["group"], row["share_recourse"]) for row in audit.rows]
    [('male', 1.0), ('female', 1.0)]
    """
    refuse_pairs(model, "recourse (recourse_audit)")
    view = ModelView(model)
    if view.kind != "binary":
        raise ValueError(f"recourse_audit needs a binary classifier; this model is a {view.kind} model")
    data = model._validated(X)
    codes, tables = view.coded(data)
    n = len(codes[0])
    groups = groups_of(X, sensitive, n)
    z = view.decisions(codes, tables)
    cut = decision_threshold(threshold)
    classes = [_label(c) for c in model.classes_]
    favourable = classes[1] if favourable is None else favourable
    if favourable not in classes:
        raise ValueError(f"unknown favourable class {favourable!r}; the classes are {classes}")
    to_positive = favourable == classes[1]
    frozen, specs, costs = _setup(view, immutable, allowed, cost)
    frozen |= set(groups.columns)  # X has the model's columns in its order (validated above)
    numeric, columns = (data, None) if isinstance(data, np.ndarray) else data
    code_rows = np.stack(codes, axis=1)
    unfavourable = (z > cut) != to_positive
    costs_out, counts = np.full(n, np.nan), np.full(n, np.nan)
    for i in np.flatnonzero(unfavourable):
        row_codes = [int(c) for c in code_rows[i]]
        values = [numeric[i, j] if columns is None or columns[j] is None else columns[j][i]
                  for j in range(view.n_features)]

        def confirm(solution, options, row_codes=row_codes):
            new = list(row_codes)
            for f, k in solution.choice.items():
                new[options[f].j] = int(options[f].codes[k])
            z_new = float(view.decisions([np.array([c]) for c in new], tables)[0])
            return solution if (z_new > cut) == to_positive else None

        _, found, _ = search_row(model, view, tables, row_codes, values, float(z[i]), cut=cut,
                                 to_positive=to_positive, frozen=frozen, specs=specs, costs=costs, k=1,
                                 confirm=confirm)
        if found:
            costs_out[i], counts[i] = found[0].cost, len(found[0].features)
    rows = []
    for g, label in enumerate(groups.labels):
        members = groups.index == g
        bad = members & unfavourable
        ok = bad & ~np.isnan(costs_out)
        c = costs_out[ok]
        q = np.quantile(c, _QUANTILES) if len(c) else [np.nan] * 3
        rows.append({"group": label, "n": int(members.sum()), "n_unfavourable": int(bad.sum()),
                     "n_recourse": int(ok.sum()), "share_recourse": float(ok.sum() / bad.sum()) if bad.any() else
                     float("nan"), "cost_mean": float(c.mean()) if len(c) else float("nan"),
                     "cost_q25": float(q[0]), "cost_median": float(q[1]), "cost_q75": float(q[2]),
                     "cost_max": float(c.max()) if len(c) else float("nan"),
                     "features_mean": float(counts[ok].mean()) if len(c) else float("nan")})
    return RecourseAudit(rows, costs_out, groups.name, favourable)

