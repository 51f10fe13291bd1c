"""AppTest fixtures: every test runs in its own folder with its own MLflow store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import sidebar

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = str(ROOT / "dashboard.py")
TRAIN = sidebar.TRAIN


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty folder as working directory and a SQLite store in it."""
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture
def app(store):
    """The dashboard, run once from its home page."""
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception
    yield at
    # Never leave a training thread behind (a failing test may not have stopped it).
    from ui import keys

    try:
        job = at.session_state[keys.JOB]
    except KeyError:
        job = None
    if job is not None:
        job.request_stop("test teardown")
        job.wait(60)


def open_train(at: AppTest, query: dict[str, str] | None = None) -> AppTest:
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(TRAIN).run()
    assert not at.exception, at.exception
    return at
