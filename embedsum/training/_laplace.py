"""The Laplace approximation at the optimum: exact Hessians, the covariance of the scores, edf and feature tests.

An embedding-sum model is a penalised GLM: every built-in penalty is a quadratic form in the
flat parameter vector, so it reads as a Gaussian prior and the fitted scores as a posterior
mode (the Bayesian view of penalised regression splines, as in Wood's *Generalized Additive
Models*). In row counts ``c_i`` (sample weights in units of the smallest positive one,
``N = sum c_i``) the objective times ``N`` is a negative log posterior, whose Hessian at the
optimum is

    H = X' W X + N S

with ``X`` the one-hot design over bins plus the intercept column (docs/design.md#parameter-layout),
``W`` the curvature of each row's loss (``c p (1 - p)`` for the binary log-loss, the K x K
block ``c (diag(p) - p p')`` for the softmax, ``c / sigma**2`` for the squared error) and ``S``
the constant Hessian of the penalties of the (mean) objective. The covariance of the scores is
``V = H^-1`` on the directions the model identifies; see docs/design.md#uncertainty for which
directions are held fixed and what each reported number means.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._sample_weights import sample_weight_counts
from ._layout import ParameterLayout
from ._regularizers import L2, EmbeddingSumLoss, StepLoss


# Below this reciprocal condition number the Hessian is taken as singular along its smallest
# eigenvalues (relative to the largest): a pseudo-inverse replaces the Cholesky inverse.
_RCOND = 1e-10
# Rows per chunk of the data Hessian's sums (at least): the chunk's pair indices stay a few MiB.
_CHUNK_ROWS = 4096


class Laplace(NamedTuple):
    """What :func:`laplace` returns: the covariance (flat layout, P x P), the residual scale
    (sigma**2 for regression, 1 otherwise), the total edf and the per-feature tests
    (``statistic``, ``df``, ``edf``, ``p_value``: arrays of one value per feature).

    Example
    -------
    >>> Laplace(np.eye(2), 1.0, 1.5, {}).scale
    1.0
    """

    covariance: np.ndarray
    scale: float
    edf: float
    feature_tests: dict


def design_matrix(codes, layout: ParameterLayout):
    """The one-hot design of binned rows, a scipy CSR matrix (n, n_bin_rows + 1): a 1 in each
    row's bin row of every term and in the intercept column (the last).

    Example
    -------
    >>> X = design_matrix(np.array([[0, 1], [2, 0]]), ParameterLayout([3, 2]))
    >>> X.toarray().astype(int).tolist()
    [[1, 0, 0, 0, 1, 1], [0, 0, 1, 1, 0, 1]]
    """
    from scipy import sparse

    n = len(codes)
    width = layout.n_terms + 1
    rows = np.empty((n, width), dtype=np.intp)
    rows[:, :-1] = layout.term_rows(codes).T
    rows[:, -1] = layout.n_bin_rows
    return sparse.csr_matrix((np.ones(n * width), rows.ravel(), np.arange(0, n * width + 1, width)),
                             shape=(n, layout.n_bin_rows + 1))


def _row_curvatures(loss_name: str, z: np.ndarray, target, counts) -> dict:
    """``{(k, l): per-row weight}`` of the data Hessian's output blocks (k <= l), in row counts."""
    if loss_name == "log":
        p = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -700, 700)))
        return {(0, 0): counts * p * (1.0 - p)}
    if loss_name == "squared":
        return {(0, 0): counts.copy()}
    if loss_name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        K = z.shape[1]
        return {(k, m): counts * ((p[:, k] if k == m else 0.0) - p[:, k] * p[:, m])
                for k in range(K) for m in range(k, K)}
    raise ValueError(f"uncertainty=True needs a built-in loss ('log', 'softmax' or 'squared'), got {loss_name!r}")


def data_hessian(codes, layout: ParameterLayout, coef, target, counts, loss_name: str) -> np.ndarray:
    """``X' W X`` in the flat layout (P x P): the Hessian of ``sum_i c_i loss_i`` at ``coef``.

    Exact: sums over the pairs of bins the rows fall in (one pass over the rows, in chunks).
    For the squared error it is ``X' C X`` (the loss before dividing by sigma**2).

    Example
    -------
    >>> layout = ParameterLayout([2])
    >>> data_hessian(np.array([[0], [1], [1]]), layout, np.zeros(3), None, np.ones(3), "squared").tolist()
    [[1.0, 0.0, 1.0], [0.0, 2.0, 2.0], [1.0, 2.0, 3.0]]
    """
    return _data_pass(codes, layout, coef, target, counts, loss_name)[0]


def _data_pass(codes, layout: ParameterLayout, coef, target, counts, loss_name: str) -> tuple[np.ndarray, float]:
    """:func:`data_hessian` and, for the squared error, the weighted residual sum of squares
    ``sum c_i (y_i - z_i)**2`` (0.0 otherwise): both from one pass over the rows."""
    K = layout.n_outputs
    rows = _design_rows(codes, layout)
    table = np.asarray(coef, dtype=np.float64).reshape(-1, K)  # bin rows, then the intercept row
    size = layout.n_bin_rows + 1
    pairs_of_outputs = [(k, m) for k in range(K) for m in range(k, K)]
    blocks = {pair: np.zeros(size * size) for pair in pairs_of_outputs}
    residual_squares = 0.0
    y = np.asarray(target, dtype=np.float64) if loss_name == "squared" and target is not None else None
    # Chunks of rows whose pair indices are a few MiB, or as many as the block's cells (each
    # bincount allocates the whole block).
    step = max(_CHUNK_ROWS, size * size // rows.shape[1] ** 2)
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        part = slice(start, start + step)
        z = np.zeros((len(chunk), K))
        for a in range(chunk.shape[1]):
            z += table[chunk[:, a]]
        if y is not None:
            residual_squares += float(np.sum(counts[part] * (y[part] - z[:, 0]) ** 2))
        curvatures = _row_curvatures(loss_name, z, None, counts[part])
        # Every pair of bins a row falls in, as one index into the (size x size) block: the
        # sums per pair are bincounts (exact sums of the rows' curvatures, in row order).
        pairs = (chunk[:, :, None] * size + chunk[:, None, :]).ravel()
        width = chunk.shape[1] ** 2
        for pair, w in curvatures.items():
            blocks[pair] += np.bincount(pairs, weights=np.repeat(w, width), minlength=size * size)
    hessian = np.zeros((layout.n_params, layout.n_params))
    for (k, m), block in blocks.items():
        block = block.reshape(size, size)
        hessian[k::K, m::K] = block
        if k != m:
            hessian[m::K, k::K] = block.T
    return hessian, residual_squares


def _design_rows(codes, layout: ParameterLayout) -> np.ndarray:
    """(n, terms + 1): the bin row of each term for each row, then the intercept row."""
    rows = np.empty((len(codes), layout.n_terms + 1), dtype=np.intp)
    rows[:, :-1] = layout.term_rows(codes).T
    rows[:, -1] = layout.n_bin_rows
    return rows


def curvature_factor(codes, layout: ParameterLayout, coef, counts, loss_name: str):
    """A sparse ``B`` (scipy CSR, one row per training row and output) with ``B' B = X' W X``.

    Binary log-loss: row i of ``X`` times ``sqrt(c_i p_i (1 - p_i))``; squared error: times
    ``sqrt(c_i)``; softmax: ``diag(p) - p p' = M' M`` with ``M = diag(sqrt(p)) (I - 1 p')``, so
    row (i, k) holds ``sqrt(c_i) M_i[k, l]`` at every bin row of row i, output l.

    Example
    -------
    >>> layout = ParameterLayout([2])
    >>> B = curvature_factor(np.array([[0], [1], [1]]), layout, np.zeros(3), np.ones(3), "squared")
    >>> (B.T @ B).toarray().tolist()
    [[1.0, 0.0, 1.0], [0.0, 2.0, 2.0], [1.0, 2.0, 3.0]]
    """
    from scipy import sparse

    X = design_matrix(codes, layout)
    K = layout.n_outputs
    z = np.asarray(X @ np.asarray(coef, dtype=np.float64).reshape(-1, K))
    if loss_name != "softmax":
        w = _row_curvatures(loss_name, z, None, counts)[(0, 0)]
        return (sparse.diags(np.sqrt(w)) @ X).tocsr()
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    n = len(z)
    # M_i[k, l] = sqrt(p_ik) (delta_kl - p_il), times sqrt(c_i)
    m = np.sqrt(p * counts[:, None])[:, :, None] * (np.eye(K)[None] - p[:, None, :])  # (n, K, K)
    rows = X.indices.reshape(n, -1)  # the bin rows of each training row (design_matrix: a fixed count per row)
    width = rows.shape[1]
    columns = (rows[:, None, :, None] * K + np.arange(K)[None, None, None, :])  # (n, 1, width, K)
    columns = np.broadcast_to(columns, (n, K, width, K)).reshape(n * K, width * K)
    values = np.broadcast_to(m[:, :, None, :], (n, K, width, K)).reshape(n * K, width * K)
    return sparse.csr_matrix((values.ravel(), columns.ravel(), np.arange(0, n * K * width * K + 1, width * K)),
                             shape=(n * K, layout.n_params))


def penalty_hessian(regularizers, layout: ParameterLayout, coef) -> np.ndarray:
    """The Hessian (P x P) of the sum of the regularisers of the mean objective.

    The built-in ones are quadratic, their Hessian constant and written from their formulas
    (docs/design.md#published-objective): the step loss ``2 w / n_pairs`` times the graph
    Laplacian of neighbouring bins, the embedding-sum loss ``2 w / d`` times ``u_j u_j'`` per
    feature, l2 ``2 w / n_bin_rows`` times the identity on the bins; each the same for every
    output. Any other regulariser's Hessian is taken from central differences of its
    gradient at ``coef`` (exact for a quadratic one, up to rounding).

    Example
    -------
    >>> penalty_hessian([StepLoss(1.0)], ParameterLayout([3]), np.zeros(4)).tolist()
    [[2.0, -2.0, 0.0, 0.0], [-2.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    rows = layout.n_bin_rows + 1
    per_output = np.zeros((rows, rows))
    others = []
    for reg in regularizers:
        kind = type(reg)
        if kind is StepLoss:
            n_pairs = len(layout.step_left)
            if n_pairs and reg.weight:
                c = 2.0 * reg.weight / n_pairs
                left, right = layout.step_left, layout.step_right
                np.add.at(per_output, (left, left), c)
                np.add.at(per_output, (right, right), c)
                np.add.at(per_output, (left, right), -c)
                np.add.at(per_output, (right, left), -c)
        elif kind is EmbeddingSumLoss:
            if reg.weight:
                c = 2.0 * reg.weight / layout.n_features
                u = layout.normalized_weights
                for j in range(layout.n_features):
                    s = slice(layout.offsets[j], layout.offsets[j + 1])
                    per_output[s, s] += c * np.outer(u[s], u[s])
        elif kind is L2:
            if reg.weight:
                idx = np.arange(layout.n_bin_rows)
                per_output[idx, idx] += 2.0 * reg.weight / layout.n_bin_rows
        else:
            others.append(reg)
    hessian = np.kron(per_output, np.eye(layout.n_outputs))
    for reg in others:
        hessian += _finite_difference_hessian(reg, layout, np.asarray(coef, dtype=np.float64))
    return hessian


def _finite_difference_hessian(reg, layout, coef) -> np.ndarray:
    n = len(coef)
    out = np.empty((n, n))
    for i in range(n):
        h = 1e-4 * max(1.0, abs(coef[i]))
        up, down = coef.copy(), coef.copy()
        up[i] += h
        down[i] -= h
        out[:, i] = (reg.value_gradient(up, layout)[1] - reg.value_gradient(down, layout)[1]) / (2 * h)
    return (out + out.T) / 2


def _inverse_on_identified(hessian: np.ndarray, layout: ParameterLayout) -> np.ndarray:
    """``V``: the inverse of the Hessian on the directions the model identifies, 0 elsewhere.

    A bin row that neither the data nor a penalty touches (no training rows, no l2) is not
    estimated: its rows and columns of V are 0. With K outputs the softmax does not see a
    shift of all K scores of a bin (or of the intercepts): V is taken on the scores centred
    over the outputs, i.e. conditional on each bin's sum over outputs, which the fit leaves
    at 0 (the intercepts' at their start). Any other flat direction (e.g. no embedding-sum
    loss: a feature's level against the intercept; two categorical features that determine
    each other) gets a pseudo-inverse: V is then conditional on it.
    """
    K = layout.n_outputs
    P = hessian.shape[0]
    touched = np.abs(hessian).reshape(P // K, K, P).sum(axis=(1, 2)) > 0
    keep = np.flatnonzero(np.repeat(touched, K))
    h = hessian[np.ix_(keep, keep)]
    m = len(keep) // K
    if K > 1:
        h4 = h.reshape(m, K, m, K)
        h4 = _centre_outputs(h4)
        h4[np.arange(m), :, np.arange(m), :] += 1.0 / K  # the shifts, held fixed: unit curvature
        h = h4.reshape(m * K, m * K)
    h = (h + h.T) / 2
    from scipy.linalg import lapack

    factor, info = lapack.dpotrf(h, lower=1, clean=0)
    if info == 0:
        # A Cholesky factor exists for a matrix singular up to rounding too (two categorical
        # features that determine each other): estimate its condition before trusting it.
        rcond, info = lapack.dpocon(factor, np.abs(h).sum(axis=0).max(), uplo="L")
        info = info or int(rcond < _RCOND)
    if info == 0:
        v, info = lapack.dpotri(factor, lower=1)  # the inverse from the Cholesky factor: its lower triangle
        below = np.tril_indices(len(v), -1)
        v[below[1], below[0]] = v[below]
    if info != 0:
        values, vectors = np.linalg.eigh(h)
        good = values > values.max() * _RCOND
        v = (vectors[:, good] / values[good]) @ vectors[:, good].T
    if K > 1:
        v = _centre_outputs(v.reshape(m, K, m, K)).reshape(m * K, m * K)
    v = (v + v.T) / 2
    out = np.zeros_like(hessian)
    out[np.ix_(keep, keep)] = v
    return out


def _centre_outputs(a4: np.ndarray) -> np.ndarray:
    """(I - J/K) A (I - J/K) for a matrix viewed as (rows, K, rows, K)."""
    a4 = a4 - a4.mean(axis=1, keepdims=True)
    return a4 - a4.mean(axis=3, keepdims=True)


def laplace(codes, target, sample_weight, layout: ParameterLayout, coef, regularizers, loss_name: str) -> Laplace:
    """The Laplace approximation of a model fitted on binned rows (see the module docstring).

    ``codes``, ``target`` and ``sample_weight`` are the training rows as the objective saw
    them, ``coef`` the optimum (flat layout), ``regularizers`` the objective's.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 3, size=(200, 1))
    >>> layout = ParameterLayout([4], bin_weights=[np.bincount(codes[:, 0], minlength=4) / 200])
    >>> result = laplace(codes, rng.normal(size=200), np.ones(200), layout, np.zeros(5), [StepLoss(0.01)], "squared")
    >>> result.covariance.shape, bool(result.covariance[3, 3] == 0)   # the empty missing bin: not estimated
    ((5, 5), True)
    """
    counts = sample_weight_counts(sample_weight)
    n = float(counts.sum())
    data, residual_squares = _data_pass(codes, layout, coef, target, counts, loss_name)  # the one pass over rows
    total = data + n * penalty_hessian(regularizers, layout, coef)
    covariance = _inverse_on_identified(total, layout)
    influence_diag = np.einsum("ij,ji->i", covariance, data)  # diag(V X'WX)
    edf = float(influence_diag.sum())
    scale = 1.0
    residual_df = None
    if loss_name == "squared":
        residual_df = max(n - edf, 1.0)
        scale = residual_squares / residual_df
        covariance = covariance * scale
        data = data / scale
    from ._feature_tests import feature_tests

    # The per-feature blocks of V X'WX V: through B V (rows x P) when there are fewer rows than
    # parameters (cheaper than the P x P x P product), else through X'WX V.
    factor = None
    if len(codes) * layout.n_outputs < layout.n_params:
        factor = curvature_factor(codes, layout, coef, counts, loss_name) * (1.0 / np.sqrt(scale))
    tests = feature_tests(coef, covariance, data, layout, influence_diag, residual_df, factor)
    return Laplace(covariance, scale, edf, tests)
