"""The Learn page's number tables: Arrow tables built from a trace's arrays."""

from __future__ import annotations

import numpy as np

import nncore
from ui import learn_math as lm


def _trace():
    model = nncore.Sequential([nncore.Dense(2, 3, "tanh"), nncore.Dense(3, 1, "sigmoid")],
                              seed=0, dtype="float64")
    return model, nncore.backprop_trace(model, np.array([[0.5, -1.0]]), [1])


def test_matrix_table_names_rows_and_columns():
    table = lm.matrix_table(np.array([[1.0, 2.0, 3.0]]), "sample", "unit", (7,)).to_pandas()
    assert list(table.columns) == ["sample", "unit 1", "unit 2", "unit 3"]
    assert table["sample"].tolist() == ["sample 7"]
    assert table[["unit 1", "unit 2", "unit 3"]].to_numpy().tolist() == [[1.0, 2.0, 3.0]]


def test_check_table_lists_every_entry_in_order_with_its_band():
    _, tr = _trace()
    layer = tr.layers[0]
    numeric = (layer.dW + 1e-3, layer.db.copy())
    rel = (np.full(layer.dW.shape, 2e-3), np.zeros(layer.db.shape))
    diff = (np.full(layer.dW.shape, 1e-3), np.zeros(layer.db.shape))
    table, total = lm.check_table(layer, numeric, rel, diff, ["gre", "gpa"])
    frame = table.to_pandas()
    assert total == 9 and len(frame) == 9
    assert frame["parameter"].tolist()[:4] == ["W1[gre→1]", "W1[gre→2]", "W1[gre→3]",
                                               "W1[gpa→1]"]
    assert frame["parameter"].tolist()[-3:] == ["b1[1]", "b1[2]", "b1[3]"]
    np.testing.assert_array_equal(frame["backprop"].to_numpy()[:6], layer.dW.ravel())
    assert [b[0] for b in frame["check"]] == ["check: >= 1e-4"] * 6 + ["ok: < 1e-6"] * 3


def test_check_table_of_a_big_layer_keeps_the_worst_first():
    _, tr = _trace()
    layer = tr.layers[0]
    rel = (np.array([[1e-9, 5e-5, 1e-3], [2e-7, 3e-6, 0.5]]), np.array([1e-8, 2e-5, 7e-7]))
    diff = (np.full((2, 3), 1e-6), np.array([1e-6, 1e-12, 1e-6]))
    table, total = lm.check_table(layer, (layer.dW, layer.db), rel, diff, limit=4)
    frame = table.to_pandas()
    assert total == 9
    assert frame["parameter"].tolist() == ["W1[2→3]", "W1[1→3]", "W1[1→2]", "b1[2]"]
    assert [b[0] for b in frame["check"]] == ["check: >= 1e-4", "check: >= 1e-4",
                                              "1e-6 to 1e-4", "ok: below rounding floor"]


def test_weights_change_table_puts_the_largest_changes_first():
    before = np.zeros((2, 3))
    after = np.array([[0.1, -0.5, 0.0], [0.2, 0.0, 0.3]])
    frame = lm.weights_change_table(before, after, 1, limit=3).to_pandas()
    assert frame["weight"].tolist() == ["W2[1→2]", "W2[2→3]", "W2[2→1]"]
    np.testing.assert_allclose(frame["change"], [-0.5, 0.3, 0.2])
    assert len(lm.weights_change_table(before, after, 1).to_pandas()) == 6
