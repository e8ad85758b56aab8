"""The arguments of the ``embedsum`` command: its parser, the types of its options, usage errors.

A usage error (a bad value, or arguments that contradict each other: :class:`_UsageError`)
exits with status 2 and one line on stderr, its control characters escaped.
"""

from __future__ import annotations

import argparse
import sys

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
    fit.add_argument("--binning", choices=["quantile", "adaptive"], default=None,
                     help="how numeric columns are cut: quantile (the published cuts; the default) or adaptive "
                          "(a bin for each heavy value, such as the zero of a mostly-zero column; the default "
                          "with --step-loss-weight auto)")
    fit.add_argument("--min-bin-count", type=int, default=5,
                     help="with --binning adaptive, the fewest rows of a numeric bin (default 5)")
    fit.add_argument("--step-loss-weight", type=_weight_or_auto, default=None,
                     help="a number (default 0.01 as published for a classifier, 0.3 for a regressor) or 'auto' "
                          "(recommended): chosen by cross-validation (EmbeddingSumClassifierCV, or "
                          "EmbeddingSumRegressorCV)")
    fit.add_argument("--cv", type=int, default=5, help="folds of --step-loss-weight auto (default 5)")
    fit.add_argument("--embedding-sum-loss-weight", type=float, default=0.01)
    fit.add_argument("--l2", type=float, default=0.0)
    fit.add_argument("--max-iter", type=int, default=1000)
    fit.add_argument("--tol", type=float, default=None, help="default 1e-6; 1e-4 with --step-loss-weight auto")
    fit.add_argument("--interactions", type=_non_negative_int, default=None, metavar="N",
                     help="at most N pairs of features with a 2-D table each, chosen on the main effects' "
                          "residuals (default 0; 32 with --step-loss-weight auto, kept only when they win "
                          "the cross-validation)")
    fit.add_argument("--interaction-bins", type=_positive_int, default=None, metavar="BINS",
                     help="bins of a numeric axis of a pair's table (default 16)")
    fit.add_argument("--uncertainty", action="store_true",
                     help="also compute standard errors and per-feature tests (saved with the model; "
                          "'embedsum show' prints them)")
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

    audit = commands.add_parser(
        "audit", help="per-group report of a model on a CSV file (rates, errors, intervals) in 80 columns",
        description="Per-group metrics of a saved model on a CSV file, each group beside the reference group, "
                    "with bootstrap intervals (see embedsum.audit.group_report).")
    audit.add_argument("model")
    audit.add_argument("data", help="CSV file with a header holding the model's feature columns and --group")
    audit.add_argument("--group", required=True, help="name of the column that defines the groups")
    audit.add_argument("--target", help="name of the true label (or value) column; without it, only the "
                                        "mean probability and the selection rate are reported")
    audit.add_argument("--threshold", type=_probability, default=0.5,
                       help="a row is selected when P(positive class) > threshold (default 0.5)")
    audit.add_argument("--reference", help="the reference group (default: the largest)")
    audit.add_argument("--bootstrap", type=_non_negative_int, default=200,
                       help="bootstrap resamples per group for the intervals (default 200; 0 for none)")
    audit.add_argument("--seed", type=_non_negative_int, default=0, help="seed of the resamples (default 0)")
    _add_limits(audit)

    recourse = commands.add_parser(
        "recourse", help="the cheapest changes of one row that reverse its decision (exact)",
        description="The fewest feature changes that give one row of a CSV file the other class of a binary "
                    "model (see embedsum.audit.counterfactuals).")
    recourse.add_argument("model")
    recourse.add_argument("data")
    recourse.add_argument("--row", type=_non_negative_int, required=True,
                          help="data row (0 = first row after the header)")
    recourse.add_argument("--immutable", type=_column_names, default=None, metavar="NAMES",
                          help="comma-separated features that may not change")
    recourse.add_argument("--target", help="the class sought (default: the class the row does not get)")
    recourse.add_argument("--k", type=_positive_int, default=3, help="how many diverse changes to list (default 3)")
    recourse.add_argument("--threshold", type=_probability, default=0.5,
                          help="the row gets the positive class when its probability > threshold (default 0.5)")
    _add_limits(recourse)

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


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability strictly between 0 and 1, got {text!r}")
    return value


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


def _limits(args) -> dict:
    return {"max_line_bytes": args.max_line_bytes, "max_field_bytes": args.max_field_bytes}
