"""embedsum.metrics agrees with scikit-learn's log_loss and roc_auc_score."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from embedsum.inspection._metrics import log_loss, roc_auc

from sklearn import metrics as sklearn_metrics  # noqa: E402 (a test dependency)

# embedsum clips probabilities to [1e-15, 1 - 1e-15] (documented); scikit-learn clips to
# [eps, 1 - eps] with eps = 2.2e-16. Inside embedsum's range neither clips, so they must agree.
LOW, HIGH = 1e-15, 1 - 1e-15
a_probability = st.one_of(
    st.floats(LOW, HIGH),
    st.sampled_from([LOW, HIGH, 0.5, 0.25, 1e-10, 1 - 1e-10, 0.1, 0.9]),
)
labels = st.lists(st.integers(0, 1), min_size=1, max_size=200)


def sklearn_log_loss(y, p, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return sklearn_metrics.log_loss(y, p, sample_weight=sample_weight, labels=[0, 1])


@settings(max_examples=80)
@given(data=st.data(), y=labels)
def test_log_loss_agrees_with_sklearn(data, y):
    p = data.draw(st.lists(a_probability, min_size=len(y), max_size=len(y)))
    ours = log_loss(y, p)
    assert isinstance(ours, float)
    assert ours >= 0
    assert ours == pytest.approx(sklearn_log_loss(y, p), rel=1e-12, abs=1e-15)


@settings(max_examples=80)
@given(data=st.data(), y=labels)
def test_weighted_log_loss_agrees_with_sklearn(data, y):
    p = data.draw(st.lists(a_probability, min_size=len(y), max_size=len(y)))
    w = data.draw(st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1e3)), min_size=len(y), max_size=len(y)))
    assume(sum(w) > 0)
    assert log_loss(y, p, sample_weight=w) == pytest.approx(sklearn_log_loss(y, p, w), rel=1e-12, abs=1e-15)
    # whole-number weights are the same as repeated rows
    counts = [int(round(v)) % 4 for v in w]
    assume(sum(counts) > 0)
    repeated_y = [label for label, c in zip(y, counts) for _ in range(c)]
    repeated_p = [prob for prob, c in zip(p, counts) for _ in range(c)]
    assert log_loss(y, p, sample_weight=counts) == pytest.approx(log_loss(repeated_y, repeated_p), rel=1e-12, abs=1e-15)


def test_log_loss_known_values_and_documented_clipping():
    assert log_loss([0, 1], [0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-15)
    assert log_loss([1, 0], [0.8, 0.3]) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, rel=1e-15)
    # A confident error is finite: probabilities are clipped to [1e-15, 1 - 1e-15].
    assert log_loss([1], [0.0]) == pytest.approx(-math.log(1e-15), rel=1e-12)
    assert log_loss([0], [1.0]) == pytest.approx(-math.log1p(-(1 - 1e-15)), rel=1e-12)
    assert log_loss([1, 0], [1.0, 0.0]) == pytest.approx(-math.log1p(-1e-15), rel=1e-12)


# Scores with many ties: drawn from a small pool, or free floats.
a_score_pool = st.lists(
    st.one_of(st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True), st.sampled_from([0.0, -0.0, 1.0])),
    min_size=1,
    max_size=5,
)


@st.composite
def labelled_scores(draw):
    n = draw(st.integers(2, 200))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    i, j = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    y[i], y[j] = 0, 1  # both classes are present
    if draw(st.booleans()):
        pool = draw(a_score_pool)
        score = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    else:
        score = draw(st.lists(st.floats(-1e6, 1e6).map(lambda v: round(v, 1)), min_size=n, max_size=n))
    return np.array(y), np.array(score, dtype=np.float64)


@settings(max_examples=60)
@given(yz=labelled_scores())
def test_roc_auc_agrees_with_sklearn(yz):
    y, score = yz
    ours = roc_auc(y, score)
    assert isinstance(ours, float)
    assert 0.0 <= ours <= 1.0
    assert ours == pytest.approx(sklearn_metrics.roc_auc_score(y, score), rel=1e-12, abs=1e-12)
    # Reversing the scores reverses the ranking; bool labels work too.
    assert roc_auc(y, -score) == pytest.approx(1.0 - ours, abs=1e-12)
    assert roc_auc(y.astype(bool), score) == ours


def test_roc_auc_counts_ties_as_one_half():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert roc_auc([0, 1, 1], [0.0, -0.0, 1.0]) == 0.75  # -0.0 ties with 0.0
    assert roc_auc([0, 1], [-np.inf, np.inf]) == 1.0


@pytest.mark.parametrize("y", [[0], [1], [0, 0, 0], [1, 1], [True, True]])
def test_roc_auc_with_one_class_is_a_value_error(y):
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc(y, np.linspace(0, 1, len(y)))


@settings(max_examples=50)
@given(label=st.integers(0, 1), score=st.lists(st.floats(-10, 10), min_size=1, max_size=50))
def test_roc_auc_with_one_class_is_a_value_error_for_any_scores(label, score):
    with pytest.raises(ValueError):
        roc_auc([label] * len(score), score)
