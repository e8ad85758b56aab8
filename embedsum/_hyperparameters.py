"""The hyperparameters every embedding-sum estimator shares, written once.

One row per hyperparameter: its name, its default, the constraint a value must meet, a
one-line description and whether it is a plain number (saved as a JSON number; see
docs/design.md#persistence-format). The estimators check their values with
:func:`check_hyperparameters`; the loader of saved models takes its parameter lists and
checks from here without importing the estimators; the cross-validated estimators pass
these parameters on to the estimator each candidate fits. The estimators' ``__init__``
signatures stay explicit (scikit-learn reads them); a test checks that their defaults and
docstrings agree with this table.

Example
-------
>>> HYPERPARAMETERS["max_bins"].default, HYPERPARAMETERS["max_bins"].default_cv
(20, 64)
>>> check_hyperparameters({"max_bins": 1})
Traceback (most recent call last):
...
ValueError: max_bins must be >= 2, got 1
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from ._validation import MAX_BINS


class Hyperparameter(NamedTuple):
    """One shared hyperparameter.

    ``kind`` is the constraint: ``"integer"`` or ``"number"`` (finite, at least ``low``; above
    it when ``low_inclusive`` is False; at most ``high`` when given), ``"choice"`` (a str among
    ``choices``, or None when None is one of them), ``"bool"`` (True or False), ``"regularizers"``
    (None or objects with a ``name`` and a ``value_gradient``), or ``"resolved at fit"``
    (checked against the data by fit). ``default_regressor`` is the plain regressor's default
    (the published method is a classifier: the regressor's defaults are ours), ``default_cv``
    the cross-validated estimators'; ``since_format`` the first format_version of saved models
    that stores it.

    Example
    -------
    >>> HYPERPARAMETERS["tol"].kind, HYPERPARAMETERS["tol"].low_inclusive, HYPERPARAMETERS["tol"].is_number
    ('number', False, True)
    """

    name: str
    default: Any
    kind: str
    doc: str
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    default_cv: Any = None
    since_format: int = 1
    default_regressor: Any = None
    choices: tuple = ()

    @property
    def is_number(self) -> bool:
        """Whether a value is a plain number (an int or a float)."""
        return self.kind in ("integer", "number")


def _row(name, default, kind, doc, **constraint) -> Hyperparameter:
    constraint.setdefault("default_cv", default)  # the same default unless stated
    constraint.setdefault("default_regressor", default)
    return Hyperparameter(name, default, kind, doc, **constraint)


# In the order of the estimators' signatures (the cross-validated ones replace
# step_loss_weight by a grid of them).
_ROWS = (
    _row("max_bins", 20, "integer", "Quantiles that propose the cut points of each feature.",
         low=2, high=MAX_BINS, default_cv=64),
    # The regressor's 0.3 (its loss is in units of y's standard deviation): at 0.01, 20 bins of 10
    # features overfit 310 rows of the diabetes data to a held-out R^2 below 0 (bench_accuracy.py);
    # 0.3 keeps it above 0.1 on two splits (tests/test_regressor.py) and still draws a clean step sharply.
    _row("step_loss_weight", 0.01, "number",
         "Weight of the mean squared difference between neighbouring bins (smoothness).", low=0,
         default_regressor=0.3),
    _row("embedding_sum_loss_weight", 0.01, "number",
         "Weight of the mean squared training-weighted mean of each shape function.", low=0),
    _row("l2", 0.0, "number", "Weight of the mean squared bin score.", low=0),
    _row("regularizers", None, "regularizers",
         "Extra regularisers (see :mod:`embedsum.training._regularizers`), added to the three above."),
    _row("max_iter", 1000, "integer", "Most L-BFGS-B iterations.", low=1),
    _row("tol", 1e-6, "number", "Stop when the largest component of the gradient is below this.",
         low=0, low_inclusive=False, default_cv=1e-4),
    _row("verbose", 0, "integer", "1 prints one line every 10 iterations.", low=0),
    _row("categorical_features", "auto", "resolved at fit", "Which features are categorical.",
         since_format=2),
    _row("min_category_count", 10, "integer",
         "A category seen fewer times in training (rows counted with their sample weights) shares the "
         "\"other\" bin.", low=1, since_format=2),
    _row("monotonic_cst", None, "resolved at fit",
         "Per feature (or by column name): +1 the score never decreases from one interval bin to the next, "
         "-1 it never increases, 0 no constraint.", since_format=2),
    # The plain estimators keep the published quantile cuts; the cross-validated ones, whose
    # step loss is tuned to the bins, take the adaptive cuts (docs/design.md#bin-codes).
    _row("binning", "quantile", "choice",
         "How the cut points of each numeric feature are chosen: \"quantile\" (the published quantile cuts) "
         "or \"adaptive\" (a bin for each heavy value, quantiles of the rest; see :mod:`embedsum.binning._adaptive`).",
         choices=("quantile", "adaptive"), default_cv="adaptive", since_format=3),
    _row("min_bin_count", 5, "integer",
         "With binning=\"adaptive\", the fewest rows (counted with their sample weights) of an interval bin; "
         "unused with \"quantile\".", low=1, since_format=3),
    # Off by default: nothing is computed or stored (docs/design.md#uncertainty).
    _row("uncertainty", False, "bool",
         "Whether fit also computes standard errors, feature tests and the covariance behind decision_interval.",
         since_format=4),
    # None by default: the published objective (docs/design.md#fairness-constraints).
    _row("fairness", None, "choice",
         "A disparity bounded on the training rows, between the groups of fit's sensitive_features.",
         choices=(None, "demographic_parity", "equal_opportunity"), since_format=4),
    _row("fairness_tolerance", 0.05, "number",
         "With fairness, the largest difference allowed between two groups' means.", low=0, since_format=4),
    # 0 by default: the published objective (docs/design.md#categorical-features).
    _row("category_weight", 0.0, "number",
         "Each category's score is pulled to its feature's mean (0) as strongly as ``category_weight`` times "
         "the step loss pulls two neighbouring bins together; 0 leaves categories unshrunk (published).",
         low=0, since_format=5),
    # 0 by default: the published model of main effects only (docs/design.md#pair-terms).
    _row("interactions", 0, "resolved at fit",
         "Pair terms (docs/design.md#pair-terms): an int n fits the main effects, ranks every pair of features "
         "on their residuals (FAST) and adds at most n pairs that gain; a list of pairs ``(i, j)`` (indices, "
         "or names with a DataFrame) gives them.", default_cv=32, since_format=5),
    _row("interaction_bins", 16, "integer",
         "Most interval bins of a numeric feature's axis in a pair table (cut as ``binning`` says); a "
         "categorical axis keeps its feature's categories.", low=2, high=MAX_BINS, since_format=5),
    _row("interaction_weight", 1.0, "number",
         "Strength of the ridge on the pair tables' cells: each cell is pulled to 0 as strongly as "
         "``interaction_weight`` times the step loss pulls two neighbouring bins together.",
         low=0, since_format=5),
)
HYPERPARAMETERS: dict[str, Hyperparameter] = {row.name: row for row in _ROWS}


def check_number(name: str, value, *, low, integer: bool = False, low_inclusive: bool = True, high=None) -> None:
    """Raise ValueError unless ``value`` is a finite number (an integer if asked) within the bounds.

    Example
    -------
    >>> check_number("tol", 0.0, low=0, low_inclusive=False)
    Traceback (most recent call last):
    ...
    ValueError: tol must be > 0, got 0.0
    """
    kinds = (numbers.Integral,) if integer else (numbers.Real,)
    if isinstance(value, bool) or not isinstance(value, kinds) or not np.isfinite(value):
        kind = "an integer" if integer else "a finite number"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    if value < low or (value == low and not low_inclusive):
        sign = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {sign} {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")


def check_hyperparameters(values: dict) -> None:
    """Check the shared hyperparameters in ``values`` (name -> value) against the table, in its order.

    ``categorical_features`` and ``monotonic_cst`` are resolved against the data at fit.

    Example
    -------
    >>> check_hyperparameters({"l2": 0.5, "regularizers": [object()]})
    Traceback (most recent call last):
    ...
    TypeError: regularizers must have a 'name' and a 'value_gradient(coef, layout)' method; got <object object at ...>
    """
    for name, row in HYPERPARAMETERS.items():
        if name not in values:
            continue
        value = values[name]
        if row.is_number:
            check_number(name, value, low=row.low, integer=row.kind == "integer", low_inclusive=row.low_inclusive,
                         high=row.high)
        elif row.kind == "choice":
            if not ((value is None and None in row.choices) or (isinstance(value, str) and value in row.choices)):
                raise ValueError(f"{name} must be one of {list(row.choices)}, got {value!r}")
        elif row.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {value!r}")
        elif row.kind == "regularizers":
            for reg in value or ():
                if not (hasattr(reg, "value_gradient") and hasattr(reg, "name")):
                    raise TypeError(f"regularizers must have a 'name' and a 'value_gradient(coef, layout)' "
                                    f"method; got {reg!r}")
