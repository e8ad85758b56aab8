"""Standard errors and intervals of models with pair terms: the covariance covers the pair cells after the main
effects' bins, and a row's design reads its pair cell (docs/design.md#uncertainty, docs/design.md#pair-terms)."""

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from embedsum import EmbeddingSumClassifier, EmbeddingSumRegressor


def _data(n=700, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "proto": rng.choice(["tcp", "udp", "icmp"], size=n, p=[0.5, 0.3, 0.2])})
    X.loc[rng.random(n) < 0.05, "b"] = np.nan
    logit = 1.5 * np.sign(X["a"]) * np.sign(X["b"].fillna(0)) + np.where(X["proto"] == "tcp", 1.0, -1.0) * X["a"]
    return X, logit.to_numpy(), rng


@pytest.fixture(scope="module")
def models():
    X, logit, rng = _data()
    kw = dict(max_bins=5, interactions=[(0, 1), (0, 2)], interaction_bins=3, uncertainty=True)
    y = rng.random(len(X)) < 1 / (1 + np.exp(-logit))
    y3 = np.digitize(logit + rng.normal(size=len(X)), [-1.0, 1.0])
    return X, {"binary": EmbeddingSumClassifier(**kw).fit(X, y),
               "multiclass": EmbeddingSumClassifier(**kw).fit(X, y3),
               "regression": EmbeddingSumRegressor(**kw).fit(X, logit + rng.normal(size=len(X)))}


def _design_oracle(model, X) -> np.ndarray:
    """Each row's gradient of its decision value over the flat rows (bins, pair cells, intercept), written out."""
    codes = model._terms(model._validated(X))[0]
    d = model.n_features_in_
    n_bins = [len(w) for w in model.bin_weights_]
    cells = [w.size for w in model.pair_weights_]
    offsets = np.concatenate([[0], np.cumsum(n_bins + cells)])
    G = np.zeros((len(X), int(offsets[-1]) + 1))
    G[:, -1] = 1.0
    for i in range(len(X)):
        for j in range(d):
            c = int(codes[j][i])
            if c < n_bins[j]:
                G[i, offsets[j] + c] = 1.0
            else:  # an unseen category: the training-weighted mean of the feature's bins
                w = model.bin_weights_[j]
                G[i, offsets[j]:offsets[j + 1]] = w / w.sum()
        for p, w in enumerate(model.pair_weights_):
            n_a, n_b = w.shape
            ia, ib = divmod(int(codes[d + p][i]), model.pair_scores_[p].shape[1])
            block = np.zeros((n_a, n_b))
            if ia < n_a and ib < n_b:
                block[ia, ib] = 1.0
            elif ia < n_a:  # b unseen: the mean along b of row ia
                block[ia] = w[ia] / w[ia].sum()
            elif ib < n_b:  # a unseen: the mean along a of column ib
                block[:, ib] = w[:, ib] / w[:, ib].sum()
            else:
                block = w / w.sum()
            G[i, offsets[d + p]:offsets[d + p + 1]] = block.ravel()
    return G


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_the_interval_reads_the_pair_cells(models, kind):
    X, all_models = models
    model = all_models[kind]
    rows = X.iloc[:40].copy()
    rows.loc[rows.index[:5], "proto"] = "sctp"  # never seen: the unseen score and the pair's unseen entry
    K = 1 if kind != "multiclass" else 3
    n_flat = sum(len(w) for w in model.bin_weights_) + sum(w.size for w in model.pair_weights_)
    assert model.covariance_.shape == ((n_flat + 1) * K,) * 2
    G = _design_oracle(model, rows)
    lower, upper = model.decision_interval(rows, level=0.9)
    z = model.predict(rows) if kind == "regression" else model.decision_function(rows)
    q = NormalDist().inv_cdf(0.95)
    for k in range(K):
        V = model.covariance_[k::K, k::K]
        se = np.sqrt(np.einsum("ip,pq,iq->i", G, V, G))
        low = lower if K == 1 else lower[:, k]
        zk = z if K == 1 else z[:, k]
        assert np.allclose(low, zk - q * se, rtol=1e-10, atol=1e-12)
        assert np.all(np.isfinite(low))
    assert np.allclose(upper - z, z - lower, rtol=1e-10, atol=1e-12)


def test_leaving_the_pairs_out_of_the_design_would_differ(models):
    """The pair cells carry variance: the oracle without them gives other intervals (the check above can fail)."""
    X, all_models = models
    model = all_models["binary"]
    G = _design_oracle(model, X.iloc[:20])
    n_main = sum(len(w) for w in model.bin_weights_)
    without = G.copy()
    without[:, n_main:-1] = 0.0
    V = model.covariance_
    lower, _ = model.decision_interval(X.iloc[:20])
    se_without = np.sqrt(np.einsum("ip,pq,iq->i", without, V, without))
    z = model.decision_function(X.iloc[:20])
    assert not np.allclose(lower, z - NormalDist().inv_cdf(0.975) * se_without, rtol=1e-6)


def test_main_effect_errors_and_tests_keep_their_shapes(models):
    X, all_models = models
    for model in all_models.values():
        assert [np.shape(s) for s in model.bin_scores_se_] == [np.shape(s) for s in model.bin_scores_]
        assert all(np.isfinite(se[:-1]).all() for se in model.bin_scores_se_[:2])  # numeric bins with rows
        assert {k: len(v) for k, v in model.feature_tests_.items()} == dict.fromkeys(
            ("statistic", "df", "edf", "p_value"), 3)


def test_a_saved_pair_model_gives_the_same_intervals(models, tmp_path):
    import embedsum

    X, all_models = models
    model = all_models["binary"]
    model.save(tmp_path / "m.json")
    loaded = embedsum.load(tmp_path / "m.json")
    for ours, theirs in zip(model.decision_interval(X.iloc[:50]), loaded.decision_interval(X.iloc[:50])):
        assert np.array_equal(ours, theirs)
    assert all(np.array_equal(a, b) for a, b in zip(model.bin_scores_se_, loaded.bin_scores_se_))


def test_each_trained_pair_cell_has_a_standard_error(models, tmp_path):
    import embedsum

    X, all_models = models
    for kind, model in all_models.items():
        K = 1 if kind != "multiclass" else 3
        n_main = sum(len(w) for w in model.bin_weights_)
        start = n_main
        for se, w in zip(model.pair_scores_se_, model.pair_weights_):
            assert se.shape == (w.shape if K == 1 else w.shape + (K,))
            cells = np.arange(start, start + w.size)
            start += w.size
            variance = np.diag(model.covariance_)[(cells[:, None] * K + np.arange(K)).ravel()]
            assert np.array_equal(se.ravel(), np.where(variance > 0, np.sqrt(variance), np.inf))
            trained = (w > 0).reshape(w.shape + (1,) * (se.ndim - 2))
            assert np.all(np.isfinite(np.broadcast_to(se, se.shape)[np.broadcast_to(trained, se.shape)]))
    model = all_models["regression"]
    model.save(tmp_path / "r.json")
    loaded = embedsum.load(tmp_path / "r.json")
    assert all(np.array_equal(a, b) for a, b in zip(model.pair_scores_se_, loaded.pair_scores_se_))
    plain = EmbeddingSumRegressor(max_bins=5, interactions=[(0, 1)]).fit(X, np.arange(len(X), dtype=float))
    assert not hasattr(plain, "pair_scores_se_")
