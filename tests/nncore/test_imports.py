"""nncore imports numpy only (DESIGN.md), and `import nncore` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nncore

NNCORE = Path(nncore.__file__).parent
HEAVY = ["pandas", "scipy", "sklearn", "mlflow", "streamlit", "altair", "torch", "matplotlib"]


def test_import_nncore_loads_nothing_heavy():
    code = f"import sys, nncore; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_nncore_modules_import_only_numpy_and_the_standard_library():
    allowed = {"numpy", "nncore", "__future__"} | set(sys.stdlib_module_names)
    for path in NNCORE.glob("*.py"):
        if path.name == "sklearn.py":      # the optional scikit-learn adapter (DESIGN.md)
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_public_api_is_declared():
    for name in nncore.__all__:
        assert hasattr(nncore, name), name
    for name in ("Sequential", "Dense", "SGD", "Adam", "save", "load", "check_gradients",
                 "TrainingDiverged", "Perceptron", "EarlyStopping", "Callback"):
        assert name in nncore.__all__
    assert set(nncore.ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "identity",
                                       "softmax", "step"}
    assert set(nncore.LOSSES) == {"binary_cross_entropy", "cross_entropy", "mse"}
    assert nncore.get_loss("log_loss") is nncore.LOSSES["binary_cross_entropy"]
