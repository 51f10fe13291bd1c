"""Reading sweeps back from MLflow: the parent runs with their best results."""

from __future__ import annotations

from typing import Any

import pandas as pd

from experiments.sweeps.engine import PARENT_TAG

__all__ = ["list_sweeps"]

_COLUMNS = ["run_id", "name", "experiment", "started", "status", "method", "objective",
            "direction", "trials", "trials_done", "best", "best_run_id"]


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
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    from experiments.tracking import resolve_tracking_uri

    client = MlflowClient(tracking_uri=resolve_tracking_uri(tracking_uri))
    experiments = {e.experiment_id: e.name for e in client.search_experiments()}
    if not experiments:
        return pd.DataFrame(columns=_COLUMNS)
    runs = client.search_runs(list(experiments), f"tags.`{PARENT_TAG}` LIKE '%'",
                              run_view_type=ViewType.ACTIVE_ONLY, max_results=max_results,
                              order_by=["attributes.start_time DESC"])
    rows: list[dict[str, Any]] = []
    for run in runs:
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
