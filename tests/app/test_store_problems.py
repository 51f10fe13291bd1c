"""Every page checks the tracking store once, quickly, and says in one sentence what is
wrong (issue 14, items 2 and 3): an unreachable server, an unwritable SQLite store."""

from __future__ import annotations

import socket
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import DASHBOARD, TRAIN
from ui import sidebar

PAGES = [None, TRAIN, sidebar.SWEEP, sidebar.COMPARE, sidebar.RUN]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["unreachable", "unwritable"])
def bad_store(request, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if request.param == "unreachable":
        uri = f"http://127.0.0.1:{_closed_port()}"
        words = "cannot be reached"
    else:
        uri = "sqlite:////sys/nncore-test-store.db"  # root cannot create files in /sys
        words = "cannot create files"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri, words


def _body(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [e.value for e in at.error]
                     + [w.value for w in at.warning] + [i.value for i in at.info])


@pytest.mark.parametrize("page", PAGES, ids=["home", "train", "sweep", "compare", "run"])
def test_each_page_says_what_is_wrong_in_seconds(bad_store, page):
    _, words = bad_store
    started = time.monotonic()
    at = AppTest.from_file(DASHBOARD, default_timeout=30).run()
    if page is not None:
        at.switch_page(page).run()
    elapsed = time.monotonic() - started
    assert not at.exception, at.exception
    assert elapsed < 10, f"{elapsed:.1f} s"
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    message = errors[0]
    assert words in message and "\n" not in message
    assert "MLFLOW_TRACKING_URI" in message
    assert "--tracking-uri" not in message  # no CLI flags in the dashboard
    body = _body(at)
    assert "No runs yet" not in body and "Nothing to compare yet" not in body
    assert "Traceback" not in body and "MlflowException" not in body


def test_train_press_with_a_bad_store_starts_nothing(bad_store):
    from ui import keys

    _, words = bad_store
    at = AppTest.from_file(DASHBOARD, default_timeout=30).run()
    at.switch_page(TRAIN).run()
    started = time.monotonic()
    at.button(key=keys.TRAIN).click().run()
    assert time.monotonic() - started < 10
    assert not at.exception, at.exception
    assert keys.JOB not in at.session_state or at.session_state[keys.JOB] is None
    assert [e.value for e in at.error if words in e.value]
