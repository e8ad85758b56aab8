"""Auditing a fitted model: per-group reports, exact decompositions of a gap between groups,
what-if rescoring, and exact recourse (counterfactuals) with a population audit of it.

An embedding-sum model is an intercept plus one score per feature, so audit questions that
black-box tools approximate have exact answers here: a gap between two groups' mean decision
values is the sum of per-feature differences, and the cheapest change of a row that flips its
decision is found by an exact search over bins. numpy only; pandas is used when handed.

Public: :func:`group_report`, :func:`gap_decomposition`, :func:`what_if`,
:func:`counterfactuals`, :func:`recourse_audit` and their result classes.

May import: foundation, binning, scoring, inspection.
"""

from ._counterfactuals import Counterfactual, Recourse, counterfactuals
from ._gap import GapDecomposition, gap_decomposition
from ._group_report import GroupReport, group_report
from ._recourse_audit import RecourseAudit, recourse_audit
from ._what_if import WhatIf, what_if

__all__ = ["group_report", "GroupReport", "gap_decomposition", "GapDecomposition", "what_if", "WhatIf",
           "counterfactuals", "Counterfactual", "Recourse", "recourse_audit", "RecourseAudit"]
