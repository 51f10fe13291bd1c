"""The logged model's code archive: what it holds, and that the per-process cache never
serves code older than the files on disk."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from experiments.pyfunc_model import write_code_archive


def _package(root: Path) -> Path:
    package = root / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "data").mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (package / "data" / "big.csv").write_text("a,b\n1,2\n")
    (package / "table.json").write_text("{}")
    return package


def _read(archive: Path) -> dict[str, str]:
    with zipfile.ZipFile(archive) as z:
        return {name: z.read(name).decode() for name in z.namelist()}


def test_the_archive_holds_the_code_and_package_data_but_no_caches_or_datasets(tmp_path):
    package = _package(tmp_path)
    archive = write_code_archive(tmp_path / "a.zip", [package])
    assert _read(archive) == {"pkg/__init__.py": "VALUE = 1\n", "pkg/table.json": "{}"}


def test_the_same_code_gives_the_same_bytes(tmp_path):
    package = _package(tmp_path)
    first = write_code_archive(tmp_path / "a.zip", [package]).read_bytes()
    assert write_code_archive(tmp_path / "b.zip", [package]).read_bytes() == first


def test_an_edited_file_is_archived_again_even_with_the_same_size(tmp_path):
    package = _package(tmp_path)
    write_code_archive(tmp_path / "a.zip", [package])
    init = package / "__init__.py"
    stat = init.stat()
    init.write_text("VALUE = 2\n")                      # same size, new content
    os.utime(init, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert _read(write_code_archive(tmp_path / "b.zip", [package]))["pkg/__init__.py"] == (
        "VALUE = 2\n")
    (package / "new.py").write_text("X = 3\n")          # a new file
    assert "pkg/new.py" in _read(write_code_archive(tmp_path / "c.zip", [package]))
