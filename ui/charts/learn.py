"""The Learn page's pictures: the network as a diagram, every hidden unit over the plane,
the perceptron's line before and after the trick, the sample's loss step by step.

Each chart is a function of plain numbers or a tidy frame; nothing here computes
gradients (they come from :func:`nncore.backprop_trace`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ui.charts.style import CLASS_COLORS, FIT_WIDTH, class_scale

__all__ = ["history_chart", "network_diagram", "network_frames", "neuron_heatmaps",
           "perceptron_chart"]

#: The most edges drawn between two layers (the largest |value| ones).
MAX_EDGES = 600
#: The most units of one layer drawn as a heatmap.
MAX_HEATMAP_UNITS = 16
POSITIVE, NEGATIVE = "#d6604d", "#4393c3"   # red positive, blue negative (as the weights view)


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
        ``x``, ``y``, ``x2``, ``y2``, ``value``, ``magnitude``, ``sign``, ``label``.
    hidden : int
        How many edges were left out.
    """
    edge_values = edge_values if edge_values is not None else weights
    sizes = [weights[0].shape[0], *(W.shape[1] for W in weights)]

    def ys(n: int) -> np.ndarray:
        return np.linspace(-(n - 1) / 2, (n - 1) / 2, n) if n > 1 else np.zeros(1)

    nodes = []
    for layer, n in enumerate(sizes):
        values = np.asarray(activations[layer]).ravel()
        for unit, y in enumerate(ys(n)):
            name = (input_names[unit] if layer == 0 and input_names is not None
                    else f"unit {unit + 1}")
            nodes.append({"layer": layer, "unit": unit + 1, "x": float(layer), "y": float(y),
                          "value": float(values[unit]),
                          "label": f"{'input' if layer == 0 else f'layer {layer}'} · {name}"})
    edges, dropped = [], 0
    for layer, values in enumerate(edge_values):
        values = np.asarray(values)
        y_in, y_out = ys(values.shape[0]), ys(values.shape[1])
        flat = np.abs(values).ravel()
        keep = np.argsort(flat)[::-1][:max_edges]
        dropped += flat.size - keep.size
        for p in keep:
            j, k = divmod(int(p), values.shape[1])
            v = float(values[j, k])
            edges.append({"x": float(layer), "y": float(y_in[j]), "x2": float(layer + 1),
                          "y2": float(y_out[k]), "value": v, "magnitude": abs(v),
                          "sign": "positive" if v >= 0 else "negative",
                          "label": f"W{layer + 1}[{j + 1}→{k + 1}]"})
    return pd.DataFrame(nodes), pd.DataFrame(edges), dropped


def network_diagram(nodes: pd.DataFrame, edges: pd.DataFrame, *, title: str,
                    edge_title: str = "weight", height: int = 360) -> alt.LayerChart:
    """TensorFlow Playground's view: edges coloured by sign and as thick as |value|,
    nodes coloured by the current sample's activation (tooltips give the numbers).

    Returns
    -------
    alt.LayerChart
    """
    none = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    top = float(edges["magnitude"].max()) if len(edges) else 1.0
    edge_layer = alt.Chart(edges).mark_rule(opacity=0.75).encode(
        x=alt.X("x:Q", axis=none), y=alt.Y("y:Q", axis=none), x2="x2:Q", y2="y2:Q",
        color=alt.Color("sign:N", scale=alt.Scale(domain=["positive", "negative"],
                                                  range=[POSITIVE, NEGATIVE]),
                        title=f"{edge_title} sign"),
        strokeWidth=alt.StrokeWidth("magnitude:Q", scale=alt.Scale(domain=[0, top or 1.0],
                                                                  range=[0.2, 6]),
                                    title=f"|{edge_title}|"),
        tooltip=[alt.Tooltip("label:N", title="edge"),
                 alt.Tooltip("value:Q", title=edge_title, format=".4g")],
    )
    extent = max(1e-12, float(nodes["value"].abs().max()))
    node_layer = alt.Chart(nodes).mark_circle(size=260, stroke="#333", strokeWidth=1,
                                              opacity=1).encode(
        x="x:Q", y="y:Q",
        color=alt.Color("value:Q", scale=alt.Scale(scheme="redblue", reverse=True,
                                                   domain=[-extent, extent]),
                        title="activation"),
        tooltip=[alt.Tooltip("label:N", title="node"),
                 alt.Tooltip("value:Q", title="value", format=".4g")],
    )
    return (edge_layer + node_layer).resolve_scale(color="independent").properties(
        title=title, height=height, autosize=FIT_WIDTH)


def neuron_heatmaps(frame: pd.DataFrame, x: str, y: str, points: pd.DataFrame | None = None,
                    *, label: str | None = None, classes: Sequence[str] | None = None,
                    size: int = 110, max_units: int = MAX_HEATMAP_UNITS,
                    columns: int = 5) -> alt.FacetChart:
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
    alt.FacetChart
        One panel per unit, a row per hidden layer.
    """
    shown = frame[frame["unit"] <= max_units].copy()
    shown["neuron"] = "L" + shown["layer"].astype(str) + " · unit " + shown["unit"].astype(str)
    xs, ys = np.sort(shown[x].unique()), np.sort(shown[y].unique())
    dx = float(xs[1] - xs[0]) if len(xs) > 1 else 1.0
    dy = float(ys[1] - ys[0]) if len(ys) > 1 else 1.0
    # cell ends under names no dataset uses (moons' own features are called x1 and x2)
    shown["_cell_x_end"], shown["_cell_y_end"] = shown[x] + dx, shown[y] + dy
    # the heat is a fill scale and the points a colour scale: two channels, two legends,
    # each drawn once for all panels (one shared colour channel would merge them)
    heat = alt.Chart().transform_filter("isValid(datum.value)").mark_rect().encode(
        x=alt.X(f"{x}:Q", title=x, scale=alt.Scale(nice=False, zero=False)),
        x2="_cell_x_end:Q",
        y=alt.Y(f"{y}:Q", title=y, scale=alt.Scale(nice=False, zero=False)),
        y2="_cell_y_end:Q",
        fill=alt.Fill("value:Q", scale=alt.Scale(scheme="redblue", reverse=True,
                                                 domainMid=0), title="unit output"),
        tooltip=[alt.Tooltip("neuron:N"), alt.Tooltip("value:Q", format=".3g")],
    )
    layers: list[alt.Chart] = [heat]
    data = shown
    if points is not None and label is not None and len(points):
        pts = points[[x, y, label]].copy()
        per_neuron = shown[["neuron", "layer", "unit"]].drop_duplicates()
        pts = per_neuron.merge(pts, how="cross")
        data = pd.concat([shown, pts], ignore_index=True)
        scale = class_scale(list(classes)) if classes else alt.Scale(range=list(CLASS_COLORS))
        layers.append(alt.Chart().transform_filter(f"isValid(datum['{label}'])").mark_circle(
            size=10, opacity=0.8, stroke="white", strokeWidth=0.3).encode(
            x=f"{x}:Q", y=f"{y}:Q", color=alt.Color(f"{label}:N", scale=scale, title=label)))
    chart = alt.layer(*layers, data=data).properties(width=size, height=size)
    return chart.facet(facet=alt.Facet("neuron:N", title=None,
                                       sort=alt.SortField("layer")),
                       columns=min(columns, max(1, int(shown["unit"].max())))).resolve_scale(
        fill="shared", color="shared")


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


def history_chart(frame: pd.DataFrame) -> alt.Chart:
    """The sample's loss before each step and the training set's loss after it.

    Parameters
    ----------
    frame : DataFrame
        ``step``, ``loss``, ``on`` ("sample before the step", "training set after").
    """
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("step:Q", title="step", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("on:N", title=None),
        tooltip=["step", alt.Tooltip("loss:Q", format=".5g"), "on"],
    ).properties(height=200, autosize=FIT_WIDTH, title="loss step by step")
