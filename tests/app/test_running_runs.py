"""A RUNNING run whose process is gone (issue 14, item 4): Home and Compare say how long it
has been silent, and the Run page can mark it as killed."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from experiments.tracking import MARKED_KILLED, RunTracker
from tests.app.conftest import DASHBOARD
from ui import sidebar

RUN = sidebar.RUN
COMPARE = sidebar.COMPARE


@pytest.fixture
def orphan(store):
    """A run left RUNNING, as after ``kill -9`` of the process training it."""
    tracker = RunTracker.start(experiment="orphans", tracking_uri=store, run_name="orphan",
                               tags={"dataset": "moons", "architecture": "2-4-1"})
    tracker.log_metrics({"train_loss": 0.7}, step=1)
    tracker.flush()
    return tracker.run_id


def test_home_and_compare_say_how_long_a_running_run_has_been_silent(orphan):
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception, at.exception
    row = at.dataframe[0].value.iloc[0]
    assert row["run id"] == orphan
    assert row["status"].startswith("RUNNING · silent for ")
    at.switch_page(COMPARE).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table.loc[table["run_id"] == orphan, "status"].iloc[0].startswith(
        "RUNNING · silent for ")


def test_the_run_page_marks_a_running_run_as_killed(orphan, store):
    from mlflow import MlflowClient

    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    at.query_params["run"] = orphan
    at.switch_page(RUN).run()
    assert not at.exception, at.exception
    assert any("RUNNING · silent for" in c.value for c in at.caption)
    at.button(key="run_mark_killed").click().run()
    assert not at.exception, at.exception
    run = MlflowClient(store).get_run(orphan)
    assert run.info.status == "KILLED"
    assert run.data.tags["stop_reason"] == MARKED_KILLED
    assert run.data.tags["killed_by_hand"] == "true"
    # The page shows the new status at once, and no button for an ended run.
    assert "**KILLED**" in "\n".join(m.value for m in at.markdown)
    assert not [b for b in at.button if b.key == "run_mark_killed"]
    assert any(MARKED_KILLED in c.value for c in at.caption)
