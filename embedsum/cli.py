"""Command line: ``python -m embedsum`` and the ``embedsum`` console script.

``fit`` reads a CSV (text columns become categorical features, see :mod:`embedsum.csvio`),
trains a binary or multiclass classifier or a regressor (``--task``, detected from the
target by default) and saves it; ``predict``, ``explain``, ``show`` and ``export`` work
on a saved model of any kind.

Exit status: 0 on success, 2 on usage errors (argparse), 1 on data or model errors,
with a one-line message on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys

from .csvio import MAX_AUTO_CLASSES

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``embedsum`` command.

    Example
    -------
    >>> build_parser().parse_args(["predict", "model.json", "events.csv"]).command
    'predict'
    """
    parser = argparse.ArgumentParser(
        prog="embedsum",
        description="Interpretable step-function models: binary or multiclass classification, and regression.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="train on the bundled breast cancer data and report test quality")
    demo.add_argument("--seed", type=int, default=0, help="seed of the 70/30 split (default 0)")
    demo.add_argument("--top", type=int, default=10, help="how many features to list (default 10)")

    fit = commands.add_parser("fit", help="fit a model on a CSV file with a header and save it as JSON")
    fit.add_argument("data", help="CSV file with a header; empty cells and NA are missing values; "
                                  "columns of text are categorical features")
    fit.add_argument("--target", required=True, help="name of the label (or value) column")
    fit.add_argument("-o", "--output", required=True, help="where to write the model (JSON)")
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

    predict = commands.add_parser(
        "predict", help="score a CSV file, streaming it in chunks",
        description="Write one line per data row: proba_<class> for each class (one column with two classes) "
                    "then label, for a classifier; prediction, for a regressor.")
    predict.add_argument("model", help="model file written by 'embedsum fit' or model.save()")
    predict.add_argument("data", help="CSV file with a header holding the model's feature columns")
    predict.add_argument("-o", "--output", help="CSV to write (default: standard output)")
    predict.add_argument("--chunk-rows", type=int, default=65536, help="rows read at a time (default 65536)")

    explain = commands.add_parser("explain", help="one row's contributions, largest first")
    explain.add_argument("model")
    explain.add_argument("data")
    explain.add_argument("--row", type=int, required=True, help="data row to explain (0 = first row after the header)")

    show = commands.add_parser("show", help="describe a model: features by importance and their step functions")
    show.add_argument("model")
    show.add_argument("--top", type=int, default=None, help="only the most important features")

    export = commands.add_parser("export", help="write the model as standalone Python or C source")
    export.add_argument("model")
    export.add_argument("--lang", choices=["python", "c"], required=True)
    export.add_argument("-o", "--output", required=True)
    export.add_argument("--prefix", default="embedsum", help="C identifier prefix (default embedsum)")
    return parser


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
        from .regressor import EmbeddingSumRegressor as estimator
    else:
        from .estimator import EmbeddingSumClassifier as estimator
    return estimator(
        max_bins=20 if args.max_bins is None else args.max_bins,
        step_loss_weight=args.step_loss_weight,
        tol=1e-6 if args.tol is None else args.tol,
        verbose=0 if args.quiet else 1,
        **options,
    )


def _cv_estimator(args, data, options):
    from .cross_validation import EmbeddingSumClassifierCV, EmbeddingSumRegressorCV

    estimator = EmbeddingSumRegressorCV if data.task == "regression" else EmbeddingSumClassifierCV
    # Its own defaults for bins and tol where none are given; quiet: it fits cv x 8 models.
    tuned = {k: v for k, v in (("max_bins", args.max_bins), ("tol", args.tol)) if v is not None}
    return estimator(cv=args.cv, **tuned, **options)


def _kind(model) -> str:
    classes = getattr(model, "classes_", None)
    if classes is None:
        return "regressor"
    return "binary classifier" if len(classes) == 2 else f"{len(classes)}-class classifier"


def _fit(args, out) -> None:
    from .csvio import read_training_csv
    from .persistence import save

    data = read_training_csv(args.data, args.target, task=args.task, categorical=args.categorical)
    if args.monotonic_cst is not None:
        _check_monotonic(args.monotonic_cst, data)
    model = _estimator(args, data)
    model.fit(_NamedColumns(data.X, data.feature_names), data.y)
    save(model, args.output)
    if not args.quiet:
        n, d = data.X.shape
        detected = " (detected from the target)" if args.task == "auto" else ""
        n_categorical = int(data.is_categorical.sum())
        categorical = f" ({n_categorical} categorical)" if n_categorical else ""
        chosen = ""
        if hasattr(model, "step_loss_weight_"):
            chosen = f"; step_loss_weight {model.step_loss_weight_:.4g} chosen by {args.cv}-fold cross-validation"
        print(f"fitted a {_kind(model)}{detected} on {n} rows x {d} features{categorical} in {model.n_iter_} "
              f"iterations{chosen}; wrote {args.output}", file=out)


def _csv_cell(text: str) -> str:
    """``text`` as one CSV field (quoted when it holds a comma, a quote or a line break)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([text])
    return buffer.getvalue()


def _prediction_writer(model):
    """``(header line, function from a block to its output lines)`` for the model's kind."""
    import numpy as np

    from .scoring import sigmoid, softmax

    classes = getattr(model, "classes_", None)
    if classes is None:
        return "prediction\n", lambda X: "".join(f"{v!r}\n" for v in model.predict(X).tolist())
    labels = [_csv_cell(str(c)) for c in classes.tolist()]
    if len(classes) == 2:
        def lines(X):
            z = model.decision_function(X)
            return "".join(f"{p!r},{labels[k]}\n" for p, k in zip(sigmoid(z).tolist(), (z > 0).tolist()))

        return f"{_csv_cell('proba_' + str(classes[1]))},label\n", lines

    def lines(X):
        z = model.decision_function(X)
        # argmax of the decision values: what model.predict returns.
        return "".join(",".join(map(repr, p)) + f",{labels[k]}\n"
                       for p, k in zip(softmax(z).tolist(), np.argmax(z, axis=1).tolist()))

    header = ",".join(_csv_cell(f"proba_{c}") for c in classes.tolist()) + ",label\n"
    return header, lines


def _predict(args, out) -> None:
    from .csvio import iter_feature_chunks
    from .persistence import load

    model = load(args.model)
    names = getattr(model, "feature_names_in_", None)
    header, lines = _prediction_writer(model)
    blocks = iter_feature_chunks(args.data, names, model.n_features_in_, args.chunk_rows,
                                 model.is_categorical_)
    target = open(args.output, "w", encoding="utf-8", newline="") if args.output else out
    try:
        target.write(header)
        for block in blocks:
            target.write(lines(_named(block, names)))
    finally:
        if target is not out:
            target.close()


def _value_and_bin(model, row, j: int) -> str:
    """How the explain command shows feature j's value in a row and the bin it falls in."""
    import numpy as np

    value = row[0, j]
    categories = model.categories_[j]
    if categories is None:
        from .describe import bin_labels
        from .digitizer import bin_codes

        code = int(bin_codes(np.array([value], dtype=np.float64), model.cuts_[j])[0])
        shown = "missing" if np.isnan(value) else f"{value:g}"
        return f"value {shown} in {bin_labels(model.cuts_[j])[code]}"
    from .categories import encode_categories

    m = len(categories)
    code = int(encode_categories(row[:, j], categories, model.rare_categories_[j], j)[0])
    if code == m + 1:
        return "value missing"
    where = {m: "rare in training: the 'other' bin", m + 2: "never seen in training: the neutral score"}
    return f"value {str(value)!r}" + (f" ({where[code]})" if code in where else "")


def _explain(args, out) -> None:
    import numpy as np

    from .csvio import iter_feature_chunks
    from .explain import feature_names
    from .persistence import load
    from .scoring import sigmoid, softmax

    model = load(args.model)
    names = getattr(model, "feature_names_in_", None)
    if args.row < 0:
        raise ValueError(f"--row must be >= 0, got {args.row}")
    seen = 0
    for block in iter_feature_chunks(args.data, names, model.n_features_in_,
                                     is_categorical=model.is_categorical_):
        if args.row < seen + len(block):
            row = block[args.row - seen: args.row - seen + 1]
            break
        seen += len(block)
    else:
        raise ValueError(f"{args.data} has {seen} data rows; --row {args.row} is past the end")
    named = _named(row, names)
    # Each feature's bin score: the intercept plus these, left to right, is the decision value.
    scores = np.asarray(model.row_scores(named)[0], dtype=np.float64)
    labels = feature_names(model)
    order = sorted(range(len(scores)), key=lambda j: -float(np.max(np.abs(scores[j]))))
    classes = getattr(model, "classes_", None)
    if scores.ndim == 2:
        z = model.decision_function(named)[0]
        proba = softmax(z[None, :])[0]
        odds = ", ".join(f"P({c}) = {p:.6g}" for c, p in zip(classes.tolist(), proba.tolist()))
        print(f"row {args.row}: predicted {classes[int(np.argmax(z))]}; {odds}", file=out)
        print(f"  {'':<32s} " + " ".join(f"{str(c)[:10]:>10s}" for c in classes.tolist()), file=out)
        print(f"  {'intercept':<32s} " + " ".join(f"{v:>+10.4g}" for v in model.intercept_.tolist()), file=out)
        for j in order:
            print(f"  {labels[j]:<32s} " + " ".join(f"{v:>+10.4g}" for v in scores[j].tolist())
                  + f"   {_value_and_bin(model, row, j)}", file=out)
        return
    if classes is None:
        print(f"row {args.row}: prediction {float(model.predict(named)[0]):.6g}", file=out)
    else:
        z = float(model.decision_function(named)[0])
        print(f"row {args.row}: decision {z:+.6g}, P({classes[1]}) = {float(sigmoid(z)):.6g}, "
              f"predicted {classes[int(z > 0)]}", file=out)
    print(f"  {'intercept':<32s} {model.intercept_:+.6g}", file=out)
    for j in order:
        print(f"  {labels[j]:<32s} {scores[j]:+.6g}   {_value_and_bin(model, row, j)}", file=out)


def _show(args, out) -> None:
    from .describe import describe
    from .persistence import load

    print(describe(load(args.model), top=args.top), file=out)


def _export(args, out) -> None:
    from . import export
    from .persistence import load

    model = load(args.model)
    source = export.to_python(model) if args.lang == "python" else export.to_c(model, prefix=args.prefix)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write(source)


def main(argv=None) -> int:
    """Run the command line; returns the exit status.

    Example
    -------
    >>> main(["show", "no-such-model.json"])  # doctest: +SKIP
    embedsum: error: ...
    1
    """
    args = build_parser().parse_args(argv)
    out = sys.stdout
    try:
        if args.command == "demo":
            from .demo import run_demo

            run_demo(top=args.top, seed=args.seed)
        else:
            {"fit": _fit, "predict": _predict, "explain": _explain, "show": _show, "export": _export}[args.command](
                args, out
            )
    except (ValueError, TypeError, OSError) as err:
        print(f"embedsum: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
