"""Command line: ``python -m embedsum`` and the ``embedsum`` console script.

``fit`` reads a CSV (text columns become categorical features, see :mod:`embedsum.cli._csv`),
trains a binary or multiclass classifier or a regressor (``--task``, detected from the
target by default) and saves it; ``predict``, ``explain``, ``show`` and ``export`` work
on a saved model of any kind.

Exit status: 0 on success, 2 on usage errors, 1 on data or model errors (any exception,
out of memory included), 130 when interrupted: a one-line message on stderr, no traceback.
A reader that closes the pipe early (``| head``) ends the command quietly, with status 1.

Nothing is lost: a file given to ``-o`` is written to a temporary file in its folder and
renamed over the old one only when the command succeeds, and an output that is one of the
command's inputs (the same file under another name, a symlink or a hard link) is refused
before anything is written. Standard output (no ``-o``, or ``-o -``) streams instead.
Names and labels printed to the terminal have their control characters escaped
(:func:`embedsum.inspection._describe.printable`); text cells of ``predict``'s CSV that a spreadsheet
would run as a formula get a leading ``'`` unless ``--no-neutralize-formulas`` is given.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from contextlib import contextmanager, suppress

from ._csv_records import MAX_FIELD_BYTES, MAX_LINE_BYTES
from ._csv_types import MAX_AUTO_CLASSES


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``embedsum`` command.

    Example
    -------
    >>> build_parser().parse_args(["predict", "model.json", "events.csv"]).command
    'predict'
    """
    parser = _Parser(
        prog="embedsum",
        description="Interpretable step-function models: binary or multiclass classification, and regression.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    demo = commands.add_parser("demo", help="train on the bundled breast cancer data and report test quality")
    demo.add_argument("--seed", type=int, default=0, help="seed of the 70/30 split (default 0)")
    demo.add_argument("--top", type=_non_negative_int, default=10, help="how many features to list (default 10)")

    fit = commands.add_parser("fit", help="fit a model on a CSV file with a header and save it as JSON")
    fit.add_argument("data", help="CSV file with a header; empty cells and NA are missing values; "
                                  "columns of text are categorical features")
    fit.add_argument("--target", required=True, help="name of the label (or value) column")
    fit.add_argument("-o", "--output", required=True,
                     help="where to write the model (JSON); replaced only when the fit succeeds")
    fit.add_argument("--task", choices=["auto", "classification", "regression"], default="auto",
                     help="auto (default): regression when every target value is a number and one is not an "
                          f"integer or there are more than {MAX_AUTO_CLASSES} distinct values; classification "
                          "(two or more classes) otherwise")
    fit.add_argument("--categorical", type=_column_names, default=None, metavar="NAMES",
                     help="comma-separated feature columns to read as categories (default: the columns "
                          "holding text; an empty string for none)")
    fit.add_argument("--min-category-count", type=int, default=10,
                     help="a category seen fewer times shares the 'other' bin (default 10)")
    fit.add_argument("--monotonic-cst", type=_monotonic_spec, default=None, metavar="NAME=+1,...",
                     help="monotone features, e.g. 'failed_logins=+1,account_age=-1': the score never "
                          "decreases (+1) or never increases (-1) as the value grows; numeric features, "
                          "binary classification and regression only")
    fit.add_argument("--max-bins", type=int, default=None, help="default 20; 64 with --step-loss-weight auto")
    fit.add_argument("--step-loss-weight", type=_weight_or_auto, default=0.01,
                     help="a number (default 0.01, as published) or 'auto' (recommended): chosen by "
                          "cross-validation (EmbeddingSumClassifierCV, or EmbeddingSumRegressorCV)")
    fit.add_argument("--cv", type=int, default=5, help="folds of --step-loss-weight auto (default 5)")
    fit.add_argument("--embedding-sum-loss-weight", type=float, default=0.01)
    fit.add_argument("--l2", type=float, default=0.0)
    fit.add_argument("--max-iter", type=int, default=1000)
    fit.add_argument("--tol", type=float, default=None, help="default 1e-6; 1e-4 with --step-loss-weight auto")
    fit.add_argument("--quiet", action="store_true", help="no progress lines")
    _add_limits(fit)

    predict = commands.add_parser(
        "predict", help="score a CSV file, streaming it in chunks",
        description="Write one line per data row: proba_<class> for each class (one column with two classes) "
                    "then label, for a classifier; prediction, for a regressor.")
    predict.add_argument("model", help="model file written by 'embedsum fit' or model.save()")
    predict.add_argument("data", help="CSV file with a header holding the model's feature columns")
    predict.add_argument("-o", "--output", help="CSV to write, replaced only when every row is scored "
                                                "(default, or '-': standard output, streamed)")
    predict.add_argument("--chunk-rows", type=_positive_int, default=65536,
                         help="rows read at a time (default 65536)")
    predict.add_argument("--no-neutralize-formulas", dest="neutralize_formulas", action="store_false",
                         help="write text cells as they are; by default a class label (or proba_ header) "
                              "starting with = + - @ tab or CR gets a leading ' so that a spreadsheet shows it "
                              "instead of running it as a formula (numbers are never changed)")
    _add_limits(predict)

    explain = commands.add_parser("explain", help="one row's contributions, largest first")
    explain.add_argument("model")
    explain.add_argument("data")
    explain.add_argument("--row", type=_non_negative_int, required=True,
                         help="data row to explain (0 = first row after the header)")
    _add_limits(explain)

    show = commands.add_parser("show", help="describe a model: features by importance and their step functions")
    show.add_argument("model")
    show.add_argument("--top", type=_non_negative_int, default=None, help="only the most important features")

    export = commands.add_parser("export", help="write the model as standalone Python or C source")
    export.add_argument("model")
    export.add_argument("--lang", choices=["python", "c"], required=True)
    export.add_argument("-o", "--output", required=True,
                        help="file to write ('-': standard output); replaced only when the export succeeds")
    export.add_argument("--prefix", default="embedsum", help="C identifier prefix (default embedsum)")
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors made safe to print: a bad value may hold control characters."""

    def error(self, message):
        from ..inspection._describe import printable

        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")


class _UsageError(Exception):
    """Arguments that contradict each other (exit status 2)."""


def _add_limits(parser) -> None:
    parser.add_argument("--max-line-bytes", type=_positive_int, default=MAX_LINE_BYTES, metavar="N",
                        help=f"longest CSV line (a record, quoted line breaks included) read (default {MAX_LINE_BYTES}"
                             " = 1 MiB): a longer one is an error naming it, so memory stays bounded")
    parser.add_argument("--max-field-bytes", type=_positive_int, default=MAX_FIELD_BYTES, metavar="N",
                        help=f"longest CSV field read (default {MAX_FIELD_BYTES} = 1 MiB)")


def _integer(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def _positive_int(text: str) -> int:
    return _integer(text, 1, "an integer >= 1")


def _non_negative_int(text: str) -> int:
    return _integer(text, 0, "an integer >= 0")


def _weight_or_auto(text: str):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None


def _column_names(text: str) -> list:
    return [name.strip() for name in text.split(",") if name.strip()]


_DIRECTIONS = {"+1": 1, "1": 1, "-1": -1, "0": 0}


def _monotonic_spec(text: str) -> dict:
    spec = {}
    for item in (part.strip() for part in text.split(",")):
        name, sep, value = item.rpartition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or value not in _DIRECTIONS:
            raise argparse.ArgumentTypeError(
                f"expected NAME=+1, NAME=-1 or NAME=0 separated by commas, got {item!r}")
        if name in spec:
            raise argparse.ArgumentTypeError(f"{name!r} is given twice")
        spec[name] = _DIRECTIONS[value]
    return spec


class _NamedColumns:
    """A 2-D array with column names: what embedsum reads from a DataFrame (duck typing)."""

    def __init__(self, values, columns):
        self.values, self.columns = values, list(columns)
        self.shape = values.shape

    def to_numpy(self):
        return self.values

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def _named(block, names):
    return block if names is None else _NamedColumns(block, names)


def _check_monotonic(spec, data) -> None:
    """Refuse what the estimator would refuse, naming the columns (it names indices)."""
    unknown = [name for name in spec if name not in data.feature_names]
    if unknown:
        raise ValueError(f"--monotonic-cst names columns that are not features: {unknown}; "
                         f"the feature columns are {data.feature_names}")
    categorical = [name for name, cst in spec.items()
                   if cst and data.is_categorical[data.feature_names.index(name)]]
    if categorical:
        raise ValueError(f"--monotonic-cst constrains the categorical column(s) {categorical}; categories have "
                         "no order, so only numeric columns can be monotone")


def _estimator(args, data):
    """The estimator that ``fit`` trains, from the options and what the data holds."""
    # Plain lists, not arrays or dicts: they are the parameters the saved model records.
    monotonic = None
    if args.monotonic_cst is not None:
        monotonic = [args.monotonic_cst.get(name, 0) for name in data.feature_names]
    options = dict(embedding_sum_loss_weight=args.embedding_sum_loss_weight, l2=args.l2, max_iter=args.max_iter,
                   categorical_features=data.is_categorical.tolist(), min_category_count=args.min_category_count,
                   monotonic_cst=monotonic)
    if args.step_loss_weight == "auto":
        return _cv_estimator(args, data, options)
    if data.task == "regression":
        from ..estimators._regressor import EmbeddingSumRegressor as estimator
    else:
        from ..estimators._classifier import EmbeddingSumClassifier as estimator
    return estimator(
        max_bins=20 if args.max_bins is None else args.max_bins,
        step_loss_weight=args.step_loss_weight,
        tol=1e-6 if args.tol is None else args.tol,
        verbose=0 if args.quiet else 1,
        **options,
    )


def _cv_estimator(args, data, options):
    from ..estimators._cv import EmbeddingSumClassifierCV, EmbeddingSumRegressorCV

    estimator = EmbeddingSumRegressorCV if data.task == "regression" else EmbeddingSumClassifierCV
    # Its own defaults for bins and tol where none are given; quiet: it fits cv x 8 models.
    tuned = {k: v for k, v in (("max_bins", args.max_bins), ("tol", args.tol)) if v is not None}
    return estimator(cv=args.cv, **tuned, **options)


def _kind(model) -> str:
    classes = getattr(model, "classes_", None)
    if classes is None:
        return "regressor"
    return "binary classifier" if len(classes) == 2 else f"{len(classes)}-class classifier"


def _limits(args) -> dict:
    return {"max_line_bytes": args.max_line_bytes, "max_field_bytes": args.max_field_bytes}


def _say(out, line: str) -> None:
    """Print one line of text meant for a person, its control characters escaped."""
    from ..inspection._describe import printable

    print(printable(line), file=out)


def _fit(args, out) -> None:
    from ..persistence._writer import to_json
    from ._csv import read_training_csv

    if args.output == "-":
        raise _UsageError("fit -o - is not supported: progress lines go to standard output; name a file")
    _refuse_overwriting_inputs(args.output, [args.data])
    data = read_training_csv(args.data, args.target, task=args.task, categorical=args.categorical, **_limits(args))
    if args.monotonic_cst is not None:
        _check_monotonic(args.monotonic_cst, data)
    model = _estimator(args, data)
    model.fit(_NamedColumns(data.X, data.feature_names), data.y)
    document = to_json(model).encode("ascii")  # before opening: a model that cannot be saved writes nothing
    with _output_file(args.output, binary=True) as handle:
        handle.write(document)
    if not args.quiet:
        n, d = data.X.shape
        detected = " (detected from the target)" if args.task == "auto" else ""
        n_categorical = int(data.is_categorical.sum())
        categorical = f" ({n_categorical} categorical)" if n_categorical else ""
        chosen = ""
        if hasattr(model, "step_loss_weight_"):
            chosen = f"; step_loss_weight {model.step_loss_weight_:.4g} chosen by {args.cv}-fold cross-validation"
        _say(out, f"fitted a {_kind(model)}{detected} on {n} rows x {d} features{categorical} in {model.n_iter_} "
                  f"iterations{chosen}; wrote {args.output}")


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


def _csv_cell(text: str) -> str:
    """``text`` as one CSV field: in quotes (a quote doubled) when it holds a comma, a quote, CR or LF.

    Written by hand: csv.writer only quotes the line break characters of its own
    lineterminator, so a label holding a lone CR or LF would split a record.
    """
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value, neutralize: bool) -> str:
    """A label as a CSV field; text that a spreadsheet would run as a formula gets a leading ``'``.

    Only text is changed (OWASP's advice for CSV injection): a label that is a number, such
    as the class -1, is written as it is.
    """
    text = str(value)
    if neutralize and isinstance(value, str) and text.startswith(_FORMULA_START):
        text = "'" + text
    return _csv_cell(text)


def _prediction_writer(model, neutralize: bool = True):
    """``(header line, function from a block to its output lines)`` for the model's kind."""
    import numpy as np

    from ..inspection._explain import _label
    from ..scoring._decision import sigmoid, softmax

    classes = getattr(model, "classes_", None)
    if classes is None:
        return "prediction\n", lambda X: "".join(f"{v!r}\n" for v in model.predict(X).tolist())
    values = [_label(c) for c in classes]
    labels = [_text_cell(c, neutralize) for c in values]

    def header(c):
        return _text_cell(f"proba_{c}", neutralize)

    if len(classes) == 2:
        def lines(X):
            z = model.decision_function(X)
            return "".join(f"{p!r},{labels[k]}\n" for p, k in zip(sigmoid(z).tolist(), (z > 0).tolist()))

        return f"{header(values[1])},label\n", lines

    def lines(X):
        z = model.decision_function(X)
        # argmax of the decision values: what model.predict returns.
        return "".join(",".join(map(repr, p)) + f",{labels[k]}\n"
                       for p, k in zip(softmax(z).tolist(), np.argmax(z, axis=1).tolist()))

    return ",".join(header(c) for c in values) + ",label\n", lines


def _predict(args, out) -> None:
    from ..persistence._reader import load
    from ._csv import iter_feature_chunks

    _refuse_overwriting_inputs(args.output, [args.model, args.data])
    model = load(args.model)
    names = getattr(model, "feature_names_in_", None)
    header, lines = _prediction_writer(model, args.neutralize_formulas)
    blocks = iter_feature_chunks(args.data, names, model.n_features_in_, args.chunk_rows,
                                 model.is_categorical_, **_limits(args))
    with _output_file(args.output, stdout=out) as target:
        target.write(header)
        for block in blocks:
            target.write(lines(_named(block, names)))


def _value_and_bin(model, row, j: int) -> str:
    """How the explain command shows feature j's value in a row and the bin it falls in."""
    import numpy as np

    value = row[0, j]
    categories = model.categories_[j]
    if categories is None:
        from ..binning._digitizer import bin_codes
        from ..inspection._describe import bin_labels

        code = int(bin_codes(np.array([value], dtype=np.float64), model.cuts_[j])[0])
        shown = "missing" if np.isnan(value) else f"{value:g}"
        return f"value {shown} in {bin_labels(model.cuts_[j])[code]}"
    from ..binning._categories import encode_categories

    m = len(categories)
    code = int(encode_categories(row[:, j], categories, model.rare_categories_[j], j)[0])
    if code == m + 1:
        return "value missing"
    where = {m: "rare in training: the 'other' bin", m + 2: "never seen in training: the neutral score"}
    return f"value {str(value)!r}" + (f" ({where[code]})" if code in where else "")


def _explain(args, out) -> None:
    import numpy as np

    from ..inspection._describe import printable
    from ..inspection._explain import feature_names
    from ..persistence._reader import load
    from ..scoring._decision import sigmoid, softmax
    from ._csv import iter_feature_chunks

    model = load(args.model)
    names = getattr(model, "feature_names_in_", None)
    seen = 0
    for block in iter_feature_chunks(args.data, names, model.n_features_in_,
                                     is_categorical=model.is_categorical_, **_limits(args)):
        if args.row < seen + len(block):
            row = block[args.row - seen: args.row - seen + 1]
            break
        seen += len(block)
    else:
        raise ValueError(f"{args.data} has {seen} data rows; --row {args.row} is past the end")
    named = _named(row, names)
    # Each feature's bin score: the intercept plus these, left to right, is the decision value.
    scores = np.asarray(model.row_scores(named)[0], dtype=np.float64)
    labels = [printable(name) for name in feature_names(model)]  # escaped before they are padded
    order = sorted(range(len(scores)), key=lambda j: -float(np.max(np.abs(scores[j]))))
    classes = getattr(model, "classes_", None)
    if scores.ndim == 2:
        z = model.decision_function(named)[0]
        proba = softmax(z[None, :])[0]
        odds = ", ".join(f"P({c}) = {p:.6g}" for c, p in zip(classes.tolist(), proba.tolist()))
        _say(out, f"row {args.row}: predicted {classes[int(np.argmax(z))]}; {odds}")
        _say(out, f"  {'':<32s} " + " ".join(f"{printable(c)[:10]:>10s}" for c in classes.tolist()))
        _say(out, f"  {'intercept':<32s} " + " ".join(f"{v:>+10.4g}" for v in model.intercept_.tolist()))
        for j in order:
            _say(out, f"  {labels[j]:<32s} " + " ".join(f"{v:>+10.4g}" for v in scores[j].tolist())
                      + f"   {_value_and_bin(model, row, j)}")
        return
    if classes is None:
        _say(out, f"row {args.row}: prediction {float(model.predict(named)[0]):.6g}")
    else:
        z = float(model.decision_function(named)[0])
        _say(out, f"row {args.row}: decision {z:+.6g}, P({classes[1]}) = {float(sigmoid(z)):.6g}, "
                  f"predicted {classes[int(z > 0)]}")
    _say(out, f"  {'intercept':<32s} {model.intercept_:+.6g}")
    for j in order:
        _say(out, f"  {labels[j]:<32s} {scores[j]:+.6g}   {_value_and_bin(model, row, j)}")


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


_COMMANDS = {"fit": _fit, "predict": _predict, "explain": _explain, "show": _show, "export": _export}


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
