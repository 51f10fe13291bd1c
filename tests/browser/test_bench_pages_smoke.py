"""The browser benchmark of the pages runs end to end and reports every figure.

``benchmarks/bench_pages.py`` on a store of 5 runs, one repetition each: it must seed
the store, serve the app, drive Chromium through Home, Compare and Run (fresh and warm
server), the Compare interactions and a Train run, and write every figure. No figure
is compared with a time budget here (timings belong to the benchmark's report, not to
the test suite). Under CI=true a missing Chromium or playwright fails this test.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from tests.browser.support import ROOT, require_browser

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAGES = ("Home", "Compare", "Run")
INTERACTIONS = ("Compare selection change (one run removed)",
                "Compare metric switch (validation loss -> validation accuracy)",
                "Compare metric switch back (-> validation loss)")


def test_bench_pages_reports_every_figure(tmp_path):
    require_browser()
    out = tmp_path / "figures.json"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_pages.py"), "--runs", "5",
         "--epochs", "20", "--repeats", "1", "--train-seconds", "3", "--json", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    figures = json.loads(out.read_text())
    assert figures["runs"] == 5
    wanted = [f"{page} {server} server: {what}" for page in PAGES
              for server in ("fresh", "warm") for what in ("first paint", "settled")]
    wanted += list(INTERACTIONS)
    wanted += [f"{page} warm server, browser cache warm: settled" for page in PAGES]
    wanted += [f"Floor, {name}: {what}" for name in ("a one-line page (st.title)",
                                                     "a title and a 20-row st.dataframe")
               for what in ("first paint", "settled")]
    samples, loads = figures["samples"], figures["loads"]
    for name in wanted:
        values = samples.get(name)
        assert values and all(math.isfinite(v) and v > 0 for v in values), name
        assert len(loads[name]) == len(values), name
        assert name in proc.stdout, name          # printed, not only written
    for page in PAGES:                            # settled comes after the first paint
        for server in ("fresh", "warm"):
            paint = samples[f"{page} {server} server: first paint"][0]
            assert samples[f"{page} {server} server: settled"][0] >= paint
    train = figures["train"]
    assert train and all(0 <= t["share_pct"] <= 100 and t["redraws"] >= 1 for t in train)
    assert "live view took" in proc.stdout
    for key in ("start_load", "end_load"):
        assert len(figures[key]) == 3
    assert proc.stdout.count("load ") >= len(wanted)
