"""Every script in examples/ runs in a fresh interpreter and prints what it teaches.

The scripts start together (each is a subprocess, most of their time is importing
scikit-learn), then each test checks one script's output.
"""

from __future__ import annotations

import ast
import itertools
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
TIME_LIMIT = 30.0  # seconds per script, generous for slow CI machines; they take 1-4 s


class Run:
    """A finished example: return code, output and wall time."""

    def __init__(self, proc: subprocess.Popen, started: float, cwd: Path) -> None:
        self.stdout, self.stderr = proc.communicate(timeout=120)
        self.seconds = time.perf_counter() - started
        self.returncode = proc.returncode
        self.cwd = cwd


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    started = {}
    for script in SCRIPTS:
        cwd = tmp_path_factory.mktemp(script.stem)  # proves no script needs the repo as cwd
        proc = subprocess.Popen([sys.executable, str(script)], cwd=cwd, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started[script.stem] = (proc, time.perf_counter(), cwd)
    return {name: Run(*args) for name, args in started.items()}


def output(runs: dict[str, Run], name: str) -> str:
    run = runs[name]
    assert run.returncode == 0, f"{name} failed:\n{run.stderr}"
    assert "Traceback" not in run.stderr
    return run.stdout


def numbers_after(label: str, text: str) -> list[float]:
    return [float(x) for x in re.findall(rf"{re.escape(label)}\s*([-+]?\d+\.\d+)", text)]


def test_every_example_is_documented_and_tested():
    for script in SCRIPTS:
        doc = ast.get_docstring(ast.parse(script.read_text()))
        assert doc and "What this teaches" in doc, f"{script.name} needs a module docstring"
        assert f"python examples/{script.name}" in doc, f"{script.name}: say how to run it"
    tested = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    assert {s.stem for s in SCRIPTS} <= tested, "each example needs its own test below"


def test_examples_are_quick_and_leave_no_files(runs):
    for name, run in runs.items():
        assert run.seconds < TIME_LIMIT, f"{name} took {run.seconds:.1f} s"
        assert list(run.cwd.iterdir()) == [], f"{name} left files in its working folder"


def test_perceptron_trick(runs):
    out = output(runs, "perceptron_trick")
    moves = re.findall(r"move \d+: point \[.*\] label (\d) predicted (\d) -> w ([+-])= lr\*x", out)
    assert len(moves) >= 2
    for label, predicted, sign in moves:  # the trick only moves for a misclassified point
        assert label != predicted
        assert sign == ("+" if label == "1" else "-")
    lines = re.findall(r"([+-]\d+\.\d\d)\*x1 ([+-]\d+\.\d\d)\*x2 ([+-]\d+\.\d\d) = 0", out)
    assert len(set(lines)) == len(moves) + 1  # the start, then a new line after each move
    assert "converged after epoch" in out
    for a in (0, 1):
        for b in (0, 1):
            assert f"{a} AND {b} = {a & b}" in out
            assert f"{a} OR {b} = {a | b}" in out
        assert f"NOT {a} = {1 - a}" in out
    assert numbers_after("the best accuracy was", out)[0] <= 0.75


def test_logistic_regression_admissions(runs):
    out = output(runs, "logistic_regression_admissions")
    assert "rank_1" in out and "rank_4" in out
    losses = numbers_after("train loss", out)
    assert len(losses) == 10
    assert losses[-1] < losses[0]
    assert all(later <= earlier + 1e-4 for earlier, later in itertools.pairwise(losses))
    accuracy = numbers_after("test accuracy:", out)[0]
    baseline = numbers_after("majority-class baseline on the same split:", out)[0]
    assert 0.70 <= accuracy <= 0.78  # the lesson's range; far above it would be leakage
    assert accuracy > baseline
    # admissions rise with gre and gpa and fall with the institution's rank number
    weights = dict(re.findall(r"(gre|gpa|rank_\d) ([-+]\d+\.\d+)", out))
    assert float(weights["gre"]) > 0 and float(weights["gpa"]) > 0
    assert float(weights["rank_1"]) > float(weights["rank_4"])


def test_xor_hidden_layer(runs):
    out = output(runs, "xor_hidden_layer")
    rows = re.findall(r"^(\d)  (\d)  \|  (\d)  \| (\d\.\d+)     (\d) (\w+)", out, re.M)
    assert len(rows) == 4
    for a, b, target, p, prediction, mark in rows:
        assert int(target) == int(a) ^ int(b)
        assert int(prediction) == int(a) ^ int(b)
        assert mark == "right"
        assert (float(p) > 0.9) if int(target) else (float(p) < 0.1)
    assert "accuracy: 1.00" in out


def test_softmax_blobs(runs):
    out = output(runs, "softmax_blobs")
    sums = numbers_after("sum", out)
    assert len(sums) == 5 and all(s == 1.0 for s in sums)
    assert numbers_after("test accuracy:", out)[0] >= 0.95
    matrix = [[int(v) for v in re.findall(r"\d+", row)]
              for row in re.findall(r"^\s*\[+([\d\s]+)\]+$", out, re.M)]
    assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
    assert sum(map(sum, matrix)) == 150
    assert sum(matrix[i][i] for i in range(3)) >= 0.95 * 150


def test_grid_search(runs):
    out = output(runs, "grid_search")
    table = re.findall(r"^\s+\((\d+(?:, \d+)?),?\)\s+(0\.\d+)\s+(0\.\d+)\s+(\d)$", out, re.M)
    assert len(table) == 6  # 3 architectures x 2 learning rates
    best = re.search(r"best: hidden_layer_sizes=\((.*?)\) learning_rate_init=([\d.]+)", out)
    assert best is not None
    top = next(row for row in table if row[3] == "1")
    assert float(top[2]) >= max(float(row[2]) for row in table)
    assert best.group(1).rstrip(",") == top[0]
    assert float(best.group(2)) == float(top[1])
    assert numbers_after("test accuracy of the best pipeline:", out)[0] >= 0.88
    assert re.search(r"\d+ of 19 fits were still improving", out)


def test_save_and_load(runs):
    out = output(runs, "save_and_load")
    assert re.search(r"saved moons\.npz \(\d+ bytes\) and moons\.json", out)
    assert "array layers.0.W: shape [2, 16] float64" in out
    assert "loaded model gives identical probabilities: True" in out
    assert "agrees with the estimator: True" in out
    before, after = numbers_after("accuracy before saving", out)[0], numbers_after(
        "after loading", out)[0]
    assert before == after >= 0.9
