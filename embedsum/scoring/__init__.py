"""Scoring with numpy only: codes -> decision values (one function), the dispatcher, the few-rows path, the batch kernel, the reference loop, the links.

Private: models score through their methods (``decision_function``, ``predict_proba``).

May import: foundation, binning.
"""
