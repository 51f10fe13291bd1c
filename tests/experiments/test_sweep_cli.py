"""python -m experiments sweep / sweeps: exit codes, the last line, Ctrl+C from a shell's
background job (SIGINT ignored by default there) leaving nothing RUNNING."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments.cli import main

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "experiments" / "configs" / "sweeps"


def _main(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_a_sweep_prints_each_trial_and_ends_naming_the_parent_and_best(
        tracking_uri, experiment_name, client) -> None:
    code, out, err = _main("sweep", str(SWEEPS / "moons_architecture.toml"),
                           "--set", "training.epochs=5", "--set", "dataset.n_samples=60",
                           "--trials", "3", "--experiment", experiment_name)
    assert code == 0, err
    last = out.strip().splitlines()[-1]
    assert last.startswith("sweep ") and " FINISHED; best trial " in last
    parent_id = last.split()[1]
    parent = client.get_run(parent_id)
    assert parent.info.status == "FINISHED"
    assert f"(run {parent.data.tags['sweep.best_run_id']})" in last
    trial_lines = [line for line in err.splitlines() if line.startswith("trial ")]
    assert len(trial_lines) == 3 and "[3/3, best val_accuracy" in trial_lines[-1]

    code, out, err = _main("sweeps")
    assert code == 0, err
    assert parent_id[:12] in out and "moons_architecture" in out and "3/3" in out


def test_a_bad_sweep_file_is_one_line_and_exit_1(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "x.toml"\n[sweep]\nmethod = "grid"\n[sweep.space]\n'
                   '"training.learning_rate" = { uniform = [0.1, 1.0] }\n')
    code, out, err = _main("sweep", str(bad))
    assert code == 1 and out == ""
    assert err.startswith("error: bad.toml: config file") and err.count("\n") == 1
    code, _, err = _main("sweep", str(SWEEPS / "admissions_lr_units.toml"), "--trials", "0")
    assert code == 1 and "sweep.trials = 0: must be a whole number >= 1" in err


def test_sweeps_in_an_empty_folder_creates_no_store(tmp_path) -> None:
    code, out, _ = _main("sweeps")
    assert code == 0 and "no sweeps yet" in out
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_ctrl_c_on_a_background_sweep_ends_everything_killed(
        tracking_uri, experiment_name, client, tmp_path) -> None:
    """A shell starts background jobs with SIGINT ignored; the CLI must still stop."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "MLFLOW_TRACKING_URI": tracking_uri}
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments", "sweep", str(SWEEPS / "xor_seed_replicates.toml"),
         "--set", "training.epochs=200000", "--experiment", experiment_name],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    exp = None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:   # wait until the first child trains
        exp = exp or client.get_experiment_by_name(experiment_name)
        if exp and len(client.search_runs([exp.experiment_id])) >= 2:
            break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the sweep did not start a trial: " + proc.communicate()[1])
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; the sweep and its running trials are marked KILLED" in err
    runs = client.search_runs([exp.experiment_id])
    assert {r.info.status for r in runs} == {"KILLED"}
    parent = next(r for r in runs if "sweep.name" in r.data.tags)
    assert parent.data.tags["stop_reason"] == "interrupted (Ctrl+C) after 0 trials"
