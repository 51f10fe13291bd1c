"""Scoring a trained model on a dataset, and the decision-boundary grid of 2-D sets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import nncore
from experiments.datasets import Dataset
from experiments.prediction import predict_frame

__all__ = ["decision_grid", "evaluate_model", "predict_frame"]


def evaluate_model(model: Any, dataset: Dataset) -> dict[str, float]:
    """Loss and accuracy (or RMSE in the target's units) on both splits.

    Parameters
    ----------
    model : nncore.Sequential or nncore.Perceptron
        A trained model.
    dataset : Dataset
        The data it was trained on (its preprocessing converts RMSE to the
        target's units, :meth:`TargetEncoding.rmse_in_target_units`).

    Returns
    -------
    dict
        ``train_loss``, ``val_loss`` and ``train_accuracy``/``val_accuracy``
        (classification) or ``train_rmse``/``val_rmse`` (regression). A perceptron
        has no loss: accuracies only.
    """
    target = dataset.preprocessor.target
    out: dict[str, float] = {}
    for split, X, y in (("train", dataset.X_train, dataset.y_train),
                        ("val", dataset.X_val, dataset.y_val)):
        if isinstance(model, nncore.Perceptron):
            out[f"{split}_accuracy"] = float(nncore.accuracy(y, model.predict(X)))
            continue
        for key, value in model.evaluate(X, y).items():
            out[f"{split}_{key}"] = (target.rmse_in_target_units(value) if key == "rmse"
                                     else float(value))
    return out


def decision_grid(model: Any, dataset: Dataset, resolution: int = 50,
                  margin: float = 0.1) -> pd.DataFrame:
    """Predictions over a grid covering a 2-D dataset (raw coordinates).

    Parameters
    ----------
    model : nncore.Sequential or nncore.Perceptron
    dataset : Dataset
        Must have two numeric raw features (``dataset.is_2d``).
    resolution : int
        Grid points per axis.
    margin : float
        Extra space around the data, as a fraction of each axis' range.

    Returns
    -------
    DataFrame
        One row per grid point: the two raw feature columns, ``prediction`` and
        ``probability_<label>`` per class (none for a perceptron) — tidy, ready
        for a heatmap.
    """
    if not dataset.is_2d:
        raise ValueError(f"dataset {dataset.name!r} is not two-dimensional")
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2; got {resolution}")
    raw = pd.concat([dataset.raw_train, dataset.raw_val], ignore_index=True)
    a, b = dataset.raw_feature_names
    axes = []
    for name in (a, b):
        lo, hi = float(raw[name].min()), float(raw[name].max())
        pad = (hi - lo) * margin or 1.0
        axes.append(np.linspace(lo - pad, hi + pad, resolution))
    gx, gy = np.meshgrid(axes[0], axes[1])
    grid = pd.DataFrame({a: gx.ravel(), b: gy.ravel()})
    predictions = predict_frame(model, dataset.preprocessor, grid)
    return pd.concat([grid, predictions], axis=1)
