"""The bin score of each feature for validated rows, and their decision values, as the model scores them.

Both come from the scoring contract (docs/design.md#scoring-contract): each feature's code
(:func:`~embedsum.scoring._decision.feature_codes`, through the model), its table
(:func:`~embedsum.scoring._decision.scoring_tables`), and, for the decision values, the one
codes -> decision function :func:`~embedsum.scoring._decision.decision_values_of_codes`: the
intercept plus the scores, left to right, bit for bit the model's own.
"""

from __future__ import annotations

import numpy as np

from ..scoring._decision import decision_values_of_codes, term_scores


def _numeric_part(data) -> np.ndarray:
    """The float64 (n, d) part of validated rows; categorical columns there are NaN."""
    return data if isinstance(data, np.ndarray) else data[0]


def _codes_and_tables(model, data) -> tuple[list, list]:
    """Each term's codes for validated rows (the features', then the pairs'), and the tables those codes index."""
    return model._terms(data)


def _scores_of(model, data) -> np.ndarray:
    """Bin scores of already validated rows ((n, d) array or ``(numeric, columns)``):
    what ``model.row_scores`` returns, for rows built here (baseline points)."""
    return term_scores(*_codes_and_tables(model, data))


def _decision_of(model, data) -> np.ndarray:
    """Decision values of validated rows, (n,) or (n, K): ``intercept_`` plus :func:`_scores_of`'s
    columns added left to right, the model's ``decision_function`` bit for bit."""
    codes, tables = _codes_and_tables(model, data)
    return decision_values_of_codes(codes, tables, model.intercept_)
