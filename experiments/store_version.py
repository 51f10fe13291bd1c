"""A cheap fingerprint of a tracking store's runs, for caches of what is read from it.

``search_runs`` of 200 runs takes 0.4-1 s; a page that re-reads it on every visit, or
every few seconds, spends most of its time there. For SQL stores one aggregate query
over MLflow's tables (milliseconds) says whether anything a runs table shows has
changed, so a cache keyed by it can be kept long and still show a new run at once.
"""

from __future__ import annotations

from typing import Any

from experiments.bulk_history import SQL_SCHEMES, sql_engine, store_scheme

__all__ = ["store_version"]

#: One statement: what changes whenever a run is created, logs a metric, gets a tag or
#: a param, changes status, ends, is renamed, deleted or restored, and when an
#: experiment is created, renamed or deleted. (A tag edited to another value of the
#: same length is not seen: callers bound how long they trust it.)
_VERSION_SQL = """SELECT
 (SELECT COUNT(*) FROM runs), (SELECT MAX(start_time) FROM runs),
 (SELECT SUM(COALESCE(end_time, 0)) FROM runs),
 (SELECT SUM(LENGTH(status) + LENGTH(lifecycle_stage) + COALESCE(LENGTH(name), 0))
  FROM runs),
 (SELECT COUNT(*) FROM latest_metrics), (SELECT MAX(timestamp) FROM latest_metrics),
 (SELECT SUM(step) FROM latest_metrics),
 (SELECT COUNT(*) FROM tags), (SELECT SUM(LENGTH(value)) FROM tags),
 (SELECT COUNT(*) FROM params),
 (SELECT COUNT(*) FROM experiments),
 (SELECT SUM(LENGTH(name) + LENGTH(lifecycle_stage)) FROM experiments)"""


def store_version(tracking_uri: str) -> tuple[Any, ...] | None:
    """What a SQL store's runs look like now, in one aggregate query.

    Parameters
    ----------
    tracking_uri : str
        A store URI (``sqlite:///...``, ``postgresql://...``, ...). The store must exist:
        this never creates or migrates one.

    Returns
    -------
    tuple or None
        Counts, latest times and summed lengths over MLflow's ``runs``,
        ``latest_metrics``, ``tags``, ``params`` and ``experiments`` tables: equal
        tuples mean no run, metric, tag, param or experiment changed in between (but for
        the case noted at ``_VERSION_SQL``). None when the store cannot say: not a SQL
        store (a tracking server), or the query failed.
    """
    if store_scheme(tracking_uri) not in SQL_SCHEMES:
        return None
    import sqlalchemy

    try:
        with sql_engine(tracking_uri).connect() as connection:
            return tuple(connection.execute(sqlalchemy.text(_VERSION_SQL)).one())
    except Exception:  # a store MLflow has not created yet, a driver problem
        return None
