"""gap_decomposition: the gap between two groups' mean decision values, term by term, exactly.

A decision value is ``intercept + sum_j c_j(x)`` (docs/design.md#scoring-contract), so the
difference of two groups' means is ``sum_j (mean_G c_j - mean_R c_j)``: the intercept cancels and
each term's share is the difference of its mean contributions. Probabilities are not additive;
their gap is shared by the rescale rule described in :func:`gap_decomposition`.
"""

from __future__ import annotations

import numpy as np

from ..inspection._kinds import _class_choice, _label, _select, term_names
from ..scoring._decision import term_scores
from ._groups import groups_of
from ._model import ModelView, probabilities
from ._text import name, num

_FLAT = 1e-9  # below this decision difference the sigmoid's secant is its tangent


class GapDecomposition:
    """The per-term decomposition of a gap between a group and a reference group.

    Attributes
    ----------
    group, reference : str, the labels compared (group minus reference)
    n_group, n_reference : int
    terms : list of str, one per term (the features' names, then each pair's ``a × b``)
    decision_gap : float, mean decision value of the group minus that of the reference
    decision_terms : ndarray, each term's difference of mean contributions (sums to ``decision_gap``)
    probability_gap, probability_terms : the same for P(positive class) of a binary model
        (rescale rule; None for other kinds)
    rows : list of dict, one per term, largest ``|decision|`` first: ``term``, ``decision``,
        ``probability``, ``group_mean``, ``reference_mean`` (mean contributions)

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> model = EmbeddingSumClassifier(max_bins=5).fit(X, X[:, 0] + X[:, 2] > 0)
    >>> gap = gap_decomposition(model, X, X[:, 2] > 0.5)
    >>> bool(abs(gap.decision_terms.sum() - gap.decision_gap) < 1e-12), gap.rows[0]["term"]
    (True, 'x2')
    """

    def __init__(self, group, reference, n_group, n_reference, terms, decision_gap, decision_terms,
                 probability_gap, probability_terms, group_means, reference_means, sensitive):
        self.group, self.reference, self.n_group, self.n_reference = group, reference, n_group, n_reference
        self.terms, self.sensitive = list(terms), sensitive
        self.decision_gap, self.decision_terms = decision_gap, decision_terms
        self.probability_gap, self.probability_terms = probability_gap, probability_terms
        order = sorted(range(len(terms)), key=lambda j: (-abs(decision_terms[j]), j))
        self.rows = [{"term": terms[j], "decision": float(decision_terms[j]),
                      "probability": None if probability_terms is None else float(probability_terms[j]),
                      "group_mean": float(group_means[j]), "reference_mean": float(reference_means[j])}
                     for j in order]

    def __repr__(self) -> str:
        return f"<GapDecomposition {self.group!r} - {self.reference!r}: decision gap {self.decision_gap:.4g}>"

    def to_frame(self):
        """The per-term rows as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.rows)

    def to_text(self, top: int | None = None) -> str:
        """The decomposition in at most 80 columns, largest terms first (``top``: only the first ones)."""
        lines = [name(f"Gap of {self.sensitive}: {self.group} (n={self.n_group}) minus {self.reference} "
                      f"(n={self.n_reference})", 80),
                 f"mean decision value gap {num(self.decision_gap)}"
                 + ("" if self.probability_gap is None else f", mean probability gap {num(self.probability_gap)}"),
                 "",
                 f"{'term':34s} {'decision':>9s} {'probability':>11s} {'group mean':>11s} {'ref. mean':>10s}"]
        for row in self.rows[:top]:
            p = "" if row["probability"] is None else num(row["probability"])
            lines.append(f"{name(row['term'], 34):34s} {num(row['decision']):>9s} {p:>11s} "
                         f"{num(row['group_mean']):>11s} {num(row['reference_mean']):>10s}")
        return "\n".join(line.rstrip() for line in lines)

    __str__ = to_text


def gap_decomposition(model, X, sensitive, *, reference=None, group=None, class_=None) -> GapDecomposition:
    """Which features drive the gap between two groups' mean decision values, exactly.

    The decision gap ``mean_G z - mean_R z`` (group G minus reference R; z is the
    log-odds of the positive class, or the prediction of a regressor) equals
    ``sum_j (mean_G c_j - mean_R c_j)`` with ``c_j`` term j's contribution (its bin
    score): the intercept cancels, and ``decision_terms`` are those differences. They sum
    to ``decision_gap`` up to float rounding (about 1e-15 relative).

    The probability gap ``mean_G p - mean_R p`` of a binary model is shared by the rescale
    rule (DeepLIFT's, through the sigmoid): with ``r_j = mean_R c_j`` and
    ``z0 = intercept + sum_j r_j``, each row's ``p(x) - sigmoid(z0)`` is split among the
    terms in proportion to ``c_j(x) - r_j``, i.e. term j gets
    ``(c_j(x) - r_j) * (p(x) - sigmoid(z0)) / (z(x) - z0)`` (the tangent slope when
    ``z(x) = z0``). Per row these sum to ``p(x) - sigmoid(z0)``, so the group means'
    differences (``probability_terms``) sum to the probability gap: an exact
    attribution, with no residual, computed in one pass.

    Parameters
    ----------
    model : fitted embedsum model; a multiclass one needs ``class_`` (its log-odds against
        the others are not additive: the decision values of that class are decomposed, and
        no probability attribution is given)
    X : array-like or data frame
    sensitive : see :mod:`embedsum.audit._groups`
    reference : the reference group's label (default: the largest group)
    group : the compared group's label (default: the other group when there are two)
    class_ : a label of ``classes_``: the positive class (default ``classes_[1]``)

    Example
    -------
    >>> from embedsum import EmbeddingSumClassifier
    >>> from embedsum.datasets import load_german_credit
    >>> X, y, names = load_german_credit()
    >>> model = EmbeddingSumClassifier().fit(X, y)
    >>> gap = gap_decomposition(model, X, names.index("sex"))
    >>> gap.group, gap.reference, gap.decision_gap < 0
    ('female', 'male', True)
    >>> bool(abs(sum(gap.probability_terms) - gap.probability_gap) < 1e-12)
    True
    """
    view = ModelView(model)
    codes, tables = view.codes(X)
    k, sign = _class_choice(model, class_)
    if view.kind == "multiclass" and k is None:
        raise ValueError(f"pass class_= one of {[_label(c) for c in model.classes_]} to decompose that class's "
                         "decision values")
    contributions = _select(term_scores(codes, tables), k, sign)
    z = _select(view.decisions(codes, tables), k, sign)
    groups = groups_of(X, sensitive, len(z))
    if len(groups.labels) < 2:
        raise ValueError(f"sensitive defines one group only ({groups.labels[0]!r}); a gap needs two")
    ref = 0 if reference is None else groups.position(reference)
    if group is None:
        if len(groups.labels) > 2:
            raise ValueError(f"sensitive defines {len(groups.labels)} groups: pass group= (one of "
                             f"{groups.labels[:10]}) to compare it with the reference")
        grp = 1 - ref
    else:
        grp = groups.position(group)
    if grp == ref:
        raise ValueError("group and reference are the same group")
    G, R = np.flatnonzero(groups.index == grp), np.flatnonzero(groups.index == ref)
    g_means, r_means = contributions[G].mean(axis=0), contributions[R].mean(axis=0)
    decision_gap = float(z[G].mean() - z[R].mean())
    probability_gap = probability_terms = None
    if view.kind == "binary":
        intercept = float(model.intercept_) * sign
        z0 = intercept + float(r_means.sum())
        p, p0 = probabilities(z), float(probabilities(np.array([z0]))[0])
        dz = z - z0
        flat = np.abs(dz) < _FLAT
        slope = np.where(flat, p0 * (1.0 - p0), (p - p0) / np.where(flat, 1.0, dz))
        shares = (contributions - r_means) * slope[:, None]
        probability_terms = shares[G].mean(axis=0) - shares[R].mean(axis=0)
        probability_gap = float(p[G].mean() - p[R].mean())
    return GapDecomposition(groups.labels[grp], groups.labels[ref], len(G), len(R), term_names(model), decision_gap,
                            g_means - r_means, probability_gap, probability_terms, g_means, r_means, groups.name)
