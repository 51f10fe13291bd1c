"""Cached readers: datasets and run tables (``st.cache_data``), clients (``st.cache_resource``).

A model being trained never goes into a cache: it lives in the
:class:`~ui.live.TrainingJob` kept in ``st.session_state``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from experiments import Dataset, load_dataset, tracking
from experiments.queries import runs_frame
from experiments.store_version import store_version as sql_store_version
from experiments.tracking import sqlite_path

UPLOAD_DIR = Path(tempfile.gettempdir()) / "nncore-dashboard-uploads"

# MLflow retries a dead server for minutes by default (7 retries, 120 s timeout), with
# the page blank meanwhile. The pages check the store first (store_problem); these
# bound what a store that goes away later can cost. The user's own settings win.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")

#: Seconds to wait for a tracking server's answer to the store check.
STORE_CHECK_TIMEOUT = 3.0


@st.cache_data(ttl=10, show_spinner=False, max_entries=16)
def store_problem(tracking_uri: str) -> str | None:
    """What is wrong with the tracking store, in one sentence, or None if it is usable.

    :func:`experiments.tracking.store_problem` (a server that does not answer within
    :data:`STORE_CHECK_TIMEOUT` seconds, a SQLite file that cannot be created or
    written), cached 10 s per store so every page checks once, in seconds at most,
    before anything asks MLflow. :func:`ui.sidebar.render` shows the sentence.
    """
    return tracking.store_problem(tracking_uri, timeout=STORE_CHECK_TIMEOUT)


@st.cache_data(show_spinner=False, max_entries=32)
def _dataset(name: str, test_size: float, seed: int, params: tuple[tuple[str, Any], ...]
             ) -> Dataset:
    return load_dataset(name, test_size=test_size, seed=seed, **dict(params))


def dataset(name: str, test_size: float, seed: int, params: Mapping[str, Any]) -> Dataset:
    """A registered dataset, built once per distinct setting.

    Parameters
    ----------
    name : str
        Registry name.
    test_size : float
        Validation fraction.
    seed : int
        Data seed.
    params : mapping
        The dataset's own parameters.

    Returns
    -------
    Dataset

    Raises
    ------
    SpecError, DataError
        From :func:`experiments.load_dataset` (errors are not cached).
    """
    return _dataset(name, float(test_size), int(seed), tuple(sorted(params.items())))


#: MLflow filter of the runs that are not a sweep's trials.
TOP_LEVEL = "tags.mlflow.parentRunId IS NULL"

#: Seconds a runs table is kept when the store cannot say whether it changed (a tracking
#: server): after that, it is read again.
UNVERSIONED_TTL = 10
#: Seconds a runs table of a SQL store is kept at most: it is read again as soon as
#: :func:`store_version` changes; this only bounds a change the version cannot see.
VERSIONED_TTL = 600

def store_version(tracking_uri: str) -> tuple[Any, ...]:
    """What the cached runs tables are keyed by: it changes when a runs table would.

    A SQL store's :func:`experiments.store_version.store_version` (one aggregate query,
    milliseconds), so a new run, a new metric or an ended run shows at once. Other
    stores (a tracking server), a SQLite file not created yet, or a query that fails: a
    value that changes every :data:`UNVERSIONED_TTL` seconds (the tables are read that
    often).

    Parameters
    ----------
    tracking_uri : str
        The store.

    Returns
    -------
    tuple
        ``("sql", ...)`` with the store's aggregates, or ``("time", n)``.
    """
    version = sql_store_version(tracking_uri) if store_has_runs(tracking_uri) else None
    if version is not None:
        return ("sql", *version)
    return ("time", int(time.monotonic() // UNVERSIONED_TTL))


class _VersionedRunsTable:
    """:func:`runs_table`: a cached read keyed by the store's :func:`store_version`."""

    def __call__(self, tracking_uri: str, max_results: int = 50, top_level: bool = False,
                 parent_run_id: str | None = None) -> pd.DataFrame:
        """Recent runs of every experiment in the store, newest first.

        Kept while the store's :func:`store_version` is unchanged (at most
        :data:`VERSIONED_TTL` s; a tracking server's for :data:`UNVERSIONED_TTL` s), so
        a new run or metric shows at once; ``runs_table.clear()`` forgets them all.

        Parameters
        ----------
        tracking_uri : str
            The store (part of the cache key, so switching stores never mixes runs).
        max_results : int
            Most runs.
        top_level : bool
            Leave out the trials of sweeps (child runs): a sweep is one row.
        parent_run_id : str, optional
            Only the trials of this sweep.

        Returns
        -------
        DataFrame
            :func:`experiments.queries.runs_frame`'s columns.
        """
        return _runs_table(tracking_uri, max_results, top_level, parent_run_id,
                           store_version(tracking_uri))

    @staticmethod
    def clear() -> None:
        """Forget every cached table (after a run the page itself started or ended)."""
        _runs_table.clear()


runs_table = _VersionedRunsTable()


@st.cache_data(ttl=VERSIONED_TTL, show_spinner=False, max_entries=8)
def _runs_table(tracking_uri: str, max_results: int, top_level: bool,
                parent_run_id: str | None, version: tuple[Any, ...]) -> pd.DataFrame:
    """Recent runs of every experiment in the store (see :data:`runs_table`).

    ``version`` (:func:`store_version`) is only part of the cache key.
    """
    where = TOP_LEVEL if top_level else ""
    if parent_run_id is not None:
        where = f"tags.mlflow.parentRunId = '{parent_run_id}'"
    return runs_frame(tracking_uri=tracking_uri, max_results=max_results, filter_string=where)


def save_upload(name: str, content: bytes) -> Path:
    """Write an uploaded file under a name made from its content; return its path.

    The same file uploaded twice gets the same path (a folder named by the content's
    hash, holding the file under its own name), so cached datasets built from it are
    reused and messages name the file the user knows.

    Parameters
    ----------
    name : str
        The file name the user uploaded (its suffix is kept).
    content : bytes
        The file's bytes.
    """
    digest = hashlib.sha256(content).hexdigest()[:16]
    folder = UPLOAD_DIR / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (Path(name).name or "upload.csv")  # messages name the user's file
    if not path.exists():
        path.write_bytes(content)
    return path


@st.cache_data(show_spinner=False, max_entries=16)
def csv_columns(path: str) -> list[str]:
    """Column names of a CSV file (reads the header only)."""
    return list(pd.read_csv(path, nrows=0).columns)


def store_has_runs(tracking_uri: str) -> bool:
    """False when the store surely has no runs yet (a SQLite file not created yet).

    Avoids creating an empty database (seconds of schema migrations) just to say
    that there is nothing to show.
    """
    db = sqlite_path(tracking_uri)
    return db is None or db.exists()


@st.cache_resource(show_spinner=False, max_entries=8)
def mlflow_client(tracking_uri: str) -> Any:
    """One MLflow client per store, shared by the sessions of this server.

    Creating it also warms the store in the background: a new SQLite store spends
    seconds on its schema, and the Train page asks for the client as it opens, so
    that time passes while the user reads the form, not after pressing Train.
    """
    from experiments.tracking import mlflow_client

    client = mlflow_client(tracking_uri)   # a new SQLite store: created once, under a lock

    def warm() -> None:
        # Store problems are reported when a run starts, in one clear sentence.
        with contextlib.suppress(Exception):
            client.search_experiments(max_results=1)

    thread = threading.Thread(target=warm, name="mlflow-store-warmup", daemon=True)
    _WARMUPS[tracking_uri] = thread
    thread.start()
    return client


_WARMUPS: dict[str, threading.Thread] = {}


def wait_for_store(tracking_uri: str, timeout: float = 120.0) -> None:
    """Block until the background warm-up of ``tracking_uri`` (if any) is done.

    A training run waits for it before creating its own run, so two threads never
    create the same new SQLite store at once.
    """
    thread = _WARMUPS.get(tracking_uri)
    if thread is not None:
        thread.join(timeout)


@st.cache_data(ttl=10, show_spinner=False, max_entries=8)
def sweeps_table(tracking_uri: str) -> pd.DataFrame:
    """The store's sweeps, newest first (cached 10 s; cleared when a sweep ends).

    :func:`experiments.sweeps.list_sweeps` (which also ends the RUNNING trials of
    sweeps whose driver is gone, as KILLED ``orphaned``).
    """
    from experiments.sweeps import list_sweeps

    return list_sweeps(tracking_uri)


@st.cache_data(ttl=10, show_spinner=False, max_entries=32)
def sweep_record(tracking_uri: str, parent_run_id: str, status: str) -> Any:
    """A sweep read back from the store (:func:`experiments.sweeps.results.load_sweep_record`).

    ``status`` is part of the key: a sweep that has ended is read once more, with
    its final trials table.
    """
    from experiments.sweeps.results import load_sweep_record

    return load_sweep_record(parent_run_id, tracking_uri)


@st.cache_data(show_spinner=False, max_entries=32)
def sweep_importance(trials: pd.DataFrame, space: dict[str, Any], direction: str,
                     evaluator: str) -> Any:
    """:func:`experiments.sweeps.results.param_importance`, once per trials table."""
    from experiments.sweeps.results import param_importance

    return param_importance(trials, space, direction, evaluator)
