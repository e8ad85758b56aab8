"""Exact explanations of an additive step-function model, for every kind of model.

A fitted model's decision value is ``intercept_`` plus one bin score per feature, so
each feature's contribution to a row is simply the score of the bin the row falls in.
Against a baseline point ``b`` the attribution of feature j is ``f_j(x_j) - f_j(b_j)``:
for a step-function model this is exactly what (Enhanced) Integrated Gradients computes,
since the path integral of one feature's shape function is its difference of values.

Kinds of model and the ``class_`` argument
------------------------------------------
- binary classifier: one decision value per row, the log-odds of ``classes_[1]``; arrays
  are (n, d). ``class_=classes_[1]`` changes nothing; ``class_=classes_[0]`` negates every
  value (the log-odds of ``classes_[0]``; negation is exact, so the sums stay bit-exact).
- multiclass classifier (K >= 3 classes): one decision value per class; arrays are
  (n, d, K), the last axis in ``classes_`` order. ``class_=label`` keeps that class's
  column: (n, d).
- regressor: one value per row, in target units; arrays are (n, d); ``class_`` must be None.

A categorical feature's value scores its category's bin, the "other" bin (rare
categories), the missing bin, or ``unseen_scores_[j]`` for a category never seen in
training: :meth:`~embedsum.estimators._base.EmbeddingSumModel.row_scores` does that coding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_is_fitted
from ..scoring._decision import scoring_tables


_AGNOSTIC = ("zero", "expected")
_GROUP = ("median", "kmeans", "close", "random")


# --- kinds of model, classes, categorical features ----------------------------------------------


def _kind(model) -> str:
    """"regression", "multiclass" or "binary"."""
    if not hasattr(model, "classes_"):
        return "regression"
    return "multiclass" if np.ndim(model.intercept_) == 1 else "binary"


def _label(value):
    """A class label as a plain Python value (numpy scalars print as their value)."""
    return value.item() if hasattr(value, "item") else value


def _class_choice(model, class_) -> tuple[int | None, float]:
    """``(k, sign)`` for ``class_``: k is the class column (None: all, or the one output)
    and sign is -1.0 when a binary model's values are read for ``classes_[0]``."""
    kind = _kind(model)
    if class_ is None:
        return None, 1.0
    if kind == "regression":
        raise ValueError(f"a regressor has no classes: leave class_=None (got {class_!r}).")
    matches = [k for k, c in enumerate(model.classes_) if _label(c) == class_]
    if not matches:
        raise ValueError(f"unknown class {class_!r}; class_ must be one of {[_label(c) for c in model.classes_]}")
    k = matches[0]
    if kind == "binary":
        return None, (1.0 if k == 1 else -1.0)
    return k, 1.0


def _select(values: np.ndarray, k: int | None, sign: float) -> np.ndarray:
    """One class's values (the last axis) and/or the binary sign, as :func:`_class_choice` says."""
    if k is not None:
        values = values[..., k]
    return -values if sign < 0 else values


def _is_categorical(model, j: int) -> bool:
    return model.cuts_[j] is None


def _scores_of(model, data) -> np.ndarray:
    """Bin scores of already validated rows ((n, d) array or ``(numeric, columns)``):
    what ``model.row_scores`` returns, for rows built here (baseline points)."""
    codes = model._codes(data)
    tables = scoring_tables(model.bin_scores_, model.unseen_scores_)
    return np.stack([table[c] for table, c in zip(tables, codes)], axis=1)


def _numeric_part(data) -> np.ndarray:
    """The float64 (n, d) part of validated rows; categorical columns there are NaN."""
    return data if isinstance(data, np.ndarray) else data[0]


def _numeric_points_scores(model, points: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Scores of baseline points given on the numeric features only; their categorical
    features score as missing, and the caller replaces those."""
    d = model.n_features_in_
    full = np.full((len(points), d), np.nan)
    full[:, numeric] = points
    if numeric.size == d:
        return _scores_of(model, full)
    columns = [np.full(len(points), None, dtype=object) if _is_categorical(model, j) else None for j in range(d)]
    return _scores_of(model, (full, columns))


# --- contributions and attributions ---------------------------------------------------------------


def contributions(model, X, class_=None) -> np.ndarray:
    """Each feature's contribution to the decision value of each row.

    Shape (n_samples, n_features); (n_samples, n_features, n_classes) for a multiclass
    model, unless ``class_`` picks one class (see the module docstring). ``intercept_``
    (or ``intercept_[k]``) plus the columns, added left to right, equals
    ``model.decision_function(X)`` (``[:, k]``; ``predict`` for a regressor) bit for bit.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
    >>> c = contributions(model, X[:3])
    >>> bool(np.all(model.intercept_ + c[:, 0] + c[:, 1] == model.decision_function(X[:3])))
    True
    >>> y = np.digitize(X[:, 0], [-0.5, 0.5])  # three classes
    >>> contributions(EmbeddingSumClassifier(max_bins=4).fit(X, y), X[:3], class_=2).shape
    (3, 2)
    """
    k, sign = _class_choice(model, class_)
    return _select(model.row_scores(X), k, sign)


def _expected_scores(model) -> np.ndarray:
    # Weights are normalised so that a model whose weights do not quite sum to 1 (rounding in
    # a saved file) still gets the mean of its shape function.
    return np.stack([np.asarray(w, dtype=np.float64) @ np.asarray(s, dtype=np.float64) / float(np.sum(w))
                     for s, w in zip(model.bin_scores_, model.bin_weights_)])


def _zero_row(model):
    """The all-zero row as validated data: a categorical feature reads the number 0."""
    d = model.n_features_in_
    zero = np.zeros((1, d))
    if not any(_is_categorical(model, j) for j in range(d)):
        return zero
    return zero, [np.zeros(1) if _is_categorical(model, j) else None for j in range(d)]


def attributions(model, X, baseline="expected", *, baseline_X=None, n_points=10, random_state=None,
                 skip_nearest=1, class_=None) -> np.ndarray:
    """Baseline-relative attributions of each feature to each row.

    Shape (n_samples, n_features), or (n_samples, n_features, n_classes) for a multiclass
    model unless ``class_`` picks one class (see the module docstring).

    Enhanced Integrated Gradients (Jha et al., 2019) for a step-function model: the
    attribution of feature j to row x against baseline point b is exactly
    ``f_j(x_j) - f_j(b_j)``, with ``f_j`` the score of the bin (per class). With several
    baseline points it is the mean over them, so each row's attributions sum to its decision
    value minus the mean decision value of its baseline points (completeness).

    Parameters
    ----------
    baseline : str, default="expected"
        Group-agnostic: "zero" (the all-zero row as the model scores it: a categorical
        feature reads the number 0, usually a category never seen, which scores
        ``unseen_scores_[j]``) or "expected" (each shape function's training-weighted mean
        ``sum_k w_jk f_jk``; the attributions are then the exact interventional SHAP values
        of the model). Group-specific, among the rows of ``baseline_X`` (a baseline class):
        "median" (the ``n_points`` rows nearest the coordinate-wise median), "kmeans"
        (``n_points`` k-means centroids, k-means++ seeded by ``random_state``), "close" (for each
        row, its ``n_points`` nearest baseline rows after skipping the ``skip_nearest`` very
        nearest, as the paper does: the nearest may be the row itself or a near copy, which
        explains nothing) or "random" (``n_points`` rows drawn with ``random_state``).
        Distances are Euclidean after standardising each numeric feature by the baseline
        rows' median and interquartile range (NaN ignored by ``np.nanmedian``/
        ``np.nanpercentile``; a zero IQR counts as 1); a value missing on one side only adds
        1 to the squared distance (see :mod:`embedsum.inspection._baselines`). Categorical features have
        no distance nor centroid: for every group baseline, a categorical feature's baseline
        score is its mean score over all the rows of ``baseline_X``.
    baseline_X : array-like of shape (m, n_features), required by the group-specific baselines.
    n_points : int, default=10
    random_state : int, numpy Generator or None
        Seeds "kmeans" and "random".
    skip_nearest : int, default=1
    class_ : a label of ``classes_`` or None, default=None
        See the module docstring.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = EmbeddingSumClassifier().fit(X, X[:, 0] > 0)
    >>> a = attributions(model, X[:3], "zero")
    >>> zero = model.decision_function(np.zeros((1, 2)))
    >>> bool(np.allclose(a.sum(axis=1), model.decision_function(X[:3]) - zero))
    True
    >>> attributions(model, X[:3], "close", baseline_X=X[X[:, 0] <= 0], n_points=5).shape
    (3, 2)
    """
    k, sign = _class_choice(model, class_)
    return _select(_attributions(model, model._validated(X), baseline, baseline_X, n_points, random_state,
                                 skip_nearest), k, sign)


def _attributions_kw(model, data, baseline, *, baseline_X=None, n_points=10, random_state=None, skip_nearest=1):
    """:func:`_attributions` with the keyword arguments of :func:`attributions`."""
    return _attributions(model, data, baseline, baseline_X, n_points, random_state, skip_nearest)


def _attributions(model, data, baseline, baseline_X, n_points, random_state, skip_nearest) -> np.ndarray:
    """:func:`attributions` of validated rows, for every class."""
    F = _scores_of(model, data)
    if baseline in _AGNOSTIC:
        if baseline_X is not None:
            raise ValueError(f"baseline {baseline!r} does not use baseline_X; pass one of {_GROUP} to use it.")
        reference = _expected_scores(model) if baseline == "expected" else _scores_of(model, _zero_row(model))
        return F - reference
    if baseline not in _GROUP:
        raise ValueError(f"unknown baseline {baseline!r}; use one of {_AGNOSTIC + _GROUP}")
    if baseline_X is None:
        raise ValueError(f"baseline {baseline!r} chooses among rows of a baseline class: pass baseline_X.")
    from ._baselines import baseline_points

    B = model._validated(baseline_X)
    d = model.n_features_in_
    categorical = np.array([_is_categorical(model, j) for j in range(d)], dtype=bool)
    numeric = np.flatnonzero(~categorical)
    per_row = False  # "close" gives one reference per row, the others one for all rows
    reference = np.zeros(F.shape[1:])
    if numeric.size:
        points = baseline_points(_numeric_part(data)[:, numeric], _numeric_part(B)[:, numeric], baseline,
                                 n_points=n_points, random_state=random_state, skip_nearest=skip_nearest)
        if baseline == "close":  # one set of points per row: shape (n, p, d_numeric)
            n, p, _ = points.shape
            fb = _numeric_points_scores(model, points.reshape(n * p, numeric.size), numeric)
            reference, per_row = fb.reshape((n, p) + fb.shape[1:]).mean(axis=1), True
        else:
            reference = _numeric_points_scores(model, points, numeric).mean(axis=0)
    if categorical.any():
        group_mean = _scores_of(model, B)[:, categorical].mean(axis=0)
        if per_row:
            reference[:, categorical] = group_mean
        else:
            reference[categorical] = group_mean
    return F - reference


@dataclass(frozen=True)
class FeatureSignificance:
    """One feature's class-wide significance (see :func:`significance`).

    Example
    -------
    >>> FeatureSignificance("x0", 3.2, 0.001, 0.002, True).significant
    True
    """

    name: str
    statistic: float
    p_value: float
    adjusted_p_value: float
    significant: bool


def significance(model, X_class, X_reference, *, alpha=0.05, baseline="expected", random_state=None,
                 class_=None, **baseline_kw) -> list[FeatureSignificance]:
    """Which features matter for a whole class, as in Enhanced Integrated Gradients.

    Attributions (see :func:`attributions`) are computed for the rows of the class of
    interest and for an equally large random sample of the reference rows (all of them
    when there are fewer). Within each row the features are ranked by attribution
    (``scipy.stats.rankdata``, 1 = lowest); per feature a one-sided Welch t-test asks
    whether the class ranks are greater than the reference ranks; the p-values are
    Bonferroni-corrected (times the number of features, capped at 1). A feature whose
    ranks do not vary at all gets p = 1. Group-specific baselines choose among
    ``baseline_X``, by default the reference rows.

    The attributions are those of one decision value: a binary model's (the log-odds of
    ``classes_[1]``, or of ``classes_[0]`` with ``class_=classes_[0]``) or a regressor's.
    A multiclass model has one per class: ``class_`` (a label of ``classes_``, usually the
    class of ``X_class``) is then required.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3))
    >>> y = X[:, 0] + 0.3 * rng.normal(size=600) > 0
    >>> model = EmbeddingSumClassifier(max_bins=8).fit(X, y)
    >>> result = significance(model, X[y], X[~y], random_state=0)
    >>> [r.name for r in result if r.significant]
    ['x0']
    """
    from scipy.stats import rankdata, ttest_ind  # scipy only when this is used

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if class_ is None and _kind(model) == "multiclass":
        raise ValueError(f"a multiclass model has one decision value per class: pass class_= one of "
                         f"{[_label(c) for c in model.classes_]} (usually the class of X_class).")
    k, sign = _class_choice(model, class_)
    class_data = model._validated(X_class)
    reference_data = model._validated(X_reference)
    n_class, n_reference = len(_numeric_part(class_data)), len(_numeric_part(reference_data))
    rng = np.random.default_rng(random_state)
    size = min(n_class, n_reference)
    chosen = np.sort(rng.choice(n_reference, size=size, replace=False))
    sample = _take_rows(reference_data, chosen)
    if baseline in _GROUP:
        baseline_kw.setdefault("baseline_X", X_reference)
    if "random_state" in baseline_kw:
        raise TypeError("significance() takes random_state once: it seeds the sample and the baselines.")
    A_class = _select(_attributions_kw(model, class_data, baseline, random_state=rng, **baseline_kw), k, sign)
    A_ref = _select(_attributions_kw(model, sample, baseline, random_state=rng, **baseline_kw), k, sign)
    R_class = rankdata(A_class, axis=1)
    R_ref = rankdata(A_ref, axis=1)
    d = model.n_features_in_
    with np.errstate(invalid="ignore", divide="ignore"):
        test = ttest_ind(R_class, R_ref, axis=0, equal_var=False, alternative="greater")
    statistic = np.asarray(test.statistic, dtype=np.float64)
    p = np.asarray(test.pvalue, dtype=np.float64)
    p = np.where(np.isnan(p), 1.0, p)  # no variation in either group: no evidence
    adjusted = np.minimum(p * d, 1.0)
    names = feature_names(model)
    return [FeatureSignificance(names[j], float(statistic[j]), float(p[j]), float(adjusted[j]),
                                bool(adjusted[j] < alpha)) for j in range(d)]


def _take_rows(data, rows):
    if isinstance(data, np.ndarray):
        return data[rows]
    numeric, columns = data
    return numeric[rows], [None if c is None else np.asarray(c)[rows] for c in columns]


@dataclass(frozen=True, eq=False)  # fields are arrays: "==" would be ambiguous, so identity
class ShapeFunction:
    """One feature's shape function: its bins, their scores and training weights, in display order.

    Numeric feature: bin k covers ``(lower[k], upper[k]]`` (the first lower bound is -inf,
    the last upper bound +inf); ``categories`` is None.

    Categorical feature: ``lower``/``upper`` are None; ``categories`` holds the kept
    categories **ordered by score, highest first** (for a multiclass model grouped by the
    class each favours most, see :func:`category_order`), and ``scores``/``weights``/
    ``bins`` follow that order. ``other_score``/``other_weight`` are the "other" bin shared
    by the ``rare_categories`` (seen fewer than ``min_category_count`` times), and
    ``unseen_score`` what a category never seen in training scores.

    Either way the missing-value bin is apart (``missing_score``, ``missing_weight``), and
    ``bins[i]`` is the index in ``model.bin_scores_[j]`` of row i of ``scores``. A score is
    a float for a binary classifier (log-odds of ``classes_[1]``) or a regressor (target
    units), and an array of K class scores for a multiclass classifier (``scores`` is then
    (n_bins, K)).

    Example
    -------
    >>> import numpy as np
    >>> s = ShapeFunction("x0", np.array([-np.inf, 0.0]), np.array([0.0, np.inf]),
    ...                   np.array([-1.0, 1.0]), np.array([0.5, 0.5]), 0.0, 0.0, 1.0)
    >>> s.upper.tolist(), s.is_categorical
    ([0.0, inf], False)
    """

    name: str
    lower: np.ndarray | None
    upper: np.ndarray | None
    scores: np.ndarray
    weights: np.ndarray
    missing_score: float | np.ndarray
    missing_weight: float
    importance: float
    bins: np.ndarray | None = None
    categories: np.ndarray | None = None
    other_score: float | np.ndarray | None = None
    other_weight: float = 0.0
    rare_categories: np.ndarray | None = None
    unseen_score: float | np.ndarray | None = None

    @property
    def is_categorical(self) -> bool:
        """Whether this is a categorical feature (its bins are categories, not intervals)."""
        return self.categories is not None


def feature_names(model) -> list[str]:
    """The model's feature names: ``feature_names_in_`` when it has them, else ``x0, x1, ...``.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> feature_names(EmbeddingSumClassifier(max_bins=4).fit(X, X[:, 0] > 0))
    ['x0', 'x1']
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(model.n_features_in_)]
    return [str(n) for n in names]


def category_order(scores) -> np.ndarray:
    """Indices of category bins in display order.

    One score per bin: by score, highest first. K class scores per bin (multiclass): grouped
    by the class each category favours most (its highest score; groups in ``classes_``
    order), and within a group by how much it favours that class (highest score minus the
    mean of its K scores), most first. Softmax scores are only defined up to a constant per
    bin, so the mean over classes says nothing: this order uses only what changes the
    probabilities. Ties keep the given (sorted) order.

    Example
    -------
    >>> category_order(np.array([0.5, 2.0, -1.0])).tolist()
    [1, 0, 2]
    >>> category_order(np.array([[0.0, 1.0], [3.0, 0.0], [2.0, -2.0]])).tolist()
    [2, 1, 0]
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:
        return np.argsort(-scores, kind="stable")
    if len(scores) == 0:
        return np.arange(0)
    favoured = np.argmax(scores, axis=1)
    margin = scores.max(axis=1) - scores.mean(axis=1)
    return np.lexsort((-margin, favoured))  # lexsort is stable: ties keep the given order


def _category_text(value) -> str:
    """How a category is shown: a string as is, a number category as ``%g``."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def _as_score(value):
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value.copy()


def shape_functions(model) -> list[ShapeFunction]:
    """Each feature's shape function as a tidy record (see :class:`ShapeFunction`), in feature order.

    Example
    -------
    >>> import numpy as np
    >>> from embedsum import EmbeddingSumClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 1))
    >>> s = shape_functions(EmbeddingSumClassifier(max_bins=2).fit(X, X[:, 0] > 0))[0]
    >>> s.name, len(s.lower), len(s.scores), float(s.missing_weight)
    ('x0', 2, 2, 0.0)
    >>> X = np.array([["tcp"] * 30 + ["udp"] * 20 + ["icmp"]], dtype=object).T
    >>> s = shape_functions(EmbeddingSumClassifier().fit(X, X[:, 0] == "udp"))[0]
    >>> s.categories.tolist(), s.rare_categories.tolist()
    (['udp', 'tcp'], ['icmp'])
    """
    check_is_fitted(model, "bin_scores_")
    names = feature_names(model)
    unseen, categories, rare = model.unseen_scores_, model.categories_, model.rare_categories_
    records = []
    for j, (scores, weights) in enumerate(zip(model.bin_scores_, model.bin_weights_)):
        scores = np.asarray(scores, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64)
        common = dict(name=names[j], missing_score=_as_score(scores[-1]), missing_weight=float(weights[-1]),
                      importance=float(model.feature_importances_[j]))
        if not _is_categorical(model, j):
            cuts = np.asarray(model.cuts_[j], dtype=np.float64)
            records.append(ShapeFunction(
                lower=np.concatenate([[-np.inf], cuts]), upper=np.concatenate([cuts, [np.inf]]),
                scores=scores[:-1].copy(), weights=weights[:-1].copy(), bins=np.arange(len(cuts) + 1),
                **common,
            ))
            continue
        m = len(categories[j])
        order = category_order(scores[:m])
        records.append(ShapeFunction(
            lower=None, upper=None, scores=scores[order], weights=weights[order], bins=order,
            categories=np.asarray(categories[j])[order], other_score=_as_score(scores[m]),
            other_weight=float(weights[m]), rare_categories=np.asarray(rare[j]).copy(),
            unseen_score=_as_score(unseen[j]), **common,
        ))
    return records
