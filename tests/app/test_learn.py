"""Learn page flows (Streamlit AppTest, in process), one per part of issue 11: the network
and the sample, the forward and backward pass with the gradient check, steps, the
picture and the neurons, the course's mistakes, the perceptron trick, the exports, and
every bad input as a message instead of a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import nncore
from experiments import RunSpec, load_dataset, train
from experiments.settings import SETTINGS
from ui import keys, sidebar
from ui import learn_keys as lk
from ui import learn_session as ls
from ui.learn_export import handout, numpy_script

LEARN = sidebar.LEARN


def _open(at, **query):
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(LEARN).run()
    assert not at.exception, at.exception
    return at


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def _lesson(at) -> ls.Lesson:
    return at.session_state[lk.LESSON]


def _view(at, name: str):
    """Open one of the page's tabs (only the open tab's view is built)."""
    at.session_state[lk.VIEW] = name
    return _run(at)


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _fresh(at, dataset="moons", hidden="4", kind="network"):
    at.selectbox(key=lk.DATASET).set_value(dataset)
    if kind == "perceptron":
        at.radio(key=lk.KIND).set_value("perceptron")
        return _run(at)
    _run(at)
    at.text_input(key=lk.HIDDEN).set_value(hidden)
    return _run(at)


@pytest.fixture
def admissions_run(store):
    spec = RunSpec.from_dict({"dataset": {"name": "student_admissions", "scaling": "course"},
                              "model": {"hidden": [3], "activation": "tanh"},
                              "training": {"learning_rate": 0.1, "epochs": 3}})
    return train(spec, tracking_uri=store, experiment="learn", log_model=True)


# --------------------------------------------------------------------------- 1. pick


def test_opens_on_a_fresh_network_with_settings_from_the_table(app):
    at = _open(app)
    assert at.title[0].value.startswith("Learn")
    lesson = _lesson(at)
    assert lesson.dataset.name == SETTINGS["dataset.name"].default
    assert at.selectbox(key=lk.OPTIMIZER).options == list(SETTINGS["training.optimizer"].allowed)
    assert at.number_input(key=lk.LR).value == SETTINGS["training.learning_rate"].default
    assert "csv" not in at.selectbox(key=lk.DATASET).options
    assert set(at.selectbox(key=lk.DATASET).options) == set(
        SETTINGS["dataset.name"].allowed) - {"csv"}
    assert any(lesson.source in m.value for m in at.markdown)


def test_a_hidden_layer_size_out_of_the_tables_bounds_is_a_message(app):
    at = _fresh(_open(app), "moons", "0")
    assert any("model.hidden" in e.value for e in at.error)


def test_a_finished_run_preselected_from_the_url(app, admissions_run):
    at = _open(app, run=admissions_run.run_id)
    assert at.radio(key=lk.SOURCE).value == "run"
    lesson = _lesson(at)
    assert admissions_run.run_id[:8] in lesson.source
    np.testing.assert_array_equal(lesson.model.parameters, admissions_run.model.parameters)
    assert at.query_params["run"] == admissions_run.run_id


def test_a_link_from_the_run_page_is_followed_in_a_session_that_visited_learn(
        app, admissions_run, store):
    """Learn read its URL only on a first visit: the Run page's link then showed the
    network picked before instead of the linked run."""
    other = train(RunSpec.from_dict({"dataset": {"name": "moons"}, "model": {"hidden": [2]},
                                     "training": {"epochs": 2}}),
                  tracking_uri=store, experiment="learn", log_model=True)
    at = _open(app)                                       # a fresh network first
    assert at.radio(key=lk.SOURCE).value == "fresh"
    at.query_params.clear()
    at.query_params.update({"source": "run", "run": admissions_run.run_id})
    _run(at)
    assert at.radio(key=lk.SOURCE).value == "run"
    assert admissions_run.run_id[:8] in _lesson(at).source
    at.query_params.clear()                               # then another run's link
    at.query_params.update({"source": "run", "run": other.run_id})
    _run(at)
    assert other.run_id[:8] in _lesson(at).source
    at.radio(key=lk.SOURCE).set_value("fresh")            # the page's own changes stand
    _run(at)
    assert at.radio(key=lk.SOURCE).value == "fresh"
    assert at.query_params["source"] == "fresh"


def test_a_run_whose_model_cannot_be_loaded_is_a_message(app, store):
    from mlflow import MlflowClient

    spec = RunSpec.from_dict({"dataset": {"name": "moons"}, "model": {"hidden": [2]}})
    client = MlflowClient(store)
    experiment = client.create_experiment("broken")
    run = client.create_run(experiment)
    for key, value in spec.to_params().items():
        client.log_param(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id, "FINISHED")
    at = _open(app, run=run.info.run_id)
    assert not at.exception
    assert any("cannot be loaded" in e.value for e in at.error)


def test_the_model_trained_on_the_train_page(app, store):
    from ui.live import TrainingJob

    spec = RunSpec.from_dict({"dataset": {"name": "xor"}, "model": {"hidden": [3]},
                              "training": {"epochs": 2}})
    ds = load_dataset("xor")
    job = TrainingJob(spec, ds, store).start()
    assert job.wait(120) and job.result is not None
    app.session_state[keys.OUTCOME] = job
    at = _open(app, source="train")
    assert at.radio(key=lk.SOURCE).value == "train"
    lesson = _lesson(at)
    assert lesson.source == "the model trained on the Train page"
    np.testing.assert_array_equal(lesson.model.parameters, job.result.model.parameters)
    assert lesson.model is not job.result.model  # stepping never changes the run's model


# --------------------------------------------------------------------------- samples


def test_index_out_of_range_is_a_message(app):
    at = _open(app)
    n = _lesson(at).n_train
    at.number_input(key=lk.INDEX).set_value(n)
    _run(at)
    assert any("out of range" in e.value and f"{n - 1:,}" in e.value for e in at.error)


def test_worst_predicted_sample(app):
    at = _open(app)
    at.radio(key=lk.MODE).set_value("worst")
    _run(at)
    lesson = _lesson(at)
    worst = int(np.argmax(ls.per_sample_losses(lesson)))
    assert any(f"Row(s) {worst} " in c.value for c in at.caption)


def test_a_typed_applicant(app):
    at = _open(app)
    at.radio(key=lk.MODE).set_value("typed")
    _run(at)
    at.number_input(key=lk.GRE).set_value(700)
    at.number_input(key=lk.GPA).set_value(3.5)
    at.selectbox(key=lk.RANK).set_value(2)
    at.selectbox(key=lk.ADMIT).set_value(1)
    _run(at)
    at.button(key=lk.STEP).click()
    _run(at)
    lesson = _lesson(at)
    assert lesson.last.rows == ()
    expected = lesson.dataset.preprocessor.transform({"gre": [700], "gpa": [3.5], "rank": [2]})
    assert expected[0, 0] == pytest.approx(700 / 800)  # the course's scaling
    assert any("typed in" in c.value for c in at.caption)


def test_a_mini_batch_and_its_limit(app):
    at = _open(app)
    at.radio(key=lk.MODE).set_value("batch")
    _run(at)
    at.number_input(key=lk.BATCH).set_value(3)
    _run(at)
    assert any("Row(s) 0, 1, 2 " in c.value for c in at.caption)
    at.number_input(key=lk.BATCH).set_value(ls.MAX_BATCH + 1)
    _run(at)
    assert any(f"1 to {ls.MAX_BATCH} rows" in e.value for e in at.error)


# --------------------------------------------------------------------------- 2-3. passes


def test_forward_and_backward_pass_with_the_gradient_check(app):
    at = _open(app)
    lesson = _lesson(at)
    tr = nncore.backprop_trace(lesson.model, lesson.dataset.X_train[:1],
                               lesson.dataset.y_train[:1])
    latex = _texts(at.latex)
    assert any(r"Z^{[1]} = X\,W^{[1]} + b^{[1]}" in t for t in latex)
    assert any(r"E = -\frac{1}{mK}" in t and f"{tr.loss:.6g}" in t for t in latex)
    _view(at, "Backward pass")
    latex = _texts(at.latex)
    assert any("fused" in t for t in latex)                      # sigmoid + log-loss
    assert any(r"\big(\delta^{[2]}\, W^{[2]\top}\big)" in t for t in latex)
    summary = next(s.value for s in at.success if s.value.startswith("Gradient check"))
    assert f"all {lesson.model.n_params} parameters" in summary
    worst = float(summary.split("is ")[1].split(" ")[0])
    assert worst < 1e-6
    checks = [df for df in at.dataframe if "relative error" in df.value.columns]
    assert len(checks) == len(lesson.model.layers)
    output_check = checks[0].value
    np.testing.assert_allclose(output_check["backprop"].to_numpy()[:tr.layers[-1].dW.size],
                               tr.layers[-1].dW.ravel())
    assert {band[0] for band in output_check["check"]} <= {"ok: < 1e-6",
                                                            "ok: below rounding floor"}


def test_only_the_open_tabs_view_is_built(app):
    at = _fresh(_open(app), "moons", "3")
    assert at.session_state[lk.VIEW] == "Forward pass"
    assert any(s.value.startswith("Gradient check") for s in at.success)  # above the tabs
    assert not at.get("vega_lite_chart")
    assert not [df for df in at.dataframe if "relative error" in df.value.columns]
    assert not at.get("download_button")
    _view(at, "Network")
    assert len(at.get("vega_lite_chart")) == 2
    assert not any(r"Z^{[1]}" in t for t in _texts(at.latex))
    assert any(s.value.startswith("Gradient check") for s in at.success)


def test_a_layers_weights_are_built_when_their_expander_opens(app):
    at = _fresh(_open(app), "moons", "3")
    weights = [e for e in at.expander if e.label.startswith("W1 and b1")]
    assert weights and weights[0].label == "W1 and b1 (2×3 and 3)"
    assert not [df for df in at.dataframe if "input" in df.value.columns]
    at.session_state[f"{lk.WEIGHTS_OPEN}1"] = True
    _run(at)
    lesson = _lesson(at)
    W = next(df.value for df in at.dataframe if "input" in df.value.columns)
    assert W["input"].tolist() == ["input 1", "input 2"]
    np.testing.assert_array_equal(W[["unit 1", "unit 2", "unit 3"]].to_numpy(),
                                  lesson.model.layers[0].W)


def test_chained_output_delta_for_sigmoid_with_mse(app, store):
    spec = RunSpec.from_dict({"dataset": {"name": "moons"}, "model": {"hidden": [3]},
                              "training": {"loss": "mse", "epochs": 1}})
    result = train(spec, tracking_uri=store, experiment="learn", log_model=True)
    at = _view(_open(app, run=result.run_id), "Backward pass")
    assert any("(chained)" in t for t in _texts(at.latex))


def test_a_big_network_checks_gradients_on_request(app):
    at = _fresh(_open(app), "moons", "64,64,64")
    assert any("not run for these" in i.value for i in at.info)
    at.toggle(key=lk.CHECK).set_value(True)
    _run(at)
    # on another tab the check waits for the Backward pass tab, which shows it
    assert not any(s.value.startswith("Gradient check") for s in at.success)
    assert any("runs when the **Backward pass** tab is open" in i.value for i in at.info)
    _view(at, "Backward pass")
    assert any(s.value.startswith("Gradient check") for s in at.success)
    checks = [df.value for df in at.dataframe if "relative error" in df.value.columns]
    assert [len(df) for df in checks] == [65, 200, 200, 192]   # output layer first
    hidden = checks[1]["relative error"].to_numpy()            # the worst 200 of 4,160
    assert (np.diff(hidden) <= 0).all()
    assert any("largest relative errors of 4,160 entries" in c.value for c in at.caption)
    _view(at, "Forward pass")                      # computed for these weights: kept
    assert any(s.value.startswith("Gradient check") for s in at.success)
    at.button(key=lk.STEP).click()                 # new weights: waits for the tab again
    _run(at)
    assert any("runs when the **Backward pass** tab is open" in i.value for i in at.info)


# --------------------------------------------------------------------------- 4. steps


def test_ten_steps_lower_the_samples_loss_and_reset_restores(app):
    at = _open(app)
    lesson = _lesson(at)
    start = lesson.model.parameters.copy()
    first = nncore.backprop_trace(lesson.model, lesson.dataset.X_train[:1],
                                  lesson.dataset.y_train[:1]).loss
    _view(at, "Step")
    at.button(key=lk.NEXT_10).click()
    _run(at)
    assert len(lesson.steps) == 10
    assert lesson.steps[-1].sample_loss_after < first
    metric = next(m for m in at.metric if m.label == "loss on the sample")
    assert float(metric.value) == pytest.approx(lesson.steps[-1].sample_loss_after, rel=1e-4)
    assert any("moved toward its label" in s.value for s in at.success)
    assert not np.array_equal(lesson.model.parameters, start)
    at.button(key=lk.RESET).click()
    _run(at)
    np.testing.assert_array_equal(lesson.model.parameters, start)
    assert lesson.steps == [] and lesson.optimizer is None


def test_a_step_is_fit_on_one_sample(app):
    at = _open(app)
    lesson = _lesson(at)
    twin = type(lesson.model).from_config(lesson.model.get_config())
    twin.load_state_dict(lesson.model.state_dict())
    X, y = lesson.dataset.X_train[:1], lesson.dataset.y_train[:1]
    twin.fit(X, y, optimizer=nncore.SGD(lr=SETTINGS["training.learning_rate"].default),
             epochs=1, batch_size=1, shuffle=False)
    at.button(key=lk.STEP).click()
    _run(at)
    np.testing.assert_allclose(lesson.model.parameters, twin.parameters, rtol=1e-12)


def test_next_sample_moves_on_and_momentum_keeps_its_state(app):
    at = _open(app)
    at.number_input(key=lk.MOMENTUM).set_value(0.9)
    _run(at)
    at.button(key=lk.NEXT_SAMPLE).click()
    _run(at)
    lesson = _lesson(at)
    assert at.number_input(key=lk.INDEX).value == 1
    assert lesson.steps[-1].rows == (1,)
    velocity = lesson.optimizer._velocity.copy()
    assert np.abs(velocity).sum() > 0
    at.button(key=lk.STEP).click()
    _run(at)
    assert at.query_params["sample"] == "1"
    assert not np.array_equal(lesson.optimizer._velocity, velocity)


def test_adam_steps(app):
    at = _open(app)
    at.selectbox(key=lk.OPTIMIZER).set_value("adam")
    _view(at, "Step")
    at.button(key=lk.NEXT_10).click()
    _run(at)
    lesson = _lesson(at)
    assert isinstance(lesson.optimizer, nncore.Adam) and lesson.optimizer._t == 10
    assert any(r"\beta_1" in t for t in _texts(at.latex))


def test_a_diverging_step_is_a_message_and_changes_nothing(app):
    at = _fresh(_open(app), "moons", "8")
    lesson = _lesson(at)
    at.selectbox(key=lk.OPTIMIZER).set_value("sgd")
    at.number_input(key=lk.LR).set_value(1e300)
    _run(at)
    before = lesson.model.parameters.copy()
    at.button(key=lk.STEP).click()
    _run(at)
    assert any("diverged" in e.value and "smaller learning rate" in e.value for e in at.error)
    np.testing.assert_array_equal(lesson.model.parameters, before)
    assert lesson.steps == []


def test_a_learning_rate_outside_the_tables_bounds_is_a_message(app):
    at = _open(app)
    at.number_input(key=lk.LR).set_value(-1.0)
    _run(at)
    assert any("training.learning_rate" in e.value for e in at.error)


# --------------------------------------------------------------------------- 5. pictures


def _chart_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_network_diagram_and_neuron_heatmaps_on_2d_data(app):
    at = _view(_fresh(_open(app), "moons", "3"), "Network")
    specs = _chart_specs(at)
    titles = [json.dumps(s.get("title", "")) for s in specs]
    assert any("forward: weights" in t for t in titles)
    assert any("backward" in t for t in titles)
    specs = _chart_specs(_view(at, "Neurons"))
    facets = [s for s in specs if "facet" in s]
    assert facets, "the hidden units' heatmaps are drawn as small multiples"
    assert not any("heatmaps need" in i.value for i in at.info)


def test_heatmaps_on_data_that_is_not_2d_are_a_message(app):
    at = _view(_open(app), "Neurons")  # admissions: 6 features
    assert any("neuron heatmaps need a two-dimensional dataset" in i.value for i in at.info)
    assert not [s for s in _chart_specs(at) if "facet" in s]


# --------------------------------------------------------------------------- 6. perceptron


def test_perceptron_trick_mode(app):
    at = _fresh(_open(app), "moons", kind="perceptron")
    lesson = _lesson(at)
    assert lesson.is_perceptron
    w = lesson.model.w.copy()
    at.button(key=lk.TRICK).click()
    _run(at)
    trick = lesson.last_trick
    assert trick is not None and trick.rule in ("add", "subtract")
    sign = 1 if trick.rule == "add" else -1
    np.testing.assert_allclose(lesson.model.w, w + sign * trick.lr * trick.x)
    assert any(("labelled 1" in m.value or "labelled 0" in m.value) for m in at.markdown)
    lines = [s for s in _chart_specs(at)
             if "before and after" in json.dumps(s.get("title", ""))]
    assert lines


# --------------------------------------------------------------------------- 7. mistakes


def test_the_courses_mistakes_on_the_current_numbers(app):
    at = _open(app)
    at.radio(key=lk.MODE).set_value("batch")
    _view(at, "The course's mistakes")
    titles = [e.label for e in at.expander]
    assert "The output delta with W1ᵀ (one course's code)" in titles
    assert "The missing item index (h_j for h_ij)" in titles
    assert "Sums versus means (the 1/m folded into α)" in titles
    assert any("With 4 samples the wrong line uses sample 1's" in c.value for c in at.caption)
    assert any("the summed gradient is 4×" in c.value for c in at.caption)


# --------------------------------------------------------------------------- exports


def test_export_buttons_are_there(app):
    at = _view(_open(app), "Export")
    ids = [b.proto.id for b in at.get("download_button")]
    assert any("learn_handout" in i for i in ids) and any("learn_script" in i for i in ids)


@pytest.mark.parametrize(("hidden", "output", "loss", "k"), [
    (["tanh", "relu"], "sigmoid", "binary_cross_entropy", 1),
    (["sigmoid"], "softmax", "mse", 3),
    ([], "sigmoid", "mse", 1),
    (["leaky_relu"], "softmax", "cross_entropy", 3),
    (["identity"], "identity", "mse", 2),
])
def test_the_numpy_script_recomputes_the_step(hidden, output, loss, k):
    sizes = [3, *[4] * len(hidden), k]
    layers = [nncore.Dense(a, b, h) for a, b, h in zip(sizes[:-2], sizes[1:-1], hidden,
                                                       strict=True)]
    layers.append(nncore.Dense(sizes[-2], k, output))
    model = nncore.Sequential(layers, seed=1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 3))
    y = rng.normal(size=(2, k)) if output == "identity" else ([0, 1] if k == 1 else [0, 2])
    tr = nncore.backprop_trace(model, X, y, loss=loss)
    script = numpy_script(tr, lr=0.5, title="test")
    assert "import nncore" not in script
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert float(out[0].split()[1]) == pytest.approx(tr.loss, rel=1e-12)
    nncore.train_step(model, X, y, nncore.SGD(lr=0.5), loss=loss)
    after = nncore.backprop_trace(model, X, y, loss=loss).loss
    assert float(out[-1].split()[-1]) == pytest.approx(after, rel=1e-10)

    text = handout(tr, title="test", lr=0.5)
    assert f"$$E = {tr.loss:.6g}$$" in text
    assert text.count("### ") == 2 * len(tr.layers)
