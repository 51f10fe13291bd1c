"""Reading past runs into tidy pandas frames.

* :func:`runs_frame`: one row per run (status, times, tags, ``metrics.*`` and
  ``params.*`` columns, named as :func:`mlflow.search_runs` names them).
* :func:`status_labels`: each run's status as shown, a RUNNING run's with how long
  it has been silent (its process may be gone).
* :func:`metric_history`: one row per (run, metric, step) as logged to MLflow.
* :func:`full_history`: the full-resolution ``history.csv`` of one run.
* :func:`run_spec`, :func:`load_run_model`, :func:`decision_boundary`: a run's
  spec, trained model and 2-D decision grid.

Whatever belongs to a run that has ended (FINISHED, FAILED, KILLED) never
changes, so it is cached by run id; runs still going are always read afresh.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import pandas as pd

from experiments.preprocessing import Preprocessor
from experiments.spec import RunSpec
from experiments.sql_runs import RunRecord, reads_sql, search_runs_sql
from experiments.tracking import redact_uri, resolve_tracking_uri

__all__ = [
    "ENDED",
    "clear_cache",
    "decision_boundary",
    "full_history",
    "load_run_model",
    "metric_history",
    "run_spec",
    "runs_frame",
    "silent_for",
    "status_labels",
]

_log = logging.getLogger(__name__)

ENDED = frozenset({"FINISHED", "FAILED", "KILLED"})
_TAG_COLUMNS = ("dataset", "task", "source", "model_type", "architecture", "failure_reason",
                "stop_reason")
#: Columns from tags whose names are not plain: the sweep a run belongs to (its parent's
#: run id, set on every trial), the sweep's name (set on the parent) and the trial number.
_GROUP_COLUMNS = {"parent_run_id": "mlflow.parentRunId", "sweep": "sweep.name",
                  "sweep_trial": "sweep.trial"}


class _Cache:
    """A small thread-safe LRU cache."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_CACHE = _Cache()


def clear_cache() -> None:
    """Forget everything cached (e.g. after deleting runs)."""
    _CACHE.clear()


def _client(tracking_uri: str | None) -> tuple[Any, str]:
    from experiments.tracking import mlflow_client

    uri = resolve_tracking_uri(tracking_uri)
    return mlflow_client(uri), uri


def runs_frame(
    experiments: str | Sequence[str] | None = None,
    *,
    tracking_uri: str | None = None,
    max_results: int = 200,
    filter_string: str = "",
    include_params: bool = True,
) -> pd.DataFrame:
    """Recent runs, newest first, one row each.

    Every run of a SQL store (``sqlite:///``, ``postgresql://``) with no filter is read
    with SQL, without importing MLflow (:mod:`experiments.sql_runs`: seconds less for a
    fresh process); a filter, named experiments and other stores (a tracking server) go
    through MLflow's ``search_runs``, as does a SQL store the SQL read fails on. Both
    give the same frame.

    Parameters
    ----------
    experiments : str or sequence of str, optional
        Experiment names; all active experiments when None.
    tracking_uri : str, optional
        See :func:`~experiments.tracking.resolve_tracking_uri`.
    max_results : int
        Most runs returned.
    filter_string : str
        An MLflow search filter, e.g. ``"tags.dataset = 'moons'"``.
    include_params : bool
        Add a ``params.<key>`` column per param.

    Returns
    -------
    DataFrame
        Columns ``run_id``, ``run_name``, ``experiment``, ``status``,
        ``start_time``, ``end_time``, ``last_logged`` (UTC timestamps; the last is
        when the newest metric value was logged, NaT before the first),
        ``duration_s``, the tags
        ``dataset``, ``task``, ``source``, ``model_type``, ``architecture``,
        ``failure_reason``, ``stop_reason``, ``parent_run_id`` (a sweep trial's sweep
        run), ``sweep`` (a sweep run's name), ``sweep_trial`` (a trial's number), then
        ``metrics.<key>`` (latest value)
        and ``params.<key>``. Empty (with those base columns) when there are no runs.
    """
    uri = resolve_tracking_uri(tracking_uri)
    if experiments is None and not filter_string and reads_sql(uri):
        try:
            names, records = search_runs_sql(uri, max_results)
        except Exception as exc:  # no tables yet, an old schema, a driver problem
            _log.info("reading the runs of %s with SQL failed (%s); asking MLflow",
                      redact_uri(uri), exc)
        else:
            return _runs_table(names, records, include_params)
    names, records = _search_runs_mlflow(uri, experiments, max_results, filter_string)
    return _runs_table(names, records, include_params)


def _search_runs_mlflow(uri: str, experiments: str | Sequence[str] | None, max_results: int,
                        filter_string: str) -> tuple[dict[str, str], list[RunRecord]]:
    """:func:`runs_frame`'s experiments and runs, read with MLflow's ``search_runs``."""
    client, _ = _client(uri)
    if experiments is None:
        exps = client.search_experiments()
    else:
        names = [experiments] if isinstance(experiments, str) else list(experiments)
        exps = [e for e in (client.get_experiment_by_name(n) for n in names) if e is not None]
    exp_names = {e.experiment_id: e.name for e in exps}
    if not exp_names:
        return exp_names, []
    runs = client.search_runs(
        list(exp_names), filter_string=filter_string, max_results=max_results,
        order_by=["attributes.start_time DESC"],
    )
    records = []
    for run in runs:
        info, data = run.info, run.data
        stamps = [m.timestamp for m in getattr(data, "_metric_objs", ()) or ()
                  if getattr(m, "timestamp", None)]
        records.append(RunRecord(
            run_id=info.run_id, run_name=info.run_name, experiment_id=info.experiment_id,
            status=info.status, start_time=info.start_time, end_time=info.end_time,
            tags=data.tags, params=data.params, metrics=data.metrics,
            last_logged=max(stamps) if stamps else None,
        ))
    return exp_names, records


def _runs_table(exp_names: dict[str, str], records: Iterable[RunRecord],
                include_params: bool) -> pd.DataFrame:
    """:func:`runs_frame`'s frame from the runs read, however they were read."""
    base = ["run_id", "run_name", "experiment", "status", "start_time", "end_time",
            "last_logged", "duration_s", *_TAG_COLUMNS, *_GROUP_COLUMNS]
    if not exp_names:
        return pd.DataFrame(columns=base)
    rows = []
    for run in records:
        row: dict[str, Any] = {
            "run_id": run.run_id,
            "run_name": run.run_name,
            "experiment": exp_names.get(run.experiment_id, run.experiment_id),
            "status": run.status,
            "start_time": pd.to_datetime(run.start_time, unit="ms", utc=True),
            "end_time": (pd.to_datetime(run.end_time, unit="ms", utc=True)
                         if run.end_time else pd.NaT),
            "last_logged": (pd.to_datetime(run.last_logged, unit="ms", utc=True)
                            if run.last_logged else pd.NaT),
            "duration_s": ((run.end_time - run.start_time) / 1000.0
                           if run.end_time else float("nan")),
        }
        for tag in _TAG_COLUMNS:
            row[tag] = run.tags.get(tag)
        for column, tag in _GROUP_COLUMNS.items():
            row[column] = run.tags.get(tag)
        for key, value in sorted(run.metrics.items()):
            row[f"metrics.{key}"] = value
        if include_params:
            for key, value in run.params.items():
                row[f"params.{key}"] = value
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in base:
        if col not in frame.columns:
            frame[col] = None
    return frame


def silent_for(start_time: Any, last_logged: Any, now: pd.Timestamp | None = None) -> float:
    """Seconds since a run last showed it was alive: its newest metric, else its start.

    NaN when neither time is known.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    times = [t for t in (start_time, last_logged) if t is not None and pd.notna(t)]
    if not times:
        return float("nan")
    return max(0.0, (now - max(times)).total_seconds())


def _coarse_duration(seconds: float) -> str:
    """``"42 s"``, ``"12 min"``, ``"5 h"``, ``"3 days"``: how long, at a glance."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def status_labels(runs: pd.DataFrame, now: pd.Timestamp | None = None) -> pd.Series:
    """Each run's status as shown: ``"RUNNING · silent for 12 min"`` for a run still
    going (time since its newest metric, else its start), the status alone otherwise.

    A run whose process died without ending it (a killed terminal, a crash) stays
    RUNNING in MLflow; how long it has been silent tells it apart from a live one.

    Parameters
    ----------
    runs : DataFrame
        :func:`runs_frame`'s ``status``, ``start_time`` and ``last_logged`` columns.
    now : Timestamp, optional
        The current time (UTC); default now.

    Returns
    -------
    Series
        One label per row, on ``runs``' index.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    labels = []
    for row in runs.itertuples(index=False):
        status = str(getattr(row, "status", "") or "")
        if status == "RUNNING":
            silent = silent_for(getattr(row, "start_time", None),
                                getattr(row, "last_logged", None), now)
            if silent == silent:  # not NaN
                status = f"RUNNING · silent for {_coarse_duration(silent)}"
        labels.append(status)
    return pd.Series(labels, index=runs.index, dtype="object")


def _run_status(client: Any, run_id: str) -> str:
    return client.get_run(run_id).info.status


def metric_history(
    run_ids: str | Iterable[str],
    metrics: Sequence[str] | None = None,
    *,
    tracking_uri: str | None = None,
) -> pd.DataFrame:
    """Metric histories as logged to MLflow, in long (tidy) form.

    Runs not cached yet are read together in bulk (see :mod:`experiments.bulk_history`);
    the histories of ended runs are then cached by run id.

    Parameters
    ----------
    run_ids : str or iterable of str
        One or more runs.
    metrics : sequence of str, optional
        Metric keys; default every per-epoch metric the runs have (keys not
        starting with ``final_``).
    tracking_uri : str, optional

    Returns
    -------
    DataFrame
        Columns ``run_id``, ``metric``, ``step`` (the epoch), ``value``,
        ``timestamp`` (UTC), sorted by run (in the order given), metric and step.
    """
    from experiments.bulk_history import HISTORY_COLUMNS, fetch_histories

    uri = resolve_tracking_uri(tracking_uri)
    ids = list(dict.fromkeys([run_ids] if isinstance(run_ids, str) else run_ids))
    found = {run_id: _CACHE.get(("history", uri, run_id)) for run_id in ids}
    missing = [run_id for run_id, part in found.items() if part is None]
    if missing:
        rows, statuses = fetch_histories(uri, missing)
        rows = rows[~rows["metric"].str.startswith("final_")]
        rows = rows.sort_values(["run_id", "metric", "step"], kind="stable")
        rows["timestamp"] = pd.to_datetime(rows["timestamp"], unit="ms", utc=True)
        groups = dict(tuple(rows.groupby("run_id", sort=False)))
        for run_id in missing:
            part = groups.get(run_id, rows.iloc[:0]).reset_index(drop=True)
            found[run_id] = part
            if statuses.get(run_id) in ENDED:
                _CACHE.put(("history", uri, run_id), part)
    parts = [found[run_id] for run_id in ids]
    if not parts:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    if metrics is not None:
        out = out[out["metric"].isin(list(metrics))].reset_index(drop=True)
    return out


def _artifact_text(client: Any, uri: str, run_id: str, path: str) -> str | None:
    key = ("artifact", uri, run_id, path)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    import tempfile
    from pathlib import Path

    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory(prefix="experiments-read-") as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
        except (MlflowException, OSError):
            return None
        text = Path(local).read_text(encoding="utf-8")
    if _run_status(client, run_id) in ENDED:
        _CACHE.put(key, text)
    return text


def full_history(run_id: str, *, tracking_uri: str | None = None) -> pd.DataFrame:
    """The run's per-epoch history at full resolution (``history.csv``).

    Returns
    -------
    DataFrame
        ``epoch`` and one column per metric; empty if the run has no history
        artifact (e.g. it failed before saving).
    """
    client, uri = _client(tracking_uri)
    text = _artifact_text(client, uri, run_id, "history.csv")
    if not text:
        return pd.DataFrame(columns=["epoch"])
    return pd.read_csv(io.StringIO(text))


def decision_boundary(run_id: str, *, tracking_uri: str | None = None) -> pd.DataFrame | None:
    """The decision-boundary grid of a run on a 2-D dataset, or None."""
    client, uri = _client(tracking_uri)
    text = _artifact_text(client, uri, run_id, "decision_boundary.csv")
    return pd.read_csv(io.StringIO(text)) if text else None


def run_spec(run_id: str, *, tracking_uri: str | None = None) -> RunSpec:
    """The :class:`RunSpec` a run was trained from (rebuilt from its params)."""
    client, _ = _client(tracking_uri)
    return RunSpec.from_params(client.get_run(run_id).data.params)


def load_run_model(run_id: str, *, tracking_uri: str | None = None) -> tuple[Any, Preprocessor]:
    """A run's trained nncore model and its preprocessing, from the run's artifacts.

    Reads ``weights/model.npz`` + ``weights/model.json`` with :func:`nncore.load`
    (never unpickles) and ``preprocessing.json``.
    """
    import json
    import tempfile
    from pathlib import Path

    import nncore

    client, uri = _client(tracking_uri)
    with tempfile.TemporaryDirectory(prefix="experiments-model-") as tmp:
        local = Path(client.download_artifacts(run_id, "weights", tmp))
        model = nncore.load(local / "model")
    pre_text = _artifact_text(client, uri, run_id, "preprocessing.json")
    if pre_text is None:
        raise FileNotFoundError(f"run {run_id} has no preprocessing.json artifact")
    return model, Preprocessor.from_dict(json.loads(pre_text))
