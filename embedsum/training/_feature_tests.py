"""Does a feature matter? A Wald test of each feature's centred shape (docs/design.md#uncertainty).

The null hypothesis is that the feature's step function is flat: its centred shape ``s_j``
(each bin's score minus the feature's training-weighted mean score; with K outputs, also
centred over the outputs) is 0 on every bin that holds training rows. Under it the fitted
centred shape is approximately ``N(0, V_e)``, with ``V_e = V X'WX V`` the frequentist
covariance of the penalised estimate (the penalty shrinks towards a flat shape, so it adds
no bias under the null). The statistic is ``s' V_e^+ s`` on the ``r`` directions the shape
has (bins with rows minus one, times K - 1 with K outputs), referred to chi-squared with
``r`` degrees of freedom, or for a regression, whose scale is estimated, ``statistic / r``
to F(r, N - edf). ``edf`` is the feature's effective degrees of freedom: the trace of the
influence matrix ``V X'WX`` over its scores, as mgcv reports it.
"""

from __future__ import annotations

import numpy as np

from ._layout import ParameterLayout


def feature_tests(coef, covariance, data_hessian, layout: ParameterLayout, influence_diag, residual_df,
                  factor=None) -> dict:
    """Per feature: ``statistic``, ``df`` (its r), ``edf`` and ``p_value``, as float64 arrays.

    ``factor`` (optional, sparse) is a ``B`` with ``B' B = data_hessian``: with fewer rows than
    parameters it gives the blocks of ``V X'WX V`` more cheaply.

    Example
    -------
    >>> layout = ParameterLayout([3], bin_weights=[[0.5, 0.5, 0.0]])
    >>> cov = np.diag([0.1, 0.1, 0.0, 0.01])
    >>> tests = feature_tests(np.array([1.0, -1.0, 0.0, 0.0]), cov, np.diag([10.0, 10.0, 0.0, 20.0]), layout,
    ...                       np.array([1.0, 1.0, 0.0, 0.2]), None)
    >>> float(tests["df"][0]), round(float(tests["statistic"][0]), 6)
    (1.0, 20.0)
    """
    from scipy.special import chdtrc, fdtrc

    K = layout.n_outputs
    d = layout.n_features
    coef = np.asarray(coef, dtype=np.float64)
    if factor is not None:
        projected = np.asarray(factor @ covariance)  # B V: (rows, P)

        def frequentist_block(params):
            part = projected[:, params]
            return part.T @ part
    else:
        curvature_times_v = data_hessian @ covariance

        def frequentist_block(params):
            return covariance[:, params].T @ curvature_times_v[:, params]
    table = layout.table(coef)
    out = {name: np.zeros(d) for name in ("statistic", "df", "edf", "p_value")}
    for j in range(d):
        rows = np.arange(layout.offsets[j], layout.offsets[j + 1])
        params = (rows[:, None] * K + np.arange(K)).ravel()
        out["edf"][j] = max(float(influence_diag[params].sum()), 0.0)
        u = layout.normalized_weights[rows]
        with_rows = np.flatnonzero(u > 0)
        r = (len(with_rows) - 1) * (K - 1 if K > 1 else 1)
        if r <= 0:
            out["p_value"][j] = 1.0
            continue
        # The centring map from the feature's scores (bins x outputs) to its centred shape on
        # the bins with rows: subtract the weighted mean over bins, then (K > 1) over outputs.
        n_b = len(rows)
        centre_bins = np.eye(n_b)[with_rows] - u[None, :]
        centre_outputs = np.eye(K) - (1.0 / K if K > 1 else 0.0)
        transform = np.kron(centre_bins, centre_outputs)  # (len(with_rows) K, n_b K)
        shape = transform @ table[rows].ravel()
        statistic, df = _wald(shape, transform @ frequentist_block(params) @ transform.T,
                              transform @ covariance[np.ix_(params, params)] @ transform.T, r)
        out["statistic"][j] = statistic
        out["df"][j] = df
        if df == 0:
            out["p_value"][j] = 1.0
        elif residual_df is None:
            out["p_value"][j] = float(chdtrc(df, statistic))
        else:
            out["p_value"][j] = float(fdtrc(df, residual_df, statistic / df))
    return out


def _wald(shape, frequentist, bayesian, r: int) -> tuple[float, int]:
    """``shape' V_e^- shape`` and its degrees of freedom, on the directions the data inform.

    The centred shape has ``r`` directions: the top ``r`` of its Bayesian covariance (the
    others are the centring's, of variance 0). Along each, the data explain a share
    ``lambda`` of the posterior variance (the generalised eigenvalues of ``V_e`` against
    ``V``); a direction with ``lambda <= 1e-6`` is set by the penalty alone (a feature that
    other features determine, say) and is left out, as its estimate does not depend on the data.
    """
    values, vectors = np.linalg.eigh((bayesian + bayesian.T) / 2)
    top = np.argsort(values)[::-1][:r]
    values, vectors = values[top], vectors[:, top]
    keep = values > values.max() * 1e-12 if values.max() > 0 else np.zeros(r, dtype=bool)
    basis = vectors[:, keep] / np.sqrt(values[keep])  # whitens the Bayesian covariance
    relative = basis.T @ frequentist @ basis
    shares, directions = np.linalg.eigh((relative + relative.T) / 2)
    informed = shares > 1e-6
    along = directions[:, informed].T @ (basis.T @ shape)
    return float(np.sum(along**2 / shares[informed])), int(informed.sum())
