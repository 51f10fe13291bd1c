"""The first layer's bias inside its matmuls, and ReLU against a zero vector (issue 13).

Both are speed changes that must not change a number: the fused first layer gives the
gradients the separate bias add and column sums gave (checked bit for bit on shapes
inside one OpenBLAS K-block, and to rounding elsewhere), and ReLU's comparison with a
zero vector is ``np.maximum(Z, 0.0)`` bit for bit, NaN and -0.0 included. No timings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from nncore.activations import ACTIVATIONS, ZEROS_CHUNK
from nncore.losses import get_loss
from nncore.training import Workspace, _joined
from tests.nncore.helpers import mlp


@dataclass
class SeparateLayer:
    """A LayerLike whose W and b are separate arrays: the workspace adds the bias apart."""

    W: np.ndarray
    b: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    activation_fn: object


def separate_copy(model) -> list[SeparateLayer]:
    return [SeparateLayer(layer.W.copy(), layer.b.copy(), np.empty_like(layer.W),
                          np.empty_like(layer.b), layer.activation_fn)
            for layer in model.layers]


@pytest.mark.parametrize(("sizes", "m", "dtype"), [
    ([6, 8, 1], 400, "float32"), ([2, 32, 32, 3], 64, "float32"), ([5, 4, 3], 23, "float64"),
    ([3, 4, 1], 1, "float64"), ([3, 4, 1], 2, "float32"), ([3, 8, 5, 1], 1, "float32"),
])
def test_the_fused_first_layer_gives_the_separate_bias_gradients_bit_for_bit(sizes, m, dtype):
    output = "sigmoid" if sizes[-1] == 1 else "softmax"
    model = mlp(sizes, "relu", output, seed=1, dtype=dtype)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((m, sizes[0])).astype(dtype)
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], m)] if sizes[-1] > 1 else \
        rng.integers(0, 2, (m, 1)).astype(dtype)
    loss = get_loss("binary_cross_entropy" if output == "sigmoid" else "cross_entropy")

    fused = Workspace(model.layers, m, np.dtype(dtype))
    assert fused.input_buffer(m) is not None          # a Dense in a Sequential is fused
    one_unit = Workspace(mlp([sizes[0], 1], "relu", "sigmoid").layers, m, np.dtype(dtype))
    assert one_unit.input_buffer(m) is None           # gemv would sum in another order
    plain_layers = separate_copy(model)
    plain = Workspace(plain_layers, m, np.dtype(dtype))
    assert plain.input_buffer(m) is None              # separate W and b: added apart
    np.testing.assert_array_equal(fused.forward(X), plain.forward(X))
    fused.backward(X, Y, loss)
    plain.backward(X, Y, loss)
    for layer, ref in zip(model.layers, plain_layers, strict=True):
        np.testing.assert_array_equal(layer.dW, ref.dW)
        np.testing.assert_array_equal(layer.db, ref.db)


def test_a_batch_gathered_into_the_input_buffer_is_not_copied_again():
    model = mlp([4, 3, 2], "tanh", "softmax", seed=0)
    workspace = Workspace(model.layers, 10, model.dtype)
    x = workspace.input_buffer(10)
    assert x.shape == (10, 4) and workspace.input_buffer(10) is x
    x[...] = np.arange(40.0).reshape(10, 4)
    out = workspace.forward(x).copy()
    np.testing.assert_array_equal(out, model.predict_proba(np.arange(40.0).reshape(10, 4)))


def test_joined_is_the_weights_then_the_bias_or_none():
    model = mlp([3, 2, 1], "tanh", "sigmoid", seed=0)
    layer = model.layers[1]
    Wb = _joined(layer.W, layer.b)
    assert Wb.shape == (3, 1) and np.shares_memory(Wb, model.parameters)
    np.testing.assert_array_equal(Wb, np.vstack([layer.W, layer.b[None, :]]))
    assert _joined(layer.W.copy(), layer.b) is None
    assert _joined(model.layers[0].W, model.layers[1].b) is None     # not adjacent


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(256, 256), (3, 5), (400, 8), (ZEROS_CHUNK // 3 + 7, 3)])
@pytest.mark.parametrize("order", ["C", "F", "strided"])
def test_relu_against_a_zero_vector_is_numpys_maximum_with_zero_bit_for_bit(shape, dtype,
                                                                            order):
    rng = np.random.default_rng(0)
    Z = rng.standard_normal(shape).astype(dtype)
    flat = Z.reshape(-1)
    flat[::7], flat[1::11] = -0.0, 0.0
    flat[2], flat[3], flat[4], flat[5] = np.nan, -np.inf, np.inf, -np.nan
    if order == "F":
        Z = np.asfortranarray(Z)
    elif order == "strided":
        Z = np.repeat(Z, 2, axis=1)[:, ::2]
    expected = np.maximum(Z, 0.0)
    got = ACTIVATIONS["relu"].forward(Z)
    bits = np.int32 if dtype == np.float32 else np.int64
    np.testing.assert_array_equal(np.ascontiguousarray(got).view(bits),
                                  np.ascontiguousarray(expected).view(bits))


def test_a_full_batch_is_copied_into_the_workspace_once_and_reused():
    from nncore.training import Batches

    model = mlp([4, 3, 2], "tanh", "softmax", seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 4)), rng.standard_normal((10, 2))
    workspace = Workspace(model.layers, 10, model.dtype)
    batches = Batches(X, Y, 10, rng, shuffle=True, into=workspace.input_buffer)
    for _ in range(2):
        batches.new_epoch()
        [(start, Xb, Yb)] = list(batches)
        assert start == 0 and Xb is workspace.input_buffer(10) and Yb is Y
        np.testing.assert_array_equal(Xb, X)
    # mini-batches in data order stay views of the data; forward copies them
    batches = Batches(X, Y, 4, rng, shuffle=False, into=workspace.input_buffer)
    assert all(np.shares_memory(Xb, X) for _, Xb, _ in batches)


@pytest.mark.parametrize("width", [1, 2, 3, 10, 16])
def test_row_max_of_the_transposed_copy_is_the_column_loop_bit_for_bit(width: int):
    from nncore.activations import row_max

    rng = np.random.default_rng(width)
    Z = rng.standard_normal((257, width)).astype(np.float32)
    Z[::5] = 0.0
    Z[::7, 0] = -0.0                           # -0.0 against 0.0: the first one wins
    Z[11, width // 2] = np.nan
    Z[13, -1] = -np.inf
    column = Z[:, :1].copy()                   # the loop row_max ran before
    for j in range(1, width):
        np.maximum(column, Z[:, j : j + 1], out=column)
    got = row_max(Z)
    assert got.shape == (257, 1) and got.flags.c_contiguous
    np.testing.assert_array_equal(got.view(np.int32), column.view(np.int32))
