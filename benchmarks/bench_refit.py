"""Edits that refit the rest: cost and agreement of ``refit`` beside a fresh constrained solve.

Data: the German credit data bundled with embedsum (1,000 applicants, 21 features, 14 of them
text; `embedsum.datasets.load_german_credit`), a stratified 70/30 split (seed 0). For each of the
three most important features of `EmbeddingSumClassifier()`:

- ``refit(X, y, drop=[feature], X_test=..., y_test=...)``, warm-started from the fitted model;
- the same constrained problem solved from the fit's default start (zero scores, best intercept);
- the feature merely zeroed (``drop_feature``), nothing refitted.

Columns: L-BFGS-B iterations and wall time of the refit and of the fresh solve, the relative
difference of their objectives, and the held-out log-loss of the fitted model, of the zeroed one
and of the refitted one (what an edit costs, and what the refit wins back).

Usage::

    python benchmarks/bench_refit.py     # a few seconds
"""

from __future__ import annotations

import copy
import time

import numpy as np

from embedsum import EmbeddingSumClassifier
from embedsum.datasets import load_german_credit
from embedsum.estimators._refit import refit_problem, solve
from embedsum.training._objective import EmbeddingSumObjective


def _objective(model, problem, coef) -> float:
    with EmbeddingSumObjective(problem.codes, problem.target, problem.sw, problem.layout,
                               problem.solver._all_regularizers(problem.layout), loss=model._loss(1)) as objective:
        return objective.loss_gradient(coef)[0]


def main() -> None:
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    X, y, names = load_german_credit()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    model = EmbeddingSumClassifier().fit(X_train, y_train)
    held_out = log_loss(y_test, model.predict_proba(X_test)[:, 1])
    print(f"fitted model: held-out log-loss {held_out:.4f}")
    print("dropped feature      refit: iters  time   fresh: iters  time   objective rel. diff   "
          "held-out: zeroed  refitted")
    for j in np.argsort(-model.feature_importances_)[:3]:
        edited = copy.deepcopy(model)
        start = time.perf_counter()
        edited.refit(X_train, y_train, drop=[int(j)], X_test=X_test, y_test=y_test)
        refit_time = time.perf_counter() - start
        problem = refit_problem(model, X_train, y_train, drop=[int(j)])
        start = time.perf_counter()
        fresh = solve(problem, x0=None)
        fresh_time = time.perf_counter() - start
        refitted = _objective(edited, problem, problem.layout.join(edited.bin_scores_, edited.intercept_))
        difference = abs(refitted - _objective(edited, problem, fresh.coef)) / refitted
        zeroed = copy.deepcopy(model).drop_feature(int(j))
        record = edited.edits_[-1]
        print(f"{names[j][:18]:18s}  {record['n_iter']:11d} {refit_time:5.2f}s  {fresh.n_iter:11d} "
              f"{fresh_time:5.2f}s  {difference:19.1e}   "
              f"{log_loss(y_test, zeroed.predict_proba(X_test)[:, 1]):14.4f}  {record['test_loss_after']:8.4f}")


if __name__ == "__main__":
    main()
