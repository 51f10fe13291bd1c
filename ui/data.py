"""Cached readers: datasets and run tables (``st.cache_data``), clients (``st.cache_resource``).

A model being trained never goes into a cache: it lives in the
:class:`~ui.live.TrainingJob` kept in ``st.session_state``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from experiments import Dataset, load_dataset
from experiments.queries import runs_frame

UPLOAD_DIR = Path(tempfile.gettempdir()) / "nncore-dashboard-uploads"


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


@st.cache_data(ttl=10, show_spinner=False, max_entries=8)
def runs_table(tracking_uri: str, max_results: int = 50) -> pd.DataFrame:
    """Recent runs of every experiment in the store (cached for 10 s; cleared after a run).

    Parameters
    ----------
    tracking_uri : str
        The store (part of the cache key, so switching stores never mixes runs).
    max_results : int
        Most runs.

    Returns
    -------
    DataFrame
        :func:`experiments.queries.runs_frame`'s columns.
    """
    return runs_frame(tracking_uri=tracking_uri, max_results=max_results)


def save_upload(name: str, content: bytes) -> Path:
    """Write an uploaded file under a name made from its content; return its path.

    The same file uploaded twice gets the same path, so cached datasets built from
    it are reused.

    Parameters
    ----------
    name : str
        The file name the user uploaded (its suffix is kept).
    content : bytes
        The file's bytes.
    """
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()[:16]
    suffix = Path(name).suffix or ".csv"
    path = UPLOAD_DIR / f"{Path(name).stem[:40]}-{digest}{suffix}"
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
    if tracking_uri.startswith("sqlite:///"):
        path = tracking_uri[len("sqlite:///"):]
        if path and path != ":memory:" and not Path(path).exists():
            return False
    return True
