"""Sample weights mean what they mean in scikit-learn (docs/design.md#sample-weights).

A weight of 2 is the row repeated, a weight of 0 the row removed, and multiplying every
weight by a constant changes nothing: in the data term (divided by sum(w)), the quantile
cuts and bin weights, the category counts, the default grid of the CV estimators and their
folds. Without weights everything is as published.
"""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from embedsum import (
    EmbeddingSumClassifier,
    EmbeddingSumClassifierCV,
    EmbeddingSumRegressor,
    EmbeddingSumRegressorCV,
)
from embedsum.binning._categories import fit_categories
from embedsum.estimators._folds import shuffled_folds, stratified_folds
from embedsum.binning._digitizer import Digitizer, fit_cuts
from embedsum.training._layout import ParameterLayout
from embedsum.training._objective import EmbeddingSumObjective
from embedsum._validation import sample_weight_counts

# ----------------------------------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------------------------------

values = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 2.5, -3.0, np.nan, np.inf]), st.floats(-5, 5))


@st.composite
def weighted_column(draw, max_rows=30):
    n = draw(st.integers(1, max_rows))
    column = draw(hnp.arrays(np.float64, n, elements=values))
    weights = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 4)))
    weights[draw(st.integers(0, n - 1))] = 1  # integer weights that include a 1: repeated rows
    return column, weights


def _repeat(array, weights):
    return np.repeat(array, weights, axis=0)


# ----------------------------------------------------------------------------------------------
# Counting rows
# ----------------------------------------------------------------------------------------------


@given(hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 1000)),
       st.floats(1e-300, 1e300))
def test_counts_of_integer_weights_are_those_integers_at_any_scale(weights, scale):
    assume(weights.max() > 0)
    weights[np.argmax(weights > 0)] = 1  # the smallest positive weight is the unit
    counts = sample_weight_counts(weights * scale)
    assert_array_equal(counts, weights.astype(np.float64))


@given(hnp.arrays(np.float64, st.integers(1, 40), elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e3))),
       st.floats(1e-200, 1e200))
def test_counts_do_not_depend_on_the_scale_of_the_weights(weights, scale):
    assume(weights.max() > 0)
    counts = sample_weight_counts(weights)
    assert counts[weights > 0].min() == 1.0 and np.all(counts[weights == 0] == 0)
    assert_allclose(sample_weight_counts(weights * scale), counts, rtol=1e-6)
    assert_allclose(counts, weights / weights[weights > 0].min(), rtol=1e-6)


def test_counts_of_weights_spanning_the_float_range_stay_finite():
    counts = sample_weight_counts([1e-300, 1.0, 1e300, 0.0])
    assert np.all(np.isfinite(counts)) and counts[2] > 0 and counts[3] == 0


# ----------------------------------------------------------------------------------------------
# Quantile bins
# ----------------------------------------------------------------------------------------------


@given(weighted_column(), st.integers(2, 12))
@settings(max_examples=120)
def test_weighted_cuts_and_bin_weights_are_those_of_the_repeated_rows(data, max_bins):
    column, weights = data
    weighted = Digitizer(max_bins=max_bins).fit(column[:, None], sample_weight=weights)
    repeated = Digitizer(max_bins=max_bins).fit(_repeat(column, weights)[:, None])
    assert_array_equal(weighted.cuts_[0], repeated.cuts_[0])
    assert_array_equal(weighted.bin_weights_[0], repeated.bin_weights_[0])
    cuts, interval_weights = fit_cuts(column, max_bins, sample_weight=weights)
    assert_array_equal(cuts, repeated.cuts_[0])


@given(weighted_column(), st.integers(2, 12),
       st.one_of(st.floats(1e-300, 1e300), st.sampled_from([1e-300, 3.7, 1e300, 2.0**-1000])))
@settings(max_examples=100)
def test_scaling_every_weight_changes_no_cut(data, max_bins, scale):
    column, weights = data
    # Weights that are not integers too: halves and tenths of the drawn ones.
    for w in (weights, weights * 0.5 + (weights > 0) * 0.1):
        plain = Digitizer(max_bins=max_bins).fit(column[:, None], sample_weight=w)
        scaled = Digitizer(max_bins=max_bins).fit(column[:, None], sample_weight=w * scale)
        assert_array_equal(scaled.cuts_[0], plain.cuts_[0])
        assert_allclose(scaled.bin_weights_[0], plain.bin_weights_[0], rtol=1e-12, atol=1e-15)


@given(hnp.arrays(np.float64, st.integers(1, 60), elements=values), st.integers(2, 30),
       st.floats(1e-300, 1e300))
def test_unit_or_equal_weights_give_the_published_cuts_bit_for_bit(column, max_bins, weight):
    published = Digitizer(max_bins=max_bins).fit(column[:, None])
    for w in (np.ones(len(column)), np.full(len(column), weight)):
        weighted = Digitizer(max_bins=max_bins).fit(column[:, None], sample_weight=w)
        assert_array_equal(weighted.cuts_[0], published.cuts_[0])
        assert_array_equal(weighted.bin_weights_[0], published.bin_weights_[0])


def test_zero_weight_rows_place_no_cut():
    column = np.concatenate([np.arange(20.0), [1e6, 2e6, 3e6]])
    weights = np.concatenate([np.ones(20), np.zeros(3)])
    digitizer = Digitizer(max_bins=4).fit(column[:, None], sample_weight=weights)
    assert_array_equal(digitizer.cuts_[0], Digitizer(max_bins=4).fit(np.arange(20.0)[:, None]).cuts_[0])
    assert digitizer.bin_weights_[0][-2] == 0.25  # the last interval holds a quarter of the weight


def test_weighted_quantile_is_the_first_value_whose_cumulative_count_exceeds_q_w_minus_1():
    # Counts (2, 1, 1, 4) in units of the smallest weight: W = 8; q = 1/2 -> q (W - 1) = 3.5:
    # cumulative counts 2, 3, 4, 8: the first above 3.5 is the third value.
    cuts, weights = fit_cuts([10.0, 20.0, 30.0, 40.0], max_bins=2, sample_weight=[1.0, 0.5, 0.5, 2.0])
    assert cuts.tolist() == [30.0]
    assert weights.tolist() == [0.5, 0.5]


# ----------------------------------------------------------------------------------------------
# Categories
# ----------------------------------------------------------------------------------------------

category_values = st.sampled_from(["a", "b", "c", "d", None, "", 3, 4.5])


@given(st.integers(1, 25).flatmap(lambda n: st.tuples(
    st.lists(category_values, min_size=n, max_size=n),
    hnp.arrays(np.int64, n, elements=st.integers(0, 4)))), st.integers(1, 6))
@settings(max_examples=200)
def test_weighted_categories_are_those_of_the_repeated_rows(data, min_count):
    values_, weights = data
    weights[0] = 1
    column = np.array(values_, dtype=object)
    kept, rare, codes, bin_weights = fit_categories(column, min_count, sample_weight=weights)
    r_kept, r_rare, r_codes, r_weights = fit_categories(_repeat(column, weights), min_count)
    assert kept.tolist() == r_kept.tolist() and rare.tolist() == r_rare.tolist()
    assert_array_equal(bin_weights, r_weights)
    assert_array_equal(_repeat(codes, weights), r_codes)


def test_a_value_seen_only_in_zero_weight_rows_is_no_category_and_decides_no_kind():
    column = np.array([1.0, 2.0, 1.0, "text"], dtype=object)
    kept, rare, codes, weights = fit_categories(column, 1, sample_weight=[1, 1, 1, 0])
    assert kept.dtype == np.float64 and kept.tolist() == [1.0, 2.0] and rare.tolist() == []
    assert weights.tolist() == [2 / 3, 1 / 3, 0.0, 0.0]


def test_category_counts_are_in_units_of_the_smallest_weight():
    # "a": 2 rows of weight 1.5 where the smallest is 0.5: it counts 6 >= 5, so it is kept.
    column = np.array(["a", "a", "b"], dtype=object)
    kept, rare, _, _ = fit_categories(column, 5, sample_weight=[1.5, 1.5, 0.5])
    assert kept.tolist() == ["a"] and rare.tolist() == ["b"]


# ----------------------------------------------------------------------------------------------
# The objective
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["log", "softmax", "squared"])
@given(data=st.data())
@settings(max_examples=30)
def test_objective_of_weighted_rows_equals_that_of_repeated_rows(loss, data):
    K = 3 if loss == "softmax" else 1
    n_bins = data.draw(st.lists(st.integers(2, 6), min_size=1, max_size=4))
    n = data.draw(st.integers(1, 25))
    codes = np.column_stack([data.draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1))) for k in n_bins])
    if loss == "squared":
        y = data.draw(hnp.arrays(np.float64, n, elements=st.floats(-5, 5)))
    else:
        y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, max(K, 2) - 1))).astype(np.float64)
    weights = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 4)))
    weights[0] = 1
    layout = ParameterLayout(n_bins, bin_weights=[np.ones(k) for k in n_bins], n_outputs=K)
    coef = data.draw(hnp.arrays(np.float64, layout.n_params, elements=st.floats(-3, 3)))
    scale = data.draw(st.sampled_from([1.0, 1e-300, 1e300, 3.7]))
    weighted = EmbeddingSumObjective(codes, y, weights * scale, layout, loss=loss)
    repeated = EmbeddingSumObjective(_repeat(codes, weights), _repeat(y, weights), np.ones(weights.sum()), layout,
                                     loss=loss)
    loss_w, grad_w = weighted.loss_gradient(coef)
    loss_r, grad_r = repeated.loss_gradient(coef)
    assert_allclose(loss_w, loss_r, rtol=1e-12, atol=1e-14)
    assert_allclose(grad_w, grad_r, rtol=1e-11, atol=1e-14)


def test_unit_weights_give_the_published_mean_over_rows():
    rng = np.random.default_rng(0)
    codes, y = rng.integers(0, 4, size=(50, 2)), (rng.random(50) < 0.4).astype(float)
    layout = ParameterLayout([4, 4])
    coef = rng.normal(size=layout.n_params)
    loss, grad = EmbeddingSumObjective(codes, y, np.ones(50), layout).loss_gradient(coef)
    z = coef[-1] + coef[codes[:, 0]] + coef[4 + codes[:, 1]]
    assert loss == pytest.approx(np.mean(np.logaddexp(0, z) - y * z), rel=1e-14)


def test_all_zero_weights_are_refused_by_the_objective():
    with pytest.raises(ValueError, match="not all 0"):
        EmbeddingSumObjective(np.zeros((2, 1), dtype=int), np.array([0.0, 1.0]), np.zeros(2), ParameterLayout([2]))


# ----------------------------------------------------------------------------------------------
# Estimators
# ----------------------------------------------------------------------------------------------


def _table(seed=0, n=60):
    rng = np.random.default_rng(seed)
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = np.round(rng.normal(size=n), 1)
    X[:, 1] = rng.uniform(size=n)
    X[rng.random(n) < 0.1, 1] = np.nan
    X[:, 2] = rng.choice(["tcp", "udp", "icmp", "gre"], size=n, p=[0.5, 0.3, 0.15, 0.05])
    logit = 2 * X[:, 0].astype(float) + (X[:, 2] == "udp")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    weights = rng.integers(0, 4, size=n)
    weights[0] = 1
    return X, y, weights


def _fitted_pair(estimator, X, y, weights):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = estimator.__class__(**estimator.get_params()).fit(X, y, sample_weight=weights)
        repeated = estimator.__class__(**estimator.get_params()).fit(_repeat(X, weights), _repeat(y, weights))
    return weighted, repeated


def _same_bins(a, b):
    for name in ("cuts_", "categories_", "rare_categories_", "bin_weights_"):
        for left, right in zip(getattr(a, name), getattr(b, name)):
            if left is None or right is None:
                assert left is None and right is None
            else:
                assert_array_equal(left, right, err_msg=name)


@pytest.mark.parametrize("make", [
    lambda: EmbeddingSumClassifier(max_bins=6, min_category_count=5, tol=1e-9, max_iter=5000),
    lambda: EmbeddingSumRegressor(max_bins=6, min_category_count=5, l2=1.0, tol=1e-10, max_iter=5000),
], ids=["classifier", "regressor"])
def test_a_row_of_weight_k_fits_as_the_row_repeated_k_times(make):
    X, y, weights = _table()
    weighted, repeated = _fitted_pair(make(), X, y, weights)
    _same_bins(weighted, repeated)
    # The same objective from the same start: the solver's first loss is the same number.
    assert weighted.history_["loss"][0] == pytest.approx(repeated.history_["loss"][0], rel=1e-12)
    probe = X[weights > 0]
    out = "decision_function" if hasattr(weighted, "decision_function") else "predict"
    assert_allclose(getattr(weighted, out)(probe), getattr(repeated, out)(probe), rtol=1e-5, atol=1e-5)


def test_multiclass_weights_are_repeated_rows():
    X, _, weights = _table(seed=3)
    y = np.array(["a", "b", "c"])[np.digitize(X[:, 0].astype(float), [-0.5, 0.5])]
    weighted, repeated = _fitted_pair(EmbeddingSumClassifier(max_bins=5, min_category_count=3, tol=1e-9), X, y,
                                      weights)
    _same_bins(weighted, repeated)
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_zero_weight_rows_are_removed_rows_categories_included():
    X, y, _ = _table(seed=1)
    weights = np.ones(len(y))
    weights[:8] = 0.0
    X = X.copy()
    X[:8, 2] = "only-in-zero-weight-rows"
    X[:8, 0] = 1e6  # far away: would place a cut if it counted
    model = EmbeddingSumClassifier(max_bins=6, min_category_count=1).fit(X, y, sample_weight=weights)
    removed = EmbeddingSumClassifier(max_bins=6, min_category_count=1).fit(X[8:], y[8:])
    _same_bins(model, removed)
    assert "only-in-zero-weight-rows" not in model.categories_[2].tolist()
    assert_allclose(model.decision_function(X), removed.decision_function(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_equal_extreme_weights_fit_the_unweighted_model_bit_for_bit(scale):
    X, y, _ = _table(seed=2)
    plain = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    extreme = EmbeddingSumClassifier(max_bins=6).fit(X, y, sample_weight=np.full(len(y), scale))
    assert_array_equal(extreme.decision_function(X), plain.decision_function(X))
    regressor = EmbeddingSumRegressor(max_bins=6).fit(X, y.astype(float), sample_weight=np.full(len(y), scale))
    assert_array_equal(regressor.predict(X), EmbeddingSumRegressor(max_bins=6).fit(X, y.astype(float)).predict(X))


@pytest.mark.parametrize("scale", [1e-300, 1e300, 3.7])
def test_scaled_integer_weights_fit_the_integer_weighted_model(scale):
    X, y, weights = _table(seed=4)
    model = EmbeddingSumClassifier(max_bins=6).fit(X, y, sample_weight=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no underflow warning, converged
        scaled = EmbeddingSumClassifier(max_bins=6).fit(X, y, sample_weight=weights * scale)
    _same_bins(scaled, model)
    assert_allclose(scaled.decision_function(X), model.decision_function(X), rtol=1e-6, atol=1e-8)


def test_weights_from_1e_minus_300_to_1e300_fit_as_the_heavy_rows_alone():
    # Relative to 1e300, a weight of 1e-300 is 1e-600: nothing in float64. The fit is finite
    # and equals the fit without those rows.
    X, y, _ = _table(seed=5)
    weights = np.where(np.arange(len(y)) % 3 == 0, 1e-300, 1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = EmbeddingSumClassifier(max_bins=6).fit(X, y, sample_weight=weights)
    heavy = weights == 1e300
    alone = EmbeddingSumClassifier(max_bins=6).fit(X[heavy], y[heavy])
    _same_bins(model, alone)
    assert np.all(np.isfinite(model.decision_function(X)))
    assert_allclose(model.decision_function(X), alone.decision_function(X), rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# Cross-validation
# ----------------------------------------------------------------------------------------------


def _published_deal(labels, n_splits, random_state):
    """The folds before sample weights counted: each class's rows shuffled and dealt in turn."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(random_state)
    fold = np.empty(len(labels), dtype=np.intp)
    start = 0
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        rows = rows[rng.permutation(len(rows))]
        fold[rows] = (start + np.arange(len(rows))) % n_splits
        start += len(rows)
    return fold


def _fold_of(folds, n):
    fold = np.full(n, -1)
    for k, (train, test) in enumerate(folds):
        assert np.all(fold[test] == -1)
        fold[test] = k
    return fold


@given(hnp.arrays(np.int64, st.integers(1, 80), elements=st.integers(0, 3)), st.integers(2, 6),
       st.integers(0, 2**32 - 1), st.sampled_from([None, 1.0, 2.5, 1e300]))
@settings(max_examples=200)
def test_unit_or_equal_weights_get_the_folds_of_dealing_in_turn(labels, n_splits, seed, weight):
    sw = None if weight is None else np.full(len(labels), weight)
    folds = stratified_folds(labels, n_splits, seed, sample_weight=sw)
    assert_array_equal(_fold_of(folds, len(labels)), _published_deal(labels, n_splits, seed))
    for train, test in folds:
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(labels)


@given(hnp.arrays(np.int64, st.integers(2, 60), elements=st.integers(0, 2)),
       hnp.arrays(np.int64, 60, elements=st.integers(0, 6)), st.integers(2, 5), st.integers(0, 1000),
       st.floats(1e-300, 1e300))
@settings(max_examples=80)
def test_weighted_folds_drop_zero_weight_rows_balance_weight_and_ignore_scale(labels, weights, n_splits, seed,
                                                                            scale):
    weights = weights[:len(labels)]
    weights[0] = 1
    fold = _fold_of(stratified_folds(labels, n_splits, seed, sample_weight=weights), len(labels))
    # Rows of weight 0 are in no fold, and the others are dealt as if those rows were not there.
    kept = weights > 0
    assert np.all(fold[~kept] == -1)
    without = _fold_of(stratified_folds(labels[kept], n_splits, seed, sample_weight=weights[kept]), kept.sum())
    assert_array_equal(fold[kept], without)
    # Each class's weight is spread evenly: folds differ by at most its heaviest row.
    for value in np.unique(labels[kept]):
        rows = kept & (labels == value)
        per_fold = np.bincount(fold[rows], weights=weights[rows], minlength=n_splits)
        assert per_fold.max() - per_fold.min() <= weights[rows].max()
    # Multiplying every weight by a constant changes no fold.
    scaled = _fold_of(stratified_folds(labels, n_splits, seed, sample_weight=weights * scale), len(labels))
    assert_array_equal(scaled, fold)


def test_weighted_folds_balance_the_weight():
    labels = np.zeros(40, dtype=int)
    weights = np.ones(40)
    weights[:4] = 10.0  # four heavy rows: one in each fold, the light rows even the rest out
    folds = stratified_folds(labels, 4, 0, sample_weight=weights)
    assert [weights[test].sum() for _, test in folds] == [19.0] * 4
    regressor_folds = shuffled_folds(40, 4, 0, sample_weight=weights)
    assert [weights[test].sum() for _, test in regressor_folds] == [19.0] * 4


def _repeated_folds(folds, weights):
    """The same folds on the repeated rows: each copy where its row is."""
    copies = _repeat(np.arange(len(weights)), weights)
    position = [np.flatnonzero(np.isin(copies, part)) for train, test in folds for part in (train, test)]
    return [(position[2 * k], position[2 * k + 1]) for k in range(len(folds))]


@pytest.mark.parametrize("make", [
    # Weights that make every candidate a well-posed fit (an unregularised separable fit has no
    # optimum to agree on), a tol that makes the solver reach it: the comparison is then exact.
    lambda: EmbeddingSumClassifierCV(step_loss_weights=[1.0, 0.1], l2=0.05, cv=3, max_bins=6, tol=1e-9,
                                     min_category_count=4),
    lambda: EmbeddingSumRegressorCV(step_loss_weights=[1.0, 0.1], l2=0.05, cv=3, max_bins=6, tol=1e-9,
                                    min_category_count=4),
], ids=["classifier", "regressor"])
def test_cross_validated_fit_of_weighted_rows_is_that_of_repeated_rows(make):
    X, y, weights = _table(seed=6, n=90)
    estimator = make()
    target = y if isinstance(estimator, EmbeddingSumClassifierCV) else y + X[:, 0].astype(float)
    # The same folds (as scikit-learn's check does): each repeated row where its row is.
    folds = stratified_folds(y, 3, 0, sample_weight=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = estimator.set_params(cv=folds).fit(X, target, sample_weight=weights)
        repeated = make().set_params(cv=_repeated_folds(folds, weights)).fit(_repeat(X, weights),
                                                                            _repeat(target, weights))
    _same_bins(weighted, repeated)
    name = "log_loss" if isinstance(estimator, EmbeddingSumClassifierCV) else "squared_error"
    assert_allclose(weighted.cv_results_[f"mean_test_{name}"], repeated.cv_results_[f"mean_test_{name}"],
                    rtol=1e-6)
    assert weighted.best_index_ == repeated.best_index_
    out = "decision_function" if hasattr(weighted, "decision_function") else "predict"
    assert_allclose(getattr(weighted, out)(X), getattr(repeated, out)(X), rtol=1e-5, atol=1e-5)


def test_default_grid_counts_weighted_rows_as_repeated_rows():
    X, y, weights = _table(seed=8, n=90)
    weighted = EmbeddingSumClassifierCV(step_loss_weights=3, cv=3, max_bins=6).fit(X, y, sample_weight=weights * 0.25)
    repeated = EmbeddingSumClassifierCV(step_loss_weights=3, cv=3, max_bins=6).fit(_repeat(X, weights),
                                                                                    _repeat(y, weights))
    # 30000 / N .. 10 / N for the N rows the weights count for (N = sum(weights): they include a 1).
    assert_allclose(weighted.cv_results_["step_loss_weight"], repeated.cv_results_["step_loss_weight"], rtol=1e-15)
    assert repeated.cv_results_["step_loss_weight"][0] == pytest.approx(30000 / weights.sum())


def test_cross_validation_with_extreme_weights_is_finite_and_scale_free():
    X, y, weights = _table(seed=7, n=90)
    model = EmbeddingSumClassifierCV(step_loss_weights=2, cv=3, max_bins=6).fit(X, y, sample_weight=weights)
    scores = model.cv_results_["mean_test_log_loss"].copy()
    huge = EmbeddingSumClassifierCV(step_loss_weights=2, cv=3, max_bins=6).fit(X, y, sample_weight=weights * 1e300)
    assert np.all(np.isfinite(huge.cv_results_["mean_test_log_loss"]))
    assert_allclose(huge.cv_results_["mean_test_log_loss"], scores, rtol=1e-9)


def test_scores_of_extreme_weights_are_the_scores_of_unit_weights():
    from embedsum.inspection._metrics import log_loss

    X, y, _ = _table(seed=9)
    classifier = EmbeddingSumClassifier(max_bins=6).fit(X, y)
    regressor = EmbeddingSumRegressor(max_bins=6).fit(X, y.astype(float))
    proba = classifier.predict_proba(X)[:, 1]
    for scale in (1e-300, 1e300, 1.5e308):  # the largest: its sum over the rows overflows float64
        w = np.full(len(y), scale)
        assert regressor.score(X, y, sample_weight=w) == pytest.approx(regressor.score(X, y), rel=1e-12)
        assert log_loss(y, proba, sample_weight=w) == pytest.approx(log_loss(y, proba), rel=1e-12)
