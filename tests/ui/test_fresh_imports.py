"""A fresh dashboard server's first Compare page does not import MLflow (issue 13).

Importing MLflow takes about 1.8 s and creating its client about 1 s here: a new server's
first visitor waited for both before the page could show a SQLite store's runs. The runs
table, the compared runs' histories and the store's version are read with SQL now
(``experiments.sql_runs``, ``experiments.bulk_history``, ``experiments.store_version``);
this runs the page in a new process, as a fresh server runs it, and looks at what it
imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: The page's first run in a new process (AppTest, as a direct link opens it), then what
#: it imported.
PAGE_RUN = """
import json, sys
from streamlit.testing.v1 import AppTest
from ui import data, sidebar
at = AppTest.from_file({dashboard!r}, default_timeout=120)
at.switch_page(sidebar.COMPARE)
at.run()
print(json.dumps({{
    "exception": [str(e.value) for e in at.exception],
    "charts": len(at.get("vega_lite_chart")),
    "table": len(at.dataframe),
    "has_runs": data.store_has_runs({uri!r}),
    "mlflow": sorted(m for m in sys.modules if m.split(".")[0] == "mlflow"),
}}))
"""


@pytest.fixture
def store_with_runs(tmp_path: Path) -> str:
    """A SQLite store with two short runs, trained by the project itself."""
    from experiments import RunSpec, train

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        for dataset in ("xor", "moons"):
            spec = RunSpec.from_dict({
                "dataset": {"name": dataset, "n_samples": 60},
                "model": {"hidden": [4], "activation": "tanh"},
                "training": {"optimizer": "adam", "epochs": 3, "batch_size": 16}})
            train(spec, tracking_uri=uri, log_model=False)
    finally:
        os.chdir(old)
    return uri


def test_a_fresh_compare_page_reads_a_sqlite_store_without_mlflow(store_with_runs, tmp_path
                                                                  ) -> None:
    code = PAGE_RUN.format(dashboard=str(ROOT / "dashboard.py"), uri=store_with_runs)
    env = {**os.environ, "MLFLOW_TRACKING_URI": store_with_runs, "PYTHONPATH": str(ROOT),
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["exception"] == []
    assert report["has_runs"] and report["table"] >= 1 and report["charts"] >= 1
    assert report["mlflow"] == []
