"""Records of a CSV file with a header, read strictly and in bounded pieces.

The files are read strictly and in bounded pieces (see :func:`iter_records`): UTF-8 text
(an optional byte-order mark), comma-separated, fields optionally in double quotes (``""``
inside quotes is one quote; quoted fields may hold commas and line breaks), lines ending
in LF or CRLF. An unclosed quote, a quote inside an unquoted field, a carriage return
outside quotes, a NUL byte, text that is not UTF-8, a line longer than
:data:`MAX_LINE_BYTES` or a field longer than :data:`MAX_FIELD_BYTES` (both can be raised)
and a line whose number of fields differs from the header's are errors that name the
line. No line is skipped: a blank line is a record of one empty field, so in a
one-column file it is that row's missing value (rows in = rows out).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

# Default bounds of one record: what a single line may make the reader hold in memory.
MAX_LINE_BYTES = 1 << 20
MAX_FIELD_BYTES = 1 << 20


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
