"""The package's surface: what it exports and what importing it pulls in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import experiments

REPO = Path(__file__).resolve().parents[2]


def test_import_is_light_and_never_pulls_in_streamlit() -> None:
    code = (
        "import sys, experiments\n"
        "heavy = [m for m in ('streamlit', 'mlflow', 'sklearn', 'altair') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_public_api() -> None:
    for name in ("load_spec", "train", "RunSpec", "RunResult", "load_dataset", "list_datasets",
                 "dataset_names", "get_dataset_info", "runs_frame", "metric_history"):
        assert name in experiments.__all__
        assert callable(getattr(experiments, name))
