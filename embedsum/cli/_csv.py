"""Reading CSV files with a header, with the standard library and numpy only (no pandas).

A whole file for training (:func:`read_training_csv`), or the model's feature columns in
blocks of bounded size for scoring (:func:`iter_feature_chunks`). The records come from
:mod:`embedsum.cli._csv_records` (strict, bounded: each broken rule is an error naming its
line), and what each cell is from :mod:`embedsum.cli._csv_types` (the number grammar, missing
values, text columns as categories, the task of the target).
"""

from __future__ import annotations

from contextlib import closing
from typing import Iterator, NamedTuple

import numpy as np

from ._csv_records import MAX_FIELD_BYTES, MAX_LINE_BYTES, _header, _records, iter_records
from ._csv_types import _NUMERIC_HINT, _category, _is_number, _number, _parse_target


class TrainingData(NamedTuple):
    """What :func:`read_training_csv` reads.

    ``X`` is float64 (n, d) when no feature is categorical; otherwise an object array
    whose numeric columns hold floats (NaN = missing) and whose categorical columns hold
    ``str`` (``""`` = missing) for text columns, or floats for a numeric column declared
    categorical. ``is_categorical`` is the boolean mask to pass as ``categorical_features``.

    Example
    -------
    >>> data = TrainingData(np.zeros((1, 1)), np.array([1]), ["x"], np.array([False]), "classification")
    >>> data.feature_names, data.task
    (['x'], 'classification')
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list
    is_categorical: np.ndarray
    task: str


def read_training_csv(path, target: str, *, task: str = "auto", categorical=None,
                      max_line_bytes: int = MAX_LINE_BYTES, max_field_bytes: int = MAX_FIELD_BYTES) -> TrainingData:
    """Read a whole CSV for training; ``target`` names the label (or value) column.

    ``categorical`` lists the feature columns to read as categories; None (the default)
    takes the text columns. A text column left out of an explicit list is an error that
    names it. ``task`` is passed to :func:`~embedsum.cli._csv_types.parse_target`. ``max_line_bytes`` and
    ``max_field_bytes`` bound one record (see :func:`~embedsum.cli._csv_records.iter_records`).

    Example
    -------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "events.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("writes,proto,label\\n3,tcp,benign\\n,NA,attack\\n")
    ...     data = read_training_csv(path, target="label")
    >>> data.X.tolist(), data.y.tolist(), data.feature_names, data.is_categorical.tolist()
    ([[3.0, 'tcp'], [nan, '']], ['benign', 'attack'], ['writes', 'proto'], [False, True])
    """
    with closing(iter_records(path, max_line_bytes=max_line_bytes, max_field_bytes=max_field_bytes)) as records:
        names = _header(records, path)
        if target not in names:
            raise ValueError(f"{path} has no column {target!r}; its columns are {_some(names)}")
        t = names.index(target)
        keep = [i for i in range(len(names)) if i != t]
        features = [names[i] for i in keep]
        cells: list[list[str]] = [[] for _ in keep]
        labels, lines = [], []
        for line, record in _records(records, len(names), path):
            lines.append(line)
            labels.append(record[t])
            for column, i in zip(cells, keep):
                column.append(record[i].strip())
    if not lines:
        raise ValueError(f"{path} has a header but no data rows")
    if not features:
        raise ValueError(f"{path} has no feature columns besides the target {target!r}")
    is_text = np.array([not all(_is_number(v) for v in column) for column in cells], dtype=bool)
    is_categorical = is_text.copy() if categorical is None else _categorical_mask(categorical, features, target, path)
    y, task = _parse_target(labels, task, target, lines)
    hint = _NUMERIC_HINT + ", or declared categorical"
    columns = []
    for j, column in enumerate(cells):
        if is_categorical[j] and is_text[j]:
            columns.append([_category(v) for v in column])
        else:
            # Numbers; a numeric column declared categorical keeps its values as numbers
            # (its categories are then compared as numbers: "80" and "80.0" are one).
            columns.append([_number(v, features[j], line, hint) for v, line in zip(column, lines)])
    if is_categorical.any():
        X = np.empty((len(lines), len(features)), dtype=object)
        for j, column in enumerate(columns):
            X[:, j] = column
    else:
        X = np.array(columns, dtype=np.float64).T.copy()
    return TrainingData(X, y, features, is_categorical, task)


def _categorical_mask(categorical, features: list[str], target: str, path) -> np.ndarray:
    wanted = list(categorical)
    if target in wanted:
        raise ValueError(f"the target column {target!r} cannot also be a categorical feature")
    known, chosen = set(features), set(wanted)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"{path} has no feature column(s) {_some(unknown)} to read as categorical; "
                         f"its feature columns are {_some(features)}")
    return np.array([n in chosen for n in features], dtype=bool)


def _some(names: list, k: int = 10) -> str:
    """A list for a message: its first k items, and how many more (a header may have thousands)."""
    return f"{names[:k]}" + (f" and {len(names) - k} more" if len(names) > k else "")


def iter_feature_chunks(path, feature_names, n_features: int, chunk_rows: int = 65536,
                        is_categorical=None, *, max_line_bytes: int = MAX_LINE_BYTES,
                        max_field_bytes: int = MAX_FIELD_BYTES) -> Iterator[np.ndarray]:
    """Yield blocks of at most ``chunk_rows`` rows with the model's features, in its order.

    With ``feature_names`` (the model's), columns are picked by name and others are
    ignored; without, the file must have exactly ``n_features`` columns. A feature marked
    in ``is_categorical`` (the model's ``is_categorical_``) is read as text (``""`` for
    missing), any other as a number; blocks are float64 without categorical features and
    object arrays with them. Memory stays bounded by one chunk, whatever the file size,
    and ``max_line_bytes``, ``max_field_bytes`` bound one record (see
    :func:`~embedsum.cli._csv_records.iter_records`).
    Every data record is a row: a blank line of a one-column file is a missing value.

    Example
    -------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "events.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("renames,host,writes\\n1,a,2\\n3,b,NA\\n5,c,6\\n")
    ...     blocks = list(iter_feature_chunks(path, ["writes", "renames"], 2, chunk_rows=2))
    ...     mixed = list(iter_feature_chunks(path, ["host", "writes"], 2, is_categorical=[True, False]))
    >>> [b.tolist() for b in blocks], mixed[0].tolist()
    ([[[2.0, 1.0], [nan, 3.0]], [[6.0, 5.0]]], [['a', 2.0], ['b', nan], ['c', 6.0]])
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    categorical = (np.zeros(n_features, dtype=bool) if is_categorical is None
                   else np.asarray(is_categorical, dtype=bool))
    dtype = object if categorical.any() else np.float64
    with closing(iter_records(path, max_line_bytes=max_line_bytes, max_field_bytes=max_field_bytes)) as records:
        names = _header(records, path)
        if feature_names is not None:
            where = {name: i for i, name in enumerate(names)}
            missing = [n for n in feature_names if n not in where]
            if missing:
                raise ValueError(f"{path} lacks the model's feature columns {_some(missing, 5)}")
            picks = [where[n] for n in feature_names]
        else:
            if len(names) != n_features:
                raise ValueError(f"{path} has {len(names)} columns; the model expects {n_features} features")
            picks = list(range(n_features))
        readers = [(i, categorical[k]) for k, i in enumerate(picks)]
        block = []
        for line, record in _records(records, len(names), path):
            block.append([_category(record[i]) if text else _number(record[i], names[i], line)
                          for i, text in readers])
            if len(block) == chunk_rows:
                yield _block(block, dtype)
                block = []
        if block:
            yield _block(block, dtype)


def read_feature_row(path, model, row: int, **limits) -> np.ndarray:
    """Data row ``row`` (0 = the first after the header) of a CSV, with the model's features in
    its order, as a block of one row; a ValueError names how many rows there are when it is past
    the end."""
    seen = 0
    for block in iter_feature_chunks(path, getattr(model, "feature_names_in_", None), model.n_features_in_,
                                     is_categorical=model.is_categorical_, **limits):
        if row < seen + len(block):
            return block[row - seen: row - seen + 1]
        seen += len(block)
    raise ValueError(f"{path} has {seen} data rows; --row {row} is past the end")


def _block(rows: list, dtype) -> np.ndarray:
    if dtype is not object:
        return np.array(rows, dtype=np.float64)
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = rows
    return out
