"""Sweeps on real Dask clusters: a LocalCluster started for the sweep, a `dask scheduler`
with `dask worker` processes, a worker killed mid-sweep, and a cluster without the
project. Nothing may be left RUNNING, lost, or recorded twice."""

from __future__ import annotations

import threading
import time

import pytest

from experiments.sweeps import SweepSpec, run_sweep
from experiments.sweeps.cluster import ClusterError
from tests.experiments.dask_cluster import dask_cluster

pytestmark = pytest.mark.slow

BASE = {"dataset": {"name": "xor", "n_samples": 60},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 20,
                     "batch_size": 16}}


def _sweep(epochs: int = 20, **options) -> SweepSpec:
    return SweepSpec.from_dict({
        **BASE, "training": {**BASE["training"], "epochs": epochs},
        "sweep": {"method": "random", "trials": 4, "seed": 0, **options,
                  "space": {"training.learning_rate": {"log_uniform": [0.01, 0.2]}}}})


def _children(client, parent_run_id: str):
    experiment_id = client.get_run(parent_run_id).info.experiment_id
    return client.search_runs([experiment_id],
                              f"tags.mlflow.parentRunId = '{parent_run_id}'", max_results=500)


def _one_good_run_per_trial(client, result) -> None:
    children = _children(client, result.parent_run_id)
    good = [c for c in children if c.info.status in ("FINISHED", "KILLED")]
    keys = [(c.data.tags["sweep.trial"], c.data.tags["sweep.replicate"]) for c in good]
    # a complete trial trains every replicate, a pruned one stops at its first
    expected = sum(result.spec.replicates if state == "COMPLETE" else 1
                   for state in result.trials["state"])
    assert len(keys) == len(set(keys)) == expected
    assert {c.info.run_id for c in good} == {
        run_id for ids in result.trials["run_ids"] for run_id in ids.split(",")}
    assert "RUNNING" not in {c.info.status for c in children}
    assert client.get_run(result.parent_run_id).info.status == result.status


def test_a_local_cluster_runs_the_trials_with_pruning(client, experiment_name) -> None:
    sweep = _sweep(trials=5, pruner="median", report_every=2, replicates=2)
    result = run_sweep(sweep, workers=2, experiment=experiment_name)
    assert result.status == "FINISHED" and len(result.trials) == 5
    assert set(result.trials["state"]) <= {"COMPLETE", "PRUNED"}
    _one_good_run_per_trial(client, result)
    for _, row in result.trials[result.trials["state"] == "PRUNED"].iterrows():
        assert client.get_run(row["run_id"]).data.tags["stop_reason"].startswith(
            "pruned at epoch")


def test_local_workers_do_not_run_the_parents_main_again(client, experiment_name, tmp_path,
                                                        monkeypatch) -> None:
    """Streamlit (the Sweep page, AppTest) installs its page script as ``__main__``; spawned
    workers ran it again (in CI: the Home page, which crashed, and 'Nanny failed to start')."""
    import sys
    import types

    marker = tmp_path / "main-ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'a').write('ran\\n')\n"
                      "raise SystemExit('a page script is no worker')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    result = run_sweep(_sweep(trials=2), workers=2, experiment=experiment_name)
    assert result.status == "FINISHED" and set(result.trials["state"]) == {"COMPLETE"}
    assert not marker.exists()
    _one_good_run_per_trial(client, result)


def test_a_killed_worker_reruns_its_trial_once(client, experiment_name, tmp_path,
                                               tracking_uri) -> None:
    with dask_cluster(tmp_path, workers=2) as cluster:
        results: list = []
        errors: list = []
        sweep = _sweep(epochs=1500, trials=4)

        def drive() -> None:
            try:
                results.append(run_sweep(sweep, scheduler=cluster.address,
                                         tracking_uri=tracking_uri,
                                         experiment=experiment_name))
            except BaseException as e:  # reported below
                errors.append(e)

        driver = threading.Thread(target=drive)
        driver.start()
        deadline = time.monotonic() + 120
        running = []
        while time.monotonic() < deadline and not running:
            exp = client.get_experiment_by_name(experiment_name)
            if exp is not None:
                running = [r for r in client.search_runs([exp.experiment_id],
                                                         "attributes.status = 'RUNNING'")
                           if "sweep.trial" in r.data.tags]
            time.sleep(0.3)
        assert running, "no trial started"
        time.sleep(1.0)
        cluster.kill(cluster.workers[0])
        driver.join(300)
        assert not driver.is_alive() and not errors, errors
    result = results[0]
    assert result.status == "FINISHED" and len(result.trials) == 4
    assert set(result.trials["state"]) == {"COMPLETE"}
    _one_good_run_per_trial(client, result)
    lost = [c for c in _children(client, result.parent_run_id)
            if c.info.status == "FAILED"]
    for run in lost:
        assert run.data.tags["stop_reason"] == "worker lost"


def test_a_stop_on_a_cluster_leaves_nothing_running(client, experiment_name) -> None:
    stop = threading.Event()
    threading.Timer(12.0, stop.set).start()
    result = run_sweep(_sweep(epochs=200000, trials=4), workers=2, stop_event=stop,
                       experiment=experiment_name)
    assert result.status == "KILLED"
    children = _children(client, result.parent_run_id)
    assert children and {c.info.status for c in children} == {"KILLED"}
    assert client.get_run(result.parent_run_id).info.status == "KILLED"


def test_a_worker_without_the_project_is_one_clear_line(tmp_path, experiment_name) -> None:
    with dask_cluster(tmp_path, workers=0) as cluster:
        cluster.start_worker(hide="experiments")
        cluster.wait_for_workers(1)
        started = time.monotonic()
        with pytest.raises(ClusterError, match=r"^Dask worker tcp://127\.0\.0\.1:\d+ cannot "
                           r"import experiments\.sweeps\.cluster \(.*\); install the project"):
            run_sweep(_sweep(), scheduler=cluster.address, experiment=experiment_name)
        assert time.monotonic() - started < 60


def test_an_unreachable_scheduler_is_one_clear_line(experiment_name) -> None:
    from tests.experiments.dask_cluster import free_port

    with pytest.raises(ClusterError, match=r"cannot reach the Dask scheduler at tcp://"):
        run_sweep(_sweep(), scheduler=f"tcp://127.0.0.1:{free_port()}",
                  experiment=experiment_name)


def test_the_nannies_kill_line_is_dropped_only_while_the_local_cluster_closes(caplog) -> None:
    import logging

    from experiments.sweeps.cluster import quiet_nanny_kills

    logger = logging.getLogger("distributed.nanny")
    with caplog.at_level(logging.WARNING, logger="distributed.nanny"):
        with quiet_nanny_kills():
            logger.warning("Worker process still alive after 4.0 seconds, killing")
            logger.warning("Worker process 123 was killed by signal 9")
        logger.warning("Worker process still alive after 4.0 seconds, killing")
    assert [r.getMessage() for r in caplog.records] == [
        "Worker process 123 was killed by signal 9",
        "Worker process still alive after 4.0 seconds, killing"]
