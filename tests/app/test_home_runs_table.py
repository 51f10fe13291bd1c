"""The Home page's runs table links every run to its own page (issue 14)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from experiments import RunSpec, train
from tests.app.conftest import DASHBOARD


def test_each_run_id_links_to_the_run_page(store):
    spec = RunSpec.from_dict({"dataset": {"name": "moons", "n_samples": 40},
                              "model": {"hidden": [4]}, "training": {"epochs": 3}})
    result = train(spec, source="test", log_model=False)
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception
    frame = at.dataframe[0]
    assert frame.value.iloc[0]["open"] == f"Run?run={result.run_id}"
    config = json.loads(frame.proto.columns)
    assert config["open"]["type_config"]["type"] == "link"
    assert config["open"]["label"] == "run id"
    # The link shows the id's first 8 characters; the whole id (cut off at the table's
    # edge) is in the link and on the run's page, not in a column of its own.
    assert config["open"]["type_config"]["display_text"] == r"Run\?run=(.{8})"
    assert "run id" not in list(frame.proto.column_order)


def test_a_sweep_that_has_no_trial_yet_is_listed_beside_one_that_has(store):
    """A sweep's parent before its first trial has no trials_done metric: NaN in the table
    once another sweep has one (int(NaN) crashed the Home page)."""
    from experiments import load_sweep, run_sweep
    from experiments.tracking import mlflow_client
    from tests.browser.support import ROOT

    sweep = load_sweep(ROOT / "experiments" / "configs" / "sweeps" / "moons_architecture.toml")
    done = run_sweep(sweep.with_overrides({"training.epochs": 3}, trials=2), tracking_uri=store)
    client = mlflow_client(store)
    starting = client.create_run(done.experiment_id, run_name="sweep starting",
                                 tags={"sweep.name": "starting"})
    client.log_param(starting.info.run_id, "sweep.objective", "val_loss")
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    rows = {row["run"]: row for _, row in table.iterrows()}
    assert rows["sweep starting"]["architecture"] == "sweep of 0 trials"
    assert rows["sweep moons_architecture"]["architecture"] == "sweep of 2 trials"
    # A sweep's parent logs no epochs: its empty cell reads "—", not Streamlit's "None".
    assert at.dataframe[0].proto.placeholder == "—"
    assert table.isna().any().any()
