"""experiments imports neither streamlit nor altair (ARCHITECTURE.md): the app layer (ui/,
pages/) draws, experiments gives it tidy frames. Checked in the source (every import
statement of every module, at any depth) and at run time (importing every module)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import experiments

PACKAGE = Path(experiments.__file__).parent
REPO = PACKAGE.parent
FORBIDDEN = {"streamlit", "altair"}


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement, ``importlib.import_module`` or ``__import__``
    names, with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.lineno, node.module or ""))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_the_walk_finds_every_module_and_every_kind_of_import():
    modules = _modules()
    assert {"experiments", "experiments.cli", "experiments.frames", "experiments.compare",
            "experiments.__main__"} <= set(modules)
    assert not [m for m in modules if m.startswith("experiments.charts")]
    sample = ast.parse("def f():\n    import altair as alt\n"
                       "from streamlit.runtime import exists\n"
                       "importlib.import_module('altair')\n__import__('streamlit')\n")
    assert sorted(name for _, name in _imported(sample)) == [
        "altair", "altair", "streamlit", "streamlit.runtime"]


def test_no_experiments_module_imports_streamlit_or_altair():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, name in _imported(ast.parse(path.read_text(), str(path))):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    assert offenders == []


def _import_all(modules: list[str]) -> subprocess.CompletedProcess:
    code = (f"import sys\nfor name in {modules!r}:\n    __import__(name)\n"
            f"loaded = sorted(m for m in {sorted(FORBIDDEN)!r} if m in sys.modules)\n"
            "assert not loaded, f'loaded {loaded}'\n")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_importing_every_experiments_module_loads_neither():
    done = _import_all(_modules())
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_import_check_catches_a_module_that_loads_altair():
    done = _import_all(["experiments", "ui.charts.style"])  # the app layer draws with altair
    assert done.returncode != 0 and "loaded ['altair']" in done.stderr
