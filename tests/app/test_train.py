"""Train page flows: defaults, a small run, a 2-D run, Stop, leaving the page, bad input,
a diverged run and the URL round trip (Streamlit AppTest, in process)."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

from experiments import RunFailed
from tests.app.conftest import open_train
from ui import keys

SMALL_MOONS = {"dataset.name": "moons", "dataset.n_samples": "40", "model.hidden": "[4]",
               "model.activation": "tanh", "training.optimizer": "adam",
               "training.learning_rate": "0.05"}


def _finish(at, timeout: float = 60):
    """Wait for the page's training job, then rerun the page to show the outcome."""
    if keys.JOB not in at.session_state:  # already done and shown
        return at.session_state[keys.OUTCOME]
    job = at.session_state[keys.JOB]
    assert job.wait(timeout), "training did not end"
    at.run()
    assert not at.exception, at.exception
    return job


def _runs(store):
    client = MlflowClient(tracking_uri=store)
    exps = client.search_experiments()
    return client.search_runs([e.experiment_id for e in exps])


def _specs(at):
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _marks(spec) -> set[str]:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            mark = node.get("mark")
            if mark is not None:
                found.add(mark if isinstance(mark, str) else mark.get("type"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def test_defaults_are_the_admissions_network(app):
    at = open_train(app)
    assert at.selectbox(key=keys.DATASET).value == "student_admissions"
    assert at.radio(key=keys.MODEL_KIND).value == "network"
    assert at.number_input(key=keys.units(0)).value == 8
    assert at.selectbox(key=keys.activation(0)).value == "sigmoid"
    assert at.number_input(key=keys.EPOCHS).value == 1000
    assert not at.button(key=keys.TRAIN).disabled
    assert any("65 parameters" in m.value for m in at.markdown)
    assert not at.error
    # Preview: histograms and class balance of the tabular data.
    marks = set().union(*(_marks(s) for s in _specs(at)))
    assert "bar" in marks
    assert at.query_params["dataset.name"] == "student_admissions"


def test_small_training_run_is_recorded_and_explained(app, store):
    at = open_train(app)
    at.number_input(key=keys.EPOCHS).set_value(15).run()
    at.button(key=keys.TRAIN).click().run()
    assert not at.exception
    job = _finish(at)
    assert job.status == "FINISHED"
    assert any("Finished" in s.value for s in at.success)
    outcome = at.session_state[keys.OUTCOME]
    assert outcome.result.model is not None
    [run] = _runs(store)
    assert run.info.status == "FINISHED"
    assert run.data.tags["source"] == "dashboard"
    assert run.data.params["training.epochs"] == "15"
    assert any(run.info.run_id in m.value for m in at.markdown)
    marks = set().union(*(_marks(s) for s in _specs(at)))
    assert {"line", "rect", "text"} <= marks  # curves, confusion matrix and weights
    assert any(f"mlflow ui --backend-store-uri {store}" in c.value for c in at.code)
    # the trained model opens on the Learn page (issue 11)
    links = {p.proto.label: (p.proto.page, p.proto.query_string) for p in at.get("page_link")}
    page, query = links["Step through this model's backpropagation on Learn"]
    assert page == "Learn" and query == "source=train"


def test_two_dimensional_run_shows_the_decision_boundary(app, store):
    at = open_train(app, SMALL_MOONS)
    at.number_input(key=keys.EPOCHS).set_value(20).run()
    at.button(key=keys.TRAIN).click().run()
    _finish(at)
    boundary = [s for s in _specs(at) if "layer" in s and "decision boundary" in json.dumps(s)]
    assert boundary, "no decision boundary chart"
    layer_marks = [_marks(layer) for layer in boundary[0]["layer"]]
    assert {"rect"} in layer_marks and {"point"} in layer_marks


def test_stop_ends_the_run_killed_and_keeps_the_model(app, store):
    at = open_train(app, {**SMALL_MOONS, "training.epochs": "1000000"})
    at.button(key=keys.TRAIN).click().run()
    assert at.button(key=keys.STOP)  # the live view is up
    assert at.button(key=keys.TRAIN).disabled
    job = at.session_state[keys.JOB]
    while not job.records:
        assert job.running, job.error
        job.wait(0.05)
    at.button(key=keys.STOP).click().run()
    job = _finish(at)
    assert job.status == "KILLED"
    assert 0 < len(job.result.history) < 1_000_000
    assert any("Stopped" in w.value for w in at.warning)
    assert at.session_state[keys.OUTCOME].result.model is not None
    [run] = _runs(store)
    assert run.info.status == "KILLED"
    assert "stopped by the user" in run.data.tags["stop_reason"]


def test_leaving_the_page_never_leaves_a_run_running(app, store):
    at = open_train(app, {**SMALL_MOONS, "training.epochs": "1000000"})
    at.button(key=keys.TRAIN).click().run()
    job = at.session_state[keys.JOB]
    at.switch_page("dashboard.py").run()
    assert not at.exception
    assert job.wait(60)
    assert job.status == "KILLED"
    [run] = _runs(store)
    assert run.info.status == "KILLED"
    assert "left the Train page" in run.data.tags["stop_reason"]


def test_invalid_choices_get_inline_messages(app):
    at = open_train(app, {"dataset.name": "blobs", "dataset.centers": "3"})
    at.radio(key=keys.MODEL_KIND).set_value("perceptron").run()
    assert not at.exception
    assert any("perceptron" in e.value and "binary" in e.value for e in at.error)
    assert at.button(key=keys.TRAIN).disabled
    # A loss that does not fit the output layer.
    at.radio(key=keys.MODEL_KIND).set_value("network").run()
    at.selectbox(key=keys.LOSS).set_value("binary_cross_entropy").run()
    assert any("binary_cross_entropy" in e.value for e in at.error)
    assert at.button(key=keys.TRAIN).disabled
    at.selectbox(key=keys.LOSS).set_value("auto").run()
    assert not at.error
    # Early stopping that cannot trigger is pointed out.
    at.number_input(key=keys.EPOCHS).set_value(10).run()
    at.toggle(key=keys.EARLY_STOPPING).set_value(True).run()
    at.number_input(key=keys.PATIENCE).set_value(50).run()
    assert any("cannot trigger" in i.value for i in at.info)
    # A CSV dataset without a file says what to do.
    at.selectbox(key=keys.DATASET).set_value("csv").run()
    assert not at.exception
    assert any("Upload a CSV file" in e.value for e in at.error)
    assert at.button(key=keys.TRAIN).disabled


def test_diverged_run_is_explained_not_a_traceback(app, monkeypatch):
    import nncore
    import ui.live

    def diverge(spec, **kwargs):
        raise RunFailed("Training diverged at epoch 3: the training loss is inf. Try a "
                        "smaller learning rate.", None, nncore.History(), 3)

    monkeypatch.setattr(ui.live, "train", diverge)
    at = open_train(app)
    at.number_input(key=keys.LEARNING_RATE).set_value(5.0).run()
    at.button(key=keys.TRAIN).click().run()
    _finish(at)
    [error] = at.error
    assert "diverged at epoch 3" in error.value
    assert "Lower the learning rate" in error.value
    at.button(key=keys.LOWER_LR).click().run()
    assert at.number_input(key=keys.LEARNING_RATE).value == pytest.approx(0.5)


def test_url_reopens_the_same_configuration(app):
    at = open_train(app, {"dataset.name": "spiral", "dataset.classes": "3",
                          "model.hidden": "[16, 8]", "model.activation": "[\"relu\", \"tanh\"]",
                          "training.optimizer": "adam", "training.learning_rate": "0.01",
                          "training.epochs": "321", "training.batch_size": "16"})
    assert not at.warning
    assert at.selectbox(key=keys.DATASET).value == "spiral"
    assert at.number_input(key=keys.dataset_param("spiral", "classes")).value == 3
    assert at.number_input(key=keys.N_LAYERS).value == 2
    assert at.number_input(key=keys.units(1)).value == 8
    assert at.selectbox(key=keys.activation(1)).value == "tanh"
    assert at.selectbox(key=keys.OPTIMIZER).value == "adam"
    assert at.number_input(key=keys.EPOCHS).value == 321
    # Changing a widget writes the URL back.
    at.number_input(key=keys.EPOCHS).set_value(123).run()
    assert at.query_params["training.epochs"] == "123"
    assert at.query_params["model.hidden"] == "[16, 8]"


def test_bad_url_setting_is_skipped_with_a_message(app):
    at = open_train(app, {"dataset.name": "moons", "training.learning_rate": "fast",
                          "training.epochs": "77"})
    assert any("training.learning_rate" in w.value for w in at.warning)
    assert at.selectbox(key=keys.DATASET).value == "moons"
    assert at.number_input(key=keys.EPOCHS).value == 77


def _houses_csv() -> bytes:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({"sqft": rng.uniform(500, 3000, n).round(),
                          "city": rng.choice(["north", "south"], n)})
    frame["price"] = (frame["sqft"] * 120 + rng.normal(0, 20000, n)).round()
    return frame.to_csv(index=False).encode()


def test_uploaded_csv_with_a_target_picker_trains_a_regression(app, store):
    at = open_train(app, {"dataset.name": "csv", "model.hidden": "[4]",
                          "training.optimizer": "adam", "training.learning_rate": "0.01",
                          "training.epochs": "5"})
    at.file_uploader(key=keys.CSV_FILE).set_value(("houses.csv", _houses_csv(), "text/csv")).run()
    assert not at.exception, at.exception
    target = at.selectbox(key=keys.dataset_param("csv", "target"))
    assert target.options == ["sqft", "city", "price"] and target.value == "price"
    # Whole-number prices look like classes: the message says what to do.
    assert any("houses.csv" in e.value and "regression" in e.value for e in at.error)
    assert at.button(key=keys.TRAIN).disabled
    at.selectbox(key=keys.dataset_param("csv", "task")).set_value("regression").run()
    assert not at.error
    # "auto" keeps its label (and value) when the task changes; a caption resolves it.
    assert at.selectbox(key=keys.OUTPUT).value == "auto"
    assert at.selectbox(key=keys.OUTPUT).options[0] == "auto"
    captions = [c.value for c in at.caption]
    assert "auto: identity for this regression task" in captions and "auto: mse" in captions
    assert "dataset.path" not in at.query_params  # a server path never goes in a link
    assert at.query_params["dataset.task"] == "regression"
    at.button(key=keys.TRAIN).click().run()
    _finish(at)
    assert any("Finished" in s.value for s in at.success)
    assert any(m.label == "RMSE (val.)" for m in at.metric)
    [run] = _runs(store)
    assert run.info.status == "FINISHED" and run.data.tags["task"] == "regression"


def test_switching_datasets_keeps_auto_choices_valid(app):
    """Issue 14, 1: blobs -> moons (or -> admissions) left "auto (softmax)" as a value."""
    at = open_train(app)
    for name in ("blobs", "moons", "blobs", "student_admissions"):
        at.selectbox(key=keys.DATASET).set_value(name).run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        assert at.selectbox(key=keys.OUTPUT).value == "auto"
        assert at.selectbox(key=keys.LOSS).value == "auto"
        assert not at.button(key=keys.TRAIN).disabled


@pytest.mark.parametrize(("key", "typed", "message"), [
    (keys.LEARNING_RATE, 0.0, "training.learning_rate = 0.0: must be a finite number in (0, inf)"),
    (keys.EPOCHS, 0, "training.epochs = 0: must be a whole number >= 1"),
    (keys.units(0), 0, "model.hidden[0] = 0: must be a whole number >= 1"),
])
def test_a_typed_value_out_of_range_is_refused_in_words(app, key, typed, message):
    """Issue 14, 7: the widget takes what is typed, the spec says why it cannot train."""
    at = open_train(app)
    at.number_input(key=key).set_value(typed).run()
    assert not at.exception, at.exception
    assert at.number_input(key=key).value == typed           # shown as typed, not reverted
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key=keys.TRAIN).disabled


def test_a_large_typed_value_is_the_one_trained(app):
    at = open_train(app)
    at.number_input(key=keys.LEARNING_RATE).set_value(1e6).run()
    at.number_input(key=keys.units(0)).set_value(1000).run()
    assert not at.error and not at.button(key=keys.TRAIN).disabled
    assert at.query_params["training.learning_rate"] == "1000000.0"
    assert at.query_params["model.hidden"] == "[1000]"


def test_a_reload_reattaches_to_the_running_job(app, store):
    """Issue 14, 8: a reload is a new session; the URL names the job, the new session
    watches it (the run is not lost, not KILLED as "tab closed")."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import DASHBOARD

    at = open_train(app, {**SMALL_MOONS, "training.epochs": "1000000"})
    at.button(key=keys.TRAIN).click().run()
    job = at.session_state[keys.JOB]
    token = at.query_params[keys.JOB_PARAM]
    assert token == job.token
    query = {k: at.query_params[k] for k in at.query_params}
    reloaded = open_train(AppTest.from_file(DASHBOARD, default_timeout=60).run(), query)
    try:
        assert reloaded.session_state[keys.JOB] is job and job.running
        assert reloaded.button(key=keys.STOP)          # the live view is back
        assert reloaded.button(key=keys.TRAIN).disabled
        assert reloaded.query_params[keys.JOB_PARAM] == token
        reloaded.button(key=keys.STOP).click().run()
        job = _finish(reloaded)
    finally:
        job.request_stop("test teardown")
        job.wait(60)
    assert job.status == "KILLED"
    assert "stopped by the user" in _runs(store)[0].data.tags["stop_reason"]


def test_a_link_to_a_job_the_server_no_longer_has_says_so(app):
    at = open_train(app, {"dataset.name": "moons", keys.JOB_PARAM: "0123456789ab"})
    assert not at.exception and not at.warning
    assert any("no longer held by the server" in i.value for i in at.info)
    assert not at.button(key=keys.TRAIN).disabled
