"""The ``recourse`` command: the cheapest changes that reverse one row's decision, exactly."""

from __future__ import annotations

from ._arguments import _limits
from ._safe_output import _say


def _recourse(args, out) -> None:
    from ..audit import counterfactuals
    from ..inspection._kinds import _label, feature_names
    from ..persistence._reader import load
    from ._csv import read_feature_row

    model = load(args.model)
    row = read_feature_row(args.data, model, args.row, **_limits(args))[0]
    features = feature_names(model)
    x = dict(zip(features, row.tolist()))
    target = None
    if args.target is not None:
        classes = [_label(c) for c in getattr(model, "classes_", [])]
        matches = [c for c in classes if str(c) == args.target]
        if not matches:
            raise ValueError(f"--target {args.target!r} is not a class of the model; its classes are {classes}")
        target = matches[0]
    found = counterfactuals(model, x, target=target, immutable=args.immutable or (), k=args.k,
                            threshold=args.threshold)
    _say(out, f"row {args.row}")
    for line in found.to_text().splitlines():
        _say(out, line)
