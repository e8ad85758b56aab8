"""The ``fit`` command: read a training CSV, fit the estimator the options and the data ask for, save it."""

from __future__ import annotations

from ._arguments import _limits, _UsageError
from ._named_columns import _NamedColumns
from ._safe_output import _output_file, _refuse_overwriting_inputs, _say


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
                   monotonic_cst=monotonic, min_bin_count=args.min_bin_count, uncertainty=args.uncertainty)
    # Pair terms (docs/design.md#pair-terms): the estimator's own defaults unless given.
    options.update({k: v for k, v in (("interactions", args.interactions), ("interaction_bins", args.interaction_bins))
                    if v is not None})
    if args.step_loss_weight == "auto":
        return _cv_estimator(args, data, options)
    if data.task == "regression":
        from ..estimators._regressor import EmbeddingSumRegressor as estimator
    else:
        from ..estimators._classifier import EmbeddingSumClassifier as estimator
    if args.step_loss_weight is not None:  # else the estimator's own default (the regressor's differs)
        options["step_loss_weight"] = args.step_loss_weight
    return estimator(
        max_bins=20 if args.max_bins is None else args.max_bins,
        binning="quantile" if args.binning is None else args.binning,
        tol=1e-6 if args.tol is None else args.tol,
        verbose=0 if args.quiet else 1,
        **options,
    )


def _cv_estimator(args, data, options):
    from ..estimators._cv import EmbeddingSumClassifierCV, EmbeddingSumRegressorCV

    estimator = EmbeddingSumRegressorCV if data.task == "regression" else EmbeddingSumClassifierCV
    # Its own defaults for bins, binning and tol where none are given; quiet: it fits cv x 8 models.
    tuned = {k: v for k, v in (("max_bins", args.max_bins), ("binning", args.binning), ("tol", args.tol))
             if v is not None}
    return estimator(cv=args.cv, **tuned, **options)


def _kind(model) -> str:
    classes = getattr(model, "classes_", None)
    if classes is None:
        return "regressor"
    return "binary classifier" if len(classes) == 2 else f"{len(classes)}-class classifier"


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
        pairs = len(getattr(model, "pairs_", None) or ())
        terms = f" and {pairs} pair{'s' * (pairs != 1)}" if pairs else ""
        _say(out, f"fitted a {_kind(model)}{detected} on {n} rows x {d} features{categorical}{terms} in "
                  f"{model.n_iter_} iterations{chosen}; wrote {args.output}")
