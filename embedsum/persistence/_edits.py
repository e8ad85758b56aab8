"""Checks of the document's optional ``edits`` field: the model's edit log (docs/design.md#edits).

See :mod:`embedsum.persistence._format`: a list of at most ``_MAX_EDITS`` records, each an
object with exactly the keys of its ``kind``, in order.
"""

from __future__ import annotations

from ._format import _MAX_EDITS
from ._values import _bad, _describe, _integer, _list, _number

_BIN_LIMIT = 2**32  # bin positions of flatten; the feature's own bin count is checked too
_COUNT_LIMIT = 2**63 - 1
# The keys of each kind of record, in the order the writer writes them.
EDIT_KEYS = {
    "drop_feature": ("kind", "feature", "name"),
    "set_scores": ("kind", "feature", "name"),
    "flatten": ("kind", "feature", "name", "start", "stop"),
    "monotonize": ("kind", "feature", "name", "direction"),
    "refit": ("kind", "drop", "fix", "increasing", "decreasing", "n_rows", "n_iter", "converged",
              "train_loss_before", "train_loss_after", "test_loss_before", "test_loss_after"),
}


def _edits(value, names, n_bins) -> list:
    """The checked edit log (a list of plain dicts) of a model with these feature names (or
    None) and bin counts per feature."""
    records = _list(value, "edits", _MAX_EDITS)
    return [_record(record, f"edits[{i}]", names, n_bins) for i, record in enumerate(records)]


def _record(record, where: str, names, n_bins) -> dict:
    if type(record) is not dict:
        raise _bad(where, f"expected an object, got {_describe(record)}")
    kind = record.get("kind")
    if type(kind) is not str or kind not in EDIT_KEYS:
        raise _bad(f"{where}.kind", f"expected one of {list(EDIT_KEYS)}, got {_describe(kind)}")
    if list(record) != list(EDIT_KEYS[kind]):
        raise _bad(where, f"a {kind} record has exactly the keys {list(EDIT_KEYS[kind])} in this order, "
                          f"got {list(record)[:16]}")
    n = len(n_bins)
    if kind != "refit":
        j = _integer(record["feature"], f"{where}.feature", 0, n - 1)
        expected = None if names is None else names[j]
        if record["name"] != expected:
            raise _bad(f"{where}.name", f"feature {j} is called {expected!r}, got {_describe(record['name'])}")
        if kind == "flatten":
            start = _integer(record["start"], f"{where}.start", 0, _BIN_LIMIT)
            _integer(record["stop"], f"{where}.stop", start + 1, int(n_bins[j]))
        elif kind == "monotonize" and (type(record["direction"]) is not int or record["direction"] not in (-1, 1)):
            raise _bad(f"{where}.direction", f"expected 1 or -1, got {_describe(record['direction'])}")
        return dict(record)
    for key in ("drop", "fix", "increasing", "decreasing"):
        features = _list(record[key], f"{where}.{key}", n)
        for i, f in enumerate(features):
            _integer(f, f"{where}.{key}[{i}]", 0 if i == 0 else features[i - 1] + 1, n - 1)  # increasing
    _integer(record["n_rows"], f"{where}.n_rows", 1, _COUNT_LIMIT)
    _integer(record["n_iter"], f"{where}.n_iter", 0, _COUNT_LIMIT)
    if type(record["converged"]) is not bool:
        raise _bad(f"{where}.converged", f"expected true or false, got {_describe(record['converged'])}")
    for key in ("train_loss_before", "train_loss_after", "test_loss_before", "test_loss_after"):
        if key.startswith("test") and record[key] is None and record["test_loss_before"] is record["test_loss_after"]:
            continue  # no held-out rows: both null
        if _number(record[key], f"{where}.{key}") < 0:
            raise _bad(f"{where}.{key}", f"a loss is >= 0, got {record[key]!r}")
    return dict(record)
