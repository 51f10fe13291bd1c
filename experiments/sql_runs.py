"""Reading the runs of a SQL tracking store without MLflow.

A fresh process that reads the runs table through MLflow imports it (about 1.8 s here)
and creates its client and store (about 1 s) before the first ``search_runs``: most of
what a new dashboard server makes its first visitor wait for (issue 13). For SQL stores
(``sqlite:///``, ``postgresql://``) this module reads the same runs with a few plain
queries over MLflow's tables, through SQLAlchemy (the engine of
:func:`experiments.bulk_history.sql_engine`), and never imports ``mlflow``.

It returns what MLflow's ``search_experiments()`` and ``search_runs(experiment_ids,
filter_string="", order_by=["attributes.start_time DESC"], max_results=n)`` return on
such a store, reduced to :class:`RunRecord`: the active experiments (the first 1,000 in
MLflow's order, as ``search_experiments`` gives them), their active runs, newest first
(start time descending, runs without one last, then run id ascending: MLflow's own
``ORDER BY``), each with its tags, its params (in the order the store returns them, as
MLflow's eager load does) and its latest metric values (MLflow's ``latest_metrics``
table; a NaN is stored as ``is_nan``). :mod:`experiments.queries` builds its runs table
from these records whichever way they were read.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["RUN_NAME_TAG", "SQL_RUNS_SCHEMES", "RunRecord", "reads_sql", "search_runs_sql"]

#: Stores read here; others (tracking servers, file stores, and SQL dialects not
#: tested against MLflow's own search: MySQL, SQL Server) are read through MLflow.
SQL_RUNS_SCHEMES = ("sqlite", "postgresql")
#: The tag MLflow takes a run's name from when the run's own name is empty.
RUN_NAME_TAG = "mlflow.runName"
#: What ``MlflowClient.search_experiments()`` returns at most (its default page).
EXPERIMENTS_PAGE = 1000


class RunRecord(NamedTuple):
    """One run as a runs table shows it: what it needs of MLflow's ``Run`` entity.

    Attributes
    ----------
    run_id : str
    run_name : str or None
        The run's name, else its ``mlflow.runName`` tag (as ``RunInfo.run_name``).
    experiment_id : str
    status : str
        ``RUNNING``, ``FINISHED``, ``FAILED``, ``KILLED`` or ``SCHEDULED``.
    start_time, end_time : int or None
        Milliseconds since the epoch.
    tags : dict
        Tag key to value.
    params : dict
        Param key to value (strings), in the store's order.
    metrics : dict
        Metric key to its latest value (NaN for a logged NaN).
    last_logged : int or None
        When the newest of those latest values was logged (ms), None without any.
    """

    run_id: str
    run_name: str | None
    experiment_id: str
    status: str
    start_time: int | None
    end_time: int | None
    tags: dict[str, str | None]
    params: dict[str, str]
    metrics: dict[str, float]
    last_logged: int | None


def reads_sql(tracking_uri: str) -> bool:
    """Whether :func:`search_runs_sql` reads this store (its scheme is a tested SQL one).

    A store with MLflow's workspaces on (``MLFLOW_ENABLE_WORKSPACES``) scopes its
    experiments by workspace: MLflow reads it.

    >>> reads_sql("sqlite:///mlflow.db"), reads_sql("postgresql+psycopg://u@h/db")
    (True, True)
    >>> reads_sql("http://127.0.0.1:5000"), reads_sql("mysql://u@h/db")
    (False, False)
    """
    import os

    if os.environ.get("MLFLOW_ENABLE_WORKSPACES", "").strip().lower() in ("1", "true"):
        return False
    from experiments.bulk_history import store_scheme

    return store_scheme(tracking_uri) in SQL_RUNS_SCHEMES


def search_runs_sql(tracking_uri: str, max_results: int
                    ) -> tuple[dict[str, str], list[RunRecord]]:
    """The active experiments and their newest active runs, read with SQL.

    Parameters
    ----------
    tracking_uri : str
        A SQL store (:func:`reads_sql`) that exists: this never creates or migrates one.
    max_results : int
        Most runs returned.

    Returns
    -------
    experiments : dict
        Experiment id (a string, as MLflow gives it) to name, in MLflow's order.
    runs : list of RunRecord
        Newest first, at most ``max_results``.

    Raises
    ------
    Exception
        Whatever the driver raises (no such table, a locked or missing database):
        callers read through MLflow instead.
    """
    import sqlalchemy as sa

    from experiments.bulk_history import fetch_tuples, sql_engine

    engine = sql_engine(tracking_uri)
    experiments = sa.table("experiments", sa.column("experiment_id"), sa.column("name"),
                           sa.column("lifecycle_stage"), sa.column("creation_time"))
    found = fetch_tuples(engine, sa.select(experiments.c.experiment_id, experiments.c.name)
                         .where(experiments.c.lifecycle_stage == "active")
                         .order_by(experiments.c.creation_time.desc(),
                                   experiments.c.experiment_id.asc())
                         .limit(EXPERIMENTS_PAGE))
    names = {str(experiment_id): name for experiment_id, name in found}
    if not names:
        return names, []

    runs = sa.table("runs", *map(sa.column, (
        "run_uuid", "name", "experiment_id", "status", "start_time", "end_time",
        "lifecycle_stage")))
    start = runs.c.start_time
    rows = fetch_tuples(engine, sa.select(
        runs.c.run_uuid, runs.c.name, runs.c.experiment_id, runs.c.status, start,
        runs.c.end_time,
    ).where(runs.c.experiment_id.in_([int(i) for i in names]),
            runs.c.lifecycle_stage == "active",
    ).order_by(sa.case((start.is_(None), 1), else_=0), start.desc(), runs.c.run_uuid)
     .limit(max_results))
    ids = [row[0] for row in rows]
    tags = _by_run(engine, "tags", ("key", "value", "run_uuid"), ids)
    params = _by_run(engine, "params", ("key", "value", "run_uuid"), ids)
    metrics = _by_run(engine, "latest_metrics",
                      ("key", "value", "timestamp", "step", "is_nan", "run_uuid"), ids)
    records = []
    for run_id, name, experiment_id, status, start_time, end_time in rows:
        run_tags = {key: value for key, value, _ in tags.get(run_id, ())}
        latest = metrics.get(run_id, ())
        stamps = [stamp for _, _, stamp, _, _, _ in latest if stamp]
        records.append(RunRecord(
            run_id=run_id,
            run_name=name or run_tags.get(RUN_NAME_TAG) or name,
            experiment_id=str(experiment_id),
            status=status,
            start_time=start_time,
            end_time=end_time,
            tags=run_tags,
            params={key: value for key, value, _ in params.get(run_id, ())},
            metrics={key: float("nan") if is_nan else value
                     for key, value, _, _, is_nan, _ in latest},
            last_logged=max(stamps) if stamps else None,
        ))
    return names, records


def _by_run(engine: Any, table: str, columns: tuple[str, ...], run_ids: list[str]
            ) -> dict[str, list[tuple]]:
    """Rows of ``table`` (``columns``, the last being ``run_uuid``) grouped by run id.

    The rows come in the order the store returns them for ``run_uuid IN (...)`` over all
    of the table's columns, the query MLflow's eager load runs, so a run's params keep
    the order ``search_runs`` gives them.
    """
    import sqlalchemy as sa

    from experiments.bulk_history import SQL_IN_CHUNK, chunks, fetch_tuples

    target = sa.table(table, *map(sa.column, columns))
    grouped: dict[str, list[tuple]] = {}
    for chunk in chunks(run_ids, SQL_IN_CHUNK):
        for row in fetch_tuples(engine, sa.select(*target.c).where(target.c.run_uuid.in_(chunk))):
            grouped.setdefault(row[-1], []).append(row)
    return grouped

