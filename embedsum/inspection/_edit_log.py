"""The "Edits" section of ``describe``: a model's edit log ``edits_`` as lines of text (docs/design.md#edits)."""

from __future__ import annotations

from ._kinds import feature_names

_SHOWN = 20  # the newest edits shown; older ones are counted


def edit_lines(model) -> list[str]:
    """One line per edit in ``edits_``, oldest first (the newest ``_SHOWN``); none without edits.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumRegressor
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 0])
    >>> edit_lines(model)
    []
    >>> edit_lines(model.flatten(0, 0, 2))
    ['Edits (1, oldest first):', '  1. flattened bins 0..1 of x0 to their weighted mean']
    """
    edits = list(getattr(model, "edits_", None) or ())
    if not edits:
        return []
    names = feature_names(model)
    lines = [f"Edits ({len(edits)}, oldest first):"]
    start = max(0, len(edits) - _SHOWN)
    if start:
        lines.append(f"  ... {start} earlier edits")
    for i, record in enumerate(edits[start:], start=start + 1):
        lines.append(f"{i:3d}. {edit_text(record, names)}")
        if record["kind"] == "refit":  # its cost on a line of its own: the 80 columns hold both
            cost = f"training loss {record['train_loss_before']:.4g} -> {record['train_loss_after']:.4g}"
            if record["test_loss_before"] is not None:
                cost += f"; held-out loss {record['test_loss_before']:.4g} -> {record['test_loss_after']:.4g}"
            lines.append(f"     {cost}")
    return lines


def edit_text(record: dict, names: list) -> str:
    """One edit in words: what it did to which features (a refit's cost is on the next line).

    Example
    -------
    >>> edit_text({"kind": "monotonize", "feature": 1, "name": None, "direction": -1}, ["a", "b"])
    'made b non-increasing (isotonic projection)'
    """
    kind = record["kind"]
    if kind == "refit":
        parts = [f"refit on {record['n_rows']} rows"]
        for key, verb in (("drop", "dropped"), ("fix", "fixed"), ("increasing", "increasing"),
                          ("decreasing", "decreasing")):
            if record[key]:
                parts.append(f"{verb} {', '.join(names[j] for j in record[key])}")
        return "; ".join(parts)
    name = names[record["feature"]]
    if kind == "drop_feature":
        return f"dropped {name} (scores 0)"
    if kind == "set_scores":
        return f"set the scores of {name}"
    if kind == "flatten":
        return f"flattened bins {record['start']}..{record['stop'] - 1} of {name} to their weighted mean"
    direction = "non-decreasing" if record["direction"] > 0 else "non-increasing"
    return f"made {name} {direction} (isotonic projection)"
