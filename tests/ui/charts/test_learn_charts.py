"""The Learn page's charts, read from their Vega-Lite specs and data."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui.charts.learn import (
    PANEL,
    history_chart,
    network_diagram,
    network_frames,
    neuron_heatmaps,
)


def _plane(units: int = 3, side: int = 4) -> pd.DataFrame:
    """Unit outputs on a grid whose features are named like moons' own: x1 and x2."""
    xs, ys = np.meshgrid(np.linspace(-1, 2, side), np.linspace(-0.5, 1.0, side))
    return pd.concat([pd.DataFrame({"x1": xs.ravel(), "x2": ys.ravel(), "layer": 1, "unit": u,
                                    "value": np.tanh(xs.ravel() * u)})
                      for u in range(1, units + 1)], ignore_index=True)


def _valid(spec: dict) -> None:
    """The spec (its data aside) is valid Vega-Lite, by Altair's schema."""
    alt.TopLevelSpec.validate({k: v for k, v in spec.items() if k != "datasets"})


def test_cells_keep_the_second_feature_when_it_is_called_x2():
    frame = _plane()
    data = neuron_heatmaps(frame, "x1", "x2")["datasets"]["heat"].to_pandas()
    # the cell ends are columns of their own: the feature x2 is not overwritten by x1 + dx
    np.testing.assert_allclose(np.sort(data["x2"].unique()), np.linspace(-0.5, 1.0, 4))
    np.testing.assert_allclose(data["_cell_x_end"] - data["x1"], 1.0)
    np.testing.assert_allclose(data["_cell_y_end"] - data["x2"], 0.5)
    assert sorted(data["panel"].unique()) == [PANEL + 1, PANEL + 2, PANEL + 3]


def test_heat_and_points_have_a_legend_each_once():
    frame = _plane(units=7)
    points = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 0.5], "label": ["a", "b"]})
    spec = neuron_heatmaps(frame, "x1", "x2", points, label="label", classes=["a", "b"],
                           columns=5)
    _valid(spec)
    heat, dots = spec["spec"]["layer"]
    assert "fill" in heat["encoding"] and "color" not in heat["encoding"]
    assert "color" in dots["encoding"]
    assert spec["resolve"]["scale"] == {"fill": "shared", "color": "shared"}
    assert spec["columns"] == 5
    assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"   # thousands of marks
    data = spec["datasets"]["heat"].to_pandas()
    dots_data = data[data["label"].notna()]
    assert len(dots_data) == 2 * 7                        # every panel draws every point
    assert dots_data["value"].isna().all()
    assert sorted(dots_data.groupby("panel")["label"].apply(list).iloc[0]) == ["a", "b"]


def test_a_step_redraws_from_a_copy_of_the_template():
    frame = _plane()
    first = neuron_heatmaps(frame, "x1", "x2")
    first["spec"]["layer"][0]["mark"] = "changed"
    assert neuron_heatmaps(frame, "x1", "x2")["spec"]["layer"][0]["mark"] != "changed"


def test_network_diagram_scales_follow_this_steps_numbers():
    W1, W2 = np.array([[0.5, -2.0, 1.0], [0.1, 0.2, -0.3]]), np.array([[1.0], [-1.5], [0.25]])
    nodes, edges, hidden = network_frames([W1, W2], [np.array([1.0, -3.0]),
                                                     np.array([0.2, 0.4, -0.1]),
                                                     np.array([0.7])],
                                          input_names=["a", "b"], max_edges=4)
    assert hidden == 2
    assert list(edges["magnitude"].iloc[:4]) == [2.0, 1.0, 0.5, 0.3]   # the largest kept
    assert edges.loc[edges["label"] == "W1[1→2]", "sign"].item() == "negative"
    assert nodes["label"].iloc[0] == "input · a"
    spec = network_diagram(nodes, edges, title="forward", edge_title="weight")
    _valid(spec)
    assert spec["title"] == "forward"
    assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"
    assert spec["layer"][0]["encoding"]["strokeWidth"]["scale"]["domain"] == [0, 2.0]
    assert spec["layer"][1]["encoding"]["color"]["scale"]["domain"] == [-3.0, 3.0]
    assert spec["datasets"]["edges"] is edges and spec["datasets"]["nodes"] is nodes
    assert spec["layer"][1]["encoding"]["color"]["title"] == "activation"
    backward = network_diagram(nodes, edges, title="backward", edge_title="gradient",
                               node_title="δ")
    assert backward["layer"][1]["encoding"]["color"]["title"] == "δ"
    assert backward["layer"][0]["encoding"]["color"]["title"] == "gradient sign"


def test_history_chart_carries_its_frame():
    frame = pd.DataFrame({"step": [1, 2], "loss": [0.5, 0.4], "on": ["sample", "sample"]})
    spec = history_chart(frame)
    _valid(spec)
    assert spec["datasets"]["history"] is frame
    assert spec["data"] == {"name": "history"}
