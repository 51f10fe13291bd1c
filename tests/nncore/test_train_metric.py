"""``fit(train_metric=False)``: the same training without the training accuracy or RMSE."""

from __future__ import annotations

import numpy as np
import pytest

import nncore
from tests.nncore.helpers import XOR_X, XOR_Y, admissions, mlp


@pytest.mark.parametrize(("output", "batch_size"), [("sigmoid", None), ("softmax", 16),
                                                    ("identity", 7)])
def test_without_the_training_metric_the_weights_and_losses_are_the_same(output, batch_size):
    X, y = admissions()
    if output == "softmax":
        y = (X[:, 1] * 3).astype(int).clip(0, 2)
    elif output == "identity":
        y = X[:, 0] * 2.0
    k = 3 if output == "softmax" else 1
    runs = {}
    for train_metric in (True, False):
        model = mlp([6, 5, k], "relu", output, seed=4)
        history = model.fit(X[:300], y[:300], optimizer=nncore.SGD(lr=0.05, momentum=0.9),
                            epochs=4, batch_size=batch_size, validation_data=(X[300:], y[300:]),
                            train_metric=train_metric)
        runs[train_metric] = (model.parameters.copy(), history.history)
    (with_params, with_metric), (without_params, without_metric) = runs[True], runs[False]
    np.testing.assert_array_equal(without_params, with_params)
    metric = "rmse" if output == "identity" else "accuracy"
    assert list(with_metric) == ["train_loss", f"train_{metric}", "val_loss", f"val_{metric}"]
    assert list(without_metric) == ["train_loss", "val_loss", f"val_{metric}"]
    for key, values in without_metric.items():
        assert values == with_metric[key], key


def test_without_the_training_metric_a_stuck_network_is_not_a_divergence():
    # With the training accuracy this run stops at epoch 2 (test_training's XOR case).
    model = mlp([2, 4, 1], "tanh", "sigmoid", seed=0)
    history = model.fit(XOR_X, XOR_Y, loss="binary_cross_entropy",
                        optimizer=nncore.SGD(lr=1e6), epochs=5, train_metric=False)
    assert history.epochs == [1, 2, 3, 4, 5]


def test_without_the_training_metric_a_non_finite_loss_still_diverges():
    model = mlp([3, 1], "identity", "identity", seed=0)
    X = np.random.default_rng(0).standard_normal((20, 3)) * 100
    with pytest.raises(nncore.TrainingDiverged):
        model.fit(X, X[:, 0] * 50, optimizer=nncore.SGD(lr=1.0), epochs=200, train_metric=False)
    assert np.isfinite(model.parameters).all()


@pytest.mark.parametrize("bad", [None, 1, "yes"])
def test_train_metric_must_be_a_bool(bad):
    with pytest.raises(ValueError, match="train_metric must be True or False"):
        mlp([2, 1], "identity", "sigmoid").fit(XOR_X, XOR_Y, epochs=1, train_metric=bad)


class BreakAWeight(nncore.Callback):
    """Puts ``value`` into one weight after the batch of epoch ``epoch``."""

    def __init__(self, epoch: int, value: float) -> None:
        self.epoch, self.value = epoch, value

    def on_batch_end(self, model, batch, logs) -> None:
        if logs["epoch"] == self.epoch:
            model.parameters[1] = self.value


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("train_metric", [True, False])
def test_a_weight_that_is_not_finite_is_a_divergence(value, train_metric):
    # The epoch's loss was computed before the weight broke: only the weight check sees it.
    model = mlp([2, 3, 1], "tanh", "sigmoid", seed=0)
    good = []
    with pytest.raises(nncore.TrainingDiverged, match="a weight became infinite or NaN") as info:
        model.fit(XOR_X, XOR_Y, optimizer=nncore.SGD(lr=0.1), epochs=5, train_metric=train_metric,
                  callbacks=[nncore.LambdaCallback(
                      on_epoch_end=lambda m, e, logs: good.append(m.parameters.copy())),
                      BreakAWeight(3, value)])
    assert info.value.epoch == 3
    np.testing.assert_array_equal(model.parameters, good[-1])   # the weights of epoch 2
