"""Sweeps in one process: Optuna's samplers and pruners, parent and child runs in MLflow,
replicates, failures, and a stop or Ctrl+C that leaves nothing RUNNING."""

from __future__ import annotations

import threading

import pytest

from experiments.sweeps import SweepSpec
from experiments.sweeps.engine import run_sweep

BASE = {"dataset": {"name": "xor", "n_samples": 60},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 12,
                     "batch_size": 16}}


def _sweep(space: dict, **options) -> SweepSpec:
    """Random with 3 trials by default; a grid runs all of its points."""
    defaults = {} if options.get("method") == "grid" else {"method": "random", "trials": 3}
    return SweepSpec.from_dict({**BASE, "name": "sweep-test",
                                "sweep": {**defaults, **options, "space": space}})


def _children(client, parent_run_id: str):
    return client.search_runs(
        [client.get_run(parent_run_id).info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'", max_results=500)


def _nothing_running(client, parent_run_id: str) -> None:
    statuses = [r.info.status for r in _children(client, parent_run_id)]
    assert "RUNNING" not in statuses
    assert client.get_run(parent_run_id).info.status != "RUNNING"


def test_a_grid_sweep_records_one_child_per_trial_under_its_parent(
        client, experiment_name) -> None:
    sweep = _sweep({"training.learning_rate": {"choice": [0.01, 0.1]},
                    "model.hidden": {"choice": [[2], [4]]}}, method="grid")
    result = run_sweep(sweep, experiment=experiment_name)
    assert result.status == "FINISHED" and len(result.trials) == 4
    assert set(result.trials["state"]) == {"COMPLETE"}
    tried = {(row["training.learning_rate"], row["model.hidden"])
             for _, row in result.trials.iterrows()}
    assert tried == {(0.01, "[2]"), (0.01, "[4]"), (0.1, "[2]"), (0.1, "[4]")}

    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["sweep.method"] == "grid"
    assert parent.data.tags["sweep.best_run_id"] == result.best_run_id
    assert parent.data.params["sweep.objective"] == "val_loss"
    best_history = client.get_metric_history(result.parent_run_id, "best_val_loss")
    assert len(best_history) >= 4
    assert [m.value for m in best_history][-1] == pytest.approx(result.best.value)
    artifacts = {a.path for a in client.list_artifacts(result.parent_run_id)}
    assert {"trials.csv", "sweep.json"} <= artifacts
    assert parent.inputs.dataset_inputs, "the dataset is logged on the parent first"

    children = _children(client, result.parent_run_id)
    assert len(children) == 4
    assert sorted(int(c.data.tags["sweep.trial"]) for c in children) == [0, 1, 2, 3]
    assert {c.data.tags["sweep.id"] for c in children} == {result.parent_run_id}
    assert {c.info.status for c in children} == {"FINISHED"}
    by_id = {c.info.run_id: c for c in children}
    for _, row in result.trials.iterrows():
        child = by_id[row["run_id"]]
        assert float(child.data.params["training.learning_rate"]) == row[
            "training.learning_rate"]
        assert child.data.metrics["final_val_loss"] == pytest.approx(row["objective"])
    best = min(result.trials["objective"])
    assert result.best.value == best


def test_random_and_tpe_run_the_asked_trials_and_repeat_with_the_seed() -> None:
    for method in ("random", "tpe"):
        sweep = _sweep({"training.learning_rate": {"log_uniform": [1e-3, 0.3]},
                        "training.optimizer": {"choice": ["sgd", "adam"]}},
                       method=method, trials=4, seed=3)
        first = run_sweep(sweep, track=False)
        again = run_sweep(sweep, track=False)
        assert len(first.trials) == 4 and first.parent_run_id is None
        lrs = first.trials["training.learning_rate"]
        assert lrs.between(1e-3, 0.3).all() and lrs.nunique() == 4
        assert lrs.tolist() == again.trials["training.learning_rate"].tolist()


def test_replicates_train_one_seed_each_and_average(client, experiment_name) -> None:
    sweep = _sweep({"training.learning_rate": {"choice": [0.05, 0.2]}}, method="grid",
                   replicates=3)
    result = run_sweep(sweep, experiment=experiment_name)
    children = _children(client, result.parent_run_id)
    assert len(children) == 6
    for _, row in result.trials.iterrows():
        runs = [c for c in children if c.data.tags["sweep.trial"] == str(row["trial"])]
        assert sorted(c.data.tags["sweep.replicate"] for c in runs) == ["0", "1", "2"]
        assert sorted(c.data.params["training.seed"] for c in runs) == ["0", "1", "2"]
        values = [c.data.metrics["final_val_loss"] for c in runs]
        assert row["objective"] == pytest.approx(sum(values) / 3)
        assert row["objective_std"] > 0
        assert set(row["run_ids"].split(",")) == {c.info.run_id for c in runs}


def test_pruned_trials_end_killed_with_the_epoch(client, experiment_name) -> None:
    """Seed 5 runs 0.1 first; every learning rate doing worse by epoch 4 is pruned."""
    sweep = SweepSpec.from_dict({**BASE, "training": {**BASE["training"], "epochs": 40},
                                 "sweep": {"method": "grid", "pruner": "median",
                                           "report_every": 2, "seed": 5, "space": {
                                               "training.learning_rate": {"choice": [
                                                   0.1, 0.05, 1e-5, 2e-5, 3e-5]}}}})
    result = run_sweep(sweep, experiment=experiment_name)
    pruned = result.trials[result.trials["state"] == "PRUNED"]
    assert {1e-5, 2e-5, 3e-5} <= set(pruned["training.learning_rate"])
    for _, row in pruned.iterrows():
        run = client.get_run(row["run_id"])
        assert run.info.status == "KILLED"
        epoch = int(run.data.tags["stop_reason"].removeprefix("pruned at epoch "))
        assert 0 < epoch < 40 and epoch % 2 == 0
        assert run.data.metrics["final_epochs"] == epoch
    assert result.best.params["training.learning_rate"] == 0.1
    _nothing_running(client, result.parent_run_id)


def test_a_diverging_trial_fails_and_the_sweep_goes_on(client, experiment_name) -> None:
    sweep = _sweep({"training.learning_rate": {"choice": [0.05, 1e6]},
                    "training.optimizer": {"choice": ["sgd"]}}, method="grid")
    result = run_sweep(sweep, experiment=experiment_name)
    states = dict(zip(result.trials["training.learning_rate"], result.trials["state"],
                      strict=True))
    assert states == {0.05: "COMPLETE", 1e6: "FAILED"}
    failed = result.trials[result.trials["state"] == "FAILED"].iloc[0]
    assert "diverged" in failed["reason"].lower()
    assert client.get_run(failed["run_id"]).info.status == "FAILED"
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["sweep.trials_failed"] == "1"


def test_a_stop_between_trials_ends_the_parent_killed(client, experiment_name) -> None:
    stop = threading.Event()
    result = run_sweep(_sweep({"training.learning_rate": {"log_uniform": [0.01, 0.1]}}),
                       experiment=experiment_name, stop_event=stop,
                       on_trial=lambda *_: stop.set())
    assert result.status == "KILLED" and len(result.trials) == 1
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "KILLED"
    assert parent.data.tags["stop_reason"] == "stopped by the user after 1 trials"
    _nothing_running(client, result.parent_run_id)


def test_a_stop_during_a_trial_kills_the_running_child(client, experiment_name) -> None:
    sweep = SweepSpec.from_dict({**BASE, "training": {**BASE["training"], "epochs": 200000},
                                 "sweep": {"method": "random", "trials": 3, "space": {
                                     "training.learning_rate": {"choice": [0.05]}}}})
    stop = threading.Event()
    threading.Timer(3.0, stop.set).start()
    result = run_sweep(sweep, experiment=experiment_name, stop_event=stop)
    assert result.status == "KILLED" and len(result.trials) == 0
    children = _children(client, result.parent_run_id)
    assert len(children) == 1 and children[0].info.status == "KILLED"
    assert children[0].data.tags["stop_reason"].startswith("stopped by the user")
    _nothing_running(client, result.parent_run_id)


def test_ctrl_c_ends_the_parent_killed(client, experiment_name) -> None:
    def interrupt(*_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(_sweep({"training.learning_rate": {"log_uniform": [0.01, 0.1]}}),
                  experiment=experiment_name, on_trial=interrupt)
    exp = client.get_experiment_by_name(experiment_name)
    (parent,) = client.search_runs([exp.experiment_id], "tags.`sweep.name` = 'sweep-test'")
    assert parent.info.status == "KILLED"
    assert parent.data.tags["stop_reason"] == "interrupted (Ctrl+C) after 1 trials"
    _nothing_running(client, parent.info.run_id)


def test_a_running_child_of_an_ended_sweep_is_ended_as_orphaned(client, experiment_name
                                                                 ) -> None:
    """Its worker and driver are gone: listing the sweeps ends it KILLED."""
    from experiments.sweeps import list_sweeps

    result = run_sweep(_sweep({"training.learning_rate": {"choice": [0.05]}}, method="grid"),
                       experiment=experiment_name)
    exp_id = client.get_run(result.parent_run_id).info.experiment_id
    lost = client.create_run(exp_id, tags={"mlflow.parentRunId": result.parent_run_id,
                                           "sweep.trial": "7"})
    listed = list_sweeps()
    assert result.parent_run_id in set(listed["run_id"])
    run = client.get_run(lost.info.run_id)
    assert run.info.status == "KILLED" and run.data.tags["stop_reason"] == "orphaned"
