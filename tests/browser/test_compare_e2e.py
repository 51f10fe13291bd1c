"""End to end in a real browser: train several runs, compare them, open one run.

Trains four small runs on XOR (two learning rates x two seeds) and one admissions
run through :func:`experiments.train` (the same call the Train page makes), serves
the app, opens the Compare page with two runs picked in the URL, ticks runs in the
table, checks the charts drew, follows a run's link to its Run page and predicts
with the admissions model. Screenshots go to /tmp/screenshots/compare_*.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path("/tmp/screenshots")

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _require_browser() -> None:
    """Skip outside CI when the browser is missing; under CI=true that is a failure."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    if missing:
        message = f"browser test needs {' and '.join(missing)} (scripts/test.sh installs them)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(uri: str) -> tuple[list[str], str]:
    from experiments import RunSpec, train

    xor = []
    for lr in (0.03, 0.1):
        for seed in (0, 1):
            spec = RunSpec.from_dict({
                "dataset": {"name": "xor", "n_samples": 120},
                "model": {"hidden": [6], "activation": "tanh"},
                "training": {"optimizer": "adam", "learning_rate": lr, "epochs": 60,
                             "batch_size": 16, "seed": seed}})
            xor.append(train(spec, tracking_uri=uri, source="dashboard", log_model=False).run_id)
    spec = RunSpec.from_dict({"dataset": {"name": "student_admissions", "scaling": "course"},
                              "model": {"hidden": [8], "activation": "sigmoid"},
                              "training": {"learning_rate": 0.1, "epochs": 80,
                                           "batch_size": 32}})
    admissions = train(spec, tracking_uri=uri, source="dashboard", log_model=False).run_id
    return xor, admissions


@pytest.fixture
def server(tmp_path):
    """Runs in a fresh store, and the dashboard served on a free 127.0.0.1 port."""
    _require_browser()
    work = tmp_path / "work"
    work.mkdir()
    uri = f"sqlite:///{work / 'mlflow.db'}"
    old = os.getcwd()
    os.chdir(work)
    try:
        xor, admissions = _seed(uri)
    finally:
        os.chdir(old)
    port = _free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_DISABLE_TELEMETRY": "true",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("streamlit did not start:\n" + (tmp_path / "server.log").read_text())
        time.sleep(0.2)
    yield url, xor, admissions
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def page(server):
    """A Chromium page whose every request must go to 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    context = browser.new_context(viewport={"width": 1400, "height": 1400})

    def guard(route):
        url = route.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
    browser.close()
    pw.stop()
    assert not outside, f"requests left 127.0.0.1: {outside}"


def _shot(page, tmp_path: Path, name: str, locator=None) -> None:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    path = folder / f"compare_{name}.png"
    (locator or page).screenshot(path=str(path))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(500)


def test_compare_then_run_page(server, page, tmp_path):
    url, xor, admissions = server
    page.goto(f"{url}/Compare?runs={xor[0]},{xor[2]}&metric=val_loss&smooth=0.3")
    page.get_by_role("heading", name="Compare runs").wait_for()
    _settle(page)
    page.get_by_role("heading", name="Decisions").wait_for()
    _settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.locator("svg.marks").first.wait_for()
    curves = charts.first
    assert curves.locator(".mark-line path").count() >= 2  # the two runs from the URL
    _shot(page, tmp_path, "top")
    # Charts in page order: curves, ranking at an epoch, scatter, parallel coordinates,
    # replicate bands, replicate spread, decision boundaries.
    names = ["curves", "at", "scatter", "parallel", "bands", "spread", "boundaries"]
    assert charts.count() == len(names)
    for i, key in enumerate(names):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.locator("svg.marks").first.wait_for()
        assert chart.locator("svg.marks .mark-symbol path, svg.marks .mark-line path, "
                             "svg.marks .mark-rect path, svg.marks .mark-area path").count() > 0, key
        _shot(page, tmp_path, key, chart)
    page.get_by_role("heading", name="Settings against results").scroll_into_view_if_needed()
    _settle(page)
    _shot(page, tmp_path, "settings")
    assert "runs=" in page.url and xor[0] in page.url and "smooth=0.3" in page.url
    # The replicate band: lr=0.03 and lr=0.1 each have two seeds.
    assert page.get_by_text("4 runs in 2 groups").count() == 1

    # Follow a run's link in the table to its Run page.
    page.goto(f"{url}/Run?run={admissions}")
    page.get_by_role("heading", name="Run", exact=True).wait_for()
    _settle(page)
    _shot(page, tmp_path, "run_page")
    page.get_by_role("tab", name="Predict").click()
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    page.get_by_text("probability of admission").wait_for()
    _settle(page)
    _shot(page, tmp_path, "run_predict")
    page.get_by_role("tab", name="Decisions & weights").click()
    _settle(page)
    _shot(page, tmp_path, "run_weights")
