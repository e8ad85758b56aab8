"""Reading CSV files with a header, with the standard library and numpy only (no pandas).

Empty cells and NA-like tokens (:data:`NA_TOKENS`, any case) are missing values, in every
column. A feature column whose other cells all read as numbers is numeric (float64, NaN
for missing); a column with any other text is a *text* column, read as categories:
Python ``str`` stripped of surrounding spaces, with ``""`` for missing (what
:mod:`embedsum.categories` takes as missing).

The target of a training file is class labels or numbers: with ``task="auto"``,
:func:`detect_task` decides (see :data:`MAX_AUTO_CLASSES`).
"""

from __future__ import annotations

import csv
from typing import Iterator, NamedTuple

import numpy as np

__all__ = [
    "NA_TOKENS",
    "MAX_AUTO_CLASSES",
    "TrainingData",
    "read_training_csv",
    "iter_feature_chunks",
    "parse_labels",
    "parse_target",
    "detect_task",
]

NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "-nan"})

# A numeric target whose values are all integers is read as class labels up to this many
# distinct values, and as a regression target past it (counts, prices in whole units).
MAX_AUTO_CLASSES = 20

TASKS = ("auto", "classification", "regression")


def _is_na(token: str) -> bool:
    return token.lower() in NA_TOKENS


def _non_numeric_error(column: str, token: str, line: int, hint: str) -> ValueError:
    return ValueError(f"column {column!r} has the non-numeric value {token!r} on line {line}; {hint}")


_NUMERIC_HINT = "feature columns must be numbers (empty or NA for missing)"


def _number(text: str, column: str, line: int, hint: str = _NUMERIC_HINT) -> float:
    token = text.strip()
    if _is_na(token):
        return np.nan
    try:
        return float(token)
    except ValueError:
        raise _non_numeric_error(column, token, line, hint) from None


def _category(text: str) -> str:
    token = text.strip()
    return "" if _is_na(token) else token


def parse_labels(values: list[str]) -> np.ndarray:
    """Class labels from text: integers when every label is one, else the strings as written.

    Example
    -------
    >>> parse_labels(["1", "0", "1"]).tolist(), parse_labels(["attack", "benign"]).tolist()
    ([1, 0, 1], ['attack', 'benign'])
    """
    stripped = _present(values)
    try:
        return np.array([int(v) for v in stripped])
    except ValueError:
        return np.array(stripped)


def _present(values: list[str]) -> list[str]:
    """The target cells stripped; a missing one is an error naming its line."""
    stripped = [v.strip() for v in values]
    missing = [i for i, v in enumerate(stripped) if _is_na(v)]
    if missing:
        raise ValueError(f"the target is missing on data line {missing[0] + 2}; every row needs a label")
    return stripped


def _floats_or_none(values: list[str]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def detect_task(values: list[str]) -> str:
    """``"regression"`` or ``"classification"`` for a target column given as text.

    Regression when every value is a number and either one of them is not an integer or
    there are more than :data:`MAX_AUTO_CLASSES` distinct values; classification otherwise
    (text labels, or a few integer codes).

    Example
    -------
    >>> detect_task(["1", "0", "2"]), detect_task(["0.5", "2"]), detect_task([str(i) for i in range(30)])
    ('classification', 'regression', 'regression')
    >>> detect_task(["cat", "dog"])
    'classification'
    """
    numbers = _floats_or_none(_present(values))
    if numbers is None:
        return "classification"
    if not all(float(v).is_integer() for v in numbers):
        return "regression"
    return "regression" if len(set(numbers)) > MAX_AUTO_CLASSES else "classification"


def parse_target(values: list[str], task: str = "auto", column: str = "target") -> tuple[np.ndarray, str]:
    """``(y, task)`` from the target cells: labels for classification, float64 for regression.

    ``task`` is ``"auto"`` (see :func:`detect_task`), ``"classification"`` or ``"regression"``.

    Example
    -------
    >>> y, task = parse_target(["1.5", "2", "-0.25"])
    >>> y.tolist(), task
    ([1.5, 2.0, -0.25], 'regression')
    >>> parse_target(["1.5", "2"], task="classification")[0].tolist()
    ['1.5', '2']
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
    if task == "auto":
        task = detect_task(values)
    if task == "classification":
        return parse_labels(values), task
    stripped = _present(values)
    for i, v in enumerate(stripped):
        try:
            float(v)
        except ValueError:
            raise ValueError(
                f"the target column {column!r} has the non-numeric value {v!r} on data line {i + 2}; "
                "regression needs a number in every row (use classification for labels)"
            ) from None
    return np.array([float(v) for v in stripped], dtype=np.float64), task


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


def _is_number(token: str) -> bool:
    if _is_na(token):
        return True
    try:
        float(token)
    except ValueError:
        return False
    return True


def read_training_csv(path, target: str, *, task: str = "auto", categorical=None) -> TrainingData:
    """Read a whole CSV for training; ``target`` names the label (or value) column.

    ``categorical`` lists the feature columns to read as categories; None (the default)
    takes the text columns. A text column left out of an explicit list is an error that
    names it. ``task`` is passed to :func:`parse_target`.

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
    with _open(path) as handle:
        reader = csv.reader(handle)
        names = _header(reader, path)
        if target not in names:
            raise ValueError(f"{path} has no column {target!r}; its columns are {names}")
        t = names.index(target)
        keep = [i for i in range(len(names)) if i != t]
        features = [names[i] for i in keep]
        cells: list[list[str]] = [[] for _ in keep]
        labels, lines = [], []
        for line, record in _records(reader, len(names), path):
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
    y, task = parse_target(labels, task, target)
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
    unknown = [n for n in wanted if n not in features]
    if unknown:
        raise ValueError(f"{path} has no feature column(s) {unknown} to read as categorical; "
                         f"its feature columns are {features}")
    return np.array([n in wanted for n in features], dtype=bool)


def iter_feature_chunks(path, feature_names, n_features: int, chunk_rows: int = 65536,
                        is_categorical=None) -> Iterator[np.ndarray]:
    """Yield blocks of at most ``chunk_rows`` rows with the model's features, in its order.

    With ``feature_names`` (the model's), columns are picked by name and others are
    ignored; without, the file must have exactly ``n_features`` columns. A feature marked
    in ``is_categorical`` (the model's ``is_categorical_``) is read as text (``""`` for
    missing), any other as a number; blocks are float64 without categorical features and
    object arrays with them. Memory stays bounded by one chunk, whatever the file size.

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
        readers = [(i, categorical[k]) for k, i in enumerate(picks)]
        block = []
        for line, record in _records(reader, len(names), path):
            block.append([_category(record[i]) if text else _number(record[i], names[i], line)
                          for i, text in readers])
            if len(block) == chunk_rows:
                yield _block(block, dtype)
                block = []
        if block:
            yield _block(block, dtype)


def _block(rows: list, dtype) -> np.ndarray:
    if dtype is not object:
        return np.array(rows, dtype=np.float64)
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = rows
    return out
