"""In the MLflow UI (Chromium against a real ``mlflow server``), a sweep's trials nest
under its parent run: one row for the sweep, its trials behind the row's expander
(issue 10). The screenshot goes to /tmp/screenshots/mlflow_ui_sweep_*.png."""

from __future__ import annotations

import pytest

from experiments import load_sweep, run_sweep
from tests.browser.support import ROOT, loopback_context, require_browser, save_shot
from tests.experiments.servers import serve_mlflow

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SWEEP = ROOT / "experiments" / "configs" / "sweeps" / "moons_architecture.toml"


def test_the_trials_of_a_sweep_nest_under_its_parent_in_the_mlflow_ui(tmp_path):
    require_browser()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    sweep = load_sweep(SWEEP).with_overrides({"training.epochs": 10}, trials=3)
    result = run_sweep(sweep, tracking_uri=uri, workers=1)
    assert result.status == "FINISHED" and len(result.trials) == 3

    with serve_mlflow(tmp_path / "server", uri) as server, \
            loopback_context({"width": 1400, "height": 1000}) as context:
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(f"{server.url}/#/experiments/{result.experiment_id}/runs")
        rows = page.locator('[role="row"]:has([col-id="attributes.`Run Name`"] a)')
        links = page.locator('[col-id="attributes.`Run Name`"] a')
        parent = rows.filter(has_text="sweep moons_architecture")
        parent.wait_for()
        page.get_by_text("4 matching runs").wait_for()      # the parent and its 3 trials...
        assert links.count() == 1                          # ...folded under its one row
        save_shot(page, tmp_path, "mlflow_ui_sweep_folded.png")

        parent.locator('[col-id="attributes.`Run Name`"] button').first.click()
        for number in range(3):
            rows.filter(has=page.get_by_text(f"trial {number}", exact=True)).wait_for()
        save_shot(page, tmp_path, "mlflow_ui_sweep_expanded.png")
        shown = {href.rsplit("/", 1)[-1] for href in
                 (links.nth(i).get_attribute("href") for i in range(links.count()))}
        assert shown == {result.parent_run_id, *result.trials["run_id"]}
