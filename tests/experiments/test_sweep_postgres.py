"""A team's setup: a sweep on a real ``dask scheduler`` with two ``dask worker`` processes,
recording into ``mlflow server`` backed by PostgreSQL (its own throwaway cluster).

Afterwards every trial's runs, metrics and models must be on the server, exactly once.
"""

from __future__ import annotations

import warnings

import mlflow
import numpy as np
import pandas as pd
import pytest

from experiments import queries
from experiments.sweeps import SweepSpec, run_sweep
from tests.experiments.dask_cluster import dask_cluster
from tests.experiments.test_sweep_cluster import _children, _one_good_run_per_trial

pytestmark = [pytest.mark.slow, pytest.mark.server]

EPOCHS = 30


def test_a_sweep_on_dask_workers_records_everything_on_a_postgres_server(
        postgres_mlflow_server, tmp_path, monkeypatch) -> None:
    from mlflow import MlflowClient

    uri = postgres_mlflow_server.url
    sweep = SweepSpec.from_dict({
        "dataset": {"name": "moons", "n_samples": 120, "seed": 3},
        "model": {"hidden": [8], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": EPOCHS,
                     "batch_size": 16},
        "sweep": {"method": "random", "trials": 6, "replicates": 2, "seed": 1,
                  "pruner": "median", "report_every": 5,
                  "space": {"training.learning_rate": {"log_uniform": [0.001, 0.3]},
                            "model.hidden": {"choice": [[4], [8], [8, 8]]}}}})
    with dask_cluster(tmp_path, workers=2) as cluster, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_sweep(sweep, scheduler=cluster.address, tracking_uri=uri,
                           experiment="team-sweep")
    # Optuna's "DaskStorage is experimental" is filtered in the driver, the scheduler and
    # the workers (it came once per task unpickled).
    assert not [w for w in caught if "DaskStorage" in str(w.message)]
    for log in tmp_path.glob("*.log"):
        assert "DaskStorage is experimental" not in log.read_text(), log.name

    client = MlflowClient(uri)
    assert result.status == "FINISHED" and len(result.trials) == 6
    assert set(result.trials["state"]) <= {"COMPLETE", "PRUNED"}
    assert (result.trials["state"] == "COMPLETE").any()
    _one_good_run_per_trial(client, result)   # one run per trial+replicate, none RUNNING

    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["sweep.best_run_id"] == result.best_run_id
    assert parent.data.metrics["trials_done"] == 6
    assert "trials.csv" in {a.path for a in client.list_artifacts(result.parent_run_id)}

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)   # runs:/ URIs resolve on the server
    raw = pd.DataFrame({"x1": [0.0, 1.0, -0.5], "x2": [0.5, -0.5, 1.0]})
    for run in _children(client, result.parent_run_id):
        run_id, tags = run.info.run_id, run.data.tags
        assert tags["mlflow.parentRunId"] == result.parent_run_id
        history = client.get_metric_history(run_id, "val_loss")
        if run.info.status == "KILLED":            # pruned: stopped where it was told
            assert tags["stop_reason"].startswith("pruned at epoch")
            assert history and max(m.step for m in history) < EPOCHS
            continue
        assert run.info.status == "FINISHED"
        assert [m.step for m in history] == list(range(1, EPOCHS + 1))
        assert np.isfinite(run.data.metrics["final_val_loss"])
        # The model, from the server: MLflow's pyfunc and the project's own loader agree.
        served = mlflow.pyfunc.load_model(f"runs:/{run_id}/model").predict(raw)
        model, preprocessor = queries.load_run_model(run_id, tracking_uri=uri)
        expected = model.predict_proba(preprocessor.transform(raw))[:, 0]
        np.testing.assert_allclose(served["probability_1"], expected, rtol=1e-12)
