"""Command line: ``python -m embedsum`` and the ``embedsum`` console script.

``fit`` reads a CSV (text columns become categorical features, see :mod:`embedsum.cli._csv`),
trains a binary or multiclass classifier or a regressor (``--task``, detected from the
target by default) and saves it; ``predict``, ``explain``, ``show``, ``export`` and ``audit``
work on a saved model of any kind, ``recourse`` on a binary classifier.

Exit status: 0 on success, 2 on usage errors, 1 on data or model errors (any exception,
out of memory included), 130 when interrupted: a one-line message on stderr, no traceback.
A reader that closes the pipe early (``| head``) ends the command quietly, with status 1.

Nothing is lost: outputs are replaced only when the command succeeds, and an output that is
one of the inputs is refused (:mod:`embedsum.cli._safe_output`); names and labels printed to
the terminal have their control characters escaped. The parser is
:mod:`embedsum.cli._arguments`; ``fit``, ``predict`` and ``explain`` have a module each
(``_fit_command``, ``_predict_command``, ``_explain_command``, ``_audit_command``,
``_recourse_command``); ``show`` and ``export`` are here.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress

from ._arguments import _UsageError, build_parser
from ._audit_command import _audit
from ._explain_command import _explain
from ._fit_command import _fit
from ._predict_command import _predict
from ._recourse_command import _recourse
from ._safe_output import _output_file, _refuse_overwriting_inputs, _say


def _show(args, out) -> None:
    from ..inspection._describe import describe
    from ..persistence._reader import load

    for line in describe(load(args.model), top=args.top).splitlines():
        _say(out, line)


def _export(args, out) -> None:
    from .. import export
    from ..persistence._reader import load

    _refuse_overwriting_inputs(args.output, [args.model])
    model = load(args.model)
    source = export.to_python(model) if args.lang == "python" else export.to_c(model, prefix=args.prefix)
    with _output_file(args.output, stdout=out) as handle:
        handle.write(source)


_COMMANDS = {"fit": _fit, "predict": _predict, "explain": _explain, "show": _show, "export": _export,
             "audit": _audit, "recourse": _recourse}


def _error(message: str) -> None:
    """One line on stderr, whatever the message holds; a closed stderr is not a second failure."""
    from ..inspection._describe import printable

    with suppress(Exception):
        print(f"embedsum: error: {printable(message)}", file=sys.stderr)
        sys.stderr.flush()


def _message(err: BaseException) -> str:
    if isinstance(err, MemoryError):
        return "out of memory" + (f" ({err})" if str(err) else "") + "; try smaller --chunk-rows or a smaller file"
    text = str(err)
    if isinstance(err, (ValueError, TypeError, OSError)) and text:
        return text
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left for stdout (the final flush) to devnull, not to a traceback."""
    with suppress(Exception):
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, sys.stdout.fileno())


def main(argv=None) -> int:
    """Run the command line; returns the exit status (0, 1 data or model error, 2 usage, 130 interrupted).

    Example
    -------
    >>> main(["show", "no-such-model.json"])  # doctest: +SKIP
    embedsum: error: ...
    1
    """
    out = sys.stdout
    try:
        args = build_parser().parse_args(argv)  # usage errors and --help leave through SystemExit
        if args.command == "demo":
            from ._demo import run_demo

            run_demo(top=args.top, seed=args.seed)
        else:
            _COMMANDS[args.command](args, out)
        out.flush()  # inside the try: a reader that is gone shows up here
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        with suppress(Exception):
            print("embedsum: interrupted", file=sys.stderr)
        return 130
    except _UsageError as err:
        _error(str(err))
        return 2
    except Exception as err:  # noqa: BLE001 -- every failure (MemoryError too) is one line, never a traceback
        _error(_message(err))
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
