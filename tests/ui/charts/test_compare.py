"""Charts that compare runs (ui.charts.compare, .settings, .export): the specs (marks,
encodings, data, params), not only "a chart"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import compare
from experiments.frames import confusion_frame, parallel_frame
from ui.charts.compare import (
    at_epoch_chart,
    bands_chart,
    curves_chart,
    replicate_chart,
    side_by_side,
)
from ui.charts.export import chart_image
from ui.charts.model import confusion_matrix
from ui.charts.settings import parallel_coordinates, param_scatter


def _data(spec: dict) -> list[dict]:
    """The rows of the chart's largest dataset (the curves, not a legend's helper)."""
    return max(spec["datasets"].values(), key=len)


def _history(runs: int = 3, steps: int = 50) -> pd.DataFrame:
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    rows = []
    for r in range(runs):
        for s in range(1, steps + 1):
            ts = t0 + pd.Timedelta(seconds=s * (r + 1) / 10)
            rows.append((f"r{r}", "val_loss", s, 1.0 / s + r / 10, ts))
            rows.append((f"r{r}", "train_loss", s, 0.9 / s + r / 10, ts))
            rows.append((f"r{r}", "val_accuracy", s, 0.5 + s / 200, ts))
    return pd.DataFrame(rows, columns=["run_id", "metric", "step", "value", "timestamp"])


def _params(chart_dict: dict) -> dict[str, dict]:
    out = {}
    for layer in chart_dict.get("layer", [chart_dict]):
        for p in layer.get("params", []):
            out[p["name"]] = p
    for p in chart_dict.get("params", []):
        out[p["name"]] = p
    return out


def test_curves_chart_overlays_runs_with_legend_highlight_zoom_and_hover():
    labels = {"r0": "first", "r1": "second", "r2": "third"}
    chart = curves_chart(_history(), "val_loss", labels=labels)
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks == ["line", "point", "rule", "text"]
    line = spec["layer"][0]
    assert line["encoding"]["color"]["field"] == "run"
    assert line["encoding"]["x"]["field"] == "step"
    assert line["encoding"]["x"]["title"] == "epoch"
    # The metric's name is the title layer's data, not the axis title (issue 13).
    assert line["encoding"]["y"]["title"] is None
    title = spec["layer"][3]
    assert spec["datasets"][title["data"]["name"]] == [{"title": "validation loss"}]
    assert line["encoding"]["opacity"]["condition"]["param"] == "pick"
    params = _params(spec)
    assert params["pick"]["bind"] == "legend"
    assert params["pick"]["select"]["fields"] == ["run"]
    assert params["zoom"]["bind"] == "scales"
    assert params["zoom"]["select"]["encodings"] == ["x"]
    assert params["hover"]["select"]["nearest"] is True
    rows = _data(spec)
    assert {r["run"] for r in rows} == {"first", "second", "third"}
    assert {r["metric"] for r in rows} == {"val_loss"}
    assert len(rows) == 3 * 50
    tooltips = [t["field"] for t in spec["layer"][1]["encoding"]["tooltip"]]
    assert tooltips == ["run", "metric", "step", "value"]


def test_curves_chart_log_scale_time_axis_several_metrics_smoothing_and_thinning():
    history = compare.add_elapsed(compare.smooth(_history(steps=400), 0.5))
    spec = curves_chart(history, ["val_loss", "train_loss"], x="elapsed_s", log_scale=True,
                        max_points=100).to_dict()
    line = spec["layer"][0]
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    assert line["encoding"]["x"]["field"] == "elapsed_s"
    assert line["encoding"]["strokeDash"]["field"] == "metric"
    assert line["encoding"]["strokeDash"]["scale"]["domain"] == ["val_loss", "train_loss"]
    rows = pd.DataFrame(_data(spec))
    assert len(rows.groupby(["run", "metric"])) == 3 * 2
    for (run, metric), curve in rows.groupby(["run", "metric"]):  # each curve on its own
        source = history[(history["run_id"] == run) & (history["metric"] == metric)]
        assert len(source) == 400 and len(curve) == 100
        assert curve["elapsed_s"].min() == source["elapsed_s"].min()  # the first point
        assert curve["elapsed_s"].max() == source["elapsed_s"].max()  # and the last
    tooltips = [t["field"] for t in spec["layer"][1]["encoding"]["tooltip"]]
    assert "raw" in tooltips  # the unsmoothed value is in the tooltip


def test_curves_chart_log_scale_drops_non_positive_values():
    history = _history(runs=1, steps=3)
    history.loc[0, "value"] = 0.0
    rows = _data(curves_chart(history, "val_loss", log_scale=True).to_dict())
    assert all(r["value"] > 0 for r in rows) and len(rows) == 2


def test_bands_chart_mean_and_std_area():
    history = _history()
    groups = pd.DataFrame({"run_id": ["r0", "r1", "r2"], "group": ["a", "a", "b"],
                           "replicates": [2, 2, 1]})
    bands = compare.replicate_bands(history, groups)
    spec = bands_chart(bands, "val_loss").to_dict()
    area, line = spec["layer"]
    assert area["mark"]["type"] == "area"
    assert area["encoding"]["y"]["field"] == "lower" and area["encoding"]["y2"]["field"] == "upper"
    assert line["mark"]["type"] == "line" and line["encoding"]["y"]["field"] == "mean"
    assert line["encoding"]["color"]["field"] == "group"
    assert _params(spec)["group_pick"]["bind"] == "legend"
    rows = pd.DataFrame(_data(spec))
    first = rows[(rows["group"] == "a") & (rows["step"] == 1)].iloc[0]
    assert first["mean"] == pytest.approx(1.05)
    assert first["upper"] - first["lower"] == pytest.approx(2 * np.std([1.0, 1.1], ddof=1))


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "run": ["a", "b", "c", "d"],
        "training.learning_rate": [0.001, 0.01, 0.1, 1.0],
        "training.optimizer": ["sgd", "adam", "sgd", "adam"],
        "model.hidden": ["8", "8x8", "8", "16"],
        "training.seed": pd.array([0, 1, 0, 1], dtype="Int64"),
        "val_accuracy": [0.6, 0.8, 0.9, 0.5],
    })


def test_param_scatter_types_axes_and_colours():
    spec = param_scatter(_table(), "training.learning_rate", "val_accuracy",
                         color="training.optimizer", log_x=True).to_dict()
    assert spec["mark"]["type"] == "point"
    enc = spec["encoding"]
    # dotted names are nested fields in Vega-Lite: plain field names, real titles
    assert enc["x"]["title"] == "training.learning_rate" and enc["x"]["type"] == "quantitative"
    assert "." not in enc["x"]["field"]
    assert _data(spec)[0][enc["x"]["field"]] == 0.001
    assert enc["x"]["scale"]["type"] == "log"
    assert enc["y"]["type"] == "quantitative" and enc["y"]["title"] == "validation accuracy"
    assert enc["color"]["title"] == "training.optimizer" and enc["color"]["type"] == "nominal"
    assert any(p.get("bind") == "scales" for p in spec["params"])  # zoom and pan
    assert len(_data(spec)) == 4
    spec = param_scatter(_table(), "model.hidden", "val_accuracy",
                         color="training.seed").to_dict()
    assert spec["encoding"]["x"]["type"] == "nominal"
    assert spec["encoding"]["color"]["type"] == "quantitative"
    assert spec["encoding"]["color"]["scale"]["scheme"] == "viridis"
    assert spec["encoding"]["xOffset"]["field"] == "jitter"


def test_parallel_coordinates_spec():
    frame = parallel_frame(_table(), ["training.learning_rate", "val_accuracy"])
    colors = dict(zip(_table()["run"], _table()["val_accuracy"], strict=True))
    spec = parallel_coordinates(frame, color_by="validation accuracy",
                                color_values=colors).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rule", "line", "text", "text"]
    lines = spec["layer"][1]
    assert lines["encoding"]["x"]["sort"] == ["training.learning_rate", "val_accuracy"]
    assert lines["encoding"]["detail"]["field"] == "run"
    assert lines["encoding"]["color"]["field"] == "color"
    assert lines["encoding"]["color"]["scale"]["scheme"] == "viridis"
    assert lines["encoding"]["opacity"]["condition"]["param"] == "line_hover"


def test_at_epoch_chart_sorts_best_first():
    values = pd.DataFrame({"run": ["a", "b", "c"], "epoch": [10, 12, 9],
                           "val_loss": [0.3, 0.1, 0.2], "val_accuracy": [0.7, 0.9, 0.8]})
    spec = at_epoch_chart(values, "val_loss").to_dict()
    bars, text, anchor, title = spec["layer"]
    assert bars["mark"]["type"] == "bar" and text["mark"]["type"] == "text"
    assert bars["encoding"]["y"]["sort"] == {"field": "rank", "op": "min", "order": "ascending"}
    rows = _data(spec)
    assert [r["run"] for r in sorted(rows, key=lambda r: r["rank"])] == ["b", "c", "a"]
    assert spec["datasets"][title["data"]["name"]] == [{"title": "validation loss"}]
    assert {r["anchor"] for r in rows} == {0.1}  # the x axis starts near the best loss
    spec = at_epoch_chart(values, "val_accuracy").to_dict()
    rows = _data(spec)  # highest accuracy first, and the axis starts at zero
    assert [r["run"] for r in sorted(rows, key=lambda r: r["rank"])] == ["b", "c", "a"]
    assert {r["anchor"] for r in rows} == {0.0}
    assert anchor["encoding"]["x"]["field"] == "anchor" and anchor["mark"]["opacity"] == 0


def _drawn_key(chart) -> str:
    """What Streamlit's frontend compares to decide between swapping a drawn chart's
    data in place and embedding a new view: the stabilized spec with its datasets
    named by position."""
    import json

    from streamlit.elements.vega_charts import (
        _convert_altair_to_vega_lite_spec,
        _stabilize_vega_json_spec,
    )

    spec = _convert_altair_to_vega_lite_spec(chart)
    names = list(spec.pop("datasets", {}))
    key = _stabilize_vega_json_spec(json.dumps(spec))
    for i, name in enumerate(names):
        key = key.replace(json.dumps(name), f'"__st_dataset_{i}"')
    return key


def test_a_metric_switch_changes_only_the_data_of_the_curves_and_the_ranking():
    """Streamlit redraws a chart in place (no new Vega view, ~0.5 s less in Chromium)
    only when its spec is unchanged: the metric must be in the data (issue 13)."""
    history = _history()
    assert _drawn_key(curves_chart(history, "val_loss")) == _drawn_key(
        curves_chart(history, "val_accuracy"))
    values = pd.DataFrame({"run": ["a", "b", "c"], "epoch": [10, 12, 9],
                           "val_loss": [0.3, 0.1, 0.2], "val_accuracy": [0.7, 0.9, 0.8]})
    assert _drawn_key(at_epoch_chart(values, "val_loss")) == _drawn_key(
        at_epoch_chart(values, "val_accuracy"))


def test_replicate_chart_whiskers_are_mean_plus_minus_std():
    summary = pd.DataFrame({"group": ["lr=0.1", "lr=0.01"], "n": [3, 3],
                            "val_loss_mean": [0.2, 0.4], "val_loss_std": [0.05, 0.1]})
    spec = replicate_chart(summary, "val_loss").to_dict()
    rule, point, _text = spec["layer"]
    assert rule["mark"]["type"] == "rule" and point["mark"]["type"] == "point"
    assert rule["encoding"]["x"]["field"] == "lower" and rule["encoding"]["x2"]["field"] == "upper"
    assert rule["encoding"]["y"]["sort"] == ["lr=0.1", "lr=0.01"]
    rows = {r["group"]: r for r in _data(spec)}
    assert rows["lr=0.01"]["lower"] == pytest.approx(0.3)
    assert rows["lr=0.01"]["upper"] == pytest.approx(0.5)


def test_side_by_side_grid_drops_inner_autosize():
    frame = confusion_frame([0, 1, 1], [0, 1, 0], ["no", "yes"])
    panels = [(f"run {i}", confusion_matrix(frame)) for i in range(4)]
    assert all("autosize" in p.to_dict() for _, p in panels)  # each panel alone has one
    spec = side_by_side(panels, columns=3, width=200, height=200).to_dict()
    assert spec["columns"] == 3 and len(spec["concat"]) == 4
    assert all("autosize" not in p for p in spec["concat"])
    assert [p["title"]["text"] for p in spec["concat"]] == ["run 0", "run 1", "run 2", "run 3"]
    assert spec["concat"][0]["width"] == 200
    # Streamlit switches charts with > 2,000 rows per dataset to canvas unless told:
    # a 50 x 50 boundary grid must stay SVG (exportable, and what the browser test reads).
    assert spec["usermeta"] == {"embedOptions": {"renderer": "svg"}}


def test_side_by_side_boundaries_keep_top_level_settings_at_the_top():
    from experiments import RunSpec, build_model, decision_grid, load_dataset
    from ui.charts.boundary import boundary_chart

    dataset = load_dataset("moons", n_samples=40, seed=0)
    model = build_model(RunSpec.from_dict({"dataset": {"name": "moons"}}), dataset)
    grid = decision_grid(model, dataset, resolution=5)
    panels = [(f"run {i}", boundary_chart(grid, dataset, title=f"run {i}")) for i in range(2)]
    spec = side_by_side(panels, columns=2, width=220, height=220).to_dict()  # validates
    assert all("usermeta" not in p and "autosize" not in p for p in spec["concat"])
    assert [p["layer"][0]["mark"]["type"] for p in spec["concat"]] == ["rect", "rect"]
    assert spec["usermeta"] == {"embedOptions": {"renderer": "svg"}}


def test_chart_image_png_and_svg_offline():
    chart = at_epoch_chart(pd.DataFrame({"run": ["a"], "epoch": [1], "val_loss": [0.5]}),
                           "val_loss")
    png = chart_image(chart, "png", scale=1, width=400)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")  # the IHDR chunk: a container-width chart
    assert 400 <= width < 500                    # gets the width asked for (plus padding)
    svg = chart_image(chart, "svg")
    assert b"<svg" in svg[:200]
    with pytest.raises(ValueError, match="fmt"):
        chart_image(chart, "gif")  # type: ignore[arg-type]



def test_replicate_chart_writes_long_group_labels_above_the_whiskers():
    """Long labels as y-axis labels squeezed the plot and cut its title (issue 14)."""
    long = "dataset=blobs, centers=3, cluster_std=1.5, n_features=2, activation=relu"
    summary = pd.DataFrame({"group": [long, "dataset=moons, noise=0.2"], "n": [3, 2],
                            "val_loss_mean": [0.2, 0.4], "val_loss_std": [0.05, 0.1]})
    spec = replicate_chart(summary, "val_loss").to_dict()
    rule, _point, text = spec["layer"]
    assert rule["encoding"]["y"]["axis"] is None
    assert rule["encoding"]["x"]["title"] == ["validation loss", "mean ± std across seeds"]
    assert text["mark"]["type"] == "text" and text["encoding"]["x"] == {"value": 0}
    assert {r["caption"] for r in _data(spec)} == {f"{long} · 3 runs",
                                                  "dataset=moons, noise=0.2 · 2 runs"}


def test_a_selection_change_changes_only_the_data_of_the_curves():
    """Removing a run from the selection redraws the curves in place: the legend's order
    is data, not a list of runs in the spec (issue 13)."""
    history = _history(runs=4)
    fewer = history[history["run_id"] != "r1"]
    assert _drawn_key(curves_chart(history, "val_loss")) == _drawn_key(
        curves_chart(fewer, "val_loss"))
    spec = curves_chart(fewer, "val_loss").to_dict()
    color = spec["layer"][0]["encoding"]["color"]
    assert color["sort"] == {"field": "order", "op": "min"}
    rows = [r for r in _data(spec) if r["metric"] == "val_loss"]
    assert {r["run"]: r["order"] for r in rows} == {"r0": 0, "r2": 1, "r3": 2}


def test_the_curves_and_ranking_specs_hold_no_data_and_read_it_by_name():
    """The page keeps one spec per shape and sends only new data on a selection change
    or a metric switch (issue 13): the layers read named datasets, and the whole chart
    (for export) is those layers with that data."""
    from ui.charts.compare import (
        CURVES,
        RANKING,
        TITLE,
        at_epoch_data,
        at_epoch_layers,
        curves_data,
        curves_layers,
        with_data,
    )

    layers = curves_layers(x="step", log_scale=False).to_dict()
    assert "datasets" not in layers
    assert [layer["data"] for layer in layers["layer"]] == [{"name": CURVES}] * 3 + [
        {"name": TITLE}]
    history = _history()
    frames = curves_data(history, "val_loss", labels={"r0": "first"})
    assert frames[TITLE]["title"].tolist() == ["validation loss"]
    assert list(frames[CURVES]["run"].unique()) == ["first", "r1", "r2"]
    assert list(frames[CURVES]["order"].unique()) == [0, 1, 2]
    whole = curves_chart(history, "val_loss", labels={"r0": "first"}).to_dict()
    assert {k: v for k, v in whole.items() if k != "datasets"} == layers
    assert len(whole["datasets"][CURVES]) == len(frames[CURVES])

    three = pd.DataFrame({"run": ["a", "b", "c"], "epoch": [10, 12, 9],
                          "val_loss": [0.3, 0.1, 0.2]})
    ranking = at_epoch_data(three, "val_loss")[RANKING]
    assert ranking["run"].tolist() == ["b", "c", "a"] and ranking["rank"].tolist() == [0, 1, 2]
    # 26 px per run as a band step: the spec is the same for any number of runs.
    spec = at_epoch_layers().to_dict()
    assert spec["height"] == {"step": 26} and "datasets" not in spec
    assert with_data(at_epoch_layers(), at_epoch_data(three, "val_loss")).to_dict()[
        "datasets"][RANKING][0]["run"] == "b"
