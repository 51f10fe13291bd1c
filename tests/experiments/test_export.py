"""The exported training script runs on its own (a subprocess, no MLflow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from experiments import RunSpec
from experiments.export import training_script

ROOT = Path(__file__).resolve().parents[2]


def test_exported_script_trains_without_tracking(tmp_path):
    spec = RunSpec.from_dict({
        "dataset": {"name": "xor", "n_samples": 80},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 500,
                     "batch_size": 16, "seed": 3}})
    script = tmp_path / "train_run.py"
    script.write_text(training_script(spec, run_id="0123456789abcdef"))
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'never.db'}"}
    done = subprocess.run([sys.executable, str(script), "--no-track", "--epochs", "3"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "xor" in out.lower()
    metrics = dict(line.split(": ", 1) for line in out.splitlines()
                   if line.startswith(("val_", "train_", "final_")) and ": " in line)
    assert metrics, out
    for value in metrics.values():
        float(value)
    assert "MLflow run:" not in out  # --no-track records nothing
    assert not (tmp_path / "never.db").exists()
    assert not (tmp_path / "mlruns").exists()
