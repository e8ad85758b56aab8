"""Reading CSV files with a header, with the standard library and numpy only (no pandas).

Empty cells and NA-like tokens are missing values (NaN). Feature columns must be
numbers; a text column gets an error that names it, until categorical features exist.
"""

from __future__ import annotations

import csv
from typing import Iterator

import numpy as np

__all__ = ["NA_TOKENS", "read_training_csv", "iter_feature_chunks", "parse_labels"]

NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "-nan"})


def _number(text: str, column: str, line: int) -> float:
    token = text.strip()
    if token.lower() in NA_TOKENS:
        return np.nan
    try:
        return float(token)
    except ValueError:
        raise ValueError(
            f"column {column!r} has the non-numeric value {token!r} on line {line}; "
            "feature columns must be numbers (empty or NA for missing)"
        ) from None


def parse_labels(values: list[str]) -> np.ndarray:
    """Class labels from text: integers when every label is one, else the strings as written.

    Example
    -------
    >>> parse_labels(["1", "0", "1"]).tolist(), parse_labels(["attack", "benign"]).tolist()
    ([1, 0, 1], ['attack', 'benign'])
    """
    stripped = [v.strip() for v in values]
    missing = [i for i, v in enumerate(stripped) if v.lower() in NA_TOKENS]
    if missing:
        raise ValueError(f"the target is missing on data line {missing[0] + 2}; every row needs a label")
    try:
        return np.array([int(v) for v in stripped])
    except ValueError:
        return np.array(stripped)


def _open(path):
    return open(path, newline="", encoding="utf-8-sig")


def _header(reader, path) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"{path} is empty; expected a header line with column names") from None
    names = [h.strip() for h in header]
    if len(set(names)) != len(names):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"{path} has duplicate column names {duplicated}")
    return names


def _records(reader, n_fields: int, path):
    """``(line number, fields)`` of each non-empty data line, each with the header's field count."""
    for line, record in enumerate(reader, start=2):
        if not record:
            continue
        if len(record) != n_fields:
            raise ValueError(f"line {line} of {path} has {len(record)} fields, the header has {n_fields}")
        yield line, record


def read_training_csv(path, target: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a whole CSV for training: ``(X, y, feature_names)``; ``target`` names the label column.

    Example
    -------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "events.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("writes,renames,label\\n3,0,benign\\n,7,attack\\n")
    ...     X, y, names = read_training_csv(path, target="label")
    >>> X.tolist(), y.tolist(), names
    ([[3.0, 0.0], [nan, 7.0]], ['benign', 'attack'], ['writes', 'renames'])
    """
    with _open(path) as handle:
        reader = csv.reader(handle)
        names = _header(reader, path)
        if target not in names:
            raise ValueError(f"{path} has no column {target!r}; its columns are {names}")
        t = names.index(target)
        features = [n for i, n in enumerate(names) if i != t]
        rows, labels = [], []
        for line, record in _records(reader, len(names), path):
            labels.append(record[t])
            rows.append([_number(v, names[i], line) for i, v in enumerate(record) if i != t])
    if not rows:
        raise ValueError(f"{path} has a header but no data rows")
    return np.array(rows, dtype=np.float64), parse_labels(labels), features


def iter_feature_chunks(path, feature_names, n_features: int, chunk_rows: int = 65536) -> Iterator[np.ndarray]:
    """Yield float64 blocks of at most ``chunk_rows`` rows with the model's features, in its order.

    With ``feature_names`` (the model's), columns are picked by name and others are
    ignored; without, the file must have exactly ``n_features`` columns. Memory stays
    bounded by one chunk, whatever the file size.

    Example
    -------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "events.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("renames,host,writes\\n1,a,2\\n3,b,NA\\n5,c,6\\n")
    ...     blocks = list(iter_feature_chunks(path, ["writes", "renames"], 2, chunk_rows=2))
    >>> [b.tolist() for b in blocks]
    [[[2.0, 1.0], [nan, 3.0]], [[6.0, 5.0]]]
    """
    with _open(path) as handle:
        reader = csv.reader(handle)
        names = _header(reader, path)
        if feature_names is not None:
            missing = [n for n in feature_names if n not in names]
            if missing:
                raise ValueError(f"{path} lacks the model's feature columns {missing[:5]}")
            picks = [names.index(n) for n in feature_names]
        else:
            if len(names) != n_features:
                raise ValueError(f"{path} has {len(names)} columns; the model expects {n_features} features")
            picks = list(range(n_features))
        block = []
        for line, record in _records(reader, len(names), path):
            block.append([_number(record[i], names[i], line) for i in picks])
            if len(block) == chunk_rows:
                yield np.array(block, dtype=np.float64)
                block = []
        if block:
            yield np.array(block, dtype=np.float64)
