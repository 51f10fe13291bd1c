"""Run page flows (Streamlit AppTest, in process): no runs yet, one admissions run's
header and metrics, a prediction from its model, the export script."""

from __future__ import annotations

import pytest

from experiments import RunSpec, train
from ui import compare_state as cs

RUN = "pages/3_Run.py"


def _open(at, run_id=None):
    if run_id:
        at.query_params["run"] = run_id
    at.switch_page(RUN).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def admissions(store):
    spec = RunSpec.from_dict({"dataset": {"name": "student_admissions", "scaling": "course"},
                              "model": {"hidden": [4], "activation": "sigmoid"},
                              "training": {"learning_rate": 0.1, "epochs": 5,
                                           "batch_size": 32}})
    return train(spec, tracking_uri=store, experiment="run-page", log_model=True).run_id


def _download(at, key):
    for el in at.get("download_button"):
        if key in el.proto.id:
            return el
    raise AssertionError(f"no download button {key}")


def test_no_runs_yet(app):
    at = _open(app)
    assert any("No runs yet" in m.value for m in at.markdown)


def test_admissions_run_header_predict_and_export(app, admissions):
    at = _open(app, admissions)
    assert at.title[0].value == "Run"
    assert at.selectbox(key=cs.RUN).value == admissions
    header = next(m.value for m in at.markdown if m.value.startswith("### "))
    assert "FINISHED" in header and "student_admissions" in header
    labels = [m.label for m in at.metric]
    assert "epochs" in labels and any("accuracy" in lab for lab in labels)
    assert next(m.value for m in at.metric if m.label == "epochs") == "5"
    assert at.get("vega_lite_chart")  # its curves

    # Predict: the form starts from the training data's medians.
    names = {n.label for n in at.number_input}
    assert {"gre", "gpa"} <= names
    at.number_input(key=cs.feature_key("gre")).set_value(700)
    at.button(key="FormSubmitter:run_predict-Predict").click().run()
    assert not at.exception, at.exception
    prob = next(m for m in at.metric if m.label == "probability of admission")
    value = float(prob.value.rstrip("%")) / 100
    assert 0.0 <= value <= 1.0

    # Export as script: a runnable file for this spec.
    button = _download(at, "run_export_script")
    assert button.proto.label == "Export as script"
    from experiments import queries
    from experiments.export import training_script

    script = training_script(queries.run_spec(admissions), run_id=admissions)
    assert "def main()" in script and "student_admissions" in script and admissions in script
    compile(script, "train.py", "exec")
