"""Reading sweeps back from MLflow: the parent runs with their best results."""

from __future__ import annotations

from typing import Any

import pandas as pd

from experiments.sweeps.engine import PARENT_TAG

__all__ = ["end_orphans", "list_sweeps"]

_COLUMNS = ["run_id", "name", "experiment", "started", "status", "method", "objective",
            "direction", "trials", "trials_done", "best", "best_run_id"]


def end_orphans(parent_run_id: str, tracking_uri: str | None = None, client: Any = None
                ) -> list[str]:
    """End the RUNNING children of a sweep whose driver has ended it: KILLED, orphaned.

    A trial whose worker and driver are both gone leaves its run RUNNING; once the parent
    has ended, nothing will end it. Run after every sweep and whenever sweeps are listed.

    Returns
    -------
    list of str
        The run ids ended.
    """
    from mlflow.entities import RunTag

    from experiments.tracking import mlflow_client

    client = client or mlflow_client(tracking_uri)
    parent = client.get_run(parent_run_id)
    if parent.info.status == "RUNNING":
        return []
    running = client.search_runs(
        [parent.info.experiment_id],
        f"tags.mlflow.parentRunId = '{parent_run_id}' and attributes.status = 'RUNNING'")
    for run in running:
        client.log_batch(run.info.run_id, tags=[RunTag("stop_reason", "orphaned")])
        client.set_terminated(run.info.run_id, status="KILLED")
    return [run.info.run_id for run in running]


def list_sweeps(tracking_uri: str | None = None, max_results: int = 100) -> pd.DataFrame:
    """The sweeps in a store, newest first, one row per parent run.

    Parameters
    ----------
    tracking_uri : str, optional
        See :func:`experiments.tracking.resolve_tracking_uri`.
    max_results : int
        Most sweeps returned.

    Returns
    -------
    DataFrame
        ``run_id`` (the parent), ``name``, ``experiment``, ``started``, ``status``,
        ``method``, ``objective``, ``direction``, ``trials`` (asked), ``trials_done``,
        ``best`` (the best objective so far) and ``best_run_id``.
    """
    from mlflow.entities import ViewType

    from experiments.tracking import mlflow_client

    client = mlflow_client(tracking_uri)
    experiments = {e.experiment_id: e.name for e in client.search_experiments()}
    if not experiments:
        return pd.DataFrame(columns=_COLUMNS)
    runs = client.search_runs(list(experiments), f"tags.`{PARENT_TAG}` LIKE '%'",
                              run_view_type=ViewType.ACTIVE_ONLY, max_results=max_results,
                              order_by=["attributes.start_time DESC"])
    rows: list[dict[str, Any]] = []
    for run in runs:
        if run.info.status != "RUNNING":
            end_orphans(run.info.run_id, client=client)
        tags, metrics = run.data.tags, run.data.metrics
        objective = tags.get("sweep.objective", "")
        rows.append({
            "run_id": run.info.run_id, "name": tags.get(PARENT_TAG),
            "experiment": experiments.get(run.info.experiment_id),
            "started": pd.Timestamp(run.info.start_time, unit="ms", tz="UTC"),
            "status": run.info.status, "method": tags.get("sweep.method"),
            "objective": objective, "direction": tags.get("sweep.direction"),
            "trials": int(tags.get("sweep.trials", 0) or 0),
            "trials_done": int(metrics.get("trials_done", 0)),
            "best": metrics.get(f"best_{objective}"),
            "best_run_id": tags.get("sweep.best_run_id"),
        })
    return pd.DataFrame(rows, columns=_COLUMNS)
