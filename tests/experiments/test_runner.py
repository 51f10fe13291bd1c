"""train(): whole runs recorded in a real SQLite store and read back."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

import nncore
from experiments import (
    RunFailed,
    RunSpec,
    SpecError,
    TrackingError,
    load_spec,
    predict_frame,
    train,
)
from experiments.tracking import git_commit

CONFIGS = Path(__file__).resolve().parents[2] / "experiments" / "configs"


def _artifacts(client, run_id: str, path: str = "") -> set[str]:
    out = set()
    for item in client.list_artifacts(run_id, path or None):
        if item.is_dir:
            out |= _artifacts(client, run_id, item.path)
        else:
            out.add(item.path)
    return out


def _text(client, run_id: str, path: str, tmp_path: Path) -> str:
    return Path(client.download_artifacts(run_id, path, str(tmp_path))).read_text()


def _runs(client, experiment: str) -> list:
    exp = client.get_experiment_by_name(experiment)
    return [] if exp is None else client.search_runs([exp.experiment_id])


# --------------------------------------------------------------------------- a whole run


def test_a_full_run_reads_back_whole(make_spec, experiment_name, client, tmp_path) -> None:
    spec = make_spec("moons", epochs=30)
    result = train(spec, experiment=experiment_name, source="test")

    assert result.status == "FINISHED"
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.experiment_id == result.experiment_id

    # Params: the flat spec, and they rebuild it.
    assert run.data.params == spec.to_params()
    assert RunSpec.from_params(run.data.params) == spec

    # Tags.
    tags = run.data.tags
    assert tags["dataset"] == "moons" and tags["task"] == "binary"
    assert tags["source"] == "test"
    assert tags["nncore_version"] == nncore.__version__
    assert tags["architecture"] == "2-4-1"
    if git_commit():
        assert tags["mlflow.source.git.commit"] == git_commit()

    # Metric histories: step = epoch, the same values as the returned history.
    for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        history = client.get_metric_history(result.run_id, key)
        assert [m.step for m in history] == list(range(1, 31))
        np.testing.assert_allclose([m.value for m in history], result.history.history[key])
    assert run.data.metrics["final_val_accuracy"] == pytest.approx(result.metrics["val_accuracy"])
    assert run.data.metrics["final_epochs"] == 30

    # Artifacts.
    names = _artifacts(client, result.run_id)
    assert {"weights/model.npz", "weights/model.json", "history.csv", "spec.toml",
            "preprocessing.json", "decision_boundary.csv"} <= names
    table = pd.read_csv(io.StringIO(_text(client, result.run_id, "history.csv", tmp_path)))
    assert table["epoch"].tolist() == list(range(1, 31))
    np.testing.assert_allclose(table["val_loss"], result.history.history["val_loss"])
    spec_text = _text(client, result.run_id, "spec.toml", tmp_path / "s")
    assert RunSpec.from_dict(__import__("tomllib").loads(spec_text)) == spec
    grid = pd.read_csv(io.StringIO(_text(client, result.run_id, "decision_boundary.csv",
                                         tmp_path / "g")))
    assert list(grid.columns) == ["x1", "x2", "prediction", "probability_0", "probability_1"]
    assert len(grid) == 2500
    np.testing.assert_allclose(grid["probability_0"] + grid["probability_1"], 1.0, atol=1e-5)

    # The dataset inputs, with digests.
    inputs = run.inputs.dataset_inputs
    contexts = {i.tags[0].value: i.dataset for i in inputs}
    assert set(contexts) == {"training", "validation"}
    assert contexts["training"].name == "moons-train" and contexts["training"].digest

    # The weights artifact is the trained model.
    local = client.download_artifacts(result.run_id, "weights", str(tmp_path / "w"))
    again = nncore.load(Path(local) / "model")
    np.testing.assert_array_equal(again.predict(result.dataset.X_val),
                                  result.model.predict(result.dataset.X_val))


def test_the_pyfunc_model_predicts_from_raw_columns(experiment_name, client) -> None:
    spec = load_spec(CONFIGS / "admissions_mlp.toml").with_overrides({"training.epochs": 20})
    result = train(spec, experiment=experiment_name)
    model = mlflow.pyfunc.load_model(result.model_uri)

    raw = pd.DataFrame({"gre": [800, 300, 640], "gpa": [4.0, 2.4, 3.19], "rank": [1, 4, 2]})
    out = model.predict(raw)
    assert list(out.columns) == ["prediction", "probability_0", "probability_1"]
    np.testing.assert_allclose(out["probability_0"] + out["probability_1"], 1.0)
    expected = result.model.predict_proba(result.dataset.preprocessor.transform(raw))[:, 0]
    np.testing.assert_allclose(out["probability_1"], expected, rtol=1e-12)
    assert set(out["prediction"]) <= {0, 1}
    pd.testing.assert_frame_equal(
        out, predict_frame(result.model, result.dataset.preprocessor, raw), check_dtype=False
    )

    # Signature: the raw columns, as the data has them.
    inputs = model.metadata.get_input_schema()
    assert inputs.input_names() == ["gre", "gpa", "rank"]
    # Defined by code, no pickles, explicit requirements.
    local = Path(mlflow.artifacts.download_artifacts(result.model_uri))
    assert not list(local.rglob("*.pkl")) and not list(local.rglob("*.pickle"))
    requirements = (local / "requirements.txt").read_text()
    assert "mlflow==" in requirements and "numpy==" in requirements
    assert "cloudpickle" not in requirements
    assert (local / "input_example.json").exists()
    # A logged model linked to the run, ready.
    logged = client.get_logged_model(result.model_id)
    assert logged.source_run_id == result.run_id and logged.status.name == "READY"


def test_missing_raw_column_is_a_clear_error(experiment_name) -> None:
    spec = load_spec(CONFIGS / "admissions_logistic.toml").with_overrides({"training.epochs": 5})
    result = train(spec, experiment=experiment_name)
    model = mlflow.pyfunc.load_model(result.model_uri)
    with pytest.raises(Exception, match="rank"):
        model.predict(pd.DataFrame({"gre": [700], "gpa": [3.0]}))


def test_long_runs_keep_curves_light_and_the_full_history(make_spec, experiment_name, client,
                                                           tmp_path) -> None:
    spec = make_spec("xor", epochs=650, batch_size=None)
    result = train(spec, experiment=experiment_name, max_points=50, log_model=False)
    history = client.get_metric_history(result.run_id, "train_loss")
    steps = [m.step for m in history]
    assert steps[0] == 1 and steps[-1] == 650
    assert len(steps) <= 52
    table = pd.read_csv(io.StringIO(_text(client, result.run_id, "history.csv", tmp_path)))
    assert len(table) == 650


# --------------------------------------------------------------------------- endings


def test_a_diverging_run_is_failed_with_the_reason(regression_csv, experiment_name, client
                                                   ) -> None:
    spec = RunSpec.from_dict({
        "dataset": {"name": "csv", "path": str(regression_csv), "target": "y"},
        "training": {"learning_rate": 10.0, "epochs": 300},
    })
    with pytest.raises(RunFailed) as err:
        train(spec, experiment=experiment_name)
    assert "diverged at epoch" in str(err.value) and "smaller learning rate" in str(err.value)
    run = client.get_run(err.value.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == str(err.value)
    assert err.value.epoch is not None and err.value.epoch > 1
    # The epochs before the divergence were recorded.
    assert len(client.get_metric_history(run.info.run_id, "train_loss")) >= 1
    assert all(r.info.status != "RUNNING" for r in _runs(client, experiment_name))


def test_a_stop_event_ends_the_run_killed(make_spec, experiment_name, client) -> None:
    stop = threading.Event()

    def on_epoch(epoch: int, logs: dict) -> None:
        if epoch == 5:
            stop.set()

    result = train(make_spec("xor", epochs=200), experiment=experiment_name, stop_event=stop,
                   callbacks=[on_epoch])
    assert result.status == "KILLED"
    assert result.metrics["epochs"] == 5
    run = client.get_run(result.run_id)
    assert run.info.status == "KILLED"
    assert "stopped by the user after epoch 5" in run.data.tags["stop_reason"]
    # What was trained so far is kept.
    assert "weights/model.npz" in _artifacts(client, result.run_id)


def test_a_callback_that_stops_training_ends_the_run_killed(make_spec, experiment_name, client
                                                            ) -> None:
    def stop_at_3(model, epoch, logs) -> None:
        if epoch == 3:
            model.stop_training = True

    result = train(make_spec("xor", epochs=50), experiment=experiment_name,
                   callbacks=[nncore.LambdaCallback(on_epoch_end=stop_at_3)], log_model=False)
    assert result.status == "KILLED"
    assert client.get_run(result.run_id).info.status == "KILLED"


def test_early_stopping_finishes_normally(make_spec, experiment_name, client) -> None:
    spec = make_spec("xor", epochs=100, patience=1, min_delta=10.0)
    result = train(spec, experiment=experiment_name, log_model=False)
    assert result.status == "FINISHED"
    assert result.metrics["epochs"] == 2 and result.metrics["best_epoch"] == 1
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["stop_reason"].startswith("early stopping")


def test_an_error_in_a_callback_fails_the_run(make_spec, experiment_name, client) -> None:
    def broken(epoch: int, logs: dict) -> None:
        raise ZeroDivisionError("bad chart")

    with pytest.raises(RunFailed, match="bad chart") as err:
        train(make_spec("xor"), experiment=experiment_name, callbacks=[broken])
    run = client.get_run(err.value.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == "ZeroDivisionError: bad chart"


def test_problems_found_before_training_create_no_run(make_spec, experiment_name, client
                                                      ) -> None:
    perceptron_on_blobs = RunSpec.from_dict({"dataset": {"name": "blobs"},
                                             "model": {"type": "perceptron"}})
    with pytest.raises(SpecError, match="perceptron' needs a binary task"):
        train(perceptron_on_blobs, experiment=experiment_name)
    softmax_loss = make_spec("xor", loss="cross_entropy")
    with pytest.raises(SpecError, match="needs a softmax output layer"):
        train(softmax_loss, experiment=experiment_name)
    assert _runs(client, experiment_name) == []


def test_an_unreachable_server_is_reported_before_training(make_spec) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    epochs: list[int] = []
    started = time.monotonic()
    with pytest.raises(TrackingError, match="cannot be reached"):
        train(make_spec("xor"), tracking_uri=f"http://127.0.0.1:{port}",
              callbacks=[lambda e, logs: epochs.append(e)])
    assert epochs == []
    assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- concurrency


def test_two_runs_in_threads_land_in_their_own_runs(make_spec, experiment_name, client) -> None:
    specs = [make_spec("xor", epochs=40, seed=1), make_spec("circles", epochs=40, seed=2,
                                                             learning_rate=0.02)]
    barrier = threading.Barrier(2, timeout=30)
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        def sync(epoch: int, logs: dict) -> None:
            if epoch in (1, 20):
                barrier.wait()  # both runs are mid-training at the same time

        try:
            results[i] = train(specs[i], experiment=experiment_name, callbacks=[sync],
                               source="dashboard")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert results[0].run_id != results[1].run_id
    for i, spec in enumerate(specs):
        result = results[i]
        run = client.get_run(result.run_id)
        assert run.info.status == "FINISHED"
        assert run.data.params == spec.to_params()
        assert run.data.tags["dataset"] == spec.dataset.name
        history = client.get_metric_history(result.run_id, "train_loss")
        assert [m.step for m in history] == list(range(1, 41))
        np.testing.assert_allclose([m.value for m in history],
                                   result.history.history["train_loss"])
    assert len(_runs(client, experiment_name)) == 2


# --------------------------------------------------------------------------- variations


def test_untracked_runs_log_nothing(make_spec, tmp_path) -> None:
    result = train(make_spec("xor"), track=False)
    assert result.run_id is None and result.status == "UNTRACKED"
    assert result.model_uri is None and result.ui_command() is None
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()
    assert result.metrics["epochs"] == 20 and len(result.history) == 20
    assert set(result.metrics) == {"train_loss", "val_loss", "train_accuracy", "val_accuracy",
                                   "epochs", "duration_s"}


def test_a_perceptron_run(experiment_name, client) -> None:
    spec = RunSpec.from_dict({"dataset": {"name": "xor", "n_samples": 60},
                              "model": {"type": "perceptron"},
                              "training": {"epochs": 10, "learning_rate": 0.1}})
    result = train(spec, experiment=experiment_name)
    run = client.get_run(result.run_id)
    assert run.data.tags["architecture"] == "2-1 perceptron"
    assert "train_misclassified" in run.data.metrics
    out = mlflow.pyfunc.load_model(result.model_uri).predict(pd.DataFrame({"x1": [0.5],
                                                                          "x2": [0.5]}))
    assert list(out.columns) == ["prediction"]


def test_a_regression_run_reports_rmse_in_target_units(regression_csv, experiment_name,
                                                       client) -> None:
    spec = RunSpec.from_dict({
        "dataset": {"name": "csv", "path": str(regression_csv), "target": "y"},
        "model": {"hidden": [8], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.02, "epochs": 150},
    })
    result = train(spec, experiment=experiment_name)
    assert result.dataset.task == "regression"
    assert 0.5 < result.metrics["val_rmse"] < 3.0  # the noise has standard deviation 1
    run = client.get_run(result.run_id)
    assert run.data.metrics["val_rmse"] == pytest.approx(result.history.history["val_rmse"][-1])
    model = mlflow.pyfunc.load_model(result.model_uri)
    out = model.predict(pd.DataFrame({"x": [2.0, 8.0], "colour": ["red", "blue"]}))
    np.testing.assert_allclose(out["prediction"], [6.0, 24.0], atol=2.0)


@pytest.mark.slow
def test_the_default_store_in_the_working_folder(make_spec, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    result = train(make_spec("xor", epochs=3))
    assert (tmp_path / "mlflow.db").exists()
    assert (tmp_path / "mlruns").is_dir()
    assert result.ui_command() == f"mlflow ui --backend-store-uri sqlite:///{tmp_path.resolve()}/mlflow.db"
    from mlflow import MlflowClient

    run = MlflowClient("sqlite:///mlflow.db").get_run(result.run_id)
    assert run.info.status == "FINISHED"


def test_a_failure_while_saving_the_run_fails_it(make_spec, experiment_name, client,
                                                 monkeypatch) -> None:
    from experiments.tracking import RunTracker

    def broken(self, *args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(RunTracker, "log_model", broken)
    with pytest.raises(OSError, match="no space left"):
        train(make_spec("xor", epochs=3), experiment=experiment_name)
    (run,) = _runs(client, experiment_name)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == (
        "recording the run failed: OSError: no space left on device"
    )


def test_a_preloaded_dataset_must_match_the_spec(make_spec) -> None:
    spec = make_spec("xor")
    other = make_spec("xor", dataset_params={"noise": 0.3}).dataset.load()
    with pytest.raises(SpecError, match="dataset= was built as 'xor'"):
        train(spec, track=False, dataset=other)
    result = train(spec, track=False, dataset=spec.dataset.load())
    assert result.dataset.params["noise"] == spec.dataset.params["noise"]


class HostStopsTheScript(BaseException):
    """Like Streamlit's StopException: raised into a script its host wants to end."""


@pytest.mark.parametrize(
    ("interruption", "reason"),
    [(KeyboardInterrupt, "interrupted (Ctrl+C)"),
     (HostStopsTheScript, "interrupted (HostStopsTheScript)")],
)
def test_an_interruption_during_training_ends_the_run_killed(
    interruption, reason, make_spec, experiment_name, client
) -> None:
    def interrupt(epoch: int, logs: dict) -> None:
        if epoch == 4:
            raise interruption

    with pytest.raises(interruption):
        train(make_spec("xor", epochs=50), experiment=experiment_name, callbacks=[interrupt])
    (run,) = _runs(client, experiment_name)
    assert run.info.status == "KILLED"
    assert run.data.tags["stop_reason"] == reason
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")]
    assert steps == [1, 2, 3, 4]


def test_an_interruption_while_recording_ends_the_run_killed(
    make_spec, experiment_name, client, monkeypatch
) -> None:
    """Ctrl+C or SIGTERM while the artifacts upload is an interruption, not a failure."""
    import experiments.runner as runner

    def interrupted_upload(self) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.RunTracker, "upload_artifacts", interrupted_upload)
    with pytest.raises(KeyboardInterrupt):
        train(make_spec("xor", epochs=5), experiment=experiment_name)
    (run,) = _runs(client, experiment_name)
    assert run.info.status == "KILLED"
    assert run.data.tags["stop_reason"] == "interrupted (Ctrl+C)"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [
        1, 2, 3, 4, 5]
