"""GroupReport: the records of :func:`~embedsum.audit.group_report`, as text in 80 columns or a data frame."""

from __future__ import annotations

from ._text import name, num, with_interval

_TITLES = {"base_rate": "base rate", "mean_proba": "mean proba", "selection_rate": "selection rate",
           "tpr": "TPR", "fpr": "FPR", "fnr": "FNR", "auc": "AUC", "log_loss": "log-loss", "ece": "ECE",
           "mean_target": "mean target", "mean_prediction": "mean predicted", "rmse": "RMSE", "mae": "MAE"}


def _ratio(value) -> str:
    return "-" if value != value else f"{value:.2f}"


class GroupReport:
    """Per-group metrics: what :func:`~embedsum.audit.group_report` returns.

    Attributes
    ----------
    rows : list of dict
        One record per group, the reference group first. Keys: ``group`` (its label),
        ``n``, and for each name of ``metrics``: the value ``<m>``, its interval
        ``<m>_lo``/``<m>_hi``, the difference to the reference ``<m>_diff`` (with
        ``<m>_diff_lo``/``<m>_diff_hi``) and the ratio ``<m>_ratio`` (with its interval).
        Undefined values are NaN; the reference's own difference and ratio have no interval.
    metrics : tuple of str
    sensitive : str, the name of the grouping column(s)
    reference : str, the reference group's label
    kind, threshold, positive, n_bootstrap, confidence, random_state : what the report used.

    Example
    -------
    >>> report = GroupReport([{"group": "a", "n": 3, "mae": 1.0, "mae_lo": 0.5, "mae_hi": 1.5, "mae_diff": 0.0,
    ...                        "mae_diff_lo": float("nan"), "mae_diff_hi": float("nan"), "mae_ratio": 1.0,
    ...                        "mae_ratio_lo": float("nan"), "mae_ratio_hi": float("nan")}],
    ...                      ("mae",), "g", "a", "regression", 0.5, None, 10, 0.95, 0)
    >>> print(report.to_text().splitlines()[-1])
    MAE                 1 [0.50,1.5]
    """

    def __init__(self, rows, metrics, sensitive, reference, kind, threshold, positive, n_bootstrap, confidence,
                 random_state):
        self.rows, self.metrics, self.sensitive, self.reference = rows, tuple(metrics), sensitive, reference
        self.kind, self.threshold, self.positive = kind, threshold, positive
        self.n_bootstrap, self.confidence, self.random_state = n_bootstrap, confidence, random_state

    def __repr__(self) -> str:
        return f"<GroupReport of {self.sensitive!r}: {len(self.rows)} groups, reference {self.reference!r}>"

    def to_frame(self):
        """The records as a pandas DataFrame, one row per group (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.rows)

    def to_text(self) -> str:
        """The report in at most 80 columns: one table per group, beside the reference group."""
        n = sum(row["n"] for row in self.rows)
        lines = [name(f"Groups of {self.sensitive}: {n} rows, {len(self.rows)} groups, reference "
                      f"{self.reference}", 80)]
        if self.kind != "regression":
            rule = ("predicted class" if self.kind == "multiclass" else f"P > {self.threshold:g}")
            ece = " ECE over 10 equal-width bins." if "ece" in self.metrics else ""
            lines.append(name(f"Positive class {self.positive}; selected: {rule}.{ece}", 80))
        if self.n_bootstrap:
            lines.append(f"[lo,hi]: {num(100 * self.confidence)}% percentile bootstrap interval, "
                         f"{self.n_bootstrap} resamples per group, seed {self.random_state}.")
        ref = self.rows[0]
        for row in self.rows[1:] or [ref]:
            pair = [ref] if row is ref else [ref, row]
            lines.append("")
            lines.append(f"{'':14s} " + " ".join(f"{name(r['group'], 17):>17s}" for r in pair)
                         + ("" if row is ref else f" {'difference':>20s} {'ratio':>5s}"))
            lines.append(f"{'n':14s} " + " ".join(f"{r['n']:>17d}" for r in pair))
            for m in self.metrics:
                cells = [f"{with_interval(r[m], r[m + '_lo'], r[m + '_hi'], 17):>17s}" for r in pair]
                if row is not ref:
                    cells.append(f"{with_interval(row[m + '_diff'], row[m + '_diff_lo'], row[m + '_diff_hi'], 20):>20s}"
                                 f" {_ratio(row[m + '_ratio']):>5s}")
                lines.append(f"{_TITLES.get(m, m):14s} " + " ".join(cells))
        lines = [line.rstrip() for line in lines]
        return "\n".join(lines)

    __str__ = to_text
