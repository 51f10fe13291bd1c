"""Predicting from raw columns with an nncore model and its fitted preprocessing.

Imports only numpy, pandas and nncore (the MLflow pyfunc model and the dashboard share it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import nncore
from experiments.preprocessing import Preprocessor

__all__ = ["predict_frame"]


def predict_frame(model: Any, preprocessor: Preprocessor, frame: Any) -> pd.DataFrame:
    """Predict from raw columns with an nncore model and its preprocessing.

    Parameters
    ----------
    model : nncore.Sequential or nncore.Perceptron
        The trained model.
    preprocessor : Preprocessor
        The preprocessing fitted at training time.
    frame : DataFrame, dict of columns or list of row dicts
        Raw feature columns; extra columns are ignored.

    Returns
    -------
    DataFrame
        Classification: ``prediction`` (the original label) and one
        ``probability_<label>`` column per class (a perceptron gives no
        probabilities). Regression: ``prediction`` in the target's units.
    """
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    X = preprocessor.transform(frame)
    target = preprocessor.target
    if target.task == "regression":
        raw = np.asarray(model.forward(X), dtype=np.float64)
        return pd.DataFrame(
            {"prediction": preprocessor.decode_regression(raw.reshape(len(X), -1)[:, 0])}
        )
    labels = list(target.labels)
    out = pd.DataFrame(index=range(len(X)))
    if isinstance(model, nncore.Perceptron):  # hard decisions only, no probabilities
        idx = np.asarray(model.predict(X), dtype=np.int64)
        out["prediction"] = _take(labels, idx)
        return out
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    if proba.shape[1] == 1:
        proba = np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
    idx = np.asarray(model.predict(X), dtype=np.int64).reshape(-1)
    out["prediction"] = _take(labels, idx)
    for k, label in enumerate(labels):
        out[f"probability_{label}"] = proba[:, k]
    return out


def _take(labels: list[Any], idx: np.ndarray) -> Any:
    if all(isinstance(v, int) for v in labels):
        return np.asarray(labels, dtype=np.int64)[idx]
    return np.asarray([str(v) for v in labels], dtype=object)[idx]
