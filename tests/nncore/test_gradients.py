"""Every analytic gradient against central finite differences (LESSONS.md section 5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nncore
from nncore.activations import Tanh
from tests.nncore.helpers import mlp

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
OUTPUT_LOSS = [
    ("sigmoid", "binary_cross_entropy"),   # fused delta
    ("softmax", "cross_entropy"),          # fused delta
    ("identity", "mse"),                   # fused delta
    ("sigmoid", "mse"),                    # chained, as one course does
    ("softmax", "mse"),                    # chained through the softmax Jacobian
    ("tanh", "mse"),                       # chained
    ("relu", "mse"),                       # chained
]
# Central differences in float64 have an absolute rounding floor near 1e-10, so a
# gradient component of 1e-7 (deep sigmoid stacks, dead-ish units) can show a relative
# error of 1e-3 that is only noise. Each component must match to rtol 1e-5 or, for tiny
# ones, atol 1e-9; a wrong derivative is off by far more (see the planted bug below).
RTOL, ATOL = 1e-5, 1e-9


def assert_gradients_match(model, X, y, loss=None, l2=0.0):
    _, analytic = model.loss_and_gradients(X, y, loss=loss, l2=l2)
    numeric = nncore.numerical_gradients(model, X, y, loss=loss, l2=l2)
    for i, ((dW, db), (nW, nb)) in enumerate(zip(analytic, numeric, strict=True)):
        np.testing.assert_allclose(dW, nW, rtol=RTOL, atol=ATOL, err_msg=f"dW of layer {i}")
        np.testing.assert_allclose(db, nb, rtol=RTOL, atol=ATOL, err_msg=f"db of layer {i}")


def make_targets(output: str, loss: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    if output == "softmax" and loss == "cross_entropy":
        return rng.integers(0, k, n)
    if output == "softmax":
        return np.eye(k)[rng.integers(0, k, n)]
    if output == "sigmoid":
        return rng.integers(0, 2, (n, k)) if k > 1 else rng.integers(0, 2, n)
    return rng.normal(size=(n, k))


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS)
def test_backprop_matches_finite_differences(depth: int, hidden: str, output: str, loss: str):
    rng = np.random.default_rng(depth * 100 + HIDDEN.index(hidden))
    k = 1 if loss == "binary_cross_entropy" else 3
    sizes = [4, *[5] * depth, k]
    model = mlp(sizes, hidden, output, seed=depth, dtype="float64")
    X = rng.normal(size=(7, 4))
    y = make_targets(output, loss, 7, k, rng)
    assert_gradients_match(model, X, y, loss=loss)
    assert_gradients_match(model, X, y, loss=loss, l2=0.3)


def test_two_layer_backprop_equals_the_lesson_formulas():
    """delta2 = (y_hat - y)/m; dW2 = A1^T delta2; delta1 = delta2 W2^T * s'(Z1); dW1 = X^T delta1."""
    rng = np.random.default_rng(3)
    model = mlp([3, 4, 1], "sigmoid", "sigmoid", seed=3)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    W1, b1, W2, b2 = model.layers[0].W, model.layers[0].b, model.layers[1].W, model.layers[1].b
    A1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
    y_hat = 1 / (1 + np.exp(-(A1 @ W2 + b2)))
    delta2 = (y_hat - y[:, None]) / len(X)
    delta1 = (delta2 @ W2.T) * A1 * (1 - A1)
    _, [(dW1, db1), (dW2, db2)] = model.loss_and_gradients(X, y, loss="binary_cross_entropy")
    np.testing.assert_allclose(dW2, A1.T @ delta2, rtol=1e-12)
    np.testing.assert_allclose(db2, delta2.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(dW1, X.T @ delta1, rtol=1e-12)
    np.testing.assert_allclose(db1, delta1.sum(axis=0), rtol=1e-12)


def test_gradient_check_catches_a_wrong_derivative(monkeypatch: pytest.MonkeyPatch):
    """A plausible bug (tanh' written as 1 - a instead of 1 - a^2) is caught."""
    rng = np.random.default_rng(0)
    model = mlp([3, 4, 1], "tanh", "sigmoid", seed=0)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
    assert nncore.check_gradients(model, X, y) < 1e-6

    def wrong_backward(self: Tanh, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        delta *= 1.0 - A
        return delta

    monkeypatch.setattr(Tanh, "backward", wrong_backward)
    assert nncore.check_gradients(model, X, y) > 1e-2


def test_loss_value_includes_the_l2_penalty():
    rng = np.random.default_rng(1)
    model = mlp([2, 3, 1], "tanh", "identity", seed=1)
    X, y = rng.normal(size=(4, 2)), rng.normal(size=4)
    plain, _ = model.loss_and_gradients(X, y, loss="mse")
    penalised, grads = model.loss_and_gradients(X, y, loss="mse", l2=0.5)
    expected = 0.25 * sum(float((layer.W**2).sum()) for layer in model.layers)
    assert penalised - plain == pytest.approx(expected, rel=1e-12)
    _, plain_grads = model.loss_and_gradients(X, y, loss="mse")
    for layer, (dW, db), (pW, pb) in zip(model.layers, grads, plain_grads, strict=True):
        np.testing.assert_allclose(dW, pW + 0.5 * layer.W)
        np.testing.assert_allclose(db, pb)  # biases are not regularised


def min_distance_to_kink(model: nncore.Sequential, X: np.ndarray) -> float:
    """Smallest |Z| at ReLU-like layers: finite differences across the kink are one-sided."""
    distance, A = np.inf, X
    for layer in model.layers:
        Z = A @ layer.W + layer.b
        if layer.activation in ("relu", "leaky_relu"):
            distance = min(distance, float(np.abs(Z).min()))
        A = layer.activation_fn(Z)
    return distance


@given(
    n=st.integers(1, 8),
    n_in=st.integers(1, 5),
    hidden=st.lists(st.integers(1, 6), max_size=2),
    activation=st.sampled_from(HIDDEN),
    pair=st.sampled_from(OUTPUT_LOSS[:3]),
    seed=st.integers(0, 2**16),
)
def test_gradients_property(n, n_in, hidden, activation, pair, seed):
    output, loss = pair
    rng = np.random.default_rng(seed)
    k = 1 if loss == "binary_cross_entropy" else 2
    model = mlp([n_in, *hidden, k], activation, output, seed=seed)
    X = rng.normal(size=(n, n_in))
    assume(min_distance_to_kink(model, X) > 1e-4)
    assert_gradients_match(model, X, make_targets(output, loss, n, k, rng), loss=loss)


@given(dtype=st.sampled_from(["float32", "float64"]), n=st.integers(1, 9),
       seed=st.integers(0, 1000), batch_size=st.sampled_from([None, 1, 3]))
def test_dtype_follows_the_input_end_to_end(dtype, n, seed, batch_size):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(dtype)
    y = rng.integers(0, 3, n)
    model = mlp([3, 4, 3], "relu", "softmax", seed=seed)
    history = model.fit(X, y, optimizer="adam", epochs=2, batch_size=batch_size)
    assert model.dtype == np.dtype(dtype)
    assert all(layer.W.dtype == np.dtype(dtype) for layer in model.layers)
    assert model.predict_proba(X).dtype == np.dtype(dtype)
    _, grads = model.loss_and_gradients(X, y)
    assert all(dW.dtype == np.dtype(dtype) and db.dtype == np.dtype(dtype) for dW, db in grads)
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
