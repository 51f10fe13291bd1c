"""One table of task -> output activation and loss <-> output pairing (nncore.tasks)."""

from __future__ import annotations

import numpy as np
import pytest

import nncore
from tests.nncore.helpers import mlp


def test_each_task_has_its_output_and_each_output_its_loss():
    assert nncore.TASK_OUTPUT == {"binary": "sigmoid", "multiclass": "softmax",
                                  "regression": "identity"}
    assert nncore.matched_loss("sigmoid") == "binary_cross_entropy"
    assert nncore.matched_loss("softmax") == "cross_entropy"
    for other in ("identity", "tanh", "relu", "leaky_relu"):
        assert nncore.matched_loss(other) == "mse"


@pytest.mark.parametrize("task", sorted(nncore.TASK_OUTPUT))
def test_the_default_output_of_a_task_suits_it_and_its_matched_loss_suits_the_output(task):
    out = nncore.TASK_OUTPUT[task]
    nncore.check_output_for_task(task, out, n_classes=3)
    nncore.check_loss_for_output(nncore.matched_loss(out), out)


@pytest.mark.parametrize(
    ("task", "output", "n_classes", "message"),
    [
        ("binary", "step", None,
         "the step function has no gradient; use the perceptron or a sigmoid/softmax output"),
        ("regression", "step", None, "the step function has no gradient"),
        ("binary", "identity", None, "a binary task needs 'sigmoid' (or 'softmax')"),
        ("binary", "tanh", None, "a binary task needs 'sigmoid' (or 'softmax')"),
        ("multiclass", "sigmoid", 3, "a task with 3 classes needs 'softmax'"),
        ("multiclass", "identity", None, "a multiclass task needs 'softmax'"),
        ("regression", "sigmoid", None,
         "a regression task needs 'identity' (or another unbounded activation)"),
        ("regression", "softmax", None, "a regression task needs 'identity'"),
        ("ranking", "sigmoid", None,
         "task must be one of 'binary', 'multiclass', 'regression'; got 'ranking'"),
        ("binary", "sigmoid6", None, "activation must be one of"),
    ],
)
def test_outputs_that_do_not_suit_the_task(task, output, n_classes, message):
    with pytest.raises(ValueError) as info:
        nncore.check_output_for_task(task, output, n_classes=n_classes)
    text = str(info.value)
    assert text.startswith(message) and "\n" not in text
    assert "output_activation" not in text          # the caller adds the setting's name


@pytest.mark.parametrize(
    ("task", "output"),
    [("binary", "sigmoid"), ("binary", "softmax"), ("multiclass", "softmax"),
     ("regression", "identity"), ("regression", "tanh"), ("regression", "relu")],
)
def test_outputs_that_suit_the_task(task, output):
    assert nncore.check_output_for_task(task, output) is None


@pytest.mark.parametrize(
    ("loss", "output", "message"),
    [
        ("cross_entropy", "sigmoid", "needs a softmax output layer; the output is 'sigmoid'"),
        ("binary_cross_entropy", "softmax",
         "needs a sigmoid output layer; the output is 'softmax'"),
        ("log_loss", "identity", "needs a sigmoid output layer; the output is 'identity'"),
        ("hinge", "sigmoid", "loss must be one of"),
    ],
)
def test_losses_that_need_another_output(loss, output, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        nncore.check_loss_for_output(loss, output)


@pytest.mark.parametrize(
    ("loss", "output"),
    [("mse", "sigmoid"), ("mse", "softmax"), ("mse", "identity"), ("log_loss", "sigmoid"),
     ("binary_cross_entropy", "sigmoid"), ("cross_entropy", "softmax")],
)
def test_losses_that_suit_the_output(loss, output):
    assert nncore.check_loss_for_output(loss, output) is None


def test_sequential_resolves_and_checks_losses_with_the_same_table(monkeypatch):
    X, y = np.zeros((4, 2)), np.array([0, 1, 1, 0])
    model = mlp([2, 3, 1], "tanh", "sigmoid")
    assert model.resolve_loss(None).name == nncore.matched_loss("sigmoid")
    assert mlp([2, 3], "tanh", "softmax").resolve_loss(None).name == "cross_entropy"
    assert mlp([2, 1], "tanh", "tanh").resolve_loss(None).name == "mse"
    with pytest.raises(ValueError, match="loss 'cross_entropy' needs a 'softmax' output"):
        model.fit(X, y, loss="cross_entropy", epochs=1)
    # change the table, and Sequential follows it
    monkeypatch.delitem(nncore.tasks.MATCHED_LOSS, "softmax")
    assert mlp([2, 3], "tanh", "softmax").resolve_loss(None).name == "mse"
    model.fit(X, y, loss="cross_entropy", epochs=1)      # no longer tied to a softmax output
