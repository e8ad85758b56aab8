"""counterfactuals: exact recourse for one row of a binary classifier (see :mod:`._recourse_search`)."""

from __future__ import annotations

import numpy as np

from ..inspection._describe import feature_bin_labels
from ..inspection._kinds import _label
from ._model import ModelView, decision_threshold, probabilities, refuse_pairs
from ._recourse_options import feature_options
from ._recourse_search import Solution, k_cheapest
from ._rows import rebuilt, row_data, row_values
from ._text import name, num


class Counterfactual:
    """One way to change a row's decision.

    Attributes
    ----------
    x : the changed row, in the form of the input row (dict, Series, array or list)
    features : list of str, the changed features
    changes : list of dict, one per changed feature: ``feature``, ``old_value``,
        ``new_value``, ``old_bin``, ``new_bin`` (bins described as intervals or categories)
    cost : float (the number of changed features with ``cost="features"``)
    decision, probability : the changed row's decision value and P(target class), as the
        model scores the changed row

    Example
    -------
    >>> c = Counterfactual({"a": 2}, [{"feature": "a", "old_value": 1, "new_value": 2, "old_bin": "(-inf, 1]",
    ...                                "new_bin": "(1, inf)"}], 1.0, 0.3, 0.57)
    >>> c.features
    ['a']
    """

    def __init__(self, x, changes, cost, decision, probability):
        self.x, self.changes, self.cost = x, changes, float(cost)
        self.decision, self.probability = float(decision), float(probability)
        self.features = [c["feature"] for c in changes]

    def __repr__(self) -> str:
        return f"<Counterfactual changing {self.features}, cost {self.cost:g}>"


class Recourse:
    """What :func:`counterfactuals` finds: a list of :class:`Counterfactual` (cheapest first).

    ``found`` is False when there is none, and ``reason`` then says why. ``decision``
    and ``target`` are the row's decision value and the class sought. It iterates, indexes
    and measures like the list of counterfactuals.

    Example
    -------
    >>> r = Recourse([], "no feature may change", 0.3, "bad")
    >>> r.found, len(r), r.reason
    (False, 0, 'no feature may change')
    """

    def __init__(self, counterfactuals, reason, decision, target):
        self.counterfactuals, self.reason = list(counterfactuals), reason
        self.decision, self.target = float(decision), target
        self.found = bool(self.counterfactuals)

    def __len__(self) -> int:
        return len(self.counterfactuals)

    def __iter__(self):
        return iter(self.counterfactuals)

    def __getitem__(self, i):
        return self.counterfactuals[i]

    def __repr__(self) -> str:
        return (f"<Recourse to {self.target!r}: {len(self)} counterfactuals>" if self.found
                else f"<Recourse to {self.target!r}: none ({self.reason})>")

    def to_text(self) -> str:
        """The counterfactuals in at most 80 columns."""
        lines = [name(f"Decision value {num(self.decision)}; sought: {self.target}", 80)]
        if not self.found:
            return "\n".join(lines + [name(f"No recourse: {self.reason}", 80)])
        for i, c in enumerate(self.counterfactuals, 1):
            lines.append(f"{i}. cost {num(c.cost)}, new decision value {num(c.decision)}, "
                         f"P({name(self.target, 20)}) = {num(c.probability)}")
            for change in c.changes:
                numeric = isinstance(change["new_value"], float) and change["new_bin"].startswith("(")
                bins = f"  (bin {change['old_bin']} -> {change['new_bin']})" if numeric else ""
                lines.append(name(f"   {change['feature']}: {change['old_value']!r} -> {change['new_value']!r}{bins}",
                                  80))
        return "\n".join(lines)

    __str__ = to_text


def _features(view: ModelView, given, what: str) -> set:
    if isinstance(given, (str, int)):
        given = [given]
    try:
        return {view.column(f) for f in given}
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from None


def _setup(view: ModelView, immutable, allowed, cost):
    """(immutable feature set, {j: allowed spec}, {j: cost spec} or None for "features")."""
    frozen = _features(view, immutable or (), "immutable")
    specs = {view.column(f): spec for f, spec in (allowed or {}).items()}
    if isinstance(cost, str):
        if cost != "features":
            raise ValueError(f"cost is 'features' or a dict of costs per feature, got {cost!r}")
        costs = None
    elif isinstance(cost, dict):
        costs = {view.column(f): c for f, c in cost.items()}
    else:
        raise TypeError(f"cost is 'features' or a dict of costs per feature, got {type(cost).__name__}")
    return frozen, specs, costs


def _pulled_back(options, solution: Solution, need: float, strict: bool) -> Solution:
    """The same features changed, each (in turn) to the allowed bin of least gain that still
    crosses at no higher cost: the same cost (an optimum stays one), the smallest move in score."""
    choice, gain, cost = dict(solution.choice), solution.gain, solution.cost
    for f in list(choice):
        o = options[f]
        rest = gain - o.gains[choice[f]]
        ok = [i for i in np.argsort(o.gains, kind="stable") if o.costs[i] <= o.costs[choice[f]]
              and (rest + o.gains[i] > need if strict else rest + o.gains[i] >= need)]
        if ok:
            cost += o.costs[ok[0]] - o.costs[choice[f]]
            choice[f], gain = int(ok[0]), rest + o.gains[ok[0]]
    return Solution(cost, gain, choice)


def search_row(model, view, tables, codes, values, z, *, cut, to_positive, frozen, specs, costs, k, confirm):
    """The counterfactual solutions of one coded row: ``(options, solutions, reason)``.

    ``confirm(solution, options)`` scores the changed row and returns what to report (or None).
    """
    sign = 1.0 if to_positive else -1.0
    need, strict = sign * (cut - z), to_positive
    options = []
    for j in range(view.n_features):
        if j in frozen:
            continue
        o = feature_options(model, j, int(codes[j]), values[j], specs.get(j),
                            None if costs is None else costs.get(j), tables[j], sign)
        if len(o.codes):
            options.append(o)
    if not options:
        return options, [], "no feature may change (all immutable, or no allowed bin besides the current one)"
    best = sum(max(float(o.gains.max()), 0.0) for o in options)
    if not (best > need if strict else best >= need):
        return options, [], (f"the largest allowed changes move the decision value to {num(z + sign * best)}, "
                             f"not past {num(cut)}")

    def accept(solution):
        refined = confirm(_pulled_back(options, solution, need, strict), options)
        return refined if refined is not None else confirm(solution, options)

    found = k_cheapest(options, need, strict, k, accept)
    return options, found, "" if found else "no change crosses the threshold once scored (rounding at the line)"


def counterfactuals(model, x, *, target=None, immutable=(), allowed=None, cost="features", k: int = 3,
                    threshold: float = 0.5) -> Recourse:
    """The cheapest changes of one row that give it the ``target`` decision, exactly.

    The row's decision value is a sum of one score per feature, so the cheapest change is
    found exactly, by a search over bins (:mod:`embedsum.audit._recourse_search`):

    - ``cost="features"`` (default): the fewest changed features; among sets of equal
      size, the one with the largest score gain;
    - ``cost={feature: c}``: additive costs (among equal costs, the largest gain). ``c`` a
      number: per unit of distance for a numeric feature (``c * |new - old|``; from a
      missing value, ``c``), per change for a categorical one; ``c`` a sequence: the
      cost of each bin (in bin-code order, see ``model.shape_functions()``). Features not
      listed cost 1 per change.

    Then each change is pulled back, feature by feature, to the allowed bin with the
    smallest score change that still crosses the line at no higher cost, so a row is not
    moved further than it needs (the cost, and so the optimum, is unchanged).

    Up to ``k`` counterfactuals are returned, cheapest first; each changes a set of
    features that is not a superset of an earlier one's. Each changed row is scored by
    the model (from its values, through the model's own coding) before it is reported.

    Parameters
    ----------
    model : fitted binary embedsum classifier (multiclass models and regressors raise a
        ValueError: their decisions are not one line to cross)
    x : one row: dict, pandas Series, or 1-D array/list in feature order
    target : a class label; default: the class the row does not get
    immutable : feature names or indices that may not change
    allowed : ``{feature: spec}``; spec is ``(lo, hi)`` (numeric; None for no bound),
        ``"increase"``/``"decrease"`` (numeric: higher/lower bins only), or a list of
        values (numeric or categorical; None/NaN allows a missing value). Other features
        may move to any bin but the missing one (numeric: at the nearest point of the
        bin; categorical: its category; "other": its first rare category)
    cost : "features" or dict, see above
    k : int, default=3
    threshold : float, default=0.5: the row gets ``classes_[1]`` when
        P(``classes_[1]``) > threshold (decision value > ``logit(threshold)``)

    Returns
    -------
    Recourse
        A list of :class:`Counterfactual`; ``found=False`` with a ``reason`` when none.

    Example
    -------
    >>> from embedsum import EmbeddingSumClassifier
    >>> from embedsum.datasets import load_german_credit
    >>> X, y, names = load_german_credit(as_frame=True)
    >>> model = EmbeddingSumClassifier().fit(X, y)
    >>> row = X.iloc[1]                        # predicted "bad"
    >>> found = counterfactuals(model, row, target="good", immutable=["sex", "age", "personal_status"])
    >>> len(found[0].features), found[0].cost
    (1, 1.0)
    >>> str(model.predict(found[0].x.to_frame().T)[0])
    'good'
    """
    refuse_pairs(model, "recourse (counterfactuals)")
    view = ModelView(model)
    if view.kind != "binary":
        raise ValueError(f"counterfactuals needs a binary classifier; this model is a {view.kind} model")
    if type(k) is not int or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    values = row_values(view.names, x)
    codes, tables = view.coded(row_data(model, values))
    codes = [int(c[0]) for c in codes]
    z = float(view.decisions([np.array([c]) for c in codes], tables)[0])
    cut = decision_threshold(threshold)
    classes = [_label(c) for c in model.classes_]
    now = classes[int(z > cut)]
    target = classes[1 - classes.index(now)] if target is None else target
    if target not in classes:
        raise ValueError(f"unknown target {target!r}; the classes are {classes}")
    if target == now:
        return Recourse([], f"the row already gets {target!r}", z, target)
    to_positive = target == classes[1]
    frozen, specs, costs = _setup(view, immutable, allowed, cost)

    def confirm(solution, options):
        changes = {options[f].j: options[f].values[i] for f, i in solution.choice.items()}
        new_values = [changes.get(j, v) for j, v in enumerate(values)]
        new_codes, _ = view.coded(row_data(model, new_values))
        expected = list(codes)
        for f, i in solution.choice.items():
            expected[options[f].j] = int(options[f].codes[i])
        if [int(c[0]) for c in new_codes] != expected:
            raise RuntimeError("a counterfactual's values do not code into the chosen bins; please report this")
        z_new = float(view.decisions(new_codes, tables)[0])
        if (z_new > cut) != to_positive:
            return None
        records = []
        for f, i in sorted(solution.choice.items(), key=lambda item: options[item[0]].j):
            o = options[f]
            records.append({"feature": view.names[o.j], "old_value": values[o.j], "new_value": o.values[i],
                            "old_bin": _bin_label(model, o.j, o.current), "new_bin": o.labels[i]})
        p = float(probabilities(np.array([z_new]))[0])
        return Counterfactual(rebuilt(view.names, x, changes), records, solution.cost, z_new,
                              p if to_positive else 1.0 - p)

    _, found, reason = search_row(model, view, tables, codes, values, z, cut=cut, to_positive=to_positive,
                                  frozen=frozen, specs=specs, costs=costs, k=k, confirm=confirm)
    return Recourse(found, reason, z, target)


def _bin_label(model, j: int, code: int) -> str:
    labels = feature_bin_labels(model, j)
    return labels[code] if code < len(labels) else "never seen in training"

