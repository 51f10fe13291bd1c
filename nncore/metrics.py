"""Metrics on predictions: accuracy, RMSE and the confusion matrix."""

from __future__ import annotations

import numpy as np


def _pair(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"y_true has {t.shape[0]} rows but y_pred has {p.shape[0]}")
    if t.shape[0] == 0:
        raise ValueError("y_true and y_pred must not be empty")
    return t, p


def accuracy(y_true: object, y_pred: object) -> float:
    """Fraction of predictions equal to the labels (rows must match whole for 2-D labels)."""
    t, p = _pair(y_true, y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    equal = t == p
    if equal.ndim > 1:
        equal = equal.all(axis=tuple(range(1, equal.ndim)))
    return float(np.mean(equal))


def rmse(y_true: object, y_pred: object) -> float:
    """Root mean squared error over all elements."""
    t, p = _pair(y_true, y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    diff = p.astype(np.float64) - t.astype(np.float64)
    return float(np.sqrt(np.mean(diff * diff)))


def confusion_matrix(y_true: object, y_pred: object, n_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of samples with true class ``i`` predicted as class ``j``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Integer class labels ``0..n_classes-1``.
    n_classes : int or None
        Defaults to one more than the largest label seen.
    """
    t, p = _pair(y_true, y_pred)
    t, p = t.astype(np.intp).ravel(), p.astype(np.intp).ravel()
    if (t < 0).any() or (p < 0).any():
        raise ValueError("class labels must be >= 0")
    k = int(max(t.max(), p.max())) + 1 if n_classes is None else int(n_classes)
    if t.max() >= k or p.max() >= k:
        raise ValueError(f"labels go up to {max(t.max(), p.max())} but n_classes is {k}")
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)
