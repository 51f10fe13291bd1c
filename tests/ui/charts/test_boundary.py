"""The one decision-boundary builder (ui.charts.boundary.boundary_chart) on real datasets
and models: two classes, three classes, a perceptron, regression, and the points it is given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import RunSpec, build_model, decision_grid, load_dataset
from ui.charts.boundary import boundary_chart
from ui.charts.style import CLASS_COLORS


def _datasets(spec: dict) -> dict[str, list[dict]]:
    return spec["datasets"]


def _layer_data(spec: dict, layer: dict) -> list[dict]:
    return _datasets(spec)[layer["data"]["name"]]


def _grid(name: str, resolution: int = 6, model: dict | None = None, **params):
    spec = RunSpec.from_dict({"dataset": {"name": name, **params},
                              "model": model or {"hidden": [4], "activation": "tanh"}})
    dataset = load_dataset(name, seed=0, **params)
    return decision_grid(build_model(spec, dataset), dataset, resolution=resolution), dataset


def test_two_classes_a_probability_ramp_under_the_points():
    grid, dataset = _grid("moons", n_samples=40)
    spec = boundary_chart(grid, dataset, title="run 1", height=300).to_dict()
    background, dots = spec["layer"]
    assert background["mark"]["type"] == "rect"
    assert background["encoding"]["x"]["field"] == "x1"
    assert background["encoding"]["x2"]["field"] == "cell_x2"
    assert background["encoding"]["color"]["field"] == "p"
    assert background["encoding"]["color"]["scale"]["range"] == [
        CLASS_COLORS[0], "#f4f4f4", CLASS_COLORS[1]]
    assert len(_layer_data(spec, background)) == 6 * 6
    assert dots["mark"]["type"] == "point"
    assert dots["encoding"]["fill"]["field"] == "label"
    assert dots["encoding"]["fill"]["scale"]["domain"] == ["upper moon", "lower moon"]
    assert dots["encoding"]["shape"]["field"] == "split"
    assert len(_layer_data(spec, dots)) == 40
    assert spec["resolve"]["scale"]["color"] == "independent"
    assert spec["title"] == "run 1" and spec["height"] == 300
    # SVG whatever the grid's size (Streamlit would draw > 2,000 rows on a canvas)
    assert spec["usermeta"] == {"embedOptions": {"renderer": "svg"}}
    # the cells cover the grid exactly: the axes end at the outer cell edges
    x_domain = background["encoding"]["x"]["scale"]["domain"]
    cells = pd.DataFrame(_layer_data(spec, background))
    assert x_domain == pytest.approx([cells["x1"].min(), cells["cell_x2"].max()])


def test_three_classes_the_predicted_class_fainter_where_unsure():
    grid, dataset = _grid("blobs", n_samples=60, centers=3)
    spec = boundary_chart(grid, dataset).to_dict()
    background, dots = spec["layer"]
    assert background["encoding"]["color"]["field"] == "label"
    assert background["encoding"]["color"]["scale"]["domain"] == list(dataset.class_names)
    assert background["encoding"]["opacity"]["field"] == "confidence"
    assert dots["encoding"]["fill"]["scale"]["range"] == list(CLASS_COLORS[:3])
    assert spec["title"] == "decision boundary"


def test_a_perceptrons_hard_predictions_are_named_by_class():
    grid, dataset = _grid("xor", n_samples=40, model={"type": "perceptron"})
    assert not [c for c in grid.columns if c.startswith("probability_")]
    spec = boundary_chart(grid, dataset).to_dict()
    labels = {r["label"] for r in _layer_data(spec, spec["layer"][0])}
    assert labels <= set(dataset.class_names) and labels


def test_regression_colours_predictions_and_targets_on_one_scale(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    path = tmp_path / "plane.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "t": 3 * X[:, 0] - X[:, 1]}).to_csv(path,
                                                                                index=False)
    grid, dataset = _grid("csv", path=str(path), target="t")
    assert dataset.task == "regression"
    spec = boundary_chart(grid, dataset).to_dict()
    background, dots = spec["layer"]
    assert background["encoding"]["color"]["field"] == "value"
    assert dots["encoding"]["fill"]["field"] == "t"
    assert dots["encoding"]["fill"]["type"] == "quantitative"
    scale = background["encoding"]["color"]["scale"]
    assert scale["scheme"] == "viridis" and scale == dots["encoding"]["fill"]["scale"]
    values = [r["value"] for r in _layer_data(spec, background)]
    targets = [r["t"] for r in _layer_data(spec, dots)]
    assert scale["domain"] == pytest.approx([min(values + targets), max(values + targets)])


def test_the_points_given_are_the_points_drawn():
    grid, dataset = _grid("moons", n_samples=40)
    train_only = dataset.frame().query("split == 'train'")
    spec = boundary_chart(grid, dataset, points=train_only, title=None).to_dict()
    dots = _layer_data(spec, spec["layer"][1])
    assert len(dots) == len(train_only) and {d["split"] for d in dots} == {"train"}
    assert spec["title"] == ""
