"""The perceptron trick and algorithm (LESSONS.md section 1)."""

from __future__ import annotations

import numpy as np
import pytest

import nncore
from tests.nncore.helpers import XOR_X, XOR_Y


@pytest.mark.parametrize(
    ("w", "b", "inputs", "truth"),
    [
        ([1, 1], -1.5, XOR_X, [0, 0, 0, 1]),             # AND
        ([1, 1], -0.5, XOR_X, [0, 1, 1, 1]),             # OR
        ([-1], 0.5, np.array([[0.0], [1.0]]), [1, 0]),   # NOT
    ],
)
def test_logical_operators_are_single_perceptrons(w, b, inputs, truth):
    assert nncore.Perceptron.from_weights(w, b).predict(inputs).tolist() == truth


def test_xor_is_a_network_of_perceptrons():
    """XOR(a, b) = AND(OR(a, b), NOT(AND(a, b))): not one perceptron, but three."""
    or_, and_, nand = (nncore.Perceptron.from_weights([1, 1], -0.5),
                       nncore.Perceptron.from_weights([1, 1], -1.5),
                       nncore.Perceptron.from_weights([-1, -1], 1.5))
    hidden = np.column_stack([or_.predict(XOR_X), nand.predict(XOR_X)])
    assert and_.predict(hidden).tolist() == XOR_Y.tolist()


def test_the_trick_moves_the_line_toward_a_misclassified_point():
    p = nncore.Perceptron.from_weights([1.0, 1.0], -10.0)
    p.lr = 0.1
    x = np.array([3.0, 4.0])                     # label 1, predicted 0 (3 + 4 - 10 < 0)
    assert p.update(x, 1) is True
    np.testing.assert_allclose(p.w, [1.3, 1.4])  # w + lr x
    assert p.b == pytest.approx(-9.9)            # b + lr
    assert p.update(np.array([0.0, 0.0]), 0) is False   # right already: nothing moves
    q = nncore.Perceptron.from_weights([1.0, 1.0], 0.0)
    q.lr = 0.5
    assert q.update(np.array([2.0, 1.0]), 0) is True    # label 0 predicted 1: w - lr x
    np.testing.assert_allclose(q.w, [0.0, 0.5])
    assert q.b == pytest.approx(-0.5)


def test_the_algorithm_converges_on_separable_data_and_stops():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(100, 2))
    y = (X[:, 0] + 2 * X[:, 1] > 0.2).astype(int)
    X = X[np.abs(X[:, 0] + 2 * X[:, 1] - 0.2) > 0.1]      # keep a margin
    y = (X[:, 0] + 2 * X[:, 1] > 0.2).astype(int)
    p = nncore.Perceptron(2, lr=0.1, seed=0)
    history = p.fit(X, y, epochs=200)
    assert history.history["train_accuracy"][-1] == 1.0
    assert history.history["train_misclassified"][-1] == 0
    assert len(history) < 200 and history.stop_reason.startswith("converged")


def test_the_algorithm_cannot_solve_xor():
    history = nncore.Perceptron(2, seed=0).fit(XOR_X, XOR_Y, epochs=50)
    assert len(history) == 50 and max(history.history["train_accuracy"]) <= 0.75


def test_perceptron_validates_labels_and_callbacks_can_stop_it():
    with pytest.raises(ValueError, match=r"y must hold labels 0 and 1 for a perceptron; got 2"):
        nncore.Perceptron(2).fit(XOR_X, [0, 1, 2, 0])
    stopper = nncore.LambdaCallback(on_epoch_end=lambda m, e, logs: setattr(m, "stop_training", e == 2))
    history = nncore.Perceptron(2, seed=1).fit(XOR_X, XOR_Y, epochs=50, callbacks=[stopper])
    assert history.epochs == [1, 2] and history.stopped_early
