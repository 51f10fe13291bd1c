"""Sweep trials folded under their sweep in a runs table (pure pandas).

A sweep of 200 trials makes 200 child runs (tag ``mlflow.parentRunId``); a runs table
that lists them all hides every other run. :func:`fold_sweeps` keeps a sweep's row and
hides its trials unless that sweep is expanded; an expanded sweep's trials follow its row.
The frame is :func:`experiments.queries.runs_frame`'s (columns ``run_id``,
``parent_run_id``, ``sweep``, ``sweep_trial``).

>>> runs = pd.DataFrame({"run_id": ["t2", "t1", "s", "r"],
...                      "parent_run_id": ["s", "s", None, None],
...                      "sweep": [None, None, "lr", None], "sweep_trial": ["1", "0", None, None]})
>>> fold_sweeps(runs)["run_id"].tolist()
['s', 'r']
>>> fold_sweeps(runs, expanded=["s"])["run_id"].tolist()
['s', 't1', 't2', 'r']
>>> group_labels(fold_sweeps(runs, expanded=["s"]), runs).tolist()
['▾ 2 trials', '↳ trial 0', '↳ trial 1', '']
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["fold_sweeps", "group_labels", "sweep_children", "trial_counts"]


def _parents(runs: pd.DataFrame) -> pd.Series:
    if "parent_run_id" not in runs:
        return pd.Series([None] * len(runs), index=runs.index, dtype=object)
    return pd.Series([p if isinstance(p, str) and p else None for p in runs["parent_run_id"]],
                     index=runs.index, dtype=object)


def trial_counts(runs: pd.DataFrame) -> dict[str, int]:
    """Child runs per sweep (parent run id) in ``runs``."""
    parents = _parents(runs).dropna()
    return {str(k): int(v) for k, v in parents.value_counts().items()}


def sweep_children(runs: pd.DataFrame, parent_run_id: str) -> pd.DataFrame:
    """The trials of one sweep, by trial number (then replicate order as given)."""
    children = runs[_parents(runs) == parent_run_id]
    order = pd.to_numeric(children.get("sweep_trial"), errors="coerce") if len(children) \
        else pd.Series(dtype=float)
    return children.assign(_order=order).sort_values("_order", kind="stable").drop(
        columns="_order")


def fold_sweeps(runs: pd.DataFrame, expanded: Iterable[str] = ()) -> pd.DataFrame:
    """The runs with every sweep's trials hidden, except those of ``expanded`` sweeps.

    Parameters
    ----------
    runs : DataFrame
        Runs, in the order to show them (newest first).
    expanded : iterable of str
        Parent run ids whose trials are shown, right after the sweep's row (or, when
        the sweep's own row is not in ``runs``, where its newest trial was).

    Returns
    -------
    DataFrame
        A subset of ``runs`` (same columns, a fresh index).
    """
    if runs.empty:
        return runs.reset_index(drop=True)
    opened = set(expanded)
    parents = _parents(runs)
    present = set(runs["run_id"])
    order: list[int] = []
    placed: set[str] = set()
    for position, (run_id, parent) in enumerate(zip(runs["run_id"], parents, strict=True)):
        if parent is None:
            order.append(position)
            if run_id in opened and run_id not in placed:
                placed.add(run_id)
                order.extend(_positions(runs, run_id))
        elif parent in opened and parent not in present and parent not in placed:
            placed.add(parent)
            order.extend(_positions(runs, parent))
    return runs.iloc[order].reset_index(drop=True)


def _positions(runs: pd.DataFrame, parent_run_id: str) -> list[int]:
    children = sweep_children(runs.reset_index(drop=True), parent_run_id)
    return list(children.index)


def group_labels(shown: pd.DataFrame, runs: pd.DataFrame) -> pd.Series:
    """A short label per shown row: ``▸ 12 trials`` on a sweep (``▾`` once expanded),
    ``↳ trial 3`` on a trial, empty otherwise.

    Parameters
    ----------
    shown : DataFrame
        The rows as shown (:func:`fold_sweeps`).
    runs : DataFrame
        All the runs (the trials are counted here).
    """
    counts = trial_counts(runs)
    visible = set(_parents(shown).dropna())
    labels = []
    for run_id, parent, trial in zip(shown["run_id"], _parents(shown),
                                     shown.get("sweep_trial", [None] * len(shown)),
                                     strict=True):
        if parent is not None:
            labels.append(f"↳ trial {trial}" if trial is not None and pd.notna(trial)
                          else "↳ trial")
        elif run_id in counts:
            mark = "▾" if run_id in visible else "▸"
            n = counts[run_id]
            labels.append(f"{mark} {n} trial{'s' if n != 1 else ''}")
        else:
            labels.append("")
    return pd.Series(labels, index=shown.index, dtype=object)
