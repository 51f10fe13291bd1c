"""Bad input gets a ValueError naming the argument, the value and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

import nncore
from tests.nncore.helpers import mlp

X = np.random.default_rng(0).normal(size=(10, 3))
Y = np.arange(10) % 2


def binary_model() -> nncore.Sequential:
    return mlp([3, 4, 1], "relu", "sigmoid", seed=0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: nncore.Dense(3, 0), r"n_units must be a whole number >= 1; got 0"),
        (lambda: nncore.Dense(-2, 3), r"n_inputs must be a whole number >= 1; got -2"),
        (lambda: nncore.Dense(3, 2.5), r"n_units must be a whole number >= 1; got 2.5"),
        (lambda: nncore.Dense(3, 2, activation="relu6"),
         r"activation must be one of 'identity', 'sigmoid'.*; got 'relu6'"),
        (lambda: nncore.Dense(3, 2, init="uniform"), r"init must be one of .*; got 'uniform'"),
        (lambda: nncore.SGD(lr=-0.1), r"lr must be a finite number in \(0, inf\); got -0.1"),
        (lambda: nncore.SGD(lr=float("nan")), r"lr must be a finite number .*; got nan"),
        (lambda: nncore.SGD(lr=0.1, momentum=1.0), r"momentum must be .* in \[0, 1\); got 1.0"),
        (lambda: nncore.SGD(lr=0.1, nesterov=True), r"nesterov=True needs momentum > 0"),
        (lambda: nncore.Adam(beta1=1.5), r"beta1 must be .* in \[0, 1\); got 1.5"),
        (lambda: nncore.Adam(eps=0), r"eps must be .*; got 0"),
        (lambda: nncore.Sequential([]), r"layers must hold at least one Dense layer"),
        (lambda: nncore.Sequential([nncore.Dense(3, 4), nncore.Dense(5, 1)]),
         r"layers\[1\].n_inputs is 5 but layers\[0\] has 4 units"),
        (lambda: nncore.Sequential([nncore.Dense(3, 4, "softmax"), nncore.Dense(4, 2)]),
         r"layers\[0\] uses 'softmax', which is allowed only in the output layer"),
        (lambda: nncore.Sequential([nncore.Dense(3, 1)], dtype="float16"),
         r"dtype must be 'float32', 'float64' or None; got 'float16'"),
        (lambda: nncore.Sequential([nncore.Dense(3, 1)], seed=-1),
         r"seed must be a whole number >= 0; got -1"),
        (lambda: nncore.get_optimizer("rmsprop"), r"optimizer must be one of 'sgd', 'adam'"),
        (lambda: nncore.get_loss("hinge"), r"loss must be one of .*'log_loss'; got 'hinge'"),
        (lambda: nncore.Perceptron(2, lr=0), r"lr must be a finite number in \(0, inf\); got 0"),
        (lambda: nncore.EarlyStopping(patience=0), r"patience must be a whole number >= 1; got 0"),
    ],
)
def test_constructors_reject_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, r"epochs must be a whole number >= 1; got 0"),
        ({"epochs": 2.5}, r"epochs must be a whole number >= 1; got 2.5"),
        ({"batch_size": 0}, r"batch_size must be a whole number >= 1 or None; got 0"),
        ({"l2": -1.0}, r"l2 must be a finite number in \[0, inf\); got -1.0"),
        ({"loss": "hinge"}, r"loss must be one of"),
        ({"loss": "cross_entropy"},
         r"loss 'cross_entropy' needs a 'softmax' output layer; the model's output activation "
         r"is 'sigmoid'"),
        ({"optimizer": "rmsprop"}, r"optimizer must be one of"),
        ({"callbacks": [print]}, r"callbacks must be nncore.Callback instances"),
        ({"validation_data": (X,)}, r"validation_data must be a pair \(X_val, y_val\)"),
        ({"validation_data": (X[:, :2], Y)}, r"X_val has 2 features but the model expects 3"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        binary_model().fit(X, Y, **kwargs)


def test_wrong_shapes_are_named():
    model = binary_model()
    with pytest.raises(ValueError, match=r"X must be a 2-D array \(samples x features\); got shape \(10,\)"):
        model.fit(X[:, 0], Y)
    with pytest.raises(ValueError, match=r"X has 2 features but the model expects 3; got shape \(10, 2\)"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match=r"y has 9 rows but X has 10"):
        model.fit(X, Y[:9])
    with pytest.raises(ValueError, match=r"X must have at least one row"):
        model.predict(np.empty((0, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_located(bad):
    Xb = X.copy()
    Xb[4, 2] = bad
    with pytest.raises(ValueError, match=r"X must be finite; found 1 NaN or infinite value\(s\), "
                                         r"the first at row 4, column 2"):
        binary_model().fit(Xb, Y)
    with pytest.raises(ValueError, match=r"y must be finite"):
        binary_model().fit(X, np.where(Y == 1, np.nan, 0))


def test_non_numeric_input_is_refused():
    with pytest.raises(ValueError, match=r"X must be numeric; got an array of dtype <U1"):
        binary_model().fit(np.full((10, 3), "a"), Y)


def test_labels_that_do_not_fit_the_output_layer():
    with pytest.raises(ValueError, match=r"y has the value 2 but a sigmoid output needs targets in "
                                         r"\[0, 1\].*use a softmax output"):
        binary_model().fit(X, np.arange(10) % 3)
    softmax = mlp([3, 4, 3], "relu", "softmax")
    with pytest.raises(ValueError, match=r"y has class label 3 but the softmax output layer has 3 "
                                         r"units \(labels 0..2 allowed\)"):
        softmax.fit(X, np.arange(10) % 4)
    with pytest.raises(ValueError, match=r"y must hold integer class labels 0..2"):
        softmax.fit(X, np.linspace(0, 2, 10))
    with pytest.raises(ValueError, match=r"y has 2 columns but the output layer has 3 units"):
        softmax.fit(X, np.eye(2)[Y])
    with pytest.raises(ValueError, match=r"y has 2 target column\(s\) but the output layer has 1"):
        nncore.Sequential([nncore.Dense(3, 1)]).fit(X, np.ones((10, 2)))


def test_step_networks_cannot_be_trained_by_backprop():
    model = nncore.Sequential([nncore.Dense(3, 2, "step"), nncore.Dense(2, 1, "sigmoid")])
    with pytest.raises(ValueError, match=r"'step' activations cannot be trained.*Perceptron"):
        model.fit(X, Y)
    # but it still computes: step(X W1 + b1), then the sigmoid unit thresholded at 0.5
    (W1, b1), (W2, b2) = [(layer.W, layer.b) for layer in model.layers]
    hidden = (X @ W1 + b1 >= 0).astype(float)
    expected = (1 / (1 + np.exp(-(hidden @ W2 + b2)[:, 0])) >= 0.5).astype(int)
    assert model.predict(X).tolist() == expected.tolist()


def test_a_layer_cannot_belong_to_two_models():
    layer = nncore.Dense(3, 1)
    nncore.Sequential([layer])
    with pytest.raises(ValueError, match=r"layers\[0\] already belongs to a model"):
        nncore.Sequential([layer])


def test_assigning_weights_checks_the_shape():
    model = binary_model()
    model.layers[0].W = np.ones((3, 4))
    assert model.layers[0].W.sum() == 12 and model.parameters[:12].sum() == 12
    with pytest.raises(ValueError, match=r"W must have shape \(3, 4\); got shape \(4, 3\)"):
        model.layers[0].W = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"W does not exist until the layer is part of a Sequential"):
        nncore.Dense(2, 2).W = np.ones((2, 2))
