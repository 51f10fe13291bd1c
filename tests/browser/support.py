"""What the browser tests share: Chromium, the served dashboard, the 127.0.0.1 guard.

Recipes from ../shared/TESTING.md: Debian's Chromium driven by Playwright (never a
downloaded browser), the app served on a free loopback port with its own folder and
MLflow store, and every request that leaves 127.0.0.1 failing the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path("/tmp/screenshots")


def require_browser() -> None:
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


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_dashboard(work: Path, log_path: Path, env: dict[str, str],
                    script: Path = ROOT / "dashboard.py") -> Iterator[str]:
    """``streamlit run dashboard.py`` (or another ``script``) in ``work`` on a free port;
    yields its address.

    The server reads the project's ``.streamlit/config.toml`` (copied into ``work``).
    """
    port = free_port()
    # The project's own Streamlit settings (no file watcher, no usage statistics), as
    # `streamlit run dashboard.py` in the project folder reads them.
    shutil.copytree(ROOT / ".streamlit", work / ".streamlit", dirs_exist_ok=True)
    full_env = {**os.environ, **env,
                "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=work, env=full_env, stdout=log, stderr=subprocess.STDOUT,
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
            pytest.fail("streamlit did not start:\n" + log_path.read_text())
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def dashboard_on_a_new_store(tmp_path: Path, **env: str) -> Iterator[tuple[str, Path]]:
    """The dashboard on a new SQLite store in ``tmp_path/work``; yields (address, work).

    Fails (under ``CI=true``) or skips when Chromium is missing, like every browser test.
    """
    require_browser()
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
           "MLFLOW_DISABLE_TELEMETRY": "true", **env}
    with serve_dashboard(work, tmp_path / "server.log", env) as url:
        yield url, work


def settle(page: Any, timeout_ms: float = 120_000, then_ms: float = 0) -> None:
    """Wait until Streamlit has finished running the page's script (no status widget),
    then ``then_ms`` more (charts drawing after the script)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached",
                                                            timeout=timeout_ms)
    if then_ms:
        page.wait_for_timeout(then_ms)


@contextmanager
def loopback_context(viewport: dict[str, int]) -> Iterator[Any]:
    """A Chromium browser context whose every request must go to 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    context = browser.new_context(viewport=viewport)

    def guard(route: Any) -> None:
        url = route.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    try:
        yield context
    finally:
        context.close()
        browser.close()
        pw.stop()
    assert not outside, f"requests left 127.0.0.1: {outside}"


def save_shot(target: Any, tmp_path: Path, filename: str) -> None:
    """Screenshot a page or locator into the test's folder and copy it to /tmp/screenshots."""
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    path = folder / filename
    target.screenshot(path=str(path))
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
