"""The flat parameter vector and the one helper that slices it.

Conventions
-----------
A fitted model over ``d`` features with ``K`` outputs per bin (``K = 1`` for binary
classification and regression, ``K = n_classes`` for multiclass softmax) is one flat
float64 vector ``coef`` (docs/design.md#parameter-layout):

- feature ``j`` has ``n_bins[j]`` bins, in bin-code order (:mod:`embedsum._bins`): for a
  numeric feature its interval bins in increasing order of value, for a categorical
  feature one bin per kept category, then the "other" bin (rare categories); in both
  cases the bin for missing values comes last (its bin row: ``missing_rows[j]``);
- the model is an intercept plus *terms*; a term is a tuple of feature indices with a
  block of consecutive bin rows. Term ``t`` owns the bin rows
  ``term_offsets[t]:term_offsets[t + 1]`` with ``term_offsets[0] == 0``. Terms ``0 .. d-1``
  are the main effects ``(j,)`` with ``n_bins[j]`` rows, then come the pairs, if any;
- feature ``j``'s main effect owns the bin rows ``offsets[j]:offsets[j + 1]`` with
  ``offsets[0] == 0``; there are ``n_bin_rows`` bin rows in all (``== offsets[d]`` while
  there are main effects only);
- ``coef[:n_bin_rows * K].reshape(n_bin_rows, K)`` is the table of bin values (row =
  bin, column = output, i.e. class), and the last ``K`` entries ``coef[-K:]`` are the
  intercepts;
- ``n_params == (n_bin_rows + 1) * K``.

With ``K = 1`` this reads: bin scores in feature order, then the intercept last.
Vectors that describe bins (the training weight of each bin, a gradient) use the
same layout; their intercept slots are 0 where they have no meaning.

The decision value of output ``k`` for a row whose feature ``j`` falls in bin ``b[j]`` is
``coef[-K + k] + table[offsets[0] + b[0], k] + ... + table[offsets[d-1] + b[d-1], k]``,
i.e. the intercept plus, per term ``t``, ``table[term_offsets[t] + code_t, k]`` with
``code_t`` the term's code of the row (for a main effect ``(j,)``, ``b[j]``).
Step-loss neighbours are consecutive interval bins of ordered (numeric) features only;
missing bins and categorical bins have no neighbours.

A pair term ``(a, b)`` (docs/design.md#pair-terms) is a table over coarse bins of its two
features, ``pair_shapes[p] = (n_a, n_b)`` (each axis: its interval bins, then its missing bin,
last), stored row-major in ``n_a * n_b`` bin rows (``code = code_a * n_b + code_b``: ``a``'s
bin is the slow index), placed after all the main effects and before the intercepts. The
training codes then have one more column per pair, its joint code; ``offsets`` stays the
main effects' prefix ``term_offsets[:d + 1]`` and ``n_bin_rows`` is ``term_offsets[-1]``.
"""

from __future__ import annotations

import numpy as np

from .._bins import numeric_missing, numeric_n_bins


class ParameterLayout:
    """Where each feature's bins live in the flat parameter vector.

    Parameters
    ----------
    n_bins : sequence of int
        Number of bins of each feature, the missing-value bin included (>= 2).
    bin_weights : sequence of arrays, optional
        Training fraction of each bin, per feature, in bin order; kept per bin row as
        ``bin_weights`` (one more slot, 0, for the intercept row) and, divided by each
        feature's total, as ``normalized_weights``.
    n_outputs : int, default=1
        Values per bin (the number of classes of a multiclass model, else 1).
    ordered : sequence of bool, optional
        Whether each feature's interval bins are ordered (numeric, default) or
        categories (no step-loss neighbours).
    pairs : sequence of (int, int), optional
        Pair terms ``(a, b)``, ``a != b``, after the main effects (see Conventions).
    pair_shapes : sequence of (int, int), optional
        Each pair table's shape ``(n_a, n_b)``: its axes' bins, the missing bin included (>= 2).
    pair_weights : sequence of arrays, optional
        Training fraction of each cell of each pair table (row-major); needed with ``bin_weights``.

    Example
    -------
    >>> import numpy as np
    >>> layout = ParameterLayout([3, 2])
    >>> layout.n_params
    6
    >>> scores, intercept = layout.split(np.arange(6.0))
    >>> [s.tolist() for s in scores], intercept
    ([[0.0, 1.0, 2.0], [3.0, 4.0]], 5.0)
    >>> scores, intercepts = ParameterLayout([2], n_outputs=3).split(np.arange(9.0))
    >>> scores[0].tolist(), intercepts.tolist()
    ([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], [6.0, 7.0, 8.0])
    """

    def __init__(self, n_bins, bin_weights=None, n_outputs: int = 1, ordered=None, pairs=(), pair_shapes=(),
                 pair_weights=None):
        raw = np.asarray(n_bins)
        if raw.dtype.kind not in "iu" and not (raw.dtype.kind == "f" and np.all(raw == np.round(raw))):
            raise ValueError(f"n_bins must be whole numbers, got {raw.tolist()!r}")
        self.n_bins = raw.astype(np.intp)
        if self.n_bins.ndim != 1 or np.any(self.n_bins < 2):
            raise ValueError("every feature needs at least one interval bin and the missing bin")
        if isinstance(n_outputs, bool) or int(n_outputs) != n_outputs or n_outputs < 1:
            raise ValueError(f"n_outputs must be a positive integer, got {n_outputs!r}")
        self.n_outputs = K = int(n_outputs)
        self.n_features = len(self.n_bins)
        self.ordered = (np.ones(self.n_features, dtype=bool) if ordered is None
                        else np.asarray(ordered, dtype=bool).reshape(self.n_features))
        self.offsets = np.concatenate([[0], np.cumsum(self.n_bins)]).astype(np.intp)
        self.pairs, self.pair_shapes = _check_pairs(pairs, pair_shapes, self.n_features)
        self.n_pairs = len(self.pairs)
        # Main effects in feature order, then the pairs in their order (see Conventions).
        self.terms = tuple((j,) for j in range(self.n_features)) + self.pairs
        self.n_terms = len(self.terms)
        self.term_sizes = np.concatenate([self.n_bins, [a * b for a, b in self.pair_shapes]]).astype(np.intp)
        self.term_offsets = np.concatenate([[0], np.cumsum(self.term_sizes)]).astype(np.intp)
        self.n_bin_rows = int(self.term_offsets[-1])
        self.n_params = (self.n_bin_rows + 1) * K
        self.intercept_index = self.n_params - 1  # the intercept when K == 1
        # term_of[r]: the term that owns bin row r; feature_of[r] the feature of a main
        # effect's row (pair rows and the intercept row get -1).
        self.term_of = np.append(np.repeat(np.arange(self.n_terms), self.term_sizes), -1)
        self.feature_of = np.where(self.term_of < self.n_features, self.term_of, -1)
        # Bin codes (docs/design.md#bin-codes): a numeric feature with c cuts has the interval
        # codes 0..c, then the missing code; a categorical one has the same shape, its kept
        # categories and "other" in the intervals' place (category_n_bins == numeric_n_bins).
        n_cuts = self.n_bins - numeric_n_bins(0)
        self.missing_rows = self.offsets[:-1] + numeric_missing(n_cuts)
        # Neighbouring interval bins of ordered features (missing and category bins have none).
        is_left = np.zeros(self.n_bin_rows + 1, dtype=bool)
        is_left[:self.offsets[-1]] = np.repeat(self.ordered, self.n_bins)
        is_left[self.missing_rows] = False
        is_left[self.offsets[:-1] + n_cuts] = False  # each feature's last interval bin
        # Bin rows: for K == 1 these are also indices into coef.
        self.step_left = np.flatnonzero(is_left)
        self.step_right = self.step_left + 1
        # The same along each ordered axis of every pair table.
        self.pair_step_left, self.pair_step_right = self._pair_neighbours()
        if bin_weights is None:
            self.bin_weights = self.normalized_weights = None
        else:
            # Per bin row plus the intercept row (0), whatever K.
            parts = [np.asarray(w, dtype=np.float64).ravel() for w in bin_weights]
            if len(parts) != self.n_features or any(len(p) != k for p, k in zip(parts, self.n_bins)):
                raise ValueError("bin_weights must hold one weight per bin of each feature")
            pair_parts = [np.asarray(w, dtype=np.float64).ravel() for w in (pair_weights or ())]
            shapes = self.pair_shapes
            if len(pair_parts) != self.n_pairs or any(len(p) != a * b for p, (a, b) in zip(pair_parts, shapes)):
                raise ValueError("pair_weights must hold one weight per cell of each pair table")
            self.bin_weights = np.concatenate(parts + pair_parts + [np.zeros(1)])
            totals = np.add.reduceat(self.bin_weights[:-1], self.term_offsets[:-1])
            self.normalized_weights = self.bin_weights / np.append(totals[self.term_of[:-1]], 1.0)

    def _pair_neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        lefts, rights = [np.empty(0, dtype=np.intp)], [np.empty(0, dtype=np.intp)]
        for p, ((a, b), (n_a, n_b)) in enumerate(zip(self.pairs, self.pair_shapes)):
            cells = self.term_offsets[self.n_features + p] + np.arange(n_a * n_b).reshape(n_a, n_b)
            interval = cells[:-1, :-1]  # the missing row and column have no neighbours
            if self.ordered[a] and n_a > 2:  # down the slow axis
                lefts.append(interval[:-1, :].ravel())
                rights.append(interval[1:, :].ravel())
            if self.ordered[b] and n_b > 2:  # along the fast axis
                lefts.append(interval[:, :-1].ravel())
                rights.append(interval[:, 1:].ravel())
        return np.concatenate(lefts).astype(np.intp), np.concatenate(rights).astype(np.intp)

    def term_rows(self, codes) -> np.ndarray:
        """The bin row of each term for each row of bin codes, shape (n_terms, n_samples).

        ``codes`` has one column per term: the features' bin codes, then each pair's joint
        code. Term ``t`` reads ``term_offsets[t] + codes[:, t]``.

        Example
        -------
        >>> ParameterLayout([3, 2]).term_rows([[0, 1], [2, 0]]).tolist()
        [[0, 2], [4, 3]]
        """
        codes = np.asarray(codes)
        return (codes.astype(np.intp) + self.term_offsets[:-1]).T.copy()

    def table(self, coef: np.ndarray) -> np.ndarray:
        """The bin values as a (n_bin_rows, K) view of ``coef`` (or of a gradient)."""
        return coef[:self.n_bin_rows * self.n_outputs].reshape(self.n_bin_rows, self.n_outputs)

    def intercepts(self, coef: np.ndarray) -> np.ndarray:
        """The K intercepts, a view of the last K entries."""
        return coef[self.n_bin_rows * self.n_outputs:]

    def term_views(self, coef):
        """Return ``(per-term views of coef, intercept)``: the main effects as :meth:`split`
        gives them, then each pair's table flattened row-major."""
        coef = np.asarray(coef)
        table = self.table(coef)
        if self.n_outputs == 1:
            table = table[:, 0]
        views = [table[self.term_offsets[t]:self.term_offsets[t + 1]] for t in range(self.n_terms)]
        intercepts = self.intercepts(coef)
        return views, (float(intercepts[0]) if self.n_outputs == 1 else intercepts.copy())

    def split(self, coef):
        """Return ``(per-feature views of coef, intercept)``.

        With one output each feature's view is 1-D and the intercept a float; with K
        outputs the views are (n_bins_j, K) and the intercepts an array of K.
        """
        coef = np.asarray(coef)
        table = self.table(coef)
        if self.n_outputs == 1:
            table = table[:, 0]
        scores = [table[self.offsets[j]:self.offsets[j + 1]] for j in range(self.n_features)]
        intercepts = self.intercepts(coef)
        return scores, (float(intercepts[0]) if self.n_outputs == 1 else intercepts.copy())

    def join(self, scores, intercept=0.0) -> np.ndarray:
        """Inverse of :meth:`split`: a flat vector from per-feature arrays and the intercept(s)."""
        if len(scores) != self.n_features:
            raise ValueError(f"expected {self.n_features} feature arrays, got {len(scores)}")
        K = self.n_outputs
        parts = [np.asarray(s, dtype=np.float64).reshape(-1) for s in scores]
        for j, part in enumerate(parts):
            if len(part) != self.n_bins[j] * K:
                raise ValueError(f"feature {j} has {self.n_bins[j]} bins of {K} values, got {len(part)} values")
        intercept = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (K,))
        return np.concatenate(parts + [intercept])


def _check_pairs(pairs, pair_shapes, n_features: int) -> tuple[tuple, tuple]:
    pairs = tuple((int(a), int(b)) for a, b in pairs)
    shapes = tuple((int(a), int(b)) for a, b in pair_shapes)
    if len(shapes) != len(pairs):
        raise ValueError(f"pair_shapes must give one shape per pair, got {len(shapes)} for {len(pairs)} pairs")
    for (a, b), (n_a, n_b) in zip(pairs, shapes):
        if not (0 <= a < n_features and 0 <= b < n_features) or a == b:
            raise ValueError(f"a pair holds two different features of 0..{n_features - 1}, got {(a, b)}")
        if n_a < 2 or n_b < 2:
            raise ValueError(f"a pair table needs at least one interval bin and the missing bin per axis, "
                             f"got {(n_a, n_b)}")
    return pairs, shapes
