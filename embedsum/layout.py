"""The flat parameter vector and the one helper that slices it.

Conventions
-----------
A fitted model over ``d`` features is one flat float64 vector ``coef``:

- feature ``j`` has ``n_bins[j]`` values: its interval bins in increasing order of
  value (``len(cuts[j]) + 1`` of them), then one bin for missing values (NaN);
- feature ``j`` owns ``coef[offsets[j]:offsets[j + 1]]`` with ``offsets[0] == 0``;
- the intercept (bias) is the last entry, ``coef[-1] == coef[offsets[d]]``;
- ``n_params == offsets[d] + 1 == sum(n_bins) + 1``.

Vectors that describe bins (the training weight of each bin, a gradient) use the
same layout; their intercept slot is 0 where it has no meaning.

The decision value of a row whose feature ``j`` falls in bin ``b[j]`` is
``coef[-1] + coef[offsets[0] + b[0]] + ... + coef[offsets[d-1] + b[d-1]]``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ParameterLayout"]


class ParameterLayout:
    """Where each feature's bins live in the flat parameter vector.

    Parameters
    ----------
    n_bins : sequence of int
        Number of bins of each feature, the missing-value bin included (>= 2).
    bin_weights : sequence of arrays, optional
        Training fraction of each bin, per feature, in bin order; kept flat as
        ``bin_weights`` and, divided by each feature's total, as ``normalized_weights``.

    Example
    -------
    >>> import numpy as np
    >>> layout = ParameterLayout([3, 2])
    >>> layout.n_params
    6
    >>> scores, intercept = layout.split(np.arange(6.0))
    >>> [s.tolist() for s in scores], intercept
    ([[0.0, 1.0, 2.0], [3.0, 4.0]], 5.0)
    """

    def __init__(self, n_bins, bin_weights=None):
        raw = np.asarray(n_bins)
        if raw.dtype.kind not in "iu" and not (raw.dtype.kind == "f" and np.all(raw == np.round(raw))):
            raise ValueError(f"n_bins must be whole numbers, got {raw.tolist()!r}")
        self.n_bins = raw.astype(np.intp)
        if self.n_bins.ndim != 1 or np.any(self.n_bins < 2):
            raise ValueError("every feature needs at least one interval bin and the missing bin")
        self.n_features = len(self.n_bins)
        self.offsets = np.concatenate([[0], np.cumsum(self.n_bins)]).astype(np.intp)
        self.n_params = int(self.offsets[-1]) + 1
        self.intercept_index = self.n_params - 1
        # feature_of[i]: the feature that owns coef[i] (the intercept gets -1).
        self.feature_of = np.append(np.repeat(np.arange(self.n_features), self.n_bins), -1)
        # Neighbouring interval bins (the missing bin is nobody's neighbour).
        is_left = np.ones(self.n_params, dtype=bool)
        is_left[self.offsets[1:] - 1] = False  # each feature's missing bin
        is_left[self.offsets[1:] - 2] = False  # each feature's last interval bin
        is_left[-1] = False
        self.step_left = np.flatnonzero(is_left)
        self.step_right = self.step_left + 1
        if bin_weights is None:
            self.bin_weights = self.normalized_weights = None
        else:
            self.bin_weights = self.join(bin_weights, 0.0)
            # Each feature's weights divided by their sum (the intercept slot stays 0).
            totals = np.add.reduceat(self.bin_weights[:-1], self.offsets[:-1])
            self.normalized_weights = self.bin_weights / np.append(totals[self.feature_of[:-1]], 1.0)

    def split(self, coef):
        """Return ``(per-feature views of coef, intercept)``."""
        coef = np.asarray(coef)
        scores = [coef[self.offsets[j]:self.offsets[j + 1]] for j in range(self.n_features)]
        return scores, float(coef[-1])

    def join(self, scores, intercept: float = 0.0) -> np.ndarray:
        """Inverse of :meth:`split`: a flat vector from per-feature arrays."""
        if len(scores) != self.n_features:
            raise ValueError(f"expected {self.n_features} feature arrays, got {len(scores)}")
        parts = [np.asarray(s, dtype=np.float64).ravel() for s in scores]
        for j, part in enumerate(parts):
            if len(part) != self.n_bins[j]:
                raise ValueError(f"feature {j} has {self.n_bins[j]} bins, got {len(part)} values")
        return np.concatenate(parts + [np.array([intercept], dtype=np.float64)])
