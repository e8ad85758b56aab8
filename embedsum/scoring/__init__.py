"""Scoring with numpy only: the bit-exact decision value, the few-rows path, the batch kernel, the links.

Private: models score through their methods (``decision_function``, ``predict_proba``).

May import: foundation, binning.
"""
