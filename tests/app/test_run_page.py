"""Run page flows (Streamlit AppTest, in process): no runs yet, one admissions run's
header and metrics, a prediction from its model, the export script."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from experiments import RunSpec, queries, train
from ui import compare_state as cs
from ui import sidebar

RUN = sidebar.RUN


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


def _frames(chart) -> dict[str, pd.DataFrame]:
    """A drawn chart's datasets (Streamlit sends them apart from the spec, as Arrow)."""
    return {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets}


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
    links = {p.proto.label: (p.proto.page, p.proto.query_string) for p in at.get("page_link")}
    page, query = links["Step through its backpropagation on Learn"]     # issue 11
    assert page == "Learn" and query == f"source=run&run={admissions}"
    # Its charts: loss and accuracy curves (5 epochs, both splits), the validation
    # confusion matrix (admissions is not 2-D: no boundary), one weight heatmap per
    # layer, the class balance of the data.
    charts = [(json.loads(c.proto.spec), _frames(c)) for c in at.get("vega_lite_chart")]
    curves = [(s, f) for s, f in charts if s.get("mark", {}).get("type") == "line"]
    assert [s["encoding"]["y"]["title"] for s, _ in curves] == ["loss", "accuracy"]
    for _, frames in curves:
        [frame] = frames.values()
        assert frame.groupby("split")["epoch"].agg(sorted).tolist() == [[1, 2, 3, 4, 5]] * 2
    confusion = [f for s, f in charts if [ly["mark"]["type"] for ly in s.get("layer", [])]
                 == ["rect", "text"]]
    assert len(confusion) == 1
    spec = queries.run_spec(admissions)
    [cells] = confusion[0].values()
    assert cells["count"].sum() == len(spec.dataset.load().y_val)
    heatmaps = [s for s, _ in charts if "hconcat" in s]
    assert len(heatmaps) == 1 and len(heatmaps[0]["hconcat"]) == 2  # [4] hidden -> 2 layers
    assert any(s.get("mark", {}).get("type") == "bar" for s, _ in charts)  # class balance

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
    from experiments.export import training_script

    script = training_script(queries.run_spec(admissions), run_id=admissions)
    assert "def main()" in script and "student_admissions" in script and admissions in script
    compile(script, "train.py", "exec")


def test_two_d_runs_draw_their_decision_boundary(app, store, tmp_path):
    """Moons: classes over the plane, and the confusion matrix beside it. A regression
    on a 2-D CSV: the predicted value over the plane (one scale with the targets)."""
    import numpy as np

    moons = train(RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 60},
                                     "model": {"hidden": [4], "activation": "tanh"},
                                     "training": {"epochs": 3}}),
                  tracking_uri=store, experiment="run-page", log_model=True).run_id
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    path = tmp_path / "plane.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "t": 2 * X[:, 0] - X[:, 1]}).to_csv(path,
                                                                                index=False)
    plane = train(RunSpec.from_dict({"dataset": {"name": "csv", "path": str(path),
                                                 "target": "t"},
                                     "model": {"hidden": [4]}, "training": {"epochs": 3}}),
                  tracking_uri=store, experiment="run-page", log_model=True).run_id
    at = _open(app, moons)
    charts = [(json.loads(c.proto.spec), _frames(c)) for c in at.get("vega_lite_chart")]
    layered = [(s, f) for s, f in charts if [ly["mark"]["type"] for ly in s.get("layer", [])]
               == ["rect", "point"]]
    assert len(layered) == 1
    spec, frames = layered[0]
    assert spec["layer"][0]["encoding"]["color"]["field"] == "p"  # two classes: the ramp
    cells = frames[spec["layer"][0]["data"]["name"]]
    assert len(cells) == 50 * 50 and set(cells["label"]) <= {"upper moon", "lower moon"}
    assert any([ly["mark"]["type"] for ly in s.get("layer", [])] == ["rect", "text"]
               for s, _ in charts)  # the confusion matrix

    at.selectbox(key=cs.RUN).set_value(plane).run()
    assert not at.exception, at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    [boundary] = [s for s in specs if [ly["mark"]["type"] for ly in s.get("layer", [])]
                  == ["rect", "point"]]
    assert boundary["layer"][0]["encoding"]["color"]["field"] == "value"
    assert boundary["layer"][1]["encoding"]["fill"]["field"] == "t"


def test_a_wide_input_shows_the_strongest_weights_and_says_so(app, store, tmp_path):
    """2,000 inputs made a heatmap of unreadable sub-pixel rows (issue 14)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2000))
    path = tmp_path / "wide.csv"
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(2000)])
    frame["y"] = (X[:, 0] > 0).astype(int)
    frame.to_csv(path, index=False)
    wide = train(RunSpec.from_dict({"dataset": {"name": "csv", "path": str(path),
                                                "target": "y"},
                                    "model": {"hidden": [4]}, "training": {"epochs": 2}}),
                 tracking_uri=store, experiment="run-page", log_model=True).run_id
    at = _open(app, wide)
    heatmaps = [c for c in at.get("vega_lite_chart")
                if "hconcat" in json.loads(c.proto.spec)]
    assert len(heatmaps) == 1
    first = next(iter(_frames(heatmaps[0]).values()))
    layer1 = first[first["layer_index"] == 0]
    assert 0 < layer1["input"].nunique() <= 30
    assert any("30 of its 2,000 inputs" in c.value for c in at.caption)
