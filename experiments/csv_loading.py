"""Reading and checking a user's own CSV file.

:func:`read_table` turns a CSV file and the name of its target column into a
checked :class:`CsvTable`, or raises :class:`~experiments.errors.DataError` with
one clear sentence saying what is wrong and where (line numbers count the header
as line 1, as an editor does).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from experiments.errors import DataError

__all__ = ["CsvLimits", "CsvTable", "read_table"]

Task = Literal["binary", "multiclass", "regression"]

#: Share of a text column's values that must parse as numbers for the column to be
#: treated as numeric with a few junk entries (rather than as a categorical column).
_NUMERIC_SHARE = 0.8


@dataclass(frozen=True)
class CsvLimits:
    """Limits applied to a user's CSV file.

    Parameters
    ----------
    max_bytes : int
        Largest accepted file size.
    min_rows : int
        Fewest data rows accepted (a validation split needs some rows too).
    max_classes : int
        Most distinct target values accepted for classification.
    max_categories : int
        Most distinct values accepted in a text feature column (more looks like an
        identifier or free text).
    """

    max_bytes: int = 50 * 1024 * 1024
    min_rows: int = 10
    max_classes: int = 20
    max_categories: int = 50


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A checked table: raw feature columns, the target and what kind of problem it is.

    Attributes
    ----------
    features : DataFrame
        Raw feature columns (numeric columns as numbers, text columns as strings).
    target : Series
        The target column.
    task : {"binary", "multiclass", "regression"}
        Detected (or requested) task.
    categorical : tuple of str
        Feature columns holding text, to be one-hot encoded.
    categories : dict
        The distinct values of each categorical column, sorted.
    path : Path
        The file read.
    """

    features: pd.DataFrame
    target: pd.Series
    task: Task
    categorical: tuple[str, ...]
    categories: dict[str, list[str]]
    path: Path

    @property
    def n_rows(self) -> int:
        return len(self.target)


def _plain(value: object) -> object:
    """numpy scalars -> Python scalars, so messages show ``7``, not ``np.int64(7)``."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _fmt_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def _lines(rows: np.ndarray, limit: int = 5) -> str:
    """Data-row positions -> editor line numbers (header = line 1)."""
    shown = ", ".join(str(int(r) + 2) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"line{'s' if len(rows) > 1 else ''} {shown}{more}"


#: Separators spreadsheets save "CSV" files with besides the comma, and their names.
_OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


def _check_separator(path: Path, name: str) -> None:
    """Raise if the header line is split by ``;``, tabs or ``|`` and has no comma.

    Such a file (a spreadsheet's export in many locales) would read as one column;
    saying how it is separated beats "no target column 'label'; its columns are:
    a;b;label". Reading it with the sniffed separator is not done on purpose: those
    files usually write decimals with a comma (``3,5``), which would read as text.
    """
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            head = [line.rstrip("\r\n") for _, line in zip(range(6), f, strict=False)]
    except OSError:
        return                               # pd.read_csv reports it
    header = next((line for line in head if line.strip()), "")
    if not header or "," in header:
        return
    counts = {sep: header.count(sep) for sep in _OTHER_SEPARATORS}
    sep = max(counts, key=counts.__getitem__)
    if counts[sep] == 0:
        return
    decimals = " and '.' for decimals" if any("," in line for line in head[1:]) else ""
    raise DataError(
        f"{name} looks separated by {_OTHER_SEPARATORS[sep]}, not by commas: its header "
        f"line {header[:80]!r} reads as one column; save it with commas between the "
        f"columns{decimals}"
    )


def _read(path: Path, limits: CsvLimits) -> pd.DataFrame:
    name = path.name
    if not path.exists():
        raise DataError(f"CSV file {str(path)!r} not found")
    if not path.is_file():
        raise DataError(f"{str(path)!r} is not a file")
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise DataError(
            f"{name} is {_fmt_size(size)}; the limit is {_fmt_size(limits.max_bytes)}"
        )
    if size == 0:
        raise DataError(f"{name} is empty")
    _check_separator(path, name)
    try:
        frame = pd.read_csv(path, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} is empty (no header line)") from None
    except pd.errors.ParserError as e:
        detail = str(e).strip().splitlines()[-1]
        raise DataError(f"{name} is not a well-formed CSV file: {detail}") from None
    except UnicodeDecodeError:
        raise DataError(f"{name} is not UTF-8 text (is it really a CSV file?)") from None
    except OSError as e:
        raise DataError(f"cannot read {name}: {e.strerror or e}") from None
    # A trailing comma on every line makes an empty "Unnamed: n" column: drop those.
    empty_unnamed = [
        c for c in frame.columns if str(c).startswith("Unnamed:") and frame[c].isna().all()
    ]
    frame = frame.drop(columns=empty_unnamed)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        raise DataError(f"{name} has a header line but no data rows")
    return frame


def _numeric_or_junk(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """A column as numbers if it is (mostly) numeric; raise on junk; else return as is."""
    col = frame[column]
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.astype(np.int64)
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col
    present = col.notna()
    if not present.any():
        return col
    coerced = pd.to_numeric(col.where(present).astype("string").str.strip(), errors="coerce")
    parsed = coerced.notna() & present
    share = parsed.sum() / present.sum()
    if share == 1.0:
        return coerced
    if share >= _NUMERIC_SHARE:
        bad = np.flatnonzero((present & ~parsed).to_numpy())
        first = col.iloc[bad[0]]
        raise DataError(
            f"{file}: column {column!r} is numeric but has {len(bad)} non-numeric "
            f"value(s), first {_plain(first)!r} on {_lines(bad[:1])}"
        )
    return col.astype("string")


def read_table(
    path: str | os.PathLike[str],
    target: str,
    *,
    task: Literal["auto", "binary", "multiclass", "regression"] = "auto",
    limits: CsvLimits | None = None,
) -> CsvTable:
    """Read and check a CSV file for training.

    Parameters
    ----------
    path : str or PathLike
        The CSV file (header line with column names, comma separated, UTF-8).
    target : str
        Name of the column to predict.
    task : {"auto", "binary", "multiclass", "regression"}
        ``"auto"``: a text or whole-number target is a classification target, a
        target with fractional numbers is a regression target.
    limits : CsvLimits, optional
        Size and count limits; defaults to :class:`CsvLimits()`.

    Returns
    -------
    CsvTable

    Raises
    ------
    DataError
        For a missing or oversized file, an empty file, a file separated by
        ``;``, tabs or ``|`` instead of commas, a missing target column,
        non-numeric junk in a numeric column, missing or infinite values (with
        count and lines), a constant column, a single class, too many classes, too few rows,
        or no feature columns.
    """
    limits = limits or CsvLimits()
    file_path = Path(path)
    frame = _read(file_path, limits)
    name = file_path.name

    if target not in frame.columns:
        close = difflib.get_close_matches(target, list(frame.columns), n=1, cutoff=0.6)
        close += [c for c in frame.columns if c.lower() == target.lower() and c not in close]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"{name} has no target column {target!r}; its columns are: "
            f"{', '.join(frame.columns)}{hint}"
        )
    feature_cols = [c for c in frame.columns if c != target]
    if not feature_cols:
        raise DataError(f"{name} has no feature columns besides the target {target!r}")

    for column in frame.columns:
        frame[column] = _numeric_or_junk(frame, column, name)

    missing = {c: np.flatnonzero(frame[c].isna().to_numpy()) for c in frame.columns}
    missing = {c: rows for c, rows in missing.items() if len(rows)}
    if missing:
        total = sum(len(r) for r in missing.values())
        where = "; ".join(f"{c!r}: {len(r)} on {_lines(r)}" for c, r in missing.items())
        raise DataError(f"{name} has {total} missing value(s): {where}")

    infinite = {
        c: np.flatnonzero(np.isinf(frame[c].to_numpy(dtype=np.float64)))
        for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)
    }
    infinite = {c: rows for c, rows in infinite.items() if len(rows)}
    if infinite:
        total = sum(len(r) for r in infinite.values())
        where = "; ".join(f"{c!r}: {len(r)} on {_lines(r)}" for c, r in infinite.items())
        raise DataError(f"{name} has {total} infinite value(s) (inf or -inf): {where}")

    if len(frame) < limits.min_rows:
        raise DataError(
            f"{name} has {len(frame)} data rows; at least {limits.min_rows} are needed"
        )

    categorical: list[str] = []
    categories: dict[str, list[str]] = {}
    for column in feature_cols:
        col = frame[column]
        if col.nunique() == 1:
            raise DataError(
                f"{name}: column {column!r} has the same value ({_plain(col.iloc[0])!r}) in every "
                "row; remove it, it cannot help the model"
            )
        if not pd.api.types.is_numeric_dtype(col.dtype):
            values = sorted(col.astype(str).str.strip().unique().tolist())
            if len(values) > limits.max_categories:
                raise DataError(
                    f"{name}: text column {column!r} has {len(values)} distinct values "
                    f"(more than {limits.max_categories}); it looks like an identifier or "
                    "free text: remove it"
                )
            frame[column] = col.astype(str).str.strip()
            categorical.append(column)
            categories[column] = values

    y = frame[target]
    numeric_target = pd.api.types.is_numeric_dtype(y.dtype)
    whole = numeric_target and bool(np.all(np.mod(y.to_numpy(dtype=float), 1.0) == 0))
    if task == "auto":
        task_found: Task = "regression" if numeric_target and not whole else "binary"
    elif task in ("binary", "multiclass", "regression"):
        task_found = task
    else:
        raise DataError(f"task={task!r}: allowed 'auto', 'binary', 'multiclass', 'regression'")

    if task_found == "regression":
        if not numeric_target:
            raise DataError(f"{name}: target {target!r} is text; regression needs numbers")
        if y.nunique() == 1:
            raise DataError(
                f"{name}: target {target!r} has the same value ({_plain(y.iloc[0])!r}) in every row"
            )
    else:
        if not numeric_target:
            y = y.astype(str).str.strip()
        elif whole:
            y = y.astype(np.int64)
        counts = y.value_counts()
        if len(counts) == 1:
            raise DataError(
                f"{name}: target {target!r} has a single class ({_plain(counts.index[0])!r}); "
                "classification needs at least two"
            )
        if len(counts) > limits.max_classes:
            hint = (
                " (for a numeric quantity, set task = \"regression\")" if numeric_target else ""
            )
            raise DataError(
                f"{name}: target {target!r} has {len(counts)} distinct values; at most "
                f"{limits.max_classes} classes are supported{hint}"
            )
        if task == "binary" and len(counts) != 2:
            raise DataError(
                f"{name}: task 'binary' needs exactly 2 classes; target {target!r} has "
                f"{len(counts)}"
            )
        rare = counts[counts < 2]
        if len(rare):
            raise DataError(
                f"{name}: class {_plain(rare.index[0])!r} of target {target!r} has only one row; "
                "every class needs at least 2 rows for a stratified split"
            )
        if task == "auto":
            task_found = "binary" if len(counts) == 2 else "multiclass"

    return CsvTable(
        features=frame[feature_cols].reset_index(drop=True),
        target=y.reset_index(drop=True).rename(target),
        task=task_found,
        categorical=tuple(categorical),
        categories=categories,
        path=file_path,
    )
