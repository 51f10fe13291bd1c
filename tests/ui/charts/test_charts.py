"""Chart builders: the specs they produce (marks, encodings, data), without Streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import experiments.charts as charts


def _data(spec: dict) -> list[dict]:
    [values] = spec["datasets"].values()
    return values


RECORDS = [
    {"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e, "train_accuracy": 0.5 + e / 100,
     "val_accuracy": 0.4 + e / 100}
    for e in range(1, 11)
]


def test_history_frame_is_tidy_and_drops_non_finite():
    frame = charts.history_frame([*RECORDS, {"epoch": 11, "train_loss": float("nan")}])
    assert list(frame.columns) == ["epoch", "metric", "split", "value"]
    assert len(frame) == 10 * 4
    assert set(frame["split"]) == {"train", "validation"}
    assert set(frame["metric"]) == {"loss", "accuracy"}
    assert frame.query("epoch == 2 and metric == 'loss' and split == 'validation'")[
        "value"].item() == pytest.approx(0.6)


def test_learning_curves_draw_one_line_per_split_for_one_metric():
    spec = charts.learning_curves(charts.history_frame(RECORDS), "loss").to_dict()
    assert spec["mark"]["type"] == "line"
    enc = spec["encoding"]
    assert enc["x"]["field"] == "epoch" and enc["y"]["field"] == "value"
    assert enc["color"]["field"] == "split"
    assert enc["color"]["scale"]["domain"] == ["train", "validation"]
    rows = _data(spec)
    assert {r["metric"] for r in rows} == {"loss"}
    assert len(rows) == 20
    assert spec["autosize"]["type"] == "fit-x"


def test_learning_curves_thin_long_histories_keeping_the_ends():
    records = [{"epoch": e, "train_loss": 1.0 / e} for e in range(1, 5001)]
    spec = charts.learning_curves(charts.history_frame(records), "loss", max_points=100).to_dict()
    epochs = sorted(r["epoch"] for r in _data(spec))
    assert len(epochs) == 100 and epochs[0] == 1 and epochs[-1] == 5000


def test_learning_curves_log_scale():
    spec = charts.learning_curves(charts.history_frame(RECORDS), "loss", log_scale=True).to_dict()
    assert spec["encoding"]["y"]["scale"]["type"] == "log"


def _points():
    return pd.DataFrame({"x1": [0.0, 1.0, 2.0, 3.0], "x2": [1.0, 0.0, 1.0, 0.0],
                         "label": ["a", "b", "a", "b"],
                         "split": ["train", "train", "validation", "train"]})


def test_data_scatter_colours_by_class_in_a_stable_order():
    spec = charts.data_scatter(_points(), "x1", "x2", classes=["a", "b"]).to_dict()
    assert spec["mark"]["type"] == "point"
    color = spec["encoding"]["color"]
    assert color["field"] == "label" and color["scale"]["domain"] == ["a", "b"]
    assert color["scale"]["range"] == list(charts.CLASS_COLORS[:2])
    assert spec["encoding"]["shape"]["field"] == "split"
    assert len(_data(spec)) == 4


def test_class_balance_counts_rows_per_class_and_split():
    spec = charts.class_balance(_points(), classes=["a", "b"]).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["aggregate"] == "sum"
    rows = {(r["label"], r["split"]): r["rows"] for r in _data(spec)}
    assert rows == {("a", "train"): 1, ("a", "validation"): 1, ("b", "train"): 2}


def test_histograms_and_scatter_matrix_repeat_over_columns():
    frame = _points()
    hist = charts.histogram_grid(frame, ["x1", "x2"]).to_dict()
    assert hist["repeat"] == ["x1", "x2"]
    assert hist["spec"]["mark"]["type"] == "bar"
    assert hist["spec"]["encoding"]["x"]["bin"] == {"maxbins": 20}
    matrix = charts.scatter_matrix(frame, ["x1", "x2"]).to_dict()
    assert matrix["repeat"] == {"row": ["x1", "x2"], "column": ["x1", "x2"]}
    assert matrix["spec"]["mark"]["type"] == "circle"


def _grid(probabilities: bool = True) -> pd.DataFrame:
    xs, ys = np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 2, 3))
    grid = pd.DataFrame({"x1": xs.ravel(), "x2": ys.ravel()})
    p1 = grid["x1"].to_numpy() / 1.0
    grid["prediction"] = (p1 >= 0.5).astype(int)
    if probabilities:
        grid["probability_0"] = 1 - p1
        grid["probability_1"] = p1
    return grid


def test_boundary_frame_makes_cells_with_class_and_confidence():
    cells = charts.boundary_frame(_grid(), "x1", "x2", ["a", "b"])
    assert {"x1", "x2", "cell_x2", "cell_y2", "label", "confidence", "p"} <= set(cells.columns)
    assert cells["cell_x2"].sub(cells["x1"]).round(6).eq(0.5).all()
    assert cells["cell_y2"].sub(cells["x2"]).round(6).eq(1.0).all()
    assert list(cells["label"][:3]) == ["a", "a", "b"]  # p = 0, 0.5 (a tie: first), 1
    assert cells["p"].max() == 1.0


def test_boundary_frame_names_a_perceptrons_hard_predictions():
    cells = charts.boundary_frame(_grid(probabilities=False), "x1", "x2", ["a", "b"],
                                  labels=[0, 1])
    assert set(cells["label"]) == {"a", "b"}
    assert (cells["confidence"] == 1.0).all()


def test_decision_boundary_layers_cells_under_points():
    cells = charts.boundary_frame(_grid(), "x1", "x2", ["a", "b"])
    spec = charts.decision_boundary(cells, _points(), "x1", "x2", ["a", "b"]).to_dict()
    background, dots = spec["layer"]
    assert background["mark"]["type"] == "rect"
    assert background["encoding"]["x2"]["field"] == "cell_x2"
    assert background["encoding"]["color"]["field"] == "p"  # two classes: a ramp
    assert dots["mark"]["type"] == "point"
    assert dots["encoding"]["fill"]["field"] == "label"
    assert spec["resolve"]["scale"]["color"] == "independent"


def test_decision_boundary_with_three_classes_colours_by_predicted_class():
    grid = _grid()
    grid["probability_2"] = 0.0
    cells = charts.boundary_frame(grid, "x1", "x2", ["a", "b", "c"])
    spec = charts.decision_boundary(cells, _points(), "x1", "x2", ["a", "b", "c"]).to_dict()
    background = spec["layer"][0]
    assert background["encoding"]["color"]["field"] == "label"
    assert background["encoding"]["opacity"]["field"] == "confidence"


def test_confusion_frame_and_matrix():
    frame = charts.confusion_frame([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], ["no", "yes"])
    assert len(frame) == 4
    row = frame.query("actual == 'yes' and predicted == 'yes'")
    assert row["count"].item() == 2 and row["share"].item() == pytest.approx(2 / 3)
    spec = charts.confusion_matrix(frame).to_dict()
    cells, text = spec["layer"]
    assert cells["mark"]["type"] == "rect" and cells["encoding"]["color"]["field"] == "share"
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "count"
    assert sum(r["count"] for r in _data(spec)) == 5


def test_weights_frame_and_heatmaps_one_panel_per_layer():
    import nncore

    model = nncore.Sequential([nncore.Dense(3, 4, "relu"), nncore.Dense(4, 1, "sigmoid")],
                              seed=0)
    frame = charts.weights_frame(model, ["a", "b", "c"])
    assert len(frame) == 3 * 4 + 4 * 1
    first = frame[frame["layer_index"] == 0]
    assert list(dict.fromkeys(first["input"])) == ["a", "b", "c"]
    assert first.query("input == 'b' and unit == 'unit 3'")["weight"].item() == pytest.approx(
        float(model.layers[0].W[1, 2]))
    spec = charts.weight_heatmaps(frame).to_dict()
    assert len(spec["hconcat"]) == 2
    assert all(p["mark"]["type"] == "rect" for p in spec["hconcat"])
    limit = float(np.abs(frame["weight"]).max())
    assert spec["hconcat"][0]["encoding"]["color"]["scale"]["domain"] == pytest.approx(
        [-limit, limit])


def test_weights_frame_of_a_perceptron():
    import nncore

    frame = charts.weights_frame(nncore.Perceptron(2, seed=0))
    assert len(frame) == 2 and set(frame["unit"]) == {"unit 1"}
