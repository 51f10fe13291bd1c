"""Charts that compare runs over epochs: overlaid curves, seed bands, rankings, panels.

* :func:`curves_chart` — learning curves of many runs overlaid (click a legend entry
  to highlight a run, drag to zoom the epochs, hover for values), epoch or
  wall-clock x, log scale;
* :func:`bands_chart` — seed replicates as mean ± std bands;
* :func:`at_epoch_chart` and :func:`replicate_chart` — runs (or replicate groups)
  ranked by a metric at a chosen epoch, with ± std whiskers for groups;
* :func:`side_by_side` — decision boundaries or confusion matrices of several runs
  in one chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import altair as alt
import pandas as pd
from altair.utils.data import to_values

from experiments.frames import lower_is_better, metric_title, thin
from ui.charts.style import FIT_WIDTH, RUN_SCHEME

__all__ = ["CURVES", "RANKING", "TITLE", "X_TITLES", "at_epoch_chart", "at_epoch_data",
           "at_epoch_layers", "bands_chart", "curves_chart", "curves_data", "curves_layers",
           "curves_shape", "replicate_chart", "side_by_side", "with_data"]

#: Titles of the x axes of learning curves.
X_TITLES = {"step": "epoch", "elapsed_s": "wall-clock time (s)"}


# --------------------------------------------------------------------------- curves


#: The names of the datasets the curves' and the ranking's specs refer to: a spec holds
#: no data, so a page keeps one spec per shape and sends only new data (issue 13).
CURVES, RANKING, TITLE = "curves", "ranking", "title"


def curves_data(
    history: pd.DataFrame,
    metrics: str | Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    x: Literal["step", "elapsed_s"] = "step",
    log_scale: bool = False,
    max_points: int = 400,
) -> dict[str, pd.DataFrame]:
    """The data :func:`curves_chart` draws, by dataset name (:data:`CURVES`,
    :data:`TITLE`); the parameters are :func:`curves_chart`'s.

    The curves are thinned per run and metric; each run's ``order`` (its legend
    position) and the title (the metrics' names) are data, not spec, so the spec
    (:func:`curves_layers`) is the same whichever runs and metric are drawn.
    """
    wanted = [metrics] if isinstance(metrics, str) else list(metrics)
    data = history[history["metric"].isin(wanted)].copy()
    names = dict(labels or {})
    data["run"] = [names.get(r, r) for r in data["run_id"]]
    if log_scale:
        data = data[data["value"] > 0]
    data = thin(data, x, max_points, by=["run_id", "metric"])
    cols = ["run", "metric", x, "value"] + (["raw"] if "raw" in data.columns else [])
    data = data[cols]
    runs = list(dict.fromkeys(data["run"]))
    data = data.assign(order=data["run"].map({run: i for i, run in enumerate(runs)}))
    title = ", ".join(metric_title(m) for m in wanted)
    return {CURVES: data.reset_index(drop=True), TITLE: title_frame(title)}


def curves_layers(
    *,
    x: Literal["step", "elapsed_s"] = "step",
    log_scale: bool = False,
    dashed: Sequence[str] = (),
    with_raw: bool = False,
    height: int = 340,
) -> alt.LayerChart:
    """The spec of :func:`curves_chart` without its data: layers that read the
    datasets :data:`CURVES` and :data:`TITLE` by name.

    Parameters
    ----------
    x, log_scale, height
        As :func:`curves_chart`.
    dashed : sequence of str
        When several metrics are drawn, all of them in order: the first solid, the
        others dashed (with a legend). Empty for one metric.
    with_raw : bool
        Whether the data has a ``raw`` (unsmoothed) column for the tooltip.
    """
    data = alt.NamedData(CURVES)
    pick = alt.selection_point(name="pick", fields=["run"], bind="legend")
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    hover = alt.selection_point(name="hover", fields=[x], nearest=True, on="pointerover",
                                clear="pointerout", empty=False)
    x_enc = alt.X(f"{x}:Q", title=X_TITLES.get(x, x),
                  axis=alt.Axis(format="d" if x == "step" else "~s", tickMinStep=1))
    # The metric's name is data (a text mark above the plot), not the axis title: the
    # spec is then the same for every metric, and Streamlit swaps the data of the
    # drawn chart in place when the metric changes instead of embedding a new one.
    y_enc = alt.Y("value:Q", title=None,
                  scale=alt.Scale(type="log", nice=False) if log_scale else alt.Scale(zero=False))
    # The legend's order is data (each run's position), not a list in the spec: the spec
    # is then the same whichever runs are picked, and Streamlit swaps the data of the
    # drawn chart in place when the selection changes (issue 13).
    color = alt.Color("run:N", title="run", scale=alt.Scale(scheme=RUN_SCHEME),
                      sort=alt.EncodingSortField(field="order", op="min"),
                      legend=alt.Legend(orient="bottom", columns=2, labelLimit=320,
                                        symbolType="stroke", symbolStrokeWidth=3))
    base = alt.Chart(data).encode(x=x_enc, y=y_enc, color=color)
    line_enc: dict[str, Any] = {
        "opacity": alt.condition(pick, alt.value(0.95), alt.value(0.1)),
        "strokeWidth": alt.condition(pick, alt.value(2.2), alt.value(1.2)),
        "detail": "metric:N",
    }
    if len(dashed) > 1:
        line_enc["strokeDash"] = alt.StrokeDash(
            "metric:N", sort=list(dashed), title="metric",
            scale=alt.Scale(domain=list(dashed), range=[[1, 0], [5, 3], [2, 2], [8, 2, 2, 2]]),
            legend=alt.Legend(orient="top", labelExpr=_metric_label_expr(dashed)))
    lines = base.mark_line().encode(**line_enc).add_params(pick, zoom)
    tooltip = [alt.Tooltip("run:N"), alt.Tooltip("metric:N"),
               alt.Tooltip(f"{x}:Q", title=X_TITLES.get(x, x), format=".0f" if x == "step"
                           else ".1f"),
               alt.Tooltip("value:Q", format=".4f")]
    if with_raw:
        tooltip.append(alt.Tooltip("raw:Q", title="unsmoothed", format=".4f"))
    points = base.mark_point(filled=True, size=48).encode(
        opacity=alt.condition(hover, alt.value(1.0), alt.value(0.0)),
        tooltip=tooltip,
    ).add_params(hover)
    rule = alt.Chart(data).mark_rule(color="#999", strokeDash=[3, 3]).encode(
        x=f"{x}:Q").transform_filter(hover)
    # Drawn on a canvas: the hover layer alone is a point per value (1,000 for ten runs
    # of 100 epochs), and as SVG each was an element the browser updated on every
    # redraw (a metric switch settled ~0.15 s later in Chromium, issue 13).
    return alt.layer(lines, points, rule, data_title()).properties(
        height=height, autosize=FIT_WIDTH, usermeta={"embedOptions": {"renderer": "canvas"}})


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
        Most points per curve drawn (:func:`experiments.frames.thin` per run and
        metric: evenly spaced, the first and the last kept).
    height : int
        Plot height in pixels; the width follows the container.

    Returns
    -------
    alt.LayerChart
        Layers: ``line`` marks coloured by run (clicking the legend highlights
        runs: param ``pick``; dragging zooms the x axis: param ``zoom``), ``point``
        marks shown at the x nearest the pointer (param ``hover``) with run, x,
        value in the tooltip, a dashed ``rule`` at that x, and the title. Its data
        (:func:`curves_data`) is in its ``datasets``.
    """
    frames = curves_data(history, metrics, labels=labels, x=x, log_scale=log_scale,
                         max_points=max_points)
    layers = curves_layers(x=x, log_scale=log_scale, height=height,
                           **curves_shape(frames, metrics))
    return with_data(layers, frames)


def curves_shape(frames: Mapping[str, pd.DataFrame], metrics: str | Sequence[str]
                 ) -> dict[str, Any]:
    """What :func:`curves_layers` needs to know of :func:`curves_data`'s ``frames`` for
    ``metrics``: ``dashed`` (the metrics when there are several) and ``with_raw``."""
    wanted = [metrics] if isinstance(metrics, str) else list(metrics)
    return {"dashed": tuple(wanted) if len(wanted) > 1 else (),
            "with_raw": "raw" in frames[CURVES].columns}


def with_data(chart: alt.TopLevelMixin, frames: Mapping[str, pd.DataFrame]) -> alt.TopLevelMixin:
    """``chart`` with the named datasets its layers read (an exportable, whole chart)."""
    return chart.properties(datasets={name: to_values(frame)["values"]
                                      for name, frame in frames.items()})


def title_frame(text: str) -> pd.DataFrame:
    """The data of :func:`data_title`: one row holding the title."""
    return pd.DataFrame({"title": [text]})


def data_title() -> alt.Chart:
    """A chart's title as a layer whose data (the dataset :data:`TITLE`, from
    :func:`title_frame`) holds it: bold text above the plot's top left corner.

    An axis title is part of the spec: a chart whose title names the metric changes
    its spec when the metric changes, and Streamlit then embeds a new Vega view
    (~0.5 s in Chromium) instead of swapping the data of the drawn one. With the title
    in data the spec stays the same (issue 13).
    """
    return alt.Chart(alt.NamedData(TITLE)).mark_text(
        align="left", baseline="bottom", dy=-8, fontSize=12, fontWeight="bold", clip=False,
    ).encode(text="title:N", x=alt.value(0), y=alt.value(0))


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
                      legend=alt.Legend(orient="bottom", columns=1,
                                        labelLimit=alt.ExprRef(expr="max(width - 24, 80)")))
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


# --------------------------------------------------------------------------- at an epoch


def at_epoch_data(values: pd.DataFrame, metric: str, *, label: str = "run"
                  ) -> dict[str, pd.DataFrame]:
    """The data :func:`at_epoch_chart` draws, by dataset name (:data:`RANKING`,
    :data:`TITLE`); the parameters are :func:`at_epoch_chart`'s.

    Every metric-specific part is data, so the spec (:func:`at_epoch_layers`) is the
    same for every metric and number of runs (see :func:`data_title`): the value
    column is ``value``, the order a ``rank``, and accuracies keep zero on the axis
    through an invisible tick at ``anchor`` (the smallest value otherwise).
    """
    data = values[[label, "epoch", metric]].dropna(subset=[metric])
    data = data.sort_values(metric, ascending=lower_is_better(metric))
    data = pd.DataFrame({"run": data[label].to_numpy(), "epoch": data["epoch"].to_numpy(),
                         "value": data[metric].to_numpy(), "rank": range(len(data)),
                         "metric": metric_title(metric)})
    data["anchor"] = 0.0 if "accuracy" in metric else data["value"].min()
    return {RANKING: data, TITLE: title_frame(metric_title(metric))}


def at_epoch_layers(*, label: str = "run", height: int | None = None) -> alt.LayerChart:
    """The spec of :func:`at_epoch_chart` without its data: layers that read the
    datasets :data:`RANKING` and :data:`TITLE` by name. ``height`` default: 26 px per
    run (a band step, so the spec does not depend on the number of runs)."""
    base = alt.Chart(alt.NamedData(RANKING)).encode(
        y=alt.Y("run:N", sort=alt.EncodingSortField("rank", op="min", order="ascending"),
                title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("value:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("run:N", title=label), alt.Tooltip("metric:N"),
                 alt.Tooltip("epoch:Q"), alt.Tooltip("value:Q", format=".4f")],
    )
    bars = base.mark_bar(color="#4c78a8", cornerRadiusEnd=3, height={"band": 0.7})
    text = base.mark_text(align="left", dx=4, fontSize=11).encode(
        text=alt.Text("value:Q", format=".4f"))
    anchor = base.mark_tick(opacity=0).encode(x="anchor:Q", tooltip=alt.value(None))
    return alt.layer(bars, text, anchor, data_title()).properties(
        height=height or alt.Step(26), autosize=FIT_WIDTH)


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
        Plot height; default 26 px per run.

    Returns
    -------
    alt.LayerChart
        Horizontal ``bar`` marks sorted best first (lowest loss / highest accuracy,
        :func:`experiments.frames.lower_is_better`), with the values written at the
        bars' ends (``text``) and the metric's name as title. Its data
        (:func:`at_epoch_data`) is in its ``datasets``.
    """
    return with_data(at_epoch_layers(label=label, height=height),
                     at_epoch_data(values, metric, label=label))


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
        Plot height; default 44 px per group.

    Returns
    -------
    alt.LayerChart
        ``rule`` whiskers (mean - std to mean + std), ``point`` means, best first, and
        above each whisker its group and number of runs as ``text`` (no y axis: the
        labels use the chart's whole width, the plot too).
    """
    mean, std = f"{metric}_mean", f"{metric}_std"
    data = summary[["group", "n", mean, std]].copy()
    data["lower"] = data[mean] - data[std]
    data["upper"] = data[mean] + data[std]
    data = data.sort_values(mean, ascending=lower_is_better(metric))
    data["caption"] = data["group"] + " · " + data["n"].astype(str) + " runs"
    order = data["group"].tolist()
    # Each group's label is written above its whisker, across the whole width: as axis
    # labels, long labels ("dataset=moons, noise=0.2, …") left no room for the plot.
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", sort=order, title=None, axis=None,
                scale=alt.Scale(paddingOuter=0.7)),
        tooltip=[alt.Tooltip("group:N"), alt.Tooltip("n:Q", title="runs"),
                 alt.Tooltip(f"{mean}:Q", title="mean", format=".4f"),
                 alt.Tooltip(f"{std}:Q", title="std", format=".4f")],
    )
    whiskers = base.mark_rule(strokeWidth=2, color="#4c78a8").encode(
        x=alt.X("lower:Q", title=[metric_title(metric), "mean ± std across seeds"],
                scale=alt.Scale(zero=False)),
        x2="upper:Q")
    points = base.mark_point(filled=True, size=80, color="#4c78a8").encode(x=f"{mean}:Q")
    captions = base.mark_text(align="left", baseline="bottom", dy=-7, fontSize=11,
                              color="#444", limit=alt.ExprRef(expr="width")).encode(
        x=alt.value(0), text="caption:N")
    return alt.layer(whiskers, points, captions).properties(
        height=height or max(90, 44 * len(data)), autosize=FIT_WIDTH)


# --------------------------------------------------------------------------- small multiples


def side_by_side(charts: Sequence[tuple[str, alt.TopLevelMixin]], *, columns: int = 3,
                 width: int = 260, height: int = 240) -> alt.ConcatChart:
    """Several per-run charts (decision boundaries, confusion matrices) in a grid.

    Parameters
    ----------
    charts : sequence of (title, chart)
        Charts from :func:`ui.charts.boundary.boundary_chart` or
        :func:`ui.charts.model.confusion_matrix` (their own ``autosize``, ``usermeta``
        and width are dropped: Vega-Lite allows the first two only at the top level).
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
        panel.usermeta = alt.Undefined
        panels.append(panel.properties(width=width, height=height,
                                       title=alt.TitleParams(title, fontSize=12)))
    grid = alt.concat(*panels, columns=columns).resolve_scale(color="independent")
    # Streamlit draws a chart whose datasets hold more than 2,000 rows on a canvas
    # unless the spec names a renderer; a 50 x 50 boundary grid is 2,500 cells, so
    # the panels would silently switch to canvas (no SVG to export or inspect).
    # Ask for SVG: a few thousand rects per panel draw quickly.
    return grid.properties(usermeta={"embedOptions": {"renderer": "svg"}})
