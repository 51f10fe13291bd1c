"""In Chromium: train on the Train page, open Learn on that model, step 10 times; the
sample's loss falls and the gradient check's summary shows (issue 11). Screenshots of the
forward, backward and neuron views go to /tmp/screenshots/learn_*.png."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.support import dashboard_on_a_new_store, loopback_context, save_shot, settle

pytestmark = [pytest.mark.slow, pytest.mark.browser]
OVER = re.compile(r"Over (\d+) step\(s\) on this sample, its loss went from ([0-9.e+-]*[0-9]) "
                  r"to ([0-9.e+-]*[0-9])")

#: The formulas wider than the box they are shown in (KaTeX cuts them off at its edge).
CUT_FORMULAS = """() => [...document.querySelectorAll('.katex-display')]
    .filter(e => e.scrollWidth > e.clientWidth + 4)   // KaTeX's struts stick out 2 px
    .map(e => `${e.scrollWidth} > ${e.clientWidth} px: ${e.innerText.slice(0, 40)}`)"""


@pytest.fixture
def server(tmp_path):
    with dashboard_on_a_new_store(tmp_path) as (url, _):
        yield url


@pytest.fixture
def page(server):
    with loopback_context({"width": 1280, "height": 1400}) as context:
        context.set_default_timeout(90_000)
        yield context.new_page()


def _tab(page, name: str) -> None:
    """Open a tab: the page reruns and builds that tab's view only."""
    page.get_by_role("tab", name=name).click()
    settle(page, then_ms=500)


def _open_on_moons(page, url: str, heading: str) -> None:
    """Open a page, wait for its heading and pick the moons dataset."""
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for()
    settle(page)
    page.locator('[data-testid="stSelectbox"]', has_text="Dataset").first.click()
    page.get_by_role("option", name="moons", exact=True).click()
    settle(page)


def test_learn_from_a_finished_train_run(server, page, tmp_path):
    _open_on_moons(page, f"{server}/Train", "Train a network")
    epochs = page.get_by_role("spinbutton", name="Epochs")
    epochs.fill("200")
    epochs.press("Enter")
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    # the result line, not any text that merely contains the word
    page.get_by_text(re.compile(r"Finished [\d,]+ epochs in")).first.wait_for(timeout=180_000)
    settle(page)

    # the sidebar's page link keeps this browser session (and the trained model)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Learn").click()
    page.get_by_role("heading", name="Learn: backpropagation, step by step").wait_for()
    settle(page)
    page.get_by_text("The model trained on the Train page").click()
    settle(page)
    page.get_by_text("the model trained on the Train page", exact=False).first.wait_for()
    assert page.get_by_text("Gradient check: the largest relative error").count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0

    _tab(page, "Forward pass")
    save_shot(page, tmp_path, "learn_forward.png")
    # every formula rendered: KaTeX shows what it cannot parse as red source text
    assert page.locator(".katex-error").count() == 0
    assert page.locator(".katex").count() >= 3   # two layers and the loss
    assert page.evaluate(CUT_FORMULAS) == []
    _tab(page, "Backward pass")
    page.get_by_text("Gradient check: the largest relative error").first.wait_for()
    page.get_by_text("δ1 = ∂E/∂Z1").first.wait_for()
    assert page.evaluate(CUT_FORMULAS) == []
    save_shot(page, tmp_path, "learn_backward.png")

    page.get_by_role("button", name="Next 10 steps").click()
    settle(page)
    _tab(page, "Step")
    summary = page.get_by_text(OVER).first
    summary.wait_for()
    steps, before, after = OVER.search(summary.inner_text()).groups()
    assert int(steps) == 10
    assert float(after) < float(before)
    assert page.get_by_text("Gradient check: the largest relative error").count() >= 1
    save_shot(page, tmp_path, "learn_step.png")

    _tab(page, "Network")
    page.locator('[data-testid="stVegaLiteChart"] canvas.marks >> visible=true').first.wait_for()
    save_shot(page, tmp_path, "learn_network.png")
    _tab(page, "Neurons")
    page.locator('[data-testid="stVegaLiteChart"] canvas.marks >> visible=true').first.wait_for()
    page.wait_for_timeout(1500)
    save_shot(page, tmp_path, "learn_neurons.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".katex-error").count() == 0


TRICK = re.compile(r"Point (\d+): label ([01]), w·x \+ b = ")


def test_learn_perceptron_trick_and_exports(server, page, tmp_path):
    """A fresh perceptron on moons: the trick fires on misclassified points and draws the
    line before and after; then a fresh network's step downloads as a handout and as a
    NumPy script that runs on its own and prints the step's loss."""
    _open_on_moons(page, f"{server}/Learn", "Learn: backpropagation, step by step")
    page.get_by_text("Perceptron", exact=True).click()
    settle(page)
    page.get_by_role("heading", name="2 · The perceptron trick").wait_for()
    rules = []
    for _ in range(3):
        page.get_by_role("button", name="Apply the trick").click()
        settle(page, then_ms=300)
        said = page.get_by_text(TRICK).first
        said.wait_for()
        rules.append(said.inner_text())
    assert len(set(rules)) >= 2          # a new misclassified point each press
    for text in rules:
        assert "perceptron said" in text  # the rule that fired, in the course's words
    page.locator('[data-testid="stMetric"]', has_text="misclassified training points").wait_for()
    page.locator('[data-testid="stVegaLiteChart"] >> visible=true').first.wait_for()
    assert page.locator(".katex").count() >= 2   # the rule and this update's numbers
    assert page.locator(".katex-error").count() == 0
    assert page.evaluate(CUT_FORMULAS) == []    # every formula fits the page's width
    assert page.locator('[data-testid="stException"]').count() == 0
    page.wait_for_timeout(1000)
    save_shot(page, tmp_path, "learn_perceptron.png")

    page.get_by_text("Neural network", exact=True).click()
    settle(page)
    _tab(page, "Export")
    with page.expect_download() as handout_download:
        page.get_by_role("button", name="Download this step as Markdown/LaTeX").click()
    handout = Path(handout_download.value.path()).read_text(encoding="utf-8")
    loss = re.search(r"\$\$E = ([0-9.e+-]+)\$\$", handout)
    assert loss is not None, handout[:500]
    with page.expect_download() as script_download:
        page.get_by_role("button", name="Open as a NumPy script").click()
    script = Path(script_download.value.path()).read_text(encoding="utf-8")
    assert "import nncore" not in script
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True)
    assert float(run.stdout.split()[1]) == pytest.approx(float(loss.group(1)), rel=1e-5)
    save_shot(page, tmp_path, "learn_export.png")
    assert page.locator('[data-testid="stException"]').count() == 0
