"""Which features rank high in a whole class's rows: ranked attributions and a one-sided Welch t-test per feature.

Not a test of whether a feature matters to the model: that is ``feature_tests_`` of a model
fitted with ``uncertainty=True`` (docs/design.md#uncertainty).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._attributions import _GROUP, _attributions_kw
from ._kinds import _class_choice, _kind, _label, _select, term_names
from ._scores import _numeric_part


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
    Bonferroni-corrected (times the number of features, capped at 1). A model with pair
    terms ranks its terms (the features, then each pair ``a × b``), tests each of them and
    corrects for the number of terms. A feature whose
    ranks do not vary at all gets p = 1. Group-specific baselines choose among
    ``baseline_X``, by default the reference rows.

    The attributions are those of one decision value: a binary model's (the log-odds of
    ``classes_[1]``, or of ``classes_[0]`` with ``class_=classes_[0]``) or a regressor's.
    A multiclass model has one per class: ``class_`` (a label of ``classes_``, usually the
    class of ``X_class``) is then required.

    What it tests, and what it does not: the ranks are taken *within each row*, so the test
    asks whether this feature ranks higher among a class row's features than among a
    reference row's. It is not a test of whether the feature matters to the model, nor of
    whether its attributions differ between the groups: a feature can get p = 1 although
    its mean attribution differs between the classes (it ranks first in every row of both
    groups; or the other features' attributions move enough to keep its rank). For "does
    this feature matter", fit the model with ``uncertainty=True`` and read its
    ``feature_tests_``: a Wald test, per feature, that its step function is flat
    (docs/design.md#uncertainty).

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
    d = R_class.shape[1]  # one test per term: the features, then the pairs (docs/design.md#pair-terms)
    with np.errstate(invalid="ignore", divide="ignore"):
        test = ttest_ind(R_class, R_ref, axis=0, equal_var=False, alternative="greater")
    statistic = np.asarray(test.statistic, dtype=np.float64)
    p = np.asarray(test.pvalue, dtype=np.float64)
    p = np.where(np.isnan(p), 1.0, p)  # no variation in either group: no evidence
    adjusted = np.minimum(p * d, 1.0)
    names = term_names(model)
    return [FeatureSignificance(names[j], float(statistic[j]), float(p[j]), float(adjusted[j]),
                                bool(adjusted[j] < alpha)) for j in range(d)]


def _take_rows(data, rows):
    if isinstance(data, np.ndarray):
        return data[rows]
    numeric, columns = data
    return numeric[rows], [None if c is None else np.asarray(c)[rows] for c in columns]
