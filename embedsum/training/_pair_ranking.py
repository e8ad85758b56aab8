"""Rank candidate pairs of features by how much a two-way split of their bins would gain.

After the main effects are fitted, each row has the loss's first and second derivatives
``g_i`` and ``h_i`` at its decision value (log-loss: ``p - y`` and ``p (1 - p)``; squared
error: the residual and 1; softmax: per class, summed). For a pair ``(a, b)``, the rows fall
into the cells of their two (coarse) bin codes. Cutting both axes once, at ``a <= s`` and
``b <= t``, makes four quadrants; a Newton step of one constant per quadrant lowers the loss
by ``sum_q G_q**2 / (H_q + lam)`` to second order (``G_q``, ``H_q``: the quadrant's sums of
``w g`` and ``w h``). A pair's score is the best such gain over every cut ``(s, t)`` less the
gain of the best single cut on either axis alone, which the main effects could take
themselves: what is left is interaction. This is the FAST ranking of GA2M (Lou, Caruana,
Gehrke and Hooker, KDD 2013), computed from cumulative sums of each pair's 2-D histogram
(docs/design.md#pair-terms). The missing bin is the last code of each axis, so it joins the
upper side of every cut.
"""

from __future__ import annotations

import numpy as np


def _split_gains(G: np.ndarray, H: np.ndarray, lam: float) -> tuple[float, float]:
    """Best gain of a two-axis cut and of a one-axis cut of a (n_a, n_b[, K]) histogram."""
    G = G.reshape(G.shape[0], G.shape[1], -1)
    H = H.reshape(G.shape)
    # Sums over the lower-left block [0..s] x [0..t], every (s, t), by cumulative sums.
    cg, ch = G.cumsum(0).cumsum(1), H.cumsum(0).cumsum(1)
    tg, th = cg[-1, -1], ch[-1, -1]  # totals (per output)
    rows_g, rows_h = cg[:, -1:], ch[:, -1:]  # [0..s] x all
    cols_g, cols_h = cg[-1:, :], ch[-1:, :]  # all x [0..t]
    quadrants = [(cg, ch), (rows_g - cg, rows_h - ch), (cols_g - cg, cols_h - ch),
                 (tg - rows_g - cols_g + cg, th - rows_h - cols_h + ch)]

    def newton(g, h):
        return np.sum(g * g / (h + lam), axis=-1)

    # Cuts strictly inside each axis: s < n_a - 1 and t < n_b - 1.
    two = sum(newton(g, h) for g, h in quadrants)[:-1, :-1]
    best_two = float(two.max()) if two.size else 0.0
    one_a = newton(rows_g[:-1, 0], rows_h[:-1, 0]) + newton(tg - rows_g[:-1, 0], th - rows_h[:-1, 0])
    one_b = newton(cols_g[0, :-1], cols_h[0, :-1]) + newton(tg - cols_g[0, :-1], th - cols_h[0, :-1])
    best_one = max([float(newton(tg[None], th[None])[0])] + [float(v) for v in np.concatenate([one_a, one_b])])
    return best_two, best_one


def rank_pairs(codes, n_bins, gradient, hessian, sample_weight=None, *, candidates=None, lam: float = 1e-3):
    """Candidate pairs ``(a, b)`` ordered by their interaction score, best first, and the scores.

    ``codes`` (n, d) holds each row's (coarse) bin code per feature, ``n_bins`` each feature's
    number of codes; ``gradient`` and ``hessian`` are the loss's derivatives per row, shape (n,)
    or (n, K). ``candidates`` restricts the pairs (default: every ``a < b``). ``lam`` keeps
    empty quadrants from dividing by zero, relative to the total of ``w h``.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 2, size=(400, 3))
    >>> residual = np.where(codes[:, 0] == codes[:, 2], 1.0, -1.0)  # an XOR of features 0 and 2
    >>> pairs, scores = rank_pairs(codes, [2, 2, 2], residual, np.ones(400))
    >>> pairs[0], bool(scores[0] > 50 * scores[1])
    ((0, 2), True)
    """
    codes = np.asarray(codes)
    n, d = codes.shape
    n_bins = np.asarray(n_bins, dtype=np.intp)
    g = np.asarray(gradient, dtype=np.float64).reshape(n, -1)
    h = np.asarray(hessian, dtype=np.float64).reshape(n, -1)
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64).reshape(n, 1)
        g, h = g * w, h * w
    K = g.shape[1]
    lam = lam * float(h.sum()) / max(K, 1)
    if candidates is None:
        candidates = [(a, b) for a in range(d) for b in range(a + 1, d)]
    scores = np.empty(len(candidates))
    for i, (a, b) in enumerate(candidates):
        n_a, n_b = int(n_bins[a]), int(n_bins[b])
        joint = codes[:, a].astype(np.intp) * n_b + codes[:, b]
        G = np.stack([np.bincount(joint, weights=g[:, k], minlength=n_a * n_b) for k in range(K)], axis=-1)
        H = np.stack([np.bincount(joint, weights=h[:, k], minlength=n_a * n_b) for k in range(K)], axis=-1)
        two, one = _split_gains(G.reshape(n_a, n_b, K), H.reshape(n_a, n_b, K), lam)
        scores[i] = max(two - one, 0.0)
    order = np.argsort(-scores, kind="stable")
    return [tuple(int(v) for v in candidates[i]) for i in order], scores[order]


def loss_derivatives(loss, z: np.ndarray, target) -> tuple[np.ndarray, np.ndarray]:
    """Each row's first and second derivatives of a built-in loss at decision values ``z``.

    Log-loss: ``p - y`` and ``p (1 - p)``; squared error: the residual and 1; softmax (z of
    shape (n, K), class indices in ``target``): ``p_k - [y = k]`` and ``p_k (1 - p_k)`` per class
    (the Hessian's diagonal, from :mod:`._laplace`'s per-row curvatures).

    Example
    -------
    >>> from embedsum.training._losses import LOSSES
    >>> g, h = loss_derivatives(LOSSES["log"], np.array([0.0]), np.array([1.0]))
    >>> g.tolist(), h.tolist()
    ([-0.5], [0.25])
    """
    from ._laplace import _row_curvatures  # the loss's curvature per row, written once there

    z = np.array(z, dtype=np.float64)
    _, gradient = loss.loss_gradient(z, target)
    K = 1 if z.ndim == 1 else z.shape[1]
    blocks = _row_curvatures(loss.name, z.reshape(len(z), K), target, np.ones(len(z)))
    hessian = np.stack([blocks[(k, k)] for k in range(K)], axis=1)  # the diagonal
    return gradient, hessian[:, 0] if z.ndim == 1 else hessian
