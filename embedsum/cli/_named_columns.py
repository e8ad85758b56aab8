"""CSV blocks handed to an estimator with their column names, as a data frame would be."""

from __future__ import annotations


class _NamedColumns:
    """A 2-D array with column names: what embedsum reads from a DataFrame (duck typing)."""

    def __init__(self, values, columns):
        self.values, self.columns = values, list(columns)
        self.shape = values.shape

    def to_numpy(self):
        return self.values

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def _named(block, names):
    return block if names is None else _NamedColumns(block, names)
