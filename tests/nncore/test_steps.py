"""Single optimizer steps with numbers worked out by hand (in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

import nncore


def tiny_logistic() -> nncore.Sequential:
    """One sigmoid unit with W = [0.5, -0.5], b = 0.1."""
    model = nncore.Sequential([nncore.Dense(2, 1, "sigmoid")], seed=0, dtype="float64")
    model.layers[0].W[...] = [[0.5], [-0.5]]
    model.layers[0].b[...] = [0.1]
    return model


# x = [1, 2], y = 1:  z = 0.5*1 - 0.5*2 + 0.1 = -0.4
# y_hat = 1 / (1 + e^0.4) = 1 / (1 + 1.4918246976) = 0.4013123399
# delta = y_hat - y = -0.5986876601      (fused sigmoid + log-loss, m = 1)
# dW = x * delta = [-0.5986876601, -1.1973753202],  db = -0.5986876601
X = np.array([[1.0, 2.0]])
Y = np.array([1])


def test_gradient_of_one_point_by_hand():
    loss, [(dW, db)] = tiny_logistic().loss_and_gradients(X, Y, loss="log_loss")
    assert loss == pytest.approx(-np.log(0.4013123399), rel=1e-9)   # 0.9130152
    np.testing.assert_allclose(dW, [[-0.5986876601], [-1.1973753202]], rtol=1e-9)
    np.testing.assert_allclose(db, [-0.5986876601], rtol=1e-9)


def test_one_sgd_step_on_a_tiny_net():
    # W <- W - 0.1 dW = [0.5 + 0.05986876601, -0.5 + 0.11973753202]; b <- 0.1 + 0.05986876601
    model = tiny_logistic()
    model.fit(X, Y, loss="binary_cross_entropy", optimizer=nncore.SGD(lr=0.1), epochs=1)
    np.testing.assert_allclose(model.layers[0].W, [[0.55986876601], [-0.38026246798]], rtol=1e-9)
    np.testing.assert_allclose(model.layers[0].b, [0.15986876601], rtol=1e-9)


def test_one_adam_step_on_a_tiny_net():
    # first Adam step: m_hat = g, v_hat = g^2, so the step is lr * g / (|g| + eps) = lr * sign(g)
    # W <- [0.5 + 0.001, -0.5 + 0.001], b <- 0.1 + 0.001
    model = tiny_logistic()
    model.fit(X, Y, loss="binary_cross_entropy", optimizer=nncore.Adam(lr=0.001), epochs=1)
    np.testing.assert_allclose(model.layers[0].W, [[0.501], [-0.499]], rtol=1e-7)
    np.testing.assert_allclose(model.layers[0].b, [0.101], rtol=1e-7)


def test_sgd_momentum_two_steps_by_hand():
    # v1 = -0.1 g = [-0.05, -0.025]; p1 = [0.95, -2.025]
    # v2 = 0.9 v1 - 0.1 g = [-0.095, -0.0475]; p2 = [0.855, -2.0725]
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    opt = nncore.SGD(lr=0.1, momentum=0.9)
    opt.step(p, g)
    np.testing.assert_allclose(p, [0.95, -2.025])
    opt.step(p, g)
    np.testing.assert_allclose(p, [0.855, -2.0725])
    np.testing.assert_array_equal(g, [0.5, 0.25])  # the caller's gradient is untouched


def test_sgd_nesterov_step_by_hand():
    # v1 = [-0.05, -0.025]; p1 = p0 + 0.9 v1 - 0.1 g = [1 - 0.095, -2 - 0.0475]
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    nncore.SGD(lr=0.1, momentum=0.9, nesterov=True).step(p, g)
    np.testing.assert_allclose(p, [0.905, -2.0475])


def test_adam_two_steps_by_hand():
    # step 1: m = [0.05, -0.025], v = [2.5e-4, 6.25e-5]; m_hat = g, v_hat = g^2: p -= 0.1 sign(g)
    # step 2: m = [0.095, -0.0475], m_hat = m / 0.19 = g; v = [4.9975e-4, 1.249375e-4],
    #         v_hat = v / 0.001999 = g^2: again p -= 0.1 sign(g)
    p, g = np.array([1.0, -2.0]), np.array([0.5, -0.25])
    opt = nncore.Adam(lr=0.1)
    opt.step(p, g)
    np.testing.assert_allclose(p, [0.9, -1.9], rtol=1e-7)
    opt.step(p, g)
    np.testing.assert_allclose(p, [0.8, -1.8], rtol=1e-7)
    np.testing.assert_allclose(opt._v, [4.9975e-4, 1.249375e-4])


def test_plain_gradient_descent_is_the_lesson_update():
    # LESSONS 4: w <- w - lr * dE/dw with dE/dw = -(y - y_hat) x for one point
    model = tiny_logistic()
    y_hat = 1 / (1 + np.exp(0.4))
    model.fit(X, Y, optimizer=nncore.SGD(lr=1.0), epochs=1)
    np.testing.assert_allclose(model.layers[0].W[:, 0], [0.5, -0.5] + (1 - y_hat) * X[0])
