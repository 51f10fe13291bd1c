"""The runs table read with SQL (experiments.sql_runs) equals the one MLflow's search gives.

A real SQLite store (and, in the slow tests, a real PostgreSQL database) holds varied runs:
several experiments, one of them deleted, a deleted run, a sweep (parent and trials),
runs with different params, metrics and tags, a RUNNING run, a metric logged several
times at different steps and timestamps, a NaN, runs started in the same millisecond,
and a run from before MLflow stored run names (its name only in the ``mlflow.runName``
tag). Both reads must give the same frame, column for column.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from experiments import queries, train
from experiments.sql_runs import reads_sql, search_runs_sql
from tests.experiments.servers import postgres, require_postgres

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_767_000_000_000  # ms: the runs' start times count from here


def _seed(uri: str, make_spec) -> dict[str, list[str]]:
    """Varied runs in the store at ``uri``; returns run ids by what they are."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(tracking_uri=uri)
    alpha = client.create_experiment("alpha")
    beta = client.create_experiment("beta")
    gone = client.create_experiment("gone")
    ids: dict[str, list[str]] = {"kept": [], "hidden": []}

    def run(experiment: str, start: int, name: str | None = "run", *, params=None,
            metrics=(), tags=None, status: str | None = "FINISHED", end: int | None = None,
            ) -> str:
        created = client.create_run(experiment, start_time=T0 + start, run_name=name,
                                    tags=tags or {})
        run_id = created.info.run_id
        client.log_batch(run_id, metrics=[Metric(k, v, T0 + ts, step) for k, v, ts, step
                                          in metrics],
                         params=[Param(k, str(v)) for k, v in (params or {}).items()])
        if status is not None:
            client.set_terminated(run_id, status, end_time=None if end is None else T0 + end)
        return run_id

    # A metric logged several times: the latest value is the highest step's (step 3 was
    # logged before step 2), then the latest timestamp's.
    ids["kept"].append(run(alpha, 1000, "first", params={"training.lr": 0.1, "model.h": "[4]"},
                           metrics=[("val_loss", 0.9, 10, 1), ("val_loss", 0.5, 20, 3),
                                    ("val_loss", 0.7, 30, 2), ("acc", 0.6, 40, 0),
                                    ("acc", 0.8, 50, 0)],
                           tags={"dataset": "moons", "task": "classification",
                                 "architecture": "2-4-2"}, end=2500))
    # Params in another order, a NaN, a failure reason.
    ids["kept"].append(run(alpha, 2000, "second",
                           params={"model.h": "[8]", "training.lr": 0.01, "extra": "x"},
                           metrics=[("val_loss", float("nan"), 15, 5), ("val_loss", 1.0, 12, 4)],
                           tags={"dataset": "xor", "failure_reason": "diverged"},
                           status="FAILED", end=2600))
    # Two runs started in the same millisecond (ordered by run id), one still RUNNING.
    ids["kept"].append(run(beta, 3000, "same-ms-a", params={"a": 1}, status=None,
                           metrics=[("train_loss", 0.3, 3100, 1)]))
    ids["kept"].append(run(beta, 3000, "same-ms-b", params={"b": 2}, status="KILLED",
                           end=3300, tags={"stop_reason": "stopped by the user"}))
    # A run with nothing logged.
    ids["kept"].append(run(beta, 500, "bare"))
    # A sweep: a parent and two trials.
    parent = run(alpha, 4000, "sweep-parent", tags={"sweep.name": "lr-sweep"},
                 params={"sweep.objective": "val_loss"}, metrics=[("trials_done", 2, 4900, 0)],
                 end=5000)
    ids["kept"].append(parent)
    for trial in range(2):
        ids["kept"].append(run(alpha, 4100 + trial, f"trial-{trial}",
                               tags={"mlflow.parentRunId": parent, "sweep.trial": str(trial),
                                     "dataset": "moons"},
                               params={"training.lr": 10.0 ** -trial},
                               metrics=[("val_loss", 0.4 + trial, 4200, 1)], end=4300))
    # A run from before MLflow kept names in the runs table: its name is only a tag.
    old = run(beta, 100, "old-name")
    ids["kept"].append(old)
    # Deleted: a run, and an experiment with its run.
    deleted = run(alpha, 6000, "deleted")
    client.delete_run(deleted)
    ids["hidden"].append(deleted)
    ids["hidden"].append(run(gone, 7000, "in-a-deleted-experiment"))
    client.delete_experiment(gone)
    # A run trained by the project itself (its params, tags and metrics as logged).
    spec = make_spec("xor", epochs=3)
    ids["kept"].append(train(spec, tracking_uri=uri, experiment="alpha", log_model=False).run_id)
    _blank_name(uri, old)
    return ids


def _blank_name(uri: str, run_id: str) -> None:
    """Empty a run's name column, as runs logged before MLflow 2 have it."""
    import sqlalchemy as sa

    from experiments.bulk_history import sql_engine

    with sql_engine(uri).begin() as connection:
        connection.execute(sa.text("UPDATE runs SET name = NULL WHERE run_uuid = :r"),
                           {"r": run_id})


def _mlflow_frame(uri: str, max_results: int, include_params: bool = True) -> pd.DataFrame:
    """What runs_frame gives when it reads through MLflow's search_runs."""
    names, records = queries._search_runs_mlflow(uri, None, max_results, "")
    return queries._runs_table(names, records, include_params)


def _assert_same_reads(uri: str) -> None:
    for max_results in (1000, 5, 1):
        sql_names, sql_records = search_runs_sql(uri, max_results)
        api_names, api_records = queries._search_runs_mlflow(uri, None, max_results, "")
        assert sql_names == api_names and list(sql_names)   # experiments in MLflow's order
        assert [r.run_id for r in sql_records] == [r.run_id for r in api_records]
        # The params' order (it orders the frame's params columns) is MLflow's too.
        assert [list(r.params) for r in sql_records] == [list(r.params) for r in api_records]
        for include_params in (True, False):
            expected = _mlflow_frame(uri, max_results, include_params)
            got = queries._runs_table(sql_names, sql_records, include_params)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
            assert list(got.columns) == list(expected.columns)
        public = queries.runs_frame(tracking_uri=uri, max_results=max_results)
        pd.testing.assert_frame_equal(public, _mlflow_frame(uri, max_results), check_exact=True)


@pytest.fixture(scope="module")
def varied_store(tmp_path_factory: pytest.TempPathFactory, make_spec_factory
                 ) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """A new SQLite store with :func:`_seed`'s runs (artifacts inside its folder)."""
    folder = tmp_path_factory.mktemp("sql-runs")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    old = os.getcwd()
    os.chdir(folder)
    try:
        ids = _seed(uri, make_spec_factory)
    finally:
        os.chdir(old)
    yield uri, ids


@pytest.fixture(scope="module")
def make_spec_factory():
    """:func:`tests.experiments.conftest.make_spec` for module-scoped fixtures."""
    from experiments import RunSpec

    def make(dataset: str = "xor", epochs: int = 3) -> RunSpec:
        return RunSpec.from_dict({
            "dataset": {"name": dataset, "n_samples": 80},
            "model": {"hidden": [4], "activation": "tanh"},
            "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": epochs,
                         "batch_size": 16},
        })

    return make


def test_the_sql_read_equals_mlflow_search_on_sqlite(varied_store) -> None:
    uri, ids = varied_store
    assert reads_sql(uri)
    _assert_same_reads(uri)
    frame = queries.runs_frame(tracking_uri=uri, max_results=1000)
    assert set(frame["run_id"]) == set(ids["kept"])        # nothing deleted shows
    assert set(frame["experiment"]) == {"alpha", "beta"}
    assert "RUNNING" in set(frame["status"])
    assert frame.set_index("run_id").loc[ids["kept"][0], "metrics.val_loss"] == 0.5
    assert pd.isna(frame.set_index("run_id").loc[ids["kept"][1], "metrics.val_loss"])
    named = frame.set_index("run_id")["run_name"]
    assert named[ids["kept"][-2]] == "old-name"            # from the mlflow.runName tag
    trials = frame[frame["parent_run_id"].notna()]
    assert len(trials) == 2 and set(trials["sweep_trial"]) == {"0", "1"}


def test_a_filter_or_named_experiments_are_read_by_mlflow(varied_store) -> None:
    uri, _ = varied_store
    moons = queries.runs_frame(tracking_uri=uri, filter_string="tags.dataset = 'moons'")
    assert set(moons["dataset"]) == {"moons"} and len(moons) == 3
    beta = queries.runs_frame("beta", tracking_uri=uri)
    assert set(beta["experiment"]) == {"beta"} and len(beta) == 4


def test_a_store_without_mlflow_tables_is_left_to_mlflow(tmp_path: Path) -> None:
    """An empty database file: the SQL read fails and MLflow creates the store, as before."""
    (tmp_path / "empty.db").touch()
    uri = f"sqlite:///{tmp_path / 'empty.db'}"
    frame = queries.runs_frame(tracking_uri=uri)
    assert frame.empty and "run_id" in frame.columns
    assert search_runs_sql(uri, 10)[1] == []               # the store exists now


def test_reading_a_sqlite_store_does_not_import_mlflow(varied_store) -> None:
    """A fresh process (a new dashboard server) reads the runs, their histories and the
    store's version without importing MLflow (seconds of a first page load)."""
    uri, ids = varied_store
    code = (
        "import json, sys\n"
        "from experiments import queries\n"
        "from experiments.store_version import store_version\n"
        f"uri = {uri!r}\n"
        "frame = queries.runs_frame(tracking_uri=uri, max_results=1000)\n"
        "history = queries.metric_history(list(frame['run_id']), tracking_uri=uri)\n"
        "print(json.dumps({'runs': len(frame), 'values': len(history),\n"
        "                  'version': store_version(uri) is not None,\n"
        "                  'mlflow': sorted(m for m in sys.modules if m.split('.')[0] == 'mlflow')}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["runs"] == len(ids["kept"]) and report["values"] > 0 and report["version"]
    assert report["mlflow"] == []


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def postgres_store(make_spec_factory) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """A throwaway PostgreSQL cluster holding :func:`_seed`'s runs (MLflow migrates the
    empty database first: up to a minute)."""
    require_postgres()
    import tempfile

    from experiments.tracking import mlflow_client

    with postgres() as cluster, tempfile.TemporaryDirectory(prefix="sql-runs-pg-") as folder:
        old = os.getcwd()
        os.chdir(folder)
        try:
            mlflow_client(cluster.uri).search_experiments()   # creates MLflow's tables
            ids = _seed(cluster.uri, make_spec_factory)
        finally:
            os.chdir(old)
        yield cluster.uri, ids
        from experiments.bulk_history import sql_engine

        sql_engine(cluster.uri).dispose()   # let the cluster stop


@pytest.mark.slow
@pytest.mark.server
def test_the_sql_read_equals_mlflow_search_on_postgres(postgres_store) -> None:
    uri, ids = postgres_store
    assert reads_sql(uri)
    _assert_same_reads(uri)
    frame = queries.runs_frame(tracking_uri=uri, max_results=1000)
    assert set(frame["run_id"]) == set(ids["kept"])
