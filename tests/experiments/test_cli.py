"""python -m experiments: exit codes and one-line messages.

A few tests start a real subprocess (what a user types); the rest call ``main``
in-process, which is the same code and much faster.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments.cli import main

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "experiments" / "configs"


def _python_m(args: list[str], cwd: Path, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("EXPERIMENTS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)


def _main(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- subprocess


def test_run_succeeds_and_prints_run_id_metrics_and_ui_command(tracking_uri, tmp_path, client
                                                               ) -> None:
    proc = _python_m(["run", str(CONFIGS / "xor.toml"), "--set", "training.epochs=15",
                      "--experiment", "cli-ok", "--tracking-uri", tracking_uri], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    run_line = next(line for line in lines if line.startswith("run "))
    run_id = run_line.split()[1]
    run = client.get_run(run_id)
    assert "FINISHED" in run_line
    assert any(line.startswith("final") and "val_accuracy" in line for line in lines)
    assert f"mlflow ui --backend-store-uri {tracking_uri}" in proc.stdout
    assert f"then open http://127.0.0.1:5000/#/experiments/{run.info.experiment_id}/runs/" in (
        proc.stdout
    )
    assert "epoch 15/15" in proc.stderr  # the progress bar
    assert run.info.status == "FINISHED" and run.data.tags["source"] == "cli"
    assert run.data.params["training.epochs"] == "15"
    assert not (tmp_path / "mlflow.db").exists()  # it went to --tracking-uri


def test_a_bad_config_is_one_line_and_exit_1(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[training]\noptimizer = "adamw"\n')
    proc = _python_m(["run", str(bad)], tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: bad.toml: training.optimizer = 'adamw': allowed values are 'sgd', 'adam' "
        "(did you mean 'adam'?)"
    ]
    assert proc.stdout == ""


def test_a_diverging_run_exits_1_and_is_failed(tracking_uri, regression_csv, tmp_path, client
                                               ) -> None:
    config = tmp_path / "diverge.toml"
    config.write_text(
        f'name = "cli-diverge"\n[dataset]\nname = "csv"\npath = "{regression_csv}"\n'
        'target = "y"\n[training]\nlearning_rate = 10.0\nepochs = 300\n'
    )
    proc = _python_m(["run", str(config), "--quiet"], tmp_path,
                     env={"MLFLOW_TRACKING_URI": tracking_uri})
    assert proc.returncode == 1
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert errors[0].startswith("error: Training diverged at epoch")
    run_id = errors[0].split("(run ")[1].split()[0]
    run = client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert "diverged" in run.data.tags["failure_reason"]


def test_an_unreachable_server_is_one_line_and_quick(tmp_path) -> None:
    started = time.monotonic()
    uri = f"http://127.0.0.1:{_closed_port()}"
    proc = _python_m(["run", str(CONFIGS / "xor.toml"), "--tracking-uri", uri], tmp_path)
    assert proc.returncode == 1
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"error: MLflow tracking server {uri} cannot be reached")
    assert "epoch" not in proc.stderr  # nothing trained
    assert time.monotonic() - started < 60


def test_an_unwritable_sqlite_store_is_one_line_and_quick(tmp_path) -> None:
    """Issue 14: ``unexpected OperationalError`` after 104 s; now one sentence, at once."""
    uri = "sqlite:////sys/nncore-test-store.db"  # root cannot create files in /sys either
    started = time.monotonic()
    code, out, err = _main("run", str(CONFIGS / "xor.toml"), "--tracking-uri", uri)
    assert time.monotonic() - started < 10
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: Tracking store {uri}: cannot create files in folder '/sys'")
    assert "MLFLOW_TRACKING_URI or pass --tracking-uri" in err
    code, _, err = _main("list", "--tracking-uri", uri)
    assert code == 1 and "cannot create files" in err and err.count("\n") == 1


# --------------------------------------------------------------------------- in-process


def test_bad_data_is_one_line(tmp_path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    config = tmp_path / "mine.toml"
    config.write_text(f'[dataset]\nname = "csv"\npath = "{empty}"\ntarget = "y"\n')
    code, _, err = _main("run", str(config), "--no-track")
    assert code == 1
    assert err == "error: empty.csv is empty\n"


def test_bad_override(tmp_path) -> None:
    code, _, err = _main("run", str(CONFIGS / "xor.toml"), "--set", "training.lr=0.1")
    assert code == 1
    assert err.startswith("error: training.lr: unknown setting (did you mean "
                          "'training.learning_rate'?)")
    code, _, err = _main("run", str(CONFIGS / "xor.toml"), "--set", "epochs")
    assert code == 1 and "expected KEY=VALUE" in err


def test_missing_config_file() -> None:
    code, _, err = _main("run", "nope.toml")
    assert code == 1 and err == "error: config file 'nope.toml' not found\n"


def test_usage_errors_exit_2() -> None:
    code, _, _ = _main("frobnicate")
    assert code == 2
    code, _, _ = _main()
    assert code == 2


def test_untracked_run_and_progress_lines(tmp_path) -> None:
    code, out, err = _main("run", str(CONFIGS / "circles.toml"), "--no-track",
                           "--set", "training.epochs=20")
    assert code == 0
    assert "not tracked" in out and "val_accuracy" in out
    progress = [line for line in err.splitlines() if line.startswith("epoch")]
    assert progress[-1].startswith("epoch 20/20") and 2 <= len(progress) <= 12
    assert not (tmp_path / "mlflow.db").exists()


def test_a_final_train_loss_unlike_the_last_progress_line_is_explained() -> None:
    """Mini-batch epochs: the progress line shows the batch mean, final the trained weights."""
    code, out, err = _main("run", str(CONFIGS / "circles.toml"), "--no-track",
                           "--set", "training.epochs=3", "--set", "training.batch_size=8")
    assert code == 0
    last_line = [line for line in err.splitlines() if line.startswith("epoch")][-1]
    live = float(last_line.split("train_loss")[1].split()[0])
    final = float(out.split("final")[1].split("train_loss")[1].split()[0])
    assert f"{live:.4f}" != f"{final:.4f}"
    assert "mean over the last epoch's batches" in out

    code, out, _ = _main("run", str(CONFIGS / "circles.toml"), "--no-track", "--quiet",
                         "--set", "training.epochs=3", "--set", "training.batch_size=8")
    assert code == 0 and "mean over the last epoch's batches" not in out


def test_check_prints_the_full_spec(tmp_path) -> None:
    code, out, _ = _main("check", str(CONFIGS / "moons.toml"), "--set", "training.epochs=7")
    assert code == 0
    assert "epochs = 7" in out and "[dataset]" in out and out.startswith("# moons |")


def test_list_shows_recent_runs(tracking_uri, make_spec, experiment_name) -> None:
    from experiments import train

    result = train(make_spec("xor", epochs=3), experiment=experiment_name, log_model=False)
    code, out, _ = _main("list", "--experiment", experiment_name)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["run", "started", "(UTC)"]
    assert result.run_id[:12] in lines[1] and "FINISHED" in lines[1] and "xor" in lines[1]
    code, out, _ = _main("list", "--experiment", "nothing-here")
    assert code == 0 and out == "no runs in experiment 'nothing-here'\n"


def test_list_against_an_unreachable_server() -> None:
    code, _, err = _main("list", "--tracking-uri", f"http://127.0.0.1:{_closed_port()}")
    assert code == 1 and "cannot be reached" in err and err.count("\n") == 1


def test_datasets_lists_every_dataset() -> None:
    code, out, _ = _main("datasets")
    assert code == 0
    for name in ("student_admissions", "blobs", "moons", "circles", "xor", "spiral", "csv"):
        assert f"\n{name}  (" in "\n" + out
    assert "- noise (default 0.2; a finite number in [0, 2])" in out
    assert "- path (required; a text)" in out
    assert "every dataset also takes test_size (a finite number in [0.05, 0.9], default 0.2)" in out


def test_list_does_not_create_a_store(tmp_path) -> None:
    code, out, _ = _main("list")
    assert code == 0 and out == "no runs yet: mlflow.db does not exist\n"
    assert not (tmp_path / "mlflow.db").exists()


def _wait_for_running_run(uri: str, experiment: str, proc: subprocess.Popen,
                          timeout: float = 90.0) -> str:
    from mlflow import MlflowClient

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            exp = MlflowClient(uri).get_experiment_by_name(experiment)
            runs = MlflowClient(uri).search_runs([exp.experiment_id]) if exp else []
        except Exception:  # the CLI is still creating the store
            runs = []
        if runs and runs[0].info.status == "RUNNING" and runs[0].data.metrics:
            return runs[0].info.run_id
        time.sleep(0.3)
    raise AssertionError("the run never showed up RUNNING")


@pytest.mark.parametrize(("signame", "code"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_termination_signal_ends_the_run_killed(tracking_uri, experiment_name, tmp_path,
                                                  signame, code) -> None:
    """kill -TERM / -HUP: like Ctrl+C, the run ends KILLED with the signal named (issue 14)."""
    from mlflow import MlflowClient

    uri = tracking_uri
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EXPERIMENTS_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments", "run", str(CONFIGS / "moons.toml"), "--quiet",
         "--tracking-uri", uri, "--experiment", experiment_name,
         "--set", "training.epochs=200000"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        run_id = _wait_for_running_run(uri, experiment_name, proc)
        proc.send_signal(getattr(signal, signame))
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == f"stopped by {signame}; the run (if any) is marked KILLED"
    run = MlflowClient(uri).get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["stop_reason"] == f"interrupted ({signame})"
    assert run.info.end_time is not None
