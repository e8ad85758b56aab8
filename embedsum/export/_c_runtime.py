"""The static C runtime (``_runtime.h``, ``_runtime.c``) as :func:`embedsum.export.to_c` copies it.

The runtime is C source shipped as package data, read next to this module (so a renamed
copy of the package and an installed wheel both find it). It is written with the prefix
``embedsum_`` / ``EMBEDSUM_`` and ``#if EMBEDSUM_<FLAG>`` blocks for the model kinds; a
header gets the blocks its model needs, its own prefix and its row arguments, so that it
reads as if written for that model (docs/design.md#export).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


_FLAGS = ("BINARY", "MULTICLASS", "REGRESSION", "CLASSIFIER", "TEXT", "VALUES")
_DIRECTIVE = re.compile(r"\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)")
_CONDITION_TOKEN = re.compile(r"EMBEDSUM_[A-Z]+|\|\||&&|!|\(|\)")
# The row arguments: (without text, with text), for models without and with text categories.
_ROW_ARGUMENTS = {
    "EMBEDSUM_ROW": ("const double *row", "const double *row, const char *const *text"),
    "EMBEDSUM_ROW_ARGS": ("row", "row, text"),
    "EMBEDSUM_ROW_NULL": ("row == NULL", "row == NULL || text == NULL"),
    "EMBEDSUM_ROWS": ("const double *rows", "const double *rows, const char *const *texts"),
    "EMBEDSUM_ROWS_NULL": ("rows == NULL", "rows == NULL || texts == NULL"),
    "EMBEDSUM_ROW_I": ("rows + i * EMBEDSUM_N_FEATURES",
                       "rows + i * EMBEDSUM_N_FEATURES, texts + i * EMBEDSUM_N_FEATURES"),
}
_ROW_NAME = re.compile(r"\b(?:" + "|".join(sorted(_ROW_ARGUMENTS, key=len, reverse=True)) + r")\b")


@lru_cache(maxsize=None)
def _read(name: str) -> str:
    """The runtime file ``name`` without its opening comment (which speaks to its maintainers)."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    if not text.startswith("/*"):
        raise ValueError(f"{name} must open with its comment")
    return text[text.index("*/\n") + 3:]


def _condition(expression: str, flags: dict):
    """The value of a condition made only of EMBEDSUM_<FLAG>, !, &&, || and parentheses, else None."""
    tokens = _CONDITION_TOKEN.findall(expression)
    if "".join(tokens) != "".join(expression.split()):
        return None
    words = {"||": " or ", "&&": " and ", "!": " not ", "(": "(", ")": ")"}
    python = []
    for token in tokens:
        if token.startswith("EMBEDSUM_"):
            if token[len("EMBEDSUM_"):] not in flags:
                return None  # a constant such as EMBEDSUM_N_CLASSES: the compiler's to test
            python.append(str(flags[token[len("EMBEDSUM_"):]]))
        else:
            python.append(words[token])
    return bool(eval("".join(python), {"__builtins__": {}}))  # only True, False and operators


def _select(text: str, flags: dict) -> str:
    """text with the #if blocks on flags resolved: their directives dropped, the false branches too."""
    out, stack = [], []  # stack: per open #if, True/False (resolved here) or None (kept)
    for line in text.splitlines(keepends=True):
        match = _DIRECTIVE.match(line)
        live = all(value is not False for value in stack)
        if match is None:
            if live:
                out.append(line)
            continue
        word, rest = match.groups()
        if word in ("if", "ifdef", "ifndef"):
            value = _condition(rest, flags) if word == "if" else None
            stack.append(value)
            keep = value is None
        elif word == "elif":
            if stack[-1] is not None:
                raise ValueError("#elif after a flag test: use #else")
            keep = True
        elif word == "else":
            keep = stack[-1] is None
            if not keep:
                stack[-1] = not stack[-1]
        else:
            keep = stack.pop() is None
        if keep and live:  # a directive the compiler tests, outside every false block
            out.append(line)
    if stack:
        raise ValueError("an #if is not closed")
    return "".join(out)


def _runtime(name: str, p: str, flags: dict) -> str:
    """Runtime file ``name`` for a model: its flags' blocks, its row arguments, its prefix ``p``."""
    text = _select(_read(name), flags)
    text = _ROW_NAME.sub(lambda m: _ROW_ARGUMENTS[m.group(0)][flags["TEXT"]], text)
    text = re.sub(r"\bembedsum_", f"{p}_", text)
    return re.sub(r"\bEMBEDSUM_", f"{p.upper()}_", text)
