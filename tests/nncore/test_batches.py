"""How ``fit`` feeds batches (issue 13): gathered batch by batch, not copied per epoch.

No timings here: memory is measured with tracemalloc (numpy reports its allocations to
it) relative to the size of the data, and the history of a small float64 fit is compared
with the numbers the code before this change produced.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import nncore
from nncore._checks import FINITE_CHECK_BLOCK, all_finite, as_float_matrix
from nncore.training import Batches, epoch_metric
from tests.nncore.helpers import mlp


def traced_peak(fn) -> int:
    """Bytes ``fn()`` allocated at its peak, above what was allocated before it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_reshuffled_batches_are_the_permuted_rows_in_two_reused_buffers():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((23, 4)).astype(np.float32)
    Y = rng.standard_normal((23, 2)).astype(np.float32)
    batches = Batches(X, Y, 5, np.random.default_rng(1), shuffle=True)
    twin = np.random.default_rng(1)                   # the same draws as fit always made
    for _ in range(3):
        order = batches.new_epoch()
        np.testing.assert_array_equal(order, twin.permutation(23))
        seen = []
        for start, Xb, Yb in batches:
            rows = order[start : start + 5]
            np.testing.assert_array_equal(Xb, X[rows])
            np.testing.assert_array_equal(Yb, Y[rows])
            assert not np.shares_memory(Xb, X) and not np.shares_memory(Yb, Y)
            seen.append((Xb, Yb))
        assert [len(Xb) for Xb, _ in seen] == [5, 5, 5, 5, 3]
        assert all(np.shares_memory(Xb, seen[0][0]) for Xb, _ in seen)     # one buffer


@pytest.mark.parametrize("shuffle, batch_size", [(False, 5), (True, 23), (True, 100)])
def test_batches_in_data_order_are_views_of_the_data(shuffle: bool, batch_size: int):
    X = np.arange(46, dtype=np.float64).reshape(23, 2)
    Y = X[:, :1] * 2
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    batches = Batches(X, Y, min(batch_size, 23), rng, shuffle=shuffle)
    assert batches.new_epoch() is None
    for start, Xb, Yb in batches:
        assert np.shares_memory(Xb, X) and np.shares_memory(Yb, Y)
        np.testing.assert_array_equal(Xb, X[start : start + len(Xb)])
    assert rng.bit_generator.state == state           # no draw without reshuffling


def test_a_fit_adds_a_fraction_of_the_data_not_copies_of_it():
    # 20,000 x 100 float32 is 8 MB; the code before issue 13 peaked at 2.3x that
    # (a shuffled copy of X each epoch, np.take's temporary, a full-size isfinite mask).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 100), dtype=np.float32)
    y = rng.integers(0, 4, 20_000)
    model = mlp([100, 16, 4], "relu", "softmax")
    peak = traced_peak(lambda: model.fit(X, y, epochs=2, batch_size=256))
    # what is left: the one-hot targets (320 KB), a few label-sized vectors, one batch
    assert peak < 0.25 * X.nbytes, f"fit allocated {peak / 1e6:.1f} MB at its peak"


def test_checking_finiteness_allocates_a_block_not_a_mask_of_the_data():
    X = np.ones((20_000, 100), dtype=np.float32)
    peak = traced_peak(lambda: as_float_matrix("X", X, np.dtype(np.float32)))
    assert peak <= 2 * FINITE_CHECK_BLOCK


@pytest.mark.parametrize("where", [(0, 0), (12_345, 67), (19_999, 99)])
def test_a_non_finite_value_in_any_block_is_found_and_named(where: tuple[int, int]):
    X = np.ones((20_000, 100))
    X[where] = np.nan
    assert not all_finite(X)
    with pytest.raises(ValueError, match=f"1 NaN or infinite value.*row {where[0]}, column "
                                         f"{where[1]}"):
        as_float_matrix("X", X, np.dtype(np.float64))
    Y = np.zeros((20_000, 100))                 # targets go through the same check
    Y[where] = np.inf
    with pytest.raises(ValueError, match="y must be finite; it has 1 NaN"):
        mlp([2, 100], "relu", "identity").fit(np.ones((20_000, 2)), Y)


@pytest.mark.parametrize("output, n_outputs", [("softmax", 3), ("sigmoid", 1)])
def test_label_accuracy_counts_what_the_batch_metric_counted(output: str, n_outputs: int):
    rng = np.random.default_rng(2)
    A = rng.random((30, n_outputs))
    labels = rng.integers(0, n_outputs if n_outputs > 1 else 2, 30)
    model = mlp([2, n_outputs], "relu", output)
    targets = model.encode_targets(labels, 30)
    metric = epoch_metric(output, targets)
    order = rng.permutation(30)
    metric.begin(order)
    for start in range(0, 30, 7):
        metric.add(A[start : start + 7], targets.Y[order[start : start + 7]], start)
    expected = nncore.training.score(A, nncore.targets.Targets(targets.Y[order], labels[order]),
                                     model.resolve_loss(None), output)["accuracy"]
    assert metric.result(30) == expected
    seen = 14                                          # an epoch stopped by a callback
    part = nncore.targets.Targets(targets.Y[order][:seen], labels[order][:seen])
    assert metric.result(seen) == nncore.training.score(
        A[:seen], part, model.resolve_loss(None), output)["accuracy"]


class StopInEpochThree(nncore.Callback):
    def on_batch_end(self, model, batch, logs):
        if logs["epoch"] == 3 and batch == 1:
            model.stop_training = True


# Produced by the code before issue 13 (a shuffled copy of the data every epoch, the
# accuracy counted batch by batch); the same fit must record the same history. Float64,
# 40 rows: the BLAS calls are small enough to sum in one order on any CPU.
REFERENCE_HISTORY = {
    "softmax": {
        "train_loss": [0.7464938961566803, 0.5040730761958724, 0.4386306994213828],
        "train_accuracy": [0.8, 0.875, 0.9375],
        "val_loss": [1.0607153047799565, 0.9720866969741329, 0.8471706090188487],
        "val_accuracy": [0.6, 0.7, 0.7],
    },
    "sigmoid": {
        "train_loss": [0.6542531561158407, 0.5375100441576353, 0.4825795770979786],
        "train_accuracy": [0.7, 0.85, 0.875],
        "val_loss": [0.7458925227467503, 0.7251196268549713, 0.7014024905151052],
        "val_accuracy": [0.6, 0.6, 0.7],
    },
}
REFERENCE_FIRST_PARAMS = {
    "softmax": [-0.97069074744, -0.761039512766, 0.158318552504, -0.091179078381],
    "sigmoid": [-0.470127722643, -0.709438532487, 0.668286830435, 0.391380734525],
}


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_a_fit_records_the_same_history_as_before(output: str):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
    if output == "sigmoid":
        y = (y > 0).astype(int)
    k = 3 if output == "softmax" else 1
    model = nncore.Sequential([nncore.Dense(3, 5, "tanh"), nncore.Dense(5, k, output)],
                              seed=3, dtype="float64")
    history = model.fit(X[:40], y[:40], optimizer=nncore.SGD(lr=0.3, momentum=0.5), epochs=3,
                        batch_size=16, validation_data=(X[40:], y[40:]),
                        callbacks=[StopInEpochThree()])    # epoch 3 sees 32 of 40 rows
    assert history.history.keys() == REFERENCE_HISTORY[output].keys()
    for key, expected in REFERENCE_HISTORY[output].items():
        np.testing.assert_allclose(history.history[key], expected, rtol=1e-13, err_msg=key)
    np.testing.assert_allclose(model.parameters[:4], REFERENCE_FIRST_PARAMS[output],
                               atol=1e-12)


@pytest.mark.parametrize("width", [1, 2, 3, 10, 16, 17, 40])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_column_by_column_equals_numpys_reduction(width: int, dtype: type):
    rng = np.random.default_rng(width)
    Z = rng.standard_normal((33, width)).astype(dtype)
    Z[5, width // 2] = np.nan
    Z[7, 0] = np.inf
    Z[9, -1] = -np.inf
    np.testing.assert_array_equal(nncore.activations.row_max(Z), Z.max(axis=1, keepdims=True))


def test_softmax_in_place_is_the_textbook_formula_bit_for_bit():
    Z = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32) * 30
    expected = Z - Z.max(axis=1, keepdims=True)
    np.exp(expected, out=expected)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(nncore.ACTIVATIONS["softmax"].forward(Z.copy()), expected)


def test_one_unit_input_gradient_by_broadcasting_equals_the_matmul():
    # backward turns delta·Wᵀ of a one-unit layer into a broadcast product: same numbers
    model = mlp([3, 4, 1], "tanh", "sigmoid", dtype="float32")
    X = np.random.default_rng(1).standard_normal((9, 3)).astype(np.float32)
    trace = nncore.backprop_trace(model, X, (X[:, 0] > 0).astype(int))
    out, hidden = trace.layers[1], trace.layers[0]
    np.testing.assert_array_equal(hidden.dA, out.delta @ out.W.T)
