"""nncore.BOUNDS: one table of argument ranges, and every check reads it."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import nncore
from nncore.bounds import check_bound
from tests.nncore.helpers import XOR_X, XOR_Y, mlp

Interval = nncore.Interval


@pytest.mark.parametrize(
    ("interval", "text", "inside", "outside"),
    [
        (Interval(0, None, "neither"), "a finite number in (0, inf)",
         [1e-12, 0.5, 3, np.float32(2.0), 1e300], [0, 0.0, -1, math.inf, math.nan, True, "1", None]),
        (Interval(0, 1, "left"), "a finite number in [0, 1)", [0, 0.0, 0.999], [1, 1.0, -1e-9]),
        (Interval(0, 1, "right"), "a finite number in (0, 1]", [1, 1e-9], [0, 1.5]),
        (Interval(0, 1, "both"), "a finite number in [0, 1]", [0, 1, 0.5], [-0.1, 1.01]),
        (Interval(None, None, "neither"), "a finite number in (-inf, inf)", [-1e9, 0], [math.inf]),
        (Interval(1, None, "left", integer=True), "a whole number >= 1",
         [1, 7, np.int64(3)], [0, 2.0, 2.5, True, math.inf]),
        (Interval(0, None, "neither", integer=True), "a whole number > 0", [1], [0]),
        (Interval(None, 5, "right", integer=True), "a whole number <= 5", [5, -3], [6]),
        (Interval(1, 10, "both", integer=True), "a whole number in [1, 10]", [1, 10], [0, 11]),
        (Interval(None, None, "neither", integer=True), "a whole number", [-4], [0.5]),
    ],
)
def test_interval_contains_and_describes(interval, text, inside, outside):
    assert interval.describe() == text
    for value in inside:
        assert interval.contains(value), value
        cleaned = interval.check("x", value)
        assert cleaned == value and type(cleaned) is (int if interval.integer else float)
    for value in outside:
        assert not interval.contains(value), value
        with pytest.raises(ValueError, match=rf"^x must be {re.escape(text)}; got "):
            interval.check("x", value)


def test_check_messages_name_the_argument_the_value_and_the_range():
    with pytest.raises(ValueError, match=r"^lr must be a finite number in \(0, inf\); got 0$"):
        nncore.BOUNDS["SGD.lr"].check("lr", 0)
    with pytest.raises(ValueError,
                       match=r"^batch_size must be a whole number >= 1 or None; got 0$"):
        check_bound("fit.batch_size", 0, allow_none=True)
    assert check_bound("fit.batch_size", None, allow_none=True) is None
    with pytest.raises(ValueError, match=r"got None$"):
        check_bound("fit.batch_size", None)


def test_intervals_refuse_nonsense():
    with pytest.raises(ValueError, match="closed must be one of"):
        Interval(0, 1, "open")
    with pytest.raises(ValueError, match="low must be <= high"):
        Interval(2, 1, "both")
    with pytest.raises(AttributeError):
        nncore.BOUNDS["SGD.lr"].low = 1    # frozen: a shared range cannot be changed by accident


def test_the_table_keeps_todays_ranges():
    b = nncore.BOUNDS
    assert b["SGD.lr"] == b["Adam.lr"] == b["Perceptron.lr"] == Interval(0, None, "neither")
    assert b["SGD.momentum"] == b["Adam.beta1"] == b["Adam.beta2"] == Interval(0, 1, "left")
    assert b["Adam.eps"] == Interval(0, None, "neither")
    assert b["fit.l2"] == b["EarlyStopping.min_delta"] == Interval(0, None, "left")
    whole = Interval(1, None, "left", integer=True)
    assert b["fit.epochs"] == b["fit.batch_size"] == b["EarlyStopping.patience"] == whole
    assert b["Dense.n_units"] == whole
    assert b["seed"] == Interval(0, None, "left", integer=True)
    assert b["StepDecay.decay_rate"] == b["ExponentialDecay.decay_rate"] == Interval(0, 1, "right")
    assert b["StepDecay.decay_epochs"] == b["ExponentialDecay.decay_epochs"] == whole
    assert b["CosineDecay.min_factor"] == Interval(0, 1, "both")


class PlainOptimizer(nncore.Optimizer):
    """An optimizer of a user's: its lr is checked against BOUNDS["Optimizer.lr"]."""

    name = "plain"


# Every key, with the nncore calls that check it; GOOD holds a value they accept today.
CALLS = {
    "SGD.lr": lambda v: nncore.SGD(lr=v),
    "SGD.momentum": lambda v: nncore.SGD(momentum=v),
    "Adam.lr": lambda v: nncore.Adam(lr=v),
    "Adam.beta1": lambda v: nncore.Adam(beta1=v),
    "Adam.beta2": lambda v: nncore.Adam(beta2=v),
    "Adam.eps": lambda v: nncore.Adam(eps=v),
    "Optimizer.lr": lambda v: PlainOptimizer(lr=v),
    "fit.epochs": lambda v: mlp([2, 1], "tanh", "sigmoid").fit(XOR_X, XOR_Y, epochs=v),
    "fit.batch_size": lambda v: mlp([2, 1], "tanh", "sigmoid").fit(XOR_X, XOR_Y, epochs=1,
                                                                  batch_size=v),
    "fit.l2": lambda v: mlp([2, 1], "tanh", "sigmoid").fit(XOR_X, XOR_Y, epochs=1, l2=v),
    "EarlyStopping.patience": lambda v: nncore.EarlyStopping(patience=v),
    "EarlyStopping.min_delta": lambda v: nncore.EarlyStopping(min_delta=v),
    "Dense.n_inputs": lambda v: nncore.Dense(v, 2),
    "Dense.n_units": lambda v: nncore.Dense(2, v),
    "Perceptron.n_inputs": lambda v: nncore.Perceptron(v),
    "Perceptron.lr": lambda v: nncore.Perceptron(2, lr=v),
    "seed": (lambda v: nncore.Sequential([nncore.Dense(2, 1)], seed=v),
             lambda v: nncore.Perceptron(2, seed=v)),
    "StepDecay.decay_rate": lambda v: nncore.StepDecay(decay_rate=v),
    "StepDecay.decay_epochs": lambda v: nncore.StepDecay(decay_epochs=v),
    "ExponentialDecay.decay_rate": lambda v: nncore.ExponentialDecay(decay_rate=v),
    "ExponentialDecay.decay_epochs": lambda v: nncore.ExponentialDecay(decay_epochs=v),
    "CosineDecay.min_factor": lambda v: nncore.CosineDecay(min_factor=v),
    "check_gradients.eps": lambda v: nncore.check_gradients(mlp([2, 1], "tanh", "sigmoid"),
                                                            XOR_X, XOR_Y, eps=v),
}
GOOD = {"SGD.momentum": 0.5, "Adam.beta1": 0.5, "Adam.beta2": 0.5, "Adam.eps": 1e-8,
        "fit.l2": 0.5, "EarlyStopping.min_delta": 0.5, "seed": 3, "fit.batch_size": 3,
        "StepDecay.decay_rate": 0.5, "ExponentialDecay.decay_rate": 0.5,
        "CosineDecay.min_factor": 0.5, "check_gradients.eps": 1e-6, "fit.epochs": 3,
        "EarlyStopping.patience": 3, "StepDecay.decay_epochs": 3,
        "ExponentialDecay.decay_epochs": 3, "Dense.n_inputs": 3, "Dense.n_units": 3,
        "Perceptron.n_inputs": 3}


def test_every_key_has_a_call():
    assert set(CALLS) == set(nncore.BOUNDS)


@pytest.mark.parametrize("key", sorted(CALLS))
def test_every_check_reads_its_range_from_the_table(key, monkeypatch):
    """Narrow one range in BOUNDS: the nncore call that takes the argument follows it."""
    good = GOOD.get(key, 0.1)
    calls = CALLS[key] if isinstance(CALLS[key], tuple) else (CALLS[key],)
    assert nncore.BOUNDS[key].contains(good)
    for call in calls:
        call(good)                                                   # accepted today
    narrowed = Interval(good, None, "neither", integer=nncore.BOUNDS[key].integer)
    monkeypatch.setitem(nncore.BOUNDS, key, narrowed)
    also = " or None" if key == "fit.batch_size" else ""
    message = f"{key.rpartition('.')[2]} must be {narrowed.describe()}{also}; got {good!r}"
    for call in calls:
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            call(good)
