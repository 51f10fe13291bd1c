"""pyproject.toml ships what the code needs: every package, its data files, one version
source, and a dependency (or an extra) for every third-party module the shipped
packages import, with requirements.txt's lower bounds."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import nncore
import nncore._version

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
SHIPPED = ("nncore", "experiments", "ui")

#: Import names whose distribution is named otherwise.
DISTRIBUTION_OF = {
    "sklearn": "scikit-learn",
    "vl_convert": "vl-convert-python",
    "tomli_w": "tomli-w",
    "yaml": "pyyaml",
    "PIL": "pillow",
    "dateutil": "python-dateutil",
}


def _normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement(line: str) -> tuple[str, str]:
    """``("numpy", ">=2.4")`` from ``"numpy>=2.4  # why"``: the name and its specifiers."""
    line = line.split("#", 1)[0].split(";", 1)[0].strip()
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line).group(0)
    rest = line[len(name):].strip()
    rest = re.sub(r"^\[[^]]*\]", "", rest).replace(" ", "")
    return _normalize(name), ",".join(sorted(filter(None, rest.split(","))))


def _floor(spec: str) -> str | None:
    found = [part[2:] for part in spec.split(",") if part.startswith(">=")]
    return found[0] if found else None


def _declared() -> dict[str, str]:
    """Every distribution of ``dependencies`` and of every extra, with its specifiers."""
    lines = [*PROJECT.get("dependencies", []),
             *(req for extra in PROJECT.get("optional-dependencies", {}).values()
               for req in extra)]
    return dict(_requirement(line) for line in lines)


def _requirements_txt() -> dict[str, str]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return dict(_requirement(line) for line in lines
                if line.split("#", 1)[0].strip() and not line.startswith("-"))


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level modules imported anywhere in the shipped packages (inside functions and
    ``if TYPE_CHECKING:`` too), minus the standard library and the project's own."""
    found: dict[str, set[str]] = {}
    for package in SHIPPED:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in SHIPPED:
                        found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


@functools.cache
def _installed() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def _distributions(module: str) -> set[str]:
    """The distributions that may provide an import name (``mlflow``: mlflow and
    mlflow-skinny), normalized."""
    names = {DISTRIBUTION_OF.get(module, module),
             *_installed().get(module, [])}
    return {_normalize(name) for name in names}


def test_numpy_floor_is_requirements_txts() -> None:
    declared = dict(_requirement(line) for line in PROJECT["dependencies"])
    assert "numpy" in declared, "numpy must be a dependency: nncore imports it"
    ours, theirs = _floor(declared["numpy"]), _floor(_requirements_txt()["numpy"])
    assert ours == theirs, f"numpy>={ours} in pyproject.toml, numpy>={theirs} in requirements.txt"


def test_shared_requirements_have_requirements_txts_bounds() -> None:
    required = _requirements_txt()
    for name, spec in _declared().items():
        if name in required:
            assert spec == required[name], (
                f"{name}: pyproject.toml says {spec!r}, requirements.txt {required[name]!r}")


def test_every_third_party_import_is_a_dependency_or_an_extra() -> None:
    imports = _third_party_imports()
    assert {"numpy", "pandas", "mlflow", "altair", "streamlit"} <= set(imports)
    declared = set(_declared())
    missing = {module: sorted(paths) for module, paths in imports.items()
               if not _distributions(module) & declared}
    assert not missing, f"imported but not in pyproject.toml dependencies or extras: {missing}"


def test_nncore_and_experiments_need_no_extra() -> None:
    """``pip install nncore-experiments`` (no extras) runs nncore and experiments."""
    base = {_requirement(line)[0] for line in PROJECT["dependencies"]}
    for module, paths in _third_party_imports().items():
        if any(not p.startswith("ui") for p in paths):
            assert _distributions(module) & base, (module, sorted(paths))


def test_the_version_has_one_source() -> None:
    assert "version" not in PROJECT
    assert "version" in PROJECT["dynamic"]
    attr = SETUPTOOLS["dynamic"]["version"]["attr"]
    assert attr == "nncore._version.__version__"
    assert nncore.__version__ == nncore._version.__version__


def test_every_package_folder_is_shipped() -> None:
    folders = {".".join(init.parent.relative_to(REPO).parts)
               for package in SHIPPED for init in (REPO / package).rglob("__init__.py")}
    assert {"nncore", "experiments", "ui", "ui.charts"} <= folders
    assert folders <= set(SETUPTOOLS["packages"]), folders - set(SETUPTOOLS["packages"])


def test_the_data_files_and_run_configs_are_shipped() -> None:
    patterns = SETUPTOOLS["package-data"]["experiments"]
    package = REPO / "experiments"
    matched = {path for pattern in patterns for path in package.glob(pattern)}
    wanted = [p for folder in ("configs", "data") for p in (package / folder).rglob("*")
              if p.is_file() and p.suffix in (".toml", ".csv", ".md")]
    assert any(p.parent.name == "configs" for p in wanted)
    left_out = [str(p.relative_to(REPO)) for p in wanted if p not in matched]
    assert not left_out, f"not in [tool.setuptools.package-data]: {left_out}"
