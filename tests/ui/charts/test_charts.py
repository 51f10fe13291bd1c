"""One run's charts (ui.charts.training, .dataset, .model): the specs they produce
(marks, encodings, data), without Streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.frames import confusion_frame, history_frame, weights_frame
from ui.charts.dataset import class_balance, data_scatter, histogram_grid, scatter_matrix
from ui.charts.model import confusion_matrix, weight_heatmaps
from ui.charts.style import CLASS_COLORS
from ui.charts.training import learning_curves


def _data(spec: dict) -> list[dict]:
    [values] = spec["datasets"].values()
    return values


RECORDS = [
    {"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e, "train_accuracy": 0.5 + e / 100,
     "val_accuracy": 0.4 + e / 100}
    for e in range(1, 11)
]


def test_learning_curves_draw_one_line_per_split_for_one_metric():
    spec = learning_curves(history_frame(RECORDS), "loss").to_dict()
    assert spec["mark"]["type"] == "line"
    enc = spec["encoding"]
    assert enc["x"]["field"] == "epoch" and enc["y"]["field"] == "value"
    assert enc["y"]["title"] == "loss"
    assert enc["color"]["field"] == "split"
    assert enc["color"]["scale"]["domain"] == ["train", "validation"]
    assert enc["color"]["scale"]["range"] == list(CLASS_COLORS[:2])
    rows = _data(spec)
    assert {r["metric"] for r in rows} == {"loss"}
    assert len(rows) == 20
    assert spec["autosize"]["type"] == "fit-x"


def test_learning_curves_thin_long_histories_keeping_the_ends():
    records = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 2.0 / e} for e in range(1, 5001)]
    spec = learning_curves(history_frame(records), "loss", max_points=100).to_dict()
    rows = pd.DataFrame(_data(spec))
    for _, curve in rows.groupby("split"):  # both splits keep the same 100 epochs
        epochs = sorted(curve["epoch"])
        assert len(epochs) == 100 and epochs[0] == 1 and epochs[-1] == 5000
    assert len(rows) == 200


def test_learning_curves_log_scale_and_readable_rmse_title():
    spec = learning_curves(history_frame(RECORDS), "loss", log_scale=True).to_dict()
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    rmse = history_frame([{"epoch": 1, "train_rmse": 2.0, "val_rmse": 2.5}])
    spec = learning_curves(rmse, "rmse", title="error").to_dict()
    assert spec["encoding"]["y"]["title"] == "RMSE"
    assert spec["title"] == "error"


def _points():
    return pd.DataFrame({"x1": [0.0, 1.0, 2.0, 3.0], "x2": [1.0, 0.0, 1.0, 0.0],
                         "label": ["a", "b", "a", "b"],
                         "split": ["train", "train", "validation", "train"]})


def test_data_scatter_colours_by_class_in_a_stable_order():
    spec = data_scatter(_points(), "x1", "x2", classes=["b", "a"]).to_dict()
    assert spec["mark"]["type"] == "point"
    color = spec["encoding"]["color"]
    assert color["field"] == "label" and color["scale"]["domain"] == ["b", "a"]
    assert color["scale"]["range"] == list(CLASS_COLORS[:2])
    assert spec["encoding"]["shape"]["field"] == "split"
    assert len(_data(spec)) == 4


def test_data_scatter_of_a_regression_target_is_a_continuous_ramp():
    frame = pd.DataFrame({"x1": np.arange(20.0), "x2": np.arange(20.0) ** 2,
                          "y": np.linspace(0, 1, 20)})
    spec = data_scatter(frame, "x1", "x2", "y").to_dict()
    assert spec["encoding"]["color"]["type"] == "quantitative"
    assert spec["encoding"]["color"]["scale"]["scheme"] == "viridis"
    assert "shape" not in spec["encoding"]  # no split column


def test_class_balance_counts_rows_per_class_and_split():
    spec = class_balance(_points(), classes=["a", "b"]).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["aggregate"] == "sum"
    rows = {(r["label"], r["split"]): r["rows"] for r in _data(spec)}
    assert rows == {("a", "train"): 1, ("a", "validation"): 1, ("b", "train"): 2}


def test_histograms_and_scatter_matrix_repeat_over_columns():
    frame = _points()
    hist = histogram_grid(frame, ["x1", "x2"]).to_dict()
    assert hist["repeat"] == ["x1", "x2"]
    assert hist["spec"]["mark"]["type"] == "bar"
    assert hist["spec"]["encoding"]["x"]["bin"] == {"maxbins": 20}
    assert hist["spec"]["encoding"]["color"]["scale"]["domain"] == ["a", "b"]
    matrix = scatter_matrix(frame, ["x1", "x2"]).to_dict()
    assert matrix["repeat"] == {"row": ["x1", "x2"], "column": ["x1", "x2"]}
    assert matrix["spec"]["mark"]["type"] == "circle"
    plain = histogram_grid(frame, ["x1"], None).to_dict()
    assert "color" not in plain["spec"]["encoding"]


def test_confusion_matrix_cells_and_counts():
    frame = confusion_frame([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], ["no", "yes"])
    spec = confusion_matrix(frame, size=200).to_dict()
    cells, text = spec["layer"]
    assert cells["mark"]["type"] == "rect" and cells["encoding"]["color"]["field"] == "share"
    assert cells["encoding"]["x"]["sort"] == ["no", "yes"]
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "count"
    assert sum(r["count"] for r in _data(spec)) == 5
    assert spec["width"] == spec["height"] == 200
    assert spec["autosize"]["type"] == "pad"
    fitted = confusion_matrix(frame, size=180, fit_width=True).to_dict()
    assert "width" not in fitted and fitted["height"] == 180
    assert fitted["autosize"]["type"] == "fit-x"  # as wide as its column, never wider


def test_weight_heatmaps_one_panel_per_layer_on_one_centred_scale():
    import nncore

    model = nncore.Sequential([nncore.Dense(3, 4, "relu"), nncore.Dense(4, 1, "sigmoid")],
                              seed=0)
    frame = weights_frame(model, ["a", "b", "c"])
    spec = weight_heatmaps(frame).to_dict()
    assert len(spec["hconcat"]) == 2
    assert all(p["mark"]["type"] == "rect" for p in spec["hconcat"])
    assert [p["title"] for p in spec["hconcat"]] == ["layer 1: 3 → 4", "layer 2: 4 → 1"]
    limit = float(np.abs(frame["weight"]).max())
    assert spec["hconcat"][0]["encoding"]["color"]["scale"]["domain"] == pytest.approx(
        [-limit, limit])
    assert spec["resolve"]["scale"]["color"] == "shared"


def test_confusion_matrix_wraps_class_names_at_spaces():
    """Side by side on one line, "upper moon" and "lower moon" ran together (issue 14)."""
    frame = confusion_frame([0, 1, 1], [0, 1, 0], ["upper moon", "lower moon"])
    for chart in (confusion_matrix(frame, size=180), confusion_matrix(frame, fit_width=True)):
        axis = chart.to_dict()["layer"][0]["encoding"]["x"]["axis"]
        assert axis["labelExpr"] == "split(datum.label, ' ')"
        assert axis["labelAngle"] == 0
