"""Reading CSV files with a header, with the standard library and numpy only (no pandas).

The files are read strictly and in bounded pieces (see :func:`iter_records`): UTF-8 text
(an optional byte-order mark), comma-separated, fields optionally in double quotes (``""``
inside quotes is one quote; quoted fields may hold commas and line breaks), lines ending
in LF or CRLF. An unclosed quote, a quote inside an unquoted field, a carriage return
outside quotes, a NUL byte, text that is not UTF-8, a line longer than
:data:`MAX_LINE_BYTES` or a field longer than :data:`MAX_FIELD_BYTES` (both can be raised)
and a line whose number of fields differs from the header's are errors that name the
line. No line is skipped: a blank line is a record of one empty field, so in a
one-column file it is that row's missing value (rows in = rows out).

A cell is a number when it follows one grammar (:func:`parse_number`): ASCII digits with
an optional sign, point and exponent, or the words inf, infinity (with an optional sign)
and nan, in any case. ``2024_01``, Arabic-Indic or fullwidth digits are text, although
Python's ``float`` accepts them.

Empty cells and NA-like tokens (:data:`NA_TOKENS`, any case) are missing values, in every
column. A feature column whose other cells all read as numbers is numeric (float64, NaN
for missing); a column with any other text is a *text* column, read as categories:
Python ``str`` stripped of surrounding spaces, with ``""`` for missing (what
:mod:`embedsum.binning._categories` takes as missing).

The target of a training file is class labels or numbers: with ``task="auto"``,
:func:`detect_task` decides (see :data:`MAX_AUTO_CLASSES`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from contextlib import closing
from typing import Iterator, NamedTuple

import numpy as np


NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "-nan"})

# A numeric target whose values are all integers is read as class labels up to this many
# distinct values, and as a regression target past it (counts, prices in whole units).
MAX_AUTO_CLASSES = 20

TASKS = ("auto", "classification", "regression")

# Default bounds of one record: what a single line may make the reader hold in memory.
MAX_LINE_BYTES = 1 << 20
MAX_FIELD_BYTES = 1 << 20

# re.ASCII: without it, IGNORECASE lets "ınf" (dotless i) match "inf".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|[+-]?inf(?:inity)?|nan",
                     re.ASCII | re.IGNORECASE)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


def parse_number(token: str) -> float | None:
    """The float that ``token`` spells under embedsum's number grammar, or None for text.

    Optional sign, ASCII digits, optional point, optional exponent; or inf, infinity (with
    an optional sign) and nan, in any case. No surrounding spaces, no underscores, no
    other digits than 0-9: those are text.

    Example
    -------
    >>> parse_number("-1.5e3"), parse_number("Infinity"), parse_number(".5")
    (-1500.0, inf, 0.5)
    >>> parse_number("2024_01"), parse_number("\\u0663"), parse_number(" 1")
    (None, None, None)
    """
    return float(token) if _NUMBER.fullmatch(token) else None


def _is_na(token: str) -> bool:
    return token.lower() in NA_TOKENS


def _non_numeric_error(column: str, token: str, line: int, hint: str) -> ValueError:
    return ValueError(f"column {column!r} has the non-numeric value {token!r} on line {line}; {hint}")


_NUMERIC_HINT = "feature columns must be numbers (empty or NA for missing)"


def _number(text: str, column: str, line: int, hint: str = _NUMERIC_HINT) -> float:
    token = text.strip()
    if _is_na(token):
        return np.nan
    value = parse_number(token)
    if value is None:
        raise _non_numeric_error(column, token, line, hint)
    return value


def _category(text: str) -> str:
    token = text.strip()
    return "" if _is_na(token) else token


def parse_labels(values: list[str]) -> np.ndarray:
    """Class labels from text: numbers when every label is one, else the strings as written.

    A column of numbers gives int64 labels when every value is a whole number ("1" and
    "1.0" are one class), float64 otherwise. A column with any text keeps every label as
    the string it is ("007" and "7" stay two classes).

    Example
    -------
    >>> parse_labels(["1", "0", "1.0"]).tolist(), parse_labels(["0.5", "2"]).tolist()
    ([1, 0, 1], [0.5, 2.0])
    >>> parse_labels(["007", "7", "attack"]).tolist()
    ['007', '7', 'attack']
    """
    stripped = _present(values)
    numbers = _floats_or_none(stripped)
    if numbers is None:
        return np.array(stripped)
    if all(math.isfinite(v) and v.is_integer() for v in numbers):
        # Exact for integers written as such, however long; via the float otherwise ("1e3").
        whole = [int(t) if _INTEGER.fullmatch(t) else int(v) for t, v in zip(stripped, numbers)]
        if all(-(1 << 63) <= v < (1 << 63) for v in whole):
            return np.array(whole, dtype=np.int64)
    return np.array(numbers, dtype=np.float64)


def _present(values: list[str], lines=None) -> list[str]:
    """The target cells stripped; a missing one is an error naming its line."""
    stripped = [v.strip() for v in values]
    missing = next((i for i, v in enumerate(stripped) if _is_na(v)), None)
    if missing is not None:
        line = missing + 2 if lines is None else lines[missing]
        raise ValueError(f"the target is missing on data line {line}; every row needs a label")
    return stripped


def _floats_or_none(values: list[str]) -> list[float] | None:
    numbers = [parse_number(v) for v in values]
    return None if None in numbers else numbers


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
    if not all(math.isfinite(v) and v.is_integer() for v in numbers):
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
    [1.5, 2.0]
    """
    return _parse_target(values, task, column)


def _parse_target(values, task, column, lines=None):
    """:func:`parse_target`; ``lines`` numbers the rows in error messages (default: one line each after a header)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
    stripped = _present(values, lines)
    if task == "auto":
        task = detect_task(stripped)
    if task == "classification":
        return parse_labels(stripped), task
    numbers = [parse_number(v) for v in stripped]
    if None in numbers:
        i = numbers.index(None)
        raise ValueError(
            f"the target column {column!r} has the non-numeric value {stripped[i]!r} on data line "
            f"{i + 2 if lines is None else lines[i]}; regression needs a number in every row (use classification "
            "for labels)")
    return np.array(numbers, dtype=np.float64), task


def _limit(value, name: str) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def iter_records(path, *, max_line_bytes: int = MAX_LINE_BYTES,
                 max_field_bytes: int = MAX_FIELD_BYTES) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of every record of a CSV file, the header first.

    The file is read in pieces of at most ``max_line_bytes`` (plus the line break), so a
    file without line breaks (``/dev/zero``) is an error naming its line, not a
    ``MemoryError``. A record that spans lines (a quoted line break) counts its line
    breaks in its length and is numbered by its first line. The rules are those of the
    module docstring; every broken one is a ``ValueError`` naming the line.

    Example
    -------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "d.csv")
    ...     with open(path, "wb") as f:
    ...         _ = f.write(b'x,note\\r\\n1,"a, ""b""\\nc"\\n\\n')
    ...     list(iter_records(path))
    [(1, ['x', 'note']), (2, ['1', 'a, "b"\\nc']), (4, [''])]
    """
    _limit(max_line_bytes, "max_line_bytes")
    _limit(max_field_bytes, "max_field_bytes")
    with open(path, "rb") as handle:
        line = 0
        while True:
            start = line + 1
            raw = handle.readline(max_line_bytes + 2)  # + CRLF: a line of exactly the limit fits
            if not raw:
                return
            if start == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            line += 1
            pieces = [raw]
            size = _content_size(raw)
            quotes = raw.count(b'"')
            # An odd count of quotes so far: a quoted field goes on past this line break.
            while size <= max_line_bytes and quotes % 2 and raw.endswith(b"\n"):
                raw = handle.readline(max_line_bytes - size + 1)
                if not raw:
                    break
                line += 1
                pieces.append(raw)
                size += len(pieces[-2]) - _content_size(pieces[-2]) + _content_size(raw)
                quotes += raw.count(b'"')
            if size > max_line_bytes:
                opened = f" (a quote opened on line {start} is not closed within it)" if quotes % 2 else ""
                raise ValueError(f"line {start} of {path} is longer than {max_line_bytes} bytes{opened}; "
                                 "raise the limit with --max-line-bytes if the file is right")
            if quotes % 2:
                raise ValueError(f"line {start} of {path} opens a quoted field that is never closed")
            data = b"".join(pieces)
            yield start, _fields(data[:_content_size(data)], start, path, max_field_bytes)


def _content_size(raw: bytes) -> int:
    """Length of a line without its line break (LF or CRLF)."""
    if raw.endswith(b"\r\n"):
        return len(raw) - 2
    return len(raw) - 1 if raw.endswith(b"\n") else len(raw)


def _line_of(data, start: int, position: int) -> int:
    return start + data.count(b"\n" if isinstance(data, bytes) else "\n", 0, position)


def _fields(data: bytes, start: int, path, max_field_bytes: int) -> list[str]:
    """One record's fields; ``data`` has no final line break."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise ValueError(f"line {_line_of(data, start, nul)} of {path} holds a NUL byte; a CSV file is text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"line {_line_of(data, start, err.start)} of {path} is not UTF-8 text (byte "
                         f"0x{data[err.start]:02x}); save the file as UTF-8") from None
    fields = text.split(",") if '"' not in text else _quoted_fields(text, start, path)
    if '"' not in text and "\r" in text:
        _bare_carriage_return(text, start, path)
    if len(data) > max_field_bytes:
        for field in fields:
            # A character is at most 4 bytes: encode only the fields that could be too long.
            if 4 * len(field) > max_field_bytes and len(field.encode("utf-8")) > max_field_bytes:
                raise ValueError(f"line {start} of {path} has a field longer than {max_field_bytes} bytes; "
                                 "raise the limit with --max-field-bytes if the file is right")
    return fields


def _bare_carriage_return(text: str, start: int, path):
    raise ValueError(f"line {_line_of(text, start, text.index(chr(13)))} of {path} has a carriage return "
                     "outside quotes; lines must end in LF or CRLF")


def _quoted_fields(text: str, start: int, path) -> list[str]:
    fields = []
    i, n = 0, len(text)
    while True:
        if text.startswith('"', i):
            parts, j = [], i + 1
            while True:
                k = text.find('"', j)
                if k < 0:
                    raise ValueError(f"line {_line_of(text, start, i)} of {path} opens a quoted field that is "
                                     "never closed")
                parts.append(text[j:k])
                if not text.startswith('"', k + 1):
                    break
                parts.append('"')  # "" inside quotes is one quote
                j = k + 2
            fields.append("".join(parts))
            i = k + 1
            if i == n:
                return fields
            if text[i] != ",":
                raise ValueError(f"line {_line_of(text, start, i)} of {path} has text after the closing quote "
                                 "of a field; a quoted field must end at a comma or the end of the line")
            i += 1
            continue
        k = text.find(",", i)
        field = text[i:] if k < 0 else text[i:k]
        if '"' in field:
            raise ValueError(f"line {_line_of(text, start, i)} of {path} has a quote inside an unquoted field; "
                             'quote the whole field and double the quote ("")')
        if "\r" in field:
            _bare_carriage_return(text, start, path)
        fields.append(field)
        if k < 0:
            return fields
        i = k + 1


def _header(records, path) -> list[str]:
    header = next(records, None)
    if header is None:
        raise ValueError(f"{path} is empty; expected a header line with column names")
    names = [h.strip() for h in header[1]]
    counts = Counter(names)
    if len(counts) != len(names):
        duplicated = sorted(name for name, count in counts.items() if count > 1)
        raise ValueError(f"{path} has duplicate column names {duplicated[:10]}"
                         + (f" and {len(duplicated) - 10} more" if len(duplicated) > 10 else ""))
    return names


def _records(records, n_fields: int, path):
    """``(line number, fields)`` of each data record, each with the header's field count."""
    for line, record in records:
        if len(record) != n_fields:
            raise ValueError(f"line {line} of {path} has {len(record)} field{'s' * (len(record) != 1)}, "
                             f"the header has {n_fields}")
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
    return _is_na(token) or parse_number(token) is not None


def read_training_csv(path, target: str, *, task: str = "auto", categorical=None,
                      max_line_bytes: int = MAX_LINE_BYTES, max_field_bytes: int = MAX_FIELD_BYTES) -> TrainingData:
    """Read a whole CSV for training; ``target`` names the label (or value) column.

    ``categorical`` lists the feature columns to read as categories; None (the default)
    takes the text columns. A text column left out of an explicit list is an error that
    names it. ``task`` is passed to :func:`parse_target`. ``max_line_bytes`` and
    ``max_field_bytes`` bound one record (see :func:`iter_records`).

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
    and ``max_line_bytes``, ``max_field_bytes`` bound one record (see :func:`iter_records`).
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


def _block(rows: list, dtype) -> np.ndarray:
    if dtype is not object:
        return np.array(rows, dtype=np.float64)
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    out[:] = rows
    return out
