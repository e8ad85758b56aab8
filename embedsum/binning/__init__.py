"""Binning: a numeric column's cuts (the published quantile digitizer, or adaptive cuts that see
point masses and tails) and a categorical column's categories.

Private: :class:`embedsum.Digitizer` is the public name.

May import: foundation.
"""
