"""Settings against results: one point per run, or one line per run across the axes.

* :func:`param_scatter` — one hyperparameter against one metric, coloured by a third;
* :func:`parallel_coordinates` — every run as a line across params and final metrics
  (the frame comes from :func:`experiments.frames.parallel_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

from experiments.frames import is_numeric, metric_title
from ui.charts.style import FIT_WIDTH, RUN_SCHEME

__all__ = ["parallel_coordinates", "param_scatter"]


def _field_type(series: pd.Series) -> str:
    return "quantitative" if is_numeric(series) else "nominal"


def param_scatter(
    table: pd.DataFrame,
    x: str,
    y: str,
    *,
    color: str | None = None,
    label: str = "run",
    log_x: bool = False,
    height: int = 320,
) -> alt.Chart:
    """One hyperparameter against one metric, one point per run, coloured by a third.

    Parameters
    ----------
    table : DataFrame
        One row per run (typed params: numbers as numbers), with ``label``.
    x, y : str
        Columns for the axes (e.g. ``training.learning_rate`` and ``val_accuracy``).
        Numeric columns get a quantitative axis, others a nominal one.
    color : str, optional
        A third column to colour by (viridis for numbers, categories otherwise).
    label : str
        The run's label (tooltip).
    log_x : bool
        Logarithmic x axis (learning rates, L2).
    height : int
        Plot height in pixels.

    Returns
    -------
    alt.Chart
        ``point`` marks (filled) with tooltips of label, x, y and colour; zoom and
        pan with the mouse. A nominal x spreads its points sideways (``xOffset``).
    """
    cols = list(dict.fromkeys([label, x, y] + ([color] if color else [])))
    # Vega-Lite reads "training.learning_rate" as a nested field: draw plain names
    # (f0, f1, ...) and title them with the real ones.
    safe = {c: f"f{i}" for i, c in enumerate(cols)}
    data = table[cols].rename(columns=safe)
    for col in data.columns:  # booleans and nullable types as plain values for Vega-Lite
        if str(data[col].dtype) in ("boolean", "Int64"):
            data[col] = data[col].astype(object).where(data[col].notna(), None)
    x_type = _field_type(table[x])
    x_scale = alt.Scale(type="log", padding=14) if (log_x and x_type == "quantitative") else (
        alt.Scale(zero=False, padding=14))
    enc: dict[str, Any] = {
        "x": alt.X(safe[x], type=x_type, title=x, scale=x_scale) if x_type == "quantitative"
        else alt.X(safe[x], type=x_type, title=x, axis=alt.Axis(labelAngle=0)),
        "y": alt.Y(safe[y], type=_field_type(table[y]), title=metric_title(y),
                   scale=alt.Scale(zero=False, padding=14)),
        "tooltip": [alt.Tooltip(safe[c], type=_field_type(table[c]), title=c) for c in cols],
    }
    if color:
        c_type = _field_type(table[color])
        enc["color"] = alt.Color(
            safe[color], type=c_type, title=color,
            scale=alt.Scale(scheme="viridis") if c_type == "quantitative"
            else alt.Scale(scheme="tableau10"),
            legend=alt.Legend(orient="right"))
    chart = alt.Chart(data).mark_point(filled=True, size=90, opacity=0.85, stroke="white",
                                       strokeWidth=0.6)
    if x_type == "nominal":
        jitter = "sqrt(-2 * log(random())) * cos(2 * PI * random()) / 3"
        chart = chart.encode(xOffset=alt.XOffset(
            "jitter:Q", scale=alt.Scale(domain=[-1, 1]))).transform_calculate(jitter=jitter)
    return chart.encode(**enc).properties(height=height, autosize=FIT_WIDTH).interactive()


def parallel_coordinates(
    frame: pd.DataFrame,
    *,
    color_by: str | None = None,
    color_values: Mapping[str, float] | None = None,
    height: int = 340,
) -> alt.LayerChart:
    """Parallel coordinates: one line per run across params and metrics.

    Parameters
    ----------
    frame : DataFrame
        From :func:`experiments.frames.parallel_frame`.
    color_by : str, optional
        Title of the colour legend (e.g. ``validation accuracy``).
    color_values : mapping, optional
        Run -> number to colour the line by (viridis); default one colour per run.
    height : int
        Plot height in pixels.

    Returns
    -------
    alt.LayerChart
        Grey ``rule`` marks for the axes, ``line`` marks per run (hovering a line
        highlights it: param ``line_hover``), and ``text`` marks with each axis'
        minimum (bottom) and maximum (top).
    """
    data = frame.copy()
    axes = list(dict.fromkeys(data["axis"]))
    hover = alt.selection_point(name="line_hover", fields=["run"], on="pointerover",
                                clear="pointerout")
    # Padding keeps the first and last axes (and their centred names) off the edges.
    x = alt.X("axis:N", sort=axes, title=None, scale=alt.Scale(padding=0.3),
              axis=alt.Axis(labelAngle=0, orient="top", labelPadding=22, labelLimit=110,
                            labelOverlap=False, domain=False, ticks=False,
                            labelFontWeight="bold", labelExpr="split(datum.label, '.')[1] || "
                            "datum.label"))
    y = alt.Y("norm:Q", axis=None, scale=alt.Scale(domain=[0, 1], nice=False))
    if color_values is not None:
        data["color"] = data["run"].map(dict(color_values))
        color: Any = alt.Color("color:Q", title=color_by or "", scale=alt.Scale(scheme="viridis"),
                               legend=alt.Legend(orient="right", gradientLength=160))
    else:
        color = alt.Color("run:N", title="run", scale=alt.Scale(scheme=RUN_SCHEME),
                          legend=alt.Legend(orient="bottom", columns=2, labelLimit=320))
    rules = alt.Chart(pd.DataFrame({"axis": axes})).mark_rule(color="#bbb").encode(x=x)
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(
        x=x, y=y, color=color, detail="run:N",
        opacity=alt.condition(hover, alt.value(0.95), alt.value(0.25)),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("axis:N"), alt.Tooltip("value:N")],
    ).add_params(hover)
    ends = data.drop_duplicates("axis")[["axis", "axis_min", "axis_max"]]
    lows = alt.Chart(ends.assign(norm=0.0)).mark_text(dy=12, color="#555", fontSize=10).encode(
        x=x, y=y, text="axis_min:N")
    highs = alt.Chart(ends.assign(norm=1.0)).mark_text(dy=-8, color="#555", fontSize=10).encode(
        x=x, y=y, text="axis_max:N")
    return alt.layer(rules, lines, lows, highs).properties(
        height=height, autosize=FIT_WIDTH, view=alt.ViewConfig(stroke=None))
