"""Several processes opening a brand-new SQLite store at once (sweep workers, the app and a
CLI run): MLflow's schema migrations race unless one process creates the store and the
others wait. Real processes, a real fresh store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from experiments import RunSpec, train
uri, tag = sys.argv[1], sys.argv[2]
spec = RunSpec.from_dict({"name": "race", "dataset": {"name": "xor", "n_samples": 40},
                          "model": {"hidden": [2]}, "training": {"epochs": 2}})
for i in range(4):
    train(spec, tracking_uri=uri, log_model=False, run_name=f"{tag}-{i}")
"""


@pytest.mark.slow
def test_four_processes_on_a_fresh_sqlite_store_lose_nothing(tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, uri, f"p{n}"], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("race")
    runs = client.search_runs([exp.experiment_id], max_results=100)
    assert sorted(r.info.run_name for r in runs) == sorted(
        f"p{n}-{i}" for n in range(4) for i in range(4))
    assert {r.info.status for r in runs} == {"FINISHED"}
