"""Reading past runs into tidy frames; ended runs are cached by run id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import queries, train


@pytest.fixture
def two_runs(make_spec, experiment_name):
    first = train(make_spec("xor", epochs=12), experiment=experiment_name, log_model=False)
    second = train(make_spec("moons", epochs=8), experiment=experiment_name, log_model=False)
    return first, second


def test_runs_frame(two_runs, experiment_name) -> None:
    first, second = two_runs
    frame = queries.runs_frame(experiment_name)
    assert frame["run_id"].tolist() == [second.run_id, first.run_id]  # newest first
    assert set(frame["status"]) == {"FINISHED"}
    assert frame["dataset"].tolist() == ["moons", "xor"]
    assert frame["experiment"].unique().tolist() == [experiment_name]
    assert pd.api.types.is_datetime64_any_dtype(frame["start_time"])
    assert (frame["duration_s"] > 0).all()
    row = frame.set_index("run_id").loc[first.run_id]
    assert row["metrics.final_val_accuracy"] == pytest.approx(first.metrics["val_accuracy"])
    assert row["params.training.epochs"] == "12"


def test_runs_frame_of_unknown_experiment_is_empty(tracking_uri) -> None:
    frame = queries.runs_frame("no-such-experiment")
    assert frame.empty and "run_id" in frame.columns and "status" in frame.columns


def test_metric_history_is_tidy(two_runs) -> None:
    first, second = two_runs
    frame = queries.metric_history([first.run_id, second.run_id])
    assert list(frame.columns) == ["run_id", "metric", "step", "value", "timestamp"]
    assert set(frame["metric"]) == {"train_loss", "val_loss", "train_accuracy", "val_accuracy"}
    loss = frame[(frame["run_id"] == first.run_id) & (frame["metric"] == "train_loss")]
    assert loss["step"].tolist() == list(range(1, 13))
    np.testing.assert_allclose(loss["value"], first.history.history["train_loss"])
    only = queries.metric_history(second.run_id, ["val_loss"])
    assert set(only["metric"]) == {"val_loss"} and len(only) == 8


def test_ended_runs_are_cached(two_runs, monkeypatch) -> None:
    from experiments import bulk_history

    first, second = two_runs
    queries.clear_cache()
    reads: list[list[str]] = []
    original = bulk_history.fetch_histories

    def counting(uri, run_ids, client=None):
        reads.append(list(run_ids))
        return original(uri, run_ids, client)

    monkeypatch.setattr(bulk_history, "fetch_histories", counting)
    a = queries.metric_history(first.run_id)
    b = queries.metric_history(first.run_id)
    assert reads == [[first.run_id]]          # the second read came from the cache
    pd.testing.assert_frame_equal(a, b)
    both = queries.metric_history([second.run_id, first.run_id])
    assert reads == [[first.run_id], [second.run_id]]   # only the new run is read
    assert both["run_id"].unique().tolist() == [second.run_id, first.run_id]


def test_bulk_sql_read_equals_one_call_per_metric(two_runs, tracking_uri) -> None:
    """The one-query SQL path and the client's per-run calls return the same rows."""
    from mlflow import MlflowClient

    from experiments import bulk_history

    client = MlflowClient(tracking_uri)
    ids = [run.run_id for run in two_runs]
    sql_rows, statuses = bulk_history._from_sql(tracking_uri, ids)
    keys = {run_id: list(client.get_run(run_id).data.metrics) for run_id in ids}
    api_rows = bulk_history._from_threads(client, keys)
    order = ["run_id", "metric", "step"]
    pd.testing.assert_frame_equal(
        sql_rows.sort_values(order).reset_index(drop=True),
        api_rows.sort_values(order).reset_index(drop=True), check_dtype=False)
    assert statuses == dict.fromkeys(ids, "FINISHED")
    assert len(sql_rows) > 4 * 12


def test_running_runs_are_not_cached(tracking_uri, experiment_name, monkeypatch) -> None:
    from experiments.tracking import RunTracker

    tracker = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    tracker.log_metrics({"train_loss": 1.0}, step=1)
    tracker.flush()
    assert len(queries.metric_history(tracker.run_id)) == 1
    tracker.log_metrics({"train_loss": 0.5}, step=2)
    tracker.flush()
    assert len(queries.metric_history(tracker.run_id)) == 2
    tracker.end()


def test_full_history_spec_model_and_boundary(two_runs) -> None:
    first, _ = two_runs
    table = queries.full_history(first.run_id)
    assert table["epoch"].tolist() == list(range(1, 13))
    assert queries.run_spec(first.run_id) == first.spec
    model, pre = queries.load_run_model(first.run_id)
    X = pre.transform(first.dataset.raw_val)
    np.testing.assert_array_equal(model.predict(X), first.model.predict(first.dataset.X_val))
    grid = queries.decision_boundary(first.run_id)
    assert grid is not None and {"x1", "x2", "prediction"} <= set(grid.columns)


def test_boundary_is_none_for_datasets_that_are_not_2d(make_spec, experiment_name) -> None:
    result = train(make_spec("student_admissions", epochs=3), experiment=experiment_name,
                   log_model=False)
    assert queries.decision_boundary(result.run_id) is None


def test_a_running_run_says_how_long_it_has_been_silent(tracking_uri, experiment_name) -> None:
    """Issue 14: a run whose process died stays RUNNING; its silence tells it apart."""
    from experiments.tracking import RunTracker

    tracker = RunTracker.start(experiment=experiment_name, tracking_uri=tracking_uri)
    logged_at = pd.Timestamp.now(tz="UTC").floor("s") + pd.Timedelta(minutes=1)
    tracker.log_metrics({"train_loss": 1.0}, step=1,
                        timestamp_ms=int(logged_at.timestamp() * 1000))
    tracker.flush()
    runs = queries.runs_frame(experiment_name)
    assert runs["last_logged"].iloc[0] == logged_at
    labels = queries.status_labels(runs, now=logged_at + pd.Timedelta(minutes=12))
    assert labels.iloc[0] == "RUNNING · silent for 12 min"
    assert queries.status_labels(runs, now=logged_at + pd.Timedelta(seconds=42)).iloc[0] == (
        "RUNNING · silent for 42 s")
    tracker.end()
    ended = queries.runs_frame(experiment_name)
    assert queries.status_labels(ended).tolist() == ["FINISHED"]


def test_silence_counts_from_the_start_before_any_metric() -> None:
    start = pd.Timestamp("2026-01-01 12:00", tz="UTC")
    runs = pd.DataFrame({"status": ["RUNNING", "KILLED"], "start_time": [start, start],
                         "last_logged": [pd.NaT, pd.NaT]})
    now = start + pd.Timedelta(hours=5)
    assert queries.status_labels(runs, now=now).tolist() == ["RUNNING · silent for 5 h",
                                                             "KILLED"]
    assert queries.silent_for(start, pd.NaT, now) == 5 * 3600
    assert np.isnan(queries.silent_for(None, pd.NaT, now))
