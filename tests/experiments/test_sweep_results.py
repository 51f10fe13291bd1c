"""A sweep's results as frames: best so far, top runs, per-setting frames, importance,
a trials table rebuilt from child runs, and sweep trials folded in a runs table."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from experiments.run_groups import fold_sweeps, group_labels, trial_counts
from experiments.sweeps.results import (
    best_so_far,
    objective_by_param,
    param_importance,
    top_run_ids,
)

SPACE = {"training.learning_rate": {"log_uniform": [0.001, 1.0]},
         "model.hidden": {"choice": [[4], [8, 8]]},
         "training.epochs": {"uniform": [10, 100]}}


def _trials(n: int = 12) -> pd.DataFrame:
    rows = []
    for i in range(n):
        lr = 10 ** (-3 + 3 * i / (n - 1))
        rows.append({"trial": i, "training.learning_rate": lr,
                     "model.hidden": "[4]" if i % 2 else "[8, 8]",
                     "training.epochs": 10 + (i * 37) % 90,
                     # The objective depends on the learning rate only.
                     "objective": (math.log10(lr) + 1.5) ** 2 + 0.01 * (i % 2),
                     "objective_std": 0.0, "state": "COMPLETE", "run_id": f"run{i}",
                     "run_ids": f"run{i}", "seconds": 0.1, "reason": None})
    rows[3].update(state="PRUNED", objective=float("nan"))
    return pd.DataFrame(rows)


def test_best_so_far_follows_the_direction():
    trials = _trials()
    down = best_so_far(trials, "minimize")
    assert down["best"].is_monotonic_decreasing
    assert math.isnan(down.loc[3, "objective"])  # a pruned trial has no result
    assert down["is_best"].sum() == 1
    assert down.loc[down["is_best"], "objective"].iloc[0] == trials["objective"].min()
    up = best_so_far(trials, "maximize")
    assert up["best"].is_monotonic_increasing


def test_top_runs_are_the_best_complete_trials_best_first():
    trials = _trials()
    top = top_run_ids(trials, "minimize", 5)
    expected = trials[trials["state"] == "COMPLETE"].nsmallest(5, "objective")["run_id"]
    assert top == expected.tolist()
    assert top_run_ids(trials, "maximize", 1) == [
        trials.loc[trials["objective"].idxmax(), "run_id"]]


def test_objective_by_param_types_numbers_and_choices():
    frames = objective_by_param(_trials(), list(SPACE))
    assert pd.api.types.is_numeric_dtype(frames["training.learning_rate"]["value"])
    assert set(frames["model.hidden"]["value"]) == {"[4]", "[8, 8]"}
    assert all(len(f) == 11 for f in frames.values())  # the pruned trial left out


@pytest.mark.parametrize("evaluator", ["fanova", "mean_decrease_impurity"])
def test_importance_finds_the_setting_that_matters(evaluator):
    result = param_importance(_trials(), SPACE, "minimize", evaluator)
    assert result.reason is None and result.evaluator == evaluator
    assert result.frame["param"].iloc[0] == "training.learning_rate"
    assert result.frame["importance"].sum() == pytest.approx(1.0)


def test_importance_says_why_when_it_cannot():
    assert "two complete" in param_importance(_trials().head(1), SPACE, "minimize").reason
    one = {"training.learning_rate": SPACE["training.learning_rate"]}
    assert "only one" in param_importance(_trials(), one, "minimize").reason


def test_sweep_trials_fold_under_their_sweep():
    runs = pd.DataFrame({
        "run_id": ["t1", "other", "t0", "sweep", "old"],
        "parent_run_id": ["sweep", None, "sweep", None, None],
        "sweep": [None, None, None, "lr", None],
        "sweep_trial": ["1", None, "0", None, None]})
    assert trial_counts(runs) == {"sweep": 2}
    assert fold_sweeps(runs)["run_id"].tolist() == ["other", "sweep", "old"]
    opened = fold_sweeps(runs, ["sweep"])
    assert opened["run_id"].tolist() == ["other", "sweep", "t0", "t1", "old"]
    assert group_labels(opened, runs).tolist() == ["", "▾ 2 trials", "↳ trial 0",
                                                   "↳ trial 1", ""]
    assert group_labels(fold_sweeps(runs), runs).tolist() == ["", "▸ 2 trials", ""]
    # A sweep whose own row is filtered out: its opened trials stay where they were.
    no_parent = runs[runs["run_id"] != "sweep"]
    assert fold_sweeps(no_parent, ["sweep"])["run_id"].tolist() == ["t0", "t1", "other",
                                                                   "old"]
