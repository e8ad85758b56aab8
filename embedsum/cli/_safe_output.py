"""Output that loses nothing and shows nothing a terminal would act on.

A file given to ``-o`` is written to a temporary file in its folder and renamed over the
old one only when the command succeeds (:func:`_output_file`), and an output that is one of
the command's inputs (the same file under another name, a symlink or a hard link) is
refused before anything is written (:func:`_refuse_overwriting_inputs`). Standard output (no
``-o``, or ``-o -``) streams instead. Lines meant for a person have their control
characters escaped (:func:`_say`, through :func:`embedsum.inspection._describe.printable`).
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager, suppress

from ._arguments import _UsageError


def _say(out, line: str) -> None:
    """Print one line of text meant for a person, its control characters escaped."""
    from ..inspection._describe import printable

    print(printable(line), file=out)


def _refuse_overwriting_inputs(output, inputs) -> None:
    """Refuse an output file that is one of the inputs, whatever its name (symlink, hard link)."""
    if output is None or output == "-":
        return
    try:
        written = os.stat(output)  # follows symlinks
    except OSError:
        return  # no such file yet: it cannot be an input (and a bad path fails when written)
    for name in inputs:
        try:
            read = os.stat(name)
        except OSError:
            continue
        if (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino):
            raise _UsageError(f"the output {output} is the input {name} (the same file): "
                              "writing it would destroy what is read; choose another output")


def _umask() -> int:
    try:  # Linux shows it without changing it
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _output_file(path, *, binary: bool = False, stdout=None):
    """A handle to write ``path`` through: a temporary file renamed over ``path`` on success only.

    On any exception (KeyboardInterrupt included) the temporary file is removed and an old
    ``path`` is left as it was. The new file gets the old one's permissions, or those a
    plain ``open`` would give. ``None`` or ``"-"`` is ``stdout``, written as it goes; so is
    a path that is not a regular file (``/dev/null``, a named pipe), which cannot be replaced.
    """
    mode, options = ("wb", {}) if binary else ("w", {"encoding": "utf-8", "newline": ""})
    if path is None or path == "-":
        yield stdout.buffer if binary else stdout
        return
    try:
        old = os.stat(path)  # through symlinks
    except FileNotFoundError:
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        with open(path, mode, **options) as handle:
            yield handle
        return
    target = os.path.realpath(path)  # through a symlink: the file it points at is replaced, the link kept
    folder, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        os.chmod(temporary, stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~_umask())
        with open(descriptor, mode, **options) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
