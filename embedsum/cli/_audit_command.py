"""The ``audit`` command: a saved model's per-group report on a CSV file, in 80 columns.

The feature columns are read as ``predict`` reads them; the group column (and the target
column, when given) are read as text by name, so they need not be features. Nothing is
written but the report on standard output.
"""

from __future__ import annotations

from contextlib import closing

from ._arguments import _limits
from ._named_columns import _named
from ._safe_output import _say


def read_text_columns(path, wanted: list, *, max_line_bytes: int, max_field_bytes: int) -> dict:
    """``{name: [cell text, ...]}`` of the named columns of a CSV file, every data row.

    Example
    -------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "d.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("a,sex\\n1,f\\n2,m\\n")
    ...     read_text_columns(path, ["sex"], max_line_bytes=100, max_field_bytes=100)
    {'sex': ['f', 'm']}
    """
    from ._csv_records import _header, _records, iter_records

    with closing(iter_records(path, max_line_bytes=max_line_bytes, max_field_bytes=max_field_bytes)) as records:
        names = _header(records, path)
        absent = [w for w in wanted if w not in names]
        if absent:
            raise ValueError(f"{path} has no column {absent[0]!r}; its columns are {names[:10]}"
                             + (" ..." if len(names) > 10 else ""))
        where = [names.index(w) for w in wanted]
        out = {w: [] for w in wanted}
        for _, record in _records(records, len(names), path):
            for w, i in zip(wanted, where):
                out[w].append(record[i].strip())
    return out


def read_features(model, path, args):
    """All rows of the model's feature columns, named as a data frame would be."""
    import numpy as np

    from ._csv import iter_feature_chunks

    names = getattr(model, "feature_names_in_", None)
    blocks = list(iter_feature_chunks(path, names, model.n_features_in_, is_categorical=model.is_categorical_,
                                      **_limits(args)))
    if not blocks:
        raise ValueError(f"{path} has a header but no data rows")
    return _named(np.concatenate(blocks) if len(blocks) > 1 else blocks[0], names)


def _audit(args, out) -> None:
    import numpy as np

    from ..audit import group_report
    from ..persistence._reader import load
    from ._csv_types import _parse_target

    model = load(args.model)
    X = read_features(model, args.data, args)
    wanted = [args.group] + ([args.target] if args.target else [])
    columns = read_text_columns(args.data, wanted, **_limits(args))
    y = None
    if args.target:
        task = "regression" if not hasattr(model, "classes_") else "classification"
        y, _ = _parse_target(columns[args.target], task, args.target)
    sensitive = np.array(columns[args.group], dtype=object)
    report = group_report(model, X, y, _Column(args.group, sensitive), threshold=args.threshold,
                          reference=args.reference, n_bootstrap=args.bootstrap, random_state=args.seed)
    for line in report.to_text().splitlines():
        _say(out, line)


class _Column:
    """A named column of labels, as a Series would be."""

    def __init__(self, name, values):
        self.name, self._values = name, values

    def to_numpy(self):
        return self._values
