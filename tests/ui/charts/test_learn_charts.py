"""The Learn page's neuron heatmaps, read from the chart's own data and spec."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ui.charts.learn import neuron_heatmaps


def _plane(units: int = 3, side: int = 4) -> pd.DataFrame:
    """Unit outputs on a grid whose features are named like moons' own: x1 and x2."""
    xs, ys = np.meshgrid(np.linspace(-1, 2, side), np.linspace(-0.5, 1.0, side))
    return pd.concat([pd.DataFrame({"x1": xs.ravel(), "x2": ys.ravel(), "layer": 1, "unit": u,
                                    "value": np.tanh(xs.ravel() * u)})
                      for u in range(1, units + 1)], ignore_index=True)


def test_cells_keep_the_second_feature_when_it_is_called_x2():
    frame = _plane()
    chart = neuron_heatmaps(frame, "x1", "x2")
    data = chart.data
    # the cell ends are columns of their own: the feature x2 is not overwritten by x1 + dx
    np.testing.assert_allclose(np.sort(data["x2"].unique()), np.linspace(-0.5, 1.0, 4))
    np.testing.assert_allclose(data["_cell_x_end"] - data["x1"], 1.0)
    np.testing.assert_allclose(data["_cell_y_end"] - data["x2"], 0.5)


def test_heat_and_points_have_a_legend_each_once():
    frame = _plane(units=7)
    points = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 0.5], "label": ["a", "b"]})
    spec = neuron_heatmaps(frame, "x1", "x2", points, label="label", classes=["a", "b"],
                           columns=5).to_dict()
    heat, dots = spec["spec"]["layer"]
    assert "fill" in heat["encoding"] and "color" not in heat["encoding"]
    assert "color" in dots["encoding"]
    assert spec["resolve"]["scale"] == {"fill": "shared", "color": "shared"}
    assert spec["columns"] == 5
