"""Standard errors and intervals of a model fitted with ``uncertainty=True`` (numpy only).

Everything here reads ``covariance_``, the covariance of the flat parameter vector
(docs/design.md#parameter-layout) from the Laplace approximation at fit
(:mod:`embedsum.training._laplace`), so that a loaded model computes the same bits as the
fitted one; docs/design.md#uncertainty says what each number means.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from .._validation import check_is_fitted


def pair_standard_errors(covariance: np.ndarray, bin_weights, pair_weights, n_outputs: int) -> list:
    """Per pair, the standard error of each trained cell's score, shaped like ``pair_weights_``
    (with K outputs, one more axis of K); infinite where the fit did not estimate the cell.

    The pair cells follow the features' bins in the flat vector (docs/design.md#parameter-layout).
    A cell's score is not centred: the pair's margins are held near 0 by the pair penalties.

    Example
    -------
    >>> cov = np.diag([1.0, 1.0, 4.0, 0.0, 1.0, 1.0, 0.5])
    >>> [s.tolist() for s in pair_standard_errors(cov, [np.array([0.5, 0.5])], [np.ones((2, 2)) / 4], 1)]
    [[[2.0, inf], [1.0, 1.0]]]
    """
    K = n_outputs
    start = sum(len(w) for w in bin_weights)
    diagonal = np.diag(covariance)
    out = []
    for w in pair_weights:
        cells = np.asarray(w).size
        variance = diagonal[start * K:(start + cells) * K].reshape(cells, K)
        start += cells
        se = np.where(variance > 0, np.sqrt(np.maximum(variance, 0.0)), np.inf)
        out.append(se.reshape(np.shape(w)) if K == 1 else se.reshape(np.shape(w) + (K,)))
    return out


def centred_standard_errors(covariance: np.ndarray, bin_weights, n_outputs: int) -> list:
    """Per feature, the standard error of each bin's centred score (same shapes as ``bin_scores_``).

    The centred score of bin b is ``theta_b - sum_c u_c theta_c`` with ``u`` the feature's
    training weights; a bin the fit did not estimate (no rows, no prior: its variance in
    ``covariance`` is 0) has an infinite standard error.

    Example
    -------
    >>> cov = np.diag([1.0, 1.0, 0.0, 0.5])
    >>> [s.tolist() for s in centred_standard_errors(cov, [np.array([0.5, 0.5, 0.0])], 1)]
    [[0.7071067811865476, 0.7071067811865476, inf]]
    """
    K = n_outputs
    out, start = [], 0
    for w in bin_weights:
        w = np.asarray(w, dtype=np.float64)
        u = w / w.sum() if w.sum() > 0 else w
        rows = np.arange(start, start + len(w))
        start += len(w)
        se = np.empty((len(w), K))
        for k in range(K):
            block = covariance[np.ix_(rows * K + k, rows * K + k)]
            diag = np.diag(block)
            vu = block @ u
            variance = diag - 2.0 * vu + float(u @ vu)
            se[:, k] = np.where(diag > 0, np.sqrt(np.maximum(variance, 0.0)), np.inf)
        out.append(se[:, 0].copy() if K == 1 else se)
    return out


def _pair_mix(table_weights: np.ndarray, categorical: tuple) -> np.ndarray:
    """Each scoring entry of a pair table as a linear map of its training cells, (L_a * L_b, n_a * n_b).

    A training cell is itself; a categorical axis's unseen entry is the training-weighted
    mean along that axis (docs/design.md#pair-terms), built here the same way on the identity.
    """
    n_a, n_b = table_weights.shape
    mix = np.eye(n_a * n_b).reshape(n_a, n_b, n_a * n_b)
    w = table_weights
    if categorical[1]:
        total = w.sum(axis=1, keepdims=True)
        mean = np.divide((w[..., None] * mix).sum(axis=1, keepdims=True), total[..., None],
                         out=np.zeros((n_a, 1, n_a * n_b)), where=total[..., None] > 0)
        mix, w = np.concatenate([mix, mean], axis=1), np.concatenate([w, total], axis=1)
    if categorical[0]:
        total = w.sum(axis=0, keepdims=True)
        mean = np.divide((w[..., None] * mix).sum(axis=0, keepdims=True), total[..., None],
                         out=np.zeros((1,) + mix.shape[1:]), where=total[..., None] > 0)
        mix = np.concatenate([mix, mean], axis=0)
    return mix.reshape(-1, n_a * n_b)


def _design(model) -> tuple[int, np.ndarray, dict, list]:
    """How a row's decision value reads the flat parameters (docs/design.md#parameter-layout).

    Returns ``n_flat`` (the bin rows: the features', then each pair's cells; the intercept row
    is ``n_flat``), ``mixes`` (v, n_flat + 1): the virtual rows past the intercept, each a
    training-weighted mix (a categorical feature's unseen score, a pair's unseen entries),
    ``unseen`` (feature -> its virtual row) and, per pair, the augmented row of each of its
    scoring entries (a training cell's own row, or a virtual one).
    """
    n_bins = [len(w) for w in model.bin_weights_]
    pair_weights = [np.asarray(w, dtype=np.float64) for w in (getattr(model, "pair_weights_", None) or [])]
    n_main = int(np.sum(n_bins))
    n_flat = n_main + int(sum(w.size for w in pair_weights))
    mixes, unseen, start = [], {}, 0
    for j, w in enumerate(model.bin_weights_):
        if model.categories_[j] is not None:
            w = np.asarray(w, dtype=np.float64)
            vector = np.zeros(n_flat + 1)
            vector[start:start + len(w)] = w / w.sum() if w.sum() > 0 else w
            unseen[j] = n_flat + 1 + len(mixes)
            mixes.append(vector)
        start += len(w)
    pair_rows = []
    for w, cuts in zip(pair_weights, getattr(model, "pair_cuts_", None) or []):
        mix = _pair_mix(w, (cuts[0] is None, cuts[1] is None))
        rows = np.empty(len(mix), dtype=np.intp)
        for c, vector in enumerate(mix):
            cells = np.flatnonzero(vector)
            if len(cells) == 1 and vector[cells[0]] == 1.0:
                rows[c] = start + cells[0]
            else:
                rows[c] = n_flat + 1 + len(mixes)
                full = np.zeros(n_flat + 1)
                full[start:start + w.size] = vector
                mixes.append(full)
        pair_rows.append(rows)
        start += w.size
    return n_flat, np.array(mixes).reshape(len(mixes), n_flat + 1), unseen, pair_rows


def _row_indices(model, codes, design) -> np.ndarray:
    """(n, n_terms + 1) augmented rows of each row's terms and the intercept row (see :func:`_design`)."""
    n_flat, _, unseen, pair_rows = design
    n_bins = np.array([len(w) for w in model.bin_weights_])
    offsets = np.concatenate([[0], np.cumsum(n_bins)])
    d = len(n_bins)
    n = len(codes[0]) if len(codes) else 0
    out = np.empty((n, len(codes) + 1), dtype=np.intp)
    for j, c in enumerate(codes[:d]):
        c = np.asarray(c, dtype=np.intp)
        if model.categories_[j] is not None:
            out[:, j] = np.where(c >= n_bins[j], unseen[j], offsets[j] + np.minimum(c, n_bins[j] - 1))
        else:
            out[:, j] = offsets[j] + c
    for p, c in enumerate(codes[d:]):
        out[:, d + p] = pair_rows[p][np.asarray(c, dtype=np.intp)]
    out[:, -1] = n_flat
    return out


def _augmented(model, k: int, m: int, mixes: np.ndarray) -> np.ndarray:
    """The covariance of outputs k and m over the bin rows, the intercept, then the virtual
    rows of :func:`_design` (each a training-weighted mix of bin rows)."""
    K = model._n_outputs
    cov = model.covariance_[k::K, m::K]
    if not len(mixes):
        return cov
    top = np.hstack([cov, cov @ mixes.T])
    return np.vstack([top, np.hstack([mixes @ cov, mixes @ cov @ mixes.T])])


def _quadratic(cov: np.ndarray, rows: np.ndarray, unestimated: np.ndarray) -> np.ndarray:
    """``g' cov g`` for each row's indicator vector g (its bin rows), by gathers; inf where a
    row falls in a bin the fit did not estimate."""
    out = np.zeros(len(rows))
    for a in range(rows.shape[1]):
        out += cov[rows[:, a][:, None], rows].sum(axis=1)
    out[unestimated[rows].any(axis=1)] = np.inf
    return out


class UncertaintyMixin:
    """``decision_interval`` and ``proba_interval`` of a model fitted with ``uncertainty=True``.

    Example
    -------
    >>> from embedsum import EmbeddingSumRegressor
    >>> issubclass(EmbeddingSumRegressor, UncertaintyMixin)
    True
    """

    def _check_uncertainty(self):
        check_is_fitted(self, "bin_scores_")
        if getattr(self, "covariance_", None) is None:
            edited = " (an edit removes them: docs/design.md#edits)" if getattr(self, "edits_", None) else ""
            raise ValueError(f"this {type(self).__name__} has no standard errors{edited}: "
                             "fit it with uncertainty=True.")

    def _interval_parts(self, X, level: float):
        """(decision values, (n, K, K) covariances of the K decision values, normal quantile)."""
        self._check_uncertainty()
        if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
            raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
        z = np.asarray(self._decision(X), dtype=np.float64)
        design = _design(self)
        # Every term's codes, the pairs' too: a row's design has one entry per term (docs/design.md#pair-terms).
        rows = _row_indices(self, self._terms(self._validated(X))[0], design)
        K = self._n_outputs
        cov = np.empty((len(rows), K, K))
        for k in range(K):
            for m in range(k, K):
                aug = _augmented(self, k, m, design[1])
                unestimated = np.diag(aug) <= 0 if k == m else np.zeros(len(aug), dtype=bool)
                cov[:, k, m] = cov[:, m, k] = _quadratic(aug, rows, unestimated)
        return z, cov, NormalDist().inv_cdf(0.5 + level / 2)

    def decision_interval(self, X, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise ``level`` intervals ``(lower, upper)`` of the decision value of each row.

        ``decision_function(X)`` (a regressor's ``predict``) plus or minus the normal quantile
        times its standard error from ``covariance_``: an interval for the model's mean (the
        log-odds, or the regression function), not for a new target value. Same shape as the
        decision values. A row in a bin the fit did not estimate gets (-inf, inf). With pair
        terms, a row's design also has its cell of each pair (the covariance covers the pair
        cells after the main effects' bins; docs/design.md#pair-terms).

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumRegressor
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> model = EmbeddingSumRegressor(max_bins=4, uncertainty=True).fit(X, X[:, 0])
        >>> lower, upper = model.decision_interval(X[:3])
        >>> bool(np.all(lower < model.predict(X[:3])) and np.all(model.predict(X[:3]) < upper))
        True
        """
        z, cov, q = self._interval_parts(X, level)
        se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
        if z.ndim == 1:
            se = se[:, 0]
        return z - q * se, z + q * se

    def proba_interval(self, X, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise ``level`` intervals ``(lower, upper)`` of each class probability, (n, n_classes) each.

        Two classes: the interval of the log-odds (:meth:`decision_interval`) through the
        sigmoid. K classes: per class, the delta-method interval of its log-odds
        ``log(p_k / (1 - p_k))`` through the sigmoid.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumClassifier
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> model = EmbeddingSumClassifier(max_bins=4, uncertainty=True).fit(X, X[:, 0] > 0)
        >>> lower, upper = model.proba_interval(X[:2])
        >>> lower.shape, bool(np.all(lower <= model.predict_proba(X[:2])))
        ((2, 2), True)
        """
        if not hasattr(self, "classes_"):
            raise AttributeError("proba_interval is for classifiers; a regressor has decision_interval")
        z, cov, q = self._interval_parts(X, level)
        if z.ndim == 1:
            se = np.sqrt(cov[:, 0, 0])
            low, high = _sigmoid(z - q * se), _sigmoid(z + q * se)
            return np.column_stack([1.0 - high, low]), np.column_stack([1.0 - low, high])
        top = z.max(axis=1, keepdims=True)
        e = np.exp(z - top)
        K = z.shape[1]
        finite = np.isfinite(cov).all(axis=(1, 2))  # a row in a bin not estimated: (0, 1)
        cov = np.where(finite[:, None, None], cov, 0.0)
        lower, upper = np.empty_like(z), np.empty_like(z)
        for k in range(K):
            others = np.delete(e, k, axis=1)
            rest = others.sum(axis=1)
            logit = (z[:, k] - top[:, 0]) - np.log(rest)
            grad = np.zeros_like(z)  # d logit_k / d z_m
            grad[:, k] = 1.0
            grad[:, np.arange(K) != k] = -others / rest[:, None]
            se = np.where(finite, np.sqrt(np.maximum(np.einsum("ik,ikm,im->i", grad, cov, grad), 0.0)), np.inf)
            lower[:, k], upper[:, k] = _sigmoid(logit - q * se), _sigmoid(logit + q * se)
        return lower, upper


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
