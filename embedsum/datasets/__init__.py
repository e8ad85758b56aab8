"""Data sets bundled with embedsum (read with the standard library and numpy only).

Public.

May import: nothing.
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources

import numpy as np

__all__ = ["load_breast_cancer"]


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Breast Cancer Wisconsin (Diagnostic): 569 rows, 30 features, labels "malignant"/"benign".

    The data of the published embedding-sum tutorial. Source: W. Wolberg, O. Mangasarian,
    N. Street, W. Street, UCI Machine Learning Repository, doi 10.24432/C5DW2B, licensed
    CC BY 4.0; the copy is the one scikit-learn ships.

    Returns ``(X, y, feature_names)``.

    Example
    -------
    >>> X, y, names = load_breast_cancer()
    >>> X.shape, sorted(set(y.tolist())), names[0]
    ((569, 30), ['benign', 'malignant'], 'mean_radius')
    """
    raw = resources.files(__package__).joinpath("breast_cancer.csv.gz").read_bytes()
    rows = list(csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))
    header, body = rows[0], rows[1:]
    X = np.array([[float(v) for v in row[:-1]] for row in body])
    y = np.array([row[-1] for row in body])
    return X, y, header[:-1]
