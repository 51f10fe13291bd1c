"""A sweep's charts: objective per trial with the best so far, parallel coordinates of the
trials (log-searched settings on log axes), objective against each searched setting, and
parameter importance (the frames come from :mod:`experiments.sweeps.results`; the
parallel coordinates are :func:`ui.charts.settings.parallel_coordinates`' drawing).

>>> import pandas as pd
>>> frame = pd.DataFrame({"trial": [0, 1], "objective": [0.5, 0.4], "best": [0.5, 0.4],
...                       "state": ["COMPLETE", "COMPLETE"], "is_best": [False, True]})
>>> [layer["mark"]["type"] for layer in trials_chart(frame, "val_loss").to_dict()["layer"]]
['point', 'line']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from experiments.formatting import format_value
from experiments.frames import metric_title, parallel_frame
from ui.charts.settings import parallel_coordinates
from ui.charts.style import CLASS_COLORS, FIT_WIDTH

__all__ = ["importance_chart", "log_searched", "objective_by_param_chart",
           "parallel_trials_chart", "trials_chart"]

#: What a log axis' name says after the setting's name.
LOG_SUFFIX = " (log)"

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


def log_searched(space: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The settings a sweep searched log-uniformly, in the space's order.

    Parameters
    ----------
    space : mapping
        The space as TOML tables by setting (the ``sweep.space`` tag of a sweep's parent
        run, ``json.loads(SweepSpec.space_json())``):
        ``{"training.learning_rate": {"log_uniform": [0.0001, 1.0]}, ...}``.

    >>> log_searched({"training.learning_rate": {"log_uniform": [1e-4, 1.0]},
    ...               "training.l2": {"uniform": [0, 0.1]}})
    ['training.learning_rate']
    """
    return [key for key, dim in space.items() if "log_uniform" in dim]


def _log_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round values (1, 2, 5 times a power of ten; only the powers when too many)
    strictly inside a positive range, for a log axis' labels."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    decades = [10.0 ** e for e in range(first, last + 1)]
    steps = [m * d for d in decades for m in (1, 2, 5)]
    inside = [t for t in steps if low < t < high]
    return inside if len(inside) <= most else [d for d in decades if low < d < high]


def parallel_trials_chart(trials: pd.DataFrame, space: Mapping[str, Mapping[str, Any]],
                          objective: str, *, height: int = 280) -> alt.LayerChart:
    """Parallel coordinates of a sweep's complete trials, coloured by the objective.

    Every searched setting is an axis, then the objective. A setting searched
    log-uniformly (a learning rate over decades) is drawn on a log scale: its axis is
    named ``<setting> (log)``, a trial's position is its value's logarithm scaled
    between the lowest and the highest value, and round values (0.001, 0.01, ...) are
    marked along it. Other axes are linear (numbers) or spread over their sorted
    choices, as in :func:`experiments.frames.parallel_frame`.

    Parameters
    ----------
    trials : DataFrame
        From :func:`experiments.sweeps.engine.trials_frame`: ``trial``, one column per
        searched setting, ``objective``, ``state``. Only COMPLETE trials with an
        objective are drawn.
    space : mapping
        The searched settings (see :func:`log_searched`); its order is the axes' order.
    objective : str
        The metric's name (``val_loss``): the last axis and the colour.
    height : int
        Plot height in pixels; the width follows the container.

    Returns
    -------
    alt.LayerChart
        :func:`ui.charts.settings.parallel_coordinates`' layers (axes as ``rule``,
        trials as ``line``, each axis' ends as ``text``) plus, on log axes, a ``tick``
        and a ``text`` layer marking round values.
    """
    done = trials
    if "state" in done:
        done = done[done["state"] == "COMPLETE"]
    done = done[pd.to_numeric(done["objective"], errors="coerce").notna()]
    params = [key for key in space if key in done.columns]
    logs = [key for key in log_searched(space) if key in params
            and pd.api.types.is_numeric_dtype(done[key])]
    title = metric_title(objective)
    table = done.assign(run=[f"trial {int(t)}" for t in done["trial"]])
    table[title] = pd.to_numeric(table["objective"])
    names = {key: key + LOG_SUFFIX for key in logs}
    for key in logs:
        values = pd.to_numeric(table[key], errors="coerce").astype(float)
        table[names[key]] = np.log10(values.where(values > 0))
    frame = parallel_frame(table, [names.get(p, p) for p in params] + [title])
    marks = []
    for key in logs:  # the axis shows the values, not their logarithms
        values = pd.to_numeric(table[key], errors="coerce").astype(float)
        rows = frame["axis"] == names[key]
        frame.loc[rows, "value"] = frame.loc[rows, "run"].map(
            dict(zip(table["run"], values, strict=True))).map(format_value)
        low, high = values[values > 0].min(), values[values > 0].max()
        frame.loc[rows, "axis_min"], frame.loc[rows, "axis_max"] = (format_value(low),
                                                                    format_value(high))
        if high > low:
            span = math.log10(high) - math.log10(low)
            marks += [(names[key], (math.log10(t) - math.log10(low)) / span,
                       format_value(t)) for t in _log_ticks(low, high)]
    chart = parallel_coordinates(frame, color_by=title, color_values=dict(
        zip(table["run"], table[title], strict=True)), height=height)
    if not marks:
        return chart
    ticks = pd.DataFrame(marks, columns=["axis", "norm", "label"])
    lines = chart.layer[1]   # the same axes: its x (the axes in order) and y (0-1)
    x, y = lines.encoding.x, lines.encoding.y
    tick_marks = alt.Chart(ticks).mark_tick(color="#888", thickness=1, size=7).encode(x=x, y=y)
    tick_text = alt.Chart(ticks).mark_text(align="left", dx=6, color="#777", fontSize=9
                                           ).encode(x=x, y=y, text="label:N")
    # Added to the same layer chart: it keeps the hover parameter its lines use.
    marked = chart.copy()
    marked.layer = [*chart.layer, tick_marks, tick_text]
    return marked
