"""End to end in a real browser: launch a small sweep, see its results, compare its best.

Serves the app on an empty store, opens the Sweep page, makes the default sweep small
(3 trials of 20 epochs on moons, one worker), launches it, waits for the live view to
end and the results to draw (objective per trial, parallel coordinates, objective
against each setting, importance), then clicks "Compare top 3" and lands on Compare
with those runs picked, their sweep opened in the runs table. The form is in the page's
URL all along. Then a sweep opened from a link, launched, and its tab closed: the
watchdog stops it, its running trial and its parent end KILLED with the reason.
Screenshots go to /tmp/screenshots/sweep_*.png.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.support import dashboard_on_a_new_store, loopback_context, save_shot, settle

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def server(tmp_path):
    """The dashboard on a fresh store, served on a free 127.0.0.1 port."""
    with dashboard_on_a_new_store(tmp_path) as served:
        yield served


@pytest.fixture
def page(server):
    """A Chromium page whose every request must go to 127.0.0.1."""
    with loopback_context({"width": 1400, "height": 1400}) as context:
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        yield pg


def _shot(page, tmp_path: Path, name: str, locator=None) -> None:
    save_shot(locator or page, tmp_path, f"sweep_{name}.png")


def _type_number(page, label: str, value: int) -> None:
    box = page.locator(f'[data-testid="stNumberInput"] input[aria-label="{label}"]')
    box.fill(str(value))
    box.press("Enter")
    settle(page, 90_000, then_ms=500)


def test_launch_a_sweep_then_compare_its_top_trials(server, page, tmp_path):
    url, _work = server
    page.goto(f"{url}/Sweep")
    page.get_by_role("heading", name="Sweep: search the settings").wait_for()
    settle(page, 90_000, then_ms=500)
    _type_number(page, "Trials", 3)
    # long enough trials (~1 s each) that the live view, redrawn every second, shows a
    # finished trial before the sweep ends (with 20 epochs all three could end between
    # two redraws, and the view went straight to the results: CI failure)
    _type_number(page, "Epochs", 1000)
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, tmp_path, "form")
    link = parse_qs(urlsplit(page.url).query)  # the form is in the URL
    assert link["sweep.trials"] == ["3"] and link["dataset.name"] == ["moons"]
    assert link["space.training.learning_rate"] == ["log_uniform:0.001,0.3"]

    page.get_by_role("button", name="Launch the sweep").click()
    # The live view: progress, Stop, and the trials as they end.
    page.get_by_role("button", name="Stop").wait_for()
    page.get_by_text("trials done").first.wait_for()
    assert "job=" in page.url  # a reload would watch this sweep again
    page.locator('[data-testid="stVegaLiteChart"] svg.marks').first.wait_for()  # redrawn
    _shot(page, tmp_path, "live")
    page.get_by_text("Finished").first.wait_for()
    settle(page, 90_000, then_ms=500)
    page.get_by_role("heading", name="Results").wait_for()
    settle(page, 90_000, then_ms=500)
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, tmp_path, "finished")

    # Results: objective per trial, parallel coordinates, objective per setting, importance.
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() == 4
    for i, name in enumerate(["trials", "parallel", "params", "importance"]):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.locator("svg.marks").first.wait_for()
        drawn = chart.locator("svg.marks .mark-symbol path, svg.marks .mark-line path, "
                              "svg.marks .mark-rect path")
        assert drawn.count() > 0, name
        _shot(page, tmp_path, name, chart)
    best = page.get_by_text("Best trial")
    best.scroll_into_view_if_needed()
    _shot(page, tmp_path, "results")
    assert page.get_by_text("fANOVA").count() >= 1

    link = page.get_by_role("link", name="Compare top 3")
    href = link.get_attribute("href")
    top = href.split("runs=")[1].replace("%2C", ",").split(",")
    assert len(top) == 3 and all(len(r) == 32 for r in top)
    link.click()
    page.get_by_role("heading", name="Compare runs").wait_for()
    settle(page, 90_000, then_ms=500)
    page.get_by_role("heading", name="Learning curves").wait_for()
    settle(page, 90_000, then_ms=500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "runs=" + "%2C".join(top) in page.url or "runs=" + ",".join(top) in page.url
    _shot(page, tmp_path, "compare_top")
    # "Compared runs" holds the three (labelled "trial N · <first 6 of the id>").
    picked = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Compared runs")
    for run_id in top:
        assert picked.get_by_text(run_id[:6]).count() == 1, run_id
    # The sweep's trials are listed under its row (its pill is on).
    assert page.get_by_text("▾ 3 trials").count() >= 1 or page.get_by_role(
        "button", name="sweep moons_quick · 3 trials").count() == 1
    curves = page.locator('[data-testid="stVegaLiteChart"]').first
    # Compare draws its curves on a canvas (issue 13): painted, not blank.
    canvas = curves.locator("canvas.marks").first
    canvas.wait_for()
    assert canvas.evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const first = [d[0], d[1], d[2], d[3]];
        for (let i = 4; i < d.length; i += 4) {
            if (d[i] !== first[0] || d[i + 1] !== first[1] || d[i + 2] !== first[2]) return true;
        }
        return false;
    }""")
    _shot(page, tmp_path, "compare")


@pytest.fixture
def short_grace_server(tmp_path):
    """The dashboard on a fresh store, stopping unwatched jobs 2 s after the tab closed."""
    with dashboard_on_a_new_store(tmp_path, NNCORE_SESSION_GRACE_S="2") as served:
        yield served


def _runs(work: Path):
    from experiments.tracking import mlflow_client

    # created under the store's file lock, as the app creates it (a plain client opening
    # the new store while the app migrates it races in MLflow's migrations)
    client = mlflow_client(f"sqlite:///{work / 'mlflow.db'}")
    experiments = client.search_experiments()
    return client.search_runs([e.experiment_id for e in experiments]) if experiments else []


def _wait_for_runs(work: Path, done, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not done(runs := _runs(work)):
        assert time.monotonic() < deadline, what
        time.sleep(0.5)
    return runs


def test_closing_the_tab_stops_the_sweep(short_grace_server):
    url, work = short_grace_server
    with loopback_context({"width": 1400, "height": 1400}) as context:
        page = context.new_page()
        page.set_default_timeout(90_000)
        # A link: endless trials of the default sweep on moons.
        page.goto(f"{url}/Sweep?dataset.name=moons&model.activation=tanh&training.optimizer="
                  "adam&training.learning_rate=0.02&training.epochs=1000000&sweep.trials=3"
                  "&space.training.learning_rate=log_uniform:0.001,0.3")
        page.get_by_role("heading", name="Sweep: search the settings").wait_for()
        settle(page, 90_000, then_ms=500)
        assert page.locator('[data-testid="stNumberInput"] input[aria-label="Trials"]'
                            ).input_value() == "3"
        page.get_by_role("button", name="Launch the sweep").click()
        page.get_by_role("button", name="Stop").wait_for()
        _wait_for_runs(work, lambda runs: any(
            r.info.status == "RUNNING" and "mlflow.parentRunId" in r.data.tags
            for r in runs), "no trial started")
        page.close()
    runs = _wait_for_runs(work, lambda runs: runs and "RUNNING" not in {
        r.info.status for r in runs}, "the sweep was left RUNNING after its tab closed")
    [parent] = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    [trial] = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert parent.info.status == trial.info.status == "KILLED"
    assert parent.data.tags["stop_reason"] == "the browser tab was closed after 0 trials"
    assert trial.data.tags["stop_reason"].startswith("the browser tab was closed after epoch")
