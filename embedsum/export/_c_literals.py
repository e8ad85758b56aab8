"""C literals for :func:`embedsum.export.to_c`: numbers, strings, comments, identifiers.

Scores and cuts are written as hexadecimal float literals, which are exact; names and
category text as escaped string literals (printable ASCII as is, with ``"``, ``\\`` and
``?`` escaped, every other byte in three-digit octal), kept in read-only char arrays with
offset tables. The prefix of every identifier is checked here (docs/design.md#export).
"""

from __future__ import annotations

import math
import re

import numpy as np


_C_KEYWORDS = frozenset(
    # C99 and C11 keywords, and C++ keywords, so the header also compiles as C++.
    "auto break case char const continue default do double else enum extern float for goto if inline int "
    "long register restrict return short signed sizeof static struct switch typedef union unsigned void "
    "volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert "
    "_Thread_local alignas alignof and and_eq asm bitand bitor bool catch char16_t char32_t char8_t class "
    "compl concept consteval constexpr constinit const_cast co_await co_return co_yield decltype delete "
    "dynamic_cast explicit export false friend mutable namespace new noexcept not not_eq nullptr operator "
    "or or_eq private protected public reinterpret_cast requires static_assert static_cast template this "
    "thread_local throw true try typeid typename using virtual wchar_t xor xor_eq".split()
)


def _check_prefix(prefix) -> str:
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", prefix, flags=re.ASCII):
        raise ValueError(
            f"prefix must be a C identifier: an ASCII letter, then letters, digits or '_' "
            f"(no leading '_', which C reserves); got {prefix!r}"
        )
    if prefix in _C_KEYWORDS or "__" in prefix:
        raise ValueError(f"prefix {prefix!r} is a C/C++ keyword or contains '__' (reserved); choose another name.")
    return prefix


def _c_string(text: str) -> str:
    """A C string literal of text's UTF-8 bytes: printable ASCII as is, the rest in octal.

    ``?`` is escaped so that no trigraph (``??/``) can form; octal escapes always have
    three digits so that a following digit is never read as part of the escape.
    """
    parts = []
    for byte in str(text).encode("utf-8", errors="surrogatepass"):
        char = chr(byte)
        if char in '"\\?':
            parts.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            parts.append(char)
        else:
            parts.append(f"\\{byte:03o}")
    return '"' + "".join(parts) + '"'


def _c_comment_text(text: str) -> str:
    # The escaped string has no newline; break every "*/" (ends the comment) and "/*"
    # (-Wcomment) until none is left.
    escaped = _c_string(text)
    while "*/" in escaped or "/*" in escaped:
        escaped = escaped.replace("*/", "*\\/").replace("/*", "/\\*")
    return escaped


def _c_string_table(p: str, kind: str, texts) -> str:
    """``p_<kind>_data`` and ``p_<kind>_offsets``: the texts in one char array, and where each starts.

    Pointer tables (``const char *const[]``) would need load-time relocation (writable
    memory in position-independent code); one array of chars stays in read-only data.
    """
    encoded = [str(text).encode("utf-8", errors="surrogatepass") for text in texts]
    offsets = np.cumsum([0] + [len(b) + 1 for b in encoded[:-1]]).tolist()
    total = sum(len(b) + 1 for b in encoded)
    if total <= 4000:  # C99 promises string literals of 4095 bytes (-Woverlength-strings)
        # The literal's own final NUL ends the last text; C++ refuses one byte too many.
        init = " \"\\000\"\n".join(f"    {_c_string(text)}" for text in texts)
    else:
        # Character constants, not integers: bytes above 127 do not fit a signed char.
        data = [f"'\\{byte:03o}'" for b in encoded for byte in (*b, 0)]
        init = "{\n" + "\n".join(
            "    " + ", ".join(data[i:i + 12]) + "," for i in range(0, len(data), 12)
        ) + "\n}"
    return f"""\
static const char {p}_{kind}_data[{total}] =
{init};
static const size_t {p}_{kind}_offsets[{len(encoded)}] = {{{", ".join(map(str, offsets))}}};
"""


def _c_double(x: float) -> str:
    # Hexadecimal float literals (C99) are exact: no decimal rounding on either side.
    if math.isinf(x):
        return "INFINITY" if x > 0 else "-INFINITY"
    return float.hex(x)


def _c_array(values, per_line: int = 3) -> str:
    items = [_c_double(v) for v in values]
    return "\n".join("    " + ", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line))


def _c_sizes(values, per_line: int = 16) -> str:
    items = [str(int(v)) for v in values]
    return "\n".join("    " + ", ".join(items[i:i + per_line]) + "," for i in range(0, len(items), per_line))


def _c_rows(rows) -> str:
    """One line per bin of K scores (a multiclass model's table)."""
    return "\n".join("    " + ", ".join(_c_double(v) for v in row) + "," for row in rows)
