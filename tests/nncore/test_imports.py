"""Import hygiene: nncore imports numpy only (ARCHITECTURE.md), `import nncore` stays
light, its modules import each other without cycles, and none reaches into another's
private attributes."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nncore

REPO = Path(__file__).resolve().parents[2]
NNCORE = Path(nncore.__file__).parent
HEAVY = ["pandas", "scipy", "sklearn", "mlflow", "streamlit", "altair", "torch", "matplotlib"]


def module_name(path: Path) -> str:
    return "nncore" if path.stem == "__init__" else f"nncore.{path.stem}"


def nncore_modules() -> dict[str, ast.Module]:
    return {module_name(path): ast.parse(path.read_text(), str(path))
            for path in sorted(NNCORE.glob("*.py"))}


def imported_nncore_modules(tree: ast.Module, modules: set[str]) -> set[str]:
    """Every nncore module a file imports, wherever the import is (functions and
    ``if TYPE_CHECKING:`` blocks included)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "nncore uses absolute imports"
            base = node.module or ""
            for alias in node.names:       # `from nncore import training` imports a module
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    trees = nncore_modules()
    return {name: imported_nncore_modules(tree, set(trees)) - {name}
            for name, tree in trees.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_import_nncore_loads_nothing_heavy():
    code = f"import sys, nncore; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_nncore_modules_import_only_numpy_and_the_standard_library():
    allowed = {"numpy", "nncore", "__future__"} | set(sys.stdlib_module_names)
    for path in NNCORE.glob("*.py"):
        if path.name == "sklearn.py":      # the optional scikit-learn adapter (ARCHITECTURE.md)
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_the_tests_import_the_real_nncore_package():
    """``tests/nncore`` is a test package; it must not shadow the package under test."""
    assert NNCORE.resolve() == REPO / "nncore"
    assert sys.modules["nncore"] is nncore and not hasattr(nncore, "helpers")
    from tests.nncore import helpers

    assert Path(helpers.__file__).resolve().parent == REPO / "tests" / "nncore"


def test_the_module_graph_is_known_and_acyclic():
    graph = import_graph()
    # The graph is read right: the layers' dependencies point one way.
    assert "nncore.training" in graph["nncore.network"]
    assert "nncore.network" not in graph["nncore.training"]
    assert "nncore.history" in graph["nncore.callbacks"]
    assert graph["nncore.bounds"] == set()
    assert graph["nncore.sklearn"] == {"nncore"}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from nncore.network import Sequential\n"
                     "def f():\n    import nncore.training\n")
    assert imported_nncore_modules(tree, {"nncore.network", "nncore.training", "nncore"}) == {
        "nncore.network", "nncore.training"}


def private_accesses(tree: ast.Module) -> list[str]:
    """``obj._name`` where ``obj`` is not ``self``, ``cls``, ``super()`` or a class defined
    in the same module (dunders allowed)."""
    own = {"self", "cls"} | {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__") and node.attr.endswith("__"):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in own:
            continue
        if (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name)
                and owner.func.id == "super"):
            continue
        found.append((node.lineno, node.col_offset, f"line {node.lineno}: {ast.unparse(node)}"))
    return [text for *_, text in sorted(found)]


def test_no_module_reaches_into_private_attributes():
    """Modules talk through public names: a layer's gradients are ``layer.dW``, not
    ``layer._dW``. Only an object's own methods touch its ``_`` attributes."""
    offenders = {name: found for name, tree in nncore_modules().items()
                 if (found := private_accesses(tree))}
    assert offenders == {}


def test_the_private_access_check_sees_the_old_offences():
    tree = ast.parse("class A:\n    _k = 1\n"
                     "plan = (layer._dW, layer._db)\nprobe._forward(X)\nself._W = w\n"
                     "type(self).__name__\nsuper()._init_state(p)\nA._k\nself.model._W\n")
    assert private_accesses(tree) == ["line 3: layer._dW", "line 3: layer._db",
                                      "line 4: probe._forward", "line 9: self.model._W"]


def test_public_api_is_declared():
    for name in nncore.__all__:
        assert hasattr(nncore, name), name
    assert len(set(nncore.__all__)) == len(nncore.__all__)
    for name in ("Sequential", "Dense", "SGD", "Adam", "save", "load", "check_gradients",
                 "TrainingDiverged", "Perceptron", "EarlyStopping", "Callback",
                 "TASK_OUTPUT", "matched_loss", "check_output_for_task", "check_loss_for_output",
                 "Interval", "BOUNDS", "Schedule", "ConstantLR", "StepDecay",
                 "ExponentialDecay", "CosineDecay", "SCHEDULES", "get_schedule"):
        assert name in nncore.__all__, name
    assert set(nncore.ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "identity",
                                       "softmax", "step"}
    assert set(nncore.LOSSES) == {"binary_cross_entropy", "cross_entropy", "mse"}
    assert nncore.get_loss("log_loss") is nncore.LOSSES["binary_cross_entropy"]
    assert set(nncore.SCHEDULES) == {"constant", "step", "exponential", "cosine"}
