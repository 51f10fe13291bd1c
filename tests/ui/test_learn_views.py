"""The perceptron's line on the Learn page: the part of ``w·f(x) + b = 0`` inside the plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.datasets import load_dataset
from ui.learn_views import _raw_line

BOX = (-1.5, 2.5, -1.0, 1.5)


def _on_the_line(ds, w, bias, points) -> np.ndarray:
    a, b = ds.raw_feature_names
    frame = pd.DataFrame(points, columns=[a, b])
    return ds.preprocessor.transform(frame) @ w + bias


@pytest.mark.parametrize(("w", "bias"), [
    ((1.0, -1.0), 0.0),      # a diagonal
    ((10.0, -0.01), 0.3),    # nearly vertical: clipped by the bottom and top edges
    ((1.0, 0.0), -0.2),      # vertical (no y coefficient)
    ((0.0, 1.0), 0.1),       # horizontal
])
def test_the_segment_lies_on_the_line_and_inside_the_box(w, bias):
    ds = load_dataset("moons")
    w = np.asarray(w)
    segment = _raw_line(ds, w, bias, BOX)
    assert segment is not None and len(segment) == 2
    np.testing.assert_allclose(_on_the_line(ds, w, bias, segment), 0.0, atol=1e-9)
    for x, y in segment:
        assert BOX[0] - 1e-9 <= x <= BOX[1] + 1e-9 and BOX[2] - 1e-9 <= y <= BOX[3] + 1e-9
    assert segment[0] != segment[1]


def test_a_line_that_misses_the_box_is_none():
    ds = load_dataset("moons")
    a, b = ds.raw_feature_names
    far = ds.preprocessor.transform(pd.DataFrame({a: [100.0], b: [0.0]}))[0]
    w = np.array([1.0, 0.0])
    assert _raw_line(ds, w, -float(far @ w), BOX) is None
