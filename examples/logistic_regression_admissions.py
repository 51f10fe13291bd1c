"""Logistic regression on the student admissions data, as the course lesson does it.

What this teaches (LESSONS.md sections 4 and 7):

1. The lesson's preprocessing: one-hot encode ``rank`` (1-4), scale ``gre / 800`` and
   ``gpa / 4.0`` so every feature lies in [0, 1].
2. Logistic regression is a network with no hidden layer: one sigmoid unit trained on
   log-loss. Its gradient for one point is ``-(y - y_hat) x``, the perceptron trick with
   the step replaced by a continuous error.
3. Reading the training loss every few epochs, then judging the model on held-out data
   against the majority-class baseline (predict "not admitted" for everyone: 0.6825).
   Logistic regression and small networks land around 0.70-0.75; a model far above that
   on a fair split would be leaking.

Run it with ``python examples/logistic_regression_admissions.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

import nncore

CSV = Path(__file__).resolve().parents[1] / "experiments" / "data" / "student_admissions.csv"


def load_admissions(path: Path = CSV) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read the CSV and apply the course preprocessing.

    Returns
    -------
    X : ndarray of shape (400, 6)
        ``gre/800``, ``gpa/4``, ``rank_1`` .. ``rank_4``.
    y : ndarray of shape (400,)
        ``admit`` (0 or 1).
    names : list of str
        The feature names.
    """
    data = pd.read_csv(path)
    features = pd.concat(
        [data[["gre", "gpa"]], pd.get_dummies(data["rank"], prefix="rank", dtype=float)],
        axis=1,
    )
    features["gre"] = features["gre"] / 800.0
    features["gpa"] = features["gpa"] / 4.0
    return features.to_numpy(dtype=float), data["admit"].to_numpy(), list(features.columns)


def main() -> None:
    """Train, report the loss every 100 epochs, and evaluate on a held-out 10%."""
    X, y, names = load_admissions()
    print(f"{len(y)} applicants, features {names}, admitted {y.mean():.2%}")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.1, random_state=42, stratify=y
    )

    model = nncore.Sequential([nncore.Dense(X.shape[1], 1, "sigmoid")], seed=0)
    print(model.summary())

    def report(model: nncore.Sequential, epoch: int, logs: dict[str, float]) -> None:
        if epoch % 100 == 0:
            print(f"epoch {epoch:4d}  train loss {logs['train_loss']:.4f}  "
                  f"train accuracy {logs['train_accuracy']:.3f}")

    model.fit(
        X_train, y_train, optimizer=nncore.SGD(lr=0.5, momentum=0.9), epochs=1000,
        batch_size=None, callbacks=[nncore.LambdaCallback(on_epoch_end=report)],
    )

    test_accuracy = nncore.accuracy(y_test, model.predict(X_test))
    majority = max(np.mean(y_test == 0), np.mean(y_test == 1))
    weights = ", ".join(
        f"{name} {w:+.3f}" for name, w in zip(names, model.layers[0].W[:, 0], strict=True)
    )
    print(f"weights: {weights}; bias {model.layers[0].b[0]:+.3f}")
    print(f"test accuracy: {test_accuracy:.3f} on {len(y_test)} held-out applicants")
    print(f"majority-class baseline on the same split: {majority:.3f}")


if __name__ == "__main__":
    main()
