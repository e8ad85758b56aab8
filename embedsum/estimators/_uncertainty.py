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


def _row_indices(model, codes) -> np.ndarray:
    """(n, d + 1) bin rows of each row's bins and the intercept row; an unseen category gets
    a virtual row past the intercept (one per categorical feature, see :func:`_augmented`)."""
    n_bins = np.array([len(w) for w in model.bin_weights_])
    offsets = np.concatenate([[0], np.cumsum(n_bins)])
    n_rows = int(offsets[-1])
    n = len(codes[0]) if len(codes) else 0
    out = np.empty((n, len(codes) + 1), dtype=np.intp)
    virtual = n_rows + 1
    for j, c in enumerate(codes):
        c = np.asarray(c, dtype=np.intp)
        if model.categories_[j] is not None:
            out[:, j] = np.where(c >= n_bins[j], virtual, offsets[j] + np.minimum(c, n_bins[j] - 1))
            virtual += 1
        else:
            out[:, j] = offsets[j] + c
    out[:, -1] = n_rows
    return out


def _augmented(model, k: int, m: int) -> np.ndarray:
    """The covariance of outputs k and m over the bin rows, the intercept, then one virtual
    row per categorical feature: its unseen score, the weighted mean of its bins' scores."""
    K = model._n_outputs
    cov = model.covariance_[k::K, m::K]
    n_rows = cov.shape[0]
    cats = [j for j, c in enumerate(model.categories_) if c is not None]
    if not cats:
        return cov
    mix = np.zeros((len(cats), n_rows))
    start = np.concatenate([[0], np.cumsum([len(w) for w in model.bin_weights_])])
    for i, j in enumerate(cats):
        w = np.asarray(model.bin_weights_[j], dtype=np.float64)
        mix[i, start[j]:start[j + 1]] = w / w.sum() if w.sum() > 0 else w
    top = np.hstack([cov, cov @ mix.T])
    return np.vstack([top, np.hstack([mix @ cov, mix @ cov @ mix.T])])


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
        rows = _row_indices(self, self._codes(self._validated(X)))
        K = self._n_outputs
        cov = np.empty((len(rows), K, K))
        for k in range(K):
            for m in range(k, K):
                aug = _augmented(self, k, m)
                unestimated = np.diag(_augmented(self, k, k)) <= 0 if k == m else np.zeros(len(aug), dtype=bool)
                cov[:, k, m] = cov[:, m, k] = _quadratic(aug, rows, unestimated)
        return z, cov, NormalDist().inv_cdf(0.5 + level / 2)

    def decision_interval(self, X, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise ``level`` intervals ``(lower, upper)`` of the decision value of each row.

        ``decision_function(X)`` (a regressor's ``predict``) plus or minus the normal quantile
        times its standard error from ``covariance_``: an interval for the model's mean (the
        log-odds, or the regression function), not for a new target value. Same shape as the
        decision values. A row in a bin the fit did not estimate gets (-inf, inf).

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
