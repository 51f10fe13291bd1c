"""Altair charts that compare runs: pure functions from tidy frames to interactive charts.

Every chart here answers part of "which settings work best, and why?":

* :func:`curves_chart` — learning curves of many runs overlaid (click a legend entry
  to highlight a run, drag to zoom the epochs, hover for values), epoch or
  wall-clock x, log scale;
* :func:`bands_chart` — seed replicates as mean ± std bands;
* :func:`param_scatter` — one hyperparameter against one metric, coloured by a third;
* :func:`parallel_frame` / :func:`parallel_coordinates` — every run as a line across
  params and final metrics, each axis scaled to its own range;
* :func:`at_epoch_chart` and :func:`replicate_chart` — runs (or replicate groups)
  ranked by a metric at a chosen epoch, with ± std whiskers for groups;
* :func:`side_by_side` — decision boundaries or confusion matrices of several runs
  in one chart;
* :func:`chart_image` — any chart as PNG or SVG bytes (vl-convert, offline).

Nothing here imports streamlit. Tests check the specs (marks, encodings, params).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd

from experiments.charts import FIT_WIDTH

__all__ = [
    "METRIC_TITLES",
    "X_TITLES",
    "at_epoch_chart",
    "bands_chart",
    "boundary_panel",
    "chart_image",
    "curves_chart",
    "lower_is_better",
    "metric_title",
    "parallel_coordinates",
    "parallel_frame",
    "param_scatter",
    "replicate_chart",
    "side_by_side",
]

#: Readable names of the metrics the runner logs.
METRIC_TITLES = {
    "train_loss": "training loss", "val_loss": "validation loss",
    "train_accuracy": "training accuracy", "val_accuracy": "validation accuracy",
    "train_rmse": "training RMSE", "val_rmse": "validation RMSE",
}
#: Titles of the x axes of learning curves.
X_TITLES = {"step": "epoch", "elapsed_s": "wall-clock time (s)"}
#: Many runs need many distinguishable colours.
RUN_SCHEME = "tableau20"


def metric_title(metric: str) -> str:
    """A metric's readable name: ``metrics.final_val_loss`` -> ``validation loss``."""
    name = metric.removeprefix("metrics.").removeprefix("final_")
    return METRIC_TITLES.get(name, name.replace("_", " "))


def lower_is_better(metric: str) -> bool:
    """Losses and errors go down, accuracies go up."""
    name = metric.lower()
    return not ("accuracy" in name or "auc" in name or "f1" in name)


def _thin(frame: pd.DataFrame, x: str, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` points per curve (evenly spaced, first and last kept)."""
    if frame.empty:
        return frame
    keys = ["run"] + (["metric"] if "metric" in frame.columns else [])
    sizes = frame.groupby(keys, sort=False)[x].transform("size")
    if int(sizes.max()) <= max_points:
        return frame
    rank = frame.groupby(keys, sort=False).cumcount()
    stride = np.ceil(sizes / max_points).astype(int)
    keep = (rank % stride == 0) | (rank == sizes - 1)
    return frame[keep]


# --------------------------------------------------------------------------- curves


def curves_chart(
    history: pd.DataFrame,
    metrics: str | Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    x: Literal["step", "elapsed_s"] = "step",
    log_scale: bool = False,
    max_points: int = 400,
    height: int = 340,
) -> alt.LayerChart:
    """Learning curves of several runs overlaid, interactive.

    Parameters
    ----------
    history : DataFrame
        Tidy histories: ``run_id``, ``metric``, ``value`` and the ``x`` column
        (``step``; ``elapsed_s`` from :func:`experiments.compare.add_elapsed`); a
        ``raw`` column (from smoothing) is shown in the tooltip.
    metrics : str or sequence of str
        One metric (``val_loss``) or several (``["val_loss", "train_loss"]``: the
        first solid, the others dashed).
    labels : mapping, optional
        Run id -> legend label (default the run id).
    x : {"step", "elapsed_s"}
        Epochs or seconds since the run's first point.
    log_scale : bool
        Logarithmic y axis (losses spanning decades).
    max_points : int
        Most points per curve drawn.
    height : int
        Plot height in pixels; the width follows the container.

    Returns
    -------
    alt.LayerChart
        Layers: ``line`` marks coloured by run (clicking the legend highlights
        runs: param ``pick``; dragging zooms the x axis: param ``zoom``), and
        ``point`` marks shown at the x nearest the pointer (param ``hover``) with
        run, x, value in the tooltip.
    """
    wanted = [metrics] if isinstance(metrics, str) else list(metrics)
    data = history[history["metric"].isin(wanted)].copy()
    names = dict(labels or {})
    data["run"] = [names.get(r, r) for r in data["run_id"]]
    if log_scale:
        data = data[data["value"] > 0]
    data = _thin(data, x, max_points)
    cols = ["run", "metric", x, "value"] + (["raw"] if "raw" in data.columns else [])
    data = data[cols]
    runs = list(dict.fromkeys(data["run"]))
    pick = alt.selection_point(name="pick", fields=["run"], bind="legend")
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    hover = alt.selection_point(name="hover", fields=[x], nearest=True, on="pointerover",
                                clear="pointerout", empty=False)
    y_title = metric_title(wanted[0]) if len(wanted) == 1 else ", ".join(
        metric_title(m) for m in wanted)
    x_enc = alt.X(f"{x}:Q", title=X_TITLES.get(x, x),
                  axis=alt.Axis(format="d" if x == "step" else "~s", tickMinStep=1))
    y_enc = alt.Y("value:Q", title=y_title,
                  scale=alt.Scale(type="log", nice=False) if log_scale else alt.Scale(zero=False))
    color = alt.Color("run:N", title="run", sort=runs, scale=alt.Scale(scheme=RUN_SCHEME),
                      legend=alt.Legend(orient="bottom", columns=2, labelLimit=320,
                                        symbolType="stroke", symbolStrokeWidth=3))
    base = alt.Chart(data).encode(x=x_enc, y=y_enc, color=color)
    line_enc: dict[str, Any] = {
        "opacity": alt.condition(pick, alt.value(0.95), alt.value(0.1)),
        "strokeWidth": alt.condition(pick, alt.value(2.2), alt.value(1.2)),
        "detail": "metric:N",
    }
    if len(wanted) > 1:
        line_enc["strokeDash"] = alt.StrokeDash(
            "metric:N", sort=wanted, title="metric",
            scale=alt.Scale(domain=wanted, range=[[1, 0], [5, 3], [2, 2], [8, 2, 2, 2]]),
            legend=alt.Legend(orient="top", labelExpr=_metric_label_expr(wanted)))
    lines = base.mark_line().encode(**line_enc).add_params(pick, zoom)
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("metric:N"),
               alt.Tooltip(f"{x}:Q", title=X_TITLES.get(x, x), format=".0f" if x == "step"
                           else ".1f"),
               alt.Tooltip("value:Q", format=".4f")]
    if "raw" in data.columns:
        tooltip.append(alt.Tooltip("raw:Q", title="unsmoothed", format=".4f"))
    points = base.mark_point(filled=True, size=48).encode(
        opacity=alt.condition(hover, alt.value(1.0), alt.value(0.0)),
        tooltip=tooltip,
    ).add_params(hover)
    rule = alt.Chart(data).mark_rule(color="#999", strokeDash=[3, 3]).encode(
        x=f"{x}:Q").transform_filter(hover)
    return alt.layer(lines, points, rule).properties(height=height, autosize=FIT_WIDTH)


def _metric_label_expr(metrics: Sequence[str]) -> str:
    parts = [f"datum.label == '{m}' ? '{metric_title(m)}'" for m in metrics]
    return " : ".join(parts) + " : datum.label"


def bands_chart(
    bands: pd.DataFrame,
    metric: str,
    *,
    x: str = "step",
    log_scale: bool = False,
    height: int = 320,
) -> alt.LayerChart:
    """Seed replicates: the mean curve of each group with a ± 1 std band.

    Parameters
    ----------
    bands : DataFrame
        From :func:`experiments.compare.replicate_bands`: ``group``, ``metric``, ``x``,
        ``mean``, ``std``, ``lower``, ``upper``, ``n``.
    metric : str
        Which metric to draw.
    x : str
        The x column.
    log_scale : bool
        Logarithmic y axis.
    height : int
        Plot height in pixels.

    Returns
    -------
    alt.LayerChart
        An ``area`` layer (``lower`` to ``upper``, translucent) and a ``line`` layer
        (``mean``), both coloured by group; the legend highlights a group (param
        ``group_pick``) and dragging zooms the x axis.
    """
    data = bands[bands["metric"] == metric].drop(columns="metric")
    if log_scale:
        data = data[data["lower"] > 0]
    groups = list(dict.fromkeys(data["group"]))
    pick = alt.selection_point(name="group_pick", fields=["group"], bind="legend")
    zoom = alt.selection_interval(name="band_zoom", bind="scales", encodings=["x"])
    color = alt.Color("group:N", title="settings (replicates pooled)", sort=groups,
                      scale=alt.Scale(scheme=RUN_SCHEME),
                      legend=alt.Legend(orient="bottom", columns=2, labelLimit=360))
    x_enc = alt.X(f"{x}:Q", title=X_TITLES.get(x, x), axis=alt.Axis(format="d"))
    scale = alt.Scale(type="log", nice=False) if log_scale else alt.Scale(zero=False)
    base = alt.Chart(data).encode(x=x_enc, color=color)
    area = base.mark_area().encode(
        y=alt.Y("lower:Q", title=f"{metric_title(metric)} (mean ± std)", scale=scale),
        y2="upper:Q",
        opacity=alt.condition(pick, alt.value(0.22), alt.value(0.03)),
    )
    line = base.mark_line(strokeWidth=2.2).encode(
        y=alt.Y("mean:Q", scale=scale),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.12)),
        tooltip=[alt.Tooltip("group:N"), alt.Tooltip(f"{x}:Q", title=X_TITLES.get(x, x)),
                 alt.Tooltip("mean:Q", format=".4f"), alt.Tooltip("std:Q", format=".4f"),
                 alt.Tooltip("n:Q", title="runs")],
    ).add_params(pick, zoom)
    return alt.layer(area, line).properties(height=height, autosize=FIT_WIDTH)


# --------------------------------------------------------------------------- params


def _field_type(series: pd.Series) -> str:
    return "quantitative" if pd.api.types.is_numeric_dtype(series) and not (
        pd.api.types.is_bool_dtype(series)) else "nominal"


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
        pan with the mouse.
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
        numeric = _field_type(series) == "quantitative"
        if numeric:
            values = pd.to_numeric(series, errors="coerce").astype(float)
            lo, hi = values.min(), values.max()
            norm = (values - lo) / (hi - lo) if hi > lo else values * 0 + 0.5
            lo_text, hi_text = _fmt(lo), _fmt(hi)
            texts = values.map(_fmt)
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


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


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
        From :func:`parallel_frame`.
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
    x = alt.X("axis:N", sort=axes, title=None,
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


# --------------------------------------------------------------------------- at an epoch


def at_epoch_chart(values: pd.DataFrame, metric: str, *, label: str = "run",
                   height: int | None = None) -> alt.LayerChart:
    """Runs ranked by one metric at the chosen epoch (best on top).

    Parameters
    ----------
    values : DataFrame
        One row per run: ``label``, ``epoch`` and ``metric`` (from
        :func:`experiments.compare.values_at`).
    metric : str
        The metric column.
    label : str
        The run label column.
    height : int, optional
        Plot height; default 24 px per run.

    Returns
    -------
    alt.LayerChart
        Horizontal ``bar`` marks sorted best first (lowest loss / highest accuracy),
        with the values written at the bars' ends (``text``).
    """
    data = values[[label, "epoch", metric]].dropna(subset=[metric]).copy()
    data = data.sort_values(metric, ascending=lower_is_better(metric))
    order = data[label].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"{metric}:Q", title=metric_title(metric),
                scale=alt.Scale(zero="accuracy" in metric)),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip("epoch:Q"),
                 alt.Tooltip(f"{metric}:Q", format=".4f")],
    )
    bars = base.mark_bar(color="#4c78a8", cornerRadiusEnd=3, height={"band": 0.7})
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        text=alt.Text(f"{metric}:Q", format=".4f"))
    return alt.layer(bars, text).properties(height=height or max(80, 26 * len(data)),
                                            autosize=FIT_WIDTH)


def replicate_chart(summary: pd.DataFrame, metric: str, *, height: int | None = None
                    ) -> alt.LayerChart:
    """Replicate groups ranked by a metric's mean, with ± 1 std whiskers.

    Parameters
    ----------
    summary : DataFrame
        From :func:`experiments.compare.replicate_summary`: ``group``, ``n``,
        ``<metric>_mean`` and ``<metric>_std``.
    metric : str
        The metric.
    height : int, optional
        Plot height; default 28 px per group.

    Returns
    -------
    alt.LayerChart
        ``rule`` whiskers (mean - std to mean + std) and ``point`` means, best first.
    """
    mean, std = f"{metric}_mean", f"{metric}_std"
    data = summary[["group", "n", mean, std]].copy()
    data["lower"] = data[mean] - data[std]
    data["upper"] = data[mean] + data[std]
    data = data.sort_values(mean, ascending=lower_is_better(metric))
    order = data["group"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        tooltip=[alt.Tooltip("group:N"), alt.Tooltip("n:Q", title="runs"),
                 alt.Tooltip(f"{mean}:Q", title="mean", format=".4f"),
                 alt.Tooltip(f"{std}:Q", title="std", format=".4f")],
    )
    whiskers = base.mark_rule(strokeWidth=2, color="#4c78a8").encode(
        x=alt.X("lower:Q", title=f"{metric_title(metric)} (mean ± std)",
                scale=alt.Scale(zero=False)),
        x2="upper:Q")
    points = base.mark_point(filled=True, size=80, color="#4c78a8").encode(x=f"{mean}:Q")
    counts = base.transform_calculate(runs="'n = ' + datum.n").mark_text(
        align="left", dx=8, dy=-9, fontSize=10, color="#555").encode(x=f"{mean}:Q",
                                                                     text="runs:N")
    return alt.layer(whiskers, points, counts
    ).properties(height=height or max(80, 30 * len(data)), autosize=FIT_WIDTH)


# --------------------------------------------------------------------------- small multiples


def side_by_side(charts: Sequence[tuple[str, alt.TopLevelMixin]], *, columns: int = 3,
                 width: int = 260, height: int = 240) -> alt.ConcatChart:
    """Several per-run charts (decision boundaries, confusion matrices) in a grid.

    Parameters
    ----------
    charts : sequence of (title, chart)
        Charts from :mod:`experiments.charts` (their own ``autosize`` is dropped:
        Vega-Lite allows it only at the top level).
    columns : int
        Charts per row.
    width, height : int
        Size of each panel in pixels.

    Returns
    -------
    alt.ConcatChart
        Panels titled by run, sharing nothing but the layout; classes keep their
        colours in every panel. Drawn as SVG in the browser (``usermeta``), whatever
        the number of grid cells.
    """
    panels = []
    for title, chart in charts:
        panel = chart.copy(deep=True)
        panel.autosize = alt.Undefined
        panels.append(panel.properties(width=width, height=height,
                                       title=alt.TitleParams(title, fontSize=12)))
    grid = alt.concat(*panels, columns=columns).resolve_scale(color="independent")
    # Streamlit draws a chart whose datasets hold more than 2,000 rows on a canvas
    # unless the spec names a renderer; a 50 x 50 boundary grid is 2,500 cells, so
    # the panels would silently switch to canvas (no SVG to export or inspect).
    # Ask for SVG: a few thousand rects per panel draw quickly.
    return grid.properties(usermeta={"embedOptions": {"renderer": "svg"}})


# --------------------------------------------------------------------------- export


def chart_image(chart: alt.TopLevelMixin, fmt: Literal["png", "svg"] = "png", *,
                scale: float = 2.0, width: int = 900) -> bytes:
    """A chart as PNG or SVG bytes, rendered offline with vl-convert.

    Parameters
    ----------
    chart : alt.Chart
        Any Altair chart. A chart that fills its container's width is given
        ``width`` pixels (there is no container outside the browser).
    fmt : {"png", "svg"}
        Image format.
    scale : float
        PNG pixel density (2: sharp on high-DPI screens and in slides).
    width : int
        Width for container-width charts.

    Returns
    -------
    bytes
    """
    import vl_convert as vlc

    spec = chart.to_dict()
    if spec.get("width") == "container" or spec.get("autosize", {}).get("type") in (
            "fit", "fit-x"):
        spec["width"] = width
        spec["autosize"] = {"type": "pad", "contains": "padding"}
    spec.setdefault("background", "white")
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    raise ValueError(f"fmt = {fmt!r}: must be 'png' or 'svg'")


def boundary_panel(grid: pd.DataFrame, dataset: Any, title: str,
                   *, height: int = 260) -> alt.LayerChart:
    """One run's decision boundary (from its ``decision_boundary.csv``) under its data.

    Parameters
    ----------
    grid : DataFrame
        :func:`experiments.queries.decision_boundary` of the run.
    dataset : Dataset
        The run's 2-D dataset (its points and class names).
    title : str
        Panel title (the run).
    height : int
        Height in pixels.

    Returns
    -------
    alt.LayerChart
        :func:`experiments.charts.decision_boundary`'s chart.
    """
    from experiments import charts

    x, y = dataset.raw_feature_names
    cells = charts.boundary_frame(grid, x, y, dataset.class_names,
                                  labels=dataset.preprocessor.target.labels)
    return charts.decision_boundary(cells, dataset.frame(), x, y, dataset.class_names,
                                    title=title, height=height)
