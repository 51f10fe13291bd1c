"""nncore.backprop_trace: the trainer's own pass, recorded (issue 11).

Every intermediate is checked three ways, for every activation x loss pair and depth 0-3:
against ``Sequential.loss_and_gradients`` (bit for bit: one code path), against central
finite differences, and against PyTorch autograd (Z, A, dE/dA, delta, dW, db, the loss).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nncore
from nncore.trace import layer_activations
from nncore.training import Workspace
from tests.nncore.helpers import mlp
from tests.nncore.test_gradients import ATOL, HIDDEN, OUTPUT_LOSS, RTOL, make_targets

torch = pytest.importorskip("torch")

TORCH_ACT = {
    "identity": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, nncore.activations.LEAKY_RELU_SLOPE),
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_loss(name: str, out, Y):
    if name == "binary_cross_entropy":
        return -(Y * torch.log(out) + (1 - Y) * torch.log(1 - out)).mean()
    if name == "cross_entropy":
        return -(Y * torch.log(out)).sum() / out.shape[0]
    return ((out - Y) ** 2).mean()


def torch_pass(model: nncore.Sequential, trace: nncore.BackpropTrace) -> dict[str, list]:
    """The same forward and backward pass by autograd, in float64."""
    A = torch.tensor(trace.X, dtype=torch.float64)
    params, Zs, As = [], [], []
    for layer in model.layers:
        W = torch.tensor(layer.W, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(layer.b, dtype=torch.float64, requires_grad=True)
        Z = A @ W + b
        Z.retain_grad()
        A = TORCH_ACT[layer.activation](Z)
        A.retain_grad()
        params.append((W, b))
        Zs.append(Z)
        As.append(A)
    E = torch_loss(trace.loss_name, A, torch.tensor(trace.Y, dtype=torch.float64))
    E.backward()
    return {
        "loss": float(E.detach()),
        "Z": [z.detach().numpy() for z in Zs],
        "A": [a.detach().numpy() for a in As],
        "dA": [a.grad.numpy() for a in As],
        "delta": [z.grad.numpy() for z in Zs],
        "dW": [w.grad.numpy() for w, _ in params],
        "db": [b.grad.numpy() for _, b in params],
    }


def case(depth: int, hidden: str, output: str, loss: str, m: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed + depth * 100 + HIDDEN.index(hidden))
    k = 1 if loss == "binary_cross_entropy" else 3
    model = mlp([4, *[5] * depth, k], hidden, output, seed=seed + depth, dtype="float64")
    X = rng.normal(size=(m, 4))
    return model, X, make_targets(output, loss, m, k, rng)


def assert_matches_torch(model, trace, rtol=1e-10, atol=1e-12):
    ref = torch_pass(model, trace)
    np.testing.assert_allclose(trace.loss, ref["loss"], rtol=rtol)
    for i, layer in enumerate(trace.layers):
        for what in ("Z", "A", "delta", "dW", "db"):
            np.testing.assert_allclose(getattr(layer, what), ref[what][i], rtol=rtol, atol=atol,
                                       err_msg=f"{what} of layer {i}")
        if layer.dA is not None:
            np.testing.assert_allclose(layer.dA, ref["dA"][i], rtol=rtol, atol=atol,
                                       err_msg=f"dA of layer {i}")


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS)
def test_trace_is_the_trainers_math(depth: int, hidden: str, output: str, loss: str):
    model, X, y = case(depth, hidden, output, loss)
    before = model.parameters.copy()
    trace = nncore.backprop_trace(model, X, y, loss=loss)
    np.testing.assert_array_equal(model.parameters, before)  # the weights stay put

    # 1. the trainer's gradients, bit for bit (one code path)
    value, grads = model.loss_and_gradients(X, y, loss=loss)
    assert trace.loss == value
    for i, ((dW, db), layer) in enumerate(zip(grads, trace.layers, strict=True)):
        np.testing.assert_array_equal(layer.dW, dW, err_msg=f"dW of layer {i}")
        np.testing.assert_array_equal(layer.db, db, err_msg=f"db of layer {i}")

    # 2. central finite differences
    numeric = nncore.numerical_gradients(model, X, y, loss=loss)
    for i, ((nW, nb), layer) in enumerate(zip(numeric, trace.layers, strict=True)):
        np.testing.assert_allclose(layer.dW, nW, rtol=RTOL, atol=ATOL, err_msg=f"dW {i}")
        np.testing.assert_allclose(layer.db, nb, rtol=RTOL, atol=ATOL, err_msg=f"db {i}")

    # 3. autograd: every intermediate
    assert_matches_torch(model, trace)

    # the lesson's identities (LESSONS.md section 5), on the recorded arrays
    for i, layer in enumerate(trace.layers):
        np.testing.assert_allclose(layer.dW, layer.A_prev.T @ layer.delta, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(layer.db, layer.delta.sum(axis=0), rtol=1e-12, atol=1e-15)
        if i < len(trace.layers) - 1:
            below = trace.layers[i + 1]
            np.testing.assert_allclose(layer.dA, below.delta @ below.W.T, rtol=1e-12,
                                       atol=1e-15)
    assert trace.output_delta == ("fused" if nncore.get_loss(loss).matched_activation == output
                                  else "chained")
    assert (trace.layers[-1].dA is None) == (trace.output_delta == "fused")


@pytest.mark.parametrize(("output", "loss", "scale"), [
    ("sigmoid", "binary_cross_entropy", lambda m, k: 1 / (m * k)),
    ("softmax", "cross_entropy", lambda m, k: 1 / m),
    ("identity", "mse", lambda m, k: 2 / (m * k)),
])
def test_fused_output_delta_is_the_lesson_formula(output, loss, scale):
    model, X, y = case(1, "tanh", output, loss, m=5)
    trace = nncore.backprop_trace(model, X, y, loss=loss)
    m, k = trace.Y.shape
    np.testing.assert_allclose(trace.layers[-1].delta, (trace.output - trace.Y) * scale(m, k),
                               rtol=1e-12)


@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    m=st.integers(1, 8),
    hidden=st.sampled_from(HIDDEN),
    pair=st.sampled_from(OUTPUT_LOSS),
    seed=st.integers(0, 10_000),
)
def test_any_shape_matches_autograd(sizes, m, hidden, pair, seed):
    output, loss = pair
    rng = np.random.default_rng(seed)
    k = 1 if loss == "binary_cross_entropy" else 3
    model = mlp([*sizes, k], hidden, output, seed=seed, dtype="float64")
    X = rng.normal(size=(m, sizes[0]))
    trace = nncore.backprop_trace(model, X, make_targets(output, loss, m, k, rng), loss=loss)
    assert [layer.Z.shape for layer in trace.layers] == [(m, n) for n in [*sizes[1:], k]]
    assert_matches_torch(model, trace)


def test_float32_model_traces_in_float32():
    model, X, y = case(2, "relu", "softmax", "cross_entropy")
    model.astype("float32")
    trace = nncore.backprop_trace(model, X.astype(np.float32), y)
    assert trace.layers[0].Z.dtype == np.float32 and trace.layers[-1].dW.dtype == np.float32
    _, grads = model.loss_and_gradients(X.astype(np.float32), y)
    for (dW, db), layer in zip(grads, trace.layers, strict=True):
        np.testing.assert_array_equal(layer.dW, dW)
        np.testing.assert_array_equal(layer.db, db)


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_layer_activations_are_the_traces_forward_half(depth: int, hidden: str):
    model, X, y = case(depth, hidden, "softmax", "cross_entropy")
    before = model.parameters.copy()
    activations = layer_activations(model, X)
    trace = nncore.backprop_trace(model, X, y)
    assert len(activations) == len(trace.layers)
    for A, layer in zip(activations, trace.layers, strict=True):
        np.testing.assert_array_equal(A, layer.A)
    np.testing.assert_array_equal(model.parameters, before)
    with pytest.raises(TypeError, match="Sequential"):
        layer_activations(nncore.Perceptron(2), X[:, :2])


@pytest.mark.parametrize(("optimizer", "steps"), [
    (lambda: nncore.SGD(lr=0.3), 1),
    (lambda: nncore.SGD(lr=0.1, momentum=0.9), 4),
    (lambda: nncore.SGD(lr=0.1, momentum=0.9, nesterov=True), 3),
    (lambda: nncore.Adam(lr=0.05), 4),
])
def test_train_step_reproduces_fit_on_one_sample(optimizer, steps):
    model, X, y = case(2, "tanh", "sigmoid", "binary_cross_entropy")
    twin = copy.deepcopy(model)
    x1, y1 = X[2:3], y[2:3]
    model.fit(x1, y1, optimizer=optimizer(), epochs=steps, batch_size=1, shuffle=False)
    opt = optimizer()
    losses = [nncore.train_step(twin, x1, y1, opt).loss for _ in range(steps)]
    np.testing.assert_allclose(twin.parameters, model.parameters, rtol=1e-13, atol=1e-15)
    assert losses[-1] < losses[0] or steps == 1
    after = nncore.backprop_trace(twin, x1, y1)
    assert after.loss < losses[0]  # the step moved the sample's loss down


def test_fit_runs_without_a_recorder(monkeypatch: pytest.MonkeyPatch):
    """The hook costs fit nothing: every workspace fit makes records nothing."""
    model, X, y = case(1, "relu", "sigmoid", "binary_cross_entropy")
    seen = []
    original = Workspace.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self)

    monkeypatch.setattr(Workspace, "__init__", spy)
    model.fit(X, y, epochs=2, batch_size=3, validation_data=(X, y))
    assert len(seen) == 2 and all(ws.recorder is None for ws in seen)


def test_perceptron_is_refused_with_a_pointer_to_the_trick():
    p = nncore.Perceptron(2, seed=0)
    with pytest.raises(TypeError, match="perceptron_trick"):
        nncore.backprop_trace(p, [[1.0, 2.0]], [1])
    with pytest.raises(TypeError, match="Sequential"):
        nncore.backprop_trace("model", [[1.0, 2.0]], [1])


def test_step_network_is_refused():
    model = nncore.Sequential([nncore.Dense(2, 1, "step")], seed=0)
    with pytest.raises(ValueError, match="step"):
        nncore.backprop_trace(model, [[1.0, 2.0]], [1], loss="mse")


@pytest.mark.parametrize(("w", "b", "x", "label", "rule"), [
    ([1.0, 1.0], -1.5, [0.0, 1.0], 1, "add"),        # AND says 0, label 1
    ([1.0, 1.0], -0.5, [0.0, 0.0], 1, "add"),
    ([1.0, 1.0], -0.5, [1.0, 0.0], 0, "subtract"),   # OR says 1, label 0
    ([1.0, 1.0], -1.5, [1.0, 1.0], 1, "none"),       # right: nothing moves
])
def test_perceptron_trick_follows_the_course(w, b, x, label, rule):
    p = nncore.Perceptron.from_weights(w, b)
    p.lr = 0.25
    step = nncore.perceptron_trick(p, x, label)
    sign = {"add": 1.0, "subtract": -1.0, "none": 0.0}[rule]
    assert step.rule == rule
    assert step.prediction == int(np.dot(w, x) + b >= 0)
    np.testing.assert_allclose(step.w_after, np.array(w) + sign * 0.25 * np.array(x))
    assert step.b_after == pytest.approx(b + sign * 0.25)
    np.testing.assert_array_equal(p.w, step.w_after)
    np.testing.assert_array_equal(step.w_before, w)


def test_perceptron_trick_rejects_bad_labels():
    with pytest.raises(ValueError, match="label"):
        nncore.perceptron_trick(nncore.Perceptron(2, seed=0), [1.0, 2.0], 2)


@pytest.mark.parametrize("depth", [0, 2])
@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_batched_differences_equal_one_at_a_time(depth, output, loss, l2):
    model, X, y = case(depth, "tanh", output, loss, m=4)
    slow = nncore.numerical_gradients(model, X, y, loss=loss, l2=l2)
    fast = nncore.numerical_gradients(model, X, y, loss=loss, l2=l2, batched=True)
    for (sW, sb), (fW, fb) in zip(slow, fast, strict=True):
        np.testing.assert_allclose(fW, sW, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(fb, sb, rtol=1e-6, atol=1e-9)
    assert nncore.check_gradients(model, X, y, loss=loss, l2=l2, batched=True) < 1e-5


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "cross_entropy", "mse"])
def test_stacked_loss_values_are_each_outputs_loss(loss):
    rng = np.random.default_rng(3)
    loss_fn = nncore.losses.get_loss(loss)
    outputs = rng.uniform(1e-20, 1.0, size=(50, 4, 3))
    outputs[0, 0, 0], outputs[1, 1, 1] = 0.0, 1.0             # clipped like value clips
    Y = rng.uniform(size=(4, 3))
    expected = [loss_fn.value(o, Y) for o in outputs]
    np.testing.assert_allclose(nncore.gradcheck.stacked_loss_values(loss_fn, outputs, Y),
                               expected, rtol=1e-12)


def test_stacked_loss_values_of_another_loss_go_one_at_a_time():
    class Absolute(nncore.losses.MeanSquaredError):
        name = "absolute"

        def value(self, A, Y):
            return float(np.abs(A - Y).mean())

    outputs = np.random.default_rng(4).normal(size=(5, 2, 1))
    Y = np.zeros((2, 1))
    np.testing.assert_allclose(
        nncore.gradcheck.stacked_loss_values(Absolute(), outputs, Y),
        np.abs(outputs).mean(axis=(1, 2)))


def test_batched_differences_catch_a_wrong_gradient():
    model, X, y = case(1, "sigmoid", "sigmoid", "mse")
    trace = nncore.backprop_trace(model, X, y, loss="mse")
    numeric = nncore.numerical_gradients(model, X, y, loss="mse", batched=True)
    wrong = trace.layers[0].dW * 1.01
    assert np.abs(nncore.gradcheck.relative_error(wrong, numeric[0][0])).max() > 1e-3
    assert nncore.gradcheck.relative_error(trace.layers[0].dW, numeric[0][0]).max() < 1e-6
