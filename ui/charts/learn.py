"""The Learn page's pictures: the network as a diagram, every hidden unit over the plane,
the perceptron's line before and after the trick, the sample's loss step by step.

Each chart is a function of plain numbers or a tidy frame; nothing here computes
gradients (they come from :func:`nncore.backprop_trace`).

The charts a step redraws (the network diagram, the neuron heatmaps, the loss history)
are Vega-Lite specs as dicts, their data as named datasets (pandas frames that
``st.vega_lite_chart`` sends as Arrow). Each is written with Altair once per shape
(the titles, sizes and classes a chart has) and validated then; a redraw only puts
this step's data and scale domains into a copy. Building and validating the Altair
chart on every step cost about as much as the rest of the step (issue 11's 300 ms).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from ui.charts.style import CLASS_COLORS, FIT_WIDTH, class_scale

__all__ = ["history_chart", "network_diagram", "network_frames", "neuron_heatmaps",
           "perceptron_chart"]

#: The most edges drawn between two layers (the largest |value| ones).
MAX_EDGES = 600
#: The most units of one layer drawn as a heatmap.
MAX_HEATMAP_UNITS = 16
POSITIVE, NEGATIVE = "#d6604d", "#4393c3"   # red positive, blue negative (as the weights view)
#: Vega-Embed's options read from a spec: the charts with thousands of marks are drawn on
#: a canvas, not as as many SVG elements (a redraw of the 48 heatmaps of a 3 x 64 network
#: took about a second less in Chromium).
CANVAS = {"embedOptions": {"renderer": "canvas"}}

Spec = dict[str, Any]


def network_frames(weights: Sequence[np.ndarray], activations: Sequence[np.ndarray],
                   *, edge_values: Sequence[np.ndarray] | None = None,
                   input_names: Sequence[str] | None = None, max_edges: int = MAX_EDGES,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Nodes and edges of a dense network, laid out by layer.

    Parameters
    ----------
    weights : sequence of ndarray
        ``W`` per layer, (inputs x units).
    activations : sequence of ndarray
        One value per node for the current sample: the inputs first, then each layer's
        ``A`` (so ``len(weights) + 1`` vectors).
    edge_values : sequence of ndarray, optional
        What the edges show (default: the weights; the backward view passes ``dW``).
    input_names : sequence of str, optional
        Labels of the input nodes.
    max_edges : int
        Per layer, only the ``max_edges`` largest |values| are kept.

    Returns
    -------
    nodes : DataFrame
        ``layer``, ``unit``, ``x``, ``y``, ``value``, ``label``.
    edges : DataFrame
        ``x``, ``y``, ``x2``, ``y2``, ``value``, ``magnitude``, ``sign``, ``label``,
        the largest |value| first within each layer.
    hidden : int
        How many edges were left out.
    """
    edge_values = edge_values if edge_values is not None else weights
    sizes = [weights[0].shape[0], *(W.shape[1] for W in weights)]

    def ys(n: int) -> np.ndarray:
        return np.linspace(-(n - 1) / 2, (n - 1) / 2, n) if n > 1 else np.zeros(1)

    node_parts = []
    for layer, n in enumerate(sizes):
        names = (list(input_names) if layer == 0 and input_names is not None
                 else [f"unit {u + 1}" for u in range(n)])
        where = "input" if layer == 0 else f"layer {layer}"
        node_parts.append(pd.DataFrame({
            "layer": layer, "unit": np.arange(1, n + 1), "x": float(layer), "y": ys(n),
            "value": np.asarray(activations[layer], dtype=np.float64).ravel()[:n],
            "label": [f"{where} · {name}" for name in names[:n]]}))
    edge_parts, dropped = [], 0
    for layer, values in enumerate(edge_values):
        values = np.asarray(values, dtype=np.float64)
        y_in, y_out = ys(values.shape[0]), ys(values.shape[1])
        flat = values.ravel()
        order = np.argsort(-np.abs(flat), kind="stable")
        keep = order[:max_edges]
        dropped += flat.size - keep.size
        j, k = np.divmod(keep, values.shape[1])
        v = flat[keep]
        edge_parts.append(pd.DataFrame({
            "x": float(layer), "y": y_in[j], "x2": float(layer + 1), "y2": y_out[k],
            "value": v, "magnitude": np.abs(v),
            "sign": np.where(v >= 0, "positive", "negative"),
            "label": [f"W{layer + 1}[{a + 1}→{b + 1}]" for a, b in zip(j.tolist(), k.tolist(),
                                                                      strict=True)]}))
    return (pd.concat(node_parts, ignore_index=True), pd.concat(edge_parts, ignore_index=True),
            dropped)


@lru_cache(maxsize=16)
def _network_template(edge_title: str, node_title: str, height: int) -> str:
    """The diagram's spec without data (JSON: every caller gets a fresh copy)."""
    none = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    edge_layer = alt.Chart(alt.Data(name="edges")).mark_rule(opacity=0.75).encode(
        x=alt.X("x:Q", axis=none), y=alt.Y("y:Q", axis=none), x2="x2:Q", y2="y2:Q",
        color=alt.Color("sign:N", scale=alt.Scale(domain=["positive", "negative"],
                                                  range=[POSITIVE, NEGATIVE]),
                        title=f"{edge_title} sign"),
        strokeWidth=alt.StrokeWidth("magnitude:Q", scale=alt.Scale(domain=[0, 1.0],
                                                                  range=[0.2, 6]),
                                    title=f"|{edge_title}|"),
        tooltip=[alt.Tooltip("label:N", title="edge"),
                 alt.Tooltip("value:Q", title=edge_title, format=".4g")],
    )
    node_layer = alt.Chart(alt.Data(name="nodes")).mark_circle(
        size=260, stroke="#333", strokeWidth=1, opacity=1).encode(
        x="x:Q", y="y:Q",
        color=alt.Color("value:Q", scale=alt.Scale(scheme="redblue", reverse=True,
                                                   domain=[-1.0, 1.0]),
                        title=node_title),
        tooltip=[alt.Tooltip("label:N", title="node"),
                 alt.Tooltip("value:Q", title="value", format=".4g")],
    )
    chart = (edge_layer + node_layer).resolve_scale(color="independent").properties(
        title="", height=height, autosize=FIT_WIDTH, usermeta=CANVAS)  # 2,400 edges and more
    return json.dumps(chart.to_dict())   # validated here, once per shape


def network_diagram(nodes: pd.DataFrame, edges: pd.DataFrame, *, title: str,
                    edge_title: str = "weight", node_title: str = "activation",
                    height: int = 360) -> Spec:
    """TensorFlow Playground's view: edges coloured by sign and as thick as |value|,
    nodes coloured by the current sample's activation (tooltips give the numbers).

    Parameters
    ----------
    nodes, edges : DataFrame
        From :func:`network_frames`.
    title : str
    edge_title : str
        What the edges are, for the legends ("weight", "gradient").
    node_title : str
        What the nodes are, for the legend ("activation", "δ").
    height : int
        Of the plot, in pixels (it fills the container's width).

    Returns
    -------
    dict
        A layered Vega-Lite spec; ``datasets`` holds ``edges`` and ``nodes`` (for
        ``st.vega_lite_chart``).
    """
    spec = json.loads(_network_template(edge_title, node_title, height))
    top = float(edges["magnitude"].max()) if len(edges) else 1.0
    extent = max(1e-12, float(nodes["value"].abs().max()))
    spec["layer"][0]["encoding"]["strokeWidth"]["scale"]["domain"] = [0, top or 1.0]
    spec["layer"][1]["encoding"]["color"]["scale"]["domain"] = [-extent, extent]
    spec["title"] = title
    spec["datasets"] = {"edges": edges, "nodes": nodes}
    return spec


#: A panel is ``layer * PANEL + unit`` (a number: the faceting needs no text column).
PANEL = 1000


@lru_cache(maxsize=16)
def _heatmap_template(x: str, y: str, label: str | None, classes: tuple[str, ...] | None,
                      size: int, columns: int) -> str:
    """The heatmaps' spec without data and cell sizes (JSON, a fresh copy per caller)."""
    # the heat is a fill scale and the points a colour scale: two channels, two legends,
    # each drawn once for all panels (one shared colour channel would merge them)
    heat = alt.Chart().transform_filter("isValid(datum.value)").mark_rect().encode(
        x=alt.X(f"{x}:Q", title=x, scale=alt.Scale(nice=False, zero=False)),
        x2="_cell_x_end:Q",
        y=alt.Y(f"{y}:Q", title=y, scale=alt.Scale(nice=False, zero=False)),
        y2="_cell_y_end:Q",
        fill=alt.Fill("value:Q", scale=alt.Scale(scheme="redblue", reverse=True,
                                                 domainMid=0), title="unit output"),
        tooltip=[alt.Tooltip("layer:Q"), alt.Tooltip("unit:Q"),
                 alt.Tooltip("value:Q", format=".3g")],
    )
    layers: list[alt.Chart] = [heat]
    if label is not None:
        scale = class_scale(list(classes)) if classes else alt.Scale(range=list(CLASS_COLORS))
        layers.append(alt.Chart().transform_filter(f"isValid(datum['{label}'])").mark_circle(
            size=10, opacity=0.8, stroke="white", strokeWidth=0.3).encode(
            x=f"{x}:Q", y=f"{y}:Q", color=alt.Color(f"{label}:N", scale=scale, title=label)))
    chart = alt.layer(*layers, data=alt.Data(name="heat")).properties(width=size, height=size)
    header = alt.Header(labelExpr=f"'L' + floor(datum.value / {PANEL}) + ' · unit ' + "
                                  f"(datum.value % {PANEL})")
    chart = chart.facet(facet=alt.Facet("panel:O", title=None, header=header),
                        columns=columns).resolve_scale(fill="shared", color="shared")
    chart = chart.properties(usermeta=CANVAS)   # tens of thousands of cells and points
    return json.dumps(chart.to_dict())   # validated here, once per shape


def neuron_heatmaps(frame: pd.DataFrame, x: str, y: str, points: pd.DataFrame | None = None,
                    *, label: str | None = None, classes: Sequence[str] | None = None,
                    size: int = 110, max_units: int = MAX_HEATMAP_UNITS,
                    columns: int = 5) -> Spec:
    """Every hidden unit's output over the input plane, as small multiples.

    Parameters
    ----------
    frame : DataFrame
        From :func:`ui.learn_session.hidden_unit_outputs`: ``x``, ``y``, ``layer``,
        ``unit``, ``value``.
    x, y : str
        The two raw feature columns.
    points : DataFrame, optional
        Training points drawn on every panel, coloured by ``label``.
    max_units : int
        Per layer, the first ``max_units`` units are drawn.
    columns : int
        Panels per row (five fit the page's width with the legends beside them).

    Returns
    -------
    dict
        A faceted Vega-Lite spec, one panel per unit (titled ``L1 · unit 3``), a row per
        hidden layer; its data is ``datasets["heat"]``, an Arrow table: the cells (with
        ``_cell_x_end``, ``_cell_y_end``) and, per panel, the points; ``panel`` is
        ``layer * 1000 + unit``.
    """
    keep = frame["unit"].to_numpy() <= max_units
    layer = frame["layer"].to_numpy()[keep].astype(np.int64)
    unit = frame["unit"].to_numpy()[keep].astype(np.int64)
    gx = frame[x].to_numpy()[keep].astype(np.float64)
    gy = frame[y].to_numpy()[keep].astype(np.float64)
    xs, ys = np.unique(gx), np.unique(gy)
    dx = float(xs[1] - xs[0]) if len(xs) > 1 else 1.0
    dy = float(ys[1] - ys[0]) if len(ys) > 1 else 1.0
    panels = np.unique(layer * PANEL + unit)
    columns_: dict[str, np.ndarray] = {
        x: gx, y: gy, "layer": layer, "unit": unit, "panel": layer * PANEL + unit,
        "value": frame["value"].to_numpy()[keep].astype(np.float64),
        # cell ends under names no dataset uses (moons' own features are called x1, x2)
        "_cell_x_end": gx + dx, "_cell_y_end": gy + dy}
    arrays = {k: pa.array(v) for k, v in columns_.items()}
    with_points = points is not None and label is not None and len(points) > 0
    if with_points:
        n, m = len(points), len(panels)
        extra = {x: np.tile(points[x].to_numpy(np.float64), m),
                 y: np.tile(points[y].to_numpy(np.float64), m),
                 "layer": np.repeat(panels // PANEL, n), "unit": np.repeat(panels % PANEL, n),
                 "panel": np.repeat(panels, n)}
        arrays = {k: pa.concat_arrays([v, pa.array(extra[k]) if k in extra
                                       else pa.nulls(n * m, v.type)])
                  for k, v in arrays.items()}
        names = np.asarray(points[label].astype(str).to_numpy(), dtype=str)
        arrays[label] = pa.concat_arrays([pa.nulls(len(gx), pa.string()),
                                          pa.array(np.tile(names, m))])
    spec = json.loads(_heatmap_template(
        x, y, label if with_points else None,
        tuple(classes) if with_points and classes else None, size,
        min(columns, max(1, int(unit.max()) if unit.size else 1))))
    spec["datasets"] = {"heat": pa.table(arrays)}
    return spec


def perceptron_chart(points: pd.DataFrame, x: str, y: str, label: str,
                     lines: pd.DataFrame, highlight: pd.DataFrame | None = None,
                     classes: Sequence[str] | None = None) -> alt.LayerChart:
    """The points, the perceptron's line before and after the trick, the point it used.

    Parameters
    ----------
    lines : DataFrame
        ``x``, ``y``, ``line`` ("before" / "after"): two points per line.
    highlight : DataFrame, optional
        The point the trick used (``x``, ``y``).
    """
    scale = class_scale(list(classes)) if classes else alt.Scale(range=list(CLASS_COLORS))
    base = alt.Chart(points).mark_circle(size=30, opacity=0.7).encode(
        x=alt.X(f"{x}:Q", scale=alt.Scale(zero=False)),
        y=alt.Y(f"{y}:Q", scale=alt.Scale(zero=False)),
        color=alt.Color(f"{label}:N", scale=scale, title=label))
    line = alt.Chart(lines).mark_line(strokeWidth=2.5).encode(
        x=f"{x}:Q", y=f"{y}:Q",
        strokeDash=alt.StrokeDash("line:N", sort=["before", "after"],
                                  scale=alt.Scale(domain=["before", "after"],
                                                  range=[[5, 4], [1, 0]])),
        detail="line:N", color=alt.value("#222"))
    layers: list[alt.Chart] = [base, line]
    if highlight is not None:
        layers.append(alt.Chart(highlight).mark_point(size=260, shape="circle", color="#000",
                                                      strokeWidth=2.5).encode(x=f"{x}:Q",
                                                                              y=f"{y}:Q"))
    return alt.layer(*layers).properties(height=320, autosize=FIT_WIDTH,
                                         title="the line before and after the trick")


@lru_cache(maxsize=4)
def _history_template() -> str:
    chart = alt.Chart(alt.Data(name="history")).mark_line(point=True).encode(
        x=alt.X("step:Q", title="step", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("on:N", title=None),
        tooltip=["step:Q", alt.Tooltip("loss:Q", format=".5g"), "on:N"],
    ).properties(height=200, autosize=FIT_WIDTH, title="loss step by step")
    return json.dumps(chart.to_dict())


def history_chart(frame: pd.DataFrame) -> Spec:
    """The sample's loss before each step and the training set's loss after it.

    Parameters
    ----------
    frame : DataFrame
        ``step``, ``loss``, ``on`` ("sample before the step", "training set after").

    Returns
    -------
    dict
        A Vega-Lite spec; ``datasets["history"]`` is ``frame``.
    """
    spec = json.loads(_history_template())
    spec["datasets"] = {"history": frame}
    return spec
