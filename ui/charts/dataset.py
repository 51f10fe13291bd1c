"""The data itself: a 2-D scatter, class balance, histograms and a scatter matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from ui.charts.style import FIT_WIDTH, class_scale

__all__ = ["class_balance", "data_scatter", "histogram", "histogram_grid", "scatter_matrix"]


def _domain(frame: pd.DataFrame, column: str, classes: Sequence[str] | None) -> list[str]:
    return list(classes) if classes is not None else sorted(map(str, frame[column].unique()))


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
        color_enc = alt.Color(f"{color}:N", scale=class_scale(_domain(frame, color, classes)),
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
    domain = _domain(counts, label, classes)
    enc: dict[str, Any] = {
        "y": alt.Y(f"{label}:N", title=None, sort=domain),
        "x": alt.X("sum(rows):Q", title="rows"),
        "color": alt.Color(f"{label}:N", scale=class_scale(domain), legend=None),
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


def histogram(frame: pd.DataFrame, column: str, color: str | None = "label", *,
              classes: Sequence[str] | None = None, bins: int = 20, height: int = 110
              ) -> alt.Chart:
    """One numeric column's histogram, stacked by class, as wide as its container.

    For a page that lays histograms out in its own columns: a grid of fixed-width
    panels (:func:`histogram_grid`) is cut off when the page is narrower than it.

    Parameters
    ----------
    frame : DataFrame
        One row per example.
    column : str
        The numeric column.
    color : str, optional
        Class column to stack by (None for plain bars).
    classes : sequence of str, optional
        Class order (colours match :func:`data_scatter`).
    bins : int
        Most bins.
    height : int
        Height of the plot in pixels.

    Returns
    -------
    alt.Chart
        Binned bars, the width of the container (``FIT_WIDTH``).
    """
    keep = [column] + ([color] if color and color != column else [])
    enc: dict[str, Any] = {
        "x": alt.X(f"{column}:Q", bin=alt.Bin(maxbins=bins), title=column),
        "y": alt.Y("count():Q", title="rows", stack=True),
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N",
                                 scale=class_scale(_domain(frame, color, classes)),
                                 legend=alt.Legend(orient="top", title=None))
    return (alt.Chart(frame[keep]).mark_bar(opacity=0.85).encode(**enc)
            .properties(height=height, autosize=FIT_WIDTH))


def histogram_grid(frame: pd.DataFrame, columns: Sequence[str], color: str | None = "label",
                   *, classes: Sequence[str] | None = None, bins: int = 20,
                   columns_per_row: int = 3, width: int = 130) -> alt.RepeatChart:
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
    alt.RepeatChart
        A ``repeat`` chart of binned bar marks, one panel per column.
    """
    keep = list(columns) + ([color] if color else [])
    data = frame[keep]
    enc: dict[str, Any] = {
        "x": alt.X(alt.repeat("repeat"), type="quantitative", bin=alt.Bin(maxbins=bins)),
        "y": alt.Y("count():Q", title="rows", stack=True),
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", scale=class_scale(_domain(data, color, classes)),
                                 legend=alt.Legend(orient="top", title=None))
    return (
        alt.Chart(data)
        .mark_bar(opacity=0.85)
        .encode(**enc)
        .properties(width=width, height=110)
        .repeat(repeat=list(columns), columns=columns_per_row)
    )


def scatter_matrix(frame: pd.DataFrame, columns: Sequence[str], color: str | None = "label",
                   *, classes: Sequence[str] | None = None, size: int = 130) -> alt.RepeatChart:
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
    alt.RepeatChart
        A ``repeat`` chart (rows x columns) of point marks.
    """
    cols = list(columns)
    keep = cols + ([color] if color else [])
    enc: dict[str, Any] = {
        "x": alt.X(alt.repeat("column"), type="quantitative", scale=alt.Scale(zero=False)),
        "y": alt.Y(alt.repeat("row"), type="quantitative", scale=alt.Scale(zero=False)),
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", scale=class_scale(_domain(frame, color, classes)),
                                 legend=alt.Legend(orient="top", title=None))
    return (
        alt.Chart(frame[keep])
        .mark_circle(size=14, opacity=0.6)
        .encode(**enc)
        .properties(width=size, height=size)
        .repeat(row=cols, column=cols)
    )
