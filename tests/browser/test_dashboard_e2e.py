"""End to end in a real browser: the app as a server, Chromium driven by Playwright.

Opens the home page, goes to Train, trains the defaults (the admissions network),
sees the live and final charts, finds the FINISHED run in MLflow; then trains a
long run on 2-D data, watches the live decision boundary, presses Stop and finds
the run KILLED. Screenshots go to the test's folder and to /tmp/screenshots/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser.support import dashboard_on_a_new_store, loopback_context, save_shot

#: The live progress text once an epoch is done ("Epoch 1,234 / 200,000 · ...").
PROGRESS = re.compile(r"Epoch [0-9,]+ / ")

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def server(tmp_path):
    """The dashboard served on a free port, with its own folder and MLflow store."""
    with dashboard_on_a_new_store(tmp_path, NNCORE_SESSION_GRACE_S="2") as served:
        yield served


@pytest.fixture
def context(server):
    """A Chromium context whose every request must go to 127.0.0.1."""
    with loopback_context({"width": 1400, "height": 1500}) as context:
        context.set_default_timeout(60_000)
        yield context


def _shot(page, tmp_path: Path, name: str) -> None:
    save_shot(page, tmp_path, f"{name}.png")


def _runs(work: Path):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{work / 'mlflow.db'}")
    exps = client.search_experiments()
    return client.search_runs([e.experiment_id for e in exps]) if exps else []


def test_train_defaults_watch_live_and_stop(server, context, tmp_path):
    url, work = server
    page = context.new_page()
    page.goto(url)
    page.get_by_text("No runs yet").wait_for()
    _shot(page, tmp_path, "01_home_empty")

    page.locator('[data-testid="stSidebarNav"] a', has_text="Train").click()
    page.get_by_role("heading", name="Train a network").wait_for()
    page.locator('[data-testid="stVegaLiteChart"] svg.marks').first.wait_for()
    _shot(page, tmp_path, "02_train_defaults")

    # Train with the defaults: the admissions network.
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Training…").wait_for()
    page.locator('[data-testid="stVegaLiteChart"] svg.marks').first.wait_for()
    page.get_by_text("Finished").first.wait_for(timeout=120_000)
    page.locator(".mark-line path").first.wait_for()
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 4
    _shot(page, tmp_path, "03_train_finished")
    runs = _runs(work)
    assert [r.info.status for r in runs] == ["FINISHED"]
    assert runs[0].data.tags["dataset"] == "student_admissions"
    assert runs[0].data.tags["source"] == "dashboard"

    # A long run on 2-D data, opened from a URL: watch the live boundary, then Stop.
    page.goto(f"{url}/Train?dataset.name=moons&model.hidden=%5B16%5D&model.activation=tanh"
              "&training.optimizer=adam&training.learning_rate=0.02&training.epochs=200000")
    page.get_by_role("heading", name="Train a network").wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    live_lines = page.locator('[data-testid="stVegaLiteChart"] .mark-line path')
    live_lines.first.wait_for()
    page.locator('[data-testid="stVegaLiteChart"] .mark-rect path').first.wait_for()
    page.get_by_text(PROGRESS).first.wait_for()
    time.sleep(8)  # let it train: the cost is measured over the run, not its first redraws
    _shot(page, tmp_path, "04_training_live")
    page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("Stopped").first.wait_for(timeout=60_000)
    _shot(page, tmp_path, "05_stopped")
    # The live view stayed within its budget of the training time.
    cost = page.get_by_text("Watching it live took").inner_text()
    share = float(cost.split("took ")[1].split("%")[0])
    assert share <= 10.0, cost
    statuses = sorted(r.info.status for r in _runs(work))
    assert statuses == ["FINISHED", "KILLED"]

    # Home lists both runs.
    page.locator('[data-testid="stSidebarNav"] a').first.click()
    page.get_by_role("heading", name="Recent runs").wait_for()
    page.locator('[data-testid="stDataFrame"]').wait_for()
    _shot(page, tmp_path, "06_home_runs")


def test_closing_the_tab_stops_the_run(server, context):
    url, work = server
    page = context.new_page()
    page.goto(f"{url}/Train?dataset.name=moons&dataset.n_samples=60&model.hidden=%5B4%5D"
              "&training.epochs=1000000")
    page.get_by_role("heading", name="Train a network").wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(PROGRESS).first.wait_for()
    page.close()
    deadline = time.monotonic() + 60
    runs = _runs(work)
    while not runs or runs[0].info.status == "RUNNING":
        assert time.monotonic() < deadline, "the run was left RUNNING after the tab closed"
        time.sleep(0.5)
        runs = _runs(work)
    [run] = runs
    assert run.info.status == "KILLED"
    assert "browser tab was closed" in run.data.tags["stop_reason"]
