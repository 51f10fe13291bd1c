"""Learning-rate schedules: factors worked out by hand, and fit applying them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import nncore
from tests.nncore.helpers import XOR_X, XOR_Y, admissions, mlp

R2 = math.sqrt(0.5)                              # 0.5 ** (1/2)
C = (1 + math.cos(math.pi / 4)) / 2              # (1 + cos(pi/4)) / 2 = 0.853553...


@pytest.mark.parametrize(
    ("schedule", "epochs", "factors"),
    [
        (nncore.ConstantLR(), 4, [1, 1, 1, 1]),
        # rate ** floor((epoch - 1) / 2)
        (nncore.StepDecay(decay_rate=0.5, decay_epochs=2), 6, [1, 1, 0.5, 0.5, 0.25, 0.25]),
        (nncore.StepDecay(decay_rate=0.1, decay_epochs=1), 3, [1, 0.1, 0.01]),
        (nncore.StepDecay(decay_rate=1.0, decay_epochs=1), 3, [1, 1, 1]),
        # rate ** ((epoch - 1) / 2)
        (nncore.ExponentialDecay(decay_rate=0.5, decay_epochs=2), 5,
         [1, R2, 0.5, 0.5 * R2, 0.25]),
        # t = (epoch - 1) / (epochs - 1) = 0, 1/4, 1/2, 3/4, 1: (1 + cos(pi t)) / 2
        (nncore.CosineDecay(), 5, [1, C, 0.5, 1 - C, 0]),
        # 0.2 + 0.8 * (1, 1/2, 0)
        (nncore.CosineDecay(min_factor=0.2), 3, [1, 0.6, 0.2]),
        (nncore.CosineDecay(min_factor=0.2), 1, [1]),
        (nncore.CosineDecay(min_factor=1.0), 3, [1, 1, 1]),
    ],
)
def test_factors_by_hand(schedule, epochs, factors):
    got = [schedule.factor(epoch, epochs) for epoch in range(1, epochs + 1)]
    np.testing.assert_allclose(got, factors, rtol=1e-15, atol=1e-15)
    assert got[0] == 1.0


def test_cosine_lands_exactly_on_min_factor_and_stays_there():
    schedule = nncore.CosineDecay(min_factor=0.1)
    for epochs in (2, 3, 10, 1000):
        assert schedule.factor(epochs, epochs) == pytest.approx(0.1, abs=1e-15)
        assert schedule.factor(epochs + 5, epochs) == pytest.approx(0.1, abs=1e-15)
    factors = [schedule.factor(e, 50) for e in range(1, 51)]
    assert all(a > b for a, b in itertools.pairwise(factors))   # falls every epoch


def test_registry_configs_and_names():
    classes = {"constant": nncore.ConstantLR, "step": nncore.StepDecay,
               "exponential": nncore.ExponentialDecay, "cosine": nncore.CosineDecay}
    assert classes == nncore.SCHEDULES
    for schedule in (nncore.ConstantLR(), nncore.StepDecay(0.3, 7),
                     nncore.ExponentialDecay(0.9, 2), nncore.CosineDecay(0.05)):
        config = schedule.get_config()
        name = config.pop("name")
        assert nncore.get_schedule(name, **config) == schedule
        assert nncore.SCHEDULES[name] is type(schedule)
    assert nncore.StepDecay(0.3, 7).get_config() == {"name": "step", "decay_rate": 0.3,
                                                     "decay_epochs": 7}
    assert repr(nncore.CosineDecay(0.05)) == "CosineDecay(min_factor=0.05)"
    assert nncore.get_schedule(None) == nncore.ConstantLR()
    cosine = nncore.CosineDecay()
    assert nncore.get_schedule(cosine) is cosine
    assert nncore.get_schedule("step", decay_epochs=3) == nncore.StepDecay(0.5, 3)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: nncore.StepDecay(decay_rate=0), r"decay_rate must be a finite number in \(0, 1\]; got 0"),
        (lambda: nncore.StepDecay(decay_rate=1.5), r"decay_rate must be a finite number in \(0, 1\]; got 1.5"),
        (lambda: nncore.ExponentialDecay(decay_rate=-0.5), r"decay_rate must be a finite number in \(0, 1\]; got -0.5"),
        (lambda: nncore.StepDecay(decay_epochs=0), r"decay_epochs must be a whole number >= 1; got 0"),
        (lambda: nncore.ExponentialDecay(decay_epochs=2.5), r"decay_epochs must be a whole number >= 1; got 2.5"),
        (lambda: nncore.CosineDecay(min_factor=1.5), r"min_factor must be a finite number in \[0, 1\]; got 1.5"),
        (lambda: nncore.CosineDecay(min_factor=float("nan")), r"min_factor must be a finite number in \[0, 1\]; got nan"),
        (lambda: nncore.get_schedule("linear"),
         r"lr_schedule must be one of 'constant', 'step', 'exponential', 'cosine' or a Schedule; got 'linear'"),
        (lambda: mlp([2, 1], "tanh", "sigmoid").fit(XOR_X, XOR_Y, lr_schedule="linear"),
         r"lr_schedule must be one of .*; got 'linear'"),
        (lambda: nncore.Perceptron(2).fit(XOR_X, XOR_Y, lr_schedule=0.5),
         r"lr_schedule must be one of .*; got 0.5"),
    ],
)
def test_bad_arguments_name_the_argument_the_value_and_the_range(build, message):
    with pytest.raises(ValueError, match=message):
        build()


SCHEDULES = [nncore.StepDecay(0.5, 2), nncore.ExponentialDecay(0.7, 1), nncore.CosineDecay(0.1)]
OPTIMIZERS = [lambda: nncore.SGD(lr=0.2, momentum=0.9), lambda: nncore.Adam(lr=0.01)]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
@pytest.mark.parametrize("make_optimizer", OPTIMIZERS, ids=["sgd", "adam"])
def test_a_scheduled_fit_equals_the_same_fit_done_epoch_by_epoch(schedule, make_optimizer):
    X, y = admissions()
    epochs = 6
    scheduled, opt = mlp([6, 8, 1], "relu", "sigmoid", seed=0), make_optimizer()
    base = opt.lr
    history = scheduled.fit(X, y, optimizer=opt, epochs=epochs, batch_size=50,
                            validation_data=(X[:40], y[:40]), lr_schedule=schedule)

    by_hand, hand_opt = mlp([6, 8, 1], "relu", "sigmoid", seed=0), make_optimizer()
    losses = []
    for epoch in range(1, epochs + 1):
        hand_opt.lr = base * schedule.factor(epoch, epochs)
        one = by_hand.fit(X, y, optimizer=hand_opt, epochs=1, batch_size=50,
                          validation_data=(X[:40], y[:40]))
        losses.append(one.history["train_loss"][0])

    np.testing.assert_array_equal(scheduled.parameters, by_hand.parameters)
    assert history.history["train_loss"] == losses
    assert history.history["lr"] == [base * schedule.factor(e, epochs)
                                     for e in range(1, epochs + 1)]
    assert list(history.last()) == ["train_loss", "train_accuracy", "val_loss",
                                    "val_accuracy", "lr"]
    assert opt.lr == base                                    # back at its base value


def test_the_perceptron_follows_a_schedule_like_by_hand():
    scheduled = nncore.Perceptron(2, lr=0.4, seed=3)
    history = scheduled.fit(XOR_X, XOR_Y, epochs=5, lr_schedule=nncore.StepDecay(0.5, 1))
    by_hand = nncore.Perceptron(2, lr=0.4, seed=3)
    for epoch in range(1, 6):
        by_hand.lr = 0.4 * 0.5 ** (epoch - 1)
        by_hand.fit(XOR_X, XOR_Y, epochs=1)
    np.testing.assert_array_equal(scheduled.w, by_hand.w)
    assert scheduled.b == by_hand.b
    assert history.history["lr"] == [0.4, 0.2, 0.1, 0.05, 0.025]
    assert scheduled.lr == 0.4


def test_no_schedule_means_no_lr_log_and_a_constant_lr():
    X, y = admissions()
    opt = nncore.SGD(lr=0.1)
    seen = []
    history = mlp([6, 1], "relu", "sigmoid").fit(
        X, y, optimizer=opt, epochs=3,
        callbacks=[nncore.LambdaCallback(on_epoch_end=lambda m, e, logs: seen.append(opt.lr))])
    assert "lr" not in history.history and seen == [0.1, 0.1, 0.1]
    constant = mlp([6, 1], "relu", "sigmoid").fit(X, y, optimizer=opt, epochs=3,
                                                  lr_schedule="constant")
    assert constant.history["lr"] == [0.1, 0.1, 0.1]


def test_callbacks_see_the_epochs_lr_and_the_schedule():
    X, y = admissions()
    opt = nncore.Adam(lr=0.02)
    during, params = [], {}
    callback = nncore.LambdaCallback(
        on_train_begin=lambda m, p: params.update(p),
        on_epoch_end=lambda m, e, logs: during.append((opt.lr, logs["lr"])))
    mlp([6, 1], "relu", "sigmoid").fit(X, y, optimizer=opt, epochs=3, callbacks=[callback],
                                       lr_schedule=nncore.StepDecay(0.1, 1))
    np.testing.assert_allclose(during, [(0.02, 0.02), (0.002, 0.002), (0.0002, 0.0002)])
    assert params["lr_schedule"] == {"name": "step", "decay_rate": 0.1, "decay_epochs": 1}
    assert params["optimizer"]["lr"] == 0.02 and opt.lr == 0.02


def test_the_lr_is_restored_when_fit_raises():
    X, y = admissions()
    opt = nncore.SGD(lr=0.3)

    def fail_at_three(model, epoch, logs):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mlp([6, 1], "relu", "sigmoid").fit(
            X, y, optimizer=opt, epochs=10, lr_schedule="cosine",
            callbacks=[nncore.LambdaCallback(on_epoch_end=fail_at_three)])
    assert opt.lr == 0.3


def test_divergence_under_a_schedule_names_the_base_lr():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 10
    y = X @ [3.0, -2.0, 1.0] * 100
    opt = nncore.SGD(lr=10.0)
    model = mlp([3, 8, 1], "relu", "identity", seed=0)
    with pytest.raises(nncore.TrainingDiverged, match=r"\(lr=10 now; try 1\)") as info:
        model.fit(X, y, optimizer=opt, epochs=100, lr_schedule=nncore.StepDecay(0.5, 1))
    err = info.value
    assert err.epoch >= 2                        # the epoch's own lr was 10 * 0.5 ** (epoch - 1)
    assert err.history.history["lr"] == [10.0 * 0.5**k for k in range(err.epoch - 1)]
    assert opt.lr == 10.0
