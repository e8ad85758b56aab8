"""Reproduce docs/audit.md: an audit of a credit model by sex, on the bundled German credit data.

Section 1b needs fairlearn (``pip install fairlearn``); it is skipped without it.

Fits two models on the same 70% of the 1,000 applicants (one with every feature, one without
``sex`` and ``personal_status``), then prints every table and number that docs/audit.md quotes
and writes ``audit_gap.png`` into this folder. Run: ``python docs/audit_tutorial.py`` (the
picture needs matplotlib: ``pip install embedsum[plot]``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from embedsum import EmbeddingSumClassifierCV
from embedsum.audit import counterfactuals, gap_decomposition, group_report, recourse_audit, what_if
from embedsum.datasets import load_german_credit
from embedsum.inspection._metrics import log_loss, roc_auc

HERE = Path(__file__).resolve().parent
SEED = 0
IMMUTABLE = ["sex", "personal_status", "age", "foreign_worker", "people_liable", "credit_history"]
# Costs of a change: per month of duration, per DM of credit, else one per change.
COSTS = {"duration_months": 0.1, "credit_amount": 0.001}


def _split(y, seed=SEED, test=0.3):
    """A stratified 70/30 split of the row indices."""
    rng = np.random.default_rng(seed)
    train, held_out = [], []
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        cut = int(round(len(rows) * test))
        held_out += rows[:cut].tolist()
        train += rows[cut:].tolist()
    return np.sort(train), np.sort(held_out)


def _section(title):
    print(f"\n=== {title} ===")


def main() -> None:
    X, y, names = load_german_credit(as_frame=True)
    train, test = _split(y)
    Xtr, ytr, Xte, yte = X.iloc[train], y[train], X.iloc[test].reset_index(drop=True), y[test]
    model = EmbeddingSumClassifierCV().fit(Xtr, ytr)
    blind = EmbeddingSumClassifierCV().fit(Xtr.drop(columns=["sex", "personal_status"]), ytr)
    Xte_blind = Xte.drop(columns=["sex", "personal_status"])
    print(f"train {len(train)} rows, test {len(test)} rows; share of 'good': {np.mean(y == 'good'):.3f}")
    for label, m, data in (("every feature", model, Xte), ("without sex, personal_status", blind, Xte_blind)):
        p = m.predict_proba(data)[:, 1]
        print(f"{label}: held-out AUC {roc_auc(yte == 'good', p):.3f}, log-loss {log_loss(yte == 'good', p):.3f}")

    _section("1. group report, held-out rows (model with every feature)")
    report = group_report(model, Xte, yte, "sex", n_bootstrap=200, random_state=SEED)
    print(report.to_text())

    _section("1b. fairlearn's MetricFrame on the same model and rows")
    try:
        from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate
    except ImportError:
        print("(fairlearn is not installed: pip install fairlearn)")
    else:
        frame = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate},
                            y_true=(yte == "good").astype(int),
                            y_pred=(model.predict(Xte) == "good").astype(int), sensitive_features=Xte["sex"])
        print(frame.by_group.round(3).to_string())
        print("difference():", frame.difference().round(3).to_dict())

    _section("2. group report by sex and age group (intersections), no intervals")
    age_group = np.where(Xte["age"] <= 25, "age <= 25", "age > 25")
    small = group_report(model, Xte, yte, [Xte["sex"], _named("age_group", age_group)], n_bootstrap=0)
    for row in small.rows:
        print(f"{row['group']:<22s} n={row['n']:>3d}  selection {row['selection_rate']:.3f}  "
              f"TPR {row['tpr']:.3f}  FPR {row['fpr']:.3f}  AUC {row['auc']:.3f}")

    _section("3. gap decomposition of the mean decision value, female - male (held-out rows)")
    gap = gap_decomposition(model, Xte, "sex", reference="male")
    print(gap.to_text(top=8))
    print(f"sum of the decision terms - gap: {gap.decision_terms.sum() - gap.decision_gap:.1e}; "
          f"probability terms - gap: {sum(gap.probability_terms) - gap.probability_gap:.1e}")

    _section("4. what if: the sex term removed; personal_status drawn from the men's")
    print(what_if(model, Xte, feature="sex", remove_term=True, sensitive="sex").to_text())
    print(what_if(model, Xte, feature="personal_status", distribution_of="male", sensitive="sex",
                  random_state=SEED).to_text())

    _section("5. the model without sex and personal_status")
    report_blind = group_report(blind, Xte_blind, yte, Xte["sex"], n_bootstrap=200, random_state=SEED)
    for m in ("selection_rate", "tpr", "fpr", "auc"):
        print(f"{m:<15s} with: {report.rows[1][m + '_diff']:+.3f}   without: {report_blind.rows[1][m + '_diff']:+.3f} "
              f"[{report_blind.rows[1][m + '_diff_lo']:+.3f}, {report_blind.rows[1][m + '_diff_hi']:+.3f}]")
    gap_blind = gap_decomposition(blind, Xte_blind, Xte["sex"], reference="male")
    print(gap_blind.to_text(top=5))

    _section("6. counterfactuals for one rejected applicant (held-out)")
    rejected = np.flatnonzero(model.predict(Xte) == "bad")
    row = Xte.iloc[rejected[0]]
    print(f"held-out row {rejected[0]}: P(good) = {model.predict_proba(Xte.iloc[[rejected[0]]])[0, 1]:.3f}")
    print(counterfactuals(model, row, immutable=IMMUTABLE, k=3).to_text())
    print("-- with costs", COSTS, "and one per other change:")
    print(counterfactuals(model, row, immutable=IMMUTABLE, cost=COSTS, k=3).to_text())

    _section("7. recourse audit by sex (held-out rejected applicants)")
    audit = recourse_audit(model, Xte, "sex", immutable=IMMUTABLE, cost=COSTS)
    print(audit.to_text())
    audit_features = recourse_audit(model, Xte, "sex", immutable=IMMUTABLE)
    for r in audit_features.rows:
        print(f"{r['group']}: fewest changes, mean {r['cost_mean']:.2f}, max {r['cost_max']:.0f}")

    _section("8. time per counterfactual search (k=3), held-out rejected rows")
    for cost in ("features", COSTS):
        times = []
        for i in rejected:
            start = time.perf_counter()
            counterfactuals(model, Xte.iloc[i], immutable=IMMUTABLE, cost=cost, k=3)
            times.append(time.perf_counter() - start)
        print(f"cost={cost if isinstance(cost, str) else 'dict'}: {len(times)} rows, median "
              f"{1e3 * np.median(times):.1f} ms, max {1e3 * np.max(times):.1f} ms")

    _plot(gap, gap_blind)


class _named:
    """A column of labels with a name (what a pandas Series carries)."""

    def __init__(self, name, values):
        self.name, self._values = name, values

    def to_numpy(self):
        return self._values


def _plot(gap, gap_blind) -> None:
    try:
        import matplotlib
    except ImportError:
        print("(matplotlib is not installed: no picture)")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    for ax, g, title in ((axes[0], gap, "every feature"), (axes[1], gap_blind, "without sex, personal_status")):
        rows = g.rows[:8][::-1]
        ax.barh([r["term"] for r in rows], [r["decision"] for r in rows],
                color=["#c44e52" if r["decision"] < 0 else "#4c72b0" for r in rows])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(f"{title}: gap {g.decision_gap:+.3f}", fontsize=10)
        ax.tick_params(labelsize=8)
    axes[0].set_xlabel("female - male, mean contribution (log-odds)", fontsize=8)
    axes[1].set_xlabel("female - male, mean contribution (log-odds)", fontsize=8)
    fig.tight_layout(w_pad=3)
    fig.savefig(HERE / "audit_gap.png", dpi=80)
    plt.close(fig)
    print(f"\nwrote {HERE / 'audit_gap.png'}")


if __name__ == "__main__":
    main()
