"""Edits of a fitted model, and its edit log ``edits_`` (docs/design.md#edits).

:class:`EditsMixin` gives every estimator ``refit`` (re-solve with edits as constraints, so the
other features compensate; :mod:`~embedsum.estimators._refit`) and four local edits that need no
data: ``drop_feature``, ``set_scores``, ``flatten`` and ``monotonize``. Every edit sets the new
state through the estimator's ``_set_fitted``, as fit and load do, so the derived attributes
(``feature_importances_``, ``unseen_scores_``) are recomputed in one place and the standard errors
(``covariance_``, ``bin_scores_se_``, ``feature_tests_``, ``edf_``, ``scale_``), which describe
the fitted model and not the edited one, are removed; and appends one plain record (JSON values
only) to ``edits_``, which ``save`` writes and ``load`` reads back.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_is_fitted
from ._edit_state import check_monotone, check_not_paired, checked_scores, feature_index, fitted_state
from ._isotonic import isotonic_projection


class EditsMixin:
    """``refit`` and the local edits of a fitted embedding-sum model (mixed into the base class).

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] + X[:, 1] > 0)
    >>> model.drop_feature(1).edits_
    [{'kind': 'drop_feature', 'feature': 1, 'name': None}]
    >>> float(model.feature_importances_[1])
    0.0
    """

    def refit(self, X, y, *, drop=(), fix=None, monotonic_cst=None, sample_weight=None, X_test=None, y_test=None,
              sensitive_features=None):
        """Solve the model's objective again on (X, y) with edits as constraints; return self.

        The same bins, hyperparameters and regularisers; ``drop`` (features, by index or name)
        holds those features' scores at 0, ``fix`` (``{feature: scores}``, one score per bin, or
        (bins, K) with K classes) at the given values, and ``monotonic_cst`` (as the estimator
        parameter; merged with ``monotonic_cst_``: a dict's 0 lifts a constraint) constrains
        more. The solve starts from the current scores, so the other features take up what the
        edited ones no longer explain. The record in ``edits_`` holds the training loss (and,
        with ``X_test`` and ``y_test``, the held-out loss) before and after: the weighted mean
        log-loss of a classifier, the mean squared error of a regressor. ``sensitive_features``:
        each row's group, for a model fitted with ``fairness``.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumRegressor
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> y = X[:, 0] + X[:, 1]
        >>> model = EmbeddingSumRegressor(max_bins=8).fit(X, y).refit(X, y, drop=[1])
        >>> record = model.edits_[-1]
        >>> record["kind"], record["drop"], record["train_loss_after"] > record["train_loss_before"]
        ('refit', [1], True)
        >>> float(np.abs(model.bin_scores_[1]).max())
        0.0
        """
        from ._refit import refit  # fitting-only: loaded on use

        return refit(self, X, y, drop=drop, fix=fix, monotonic_cst=monotonic_cst, sample_weight=sample_weight,
                     X_test=X_test, y_test=y_test, sensitive_features=sensitive_features)

    def drop_feature(self, feature):
        """Set every score of ``feature`` (index or name) to 0, and those of the pair terms it is in,
        as if it were not in the model; return self.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumRegressor
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> model = EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 0]).drop_feature(0)
        >>> float(np.abs(model.bin_scores_[0]).max()), len(model.edits_)
        (0.0, 1)
        """
        j = feature_index(self, feature)
        scores = _scores(self)
        scores[j] = np.zeros_like(scores[j])
        return _apply(self, scores, _record(self, "drop_feature", j), drop_pairs_of=j)

    def set_scores(self, feature, scores):
        """Set the scores of ``feature`` (index or name): one per bin, in ``bin_scores_`` order
        (shape (bins, K) with K classes); return self. A monotone feature must stay monotone.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumRegressor
        >>> X = np.random.default_rng(0).normal(size=(100, 1))
        >>> model = EmbeddingSumRegressor(max_bins=2).fit(X, X[:, 0])
        >>> model.set_scores(0, [-1.0, 1.0, 0.0]).predict([[-5.0], [5.0]]) - model.intercept_
        array([-1.,  1.])
        """
        j = feature_index(self, feature)
        new = _scores(self)
        new[j] = checked_scores(self, j, scores)
        return _apply(self, new, _record(self, "set_scores", j))

    def flatten(self, feature, start: int, stop: int):
        """Give bins ``start .. stop - 1`` of ``feature`` their training-weighted mean score
        (their plain mean when they hold no training weight); return self.

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumRegressor
        >>> X = np.random.default_rng(0).normal(size=(400, 1))
        >>> model = EmbeddingSumRegressor(max_bins=4).fit(X, X[:, 0]).flatten(0, 0, 2)
        >>> bool(model.bin_scores_[0][0] == model.bin_scores_[0][1])
        True
        """
        j = feature_index(self, feature)
        n_bins = len(self.bin_scores_[j])
        for name, value in (("start", start), ("stop", stop)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an integer, got {value!r}")
        if not 0 <= start < stop <= n_bins:
            raise ValueError(f"flatten needs 0 <= start < stop <= {n_bins} (the feature's bins), "
                             f"got start={start}, stop={stop}")
        scores = _scores(self)
        weights = np.asarray(self.bin_weights_[j], dtype=np.float64)[start:stop]
        weights = weights if weights.sum() > 0 else np.ones_like(weights)
        block = scores[j][start:stop]
        scores[j][start:stop] = np.tensordot(weights / weights.sum(), block, axes=1)
        return _apply(self, scores, _record(self, "flatten", j, start=int(start), stop=int(stop)))

    def monotonize(self, feature, direction: int = 1):
        """Make the interval-bin scores of a numeric ``feature`` monotone (``direction`` +1:
        never decreasing, -1: never increasing) by the training-weighted isotonic projection, and
        keep it so (``monotonic_cst_``, which a later ``refit`` keeps); return self. The missing
        bin is left as it is. One output per bin only (not multiclass).

        Example
        -------
        >>> import numpy as np
        >>> from embedsum import EmbeddingSumRegressor
        >>> X = np.random.default_rng(0).normal(size=(400, 1))
        >>> model = EmbeddingSumRegressor(max_bins=6).fit(X, -X[:, 0] ** 2).monotonize(0, 1)
        >>> bool(np.all(np.diff(model.bin_scores_[0][:-1]) >= 0)), model.monotonic_cst_.tolist()
        (True, [1])
        """
        j = feature_index(self, feature)
        if isinstance(direction, bool) or direction not in (-1, 1):
            raise ValueError(f"direction must be 1 (increasing) or -1 (decreasing), got {direction!r}")
        if self._n_outputs > 1:
            raise ValueError("monotonize needs one score per bin; a multiclass model has one per class.")
        if self.is_categorical_[j]:
            raise ValueError(f"feature {j} is categorical: categories have no order to make monotone.")
        scores = _scores(self)
        interval = slice(0, len(scores[j]) - 1)  # the missing bin, last, stays free
        weights = np.asarray(self.bin_weights_[j], dtype=np.float64)[interval]
        scores[j][interval] = isotonic_projection(scores[j][interval], weights, increasing=direction > 0)
        cst = np.array(self.monotonic_cst_, dtype=np.int8)
        cst[j] = direction
        return _apply(self, scores, _record(self, "monotonize", j, direction=int(direction)), monotonic_cst=cst)


def _scores(model) -> list:
    check_is_fitted(model, "bin_scores_")
    return [np.array(s, dtype=np.float64) for s in model.bin_scores_]


def _record(model, kind: str, j: int, **parameters) -> dict:
    names = getattr(model, "feature_names_in_", None)
    return {"kind": kind, "feature": int(j), "name": None if names is None else str(names[j]), **parameters}


def _apply(model, scores, record: dict, monotonic_cst=None, drop_pairs_of=None):
    """Set the edited scores through ``_set_fitted`` and log the edit; returns the model."""
    state = fitted_state(model)
    if monotonic_cst is not None:
        check_not_paired(model, monotonic_cst)
        state["monotonic_cst"] = monotonic_cst
    if "pairs" in state and drop_pairs_of is not None:  # a dropped feature's pairs go with it
        for pair, table in zip(state["pairs"].pairs, state["pairs"].scores):
            if drop_pairs_of in pair:
                table[...] = 0.0
    check_monotone(scores, state["monotonic_cst"])
    state["bin_scores"] = scores
    state["edits"].append(record)
    model._set_fitted(**state)
    return model
