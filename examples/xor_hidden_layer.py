"""XOR with one hidden layer: what a single perceptron cannot do, two layers can.

What this teaches (LESSONS.md sections 5 and 6):

1. XOR is not linearly separable (``perceptron_trick.py`` shows a perceptron failing).
2. A hidden layer combines linear boundaries into a non-linear region: here 4 ``tanh``
   units feed one ``sigmoid`` output, trained by backpropagation on log-loss.
3. Reading what the network learned: the output probability for each of the four
   inputs, and what the hidden layer computes for them (each hidden unit is one line;
   in the hidden units' coordinates XOR becomes linearly separable).

Run it with ``python examples/xor_hidden_layer.py``.
"""

from __future__ import annotations

import numpy as np

import nncore


def main() -> None:
    """Train a 2-4-1 network on XOR and print its answers."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    model = nncore.Sequential(
        [nncore.Dense(2, 4, "tanh"), nncore.Dense(4, 1, "sigmoid")], seed=0
    )
    print(model.summary())
    history = model.fit(X, y, optimizer=nncore.Adam(lr=0.05), epochs=500)
    losses = history.history["train_loss"]
    print(f"loss: epoch 1 {losses[0]:.4f} -> epoch {len(losses)} {losses[-1]:.4f}")

    probabilities = model.predict_proba(X)[:, 0]
    predictions = model.predict(X)
    hidden = np.tanh(X @ model.layers[0].W + model.layers[0].b)
    print("x1 x2 | XOR | P(1)  prediction | hidden layer (tanh)")
    for (a, b), target, p, pred, h in zip(
        X.astype(int), y, probabilities, predictions, hidden, strict=True
    ):
        mark = "right" if pred == target else "WRONG"
        print(f"{a}  {b}  |  {target}  | {p:.3f}     {pred} {mark} | {np.round(h, 2)}")
    print(f"accuracy: {nncore.accuracy(y, predictions):.2f}")


if __name__ == "__main__":
    main()
