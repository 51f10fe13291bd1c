"""Altair chart builders: pure functions from tidy pandas frames to ``alt.Chart``.

Nothing here imports streamlit: the dashboard shows these charts with
``st.altair_chart``, a notebook shows them by evaluating them, and tests check
their specs (marks, encodings, data) directly.

Two kinds of function live here:

* ``*_frame`` helpers turn what training produces (epoch records, a decision
  grid, labels and predictions, a model's weights) into tidy frames;
* chart builders take tidy frames and return Altair charts.

>>> frame = history_frame([{"epoch": 1, "train_loss": 0.7, "val_loss": 0.72}])
>>> learning_curves(frame, "loss").to_dict()["mark"]["type"]
'line'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

__all__ = [
    "CLASS_COLORS",
    "boundary_frame",
    "class_balance",
    "confusion_frame",
    "confusion_matrix",
    "data_scatter",
    "decision_boundary",
    "histogram_grid",
    "history_frame",
    "learning_curves",
    "scatter_matrix",
    "weight_heatmaps",
    "weights_frame",
]

#: Class colours: blue and orange first (TensorFlow Playground's two classes), then
#: the rest of Tableau 10, so a class keeps its colour in every chart.
CLASS_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2",
                "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac")
_METRIC_TITLES = {"loss": "loss", "accuracy": "accuracy", "rmse": "RMSE"}
#: Fill the container's width, keep the given height for the plot itself (Streamlit's
#: default "fit" squeezes the plot when a title and a legend take their space).
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _class_scale(classes: Sequence[str]) -> alt.Scale:
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(len(classes))]
    return alt.Scale(domain=list(classes), range=colors)


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


def _thin(frame: pd.DataFrame, x: str, max_points: int) -> pd.DataFrame:
    """Keep at most ``max_points`` distinct x values (always the first and last)."""
    xs = np.sort(frame[x].unique())
    if len(xs) <= max_points:
        return frame
    keep = xs[np.unique(np.linspace(0, len(xs) - 1, max_points).round().astype(int))]
    return frame[frame[x].isin(keep)]


def learning_curves(
    frame: pd.DataFrame,
    metric: str = "loss",
    *,
    x: str = "epoch",
    color: str = "split",
    log_scale: bool = False,
    max_points: int = 500,
    height: int = 260,
    title: str | None = None,
) -> alt.Chart:
    """Lines of one metric against epochs, one line per ``color`` value.

    Parameters
    ----------
    frame : DataFrame
        Tidy curves: columns ``x``, ``metric``, ``value`` and ``color`` (as made by
        :func:`history_frame`; a frame of several runs can colour by ``run_id``).
    metric : str
        Which rows of ``frame["metric"]`` to draw (``loss``, ``accuracy``, ``rmse``).
    x : str
        Column on the horizontal axis.
    color : str
        Column that tells the lines apart (``split``: train blue, validation orange).
    log_scale : bool
        Logarithmic vertical axis (losses spanning decades).
    max_points : int
        Most x values drawn (evenly thinned), so long runs stay light.
    height : int
        Chart height in pixels; the width follows the container.
    title : str, optional
        Chart title; default the metric's name.

    Returns
    -------
    alt.Chart
        A line chart with tooltips and a nearest-point hover rule.
    """
    data = frame[frame["metric"] == metric]
    data = _thin(data, x, max_points)
    label = _METRIC_TITLES.get(metric, metric)
    y_scale = alt.Scale(type="log") if log_scale else alt.Scale(zero=False)
    encodings: dict[str, Any] = {
        "x": alt.X(f"{x}:Q", title=x, axis=alt.Axis(format="d", tickMinStep=1)),
        "y": alt.Y("value:Q", title=label, scale=y_scale),
        "color": alt.Color(
            f"{color}:N", title=None,
            scale=alt.Scale(domain=["train", "validation"], range=[CLASS_COLORS[0],
                                                                  CLASS_COLORS[1]])
            if color == "split" else alt.Undefined,
            legend=alt.Legend(orient="top"),
        ),
        "tooltip": [alt.Tooltip(f"{x}:Q"), alt.Tooltip(f"{color}:N"),
                    alt.Tooltip("value:Q", title=label, format=".4f")],
    }
    return (
        alt.Chart(data, title=title or alt.Undefined)
        .mark_line(strokeWidth=1.8)
        .encode(**encodings)
        .properties(height=height, autosize=FIT_WIDTH)
    )


# --------------------------------------------------------------------------- data


def data_scatter(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str = "label",
    *,
    classes: Sequence[str] | None = None,
    shape: str | None = "split",
    height: int = 320,
) -> alt.Chart:
    """A 2-D scatter of the data, coloured by class.

    Parameters
    ----------
    frame : DataFrame
        One row per point (``Dataset.frame()``).
    x, y : str
        The two feature columns.
    color : str
        Class column (``label``) or, for regression, the numeric target.
    classes : sequence of str, optional
        Class order (keeps colours stable); default sorted unique values.
    shape : str, optional
        Column for the point shape (``split``: circles train, triangles validation).
    height : int
        Chart height in pixels.

    Returns
    -------
    alt.Chart
        Circles (``mark_point`` filled) with tooltips; zoom and pan with the mouse.
    """
    numeric = pd.api.types.is_numeric_dtype(frame[color]) and classes is None and (
        frame[color].nunique() > 10
    )
    if numeric:
        color_enc = alt.Color(f"{color}:Q", scale=alt.Scale(scheme="viridis"))
    else:
        domain = list(classes) if classes is not None else sorted(map(str, frame[color].unique()))
        color_enc = alt.Color(f"{color}:N", scale=_class_scale(domain),
                              legend=alt.Legend(orient="top", title=None))
    enc: dict[str, Any] = {
        "x": alt.X(f"{x}:Q", scale=alt.Scale(zero=False)),
        "y": alt.Y(f"{y}:Q", scale=alt.Scale(zero=False)),
        "color": color_enc,
        "tooltip": [c for c in (x, y, color, shape) if c and c in frame.columns],
    }
    if shape and shape in frame.columns:
        enc["shape"] = alt.Shape(
            f"{shape}:N", legend=alt.Legend(orient="top", title=None),
            scale=alt.Scale(domain=["train", "validation"], range=["circle", "triangle-up"]),
        )
    return (
        alt.Chart(frame)
        .mark_point(filled=True, size=40, opacity=0.85, stroke="white", strokeWidth=0.5)
        .encode(**enc)
        .properties(height=height, autosize=FIT_WIDTH)
        .interactive()
    )


def class_balance(frame: pd.DataFrame, label: str = "label", *,
                  classes: Sequence[str] | None = None, height: int | None = None) -> alt.Chart:
    """Bars of how many rows each class has, split into train and validation.

    Parameters
    ----------
    frame : DataFrame
        One row per example, with a class column and optionally ``split``.
    label : str
        The class column.
    classes : sequence of str, optional
        Class order (colours match :func:`data_scatter`).
    height : int, optional
        Height of the bars' area in pixels; default 28 per class.

    Returns
    -------
    alt.Chart
        Horizontal stacked bars (one per class) with counts in the tooltip.
    """
    keys = [label, "split"] if "split" in frame.columns else [label]
    counts = frame.groupby(keys, observed=True).size().reset_index(name="rows")
    counts[label] = counts[label].astype(str)
    domain = list(classes) if classes is not None else sorted(counts[label].unique())
    enc: dict[str, Any] = {
        "y": alt.Y(f"{label}:N", title=None, sort=domain),
        "x": alt.X("sum(rows):Q", title="rows"),
        "color": alt.Color(f"{label}:N", scale=_class_scale(domain), legend=None),
        "tooltip": [alt.Tooltip(f"{k}:N") for k in keys] + [alt.Tooltip("rows:Q")],
    }
    if "split" in keys:
        enc["opacity"] = alt.Opacity(
            "split:N", scale=alt.Scale(domain=["train", "validation"], range=[1.0, 0.5]),
            legend=alt.Legend(orient="top", title=None),
        )
    return alt.Chart(counts).mark_bar().encode(**enc).properties(
        height=height or max(56, 28 * len(domain)), autosize=FIT_WIDTH
    )


def histogram_grid(frame: pd.DataFrame, columns: Sequence[str], color: str | None = "label",
                   *, classes: Sequence[str] | None = None, bins: int = 20,
                   columns_per_row: int = 3, width: int = 130) -> alt.Chart:
    """One histogram per numeric column, stacked by class.

    Parameters
    ----------
    frame : DataFrame
        One row per example.
    columns : sequence of str
        Numeric columns to draw.
    color : str, optional
        Class column to stack by (None for plain bars).
    classes : sequence of str, optional
        Class order (colours match :func:`data_scatter`).
    bins : int
        Most bins per histogram.
    columns_per_row : int
        Histograms per row.
    width : int
        Width of each histogram in pixels.

    Returns
    -------
    alt.Chart
        A ``repeat`` chart of binned bar marks, one panel per column.
    """
    keep = list(columns) + ([color] if color else [])
    data = frame[keep]
    enc: dict[str, Any] = {
        "x": alt.X(alt.repeat("repeat"), type="quantitative", bin=alt.Bin(maxbins=bins)),
        "y": alt.Y("count():Q", title="rows", stack=True),
    }
    if color:
        domain = list(classes) if classes is not None else sorted(map(str, data[color].unique()))
        enc["color"] = alt.Color(f"{color}:N", scale=_class_scale(domain),
                                 legend=alt.Legend(orient="top", title=None))
    return (
        alt.Chart(data)
        .mark_bar(opacity=0.85)
        .encode(**enc)
        .properties(width=width, height=110)
        .repeat(repeat=list(columns), columns=columns_per_row)
    )


def scatter_matrix(frame: pd.DataFrame, columns: Sequence[str], color: str | None = "label",
                   *, classes: Sequence[str] | None = None, size: int = 130) -> alt.Chart:
    """Pairwise scatter plots of numeric columns, coloured by class.

    Parameters
    ----------
    frame : DataFrame
        One row per example.
    columns : sequence of str
        Numeric columns (keep it to a handful: the matrix has ``len(columns)**2`` panels).
    color : str, optional
        Class column.
    classes : sequence of str, optional
        Class order.
    size : int
        Width and height of each panel in pixels.

    Returns
    -------
    alt.Chart
        A ``repeat`` chart (rows x columns) of point marks.
    """
    cols = list(columns)
    keep = cols + ([color] if color else [])
    enc: dict[str, Any] = {
        "x": alt.X(alt.repeat("column"), type="quantitative", scale=alt.Scale(zero=False)),
        "y": alt.Y(alt.repeat("row"), type="quantitative", scale=alt.Scale(zero=False)),
    }
    if color:
        domain = list(classes) if classes is not None else sorted(
            map(str, frame[color].unique()))
        enc["color"] = alt.Color(f"{color}:N", scale=_class_scale(domain),
                                 legend=alt.Legend(orient="top", title=None))
    return (
        alt.Chart(frame[keep])
        .mark_circle(size=14, opacity=0.6)
        .encode(**enc)
        .properties(width=size, height=size)
        .repeat(row=cols, column=cols)
    )


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
        Readable class names in class-index order.
    labels : sequence, optional
        Raw labels in class-index order, to name a perceptron's predictions.

    Returns
    -------
    DataFrame
        ``x``, ``y``, ``cell_x2``, ``cell_y2`` (cell corners), ``label`` (predicted class
        name), ``confidence`` (its probability, 1.0 without probabilities) and
        ``p`` (probability of the last class; the binary colour ramp).
    """
    out = pd.DataFrame({x: grid[x].to_numpy(float), y: grid[y].to_numpy(float)})
    for col, end in ((x, "cell_x2"), (y, "cell_y2")):
        values = np.unique(out[col])
        step = float(np.min(np.diff(values))) if len(values) > 1 else 1.0
        out[col] = out[col] - step / 2
        out[end] = out[col] + step
    probs = [c for c in grid.columns if c.startswith("probability_")]
    if probs:
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


def decision_boundary(cells: pd.DataFrame, points: pd.DataFrame, x: str, y: str,
                      classes: Sequence[str], *, color: str = "label",
                      height: int = 340, title: str | None = "decision boundary"
                      ) -> alt.LayerChart:
    """The model's decision regions under the data points.

    Parameters
    ----------
    cells : DataFrame
        From :func:`boundary_frame`.
    points : DataFrame
        The data (``Dataset.frame()``): columns ``x``, ``y``, ``color`` and
        optionally ``split``.
    x, y : str
        Feature columns.
    classes : sequence of str
        Class names in class-index order (colours match :func:`data_scatter`).
    color : str
        Class column of ``points``.
    height : int
        Chart height in pixels.
    title : str, optional
        Chart title.

    Returns
    -------
    alt.LayerChart
        Two layers: ``rect`` cells (two classes: a blue-to-orange ramp of the
        probability of the second class, as in TensorFlow Playground; more classes:
        the predicted class's colour, fainter where the model is less sure) and the
        points as filled circles with a white outline.
    """
    scale = _class_scale(classes)
    x_scale = alt.Scale(domain=[float(cells[x].min()), float(cells["cell_x2"].max())], nice=False)
    y_scale = alt.Scale(domain=[float(cells[y].min()), float(cells["cell_y2"].max())], nice=False)
    if len(classes) == 2:
        fill = alt.Color("p:Q", legend=None, scale=alt.Scale(
            domain=[0, 0.5, 1], range=[CLASS_COLORS[0], "#f4f4f4", CLASS_COLORS[1]]))
        opacity: Any = alt.value(0.55)
    else:
        fill = alt.Color("label:N", scale=scale, legend=None)
        opacity = alt.Opacity("confidence:Q", scale=alt.Scale(domain=[0, 1], range=[0.05, 0.6]),
                              legend=None)
    background = alt.Chart(cells).mark_rect().encode(
        x=alt.X(f"{x}:Q", scale=x_scale, title=x),
        x2="cell_x2:Q",
        y=alt.Y(f"{y}:Q", scale=y_scale, title=y),
        y2="cell_y2:Q",
        color=fill,
        opacity=opacity,
        tooltip=[alt.Tooltip("label:N", title="predicted"),
                 alt.Tooltip("confidence:Q", format=".2f")],
    )
    enc: dict[str, Any] = {
        "x": alt.X(f"{x}:Q", scale=x_scale),
        "y": alt.Y(f"{y}:Q", scale=y_scale),
        "fill": alt.Fill(f"{color}:N", scale=scale, legend=alt.Legend(orient="top", title=None)),
        "tooltip": [c for c in (x, y, color, "split") if c in points.columns],
    }
    if "split" in points.columns:
        enc["shape"] = alt.Shape(
            "split:N", legend=alt.Legend(orient="top", title=None, symbolFillColor="#888",
                                         symbolStrokeColor="#888", symbolSize=60),
            scale=alt.Scale(domain=["train", "validation"], range=["circle", "triangle-up"]),
        )
    dots = alt.Chart(points).mark_point(filled=True, size=36, stroke="white",
                                        strokeWidth=0.7, opacity=1).encode(**enc)
    layered = alt.layer(background, dots).resolve_scale(color="independent")
    return layered.properties(height=height, title=title or "", autosize=FIT_WIDTH)


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


def confusion_matrix(frame: pd.DataFrame, *, title: str = "confusion matrix",
                     size: int = 260) -> alt.LayerChart:
    """A confusion matrix heatmap with the counts written in the cells.

    Parameters
    ----------
    frame : DataFrame
        From :func:`confusion_frame`.
    title : str
        Chart title.
    size : int
        Width and height in pixels.

    Returns
    -------
    alt.LayerChart
        ``rect`` cells coloured by ``share`` and ``text`` marks with ``count``.
    """
    order = list(dict.fromkeys(frame["actual"]))
    base = alt.Chart(frame).encode(
        x=alt.X("predicted:N", sort=order, title="predicted",
                axis=alt.Axis(labelAngle=0, labelLimit=max(40, size // max(1, len(order))))),
        y=alt.Y("actual:N", sort=order, title="actual"),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        legend=None),
        tooltip=["actual:N", "predicted:N", "count:Q", alt.Tooltip("share:Q", format=".0%")],
    )
    text = base.mark_text(fontSize=14).encode(
        text="count:Q",
        color=alt.condition(alt.datum.share > 0.5, alt.value("white"), alt.value("#222")),
    )
    return alt.layer(cells, text).properties(
        width=size, height=size, title=title,
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
    )


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


def weight_heatmaps(frame: pd.DataFrame, *, cell: int = 20) -> alt.VConcatChart | alt.HConcatChart:
    """One heatmap per layer: inputs down, units across, a diverging colour ramp.

    Parameters
    ----------
    frame : DataFrame
        From :func:`weights_frame`.
    cell : int
        Cell size in pixels (panels are sized by their number of inputs and units).

    Returns
    -------
    alt.HConcatChart
        Side-by-side ``rect`` heatmaps sharing one colour scale centred on 0
        (blue negative, red positive).
    """
    limit = float(np.abs(frame["weight"]).max()) if len(frame) else 1.0
    limit = limit or 1.0
    color = alt.Color("weight:Q", scale=alt.Scale(scheme="redblue", reverse=True,
                                                  domain=[-limit, limit]),
                      legend=alt.Legend(title="weight", orient="right"))
    panels = []
    for _, part in frame.groupby("layer_index", sort=True):
        inputs = list(dict.fromkeys(part["input"]))
        units = list(dict.fromkeys(part["unit"]))
        panels.append(
            alt.Chart(part, title=str(part["layer"].iloc[0]))
            .mark_rect()
            .encode(
                x=alt.X("unit:N", sort=units, title=None,
                        axis=alt.Axis(labels=len(units) <= 16, labelAngle=-45)),
                y=alt.Y("input:N", sort=inputs, title=None,
                        axis=alt.Axis(labels=len(inputs) <= 32, labelOverlap=False)),
                color=color,
                tooltip=["input:N", "unit:N", alt.Tooltip("weight:Q", format=".3f")],
            )
            .properties(width=max(60, min(360, cell * len(units))),
                        height=max(60, min(360, cell * len(inputs))))
        )
    return alt.hconcat(*panels).resolve_scale(color="shared")
