"""In Chromium, what a new user does on the Train page (issue 14, items 1, 7 and 8):
switching datasets keeps "auto" valid, a typed number is the one trained (or refused in
words), and a reload during training reattaches to the run."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser.support import (
    dashboard_on_a_new_store,
    loopback_context,
    save_shot,
    settle,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PROGRESS = re.compile(r"Epoch [0-9,]+ / ")


@pytest.fixture
def server(tmp_path):
    with dashboard_on_a_new_store(tmp_path) as served:  # the default grace
        yield served


@pytest.fixture
def page(server):
    with loopback_context({"width": 1400, "height": 1500}) as context:
        context.set_default_timeout(60_000)
        yield context.new_page()


def _open(page, address: str) -> None:
    page.goto(address)
    page.get_by_role("heading", name="Train a network").wait_for()
    page.locator('[data-testid="stVegaLiteChart"] svg.marks').first.wait_for()
    settle(page)


def _train_button(page):
    return page.get_by_role("button", name="Train", exact=True)


def _pick(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSelectbox"]', has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _errors(page) -> list[str]:
    return page.locator('[data-testid="stAlertContentError"]').all_inner_texts()


def test_switching_datasets_keeps_the_form_trainable(server, page, tmp_path):
    url, _ = server
    _open(page, f"{url}/Train")
    for name in ("blobs", "moons", "blobs", "student_admissions"):
        _pick(page, "Dataset", name)
        settle(page)
        page.get_by_text(f"auto: {'softmax' if name == 'blobs' else 'sigmoid'}").first.wait_for()
        assert _errors(page) == [], (name, _errors(page))
        assert _train_button(page).is_enabled(), name
    save_shot(page, tmp_path, "train-switched-datasets.png")


def test_a_typed_number_is_the_one_used_or_refused_in_words(server, page, tmp_path):
    url, _ = server
    _open(page, f"{url}/Train")
    lr = page.get_by_role("spinbutton", name="Learning rate")
    lr.fill("1000000")
    lr.press("Enter")
    page.wait_for_url(re.compile(r"training\.learning_rate=1000000\.0"))
    settle(page)
    assert lr.input_value() == "1000000" or float(lr.input_value()) == 1e6
    assert _errors(page) == [] and _train_button(page).is_enabled()
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill("0")
    epochs.press("Enter")
    error = page.locator('[data-testid="stAlertContentError"]', has_text="training.epochs")
    error.first.wait_for()
    assert "must be a whole number" in error.first.inner_text()
    assert epochs.input_value() == "0"                 # shown as typed, and refused
    assert _train_button(page).is_disabled()
    save_shot(page, tmp_path, "train-typed-out-of-range.png")


def test_a_reload_during_training_watches_the_run_again(server, page, tmp_path):
    url, work = server
    _open(page, f"{url}/Train?dataset.name=moons&dataset.n_samples=60&model.hidden=%5B4%5D"
                "&training.epochs=1000000")
    _train_button(page).click()
    page.get_by_text(PROGRESS).first.wait_for()
    page.wait_for_url(re.compile(r"[?&]job=[0-9a-f]+"))
    page.reload()
    page.get_by_role("heading", name="Train a network").wait_for()
    # The reloaded page watches the run again (the watchdog follows the new session):
    # the live view with its Stop button, never a fresh form or a run ended as "tab closed".
    page.get_by_text(PROGRESS).first.wait_for(timeout=120_000)
    save_shot(page, tmp_path, "train-after-reload.png")
    stop = page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop", exact=True)
    assert stop.is_enabled(), page.locator('[data-testid="stMain"]').inner_text()
    stop.click()
    page.get_by_text("Stopped").first.wait_for(timeout=60_000)
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{Path(work) / 'mlflow.db'}")
    deadline = time.monotonic() + 60
    while True:
        [run] = client.search_runs([e.experiment_id for e in client.search_experiments()])
        if run.info.status != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert run.info.status == "KILLED"
    reason = run.data.tags["stop_reason"]
    assert reason.startswith("stopped by the user"), reason
    shown = page.locator('[data-testid="stMain"]').inner_text().lower()
    assert reason.split(" after epoch")[0] in shown    # "Stopped by the user after epoch N"
