"""The ``predict`` command: score a CSV in chunks and write one CSV line per row.

Text cells that a spreadsheet would run as a formula get a leading ``'`` unless
``--no-neutralize-formulas`` is given.
"""

from __future__ import annotations

from ._arguments import _limits
from ._named_columns import _named
from ._safe_output import _output_file, _refuse_overwriting_inputs


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

    from ..inspection._kinds import _label
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
