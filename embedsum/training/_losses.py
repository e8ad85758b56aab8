"""The data term of the objective as loss objects: one class per loss.

A loss sees decision values ``z`` and targets ``y`` only, never the bins. ``z`` has
shape (n,) for a loss of one output and (n, K) for a loss of K outputs (one per class).
Each loss gives:

- ``name``: the string the estimators pass today ("log", "softmax", "squared");
- ``min_outputs``/``max_outputs`` and :meth:`~Loss.accepts`: the outputs per bin it fits;
- :meth:`~Loss.check_target`: the target as the engines read it (checked where the loss
  needs class indices);
- :meth:`~Loss.loss_gradient`: the per-row loss and its derivative with respect to ``z``,
  fused (one pass shares the exponentials);
- :meth:`~Loss.intercept_start`: the intercept(s) of the best constant model, the solver's
  start with zero bin scores;
- :meth:`~Loss.held_out`: the weighted mean score cross-validation ranks candidates by;
- :meth:`~Loss.target_scale`: the unit of the target the solver works in (1: as given);
- ``history_name``: the key of its data term in the objective's components and ``history_``.

The objective (see docs/design.md#published-objective, #multiclass and #regression) is the
weighted mean of the per-row losses plus the regularisers. :data:`LOSSES` maps each name to
its loss object.
"""

from __future__ import annotations

import numpy as np


def log_loss_terms(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``softplus(z) - y*z`` and its derivative ``sigmoid(z) - y``, stable for any z.

    Example
    -------
    >>> import numpy as np
    >>> loss, dz = log_loss_terms(np.array([0.0, 800.0]), np.array([1.0, 1.0]))
    >>> loss.tolist(), dz.tolist()
    ([0.6931471805599453, 0.0], [-0.5, 0.0])
    """
    # In place where possible: at 10^5 rows these passes are the largest cost of a fit.
    e = np.abs(z)
    np.negative(e, out=e)
    with np.errstate(under="ignore"):  # exp(-|z|) underflows to 0 for |z| > 745: exact enough
        np.exp(e, out=e)
    loss = np.log1p(e)
    loss += np.maximum(z, 0.0)
    loss -= y * z
    sig = np.where(z >= 0, 1.0, e)
    e += 1.0
    sig /= e
    sig -= y
    return loss, sig


def softmax_loss_terms(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``logsumexp(z_i) - z_i[y_i]`` and its derivative ``softmax(z_i) - onehot(y_i)``.

    ``z`` has shape (n, K); ``y`` holds class indices. Stable for any finite z.

    Example
    -------
    >>> import numpy as np
    >>> loss, dz = softmax_loss_terms(np.zeros((1, 2)), np.array([1]))
    >>> loss.round(6).tolist(), dz.tolist()
    ([0.693147], [[0.5, -0.5]])
    """
    top = z.max(axis=1, keepdims=True)
    e = z - top
    with np.errstate(under="ignore"):
        np.exp(e, out=e)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(z))
    loss = np.log(total[:, 0]) + top[:, 0] - z[rows, y]
    e /= total
    e[rows, y] -= 1.0
    return loss, e


class Loss:
    """Base class of the losses: subclasses set the attributes and the fused terms.

    Example
    -------
    >>> import numpy as np
    >>> class AbsoluteError(Loss):
    ...     name, history_name = "absolute", "absolute_error"
    ...     def loss_gradient(self, z, y):
    ...         return np.abs(z - y), np.sign(z - y)
    >>> AbsoluteError().loss_gradient(np.array([1.0, -2.0]), np.zeros(2))[0].tolist()
    [1.0, 2.0]
    """

    name = "loss"
    history_name = "loss"
    min_outputs = 1
    max_outputs: int | None = 1

    def accepts(self, n_outputs: int) -> bool:
        """Whether this loss fits a layout of ``n_outputs`` values per bin."""
        return self.min_outputs <= n_outputs and (self.max_outputs is None or n_outputs <= self.max_outputs)

    def check_target(self, y, n_outputs: int) -> np.ndarray:
        """The target as the engines read it (here: float64)."""
        return np.asarray(y, dtype=np.float64)

    def loss_gradient(self, z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row loss, shape (n,), and its derivative with respect to ``z`` (shape of z)."""
        raise NotImplementedError

    def intercept_start(self, y, sample_weight, n_outputs: int) -> np.ndarray:
        """The intercept(s) of the best constant model, shape (n_outputs,)."""
        raise NotImplementedError

    def held_out(self, y, z, sample_weight) -> float:
        """Weighted mean loss ``sum(w * loss) / sum(w)`` of targets y at decision values z."""
        z = np.array(z, dtype=np.float64)
        loss, _ = self.loss_gradient(z, self.check_target(y, z.shape[1] if z.ndim == 2 else 1))
        return float(np.sum(loss * sample_weight) / np.sum(sample_weight))

    def target_scale(self, y, sample_weight) -> float:
        """The unit of the target in which the solver works (1: the target as given)."""
        return 1.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryLogLoss(Loss):
    """Binary log-loss ``softplus(z) - y*z`` of the log-odds z, y in {0, 1} (one output).

    Example
    -------
    >>> import numpy as np
    >>> loss = BinaryLogLoss()
    >>> loss.name, loss.history_name, loss.accepts(1), loss.accepts(3)
    ('log', 'classification', True, False)
    >>> loss.intercept_start(np.array([0.0, 1.0, 1.0]), np.ones(3), 1).round(6).tolist()  # log(2/1)
    [0.693147]
    >>> round(loss.held_out(np.array([0.0, 1.0]), np.zeros(2), np.array([1.0, 3.0])), 6)
    0.693147
    """

    name = "log"
    history_name = "classification"

    def loss_gradient(self, z, y):
        return log_loss_terms(z, y)

    def intercept_start(self, y, sample_weight, n_outputs: int = 1) -> np.ndarray:
        total = float(sample_weight.sum())
        positive = float(np.sum(sample_weight * y))
        return np.array([np.log(positive) - np.log(total - positive)])

    def held_out(self, y, z, sample_weight) -> float:
        """Weighted mean log-loss (exact, no clipping)."""
        loss, _ = log_loss_terms(np.array(z, dtype=np.float64), np.asarray(y, dtype=np.float64))
        return float(np.sum(loss * sample_weight) / np.sum(sample_weight))


class MultinomialLogLoss(Loss):
    """Multinomial log-loss ``logsumexp(z_i) - z_i[y_i]`` of K class scores (softmax), K >= 2.

    Example
    -------
    >>> import numpy as np
    >>> loss = MultinomialLogLoss()
    >>> loss.name, loss.accepts(1), loss.accepts(3)
    ('softmax', False, True)
    >>> loss.intercept_start(np.array([0, 2, 2, 2]), np.ones(4), 3).round(4).tolist()  # class 1 unseen
    [-1.3863, -27.631, -0.2877]
    >>> round(loss.held_out(np.array([2, 0]), np.zeros((2, 3)), np.ones(2)), 6)  # log(3)
    1.098612
    """

    name = "softmax"
    history_name = "classification"
    min_outputs = 2
    max_outputs = None

    def check_target(self, y, n_outputs: int) -> np.ndarray:
        """Class indices 0..K-1 as np.intp (ValueError otherwise)."""
        y = np.asarray(y)
        if y.size and (not np.all(y == np.round(y)) or y.min() < 0 or y.max() >= n_outputs):
            raise ValueError(f"y must hold class indices 0..{n_outputs - 1} for loss='softmax'.")
        return y.astype(np.intp)

    def loss_gradient(self, z, y):
        return softmax_loss_terms(z, y)

    def intercept_start(self, y, sample_weight, n_outputs: int) -> np.ndarray:
        total = float(sample_weight.sum())
        shares = np.bincount(y.astype(np.intp), weights=sample_weight, minlength=n_outputs) / total
        # A class without weight would pull its intercept to -inf: start it far down instead.
        return np.log(np.maximum(shares, 1e-12))

    def held_out(self, y, z, sample_weight) -> float:
        """Weighted mean log-loss of the softmax of z, shape (n, K) (exact, no clipping)."""
        loss, _ = softmax_loss_terms(np.array(z, dtype=np.float64), np.asarray(y).astype(np.intp))
        return float(np.sum(loss * sample_weight) / np.sum(sample_weight))


class HalfSquaredError(Loss):
    """Half squared error ``(z - y)**2 / 2`` of a real target (regression, one output).

    The solver works on ``y / std(y)`` (:meth:`target_scale`); the held-out score is the
    mean squared error itself, without the half, as scikit-learn's ``mean_squared_error``.

    Example
    -------
    >>> import numpy as np
    >>> loss = HalfSquaredError()
    >>> loss.name, loss.history_name
    ('squared', 'squared_error')
    >>> loss.loss_gradient(np.array([3.0]), np.array([1.0]))
    (array([2.]), array([2.]))
    >>> loss.held_out(np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([1.0, 3.0]))
    0.25
    >>> loss.target_scale(np.array([1.0, 3.0]), np.ones(2))
    1.0
    """

    name = "squared"
    history_name = "squared_error"

    def loss_gradient(self, z, y):
        dz = z - y
        return 0.5 * (dz * dz), dz

    def intercept_start(self, y, sample_weight, n_outputs: int = 1) -> np.ndarray:
        return np.array([float(np.sum(sample_weight * y)) / float(sample_weight.sum())])

    def held_out(self, y, z, sample_weight) -> float:
        """Weighted mean squared error ``sum(w * (z - y)**2) / sum(w)`` of predictions z."""
        residual = np.asarray(z, dtype=np.float64) - np.asarray(y, dtype=np.float64)
        return float(np.sum(sample_weight * residual**2) / np.sum(sample_weight))

    def target_scale(self, y, sample_weight) -> float:
        # L-BFGS-B's stopping rules are absolute (gradient below tol; relative reduction of a
        # loss below 1), while c * y multiplies the optimal scores by c and the loss by c**2.
        # Solving for y / std(y), then scaling the scores back, makes tol and the iterations
        # the same in any units: every term is quadratic, so the minimiser is the same.
        mean = float(np.sum(sample_weight * y)) / float(np.sum(sample_weight))
        std = float(np.sqrt(np.sum(sample_weight * (y - mean) ** 2) / np.sum(sample_weight)))
        return std if std > 0 and np.isfinite(std) and np.isfinite(1.0 / std) else 1.0


# The one table from the names the estimators pass to the loss objects.
LOSSES = {loss.name: loss for loss in (BinaryLogLoss(), MultinomialLogLoss(), HalfSquaredError())}


def resolve_loss(loss) -> Loss:
    """The loss object of a name in :data:`LOSSES`, or ``loss`` itself if it is an object.

    Example
    -------
    >>> resolve_loss("softmax")
    MultinomialLogLoss()
    >>> resolve_loss(HalfSquaredError()).name
    'squared'
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}")
        return LOSSES[loss]
    if not callable(getattr(loss, "loss_gradient", None)):
        raise ValueError(f"loss must be one of {tuple(LOSSES)} or a loss object, got {loss!r}")
    return loss
