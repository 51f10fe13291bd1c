"""A sweep's charts: objective per trial with the best so far, objective against each
searched setting, and parameter importance (the frames come from
:mod:`experiments.sweeps.results`; parallel coordinates are
:func:`ui.charts.settings.parallel_coordinates`).

>>> import pandas as pd
>>> frame = pd.DataFrame({"trial": [0, 1], "objective": [0.5, 0.4], "best": [0.5, 0.4],
...                       "state": ["COMPLETE", "COMPLETE"], "is_best": [False, True]})
>>> [layer["mark"]["type"] for layer in trials_chart(frame, "val_loss").to_dict()["layer"]]
['point', 'line']
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from experiments.frames import metric_title
from ui.charts.style import CLASS_COLORS, FIT_WIDTH

__all__ = ["importance_chart", "objective_by_param_chart", "trials_chart"]

#: Trial states and their colours (complete blue, pruned grey, failed red).
STATE_COLORS = {"COMPLETE": CLASS_COLORS[0], "PRUNED": "#a0a0a0", "KILLED": "#a0a0a0",
                "FAILED": CLASS_COLORS[3], "RUNNING": CLASS_COLORS[1]}


def trials_chart(frame: pd.DataFrame, objective: str, *, height: int = 260,
                 log_scale: bool = False) -> alt.LayerChart:
    """The objective of every trial (points) and the best so far (a step line).

    Parameters
    ----------
    frame : DataFrame
        From :func:`experiments.sweeps.results.best_so_far`: ``trial``, ``objective``,
        ``best``, ``state``, ``is_best``.
    objective : str
        The metric's name, for the axis title (``val_loss``).
    height : int
        Plot height in pixels; the width follows the container.
    log_scale : bool
        Logarithmic objective axis.

    Returns
    -------
    alt.LayerChart
        ``point`` marks coloured by state (the best trial larger, outlined) and an
        orange ``line`` (interpolated as steps) of the best so far.
    """
    data = frame[["trial", "objective", "best", "state", "is_best"]].copy()
    data["objective"] = pd.to_numeric(data["objective"], errors="coerce")
    y_scale = alt.Scale(type="log" if log_scale else "linear", zero=False, padding=10)
    x = alt.X("trial:Q", title="trial", axis=alt.Axis(tickMinStep=1, format="d"),
              scale=alt.Scale(padding=10, nice=False))
    states = [s for s in STATE_COLORS if s in set(data["state"])] or ["COMPLETE"]
    points = alt.Chart(data).transform_filter("isValid(datum.objective)").mark_point(
        filled=True, opacity=0.9).encode(
        x=x,
        y=alt.Y("objective:Q", title=metric_title(objective), scale=y_scale),
        color=alt.Color("state:N", scale=alt.Scale(domain=states,
                                                   range=[STATE_COLORS[s] for s in states]),
                        legend=alt.Legend(orient="bottom", title=None)),
        size=alt.condition("datum.is_best", alt.value(180), alt.value(90)),
        stroke=alt.condition("datum.is_best", alt.value("black"), alt.value(None)),
        tooltip=[alt.Tooltip("trial:Q"), alt.Tooltip("objective:Q", format=".4g"),
                 alt.Tooltip("best:Q", title="best so far", format=".4g"),
                 alt.Tooltip("state:N")],
    )
    best = alt.Chart(data).transform_filter("isValid(datum.best)").mark_line(
        interpolate="step-after", color=CLASS_COLORS[1], strokeWidth=2).encode(
        x=x, y=alt.Y("best:Q", scale=y_scale),
        tooltip=[alt.Tooltip("trial:Q"), alt.Tooltip("best:Q", title="best so far",
                                                     format=".4g")])
    return alt.layer(points, best).properties(height=height, autosize=FIT_WIDTH)


def objective_by_param_chart(frames: Mapping[str, pd.DataFrame], objective: str, *,
                             log_params: frozenset[str] | set[str] = frozenset(),
                             width: int = 200, height: int = 180,
                             columns: int = 3) -> alt.ConcatChart:
    """Small multiples: the objective against each searched setting, one point a trial.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        From :func:`experiments.sweeps.results.objective_by_param`: per setting,
        ``trial``, ``value`` and ``objective``.
    objective : str
        The metric's name (shared y axis title).
    log_params : set of str
        Settings drawn on a log axis (searched log-uniformly).
    width, height : int
        One panel's plot size in pixels.
    columns : int
        Panels per row.

    Returns
    -------
    alt.ConcatChart
        One ``point`` chart per setting: a quantitative x for numbers, the choices
        (in their order of appearance) for the rest.
    """
    panels = []
    for key, frame in frames.items():
        numeric = pd.api.types.is_numeric_dtype(frame["value"])
        if numeric:
            log = key in log_params
            x = alt.X("value:Q", title=key, scale=alt.Scale(
                type="log" if log else "linear", zero=False, padding=8),
                axis=alt.Axis(grid=not log, tickCount=5))  # a log grid is a dense comb
        else:
            x = alt.X("value:N", title=key, sort=list(dict.fromkeys(frame["value"])),
                      axis=alt.Axis(labelAngle=0))
        panels.append(alt.Chart(frame).mark_point(filled=True, size=60, opacity=0.8,
                                                  color=CLASS_COLORS[0]).encode(
            x=x, y=alt.Y("objective:Q", title=metric_title(objective),
                         scale=alt.Scale(zero=False, padding=8)),
            tooltip=[alt.Tooltip("trial:Q"), alt.Tooltip("value", title=key),
                     alt.Tooltip("objective:Q", format=".4g")],
        ).properties(width=width, height=height))
    return alt.concat(*panels, columns=columns)


def importance_chart(frame: pd.DataFrame, *, height: int | None = None) -> alt.Chart:
    """Parameter importance as horizontal bars, most important on top.

    Parameters
    ----------
    frame : DataFrame
        ``param`` and ``importance`` (:class:`experiments.sweeps.results.Importance`).
    height : int, optional
        Plot height; default 34 px a bar.

    Returns
    -------
    alt.Chart
        ``bar`` marks with the share as text in the tooltip.
    """
    order = frame.sort_values("importance", ascending=False)["param"].tolist()
    return alt.Chart(frame).mark_bar(color=CLASS_COLORS[0]).encode(
        x=alt.X("importance:Q", title="importance (shares add up to 100%)",
                axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("param:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        tooltip=[alt.Tooltip("param:N", title="setting"),
                 alt.Tooltip("importance:Q", format=".1%")],
    ).properties(height=height or 34 * max(2, len(frame)), autosize=FIT_WIDTH)
