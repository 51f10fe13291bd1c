"""A sweep stopped with a reason (the Sweep page's watchdog when its tab closed): the
running trial's run and the parent end KILLED with that reason, in the driver's process
and on a Dask LocalCluster; nothing is left RUNNING."""

from __future__ import annotations

import threading

import pytest

from experiments.sweeps import StopRequest, SweepSpec, run_sweep

BASE = {"dataset": {"name": "xor", "n_samples": 60},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 200000,
                     "batch_size": 16}}
REASON = "the browser tab was closed"


def _endless_sweep(trials: int = 3) -> SweepSpec:
    return SweepSpec.from_dict({**BASE, "name": "stopped", "sweep": {
        "method": "random", "trials": trials,
        "space": {"training.learning_rate": {"log_uniform": [0.01, 0.1]}}}})


def _children(client, experiment_name: str):
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return []
    return client.search_runs([experiment.experiment_id],
                              "tags.`mlflow.parentRunId` != ''", max_results=500)


def _stop_once_a_trial_runs(client, experiment_name: str, stop: StopRequest,
                            running: int = 1) -> threading.Thread:
    """Stop with :data:`REASON` once ``running`` trials' runs are RUNNING (a tab closed
    mid-trial), not after a guessed delay."""

    def watch() -> None:
        while not stop.is_set():
            if sum(r.info.status == "RUNNING"
                   for r in _children(client, experiment_name)) >= running:
                stop.stop(REASON)
                return
            stop.wait(0.2)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_stop_request_gives_the_running_trial_and_the_parent_its_reason(
        client, experiment_name) -> None:
    stop = StopRequest()
    watcher = _stop_once_a_trial_runs(client, experiment_name, stop)
    result = run_sweep(_endless_sweep(), experiment=experiment_name, stop_event=stop)
    watcher.join()
    assert result.status == "KILLED" and len(result.trials) == 0
    [child] = _children(client, experiment_name)
    assert child.info.status == "KILLED"
    assert child.data.tags["stop_reason"].startswith(f"{REASON} after epoch ")
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "KILLED"
    assert parent.data.tags["stop_reason"] == f"{REASON} after 0 trials"


def test_the_first_reason_is_kept_and_a_plain_stop_says_the_user() -> None:
    stop = StopRequest()
    stop.stop()
    assert stop.is_set() and stop.reason is None
    stop.stop(REASON)
    stop.stop("the dashboard server stopped")
    assert stop.reason == REASON


@pytest.mark.slow
def test_a_stop_request_on_a_local_cluster_reaches_the_workers_runs(
        client, experiment_name) -> None:
    stop = StopRequest()
    watcher = _stop_once_a_trial_runs(client, experiment_name, stop, running=2)
    result = run_sweep(_endless_sweep(trials=4), workers=2, experiment=experiment_name,
                       stop_event=stop)
    watcher.join()
    assert result.status == "KILLED"
    children = _children(client, experiment_name)
    assert len(children) == 2 and {c.info.status for c in children} == {"KILLED"}
    assert all(c.data.tags["stop_reason"].startswith(f"{REASON} after epoch ")
               for c in children), [c.data.tags.get("stop_reason") for c in children]
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "KILLED"
    assert parent.data.tags["stop_reason"] == f"{REASON} after 0 trials"
