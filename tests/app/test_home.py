"""Home page flows (Streamlit AppTest, in process, each test with its own MLflow store)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from experiments import RunSpec, train
from tests.app.conftest import DASHBOARD


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.code]
                     + [c.value for c in at.caption])


def test_empty_store_shows_first_run_state(app, store, tmp_path):
    assert "train small neural networks" in app.title[0].value
    text = _texts(app)
    assert "No runs yet" in text
    # The sidebar names the store and the exact command for the MLflow UI on it.
    sidebar = "\n".join(m.value for m in app.sidebar.markdown)
    assert store in sidebar
    assert f"mlflow ui --backend-store-uri {store}" in sidebar
    # Showing an empty store does not create it.
    assert not (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "mlruns").exists()


def test_recent_runs_are_listed_with_status_dataset_architecture_and_score(store):
    spec = RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 40},
                              "model": {"hidden": [4]}, "training": {"epochs": 3}})
    result = train(spec, source="test", log_model=False)
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception
    table = at.dataframe[0].value
    row = table.iloc[0]
    assert "FINISHED" in row["status"]
    assert row["dataset"] == "moons"
    assert row["architecture"] == "2-4-1"
    assert row["validation"].startswith("accuracy ")
    assert row["run id"] == result.run_id
    assert row["settings"].startswith("Train?dataset.name=moons")
    assert "model.hidden=%5B4%5D" in row["settings"]


def test_tracking_uri_is_read_on_every_run(store, tmp_path, monkeypatch):
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    other = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", other)
    at.run()
    assert not at.exception
    assert other in "\n".join(m.value for m in at.sidebar.markdown)
    assert "No runs yet" in _texts(at)
    # Neither store was created just to show that it has no runs.
    assert not (tmp_path / "other.db").exists() and not (tmp_path / "mlflow.db").exists()


def test_a_new_run_is_listed_at_once_though_the_table_is_cached(store):
    """Home's runs table is kept while the store's version is unchanged: a run trained
    since the last visit (another process, the CLI) is listed on the next one."""
    spec = RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 40},
                              "model": {"hidden": [4]}, "training": {"epochs": 3}})
    first = train(spec, source="test", log_model=False).run_id
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert list(at.dataframe[0].value["run id"]) == [first]
    at.run()  # cached now
    second = train(spec, source="test", log_model=False).run_id
    at.run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["run id"]) == [second, first]
