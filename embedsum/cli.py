"""Command line: ``python -m embedsum`` and the ``embedsum`` console script.

Exit status: 0 on success, 2 on usage errors (argparse), 1 on data or model errors,
with a one-line message on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``embedsum`` command.

    Example
    -------
    >>> build_parser().parse_args(["predict", "model.json", "events.csv"]).command
    'predict'
    """
    parser = argparse.ArgumentParser(prog="embedsum", description="Interpretable step-function classifiers.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="train on the bundled breast cancer data and report test quality")
    demo.add_argument("--seed", type=int, default=0, help="seed of the 70/30 split (default 0)")
    demo.add_argument("--top", type=int, default=10, help="how many features to list (default 10)")

    fit = commands.add_parser("fit", help="fit a model on a CSV file with a header and save it as JSON")
    fit.add_argument("data", help="CSV file with a header; empty cells and NA are missing values")
    fit.add_argument("--target", required=True, help="name of the label column")
    fit.add_argument("-o", "--output", required=True, help="where to write the model (JSON)")
    fit.add_argument("--max-bins", type=int, default=None, help="default 20; 64 with --step-loss-weight auto")
    fit.add_argument("--step-loss-weight", type=_weight_or_auto, default=0.01,
                     help="a number (default 0.01, as published) or 'auto' (recommended): chosen by "
                          "cross-validation (EmbeddingSumClassifierCV)")
    fit.add_argument("--cv", type=int, default=5, help="folds of --step-loss-weight auto (default 5)")
    fit.add_argument("--embedding-sum-loss-weight", type=float, default=0.01)
    fit.add_argument("--l2", type=float, default=0.0)
    fit.add_argument("--max-iter", type=int, default=1000)
    fit.add_argument("--tol", type=float, default=None, help="default 1e-6; 1e-4 with --step-loss-weight auto")
    fit.add_argument("--quiet", action="store_true", help="no progress lines")

    predict = commands.add_parser("predict", help="score a CSV file, streaming it in chunks")
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


def _fit(args, out) -> None:
    from .csvio import read_training_csv
    from .persistence import save

    X, y, names = read_training_csv(args.data, args.target)
    common = dict(embedding_sum_loss_weight=args.embedding_sum_loss_weight, l2=args.l2, max_iter=args.max_iter)
    if args.step_loss_weight == "auto":
        from .cross_validation import EmbeddingSumClassifierCV

        # Its own defaults for bins and tol where none are given; quiet: it fits cv x 8 models.
        tuned = {k: v for k, v in (("max_bins", args.max_bins), ("tol", args.tol)) if v is not None}
        model = EmbeddingSumClassifierCV(cv=args.cv, **tuned, **common)
    else:
        from .estimator import EmbeddingSumClassifier

        model = EmbeddingSumClassifier(
            max_bins=20 if args.max_bins is None else args.max_bins,
            step_loss_weight=args.step_loss_weight,
            tol=1e-6 if args.tol is None else args.tol,
            verbose=0 if args.quiet else 1,
            **common,
        )
    model.fit(_NamedColumns(X, names), y)
    save(model, args.output)
    if not args.quiet:
        chosen = ""
        if hasattr(model, "step_loss_weight_"):
            chosen = f"; step_loss_weight {model.step_loss_weight_:.4g} chosen by {args.cv}-fold cross-validation"
        print(f"fitted {X.shape[0]} rows x {X.shape[1]} features in {model.n_iter_} iterations{chosen}; "
              f"wrote {args.output}", file=out)


class _NamedColumns:
    """A 2-D array with column names: what embedsum reads from a DataFrame (duck typing)."""

    def __init__(self, values, columns):
        self.values, self.columns = values, list(columns)

    def to_numpy(self):
        return self.values


def _predict(args, out) -> None:
    import numpy as np

    from .persistence import load
    from .scoring import sigmoid

    model = load(args.model)
    names = getattr(model, "feature_names_in_", None)
    target = open(args.output, "w", encoding="utf-8", newline="") if args.output else out
    try:
        target.write(f"proba_{model.classes_[1]},label\n")
        from .csvio import iter_feature_chunks

        for block in iter_feature_chunks(args.data, names, model.n_features_in_, args.chunk_rows):
            z = model.decision_function(block if names is None else _NamedColumns(block, names))
            proba = sigmoid(z)
            labels = model.classes_[(z > 0).astype(np.intp)]
            target.write("".join(f"{p!r},{label}\n" for p, label in zip(proba.tolist(), labels.tolist())))
    finally:
        if target is not out:
            target.close()


def _explain(args, out) -> None:
    from .csvio import iter_feature_chunks
    from .describe import bin_labels
    from .explain import contributions, feature_names
    from .persistence import load
    from .scoring import sigmoid

    model = load(args.model)
    names = getattr(model, "feature_names_in_", None)
    if args.row < 0:
        raise ValueError(f"--row must be >= 0, got {args.row}")
    seen = 0
    for block in iter_feature_chunks(args.data, names, model.n_features_in_):
        if args.row < seen + len(block):
            row = block[args.row - seen: args.row - seen + 1]
            break
        seen += len(block)
    else:
        raise ValueError(f"{args.data} has {seen} data rows; --row {args.row} is past the end")
    from .digitizer import bin_codes

    named = row if names is None else _NamedColumns(row, names)
    contrib = contributions(model, named)[0]
    z = float(model.decision_function(named)[0])
    labels = feature_names(model)
    print(f"row {args.row}: decision {z:+.6g}, P({model.classes_[1]}) = {float(sigmoid(z)):.6g}, "
          f"predicted {model.classes_[int(z > 0)]}", file=out)
    print(f"  {'intercept':<32s} {model.intercept_:+.6g}", file=out)
    for j in sorted(range(len(contrib)), key=lambda j: -abs(contrib[j])):
        where = bin_labels(model.cuts_[j])[int(bin_codes(row[:, j], model.cuts_[j])[0])]
        print(f"  {labels[j]:<32s} {contrib[j]:+.6g}   value {row[0, j]:g} in {where}", file=out)


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
