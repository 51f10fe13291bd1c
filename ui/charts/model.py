"""What a trained model does and holds: a confusion matrix, the weights as heatmaps."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui.charts.style import FIT_WIDTH

__all__ = ["confusion_matrix", "weight_heatmaps"]


def confusion_matrix(frame: pd.DataFrame, *, title: str = "confusion matrix",
                     size: int = 260, fit_width: bool = False) -> alt.LayerChart:
    """A confusion matrix heatmap with the counts written in the cells.

    Parameters
    ----------
    frame : DataFrame
        From :func:`experiments.frames.confusion_frame`.
    title : str
        Chart title.
    size : int
        Width and height in pixels.
    fit_width : bool
        Fill the container's width instead (the height stays ``size``): for a matrix
        in a column of unknown width.

    Returns
    -------
    alt.LayerChart
        ``rect`` cells coloured by ``share`` and ``text`` marks with ``count``.
    """
    order = list(dict.fromkeys(frame["actual"]))
    base = alt.Chart(frame).encode(
        # Class names wrap at their spaces ("upper moon" on two lines): side by side
        # on one line, neighbours ran together.
        x=alt.X("predicted:N", sort=order, title="predicted",
                axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')",
                              labelLimit=max(60, size // max(1, len(order))))),
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
    if fit_width:
        return alt.layer(cells, text).properties(height=size, title=title, autosize=FIT_WIDTH)
    return alt.layer(cells, text).properties(
        width=size, height=size, title=title,
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
    )


def weight_heatmaps(frame: pd.DataFrame, *, cell: int = 20) -> alt.HConcatChart:
    """One heatmap per layer: inputs down, units across, a diverging colour ramp.

    Parameters
    ----------
    frame : DataFrame
        From :func:`experiments.frames.weights_frame`.
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
