"""The decision boundary of a model on a 2-D dataset: the one builder every page uses.

The Train page draws it live and after training, the Run page for one run, the
Compare page once per compared run (side by side); all call :func:`boundary_chart`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd

from experiments.frames import boundary_frame
from ui.charts.style import CLASS_COLORS, FIT_WIDTH, class_scale

if TYPE_CHECKING:
    from experiments.datasets import Dataset

__all__ = ["boundary_chart"]

_SHAPES = alt.Scale(domain=["train", "validation"], range=["circle", "triangle-up"])


def boundary_chart(grid: pd.DataFrame, dataset: Dataset, *,
                   title: str | None = "decision boundary",
                   points: pd.DataFrame | None = None, height: int = 340) -> alt.LayerChart:
    """A model's decision regions over a 2-D dataset, under the data points.

    Parameters
    ----------
    grid : DataFrame
        Predictions over the plane: :func:`experiments.decision_grid` (live or after
        training) or a run's ``decision_boundary.csv``
        (:func:`experiments.queries.decision_boundary`).
    dataset : Dataset
        The 2-D dataset the model was trained on: its two raw features name the axes,
        its classes the colours.
    title : str, optional
        Chart title.
    points : DataFrame, optional
        The points to draw, default ``dataset.frame()`` (pass a frame made once when
        redrawing often).
    height : int
        Chart height in pixels; the width follows the container.

    Returns
    -------
    alt.LayerChart
        Two layers: ``rect`` cells and the points as filled marks with a white outline
        (circles train, triangles validation), drawn as SVG in the browser whatever
        the grid's size (``usermeta``). Two classes: a blue-to-orange ramp of
        the probability of the second class, as in TensorFlow Playground; more
        classes: the predicted class's colour, fainter where the model is less sure;
        regression: the predicted value and the points' targets on one viridis scale.
    """
    x, y = dataset.raw_feature_names
    classes = list(dataset.class_names)
    points = dataset.frame() if points is None else points
    cells = boundary_frame(grid, x, y, classes, labels=dataset.preprocessor.target.labels)
    x_scale = alt.Scale(domain=[float(cells[x].min()), float(cells["cell_x2"].max())], nice=False)
    y_scale = alt.Scale(domain=[float(cells[y].min()), float(cells["cell_y2"].max())], nice=False)
    tooltip = [alt.Tooltip("label:N", title="predicted"),
               alt.Tooltip("confidence:Q", format=".2f")]
    opacity: Any = alt.value(0.55)
    if not classes:  # regression: one continuous scale for predictions and targets
        target = dataset.target_name
        values = pd.concat([cells["value"], pd.to_numeric(points[target], errors="coerce")])
        ramp = alt.Scale(scheme="viridis", domain=[float(values.min()), float(values.max())])
        fill = alt.Color("value:Q", scale=ramp, legend=None)
        tooltip = [alt.Tooltip("value:Q", title=f"predicted {target}", format=".4g")]
        dot_fill = alt.Fill(f"{target}:Q", scale=ramp,
                            legend=alt.Legend(orient="right", title=target))
    else:
        if len(classes) == 2:
            fill = alt.Color("p:Q", legend=None, scale=alt.Scale(
                domain=[0, 0.5, 1], range=[CLASS_COLORS[0], "#f4f4f4", CLASS_COLORS[1]]))
        else:
            fill = alt.Color("label:N", scale=class_scale(classes), legend=None)
            opacity = alt.Opacity("confidence:Q", legend=None,
                                  scale=alt.Scale(domain=[0, 1], range=[0.05, 0.6]))
        # Legends in columns above the plot: a row of them would run past a narrow
        # panel's edge (a Compare page column) and be cut off.
        dot_fill = alt.Fill("label:N", scale=class_scale(classes),
                            legend=alt.Legend(orient="top", title=None, direction="vertical",
                                              columns=1 if len(classes) <= 3 else 2))
    background = alt.Chart(cells).mark_rect().encode(
        x=alt.X(f"{x}:Q", scale=x_scale, title=x),
        x2="cell_x2:Q",
        y=alt.Y(f"{y}:Q", scale=y_scale, title=y),
        y2="cell_y2:Q",
        color=fill,
        opacity=opacity,
        tooltip=tooltip,
    )
    color = "label" if classes else dataset.target_name
    enc: dict[str, Any] = {
        "x": alt.X(f"{x}:Q", scale=x_scale),
        "y": alt.Y(f"{y}:Q", scale=y_scale),
        "fill": dot_fill,
        "tooltip": [c for c in (x, y, color, "split") if c in points.columns],
    }
    if "split" in points.columns:
        enc["shape"] = alt.Shape(
            "split:N", scale=_SHAPES,
            legend=alt.Legend(orient="top", title=None, direction="vertical",
                              symbolFillColor="#888", symbolStrokeColor="#888",
                              symbolSize=60))
    dots = alt.Chart(points).mark_point(filled=True, size=36, stroke="white",
                                        strokeWidth=0.7, opacity=1).encode(**enc)
    layered = alt.layer(background, dots).resolve_scale(color="independent")
    # Streamlit draws a chart whose data holds more than 2,000 rows on a canvas unless
    # the spec names a renderer; a 50 x 50 grid is 2,500 cells. Ask for SVG, so every
    # page draws the boundary the same way (a few thousand rects draw quickly).
    return layered.properties(height=height, title=title or "", autosize=FIT_WIDTH,
                              usermeta={"embedOptions": {"renderer": "svg"}})
