"""Fixtures for the experiments tests: one real SQLite store per session, a real
``mlflow server`` subprocess for the ``server`` tests, and small specs.

Every test runs in its own temporary folder with ``MLFLOW_TRACKING_URI`` pointing
at the session store, so nothing lands in the repository.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.experiments.servers import (
    FIRST_START_TIMEOUT,
    MlflowServer,
    postgres,
    require_postgres,
    serve_mlflow,
)

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


@pytest.fixture(scope="session")
def mlflow_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real ``mlflow server`` (SQLite store, proxied artifacts) on a free 127.0.0.1 port.

    Its log holds the access log (:meth:`MlflowServer.requests`). Skips when it cannot
    start, except under ``CI=true``, where that fails.
    """
    work = tmp_path_factory.mktemp("mlflow-server")
    try:
        with serve_mlflow(work, f"sqlite:///{work / 'mlflow.db'}", timeout=90) as server:
            yield server
    except RuntimeError as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(e))
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def mlflow_server_direct_artifacts(tmp_path_factory: pytest.TempPathFactory
                                   ) -> Iterator[MlflowServer]:
    """A real ``mlflow server`` whose clients write artifacts to storage themselves
    (``--no-serve-artifacts``; a folder here, an object store or shared folder for a team).
    Skips when it cannot start, except under ``CI=true``.
    """
    work = tmp_path_factory.mktemp("mlflow-server-direct")
    try:
        with serve_mlflow(work, f"sqlite:///{work / 'mlflow.db'}", timeout=90,
                          serve_artifacts=False) as server:
            yield server
    except RuntimeError as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(e))
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def mlflow_server(mlflow_server_process: MlflowServer) -> str:
    """The URL of :func:`mlflow_server_process`."""
    return mlflow_server_process.url


@pytest.fixture(scope="session")
def postgres_mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """``mlflow server`` backed by its own PostgreSQL cluster (a team's store).

    The cluster runs in a temp folder on a free loopback port (as user ``postgres``
    when the tests run as root); the server's first start migrates the empty database
    (up to :data:`~tests.experiments.servers.FIRST_START_TIMEOUT` seconds). Both stop
    afterwards. Skips when PostgreSQL is not installed, except under ``CI=true``.
    """
    require_postgres()
    work = tmp_path_factory.mktemp("mlflow-postgres-server")
    with postgres() as cluster, serve_mlflow(work, cluster.uri, workers=2,
                                             timeout=FIRST_START_TIMEOUT) as server:
        yield server


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
