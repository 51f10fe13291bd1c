"""One run's learning curves (Train and Run pages).

>>> from experiments.frames import history_frame
>>> frame = history_frame([{"epoch": 1, "train_loss": 0.7, "val_loss": 0.72}])
>>> learning_curves(frame, "loss").to_dict()["mark"]["type"]
'line'
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from experiments.frames import metric_title, thin
from ui.charts.style import CLASS_COLORS, FIT_WIDTH

__all__ = ["learning_curves"]


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
        :func:`experiments.frames.history_frame`).
    metric : str
        Which rows of ``frame["metric"]`` to draw (``loss``, ``accuracy``, ``rmse``).
    x : str
        Column on the horizontal axis.
    color : str
        Column that tells the lines apart (``split``: train blue, validation orange).
    log_scale : bool
        Logarithmic vertical axis (losses spanning decades).
    max_points : int
        Most x values drawn (:func:`experiments.frames.thin`: evenly spaced, the
        first and the last kept), so long runs stay light.
    height : int
        Chart height in pixels; the width follows the container.
    title : str, optional
        Chart title; default none.

    Returns
    -------
    alt.Chart
        A line chart with tooltips.
    """
    data = thin(frame[frame["metric"] == metric], x, max_points)
    label = metric_title(metric)
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
