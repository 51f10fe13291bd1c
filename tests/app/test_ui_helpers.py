"""The dashboard's helpers without a page: form <-> spec <-> URL, the redraw throttle,
the live callback and the MLflow UI command."""

from __future__ import annotations

import pytest

from experiments import RunSpec, load_dataset
from ui import keys, state
from ui.live import LiveCallback, Progress, Throttle, TrainingJob
from ui.sidebar import mlflow_ui_command

SPECS = [
    state.DEFAULT_SPEC,
    state.DEFAULT_SPEC.with_overrides({"dataset.name": "moons", "dataset.noise": "0.3",
                                       "model.hidden": "16,8", "model.activation": "relu,tanh",
                                       "training.optimizer": "adam", "training.batch_size": "full",
                                       "training.patience": "10", "model.init": "he_normal"}),
    state.DEFAULT_SPEC.with_overrides({"model.type": "perceptron", "model.hidden": "[]",
                                       "training.learning_rate": "0.5"}),
    state.DEFAULT_SPEC.with_overrides({"model.hidden": "[]", "training.momentum": "0.9",
                                       "model.output_activation": "sigmoid",
                                       "training.loss": "mse", "name": "course"}),
]


@pytest.mark.parametrize("spec", SPECS, ids=["default", "moons", "perceptron", "course"])
def test_form_and_url_round_trip(spec):
    assert state.spec_from_form(state.form_values(spec)) == spec
    query = state.query_from_spec(spec)
    assert all(isinstance(v, str) for v in query.values())
    assert state.spec_from_query(query) == (spec, [])


def test_default_url_is_short():
    assert state.query_from_spec(state.DEFAULT_SPEC) == {"dataset.name": "student_admissions"}


def test_url_with_dependent_settings_applies_in_any_order():
    query = {"dataset.name": "student_admissions", "model.type": "perceptron",
             "model.hidden": "[]"}
    spec, errors = state.spec_from_query(query)
    assert errors == [] and spec.model.type == "perceptron"


def test_csv_link_keeps_its_choices_but_needs_the_file_again():
    values, errors = state.form_from_query({"dataset.name": "csv", "dataset.target": "price",
                                            "dataset.path": "/etc/passwd",
                                            "training.epochs": "12"})
    assert errors == []
    assert values[keys.DATASET] == "csv"
    assert values[keys.dataset_param("csv", "target")] == "price"
    assert keys.dataset_param("csv", "path") not in values
    assert values[keys.EPOCHS] == 12


def test_throttle_keeps_work_within_its_budget():
    now = [0.0]
    throttle = Throttle(budget=0.05, min_interval=0.1, clock=lambda: now[0])

    def work():
        now[0] += 0.02  # costs 20 ms

    runs = 0
    while now[0] < 100:
        if throttle.ready():
            throttle.run(work)
            runs += 1
        now[0] += 0.001  # an epoch
    assert throttle.spent / now[0] <= 0.05 + 1e-9
    assert runs >= 100 * 0.05 / 0.02 * 0.9  # and it does run as often as allowed


def test_progress_text():
    assert Progress(120, 1000, 1.2, 9.0).text() == (
        "Epoch 120 / 1,000 · 1.2 s elapsed · about 9.0 s left")
    assert Progress(0, 10, 3.0, None).text().startswith("Starting")
    assert Progress(5, 10, 100.0, 100.0).text().endswith("about 1 min 40 s left")


def test_live_callback_collects_epochs_grids_and_stops_on_request():
    ds = load_dataset("moons", n_samples=40)
    spec = RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 40},
                              "model": {"hidden": [3]}, "training": {"epochs": 50}})
    job = TrainingJob(spec, ds, "sqlite:///unused.db")
    callback = LiveCallback(job)
    from experiments import build_model

    model = build_model(spec, ds)
    callback.on_train_begin(model, {})
    callback.on_epoch_end(model, 1, {"train_loss": 0.7})
    assert job.records == [{"epoch": 1, "train_loss": 0.7}]
    assert job.grid is not None and job.grid_epoch == 1
    job.request_stop("stopped because you left the Train page")
    callback.on_epoch_end(model, 2, {"train_loss": 0.6})
    assert model.stop_training
    assert model.stop_reason == "stopped because you left the Train page after epoch 2"
    assert not job.stop_event.is_set()
    job.request_stop("the browser tab was closed")  # a later reason does not replace it
    assert job.stop_reason == "stopped because you left the Train page"
    job.request_stop()  # the Stop button: experiments.train's own stop_event
    assert job.stop_event.is_set() and job.stopping
    # Asking to stop does not end the job: only its worker does, once training returned.
    assert job.running and not job.wait(0) and job.status == "RUNNING"


def test_the_live_view_sees_regression_rmse_as_recorded(store, tmp_path):
    """The live chart's records are the run's history: RMSE in the target's units."""
    import numpy as np
    import pandas as pd
    from mlflow import MlflowClient

    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 100)
    csv = tmp_path / "prices.csv"
    pd.DataFrame({"x": x, "price": 200 + 10 * x + rng.normal(size=100)}).to_csv(csv,
                                                                               index=False)
    spec = RunSpec.from_dict({"dataset": {"name": "csv", "path": str(csv), "target": "price"},
                              "model": {"hidden": [4]},
                              "training": {"optimizer": "adam", "epochs": 12}})
    job = TrainingJob(spec, spec.dataset.load(), store).start()
    assert job.wait(120) and job.result is not None, job.error or job.failure
    history = job.result.history
    assert [r["epoch"] for r in job.records] == history.epochs
    assert job.result.dataset.preprocessor.target.scale > 20
    logged = MlflowClient(store).get_metric_history(job.result.run_id, "val_rmse")
    for key in ("train_rmse", "val_rmse", "val_loss"):
        np.testing.assert_allclose([r[key] for r in job.records], history.history[key],
                                   rtol=0, atol=1e-9)
    np.testing.assert_allclose([r["val_rmse"] for r in job.records],
                               [m.value for m in logged], rtol=0, atol=1e-9)


def test_recent_records_are_thinned_keeping_the_last():
    ds = load_dataset("moons", n_samples=40)
    job = TrainingJob(RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 40}}), ds,
                      "sqlite:///unused.db")
    job.records = [{"epoch": e} for e in range(1, 1001)]
    picked = job.recent_records(max_points=100)
    assert len(picked) == 100 and picked[0]["epoch"] == 1 and picked[-1]["epoch"] == 1000


def test_mlflow_ui_command_names_the_store_absolutely(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert mlflow_ui_command("sqlite:///mlflow.db") == (
        f"mlflow ui --backend-store-uri sqlite:///{tmp_path / 'mlflow.db'} --port 5000")
    assert mlflow_ui_command("http://127.0.0.1:5005", "1", "abc") == (
        "open http://127.0.0.1:5005/#/experiments/1/runs/abc")


def test_watchdog_stops_a_run_whose_browser_tab_is_gone(monkeypatch):
    import ui.live

    ds = load_dataset("moons", n_samples=40)
    job = TrainingJob(RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 40}}), ds,
                      "sqlite:///unused.db", session_id="s1")
    now = [0.0]
    callback = LiveCallback(job, clock=lambda: now[0])
    alive = [True]
    monkeypatch.setattr(ui.live, "_session_alive", lambda session_id: alive[0])
    callback._watch(now[0])
    assert not job.stopping
    alive[0] = False  # tab closed
    for t in range(0, int(ui.live.SESSION_GRACE_S) + 3):
        now[0] = float(t)
        callback._watch(now[0])
    assert job.halt.is_set()
    assert job.stop_reason == "the browser tab was closed"


def test_a_short_disconnect_does_not_stop_the_run(monkeypatch):
    import ui.live

    ds = load_dataset("moons", n_samples=40)
    job = TrainingJob(RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 40}}), ds,
                      "sqlite:///unused.db", session_id="s1")
    callback = LiveCallback(job, clock=lambda: 0.0)
    states = iter([False, False, True, False])
    monkeypatch.setattr(ui.live, "_session_alive", lambda session_id: next(states))
    for t in (0.0, 5.0, 10.0, 20.0):
        callback._watch(t)
    assert not job.stopping
