"""Scoring rows with numpy only: the bit-exact decision value and a stable sigmoid.

The contract every scoring path keeps (batch, one row, exported code): the decision
value is ``intercept + score_0[b_0] + score_1[b_1] + ...`` added in float64, left to
right, in feature order, with ``b_j = searchsorted(cuts_j, x_j, side="left")`` and NaN
in the missing bin ``len(cuts_j) + 1``. Nothing here imports scipy.

Three implementations keep it, and the tests check that they agree bit for bit:

- :func:`decision_values_reference`: the plain loop (per feature ``np.searchsorted``, a
  gather, an add), kept as the reference and the benchmark baseline;
- :class:`~embedsum.scoring._batch.ScoringTables`: chunked, branch-free, threaded, for many rows;
- a pure-Python loop (``bisect`` on the cuts, Python floats, which are IEEE float64) for a
  few rows, where numpy's per-call cost would dominate.

:func:`decision_values` and :func:`class_probabilities` pick one. Nothing is cached: the
model's arrays are read at every call, so a model whose ``cuts_``, ``bin_scores_`` or
``intercept_`` change (reassigned or edited in place) is always scored as it now is.

Probabilities
-------------
They are bit-exact too, on every path: ``predict_proba`` on any number of rows (the
chunked numpy kernel, the plain numpy loop, the pure-Python few-rows loop), the
generated Python and the generated C. numpy's ``np.exp`` is not the C library's ``exp``
(on AVX-512 CPUs numpy uses its own vectorised code, up to 2 ulp apart) and C libraries
differ among themselves, so neither is used: the sigmoid and the softmax call one
portable exp (:mod:`embedsum._portable_exp`) made of IEEE float64 additions and
multiplications in a fixed order, each correctly rounded by definition on every CPU,
and exact scalings by powers of two. numpy ufuncs never fuse a multiplication with an
addition, Python floats neither, and the generated C keeps its compiler from doing so.
Then, with ``z`` the decision value(s):

- two classes: ``e = exp(-|z|)`` (at most 1: nothing overflows, for any float64 z,
  ±inf included); ``sigmoid(z) = 1 / (1 + e)`` where ``z >= 0``, else ``e / (1 + e)``;
  ``[P(class 0), P(class 1)] = [sigmoid(-z), sigmoid(z)]``;
- K classes: ``e_k = exp(z_k - max_k z_k)``; ``total = e_0 + e_1 + ...`` added left to
  right (``np.cumsum``, which is sequential, never ``np.sum``, which adds pairwise);
  ``P(class k) = e_k / total``.

The multiclass paths score rows in chunks of about ``_CHUNK_VALUES`` values, so their
temporaries stay a few MiB whatever the number of classes; only the (n, K) output grows.
"""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np

from .._portable_exp import exp_nonpositive, exp_nonpositive_array
from ..binning._digitizer import bin_codes


FEW_ROWS = 10      # up to this many rows, a Python loop beats numpy's per-call costs
MANY_ROWS = 640    # from this many rows on, the chunked kernel repays building its tables
FEW_VALUES = 32    # up to this many probabilities, Python floats beat numpy's per-call costs
_CHUNK_VALUES = 2**16  # values per chunk of the multiclass paths: 512 KiB per temporary
_NDARRAY = np.ndarray
_FLOAT64 = np.dtype(np.float64)


def decision_values_reference(X: np.ndarray, cuts, scores, intercept: float) -> np.ndarray:
    """Decision values by the plain loop: per feature ``np.searchsorted``, a gather, an add.

    The reference the fast paths are tested against (and the benchmark baseline).

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5], [2.0], [np.nan]])
    >>> decision_values_reference(X, [np.array([1.0])], [np.array([-1.0, 1.0, 0.25])], 0.5).tolist()
    [-0.5, 1.5, 0.75]
    """
    z = np.full(X.shape[0], intercept, dtype=np.float64)
    for j, (feature_cuts, feature_scores) in enumerate(zip(cuts, scores)):
        column = X[:, j]
        codes = np.searchsorted(feature_cuts, column, side="left")
        codes[np.isnan(column)] = len(feature_cuts) + 1
        z += feature_scores[codes]
    return z


def _few_rows_decision(X: np.ndarray, cuts, scores, intercept):
    """Decision values of a few rows as a list of Python floats, or None when the plain
    numpy path must decide: cuts or scores that are not 1-D native float64 arrays, or a
    non-finite sum (whose overflow numpy reports, by warning or by np.errstate, and Python
    floats do not)."""
    d = X.shape[1]
    if len(cuts) != d or len(scores) != d:
        return None
    features = []
    for c, s in zip(cuts, scores):
        # Arrays, read in place: bisect indexes the cuts, item() reads one score as a Python
        # float (memoryviews of them cost 0.4 us each with numpy 2).
        if type(c) is not _NDARRAY or type(s) is not _NDARRAY or c.dtype is not _FLOAT64 \
                or s.dtype is not _FLOAT64 or c.ndim != 1 or s.ndim != 1:
            return None  # not float64: let numpy convert
        features.append((c, s.item, len(c) + 1))
    z0 = float(np.float64(intercept))
    result = []
    try:
        for row in X.tolist():
            z = z0
            for v, (c, score, missing) in zip(row, features):
                # bisect_left is searchsorted(side="left"); NaN (v != v) takes the missing bin.
                z = z + score(bisect_left(c, v) if v == v else missing)
            if not math.isfinite(z):
                return None
            result.append(z)
    except (TypeError, ValueError, IndexError):
        return None  # scores too short: the plain loop says what is wrong
    return result


def _few_rows_probabilities(z: list) -> np.ndarray:
    """``[sigmoid(-t), sigmoid(t)]`` for each decision value t (Python floats), as :func:`sigmoid` computes them."""
    rows = []
    for t in z:
        e = exp_nonpositive(-abs(t))  # in [0, 1]: never overflows
        d = 1.0 + e
        a, b = 1.0 / d, e / d
        # sigmoid(t) = 1 / (1 + e) if t >= 0 else e / (1 + e); Python floats are IEEE float64
        rows.append((a if -t >= 0 else b, a if t >= 0 else b))
    return np.array(rows, dtype=np.float64).reshape(len(rows), 2)


def _softmax_lists(rows: list) -> list:
    """Softmax of each list of Python floats, as :func:`softmax` computes it."""
    out = []
    for z in rows:
        # np.max: NaN if any value is NaN (the sign of a zero maximum changes no result)
        top = z[0] if len(z) == 1 else math.nan if any(v != v for v in z) else max(z)
        e = [exp_nonpositive(v - top) for v in z]
        total = 0.0
        for v in e:  # left to right
            total += v
        out.append([v / total for v in e])
    return out


def few_rows_mixed_decision(rows: list, cuts, scores, intercept, categories, rare_categories, unseen_scores):
    """Decision values of a few rows of a model with categorical features, as Python floats,
    or None when the numpy path must decide.

    ``rows`` are lists of Python values (``X.tolist()``). A numeric feature takes Python
    floats and ints only (anything else, None included, goes to the numpy path, which
    converts or refuses it); a categorical feature's value is keyed by
    :func:`~embedsum.binning._categories.value_key` and found by binary search in the sorted
    categories. One output (a multiclass model calls it once per class).

    Example
    -------
    >>> import numpy as np
    >>> few_rows_mixed_decision([[0.5, "b"], [2.0, "zzz"]], [np.array([1.0]), None],
    ...     [np.array([-1.0, 1.0, 0.0]), np.array([0.5, 0.25, 0.0])], 0.0,
    ...     [None, np.array(["b"], dtype=object)], [None, np.array([], dtype=object)], [None, 0.125])
    [-0.5, 1.125]
    """
    from ..binning._categories import value_key

    if type(intercept) is not float and np.ndim(intercept) != 0:
        return None
    try:
        score_views = list(map(memoryview, scores))
        if {view.format for view in score_views} != {"d"} or len(score_views) != len(cuts):
            return None
        features = []
        for j, feature_cuts in enumerate(cuts):
            if feature_cuts is None:
                kept, rare = categories[j], rare_categories[j]
                if kept.dtype.kind == "f":  # memoryviews index to Python floats, fast
                    features.append(("number", memoryview(kept), memoryview(rare), float(unseen_scores[j])))
                else:
                    features.append(("str", kept, rare, float(unseen_scores[j])))
            else:
                view = memoryview(feature_cuts)
                if view.format != "d":
                    return None
                features.append((None, view, None, None))
        z0 = float(np.float64(intercept))
        result = []
        for row in rows:
            if len(row) != len(features):
                return None
            z = z0
            for j, (v, (kind, a, b, unseen), s) in enumerate(zip(row, features, score_views)):
                if kind is None:
                    if type(v) is int:
                        v = float(v)  # rounded as numpy converts it, before comparing with the cuts
                    elif type(v) is not float:
                        return None
                    z = z + s[bisect_left(a, v) if v == v else len(a) + 1]
                    continue
                key = value_key(v, kind, j)
                m = len(a)
                if key is None:
                    z = z + s[m + 1]
                    continue
                i = bisect_left(a, key)
                if i < m and a[i] == key:
                    z = z + s[i]
                    continue
                i = bisect_left(b, key)
                z = z + (s[m] if i < len(b) and b[i] == key else unseen)
            if not math.isfinite(z):
                return None
            result.append(z)
    except (TypeError, ValueError, IndexError, NotImplementedError, OverflowError):
        return None  # the numpy path says what is wrong
    return result


def decision_values(X: np.ndarray, cuts, scores, intercept: float, *, n_threads: int | None = None) -> np.ndarray:
    """Decision values of the rows of a 2-D float64 X.

    Bit for bit :func:`decision_values_reference`. Large inputs are scored in chunks on
    up to ``n_threads`` threads (default: every CPU this process may use).

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5], [2.0], [np.nan]])
    >>> decision_values(X, [np.array([1.0])], [np.array([-1.0, 1.0, 0.25])], 0.5).tolist()
    [-0.5, 1.5, 0.75]
    """
    if X.shape[0] <= FEW_ROWS:
        z = _few_rows_decision(X, cuts, scores, intercept)
        if z is not None:
            return np.array(z, dtype=np.float64)
    elif X.shape[0] >= MANY_ROWS:
        from ._batch import ScoringTables  # loaded with the first large batch (and compiled: 2 ms)

        tables = ScoringTables(cuts, scores, intercept)
        if tables.usable and tables.n_features == X.shape[1]:
            return tables.decision_values(X, n_threads=n_threads)
    return decision_values_reference(X, cuts, scores, intercept)


def class_probabilities(X: np.ndarray, cuts, scores, intercept: float, *, n_threads: int | None = None) -> np.ndarray:
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
        z = _few_rows_decision(X, cuts, scores, intercept)
        if z is not None:
            return _few_rows_probabilities(z)
    from ._batch import ScoringTables, probability_buffers, write_probabilities

    if n >= MANY_ROWS:
        tables = ScoringTables(cuts, scores, intercept)
        if tables.usable and tables.n_features == X.shape[1]:
            return tables.probabilities(X, n_threads=n_threads)
    z = decision_values_reference(X, cuts, scores, intercept)
    out = np.empty((n, 2))
    write_probabilities(z, out, probability_buffers(n))
    return out


def probabilities_of_decision_values(z: np.ndarray) -> np.ndarray:
    """``[sigmoid(-z), sigmoid(z)]`` of 1-D decision values, shape (n, 2), as :func:`sigmoid` computes them.

    Example
    -------
    >>> probabilities_of_decision_values(np.array([0.0, np.inf])).tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """
    from ._batch import probability_buffers, write_probabilities

    z = np.ascontiguousarray(z, dtype=np.float64)
    n = len(z)
    if n <= FEW_ROWS:
        return _few_rows_probabilities(z.tolist())
    out = np.empty((n, 2))
    write_probabilities(z, out, probability_buffers(n))
    return out


def bin_scores_of_rows(X: np.ndarray, cuts, scores) -> np.ndarray:
    """The score of the bin each value falls in, shape (n_samples, n_features).

    Adding its columns to the intercept left to right gives :func:`decision_values`.

    Example
    -------
    >>> import numpy as np
    >>> X = np.array([[0.5, 3.0], [2.0, np.nan]])
    >>> bin_scores_of_rows(X, [np.array([1.0]), np.array([2.0])],
    ...                    [np.array([-1.0, 1.0, 0.0]), np.array([0.1, 0.2, 0.3])]).tolist()
    [[-1.0, 0.2], [1.0, 0.3]]
    """
    out = np.empty(X.shape, dtype=np.float64)
    for j, (feature_cuts, feature_scores) in enumerate(zip(cuts, scores)):
        out[:, j] = feature_scores[bin_codes(X[:, j], feature_cuts)]
    return out


def sigmoid(z) -> np.ndarray:
    """``1 / (1 + exp(-z))`` without overflow for any float64, ±inf included.

    Bit for bit the same on every CPU and in the exported code (see the module docstring).

    Example
    -------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    z = np.asarray(z, dtype=np.float64)
    if z.size <= FEW_VALUES:
        values = z.ravel().tolist()
        e = [exp_nonpositive(-abs(t)) for t in values]
        return np.array([1.0 / (1.0 + et) if t >= 0 else et / (1.0 + et) for t, et in zip(values, e)],
                        dtype=np.float64).reshape(z.shape)
    e = np.negative(np.abs(z))
    exp_nonpositive_array(e, e, np.empty(z.shape), np.empty(z.shape), np.empty(z.shape, dtype=np.int32))
    d = 1.0 + e
    return np.where(z >= 0, 1.0 / d, e / d)


class _SoftmaxScratch:
    """Scratch arrays of the softmax of up to ``rows`` rows of K values."""

    def __init__(self, rows: int, k: int) -> None:
        self.top = np.empty((rows, 1))
        self.total = np.empty((rows, k))
        self.r = np.empty((rows, k))
        self.n = np.empty((rows, k))
        self.k = np.empty((rows, k), dtype=np.int32)

    def softmax_in_place(self, e: np.ndarray) -> None:
        """e (m, K), C-contiguous, m <= rows: its row-wise softmax, in place."""
        m = e.shape[0]
        top = self.top[:m]
        np.max(e, axis=1, out=top[:, 0])
        np.subtract(e, top, out=e)
        exp_nonpositive_array(e, e, self.r[:m], self.n[:m], self.k[:m])
        total = self.total[:m]
        np.cumsum(e, axis=1, out=total)  # sequential: e_0 + e_1 + ... left to right
        np.divide(e, total[:, -1:], out=e)


def softmax(z) -> np.ndarray:
    """Row-wise ``exp(z) / sum(exp(z))`` of a (n, K) array, stable for any finite z.

    Bit for bit the same on every CPU and in the exported code (see the module
    docstring); rows are done in chunks, so temporaries stay small.

    Example
    -------
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"softmax needs a 2-D array of shape (n, K); got shape {z.shape}")
    n, k = z.shape
    if n * k <= FEW_VALUES:
        return np.array(_softmax_lists(z.tolist()), dtype=np.float64).reshape(n, k)
    out = np.array(z, dtype=np.float64, order="C")
    rows = max(1, min(n, _CHUNK_VALUES // max(k, 1)))
    scratch = _SoftmaxScratch(rows, k)
    for start in range(0, n, rows):
        scratch.softmax_in_place(out[start:start + rows])
    return out


def multiclass_scores(codes, tables, intercept, *, probabilities: bool = False) -> np.ndarray:
    """Decision values (or their softmax) of a K-output model from bin codes, shape (n, K).

    ``intercept[k] + tables[0][codes[0], k] + tables[1][codes[1], k] + ...`` added left to
    right (bit for bit :func:`decision_values_of_codes`), in chunks of rows whose
    temporaries hold about ``_CHUNK_VALUES`` values each: the extra memory is a few MiB
    whatever the number of classes K, besides the (n, K) result.

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
    gathered = np.empty((rows, k))
    few = probabilities and n * k <= FEW_VALUES  # Python floats: faster than numpy's calls there
    scratch = _SoftmaxScratch(rows, k) if probabilities and not few else None
    for start in range(0, n, rows):
        z = out[start:start + rows]
        g = gathered[: z.shape[0]]
        z[...] = intercept
        for table, c in zip(tables, codes):
            np.take(table, c[start:start + rows], axis=0, out=g)
            np.add(z, g, out=z)
        if scratch is not None:
            scratch.softmax_in_place(z)
    if few:
        out[...] = _softmax_lists(out.tolist())
    return out


def feature_codes(numeric: np.ndarray, columns, cuts, categories, rare_categories) -> list:
    """The bin code of each row for each feature (a list of d integer arrays).

    Numeric feature j (``cuts[j]`` not None) reads ``numeric[:, j]``; categorical feature j
    reads ``columns[j]`` and codes a category never seen in training as
    ``len(categories[j]) + 2`` (see :mod:`embedsum.binning._categories`).

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


def scoring_tables(scores, unseen_scores) -> list:
    """Each feature's scores indexed by :func:`feature_codes` (the unseen value appended
    to a categorical feature's bins).

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


def decision_values_of_codes(codes, tables, intercept) -> np.ndarray:
    """``intercept + tables[0][codes[0]] + tables[1][codes[1]] + ...``, left to right.

    Shape (n,) for one output; (n, K) when the tables are (bins, K) and the intercept has K.

    Example
    -------
    >>> decision_values_of_codes([np.array([1, 0])], [np.array([1.0, 2.0])], 0.5).tolist()
    [2.5, 1.5]
    """
    intercept = np.asarray(intercept, dtype=np.float64)
    n = len(codes[0]) if codes else 0
    z = np.empty((n,) + intercept.shape)
    z[...] = intercept
    for table, c in zip(tables, codes):
        z += table[c]
    return z
