"""The Learn page's computations that are not a page: hidden units over the input plane."""

from __future__ import annotations

import numpy as np

import nncore
from experiments import RunSpec, build_model
from experiments.datasets import load_dataset
from ui import learn_session as ls


def test_hidden_unit_outputs_are_each_units_activation_over_the_grid():
    ds = load_dataset("moons")
    spec = RunSpec().with_overrides({"dataset.name": "moons", "model.hidden": "5,3",
                                     "model.activation": "tanh"})
    lesson = ls.new_lesson(build_model(spec, ds), ds, "fresh")
    frame = ls.hidden_unit_outputs(lesson, resolution=6)
    grid = ls.plane_grid(ds, resolution=6)
    X = ds.preprocessor.transform(grid)
    trace = nncore.backprop_trace(lesson.model, X, np.zeros(len(X), dtype=int))
    a, b = ds.raw_feature_names
    assert len(frame) == 36 * (5 + 3)
    for layer, units in ((1, 5), (2, 3)):
        for unit in range(1, units + 1):
            rows = frame[(frame["layer"] == layer) & (frame["unit"] == unit)]
            np.testing.assert_array_equal(rows[a].to_numpy(), grid[a].to_numpy())
            np.testing.assert_array_equal(rows[b].to_numpy(), grid[b].to_numpy())
            np.testing.assert_array_equal(rows["value"].to_numpy(),
                                          trace.layers[layer - 1].A[:, unit - 1])
    limited = ls.hidden_unit_outputs(lesson, resolution=6, max_units=2)
    assert sorted(limited.groupby("layer")["unit"].max()) == [2, 2]
    assert len(limited) == 36 * 4
