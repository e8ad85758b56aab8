"""The published training of the embedding-sum model, in torch, written from docs/design.md#published-objective.

This is the baseline that embedsum is measured against: float32 parameters, one
vector of bin scores per feature initialised to 0, the bias initialised to
``logit(mean(y))``, and full-batch plain SGD (learning rate 10, no momentum) for a
fixed 1000 epochs on the published objective::

    mean BCE-with-logits  +  0.01 * step loss  +  0.01 * embedding-sum loss

To compare like with like, the bins are embedsum's own
(:class:`embedsum.Digitizer`, ``max_bins=20``): interval bins, then one missing-value
bin per feature, which takes part in the embedding-sum loss (with its training weight)
but not in the step loss. The fitted scores come back as float64 numpy arrays in
embedsum's layout, so that one evaluator (:func:`published_objective`, which uses
:class:`embedsum.training._objective.EmbeddingSumObjective` in float64) scores both models.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from embedsum import L2, Digitizer, EmbeddingSumLoss, ParameterLayout, StepLoss
from embedsum.training._objective import EmbeddingSumObjective

__all__ = ["PublishedModel", "fit_published", "published_objective"]

EPOCHS = 1000
LEARNING_RATE = 10.0
STEP_LOSS_WEIGHT = 0.01
EMBEDDING_SUM_LOSS_WEIGHT = 0.01
MAX_BINS = 20


@dataclass
class PublishedModel:
    """A model trained the published way: per-feature bin scores and a bias (float64 copies).

    ``digitizer`` is the fitted :class:`embedsum.Digitizer` that defines the bins;
    ``loss_history`` holds the float32 objective computed in each epoch (before that
    epoch's SGD step), so its last entry is one step behind the returned parameters.
    """

    digitizer: Digitizer
    bin_scores: list
    bias: float
    fit_seconds: float
    loss_history: np.ndarray

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of each row, computed in float32 torch as the published code does."""
        codes = torch.as_tensor(self.digitizer.transform(X).astype(np.int64))
        offsets = torch.as_tensor(ParameterLayout(self.digitizer.n_bins_).offsets[:-1].astype(np.int64))
        flat = torch.as_tensor(np.concatenate(self.bin_scores), dtype=torch.float32)
        with torch.no_grad():
            z = flat[codes + offsets].sum(dim=1) + torch.tensor(self.bias, dtype=torch.float32)
        return z.numpy().astype(np.float64)

    def predict_proba(self, X) -> np.ndarray:
        """P(y = 1) of each row, shape (n_samples,)."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))

    def predict(self, X) -> np.ndarray:
        """0/1 label of each row (1 where the log-odds are > 0)."""
        return (self.decision_function(X) > 0).astype(np.int64)


class _EmbeddingSum(torch.nn.Module):
    """The published network: one score vector per feature, summed with a bias."""

    def __init__(self, n_bins, bias: float):
        super().__init__()
        self.scores = torch.nn.ParameterList(
            torch.nn.Parameter(torch.zeros(int(k), dtype=torch.float32)) for k in n_bins
        )
        self.bias = torch.nn.Parameter(torch.tensor(bias, dtype=torch.float32))
        offsets = np.concatenate([[0], np.cumsum(n_bins)[:-1]])
        self.register_buffer("offsets", torch.as_tensor(offsets, dtype=torch.int64))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        # One gather over all features at once: flat[codes[i, j] + offsets[j]].
        flat = torch.cat(list(self.scores))
        return flat[codes + self.offsets].sum(dim=1) + self.bias


def _step_loss(scores) -> torch.Tensor:
    """Mean over all neighbouring interval-bin pairs of all features (missing bin excluded)."""
    diffs = torch.cat([s[1:-1] - s[:-2] for s in scores])
    return (diffs**2).mean() if diffs.numel() else diffs.sum()


def _embedding_sum_loss(scores, weights) -> torch.Tensor:
    """Mean over features of the squared training-weighted mean of the feature's scores."""
    means = torch.stack([(s * v).sum() / v.sum() for s, v in zip(scores, weights)])
    return (means**2).mean()


def fit_published(X, y, sample_weight=None, *, epochs: int = EPOCHS, lr: float = LEARNING_RATE,
                  digitizer: Digitizer | None = None) -> PublishedModel:
    """Train the published way on X (float, NaN = missing) and 0/1 labels y.

    ``digitizer`` may be an already fitted :class:`embedsum.Digitizer`; by default one
    with ``max_bins=20`` is fitted on X. ``fit_seconds`` covers the whole fit: binning
    (when the digitizer is fitted here), conversion to tensors and the training loop.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> model = fit_published(X, (X[:, 0] > 0).astype(int), epochs=50)
    >>> model.predict(np.array([[2.0, 0.0], [-2.0, 0.0]])).tolist()
    [1, 0]
    """
    start = time.perf_counter()
    if digitizer is None:
        digitizer = Digitizer(max_bins=MAX_BINS).fit(X)
    codes = torch.as_tensor(digitizer.transform(X).astype(np.int64))
    y_t = torch.as_tensor(np.asarray(y, dtype=np.float32))
    w_t = None if sample_weight is None else torch.as_tensor(np.asarray(sample_weight, dtype=np.float32))
    weights = [torch.as_tensor(v, dtype=torch.float32) for v in digitizer.bin_weights_]
    mean_y = float(np.average(np.asarray(y, dtype=np.float64), weights=sample_weight))

    model = _EmbeddingSum(digitizer.n_bins_, float(np.log(mean_y / (1.0 - mean_y))))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
    history = np.empty(epochs)
    for epoch in range(epochs):
        optimizer.zero_grad()
        z = model(codes)
        loss = (
            torch.nn.functional.binary_cross_entropy_with_logits(z, y_t, weight=w_t, reduction="mean")
            + STEP_LOSS_WEIGHT * _step_loss(model.scores)
            + EMBEDDING_SUM_LOSS_WEIGHT * _embedding_sum_loss(model.scores, weights)
        )
        loss.backward()
        optimizer.step()
        history[epoch] = loss.item()
    seconds = time.perf_counter() - start

    with torch.no_grad():
        scores = [s.detach().numpy().astype(np.float64) for s in model.scores]
        bias = float(model.bias.detach())
    return PublishedModel(digitizer, scores, bias, seconds, history)


def published_objective(codes, y, bin_weights, n_bins, bin_scores, bias, sample_weight=None) -> float:
    """The published objective at (bin_scores, bias), in float64, by embedsum's evaluator.

    ``codes``, ``bin_weights`` and ``n_bins`` describe the bins (from a fitted Digitizer);
    the regularisers are StepLoss(0.01), EmbeddingSumLoss(0.01) and L2(0.0).
    """
    layout = ParameterLayout(n_bins, bin_weights)
    y = np.asarray(y, dtype=np.float64)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    regularizers = [StepLoss(STEP_LOSS_WEIGHT), EmbeddingSumLoss(EMBEDDING_SUM_LOSS_WEIGHT), L2(0.0)]
    objective = EmbeddingSumObjective(codes, y, sw, layout, regularizers)
    loss, _ = objective.loss_gradient(layout.join(bin_scores, bias))
    return float(loss)
