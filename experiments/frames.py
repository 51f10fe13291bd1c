"""Tidy frames for charts: what training produces, shaped for drawing.

The dashboard's chart builders (:mod:`ui.charts`) are pure functions from tidy
pandas frames to Altair charts; this module makes those frames, and imports
neither altair nor streamlit (ARCHITECTURE.md):

* :func:`thin` — long curves cut down to at most ``max_points`` x values, evenly
  spaced, the first and the last always kept (:func:`thin_positions` is its rule);
* :func:`history_frame` — per-epoch records as tidy learning curves;
* :func:`boundary_frame` — a decision grid as cells to draw;
* :func:`confusion_frame` — counts of (actual, predicted) class pairs;
* :func:`weights_frame` — every weight of a model, one row each;
* :func:`parallel_frame` — runs as polylines across params and metrics, each axis
  scaled to [0, 1];
* :func:`metric_title` and :func:`lower_is_better` — what a logged metric is called
  and which way is better.

>>> frame = history_frame([{"epoch": 1, "train_loss": 0.7, "val_loss": 0.72}])
>>> frame[["epoch", "metric", "split"]].values.tolist()
[[1, 'loss', 'train'], [1, 'loss', 'validation']]
>>> thin_positions(10, 4).tolist()
[0, 3, 6, 9]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.formatting import format_value

__all__ = [
    "METRIC_TITLES",
    "boundary_frame",
    "confusion_frame",
    "history_frame",
    "is_numeric",
    "lower_is_better",
    "metric_title",
    "parallel_frame",
    "thin",
    "thin_positions",
    "top_weights",
    "weights_frame",
]

#: Readable names of the metrics the runner logs (and of their short forms in
#: :func:`history_frame`'s ``metric`` column).
METRIC_TITLES = {
    "train_loss": "training loss", "val_loss": "validation loss",
    "train_accuracy": "training accuracy", "val_accuracy": "validation accuracy",
    "train_rmse": "training RMSE", "val_rmse": "validation RMSE",
    "rmse": "RMSE",
}


# --------------------------------------------------------------------------- metrics


def metric_title(metric: str) -> str:
    """A metric's readable name.

    Parameters
    ----------
    metric : str
        A logged metric (``val_loss``), a runs-frame column (``metrics.final_val_loss``)
        or a short name of :func:`history_frame` (``loss``, ``rmse``).

    Returns
    -------
    str
        ``validation loss``, ``RMSE``; unknown names with underscores as spaces.
    """
    name = metric.removeprefix("metrics.").removeprefix("final_")
    return METRIC_TITLES.get(name, name.replace("_", " "))


def lower_is_better(metric: str) -> bool:
    """Whether smaller values of ``metric`` are better.

    Parameters
    ----------
    metric : str
        Any metric name.

    Returns
    -------
    bool
        False for accuracies, AUCs and F1 scores (they go up); True for losses,
        errors and anything else.
    """
    name = metric.lower()
    return not ("accuracy" in name or "auc" in name or "f1" in name)


def is_numeric(series: pd.Series) -> bool:
    """Whether a column holds numbers to put on a continuous axis (booleans do not)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


# --------------------------------------------------------------------------- thinning


def _check_max_points(max_points: int) -> None:
    if max_points < 2:
        raise ValueError(f"max_points = {max_points!r}: must be at least 2 (the first and "
                         "the last point are always kept)")


def thin_positions(n: int, max_points: int) -> np.ndarray:
    """Which of ``n`` ordered points to keep so that at most ``max_points`` remain.

    The rule of :func:`thin`: all of them when ``n <= max_points``; otherwise exactly
    ``max_points`` positions ``i * (n - 1) / (max_points - 1)`` rounded half up (exactly,
    in integers) for ``i = 0 .. max_points - 1``: evenly spaced, distinct, and always
    the first (0) and the last (``n - 1``).

    Parameters
    ----------
    n : int
        Number of points, in order.
    max_points : int
        Most points kept; at least 2 (the first and the last).

    Returns
    -------
    ndarray of int64
        Increasing positions in ``0 .. n - 1``.
    """
    _check_max_points(max_points)
    if n <= max_points:
        return np.arange(max(0, n), dtype=np.int64)
    # i * (n - 1) / (max_points - 1) rounded half up, in integers so that it is exact;
    # the step is above 1, so the positions are distinct.
    i = np.arange(max_points, dtype=np.int64)
    return (2 * i * (n - 1) + (max_points - 1)) // (2 * (max_points - 1))


def thin(frame: pd.DataFrame, x: str, max_points: int, *,
         by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """At most ``max_points`` distinct ``x`` values per curve, the first and last kept.

    The distinct values of ``x`` (epochs, seconds) of each group are sorted and
    :func:`thin_positions` picks which to keep; every row at a kept ``x`` stays, so a
    tidy frame keeps all its metrics and splits at the epochs it keeps. Groups with
    ``max_points`` values or fewer are left whole, and rows whose ``x`` is missing
    are kept (no axis can place them, but thinning is not where they are dropped).

    Parameters
    ----------
    frame : DataFrame
        A tidy frame with an ``x`` column.
    x : str
        The column along which to thin (``epoch``, ``step``, ``elapsed_s``).
    max_points : int
        Most distinct ``x`` values per group; at least 2.
    by : str or sequence of str, optional
        Columns that tell curves apart (``["run_id", "metric"]``): each is thinned on
        its own. None: the whole frame shares one set of ``x`` values.

    Returns
    -------
    DataFrame
        The kept rows of ``frame``, in their original order (``frame`` itself when
        nothing is dropped).
    """
    _check_max_points(max_points)
    if len(frame) <= max_points:
        return frame
    values = frame[x]
    if by is None:
        codes, uniques = pd.factorize(values, sort=True)  # dense ranks from 0; NaN is -1
        position = codes.astype(np.int64)
        n = np.full(len(frame), len(uniques), dtype=np.int64)
    else:
        keys = [by] if isinstance(by, str) else list(by)
        grouped = values.groupby([frame[k] for k in keys], sort=False, dropna=False)
        position = grouped.rank(method="dense").fillna(0).to_numpy(dtype=np.int64) - 1
        n = grouped.transform("nunique").to_numpy(dtype=np.int64)
    if int(n.max()) <= max_points:
        return frame
    missing = position < 0
    keep = (n <= max_points) | missing
    for size in np.unique(n[~keep]):
        rows = (n == size) & ~missing
        kept = np.zeros(int(size), dtype=bool)
        kept[thin_positions(int(size), max_points)] = True
        keep[rows] = kept[position[rows]]
    return frame[keep]


# --------------------------------------------------------------------------- learning curves


def history_frame(records: Iterable[Mapping[str, float]]) -> pd.DataFrame:
    """Per-epoch records to a tidy frame of learning curves.

    Parameters
    ----------
    records : iterable of mapping
        One mapping per epoch with ``epoch`` and metric keys such as
        ``train_loss``, ``val_loss``, ``train_accuracy`` (``nncore.History.records()``
        or what a callback collects).

    Returns
    -------
    DataFrame
        Columns ``epoch`` (int), ``metric`` (``loss``, ``accuracy``, ``rmse``),
        ``split`` (``train`` or ``validation``) and ``value``; one row per epoch,
        metric and split. Non-finite values are dropped.
    """
    rows = []
    for record in records:
        epoch = int(record["epoch"])
        for key, value in record.items():
            if key == "epoch":
                continue
            prefix, _, metric = key.partition("_")
            if prefix not in ("train", "val") or not metric:
                continue
            if value is None or not np.isfinite(value):
                continue
            split = "train" if prefix == "train" else "validation"
            rows.append((epoch, metric, split, float(value)))
    return pd.DataFrame(rows, columns=["epoch", "metric", "split", "value"])


# --------------------------------------------------------------------------- decision boundary


def boundary_frame(grid: pd.DataFrame, x: str, y: str, class_names: Sequence[str],
                   labels: Sequence[Any] | None = None) -> pd.DataFrame:
    """A decision grid (``experiments.decision_grid``) as tidy cells to draw.

    Parameters
    ----------
    grid : DataFrame
        Columns ``x``, ``y``, ``prediction`` and ``probability_<label>`` per class
        (a perceptron's grid has no probabilities).
    x, y : str
        The two feature columns.
    class_names : sequence of str
        Readable class names in class-index order; empty for regression.
    labels : sequence, optional
        Raw labels in class-index order, to name a perceptron's predictions.

    Returns
    -------
    DataFrame
        ``x``, ``y``, ``cell_x2``, ``cell_y2`` (cell corners), ``label`` (predicted class
        name), ``confidence`` (its probability, 1.0 without probabilities) and
        ``p`` (probability of the last class; the binary colour ramp). Regression:
        ``label`` is the predicted value as text, ``value`` the value, ``p`` the value
        scaled to [0, 1].
    """
    out = pd.DataFrame({x: grid[x].to_numpy(float), y: grid[y].to_numpy(float)})
    for col, end in ((x, "cell_x2"), (y, "cell_y2")):
        values = np.unique(out[col])
        step = float(np.min(np.diff(values))) if len(values) > 1 else 1.0
        out[col] = out[col] - step / 2
        out[end] = out[col] + step
    probs = [c for c in grid.columns if c.startswith("probability_")]
    if not len(class_names):  # regression: the predicted value itself
        value = pd.to_numeric(grid["prediction"], errors="coerce").to_numpy(float)
        lo, hi = np.nanmin(value), np.nanmax(value)
        out["label"] = [f"{v:.4g}" for v in value]
        out["confidence"] = 1.0
        out["p"] = (value - lo) / (hi - lo) if hi > lo else np.full(len(value), 0.5)
        out["value"] = value
    elif probs:
        p = grid[probs].to_numpy(float)
        idx = p.argmax(axis=1)
        out["label"] = np.asarray(class_names, dtype=object)[idx]
        out["confidence"] = p.max(axis=1)
        out["p"] = p[:, -1]
    else:
        order = list(labels) if labels is not None else sorted(grid["prediction"].unique())
        lookup = {v: class_names[i] for i, v in enumerate(order)}
        out["label"] = [lookup.get(v, str(v)) for v in grid["prediction"]]
        out["confidence"] = 1.0
        out["p"] = [float(order.index(v)) / max(1, len(order) - 1) if v in order else 0.5
                    for v in grid["prediction"]]
    return out


# --------------------------------------------------------------------------- evaluation


def confusion_frame(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray,
                    class_names: Sequence[str]) -> pd.DataFrame:
    """Counts of (actual, predicted) class pairs, every pair present.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        Class indices.
    class_names : sequence of str
        Names by class index.

    Returns
    -------
    DataFrame
        ``actual``, ``predicted``, ``count`` and ``share`` (of the actual class's
        rows, 0 when the class has none), ``K*K`` rows.
    """
    k = len(class_names)
    t = np.asarray(y_true, dtype=np.int64).reshape(-1)
    p = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (t, p), 1)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros((k, k)), where=totals > 0)
    rows = [(class_names[i], class_names[j], int(counts[i, j]), float(share[i, j]))
            for i in range(k) for j in range(k)]
    return pd.DataFrame(rows, columns=["actual", "predicted", "count", "share"])


def weights_frame(model: Any, feature_names: Sequence[str] | None = None) -> pd.DataFrame:
    """The weights of every dense layer as a tidy frame.

    Parameters
    ----------
    model : nncore.Sequential or nncore.Perceptron
        Anything with ``layers`` of ``W`` (inputs x units), or a perceptron's
        ``w`` / ``W`` weight vector.
    feature_names : sequence of str, optional
        Names of the first layer's inputs.

    Returns
    -------
    DataFrame
        ``layer`` (``"layer 1: 6 -> 8"``), ``layer_index``, ``input``, ``unit`` and
        ``weight``, one row per weight.
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        w = getattr(model, "W", None)
        if w is None:
            w = model.w
        mats = [np.asarray(w, dtype=float).reshape(-1, 1)]
    else:
        mats = [np.asarray(layer.W, dtype=float) for layer in layers]
    rows = []
    for i, W in enumerate(mats):
        n_in, n_out = W.shape
        name = f"layer {i + 1}: {n_in} → {n_out}"
        if i == 0 and feature_names is not None and len(feature_names) == n_in:
            inputs = list(feature_names)
        else:
            inputs = [f"h{i}.{r + 1}" if i else f"x{r + 1}" for r in range(n_in)]
        for r in range(n_in):
            for c in range(n_out):
                rows.append((name, i, inputs[r], f"unit {c + 1}", float(W[r, c])))
    return pd.DataFrame(rows, columns=["layer", "layer_index", "input", "unit", "weight"])


def top_weights(frame: pd.DataFrame, *, max_inputs: int = 30, max_units: int = 30
                ) -> tuple[pd.DataFrame, list[str]]:
    """Each layer cut to the inputs and units with the largest weights, when it is big.

    A heatmap of 2,000 inputs has rows a fraction of a pixel high and no labels; the
    inputs (then the units) whose largest ``|weight|`` is largest are the ones worth
    reading.

    Parameters
    ----------
    frame : DataFrame
        From :func:`weights_frame`.
    max_inputs, max_units : int
        Most inputs (rows) and units (columns) kept per layer.

    Returns
    -------
    (DataFrame, list of str)
        The kept rows, in their original order, and one sentence per layer that was
        cut, for a caption (empty when nothing was).

    >>> import numpy as np
    >>> W = np.zeros((100, 2)); W[7, 0] = -3.0; W[42, 1] = 2.0
    >>> model = type("M", (), {"layers": [type("L", (), {"W": W})()]})()
    >>> kept, notes = top_weights(weights_frame(model), max_inputs=2)
    >>> sorted(kept["input"].unique()), notes
    (['x43', 'x8'], ['layer 1: the 2 of its 100 inputs with the largest |weight| are shown.'])
    """
    parts, notes = [], []
    for _, part in frame.groupby("layer_index", sort=True):
        size = part.assign(size=part["weight"].abs())
        inputs = list(dict.fromkeys(part["input"]))
        units = list(dict.fromkeys(part["unit"]))
        cut = []
        if len(inputs) > max_inputs:
            keep = size.groupby("input")["size"].max().nlargest(max_inputs).index
            part = part[part["input"].isin(keep)]
            size = size[size["input"].isin(keep)]
            cut.append(f"{max_inputs} of its {len(inputs):,} inputs")
        if len(units) > max_units:
            keep = size.groupby("unit")["size"].max().nlargest(max_units).index
            part = part[part["unit"].isin(keep)]
            cut.append(f"{max_units} of its {len(units):,} units")
        if cut:
            name = str(part["layer"].iloc[0]).split(":")[0]
            notes.append(f"{name}: the {' and '.join(cut)} with the largest |weight| are shown.")
        parts.append(part)
    kept = pd.concat(parts) if parts else frame
    return kept, notes


# --------------------------------------------------------------------------- settings


def parallel_frame(table: pd.DataFrame, columns: Sequence[str], *, label: str = "run"
                   ) -> pd.DataFrame:
    """Runs as tidy polylines across axes, each axis scaled to [0, 1].

    Numeric columns are scaled from their minimum to their maximum (a column with one
    value sits at 0.5); other columns are spread over their sorted categories.

    Parameters
    ----------
    table : DataFrame
        One row per run (typed params), with ``label``.
    columns : sequence of str
        The axes, in order (params first, metrics last reads best).
    label : str
        The run's label column.

    Returns
    -------
    DataFrame
        ``run``, ``axis``, ``position`` (the axis' index), ``norm`` (0-1) and
        ``value`` (the value as text, for tooltips and axis labels), plus
        ``axis_min`` / ``axis_max`` (what 0 and 1 mean on that axis).
    """
    rows = []
    for position, col in enumerate(columns):
        series = table[col]
        if is_numeric(series):
            values = pd.to_numeric(series, errors="coerce").astype(float)
            lo, hi = values.min(), values.max()
            norm = (values - lo) / (hi - lo) if hi > lo else values * 0 + 0.5
            lo_text, hi_text = format_value(lo), format_value(hi)
            texts = values.map(format_value)
        else:
            texts = series.map(lambda v: "—" if v is None or v is pd.NA or (
                isinstance(v, float) and np.isnan(v)) else str(v)).astype(object)
            cats = sorted(texts.unique())
            index = {c: i for i, c in enumerate(cats)}
            norm = texts.map(index).astype(float) / max(1, len(cats) - 1) if len(cats) > 1 \
                else texts.map(lambda _: 0.5)
            lo_text, hi_text = cats[0], cats[-1]
        for run, n, text in zip(table[label], norm, texts, strict=True):
            rows.append((run, col, position, float(n) if pd.notna(n) else np.nan, text,
                         lo_text, hi_text))
    return pd.DataFrame(rows, columns=["run", "axis", "position", "norm", "value",
                                       "axis_min", "axis_max"])
