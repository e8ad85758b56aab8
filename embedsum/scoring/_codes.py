"""From bin codes to decision values: the one function of the scoring contract.

A model is an intercept plus terms; a term is a table of scores indexed by a bin code.
Today every term is a main effect, term ``j`` of feature ``j``, indexed by the feature's
codes (docs/design.md#bin-codes). :func:`decision_values_of_codes` states
docs/design.md#scoring-contract once: ``z = intercept``, then ``z = z + table_t[code_t]``
for each term ``t`` in term order, left to right. The estimators, the inspection and the
training code all score codes through it, so they cannot disagree on the order of the
additions.

A term over a pair of features (docs/design.md#pair-terms) is a local addition: its code
is the joint code ``code_a * n_b + code_b`` and its table the pair's 2-D table read row
by row (``table_2d.reshape(n_a * n_b, ...)``), so that ``table[code]`` is
``table_2d[code_a, code_b]``; both are appended to the lists after the main effects, and
nothing here changes.
"""

from __future__ import annotations

import numpy as np

from ..binning._digitizer import bin_codes
from ._links import FEW_VALUES, _softmax_lists, _SoftmaxScratch


_CHUNK_VALUES = 2**16  # values per chunk of the multiclass scores: 512 KiB per temporary


def decision_values_of_codes(codes, tables, intercept, *, out: np.ndarray | None = None) -> np.ndarray:
    """``intercept + tables[0][codes[0]] + tables[1][codes[1]] + ...``, added left to right.

    The decision value of docs/design.md#scoring-contract from bin codes: one term at a
    time, in term order (the main effects in feature order; see the module docstring for
    pairs), each added to the running float64 sum, never reordered.

    Parameters
    ----------
    codes : sequence of integer arrays of length n, one per term
        A main effect's codes are its feature's bin codes (:func:`feature_codes`; for a
        (n, d) array of codes such as :meth:`embedsum.Digitizer.transform`'s, pass its
        transpose).
    tables : sequence of float64 arrays, one per term
        Shape (bins,) for one output, (bins, K) for K outputs; a categorical feature's
        table ends with its unseen score (:func:`scoring_tables`).
    intercept : float or array of shape (K,)
    out : array of shape (n,) or (n, K), optional
        Where to write the result (a new array if omitted).

    Returns
    -------
    ndarray of shape (n,) for one output, (n, K) for K outputs.

    Example
    -------
    >>> decision_values_of_codes([np.array([1, 0])], [np.array([1.0, 2.0])], 0.5).tolist()
    [2.5, 1.5]
    >>> decision_values_of_codes([np.array([1, 0])], [np.array([[1.0, 0.0], [2.0, 0.0]])], [0.5, 0.0]).tolist()
    [[2.5, 0.0], [1.5, 0.0]]
    """
    intercept = np.asarray(intercept, dtype=np.float64)
    if out is None:
        out = np.empty((len(codes[0]) if codes else 0,) + intercept.shape)
    out[...] = intercept
    for table, term_codes in zip(tables, codes):  # term order: left to right
        out += table[term_codes]
    return out


def multiclass_scores(codes, tables, intercept, *, probabilities: bool = False) -> np.ndarray:
    """Decision values (or their softmax) of a K-output model from bin codes, shape (n, K).

    :func:`decision_values_of_codes`, chunk by chunk of rows whose temporaries hold about
    ``_CHUNK_VALUES`` values each: the extra memory is a few MiB whatever the number of
    classes K, besides the (n, K) result. With ``probabilities``, each chunk's softmax
    (:func:`~embedsum.scoring._links.softmax`) is taken in place.

    Example
    -------
    >>> import numpy as np
    >>> codes, tables = [np.array([1, 0])], [np.array([[1.0, 0.0], [2.0, 0.0]])]
    >>> multiclass_scores(codes, tables, np.array([0.5, 0.0])).tolist()
    [[2.5, 0.0], [1.5, 0.0]]
    >>> multiclass_scores(codes, tables, np.zeros(2), probabilities=True).round(3).tolist()
    [[0.881, 0.119], [0.731, 0.269]]
    """
    intercept = np.asarray(intercept, dtype=np.float64)
    k = len(intercept)
    n = len(codes[0]) if codes else 0
    out = np.empty((n, k))
    if n == 0:
        return out
    rows = max(1, min(n, _CHUNK_VALUES // max(k, 1)))
    few = probabilities and n * k <= FEW_VALUES  # Python floats: faster than numpy's calls there
    scratch = _SoftmaxScratch(rows, k) if probabilities and not few else None
    for start in range(0, n, rows):
        stop = start + rows
        z = decision_values_of_codes([c[start:stop] for c in codes], tables, intercept, out=out[start:stop])
        if scratch is not None:
            scratch.softmax_in_place(z)
    if few:
        out[...] = _softmax_lists(out.tolist())
    return out


def feature_codes(numeric: np.ndarray, columns, cuts, categories, rare_categories) -> list:
    """The bin code of each row for each feature (a list of d integer arrays).

    Numeric feature j (``cuts[j]`` not None) reads ``numeric[:, j]``; categorical feature j
    reads ``columns[j]``, and codes a category never seen in training as
    :func:`embedsum._bins.category_unseen` (docs/design.md#bin-codes).

    Example
    -------
    >>> import numpy as np
    >>> codes = feature_codes(np.array([[0.5, np.nan]]), [None, np.array(["b"], dtype=object)],
    ...                       [np.array([1.0]), None], [None, np.array(["a"], dtype=object)], [None, np.array([], dtype=object)])
    >>> [c.tolist() for c in codes]
    [[0], [3]]
    """
    from ..binning._categories import encode_categories

    out = []
    for j, feature_cuts in enumerate(cuts):
        if feature_cuts is None:
            out.append(encode_categories(columns[j], categories[j], rare_categories[j], j))
        else:
            out.append(np.asarray(bin_codes(numeric[:, j], feature_cuts), dtype=np.intp))
    return out


def term_scores(codes, tables) -> np.ndarray:
    """Each term's score for each row, (n, n_terms) or (n, n_terms, K): the addends of
    :func:`decision_values_of_codes` (added to the intercept left to right, they give its bits).

    Example
    -------
    >>> term_scores([np.array([1, 0]), np.array([0, 0])], [np.array([1.0, 2.0]), np.array([0.5])]).tolist()
    [[2.0, 0.5], [1.0, 0.5]]
    """
    return np.stack([table[c] for table, c in zip(tables, codes)], axis=1)


def scoring_tables(scores, unseen_scores) -> list:
    """Each feature's scores indexed by :func:`feature_codes`.

    A categorical feature's ``category_n_bins(m)`` scores are followed by its unseen score,
    at index ``category_unseen(m)`` (docs/design.md#bin-codes: unseen is a code, not a bin).

    Example
    -------
    >>> [t.tolist() for t in scoring_tables([np.array([1.0, 2.0])], [0.5])]
    [[1.0, 2.0, 0.5]]
    """
    tables = []
    for s, unseen in zip(scores, unseen_scores):
        s = np.asarray(s, dtype=np.float64)
        tables.append(s if unseen is None else np.concatenate([s, np.asarray(unseen, dtype=np.float64)[None]]))
    return tables
