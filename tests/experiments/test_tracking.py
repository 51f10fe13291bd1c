"""The run tracker against a real SQLite store: batching, downsampling, statuses, URIs."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from experiments import TrackingError
from experiments.tracking import (
    MARKED_KILLED,
    MetricsLogger,
    RunTracker,
    Terminated,
    absolute_sqlite_uri,
    check_tracking_uri,
    mark_killed,
    redact_uri,
    resolve_tracking_uri,
    sqlite_path,
    store_problem,
    ui_command,
)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- URIs


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
        ("sqlite:////tmp/x/mlflow.db", "sqlite:////tmp/x/mlflow.db"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://bob:s3cret@mlflow.example.com/", "https://***@mlflow.example.com/"),
        ("postgresql://user:pw@db:5432/mlflow", "postgresql://***@db:5432/mlflow"),
        ("https://h/?token=abc&x=1", "https://h/?token=***&x=1"),
    ],
)
def test_redact_uri_removes_credentials(uri: str, shown: str) -> None:
    assert redact_uri(uri) == shown
    assert "s3cret" not in redact_uri(uri) and "pw@" not in redact_uri(uri)


def test_resolve_tracking_uri_reads_the_environment_each_time(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert resolve_tracking_uri() == "sqlite:///mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///other.db")
    assert resolve_tracking_uri() == "sqlite:///other.db"
    assert resolve_tracking_uri("http://x") == "http://x"


def test_unreachable_server_is_one_clear_line_and_quick() -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(TrackingError) as err:
        check_tracking_uri(uri)
    assert time.monotonic() - started < 4
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"MLflow tracking server {uri} cannot be reached")


def test_unreachable_server_message_hides_credentials() -> None:
    uri = f"http://alice:hunter2@127.0.0.1:{_closed_port()}"
    with pytest.raises(TrackingError) as err:
        check_tracking_uri(uri)
    assert "hunter2" not in str(err.value) and "***@127.0.0.1" in str(err.value)


def test_sqlite_store_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(TrackingError, match="does not exist"):
        check_tracking_uri(f"sqlite:///{tmp_path / 'no' / 'such' / 'mlflow.db'}")
    check_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")  # a new file is fine


@pytest.mark.parametrize("uri", ["sqlite:////sys/nncore-test-store.db",
                                 "sqlite:////proc/nncore-test-store.db"])
def test_a_sqlite_store_in_a_folder_that_takes_no_files_is_reported_at_once(uri) -> None:
    """Issue 14: MLflow retried ``unable to open database file`` for ~100 s (root ignores
    permission bits, so /sys and /proc stand for a folder nobody can write)."""
    started = time.monotonic()
    with pytest.raises(TrackingError) as err:
        check_tracking_uri(uri)
    assert time.monotonic() - started < 1
    message = str(err.value)
    assert message.startswith(f"Tracking store {uri}: cannot create files in folder ")
    assert "\n" not in message and "MLFLOW_TRACKING_URI" in message
    assert "--tracking-uri" not in message  # the CLI adds its flag, the dashboard does not


def test_sqlite_store_that_is_not_a_file_or_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    assert "is not a file" in store_problem(f"sqlite:///{tmp_path / 'dir.db'}")
    assert store_problem("sqlite:////sys/kernel/mm") is not None  # a folder, not a file
    read_only = "sqlite:////sys/kernel/uevent_seqnum"  # exists; not even root may write it
    assert "cannot be opened for reading and writing" in store_problem(read_only)
    (tmp_path / "ok.db").write_bytes(b"")
    assert store_problem(f"sqlite:///{tmp_path / 'ok.db'}") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.db", "ok.db"]  # no probe left


def test_store_problem_names_the_way_to_choose_another_store() -> None:
    uri = f"http://127.0.0.1:{_closed_port()}"
    problem = store_problem(uri, set_store="MLFLOW_TRACKING_URI or pass --tracking-uri")
    assert problem is not None and problem.endswith(".")
    assert "start it with `mlflow server --host 127.0.0.1 --port" in problem
    assert "set MLFLOW_TRACKING_URI or pass --tracking-uri to a store that works" in problem


def test_old_file_store_is_refused(monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    with pytest.raises(TrackingError, match="refuses the old file store"):
        check_tracking_uri("./mlruns")


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("sqlite:///mlflow.db", "mlflow.db"),
        ("sqlite:///runs/m.db", "runs/m.db"),
        ("sqlite:////tmp/x/mlflow.db", "/tmp/x/mlflow.db"),
        ("sqlite:////tmp/x/mlflow.db?timeout=20", "/tmp/x/mlflow.db"),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("http://127.0.0.1:5000", None),
        ("postgresql://u@db/mlflow", None),
    ],
)
def test_sqlite_path_is_the_one_parser_of_sqlite_uris(uri: str, path: str | None) -> None:
    assert sqlite_path(uri) == (None if path is None else Path(path))


def test_absolute_sqlite_uri(tmp_path: Path) -> None:  # the working folder is tmp_path
    here = Path.cwd().resolve()
    assert absolute_sqlite_uri("sqlite:///mlflow.db") == f"sqlite:///{here}/mlflow.db"
    assert absolute_sqlite_uri("sqlite:///a/m.db?timeout=5") == f"sqlite:///{here}/a/m.db?timeout=5"
    for unchanged in ("sqlite:////abs/m.db", "sqlite:///:memory:", "http://h:5000",
                      "postgresql://u@db/mlflow"):
        assert absolute_sqlite_uri(unchanged) == unchanged


def test_ui_command() -> None:
    assert ui_command("sqlite:///mlflow.db") == (
        f"mlflow ui --backend-store-uri sqlite:///{Path.cwd().resolve()}/mlflow.db"
    )
    assert ui_command("sqlite:////abs/m.db") == "mlflow ui --backend-store-uri sqlite:////abs/m.db"
    assert ui_command("http://u:p@h:5000", "3", "abc") == "open http://***@h:5000/#/experiments/3/runs/abc"


# --------------------------------------------------------------------------- metrics logger


class _Recorder:
    def __init__(self) -> None:
        self.steps: list[int] = []
        self.flushes = 0

    def log_metrics(self, metrics, step):
        self.steps.append(step)

    def flush(self):
        self.flushes += 1


@pytest.mark.parametrize(("epochs", "stop_at"), [(1000, 1000), (1000, 537), (10, 10), (299, 299)])
def test_long_runs_are_downsampled_but_keep_first_and_last(epochs: int, stop_at: int) -> None:
    rec = _Recorder()
    logger = MetricsLogger(rec, max_points=300)  # type: ignore[arg-type]
    logger.begin(epochs)
    for e in range(1, stop_at + 1):
        logger.epoch(e, {"train_loss": 1.0 / e})
    logger.finish()
    assert rec.steps[0] == 1 and rec.steps[-1] == stop_at
    assert len(rec.steps) <= 302
    assert rec.steps == sorted(set(rec.steps))
    if epochs <= 300:
        assert rec.steps == list(range(1, stop_at + 1))
    assert rec.flushes >= 1


# --------------------------------------------------------------------------- the tracker


def test_params_go_in_one_batch_and_metrics_in_batches_of_1000(
    tracking_uri: str, experiment_name: str, client, monkeypatch
) -> None:
    tracker = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    calls: list[tuple[int, int]] = []
    original = tracker.client.log_batch

    def spy(run_id, metrics=(), params=(), tags=(), **kw):
        calls.append((len(metrics), len(params)))
        return original(run_id, metrics=metrics, params=params, tags=tags, **kw)

    monkeypatch.setattr(tracker.client, "log_batch", spy)
    with tracker:
        tracker.log_params({f"p{i}": i for i in range(40)})
        for step in range(1, 626):
            tracker.log_metrics({"a": step, "b": -step, "c": float("nan"), "d": 0.5}, step=step)
    assert calls[0] == (0, 40)
    metric_calls = [m for m, _ in calls if m]
    assert max(metric_calls) <= 1000
    assert sum(metric_calls) == 625 * 3  # the NaN values are skipped
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED"
    assert len(run.data.params) == 40
    history = client.get_metric_history(tracker.run_id, "a")
    assert [m.step for m in history] == list(range(1, 626))
    assert [m.value for m in history] == [float(s) for s in range(1, 626)]


def test_exception_ends_the_run_failed_with_the_reason(tracking_uri, experiment_name, client
                                                        ) -> None:
    with pytest.raises(ValueError, match="boom"):  # noqa: SIM117
        with RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri) as tracker:
            tracker.log_metrics({"x": 1.0}, step=1)
            raise ValueError("boom")
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == "ValueError: boom"
    assert run.data.metrics["x"] == 1.0  # buffered metrics were still sent


def test_keyboard_interrupt_ends_the_run_killed(tracking_uri, experiment_name, client) -> None:
    with pytest.raises(KeyboardInterrupt):  # noqa: SIM117
        with RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri) as tracker:
            raise KeyboardInterrupt
    run = client.get_run(tracker.run_id)
    assert run.info.status == "KILLED"
    assert "interrupted" in run.data.tags["stop_reason"]


@pytest.mark.parametrize(("signum", "name"), [(15, "SIGTERM"), (1, "SIGHUP")])
def test_a_termination_signal_ends_the_run_killed_with_its_name(
        tracking_uri, experiment_name, client, signum, name) -> None:
    with pytest.raises(KeyboardInterrupt):  # noqa: SIM117
        with RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri) as tracker:
            raise Terminated(signum)
    run = client.get_run(tracker.run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["stop_reason"] == f"interrupted ({name})"


def test_mark_killed_ends_a_running_run_by_hand(tracking_uri, experiment_name, client) -> None:
    tracker = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    tracker.log_metrics({"train_loss": 1.0}, step=1)
    tracker.flush()  # then its process dies: the run stays RUNNING
    assert client.get_run(tracker.run_id).info.status == "RUNNING"
    mark_killed(tracker.run_id, tracking_uri)
    run = client.get_run(tracker.run_id)
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert run.data.tags["stop_reason"] == MARKED_KILLED
    assert run.data.tags["killed_by_hand"] == "true"
    with pytest.raises(TrackingError, match="is KILLED, not RUNNING"):
        mark_killed(tracker.run_id, tracking_uri)  # an ended run is left as it is


def test_ending_twice_keeps_the_first_status(tracking_uri, experiment_name, client) -> None:
    tracker = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    tracker.end("KILLED", "stopped")
    tracker.end("FINISHED")
    assert client.get_run(tracker.run_id).info.status == "KILLED"


def test_start_adds_user_source_and_commit_tags(tracking_uri, experiment_name, client) -> None:
    from experiments.tracking import git_commit

    tracker = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri,
                               run_name="hello", tags={"source": "test", "skip": None})
    tracker.end()
    run = client.get_run(tracker.run_id)
    assert run.info.run_name == "hello"
    assert run.data.tags["source"] == "test" and "skip" not in run.data.tags
    assert run.data.tags["mlflow.user"]
    if git_commit():
        assert run.data.tags["mlflow.source.git.commit"] == git_commit()


def test_deleted_experiment_is_reported(tracking_uri, experiment_name, client) -> None:
    exp_id = client.create_experiment(experiment_name)
    client.delete_experiment(exp_id)
    with pytest.raises(TrackingError, match="is deleted; restore it"):
        RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)


def test_an_experiment_deleted_after_a_run_is_still_reported(tracking_uri, experiment_name,
                                                             client) -> None:
    """The experiment's id is remembered per process; a remembered experiment that was
    deleted since is looked up again and reported; restored, it takes runs again."""
    first = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    first.end()
    client.delete_experiment(first.experiment_id)
    with pytest.raises(TrackingError, match="is deleted; restore it"):
        RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    client.restore_experiment(first.experiment_id)
    again = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    again.end()
    assert again.experiment_id == first.experiment_id


def test_a_store_error_at_the_end_still_ends_the_run(tracking_uri, experiment_name, client,
                                                     monkeypatch) -> None:
    tracker = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    tracker.log_metrics({"x": 1.0}, step=1)

    def failing(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tracker.client, "log_batch", failing)
    tracker.end("FINISHED")
    assert tracker.status == "FAILED"
    assert client.get_run(tracker.run_id).info.status == "FAILED"
