"""Scoring a fitted model: its rows checked, coded and summed by the bit-exact contract of
:mod:`embedsum.scoring._decision` (docs/design.md#scoring-contract).
"""

from __future__ import annotations

import numpy as np

from ..scoring._decision import (
    FEW_ROWS,
    decision_values,
    decision_values_of_codes,
    feature_codes,
    few_rows_mixed_decision,
    few_rows_pair_decision,
    scoring_tables,
    term_scores,
)
from ..scoring._pairs import numeric_pairs, pair_terms
from .._validation import check_array, check_feature_names, check_is_fitted, check_n_features, check_table


class DecisionMixin:
    """Decision values and row scores of a fitted embedding-sum model (mixed into :class:`EmbeddingSumModel`).

    It reads the fitted attributes that ``_set_fitted`` sets, ``_n_outputs`` among them.

    Example
    -------
    >>> from embedsum import EmbeddingSumRegressor
    >>> issubclass(EmbeddingSumRegressor, DecisionMixin)
    True
    """

    def _has_categories(self) -> bool:
        mask = getattr(self, "is_categorical_", None)
        # tolist() and `in`: 0.3 us, where np.any takes 3 us of a one-row prediction's 15.
        return mask is not None and True in np.asarray(mask).tolist()

    def _has_pairs(self) -> bool:
        return bool(getattr(self, "pairs_", None))

    def _validated(self, X):
        """X checked against the fitted model: a float64 array, or ``(numeric, columns)``
        when the model has categorical features (see :func:`~embedsum._validation.check_table`)."""
        check_is_fitted(self, "bin_scores_")
        check_feature_names(self, X)
        if not self._has_categories():
            X = check_array(X)
            check_n_features(self, X)
            return X
        numeric, columns = check_table(X, self.is_categorical_)
        check_n_features(self, numeric)
        return numeric, columns

    def _decision(self, X) -> np.ndarray:
        """Decision values, (n,) with one output and (n, K) with K, by the bit-exact contract."""
        if self._has_categories() or (self._has_pairs() and self._n_outputs > 1):
            z = self._few_rows_mixed(X)
            if z is not None:
                return np.asarray(z, dtype=np.float64)
        return self._decision_of(self._validated(X))

    def _few_rows_mixed(self, X):
        """A few rows (a list or an array) of a model with categorical features or pair terms,
        scored in pure Python (numpy's per-call costs dominate there); None where the numpy
        path must decide."""
        if type(X) is np.ndarray:
            if X.ndim != 2 or not 0 < X.shape[0] <= FEW_ROWS:
                return None
            rows = X.tolist()
        elif type(X) is list and 0 < len(X) <= FEW_ROWS and all(type(row) in (list, tuple) for row in X):
            rows = X
        else:
            return None
        check_is_fitted(self, "bin_scores_")
        if any(len(row) != self.n_features_in_ for row in rows):
            return None
        check_feature_names(self, X)
        intercept, pairs = self.intercept_, self._has_pairs()
        if self._n_outputs == 1:
            if pairs:
                return few_rows_pair_decision(
                    rows, self.cuts_, self.bin_scores_, intercept, self.categories_, self.rare_categories_,
                    self.unseen_scores_, self.pairs_, self.pair_cuts_, [np.ravel(t) for t in self.pair_scores_])
            return few_rows_mixed_decision(rows, self.cuts_, self.bin_scores_, intercept, self.categories_,
                                           self.rare_categories_, self.unseen_scores_)
        # K outputs: one pass per class (each class's sum keeps the contract), as (n, K) rows.
        per_class = []
        for k in range(self._n_outputs):
            scores = [np.ascontiguousarray(s[:, k]) for s in self.bin_scores_]
            unseen = [None if u is None else u[k] for u in self.unseen_scores_]
            if pairs:
                tables = [np.ascontiguousarray(np.asarray(t)[..., k]).ravel() for t in self.pair_scores_]
                z = few_rows_pair_decision(rows, self.cuts_, scores, float(intercept[k]), self.categories_,
                                           self.rare_categories_, unseen, self.pairs_, self.pair_cuts_, tables)
            else:
                z = few_rows_mixed_decision(rows, self.cuts_, scores, float(intercept[k]), self.categories_,
                                            self.rare_categories_, unseen)
            if z is None:
                return None
            per_class.append(z)
        return np.array(per_class, dtype=np.float64).T

    def _decision_of(self, data) -> np.ndarray:
        """:meth:`_decision` of what :meth:`_validated` returned."""
        intercept = self.intercept_
        # One output (binary, regression); K outputs are scored by the classifier in row chunks.
        if isinstance(data, np.ndarray) and self._n_outputs == 1:
            return decision_values(data, self.cuts_, self.bin_scores_, intercept, pairs=self._numeric_pairs())
        return decision_values_of_codes(*self._terms(data), intercept)

    def _numeric_pairs(self):
        """The pair terms of a model of numeric features as the scoring paths take them (None without)."""
        if not self._has_pairs():
            return None
        return numeric_pairs(self.pairs_, self.pair_cuts_, self.pair_scores_, [len(s) for s in self.bin_scores_])

    def _terms(self, data) -> tuple[list, list]:
        """``(codes, tables)`` of every term of the model for :meth:`_validated` data: the main
        effects in feature order, then the pairs in their order (docs/design.md#pair-terms)."""
        codes = self._codes(data)
        tables = scoring_tables(self.bin_scores_, self.unseen_scores_)
        if self._has_pairs():
            numeric = data if isinstance(data, np.ndarray) else data[0]
            pair_codes, pair_tables = pair_terms(numeric, codes, self.pairs_, self.pair_cuts_, self.pair_scores_,
                                                 [len(s) for s in self.bin_scores_])
            codes, tables = codes + pair_codes, tables + pair_tables
        return codes, tables

    def _codes(self, data) -> list:
        if isinstance(data, np.ndarray):
            data = (data, [None] * data.shape[1])
        numeric, columns = data
        return feature_codes(numeric, columns, self.cuts_, self.categories_, self.rare_categories_)

    def row_scores(self, X) -> np.ndarray:
        """The score of each term for each row: (n, n_terms), or (n, n_terms, K) for multiclass.

        The terms are the features, then the pairs of ``pairs_`` if any.

        Adding them to ``intercept_`` left to right gives the decision values bit for bit.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumRegressor
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 0]).row_scores(X[:3]).shape
        (3, 2)
        """
        return term_scores(*self._terms(self._validated(X)))
