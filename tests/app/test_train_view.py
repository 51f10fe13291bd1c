"""The Train page's view (issue 14): a perceptron's result, the admissions preview."""

from __future__ import annotations

import json

from tests.app.conftest import open_train
from ui import keys


def _columns_holding(at, predicate):
    """The columns (AppTest blocks) that hold a chart whose spec satisfies ``predicate``."""
    found = []
    for column in at.columns:
        charts = [c for c in column.children.values()
                  if getattr(c, "type", None) == "vega_lite_chart"]  # its own, not nested
        if any(predicate(json.loads(c.proto.spec)) for c in charts):
            found.append(column)
    return found


def test_a_perceptron_result_gives_its_accuracy_the_whole_row(app):
    """A perceptron logs no loss: its accuracy chart once sat beside an empty half."""
    at = open_train(app, {"dataset.name": "moons", "dataset.n_samples": "40",
                          "model.type": "perceptron", "model.hidden": "[]",
                          "training.epochs": "5", "training.batch_size": "full"})
    at.button(key=keys.TRAIN).click().run()
    job = at.session_state[keys.JOB]
    assert job.wait(60), "training did not end"
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[keys.OUTCOME].result is not None

    def curve(spec):
        layers = [spec, *spec.get("layer", [])]
        return any(ly.get("encoding", {}).get("x", {}).get("field") == "epoch" for ly in layers)

    columns = _columns_holding(at, curve)
    assert len(columns) == 1
    assert columns[0].proto.weight == 1.0  # one column: the whole row, no empty half


def test_the_admissions_preview_draws_each_histogram_as_wide_as_its_column(app):
    """Three fixed 125 px histograms were wider than the view and cut off (issue 14)."""
    at = open_train(app, {"dataset.name": "student_admissions"})
    histograms = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")
                  if json.loads(c.proto.spec).get("mark", {}).get("type") == "bar"
                  and "bin" in json.loads(c.proto.spec)["encoding"]["x"]]
    assert [h["encoding"]["x"]["field"] for h in histograms] == ["gre", "gpa", "rank"]
    assert all(h["autosize"]["type"] == "fit-x" and "width" not in h for h in histograms)
