"""The README's examples really run, from a folder that is not the project's, and print
what they say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    assert "streamlit run dashboard.py" in first_block
    assert "bash scripts/test.sh" in first_block
    ci = (README.parent / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci


def test_readme_script_example_runs(tmp_path):
    text = README.read_text()
    section = text.split("## nncore from a script", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "predictions: [0 1 1 0]" in out.stdout
    assert "Sequential: 2 layer(s), 17 parameters" in out.stdout


def _outside_the_project(tmp_path: Path) -> Path:
    """A working folder that is not the project folder nor inside it, as a user's is."""
    assert README.parent not in (tmp_path, *tmp_path.parents)
    return tmp_path


def _run_as_a_user(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` as a user's script would: its own folder, no project on sys.path."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_LOGGING_LEVEL")}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env={**environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_readme_sklearn_example_runs(tmp_path):
    text = README.read_text()
    section = text.split("### nncore in scikit-learn", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    cwd = _outside_the_project(tmp_path)
    out = _run_as_a_user(code + "\nprint(type(net).__name__, search.best_score_ > 0.8)", cwd)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "Sequential True"
    assert (cwd / "best.npz").exists() and (cwd / "best.json").exists()


def test_readme_experiments_example_runs(tmp_path):
    text = README.read_text()
    section = text.split("## Experiments", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    cwd = _outside_the_project(tmp_path)
    out = _run_as_a_user(code + "\nprint('ok')", cwd,
                         MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path}/mlflow.db",
                         MLFLOW_DISABLE_TELEMETRY="true")
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "ok"
    assert "prediction" in lines[-4] and "probability_1" in lines[-4]   # the predicted frame
    # Library use prints no MLflow chatter for every run (issue 14, 11c).
    assert "Validating input example" not in out.stderr


def test_readme_sweep_example_runs(tmp_path):
    """The sweep snippet, as a user's script (``__main__``) outside the project folder."""
    text = README.read_text()
    section = text.split("## Sweeps", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    cwd = _outside_the_project(tmp_path)
    script = cwd / "sweep_example.py"
    script.write_text(code)
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, str(script)], cwd=cwd, capture_output=True, text=True,
                         timeout=300, env={**environ, "MLFLOW_DISABLE_TELEMETRY": "true",
                                           "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/m.db"})
    assert out.returncode == 0, out.stderr[-3000:]
    status, parent, best = out.stdout.splitlines()[0].split()
    assert status == "FINISHED" and len(parent) == 32 and len(best) == 32
    assert "training.learning_rate" in out.stdout and "COMPLETE" in out.stdout
