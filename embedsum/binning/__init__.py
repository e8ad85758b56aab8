"""Binning: a numeric column's quantile cuts (the published digitizer) and a categorical column's categories.

Private: :class:`embedsum.Digitizer` is the public name.

May import: foundation.
"""
