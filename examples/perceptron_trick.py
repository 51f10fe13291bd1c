"""The perceptron trick, step by step, and perceptrons as logical operators.

What this teaches (LESSONS.md section 1):

1. A perceptron predicts ``step(w . x + b)``: 1 on one side of the line
   ``w1 x1 + w2 x2 + b = 0``, 0 on the other.
2. The perceptron trick moves that line towards a misclassified point:
   label 1 predicted 0 adds ``lr * x`` to ``w`` and ``lr`` to ``b``; label 0 predicted 1
   subtracts them. We print the line after every move until every point is right.
3. AND, OR and NOT are single perceptrons with hand-picked weights.
4. XOR is not linearly separable: the perceptron algorithm never gets all four points
   right, whatever the number of epochs (``xor_hidden_layer.py`` fixes that).

Run it with ``python examples/perceptron_trick.py``.
"""

from __future__ import annotations

import numpy as np

import nncore


def describe_line(p: nncore.Perceptron) -> str:
    """The boundary ``w1 x1 + w2 x2 + b = 0`` as text."""
    w1, w2 = p.w
    return f"{w1:+.2f}*x1 {w2:+.2f}*x2 {p.b:+.2f} = 0"


def perceptron_trick_demo() -> None:
    """Train a perceptron on eight 2-D points, printing every move of the line."""
    X = np.array([
        [1.0, 1.0], [2.0, 1.5], [1.5, 2.5], [3.0, 3.0],   # label 1: upper right
        [-1.0, -0.5], [-2.0, 0.5], [0.0, -1.5], [-1.5, -2.0],  # label 0: lower left
    ])
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    p = nncore.Perceptron(n_inputs=2, lr=0.1, seed=3)
    p.w[...] = [-0.5, 0.2]  # a deliberately bad starting line, so the trick has work to do
    p.b = 0.3
    print("== The perceptron trick on 8 points ==")
    print(f"start: {describe_line(p)}  ({np.sum(p.predict(X) != y)} misclassified)")
    moves = 0
    for epoch in range(1, 21):
        for i in range(len(X)):
            predicted = int(p.predict(X[i : i + 1])[0])
            if p.update(X[i], int(y[i])):
                moves += 1
                sign = "+" if y[i] == 1 else "-"
                print(f"epoch {epoch} move {moves}: point {X[i].tolist()} label {y[i]} "
                      f"predicted {predicted} -> w {sign}= lr*x, b {sign}= lr -> "
                      f"{describe_line(p)}")
        wrong = int(np.sum(p.predict(X) != y))
        if wrong == 0:
            print(f"converged after epoch {epoch} and {moves} moves: every point is right")
            break
    print(f"final line: {describe_line(p)}")


def logic_gates_demo() -> None:
    """AND, OR and NOT as single perceptrons with hand-picked weights."""
    print("\n== Perceptrons as logical operators ==")
    inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    gates = {
        "AND": nncore.Perceptron.from_weights([1.0, 1.0], -1.5),
        "OR": nncore.Perceptron.from_weights([1.0, 1.0], -0.5),
    }
    for name, gate in gates.items():
        outputs = gate.predict(inputs)
        print(f"{name}: w={gate.w.tolist()} b={gate.b}")
        for (a, b), out in zip(inputs.astype(int), outputs, strict=True):
            print(f"  {a} {name} {b} = {out}")
    not_gate = nncore.Perceptron.from_weights([-1.0], 0.5)
    print(f"NOT: w={not_gate.w.tolist()} b={not_gate.b}")
    for a, out in zip((0, 1), not_gate.predict(np.array([[0.0], [1.0]])), strict=True):
        print(f"  NOT {a} = {out}")


def xor_is_not_linear_demo() -> None:
    """The perceptron algorithm cannot get XOR right: no line separates it."""
    print("\n== XOR is not linearly separable ==")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    p = nncore.Perceptron(n_inputs=2, lr=0.1, seed=0)
    history = p.fit(X, y, epochs=100)
    best = max(history.history["train_accuracy"])
    print(f"after {len(history.epochs)} epochs the best accuracy was {best:.2f} "
          "(a line gets at most 3 of the 4 points right); "
          "see xor_hidden_layer.py for the fix")


if __name__ == "__main__":
    perceptron_trick_demo()
    logic_gates_demo()
    xor_is_not_linear_demo()
