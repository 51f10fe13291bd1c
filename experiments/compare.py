"""Comparing runs: pure pandas over the frames :mod:`experiments.queries` returns.

* :func:`typed_params` — ``params.*`` columns (strings in MLflow) as numbers where
  they are numbers, so ``0.01 < 0.1 < 1`` sorts as numbers, not as text;
* :func:`filter_runs` — by dataset, status, date, any param, metric thresholds;
* :func:`differing_columns` / :func:`comparison_table` — a params/metrics table,
  optionally only the columns whose values differ between the runs;
* :func:`replicate_groups` / :func:`replicate_summary` / :func:`replicate_bands` —
  runs that differ only by seed, grouped, with mean ± std;
* :func:`values_at` — every run's metrics at its last epoch, its best epoch (by
  validation loss) or epoch *k*;
* :func:`smooth` and :func:`add_elapsed` — learning curves smoothed, and timed.

Nothing here imports streamlit or altair; the Compare page calls these functions and
draws the result with :mod:`ui.charts`.

>>> runs = pd.DataFrame({"run_id": ["a", "b"], "params.training.learning_rate": ["0.1", "0.01"]})
>>> typed_params(runs)["params.training.learning_rate"].sort_values().tolist()
[0.01, 0.1]
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from experiments.datasets import list_datasets
from experiments.errors import SpecError
from experiments.formatting import format_value
from experiments.frames import confusion_frame
from experiments.settings import SETTINGS, Setting, dataset_settings

__all__ = [
    "SEED_PARAMS",
    "add_elapsed",
    "comparison_table",
    "differing_columns",
    "filter_runs",
    "metric_columns",
    "param_columns",
    "parse_param",
    "replicate_bands",
    "replicate_groups",
    "replicate_summary",
    "run_labels",
    "smooth",
    "typed_params",
    "values_at",
]

#: Params that only change the random draws: runs differing only in these are replicates.
SEED_PARAMS = ("params.training.seed",)
At = Literal["last", "best"] | int


# --------------------------------------------------------------------------- columns


def param_columns(runs: pd.DataFrame) -> list[str]:
    """The ``params.*`` columns of a runs frame, in spec order (dataset, model, training)."""
    order = {"params.name": 0, "params.dataset": 1, "params.model": 2, "params.training": 3}

    def rank(col: str) -> tuple[int, str]:
        section = ".".join(col.split(".")[:2])
        return (order.get(section, 4), col)

    return sorted((c for c in runs.columns if c.startswith("params.")), key=rank)


def metric_columns(runs: pd.DataFrame, *, final: bool | None = None) -> list[str]:
    """The ``metrics.*`` columns; ``final=True`` only ``metrics.final_*``, False none of them."""
    cols = [c for c in runs.columns if c.startswith("metrics.")]
    if final is True:
        return [c for c in cols if c.startswith("metrics.final_")]
    if final is False:
        return [c for c in cols if not c.startswith("metrics.final_")]
    return cols


def parse_param(value: Any, key: str | None = None) -> Any:
    """One MLflow param string as what it means: a number, a bool, a list, or the text.

    With the param's setting name (``"training.learning_rate"``), the settings table
    decides its type (a float setting logged as ``"1"`` is 1.0); the word of an unset
    value stays text (``"full"``). Without one (params logged by something else), the
    text decides: ``"0.1"`` -> 0.1, ``"200"`` -> 200, ``"true"`` -> True.
    Layer lists become ``"8x8"`` (the way people say them), activation lists
    ``"relu,tanh"``.
    """
    if not isinstance(value, str):
        return value
    row = _setting_rows().get(key) if key else None
    if row is not None:
        try:
            parsed = row.parse(value)
        except SpecError:
            parsed = _NOT_PARSED          # an old or foreign value: read it as text below
        if parsed is None and row.none_word:
            return row.none_word
        if isinstance(parsed, tuple):
            return ("x" if row.kind == "ints" else ",").join(map(str, parsed)) or "none"
        if parsed is not _NOT_PARSED:
            return parsed
    text = value.strip()
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            return value
        if isinstance(items, list):
            return "x".join(map(str, items)) if items else "none"
        return value
    try:
        number = float(text)
    except ValueError:
        return value
    if number.is_integer() and "." not in text and "e" not in text.lower():
        return int(number)
    return number


_NOT_PARSED = object()


@functools.cache
def _setting_rows() -> dict[str, Setting]:
    """Every setting by dotted name, the parameters of every registered dataset included."""
    rows = dict(SETTINGS)
    for info in list_datasets():
        for row in dataset_settings(info.name):
            rows.setdefault(row.key, row)
    return rows


def typed_params(runs: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``runs`` whose ``params.*`` columns hold numbers where every value is one.

    A column where every non-missing value parses as a number becomes ``float64``
    (``Int64`` when all are whole numbers written without a point), so sorting and
    scatter axes treat ``0.01 < 0.1 < 1``. Layer lists (``[8, 8]``) become ``"8x8"``;
    booleans become ``True``/``False``; mixed columns (``"full"`` and ``32``) stay text.

    Parameters
    ----------
    runs : DataFrame
        From :func:`experiments.queries.runs_frame`.

    Returns
    -------
    DataFrame
    """
    out = runs.copy()
    for col in param_columns(runs):
        key = col[len("params."):]
        # Each distinct value is parsed once: 200 runs repeat a few values per setting
        # (13,000 parses were 0.1-0.2 s of a fresh server's first Compare page).
        seen: dict[Any, Any] = {}

        def parse(value: Any, key: str = key, seen: dict[Any, Any] = seen) -> Any:
            try:
                return seen[value]
            except KeyError:
                seen[value] = parsed_value = parse_param(value, key)
                return parsed_value
            except TypeError:  # unhashable
                return parse_param(value, key)

        parsed = runs[col].map(parse)
        present = parsed.dropna()
        if len(present) and all(isinstance(v, bool) for v in present):
            out[col] = parsed.astype("boolean")
        elif len(present) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                  for v in present):
            if all(isinstance(v, int) for v in present):
                out[col] = parsed.astype("Int64")
            else:
                out[col] = parsed.astype("float64")
        else:
            out[col] = parsed.map(lambda v: v if v is None or isinstance(v, str)
                                  or (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def run_labels(runs: pd.DataFrame) -> dict[str, str]:
    """Short, unique, readable labels per run id: ``run name · abc123``."""
    out = {}
    for _, row in runs.iterrows():
        name = row.get("run_name") or "run"
        out[row["run_id"]] = f"{name} · {str(row['run_id'])[:6]}"
    return out


# --------------------------------------------------------------------------- filtering


def filter_runs(
    runs: pd.DataFrame,
    *,
    datasets: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    since: Any = None,
    until: Any = None,
    params: Mapping[str, Sequence[Any]] | None = None,
    metric_min: Mapping[str, float] | None = None,
    metric_max: Mapping[str, float] | None = None,
    text: str = "",
) -> pd.DataFrame:
    """The runs that pass every given condition (None or empty means no condition).

    Parameters
    ----------
    runs : DataFrame
        A runs frame (typed or not).
    datasets, statuses : sequence of str, optional
        Keep runs whose ``dataset`` tag / ``status`` is one of these.
    since, until : date-like, optional
        Keep runs started on or after ``since`` and before the end of ``until``'s
        day when it is a date (UTC).
    params : mapping, optional
        ``{"params.training.optimizer": ["adam"]}``: keep runs whose param is one of
        the values, compared as text so ``0.1`` matches ``"0.1"``.
    metric_min, metric_max : mapping, optional
        ``{"metrics.final_val_accuracy": 0.8}``: keep runs with the metric at least /
        at most this (runs without the metric are dropped).
    text : str
        Case-insensitive substring of the run name, run id or architecture.

    Returns
    -------
    DataFrame
        The kept rows, in their original order.
    """
    keep = pd.Series(True, index=runs.index)
    if datasets:
        keep &= runs["dataset"].isin(list(datasets))
    if statuses:
        keep &= runs["status"].isin(list(statuses))
    if since is not None:
        keep &= runs["start_time"] >= _utc(since)
    if until is not None:
        end = _utc(until)
        if end == end.normalize():
            end = end + pd.Timedelta(days=1)
        keep &= runs["start_time"] < end
    for col, allowed in (params or {}).items():
        if not allowed:
            continue
        if col not in runs.columns:
            keep &= False
            continue
        wanted = {_as_text(v) for v in allowed}
        keep &= runs[col].map(_as_text).isin(wanted)
    for bounds, above in ((metric_min, True), (metric_max, False)):
        for col, limit in (bounds or {}).items():
            if limit is None:
                continue
            if col not in runs.columns:
                keep &= False
                continue
            values = pd.to_numeric(runs[col], errors="coerce")
            keep &= (values >= limit) if above else (values <= limit)
    if text.strip():
        needle = text.strip().lower()
        hay = (runs.get("run_name", pd.Series("", index=runs.index)).fillna("").astype(str)
               + " " + runs["run_id"].astype(str)
               + " " + runs.get("architecture", pd.Series("", index=runs.index)).fillna("")
               .astype(str))
        keep &= hay.str.lower().str.contains(needle, regex=False)
    return runs[keep.fillna(False).astype(bool)]


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    parsed = parse_param(value) if isinstance(value, str) else value
    if isinstance(parsed, bool):
        return "true" if parsed else "false"
    if isinstance(parsed, int | float | np.integer | np.floating):
        return repr(float(parsed))
    return str(parsed)


# --------------------------------------------------------------------------- tables


def differing_columns(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[str]:
    """The columns whose values are not all the same (missing counts as a value).

    Parameters
    ----------
    frame : DataFrame
    columns : sequence of str, optional
        Columns to look at; default all.

    Returns
    -------
    list of str
        In the order given. With fewer than two rows, every column.
    """
    cols = list(columns) if columns is not None else list(frame.columns)
    if len(frame) < 2:
        return cols
    out = []
    for col in cols:
        values = frame[col].astype(object).map(lambda v: "<missing>" if _missing(v) else repr(v))
        if values.nunique() > 1:
            out.append(col)
    return out


def comparison_table(runs: pd.DataFrame, *, only_differences: bool = False,
                     metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Runs side by side: identity, params (typed) and final metrics, one row per run.

    Parameters
    ----------
    runs : DataFrame
        A runs frame (typed by :func:`typed_params` or not).
    only_differences : bool
        Keep only the params whose values differ between the runs.
    metrics : sequence of str, optional
        Metric columns to show; default every ``metrics.final_*`` (else ``metrics.*``).

    Returns
    -------
    DataFrame
        ``run_id``, ``run_name``, ``status``, ``dataset``, then params (with the
        ``params.`` prefix dropped) and metrics (``final_`` and ``metrics.`` dropped).
    """
    typed = typed_params(runs) if any(
        runs[c].map(lambda v: isinstance(v, str)).any() for c in param_columns(runs)
    ) else runs
    params = param_columns(typed)
    if only_differences:
        params = differing_columns(typed, params)
    if metrics is None:
        metrics = metric_columns(typed, final=True) or metric_columns(typed)
    ident = [c for c in ("run_id", "run_name", "status", "dataset") if c in typed.columns]
    if "dataset" in ident:  # the same name twice otherwise
        params = [c for c in params if c != "params.dataset.name"]
    table = typed[ident + params + list(metrics)].copy()
    rename = {c: c[len("params."):] for c in params}
    for col in metrics:
        name = col[len("metrics."):] if col.startswith("metrics.") else col
        rename[col] = name[len("final_"):] if name.startswith("final_") else name
    return table.rename(columns=rename).reset_index(drop=True)


# --------------------------------------------------------------------------- replicates


def replicate_groups(runs: pd.DataFrame, seed_params: Sequence[str] = SEED_PARAMS
                     ) -> pd.DataFrame:
    """Group runs that differ only by their seed.

    Parameters
    ----------
    runs : DataFrame
        A runs frame with ``params.*`` columns.
    seed_params : sequence of str
        Param columns that count as seeds (default ``params.training.seed``; add
        ``params.dataset.seed`` to also pool over data splits).

    Returns
    -------
    DataFrame
        ``run_id``, ``group`` (a label naming the settings that tell the groups
        apart, e.g. ``learning_rate=0.1``; ``all runs`` when nothing does) and
        ``replicates`` (runs in the group), one row per run in the input order.
    """
    params = [c for c in param_columns(runs) if c not in set(seed_params)]
    texts = runs[params].astype(object).map(lambda v: "<missing>" if _missing(v) else str(v))
    keys = texts.agg("\x1f".join, axis=1) if params else pd.Series("", index=runs.index)
    varying = differing_columns(runs.assign(_key=keys).drop_duplicates("_key"), params)
    varying.sort(key=lambda c: c != "params.dataset.name")  # the dataset first
    rows: dict[str, dict[str, Any]] = {}
    for key, row in zip(keys, runs[params].itertuples(index=False), strict=True):
        rows.setdefault(key, dict(zip(params, row, strict=True)))

    def label(values: dict[str, Any], dash: bool) -> str:
        # A param a run does not have (another dataset's) is left out, or "—" when
        # leaving it out would give two groups the same label.
        parts = [f"{_short(c)}={'—' if _missing(values[c]) else _label_value(c, values[c])}"
                 for c in varying if dash or not _missing(values[c])]
        if not parts and varying and not dash:
            return label(values, True)
        return ", ".join(parts) if parts else "all runs"

    labels = {key: label(values, False) for key, values in rows.items()}
    taken = pd.Series(list(labels.values())).value_counts()
    labels = {key: text if taken[text] == 1 else label(rows[key], True)
              for key, text in labels.items()}
    group = keys.map(labels)
    sizes = group.map(group.value_counts())
    return pd.DataFrame({"run_id": runs["run_id"].to_numpy(), "group": group.to_numpy(),
                         "replicates": sizes.to_numpy().astype(int)})


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _label_value(col: str, value: Any) -> str:
    return format_value(parse_param(value, col[len("params."):]), digits=6)


def _short(col: str) -> str:
    return "dataset" if col == "params.dataset.name" else col.split(".")[-1]


def replicate_summary(values: pd.DataFrame, groups: pd.DataFrame,
                      metrics: Sequence[str]) -> pd.DataFrame:
    """Mean, standard deviation and count of metrics per replicate group.

    Parameters
    ----------
    values : DataFrame
        One row per run: ``run_id`` and the metric columns (e.g. from :func:`values_at`).
    groups : DataFrame
        From :func:`replicate_groups`.
    metrics : sequence of str
        Columns of ``values`` to summarise.

    Returns
    -------
    DataFrame
        ``group``, ``n`` and ``<metric>_mean``, ``<metric>_std`` (sample std, 0 for a
        single run) per metric, sorted by the first metric's mean.
    """
    merged = values.merge(groups[["run_id", "group"]], on="run_id")
    agg = merged.groupby("group", sort=False)
    out = pd.DataFrame({"n": agg.size()})
    for m in metrics:
        out[f"{m}_mean"] = agg[m].mean()
        out[f"{m}_std"] = agg[m].std(ddof=1).fillna(0.0)
    out = out.reset_index()
    if metrics:
        out = out.sort_values(f"{metrics[0]}_mean", kind="stable").reset_index(drop=True)
    return out


def replicate_bands(history: pd.DataFrame, groups: pd.DataFrame, *, x: str = "step"
                    ) -> pd.DataFrame:
    """Mean ± std learning curves per replicate group.

    Parameters
    ----------
    history : DataFrame
        Tidy histories (:func:`experiments.queries.metric_history`): ``run_id``,
        ``metric``, ``x`` and ``value``.
    groups : DataFrame
        From :func:`replicate_groups`.
    x : str
        The column the runs are aligned on (``step``: runs logged at the same epochs).

    Returns
    -------
    DataFrame
        ``group``, ``metric``, ``x``, ``mean``, ``std`` (0 for one run), ``lower``,
        ``upper`` (mean ∓ std) and ``n`` (runs that reached that point).
    """
    merged = history.merge(groups[["run_id", "group"]], on="run_id")
    agg = merged.groupby(["group", "metric", x], sort=True)["value"]
    out = agg.agg(mean="mean", std="std", n="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    out["lower"] = out["mean"] - out["std"]
    out["upper"] = out["mean"] + out["std"]
    return out


# --------------------------------------------------------------------------- epochs


def values_at(history: pd.DataFrame, at: At = "last", *, best_metric: str = "val_loss",
              ) -> pd.DataFrame:
    """Each run's metrics at one epoch.

    Parameters
    ----------
    history : DataFrame
        Tidy histories: ``run_id``, ``metric``, ``step``, ``value``.
    at : "last", "best" or int
        ``last``: the run's last logged epoch. ``best``: the epoch with the lowest
        ``best_metric`` (runs without it fall back to their last epoch). An int *k*:
        the last logged epoch at or before *k* (MLflow keeps every few epochs of long
        runs; runs that start after *k* are left out).
    best_metric : str
        What "best" minimises (``val_loss``).

    Returns
    -------
    DataFrame
        ``run_id``, ``epoch`` and one column per metric (wide), in the runs' order.
    """
    if history.empty:
        return pd.DataFrame(columns=["run_id", "epoch"])
    order = list(dict.fromkeys(history["run_id"]))
    if at == "last":
        epochs = history.groupby("run_id")["step"].max()
    elif at == "best":
        last = history.groupby("run_id")["step"].max()
        scored = history[history["metric"] == best_metric]
        if scored.empty:
            epochs = last
        else:
            best = scored.loc[scored.groupby("run_id")["value"].idxmin(), ["run_id", "step"]]
            epochs = best.set_index("run_id")["step"].reindex(last.index).fillna(last)
    else:
        k = int(at)
        before = history[history["step"] <= k]
        epochs = before.groupby("run_id")["step"].max()
    epochs = epochs.astype(int)
    chosen = history.merge(epochs.rename("epoch").reset_index(), on="run_id")
    chosen = chosen[chosen["step"] == chosen["epoch"]]
    wide = chosen.pivot_table(index=["run_id", "epoch"], columns="metric", values="value",
                              aggfunc="last").reset_index()
    wide.columns.name = None
    wide["_order"] = wide["run_id"].map({r: i for i, r in enumerate(order)})
    return wide.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def smooth(history: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Exponential moving average of each curve (TensorBoard's smoothing slider).

    Parameters
    ----------
    history : DataFrame
        Tidy histories with ``run_id``, ``metric``, ``step``, ``value``.
    weight : float
        In [0, 1): 0 leaves the curves as they are; 0.9 smooths strongly. The
        average is debiased, so curves start at their first value.

    Returns
    -------
    DataFrame
        A copy with ``value`` smoothed and the original kept in ``raw``.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"weight = {weight!r}: must be in [0, 1)")
    out = history.sort_values(["run_id", "metric", "step"], kind="stable").copy()
    out["raw"] = out["value"]
    if weight == 0.0 or out.empty:
        return out.reset_index(drop=True)
    # pandas' ewm with adjust=True is the debiased average: curves start at their first value.
    out["value"] = out.groupby(["run_id", "metric"], sort=False)["value"].transform(
        lambda s: s.ewm(alpha=1.0 - weight, adjust=True, ignore_na=True).mean())
    return out.reset_index(drop=True)


def add_elapsed(history: pd.DataFrame) -> pd.DataFrame:
    """Add ``elapsed_s``: seconds since each run's first logged point (wall-clock x axis).

    Parameters
    ----------
    history : DataFrame
        Tidy histories with a ``timestamp`` column (UTC).

    Returns
    -------
    DataFrame
        A copy with ``elapsed_s`` (float seconds).
    """
    out = history.copy()
    if out.empty:
        out["elapsed_s"] = pd.Series(dtype=float)
        return out
    stamps = pd.to_datetime(out["timestamp"], utc=True)
    first = stamps.groupby(out["run_id"]).transform("min")
    out["elapsed_s"] = (stamps - first).dt.total_seconds()
    return out


# --------------------------------------------------------------------------- per-run views


def run_confusion(run_id: str, *, tracking_uri: str | None = None) -> pd.DataFrame | None:
    """The validation confusion matrix of a classification run (None for regression).

    Reads the run's spec, weights and preprocessing through :mod:`experiments.queries`,
    rebuilds its dataset and predicts the validation split.

    Returns
    -------
    DataFrame or None
        :func:`experiments.frames.confusion_frame`'s columns.
    """
    from experiments.queries import load_run_model, run_spec

    spec = run_spec(run_id, tracking_uri=tracking_uri)
    dataset = spec.dataset.load()
    if dataset.task == "regression":
        return None
    model, _ = load_run_model(run_id, tracking_uri=tracking_uri)
    y_pred = np.asarray(model.predict(dataset.X_val)).reshape(-1)
    y_true = np.asarray(dataset.y_val)
    if y_true.ndim > 1 and y_true.shape[1] > 1:
        y_true = y_true.argmax(axis=1)
    return confusion_frame(y_true.reshape(-1).astype(int), y_pred.astype(int),
                           list(dataset.class_names))
