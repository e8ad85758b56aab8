"""Scoring rows with numpy only: which path scores a call.

The contract every scoring path keeps (batch, one row, exported code) is
docs/design.md#scoring-contract: the decision value is ``intercept + score_0[b_0] +
score_1[b_1] + ...`` added in float64, left to right, in feature order, with ``b_j`` the
bin code of docs/design.md#bin-codes. Nothing here imports scipy.

Three implementations keep it, and the tests check that they agree bit for bit:

- :func:`~embedsum.scoring._reference.decision_values_reference`: the plain loop (per
  feature ``np.searchsorted``, a gather, an add), kept as the reference and the benchmark
  baseline;
- :class:`~embedsum.scoring._batch.ScoringTables`: chunked, branch-free, threaded, for many rows;
- :mod:`embedsum.scoring._few_rows`: a pure-Python loop (``bisect`` on the cuts, Python
  floats, which are IEEE float64) for a few rows, where numpy's per-call cost would dominate.

:func:`decision_values` and :func:`class_probabilities` pick one. Nothing is cached: the
model's arrays are read at every call, so a model whose ``cuts_``, ``bin_scores_`` or
``intercept_`` change (reassigned or edited in place) is always scored as it now is. Models
with categorical features or K outputs score their codes through
:func:`~embedsum.scoring._codes.decision_values_of_codes`; the links (sigmoid, softmax) are
in :mod:`embedsum.scoring._links`.

The estimators, the inspection and the command line import the scoring names from here.
"""

from __future__ import annotations

import numpy as np

# Importable from here: the estimators, the inspection and the command line use these names.
from ._codes import (  # noqa: F401
    decision_values_of_codes,
    feature_codes,
    multiclass_scores,
    scoring_tables,
    term_scores,
)
from ._few_rows import (  # noqa: F401
    FEW_ROWS,
    _few_rows_decision,
    _numeric_pair_rows,
    few_rows_mixed_decision,
    few_rows_pair_decision,
)
from ._links import (  # noqa: F401
    FEW_VALUES,
    _few_rows_probabilities,
    probabilities_of_decision_values,
    sigmoid,
    softmax,
)
from .._bins import interval_codes, numeric_n_bins, pair_code
from ._reference import decision_values_reference


MANY_ROWS = 640    # from this many rows on, the chunked kernel repays building its tables


def decision_values(X: np.ndarray, cuts, scores, intercept: float, *, n_threads: int | None = None,
                    pairs=None) -> np.ndarray:
    """Decision values of the rows of a 2-D float64 X.

    Bit for bit :func:`~embedsum.scoring._reference.decision_values_reference`, then, with
    ``pairs`` (``(pairs, pair_cuts, flat tables)`` of numeric axes, see
    :func:`~embedsum.scoring._pairs.numeric_pairs`), each pair's lookup in order
    (docs/design.md#pair-terms). Large inputs are scored in chunks on up to ``n_threads``
    threads (default: every CPU this process may use).

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5], [2.0], [np.nan]])
    >>> decision_values(X, [np.array([1.0])], [np.array([-1.0, 1.0, 0.25])], 0.5).tolist()
    [-0.5, 1.5, 0.75]
    """
    if X.shape[0] <= FEW_ROWS:
        z = _few_rows(X, cuts, scores, intercept, pairs)
        if z is not None:
            return np.array(z, dtype=np.float64)
    elif X.shape[0] >= MANY_ROWS:
        from ._batch import ScoringTables  # loaded with the first large batch (and compiled: 2 ms)

        tables = ScoringTables(cuts, scores, intercept, pairs=pairs)
        if tables.usable and tables.n_features == X.shape[1]:
            return tables.decision_values(X, n_threads=n_threads)
    return _reference(X, cuts, scores, intercept, pairs)


def _few_rows(X, cuts, scores, intercept, pairs):
    if pairs is None:
        return _few_rows_decision(X, cuts, scores, intercept)
    return _numeric_pair_rows(X.tolist(), cuts, scores, float(np.float64(intercept)), *pairs)


def _reference(X, cuts, scores, intercept, pairs) -> np.ndarray:
    """The plain loop, then each pair's lookup in order."""
    z = decision_values_reference(X, cuts, scores, intercept)
    if pairs is not None:
        for (a, b), (cuts_a, cuts_b), table in zip(*pairs):
            z += table[pair_code(interval_codes(cuts_a, X[:, a]), interval_codes(cuts_b, X[:, b]),
                                 numeric_n_bins(len(cuts_b)))]
    return z


def class_probabilities(X: np.ndarray, cuts, scores, intercept: float, *, n_threads: int | None = None,
                        pairs=None) -> np.ndarray:
    """``[P(class 0), P(class 1)]`` of each row of a 2-D float64 X, shape (n_samples, 2).

    Bit for bit ``np.column_stack([sigmoid(-z), sigmoid(z)])`` with ``z`` the
    :func:`decision_values`; large inputs are scored chunk by chunk (no (n, d) temporaries).

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5], [2.0]])
    >>> class_probabilities(X, [np.array([1.0])], [np.array([-1.0, 1.0, 0.25])], 0.0).round(3).tolist()
    [[0.731, 0.269], [0.269, 0.731]]
    """
    n = X.shape[0]
    if n <= FEW_ROWS:
        z = _few_rows(X, cuts, scores, intercept, pairs)
        if z is not None:
            return _few_rows_probabilities(z)
    from ._batch import ScoringTables, probability_buffers, write_probabilities

    if n >= MANY_ROWS:
        tables = ScoringTables(cuts, scores, intercept, pairs=pairs)
        if tables.usable and tables.n_features == X.shape[1]:
            return tables.probabilities(X, n_threads=n_threads)
    z = _reference(X, cuts, scores, intercept, pairs)
    out = np.empty((n, 2))
    write_probabilities(z, out, probability_buffers(n))
    return out
