"""Softmax on blobs: K classes, K output units, probabilities that sum to 1.

What this teaches (LESSONS.md sections 2, 3 and 6):

1. For K classes the output layer has K ``softmax`` units:
   ``p_k = exp(z_k) / sum_j exp(z_j)``; every row of probabilities sums to 1 and the
   prediction is the class with the largest probability.
2. The labels are integers ``0..K-1``; nncore one-hot encodes them and trains on the
   categorical cross-entropy ``-(1/m) sum_i sum_k y_ik ln p_ik``.
3. Judging a classifier by its accuracy and its confusion matrix on held-out data.

Run it with ``python examples/softmax_blobs.py``.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split

import nncore


def main() -> None:
    """Train a 2-16-3 softmax network on three blobs."""
    X, y = make_blobs(n_samples=600, centers=3, cluster_std=1.5, random_state=7)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    model = nncore.Sequential(
        [nncore.Dense(2, 16, "relu"), nncore.Dense(16, 3, "softmax")], seed=0
    )
    print(model.summary())
    history = model.fit(
        X_train, y_train, optimizer=nncore.Adam(lr=0.01), epochs=100, batch_size=32,
        validation_data=(X_test, y_test),
    )
    h = history.history
    for epoch in (1, 10, 50, 100):
        print(f"epoch {epoch:3d}  train loss {h['train_loss'][epoch - 1]:.4f}  "
              f"val loss {h['val_loss'][epoch - 1]:.4f}  "
              f"val accuracy {h['val_accuracy'][epoch - 1]:.3f}")

    P = model.predict_proba(X_test)
    print("first five test points: probabilities per class (rows sum to 1)")
    for p, label in zip(P[:5], y_test[:5], strict=True):
        print(f"  {np.round(p, 3)}  sum {p.sum():.3f}  predicted {p.argmax()}  true {label}")
    predictions = model.predict(X_test)
    print(f"test accuracy: {nncore.accuracy(y_test, predictions):.3f}")
    print("confusion matrix (rows: true class, columns: predicted class)")
    print(nncore.confusion_matrix(y_test, predictions, n_classes=3))


if __name__ == "__main__":
    main()
