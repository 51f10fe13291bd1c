"""experiments.frames: the tidy frames charts draw, and the one thinning rule."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.frames import (
    boundary_frame,
    confusion_frame,
    history_frame,
    is_numeric,
    lower_is_better,
    metric_title,
    parallel_frame,
    thin,
    thin_positions,
    weights_frame,
)

# --------------------------------------------------------------------------- thinning


@given(n=st.integers(0, 5000), max_points=st.integers(2, 600))
def test_thin_positions_rule(n, max_points):
    kept = thin_positions(n, max_points)
    if n <= max_points:
        assert kept.tolist() == list(range(n))
        return
    assert len(kept) == max_points
    assert kept[0] == 0 and kept[-1] == n - 1
    assert (np.diff(kept) > 0).all()  # distinct, in order
    gaps = np.diff(kept)
    assert gaps.max() - gaps.min() <= 1  # evenly spaced, to within rounding
    exact = [Fraction(i * (n - 1), max_points - 1) for i in range(max_points)]
    assert kept.tolist() == [math.floor(x + Fraction(1, 2)) for x in exact]  # half up


@given(xs=st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 60)), max_size=300),
       max_points=st.integers(2, 40), grouped=st.booleans())
def test_thin_is_the_rule_applied_to_each_groups_distinct_x(xs, max_points, grouped):
    frame = pd.DataFrame(xs, columns=["run", "x"], dtype=object).astype({"x": "int64"})
    out = thin(frame, "x", max_points, by="run" if grouped else None)
    parts = frame.groupby("run") if grouped else [(None, frame)]
    expected = set()
    for _, part in parts:
        distinct = np.sort(part["x"].unique())
        kept = set(distinct[thin_positions(len(distinct), max_points)].tolist())
        expected |= {i for i in part.index if part.at[i, "x"] in kept}
    assert set(out.index) == expected
    assert list(out.index) == sorted(out.index)  # the original order


def test_thin_positions_needs_room_for_both_ends():
    with pytest.raises(ValueError, match="max_points = 1"):
        thin_positions(10, 1)
    with pytest.raises(ValueError, match="max_points = 0"):
        thin(pd.DataFrame({"x": [1, 2, 3]}), "x", 0)


def test_thin_keeps_every_row_at_a_kept_x_and_the_order():
    frame = pd.DataFrame({"epoch": np.repeat(np.arange(1, 1001), 2),
                          "split": ["train", "validation"] * 1000})
    frame = frame.sample(frac=1.0, random_state=0)  # any row order
    out = thin(frame, "epoch", 50)
    epochs = np.sort(out["epoch"].unique())
    assert len(epochs) == 50 and epochs[0] == 1 and epochs[-1] == 1000
    assert (out.groupby("epoch").size() == 2).all()  # both splits at every kept epoch
    assert list(out.index) == [i for i in frame.index if i in set(out.index)]
    assert epochs.tolist() == (thin_positions(1000, 50) + 1).tolist()


def test_thin_by_group_thins_each_curve_on_its_own():
    long = pd.DataFrame({"run_id": "a", "metric": "loss", "step": np.arange(1, 1001)})
    short = pd.DataFrame({"run_id": "b", "metric": "loss", "step": np.arange(1, 31)})
    later = pd.DataFrame({"run_id": "c", "metric": "loss", "step": np.arange(500, 2500, 2)})
    frame = pd.concat([long, short, later], ignore_index=True)
    out = thin(frame, "step", 100, by=["run_id", "metric"])
    sizes = out.groupby("run_id").size().to_dict()
    assert sizes == {"a": 100, "b": 30, "c": 100}
    c = out[out["run_id"] == "c"]["step"]
    assert c.min() == 500 and c.max() == 2498
    one_key = thin(frame, "step", 100, by="run_id")
    assert one_key.equals(out)


def test_thin_leaves_short_frames_alone_and_keeps_rows_without_x():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    assert thin(frame, "x", 3) is frame
    assert thin(frame.iloc[:0], "x", 2).empty
    holes = pd.DataFrame({"x": [*range(10), np.nan]})
    out = thin(holes, "x", 4)
    assert out["x"].iloc[:-1].tolist() == [0, 3, 6, 9] and np.isnan(out["x"].iloc[-1])


# --------------------------------------------------------------------------- frames


RECORDS = [
    {"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e, "train_accuracy": 0.5 + e / 100,
     "val_accuracy": 0.4 + e / 100}
    for e in range(1, 11)
]


def test_history_frame_is_tidy_and_drops_non_finite():
    frame = history_frame([*RECORDS, {"epoch": 11, "train_loss": float("nan"),
                                      "lr": 0.1, "val_rmse": None}])
    assert list(frame.columns) == ["epoch", "metric", "split", "value"]
    assert len(frame) == 10 * 4
    assert set(frame["split"]) == {"train", "validation"}
    assert set(frame["metric"]) == {"loss", "accuracy"}
    assert frame.query("epoch == 2 and metric == 'loss' and split == 'validation'")[
        "value"].item() == pytest.approx(0.6)


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
    cells = boundary_frame(_grid(), "x1", "x2", ["a", "b"])
    assert {"x1", "x2", "cell_x2", "cell_y2", "label", "confidence", "p"} <= set(cells.columns)
    assert cells["cell_x2"].sub(cells["x1"]).round(6).eq(0.5).all()
    assert cells["cell_y2"].sub(cells["x2"]).round(6).eq(1.0).all()
    assert cells["x1"].min() == pytest.approx(-0.25)  # centred on the grid points
    assert list(cells["label"][:3]) == ["a", "a", "b"]  # p = 0, 0.5 (a tie: first), 1
    assert cells["confidence"][:3].tolist() == pytest.approx([1.0, 0.5, 1.0])
    assert cells["p"].max() == 1.0


def test_boundary_frame_names_a_perceptrons_hard_predictions():
    grid = _grid(probabilities=False)
    grid["prediction"] = np.where(grid["prediction"] == 1, "yes", "no")
    cells = boundary_frame(grid, "x1", "x2", ["refused", "admitted"], labels=["no", "yes"])
    assert cells["label"][:3].tolist() == ["refused", "admitted", "admitted"]
    assert (cells["confidence"] == 1.0).all()
    assert set(cells["p"]) == {0.0, 1.0}


def test_boundary_frame_of_a_regression_holds_the_predicted_values():
    grid = _grid(probabilities=False)
    grid["prediction"] = grid["x1"] * 10 + 5
    cells = boundary_frame(grid, "x1", "x2", [])
    assert cells["value"].tolist() == grid["prediction"].tolist()
    assert cells["label"][:3].tolist() == ["5", "10", "15"]
    assert cells["p"][:3].tolist() == [0.0, 0.5, 1.0]


def test_confusion_frame_every_pair_with_shares():
    frame = confusion_frame([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], ["no", "yes"])
    assert len(frame) == 4
    row = frame.query("actual == 'yes' and predicted == 'yes'")
    assert row["count"].item() == 2 and row["share"].item() == pytest.approx(2 / 3)
    empty = confusion_frame([0, 0], [0, 2], ["a", "b", "c"])
    assert len(empty) == 9 and empty.query("actual == 'b'")["share"].eq(0.0).all()
    assert empty["count"].sum() == 2


def test_weights_frame_one_row_per_weight():
    import nncore

    model = nncore.Sequential([nncore.Dense(3, 4, "relu"), nncore.Dense(4, 1, "sigmoid")],
                              seed=0)
    frame = weights_frame(model, ["a", "b", "c"])
    assert len(frame) == 3 * 4 + 4 * 1
    first = frame[frame["layer_index"] == 0]
    assert list(dict.fromkeys(first["input"])) == ["a", "b", "c"]
    assert first.query("input == 'b' and unit == 'unit 3'")["weight"].item() == pytest.approx(
        float(model.layers[0].W[1, 2]))
    second = frame[frame["layer_index"] == 1]
    assert list(dict.fromkeys(second["input"])) == ["h1.1", "h1.2", "h1.3", "h1.4"]
    assert set(frame["layer"]) == {"layer 1: 3 → 4", "layer 2: 4 → 1"}
    unnamed = weights_frame(model, ["too", "few"])
    assert list(dict.fromkeys(unnamed["input"]))[:3] == ["x1", "x2", "x3"]


def test_weights_frame_of_a_perceptron():
    import nncore

    perceptron = nncore.Perceptron(2, seed=0)
    frame = weights_frame(perceptron)
    assert len(frame) == 2 and set(frame["unit"]) == {"unit 1"}
    w = np.asarray(getattr(perceptron, "W", None) if hasattr(perceptron, "W")
                   else perceptron.w, dtype=float).reshape(-1)
    assert frame["weight"].tolist() == pytest.approx(w.tolist())


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "run": ["a", "b", "c", "d"],
        "training.learning_rate": [0.001, 0.01, 0.1, 1.0],
        "training.optimizer": ["sgd", "adam", "sgd", "adam"],
        "val_accuracy": [0.6, 0.8, 0.9, 0.5],
        "training.nesterov": [True, False, True, True],
    })


def test_parallel_frame_scales_each_axis_and_orders_categories():
    frame = parallel_frame(_table(), ["training.learning_rate", "training.optimizer",
                                      "val_accuracy"])
    assert list(frame.columns) == ["run", "axis", "position", "norm", "value", "axis_min",
                                   "axis_max"]
    assert frame["position"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    lr = frame[frame["axis"] == "training.learning_rate"].set_index("run")
    assert lr.loc["a", "norm"] == 0.0 and lr.loc["d", "norm"] == 1.0
    assert lr.loc["b", "norm"] == pytest.approx(0.009 / 0.999)
    assert lr.loc["a", "axis_min"] == "0.001" and lr.loc["a", "axis_max"] == "1"
    opt = frame[frame["axis"] == "training.optimizer"].set_index("run")
    assert opt.loc["b", "norm"] == 0.0 and opt.loc["a", "norm"] == 1.0  # adam < sgd
    flags = parallel_frame(_table(), ["training.nesterov"]).set_index("run")
    assert flags.loc["b", "value"] == "False" and flags.loc["b", "norm"] == 0.0  # categories
    holes = _table().assign(kind=["a", None, "b", np.nan])
    assert set(parallel_frame(holes, ["kind"])["value"]) == {"a", "b", "—"}
    same = parallel_frame(_table().assign(x=3.0), ["x"])
    assert (same["norm"] == 0.5).all()


def test_metric_names_and_direction():
    assert metric_title("metrics.final_val_accuracy") == "validation accuracy"
    assert metric_title("train_rmse") == "training RMSE"
    assert metric_title("rmse") == "RMSE" and metric_title("loss") == "loss"
    assert metric_title("custom_thing") == "custom thing"
    assert lower_is_better("val_loss") and lower_is_better("val_rmse")
    assert not lower_is_better("val_accuracy") and not lower_is_better("metrics.final_AUC")


def test_is_numeric_leaves_booleans_out():
    assert is_numeric(pd.Series([1, 2])) and is_numeric(pd.Series([0.1, None]))
    assert is_numeric(pd.array([1, None], dtype="Int64"))
    assert not is_numeric(pd.Series([True, False]))
    assert not is_numeric(pd.Series(["8x8"]))


def test_top_weights_keeps_the_largest_inputs_and_units_of_a_big_layer():
    import nncore
    from experiments.frames import top_weights

    model = nncore.Sequential([nncore.Dense(2000, 40, "relu"), nncore.Dense(40, 1, "sigmoid")],
                              seed=0)
    model.layers[0].W[1234, 5] = 50.0
    frame, notes = top_weights(weights_frame(model), max_inputs=30, max_units=30)
    first = frame[frame["layer_index"] == 0]
    assert first["input"].nunique() == 30 and first["unit"].nunique() == 30
    assert "x1235" in set(first["input"]) and "unit 6" in set(first["unit"])
    assert len(frame[frame["layer_index"] == 1]) == 30  # 40 inputs: cut too, 1 unit: whole
    assert notes == ["layer 1: the 30 of its 2,000 inputs and 30 of its 40 units with the "
                     "largest |weight| are shown.",
                     "layer 2: the 30 of its 40 inputs with the largest |weight| are shown."]
    whole, none = top_weights(weights_frame(model), max_inputs=5000, max_units=5000)
    assert len(whole) == 2000 * 40 + 40 and none == []
