"""The ``explain`` command: one row's term scores, largest first, with the value and bin of each feature
and the cell of each pair."""

from __future__ import annotations

from .._bins import category_missing, category_other, category_unseen, interval_code
from ._arguments import _limits
from ._named_columns import _named
from ._safe_output import _say


def _value_and_bin(model, row, j: int) -> str:
    """How the explain command shows feature j's value in a row and the bin it falls in."""
    import numpy as np

    value = row[0, j]
    categories = model.categories_[j]
    if categories is None:
        from ..inspection._describe import bin_labels

        code = interval_code(model.cuts_[j], float(value))
        shown = "missing" if np.isnan(value) else f"{value:g}"
        return f"value {shown} in {bin_labels(model.cuts_[j])[code]}"
    from ..binning._categories import encode_categories

    m = len(categories)
    code = int(encode_categories(row[:, j], categories, model.rare_categories_[j], j)[0])
    if code == category_missing(m):
        return "value missing"
    where = {category_other(m): "rare in training: the 'other' bin",
             category_unseen(m): "never seen in training: the neutral score"}
    return f"value {str(value)!r}" + (f" ({where[code]})" if code in where else "")


def _axis_code(model, row, j: int, cuts) -> int:
    """A pair axis's code of feature j's value: an interval code on the pair's cuts, or its category code."""
    if cuts is not None:
        return interval_code(cuts, float(row[0, j]))
    from ..binning._categories import encode_categories

    return int(encode_categories(row[:, j], model.categories_[j], model.rare_categories_[j], j)[0])


def _pair_cell(model, row, p: int) -> str:
    """How the explain command shows the cell of pair p a row falls in (docs/design.md#pair-terms)."""
    from ..inspection._describe_pairs import pair_axis_labels

    labels = pair_axis_labels(model, p, short=True)
    codes = [_axis_code(model, row, int(j), cuts) for j, cuts in zip(model.pairs_[p], model.pair_cuts_[p])]
    return f"cell {labels[0][codes[0]]} × {labels[1][codes[1]]}"


def _term_text(model, row, t: int) -> str:
    """The value and bin of feature t, or the cell of pair t - d."""
    d = model.n_features_in_
    return _value_and_bin(model, row, t) if t < d else _pair_cell(model, row, t - d)


def _explain(args, out) -> None:
    import numpy as np

    from ..inspection._describe import printable
    from ..inspection._kinds import term_names
    from ..persistence._reader import load
    from ..scoring._decision import sigmoid, softmax
    from ._csv import read_feature_row

    model = load(args.model)
    names = getattr(model, "feature_names_in_", None)
    row = read_feature_row(args.data, model, args.row, **_limits(args))
    named = _named(row, names)
    # Each term's score (the features', then the pairs'): the intercept plus these, left to right,
    # is the decision value.
    scores = np.asarray(model.row_scores(named)[0], dtype=np.float64)
    labels = [printable(name) for name in term_names(model)]  # escaped before they are padded
    order = sorted(range(len(scores)), key=lambda j: -float(np.max(np.abs(scores[j]))))
    classes = getattr(model, "classes_", None)
    if scores.ndim == 2:
        z = model.decision_function(named)[0]
        proba = softmax(z[None, :])[0]
        odds = ", ".join(f"P({c}) = {p:.6g}" for c, p in zip(classes.tolist(), proba.tolist()))
        _say(out, f"row {args.row}: predicted {classes[int(np.argmax(z))]}; {odds}")
        _say(out, f"  {'':<32s} " + " ".join(f"{printable(c)[:10]:>10s}" for c in classes.tolist()))
        _say(out, f"  {'intercept':<32s} " + " ".join(f"{v:>+10.4g}" for v in model.intercept_.tolist()))
        for j in order:
            _say(out, f"  {labels[j]:<32s} " + " ".join(f"{v:>+10.4g}" for v in scores[j].tolist())
                      + f"   {_term_text(model, row, j)}")
        return
    if classes is None:
        _say(out, f"row {args.row}: prediction {float(model.predict(named)[0]):.6g}")
    else:
        z = float(model.decision_function(named)[0])
        _say(out, f"row {args.row}: decision {z:+.6g}, P({classes[1]}) = {float(sigmoid(z)):.6g}, "
                  f"predicted {classes[int(z > 0)]}")
    _say(out, f"  {'intercept':<32s} {model.intercept_:+.6g}")
    for j in order:
        _say(out, f"  {labels[j]:<32s} {scores[j]:+.6g}   {_term_text(model, row, j)}")
