"""ui.charts is pure (tidy frames in, Altair charts out: no streamlit), and every page
draws decision boundaries with its one builder."""

from __future__ import annotations

import ast
from pathlib import Path

import ui.charts
from ui import sidebar

CHARTS = Path(ui.charts.__file__).parent
REPO = CHARTS.parents[1]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_chart_builders_never_import_streamlit():
    modules = sorted(CHARTS.glob("*.py"))
    assert {p.stem for p in modules} >= {"boundary", "compare", "dataset", "export", "model",
                                         "settings", "style", "training"}
    for path in modules:
        assert not [n for n in _imports(path) if n.split(".")[0] == "streamlit"], path.name


def test_every_page_draws_boundaries_with_the_one_builder():
    for page in (sidebar.TRAIN, sidebar.COMPARE, sidebar.RUN):
        source = (REPO / page).read_text()
        assert "ui.charts.boundary.boundary_chart" in _imports(REPO / page), page
        tree = ast.parse(source)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", None) == "boundary_chart"]
        assert calls, f"{page} never calls boundary_chart"
        local = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                 and "boundary" in n.name]
        assert local == [], f"{page} defines its own boundary builder {local}"
