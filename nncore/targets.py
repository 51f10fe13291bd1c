"""Turning the ``y`` a user passes into the target matrix an output layer needs.

- sigmoid outputs: a vector of 0/1 labels (one unit) or an ``(n, K)`` matrix in [0, 1]
- softmax outputs: integer class labels ``0..K-1`` or a one-hot ``(n, K)`` matrix
- any other output (regression): a vector (one unit) or an ``(n, K)`` matrix of targets
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nncore._checks import all_finite

CLASSIFIER_OUTPUTS = frozenset({"sigmoid", "softmax", "step"})


class Targets(NamedTuple):
    """Targets ready for training.

    Attributes
    ----------
    Y : ndarray of shape (n, K)
        The target matrix in the model's dtype.
    labels : ndarray of shape (n,) or None
        Integer class labels when the task is classification with hard labels.
    """

    Y: np.ndarray
    labels: np.ndarray | None


def encode_targets(
    y: object, *, n_rows: int, n_outputs: int, output_activation: str, dtype: np.dtype,
    name: str = "y",
) -> Targets:
    """Validate ``y`` against the output layer and return the target matrix and labels."""
    arr = np.asarray(y)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be numeric; got an array of dtype {arr.dtype}")
    if arr.ndim == 2 and arr.shape[1] == 1 and n_outputs == 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be a vector or a 2-D matrix; got shape {arr.shape}")
    if arr.shape[0] != n_rows:
        raise ValueError(f"{name} has {arr.shape[0]} rows but X has {n_rows}")
    if not all_finite(arr):
        raise ValueError(f"{name} must be finite; it has {int((~np.isfinite(arr)).sum())} "
                         "NaN or infinite value(s)")
    if output_activation == "softmax":
        return _softmax_targets(arr, n_outputs, dtype, name)
    if output_activation in CLASSIFIER_OUTPUTS:
        return _sigmoid_targets(arr, n_outputs, dtype, name)
    return _regression_targets(arr, n_outputs, dtype, name)


def _softmax_targets(arr: np.ndarray, k: int, dtype: np.dtype, name: str) -> Targets:
    if arr.ndim == 1:
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer class labels 0..{k - 1} for a softmax "
                             "output; got non-integer values")
        labels = arr.astype(np.intp)
        bad = labels[(labels < 0) | (labels >= k)]
        if bad.size:
            raise ValueError(
                f"{name} has class label {bad[0]} but the softmax output layer has {k} units "
                f"(labels 0..{k - 1} allowed)"
            )
        Y = np.zeros((arr.shape[0], k), dtype=dtype)
        Y[np.arange(arr.shape[0]), labels] = 1.0
        return Targets(Y, labels)
    if arr.shape[1] != k:
        raise ValueError(f"{name} has {arr.shape[1]} columns but the output layer has {k} units")
    if (arr < 0).any() or not np.allclose(arr.sum(axis=1), 1.0):
        raise ValueError(f"{name} as a matrix must be one-hot (or probability) rows summing to 1")
    return Targets(np.ascontiguousarray(arr, dtype=dtype), arr.argmax(axis=1))


def _sigmoid_targets(arr: np.ndarray, k: int, dtype: np.dtype, name: str) -> Targets:
    width = 1 if arr.ndim == 1 else arr.shape[1]
    if width != k:
        raise ValueError(
            f"{name} has {width} target column(s) but the sigmoid output layer has {k} units; "
            "use a softmax output for more than two classes"
        )
    if (arr < 0).any() or (arr > 1).any():
        bad = arr[(arr < 0) | (arr > 1)].ravel()[0]
        raise ValueError(
            f"{name} has the value {bad} but a sigmoid output needs targets in [0, 1] "
            "(labels 0 and 1); use a softmax output for more than two classes"
        )
    Y = np.ascontiguousarray(arr.reshape(arr.shape[0], k), dtype=dtype)
    hard = bool(np.all((arr == 0) | (arr == 1)))
    labels = arr.astype(np.intp) if hard and arr.ndim == 1 else None
    return Targets(Y, labels)


def _regression_targets(arr: np.ndarray, k: int, dtype: np.dtype, name: str) -> Targets:
    width = 1 if arr.ndim == 1 else arr.shape[1]
    if width != k:
        raise ValueError(f"{name} has {width} target column(s) but the output layer has {k} units")
    return Targets(np.ascontiguousarray(arr.reshape(arr.shape[0], k), dtype=dtype), None)
