"""Against a real ``mlflow server`` subprocess on 127.0.0.1 (proxied artifacts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from experiments import RunSpec, queries, train

pytestmark = [pytest.mark.server, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def test_a_run_recorded_on_a_server_reads_back(mlflow_server, make_spec, monkeypatch,
                                               tmp_path) -> None:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    spec = make_spec("moons", epochs=25)
    result = train(spec, experiment="server-run", source="test")
    assert result.tracking_uri == mlflow_server
    assert result.ui_command().startswith(f"open {mlflow_server}/#/experiments/")

    client = MlflowClient(mlflow_server)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert RunSpec.from_params(run.data.params) == spec
    steps = [m.step for m in client.get_metric_history(result.run_id, "val_loss")]
    assert steps == list(range(1, 26))
    # Artifacts went through the server.
    names = {a.path for a in client.list_artifacts(result.run_id)}
    assert {"history.csv", "decision_boundary.csv", "weights"} <= names
    assert not (tmp_path / "mlruns").exists()

    model = mlflow.pyfunc.load_model(f"runs:/{result.run_id}/model")
    raw = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.5, -0.5]})
    out = model.predict(raw)
    expected = result.model.predict_proba(raw.to_numpy())[:, 0]
    np.testing.assert_allclose(out["probability_1"], expected, rtol=1e-12)

    frame = queries.runs_frame("server-run", tracking_uri=mlflow_server)
    assert frame["run_id"].tolist() == [result.run_id]
    history = queries.metric_history(result.run_id, ["train_loss"], tracking_uri=mlflow_server)
    assert len(history) == 25

    # The server's bulk endpoint returns what the per-run calls return.
    from experiments import bulk_history

    keys = {result.run_id: list(run.data.metrics)}
    bulk = bulk_history._from_server(mlflow_server, keys)
    one_by_one = bulk_history._from_threads(client, keys)
    order = ["metric", "step"]
    pd.testing.assert_frame_equal(bulk.sort_values(order).reset_index(drop=True),
                                  one_by_one.sort_values(order).reset_index(drop=True))
    per_epoch = [k for k in keys[result.run_id] if not k.startswith("final_")]
    assert (bulk["metric"].isin(per_epoch)).sum() == len(per_epoch) * 25


def test_the_cli_against_a_server(mlflow_server, tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MLFLOW_TRACKING_URI": mlflow_server}
    proc = subprocess.run(
        [sys.executable, "-m", "experiments", "run", str(REPO / "experiments/configs/xor.toml"),
         "--set", "training.epochs=10", "--experiment", "server-cli", "--quiet"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"view    open {mlflow_server}/#/experiments/" in proc.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "experiments", "list", "--experiment", "server-cli"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert listed.returncode == 0 and "FINISHED" in listed.stdout
