"""Fixtures for the experiments tests: one real SQLite store per session, a real
``mlflow server`` subprocess for the ``server`` tests, and small specs.

Every test runs in its own temporary folder with ``MLFLOW_TRACKING_URI`` pointing
at the session store, so nothing lands in the repository.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "experiments" / "configs"


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mlflow-store")


@pytest.fixture(scope="session")
def tracking_uri(store_dir: Path) -> str:
    """A SQLite tracking store created once per session (creation takes seconds).

    Created with the store folder as working folder, so its default artifact
    root (``./mlruns``) is inside it.
    """
    from mlflow import MlflowClient

    uri = f"sqlite:///{store_dir / 'mlflow.db'}"
    old = os.getcwd()
    os.chdir(store_dir)
    try:
        MlflowClient(tracking_uri=uri).search_experiments()
    finally:
        os.chdir(old)
    return uri


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
              ) -> None:
    """Run in a temporary folder; MLflow points at the session store if one is used."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    if "tracking_uri" in request.fixturenames:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", request.getfixturevalue("tracking_uri"))


@pytest.fixture
def experiment_name(request: pytest.FixtureRequest, tracking_uri: str) -> str:
    """A fresh experiment name per test, so runs of different tests never mix.

    Using it also points ``MLFLOW_TRACKING_URI`` at the session store.
    """
    return f"{request.node.name[:60]}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client(tracking_uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.25)
    return False


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` on 127.0.0.1 at a free port; yields its URL.

    Skips when it cannot start, except under ``CI=true``, where that fails.
    """
    work = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    env.pop("MLFLOW_TRACKING_URI", None)
    log = open(work / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server",
         "--backend-store-uri", f"sqlite:///{work / 'mlflow.db'}",
         "--artifacts-destination", str(work / "artifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not _wait_healthy(url, proc, timeout=90):
            tail = (work / "server.log").read_text(errors="replace")[-2000:]
            message = f"mlflow server did not start on {url}:\n{tail}"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(message)
            pytest.skip(message)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def make_spec():
    """Factory of tiny, fast specs: ``make_spec("xor", epochs=20, learning_rate=0.1)``."""
    from experiments import RunSpec

    def make(dataset: str = "xor", epochs: int = 20, hidden: tuple[int, ...] = (4,),
             dataset_params: dict | None = None, **training: object) -> RunSpec:
        ds: dict = {"name": dataset}
        if dataset in ("xor", "moons", "circles", "spiral"):
            ds["n_samples"] = 80
        ds.update(dataset_params or {})
        return RunSpec.from_dict({
            "dataset": ds,
            "model": {"hidden": list(hidden), "activation": "tanh"},
            "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": epochs,
                         "batch_size": 16, **training},
        })

    return make


@pytest.fixture
def regression_csv(tmp_path: Path) -> Path:
    """A small regression CSV (y = 3x + noise) with a text column."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 120)
    frame = pd.DataFrame({
        "x": x,
        "colour": rng.choice(["red", "green", "blue"], size=120),
        "y": 3 * x + rng.normal(size=120),
    })
    path = tmp_path / "regression.csv"
    frame.to_csv(path, index=False)
    return path
