"""A sweep's parallel coordinates (ui.charts.sweep): a setting searched log-uniformly is
drawn on a log axis, the others as before; checked on the chart's spec and data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from experiments.sweeps import SweepSpec
from ui.charts.sweep import log_searched, parallel_trials_chart

SPACE = {"training.learning_rate": {"log_uniform": [0.001, 0.3]},
         "training.l2": {"uniform": [0.0, 0.1]},
         "model.hidden": {"choice": [[4], [8]]}}


def _trials() -> pd.DataFrame:
    return pd.DataFrame({
        "trial": [0, 1, 2, 3],
        "training.learning_rate": [0.001, 0.01, 0.1, 0.05],
        "training.l2": [0.0, 0.01, 0.1, 0.05],
        "model.hidden": ["[4]", "[8]", "[4]", "[8]"],
        "objective": [0.5, 0.3, 0.4, float("nan")],
        "state": ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"],
    })


def _rows(spec: dict, mark: str, index: int = 0) -> list[dict]:
    layers = [layer for layer in spec["layer"] if layer["mark"]["type"] == mark]
    return spec["datasets"][layers[index]["data"]["name"]]


def _positions(spec: dict, axis: str) -> dict[str, float]:
    return {r["run"]: r["norm"] for r in _rows(spec, "line") if r["axis"] == axis}


def test_a_log_searched_setting_is_drawn_on_a_log_axis():
    spec = parallel_trials_chart(_trials(), SPACE, "val_loss").to_dict()
    axes = [r["axis"] for r in _rows(spec, "rule")]
    assert axes == ["training.learning_rate (log)", "training.l2", "model.hidden",
                    "validation loss"]
    # 0.001, 0.01, 0.1: a decade apart, so evenly spaced (linear: 0, 0.09, 1)
    lr = _positions(spec, "training.learning_rate (log)")
    assert lr == pytest.approx({"trial 0": 0.0, "trial 1": 0.5, "trial 2": 1.0})
    # the line's tooltip and the axis' ends say the values, not their logarithms
    values = {r["run"]: r["value"] for r in _rows(spec, "line")
              if r["axis"] == "training.learning_rate (log)"}
    assert values == {"trial 0": "0.001", "trial 1": "0.01", "trial 2": "0.1"}
    ends = {r["axis"]: (r["axis_min"], r["axis_max"]) for r in _rows(spec, "text")}
    assert ends["training.learning_rate (log)"] == ("0.001", "0.1")
    # round values marked along the log axis, where the log scale puts them
    marks = {r["label"]: r["norm"] for r in _rows(spec, "tick")}
    assert marks["0.01"] == pytest.approx(0.5)
    assert marks["0.002"] == pytest.approx(0.150515, abs=1e-6)
    assert set(marks) == {"0.002", "0.005", "0.01", "0.02", "0.05"}
    assert _rows(spec, "text", 2) == _rows(spec, "tick")  # labelled at the same places
    # the lines still highlight on hover: their parameter is defined in the chart
    params = [p["name"] for p in spec.get("params", [])] + [
        p["name"] for layer in spec["layer"] for p in layer.get("params", [])]
    assert params == ["line_hover"]


def test_uniform_and_choice_settings_stay_linear_and_unmarked():
    spec = parallel_trials_chart(_trials(), SPACE, "val_loss").to_dict()
    assert _positions(spec, "training.l2") == pytest.approx(
        {"trial 0": 0.0, "trial 1": 0.1, "trial 2": 1.0})
    assert _positions(spec, "model.hidden") == {"trial 0": 0.0, "trial 1": 1.0,
                                                "trial 2": 0.0}
    assert {r["axis"] for r in _rows(spec, "tick")} == {"training.learning_rate (log)"}
    linear = {k: {"uniform": v["log_uniform"]} if "log_uniform" in v else v
              for k, v in SPACE.items()}
    plain = parallel_trials_chart(_trials(), linear, "val_loss").to_dict()
    assert [layer["mark"]["type"] for layer in plain["layer"]] == [
        "rule", "line", "text", "text"]
    assert _positions(plain, "training.learning_rate") == pytest.approx(
        {"trial 0": 0.0, "trial 1": 0.009 / 0.099, "trial 2": 1.0})


def test_the_log_settings_come_from_the_sweep_spec():
    sweep = SweepSpec.from_dict({
        "dataset": {"name": "xor"}, "model": {"hidden": [4]},
        "sweep": {"method": "random", "trials": 2, "space": SPACE}})
    assert log_searched(json.loads(sweep.space_json())) == ["training.learning_rate"]
    assert [d.key for d in sweep.space if d.log] == ["training.learning_rate"]
