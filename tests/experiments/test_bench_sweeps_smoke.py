"""``benchmarks/bench_sweeps.py --quick`` runs end to end and prints every figure.

It starts its own warm Dask cluster, a SQLite store and ``mlflow server`` on its own
PostgreSQL cluster; every figure of the report must be measured, finite and printed. No
figure is compared with a target here (timings belong to the benchmark's report). Under
``CI=true`` a missing PostgreSQL fails this test.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.experiments.servers import require_postgres

pytestmark = [pytest.mark.slow, pytest.mark.server]

ROOT = Path(__file__).resolve().parents[2]


def test_bench_sweeps_quick_reports_every_figure(tmp_path) -> None:
    require_postgres()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_sweeps import FIGURES, REQUESTS
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = tmp_path / "figures.json"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_sweeps.py"), "--quick",
         "--json", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    samples = json.loads(out.read_text())["samples"]
    for _, names in FIGURES:
        for name in names:
            values = samples.get(name)
            assert values and all(math.isfinite(v) for v in values), name
            line = next((ln for ln in proc.stdout.splitlines() if ln.strip().startswith(
                name.strip())), "")
            assert line and "not measured" not in line, name   # printed, with its value
    assert "DaskStorage is experimental" not in proc.stderr
    for total, api, uploads in REQUESTS.values():
        assert samples[total][0] == samples[api][0] + samples[uploads][0]
    assert not any(samples[REQUESTS["on shared storage"][2]])   # the clients wrote the files
