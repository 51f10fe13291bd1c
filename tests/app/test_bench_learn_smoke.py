"""``benchmarks/bench_learn.py`` runs end to end and prints a figure for every case
and every tab open (one measured step each; no time budget is asserted here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ui.learn_views import VIEWS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_bench_learn_prints_every_case(tmp_path):
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_learn.py"),
                           "--steps", "1"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    figures = re.findall(r"^(.+?)\s{2,}(\d+) \(\d+-\d+, n=1\)\s+(met|NOT met)$",
                         proc.stdout, re.M)
    assert [label for label, _, _ in figures] == [
        "3 x 64 tanh, SGD, check off", "3 x 64 tanh, Adam, check off",
        "3 x 64 tanh, SGD, check on (8,577 parameters)", "[8] tanh, SGD, check automatic"]
    assert all(int(ms) > 0 for _, ms, _ in figures)
    per_tab = re.findall(r"^    tab open, median ms \(CPU ms\): (.+)$", proc.stdout, re.M)
    assert len(per_tab) == 4
    for line in per_tab:   # a step builds the open tab only: each tab is measured
        assert [part.rsplit(" ", 2)[0] for part in line.split(" · ")] == list(VIEWS)
