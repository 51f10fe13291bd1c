"""Turning a table of raw columns into the numeric features a network sees.

A :class:`Preprocessor` is fitted once, on the training split, and then applied
unchanged to validation data and to whatever a saved model is later asked to
predict. It is plain data (column names, shifts, scales, category lists) and
round-trips through JSON, so the MLflow model can carry it without pickling.

This module imports only numpy and pandas: the MLflow pyfunc model imports it
at serving time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["Category", "NumericColumn", "OneHotColumn", "Preprocessor", "TargetEncoding"]

Category = int | float | str
Task = Literal["binary", "multiclass", "regression"]


def _is_number_like(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )


def _json_category(value: Any) -> Category:
    """Return ``value`` as a JSON-friendly int, float or str."""
    if isinstance(value, np.integer | bool):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return int(f) if f.is_integer() else f
    if isinstance(value, int):
        return value
    return str(value)


@dataclass(frozen=True)
class NumericColumn:
    """A numeric raw column mapped to one feature: ``(x - shift) / scale``.

    Parameters
    ----------
    name : str
        Raw column name (also the feature name).
    shift : float
        Subtracted first (0 for "divide by a constant" scaling, the mean for standardising).
    scale : float
        Divided by afterwards; never 0.
    """

    name: str
    shift: float = 0.0
    scale: float = 1.0

    @property
    def feature_names(self) -> list[str]:
        return [self.name]

    def transform(self, values: pd.Series) -> np.ndarray:
        numbers = _as_numbers(values, self.name)
        return ((numbers - self.shift) / self.scale)[:, None]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "numeric", "name": self.name, "shift": self.shift, "scale": self.scale}


@dataclass(frozen=True)
class OneHotColumn:
    """A categorical raw column mapped to one 0/1 feature per known category.

    Parameters
    ----------
    name : str
        Raw column name. Features are named ``f"{name}_{category}"``.
    categories : tuple
        The known categories, in feature order. A value outside them is an error
        (a model cannot say anything sensible about a category it never saw).
    """

    name: str
    categories: tuple[Category, ...]

    @property
    def feature_names(self) -> list[str]:
        return [f"{self.name}_{c}" for c in self.categories]

    @property
    def numeric(self) -> bool:
        return all(_is_number_like(c) for c in self.categories)

    def transform(self, values: pd.Series) -> np.ndarray:
        if values.isna().any():
            _raise_missing(values, self.name)
        if self.numeric:
            codes = _as_numbers(values, self.name)
            known = np.asarray(self.categories, dtype=float)
        else:
            codes = values.astype(str).to_numpy()
            known = np.asarray([str(c) for c in self.categories])
        out = (codes[:, None] == known[None, :]).astype(float)
        unknown = out.sum(axis=1) == 0
        if unknown.any():
            bad = values.to_numpy()[unknown]
            shown = ", ".join(repr(_json_category(v)) for v in pd.unique(bad)[:5])
            allowed = ", ".join(repr(c) for c in self.categories)
            raise ValueError(
                f"column {self.name!r} has {int(unknown.sum())} value(s) the model was not "
                f"trained on ({shown}); allowed: {allowed}"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "onehot", "name": self.name, "categories": list(self.categories)}


ColumnTransform = NumericColumn | OneHotColumn


@dataclass(frozen=True)
class TargetEncoding:
    """How the target column maps to what the network predicts.

    Parameters
    ----------
    name : str
        Target column name.
    task : {"binary", "multiclass", "regression"}
        The kind of problem.
    labels : tuple
        Classification: the original label values, position = class index.
    shift, scale : float
        Regression: the network predicts ``(y - shift) / scale``.
    """

    name: str
    task: Task
    labels: tuple[Category, ...] = ()
    shift: float = 0.0
    scale: float = 1.0

    def rmse_in_target_units(self, rmse: float) -> float:
        """An RMSE of the network's (standardised) outputs, in the target's units.

        The network predicts ``(y - shift) / scale``, so its errors are ``scale``
        times smaller than the target's: this is the one place that undoes it (the
        runner's per-epoch logs and :func:`experiments.evaluation.evaluate_model`
        both call it). Classification targets have ``scale = 1``.

        Parameters
        ----------
        rmse : float
            Root mean squared error of the network's outputs.

        Returns
        -------
        float
            ``rmse * scale``.

        >>> target = TargetEncoding("price", "regression", shift=100.0, scale=30.0)
        >>> target.rmse_in_target_units(0.5)
        15.0
        """
        return float(rmse) * self.scale

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "task": self.task,
            "labels": list(self.labels),
            "shift": self.shift,
            "scale": self.scale,
        }


@dataclass(frozen=True)
class Preprocessor:
    """A fitted, JSON-serialisable map from raw columns to model features.

    Parameters
    ----------
    columns : tuple of NumericColumn or OneHotColumn
        One transform per raw feature column, in feature order.
    target : TargetEncoding
        How the target column is encoded.
    raw_dtypes : dict
        Raw column name -> ``"double"``, ``"long"`` or ``"string"``; used for the
        MLflow model signature.

    Examples
    --------
    >>> import pandas as pd
    >>> pre = Preprocessor(
    ...     columns=(NumericColumn("gre", 0.0, 800.0), OneHotColumn("rank", (1, 2))),
    ...     target=TargetEncoding("admit", "binary", labels=(0, 1)),
    ... )
    >>> pre.transform(pd.DataFrame({"gre": [400], "rank": [2]})).tolist()
    [[0.5, 0.0, 1.0]]
    """

    columns: tuple[ColumnTransform, ...]
    target: TargetEncoding
    raw_dtypes: Mapping[str, str] = field(default_factory=dict)

    @property
    def raw_columns(self) -> list[str]:
        """Names of the raw input columns, in order."""
        return [c.name for c in self.columns]

    @property
    def feature_names(self) -> list[str]:
        """Names of the model features produced by :meth:`transform`."""
        return [name for c in self.columns for name in c.feature_names]

    def transform(self, frame: pd.DataFrame | Mapping[str, Sequence[Any]]) -> np.ndarray:
        """Return the float64 feature matrix for a table of raw columns.

        Extra columns are ignored. Raises ``ValueError`` naming the problem for a
        missing column, a non-numeric or missing value, or an unknown category.
        """
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        missing = [c for c in self.raw_columns if c not in frame.columns]
        if missing:
            raise ValueError(
                f"input is missing column(s) {', '.join(map(repr, missing))}; "
                f"expected columns: {', '.join(self.raw_columns)}"
            )
        if len(frame) == 0:
            return np.zeros((0, len(self.feature_names)))
        blocks = [c.transform(frame[c.name]) for c in self.columns]
        return np.hstack(blocks).astype(np.float64, copy=False)

    def encode_target(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Raw target values -> class indices (int) or scaled regression targets."""
        series = pd.Series(values)
        if self.target.task == "regression":
            numbers = _as_numbers(series, self.target.name)
            return (numbers - self.target.shift) / self.target.scale
        lookup = {_label_key(v): i for i, v in enumerate(self.target.labels)}
        out = np.empty(len(series), dtype=np.int64)
        for i, v in enumerate(series.to_numpy()):
            try:
                out[i] = lookup[_label_key(v)]
            except KeyError:
                raise ValueError(
                    f"target {self.target.name!r} has unknown label {v!r}; "
                    f"known: {', '.join(map(repr, self.target.labels))}"
                ) from None
        return out

    def decode_regression(self, predicted: np.ndarray) -> np.ndarray:
        """Scaled network outputs -> target units."""
        return np.asarray(predicted, dtype=np.float64) * self.target.scale + self.target.shift

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description; :meth:`from_dict` rebuilds it exactly."""
        return {
            "format": "experiments.preprocessor/1",
            "columns": [c.to_dict() for c in self.columns],
            "target": self.target.to_dict(),
            "raw_dtypes": dict(self.raw_dtypes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preprocessor:
        """Rebuild a preprocessor from :meth:`to_dict` output."""
        columns: list[ColumnTransform] = []
        for c in data["columns"]:
            if c["kind"] == "numeric":
                columns.append(NumericColumn(c["name"], float(c["shift"]), float(c["scale"])))
            elif c["kind"] == "onehot":
                columns.append(OneHotColumn(c["name"], tuple(c["categories"])))
            else:
                raise ValueError(f"unknown column transform kind {c['kind']!r}")
        t = data["target"]
        target = TargetEncoding(
            name=t["name"],
            task=t["task"],
            labels=tuple(t.get("labels", ())),
            shift=float(t.get("shift", 0.0)),
            scale=float(t.get("scale", 1.0)),
        )
        return cls(tuple(columns), target, dict(data.get("raw_dtypes", {})))

    # -- fitting ---------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        target: pd.Series | np.ndarray,
        *,
        target_name: str,
        task: Task,
        scaling: Literal["standardize", "none"] = "standardize",
        categorical: Sequence[str] = (),
        categories: Mapping[str, Sequence[Category]] | None = None,
        fixed_scales: Mapping[str, float] | None = None,
        labels: Sequence[Category] | None = None,
    ) -> Preprocessor:
        """Fit on a training table.

        Parameters
        ----------
        frame : DataFrame
            Raw feature columns of the *training* split only.
        target : Series or array
            Raw target values of the training split.
        target_name : str
            Name of the target column.
        task : {"binary", "multiclass", "regression"}
            Problem kind.
        scaling : {"standardize", "none"}
            Numeric columns: standardise with the training mean and standard
            deviation, or leave them as they are.
        categorical : sequence of str
            Columns to one-hot encode; the rest must be numeric.
        categories : mapping, optional
            Known categories per categorical column (default: those in ``frame``).
        fixed_scales : mapping, optional
            Numeric columns divided by a fixed constant instead (``{"gre": 800}``).
        labels : sequence, optional
            Class labels in class-index order (default: sorted unique targets).
        """
        categories = dict(categories or {})
        fixed_scales = dict(fixed_scales or {})
        columns: list[ColumnTransform] = []
        raw_dtypes: dict[str, str] = {}
        for name in frame.columns:
            col = frame[name]
            if name in categorical:
                cats = categories.get(name)
                if cats is None:
                    cats = _sorted_unique(col)
                columns.append(OneHotColumn(name, tuple(_json_category(c) for c in cats)))
                raw_dtypes[name] = (
                    "long" if pd.api.types.is_integer_dtype(col.dtype) else
                    "double" if pd.api.types.is_numeric_dtype(col.dtype) else "string"
                )
                continue
            numbers = _as_numbers(col, name)
            raw_dtypes[name] = "long" if pd.api.types.is_integer_dtype(col.dtype) else "double"
            if name in fixed_scales:
                columns.append(NumericColumn(name, 0.0, float(fixed_scales[name])))
            elif scaling == "standardize":
                mean = float(numbers.mean())
                std = float(numbers.std())
                columns.append(NumericColumn(name, mean, std if std > 0 else 1.0))
            elif scaling == "none":
                columns.append(NumericColumn(name, 0.0, 1.0))
            else:
                raise ValueError(f"scaling={scaling!r}: allowed 'standardize' or 'none'")
        y = pd.Series(target)
        if task == "regression":
            numbers = _as_numbers(y, target_name)
            std = float(numbers.std())
            enc = TargetEncoding(
                target_name, task, shift=float(numbers.mean()), scale=std if std > 0 else 1.0
            )
        else:
            found = labels if labels is not None else _sorted_unique(y)
            enc = TargetEncoding(target_name, task, labels=tuple(_json_category(v) for v in found))
        return cls(tuple(columns), enc, raw_dtypes)


def _label_key(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return int(value)
    if _is_number_like(value):
        f = float(value)
        return int(f) if f.is_integer() else f
    return str(value)


def _sorted_unique(values: pd.Series) -> list[Any]:
    uniq = pd.unique(values.dropna())
    try:
        return sorted(uniq.tolist())
    except TypeError:
        return sorted(uniq.tolist(), key=str)


def _as_numbers(values: pd.Series, name: str) -> np.ndarray:
    """Float64 array of a column, or a ValueError naming the first bad value."""
    if values.isna().any():
        _raise_missing(values, name)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64)
    else:
        coerced = pd.to_numeric(values, errors="coerce")
        bad = coerced.isna().to_numpy()
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"column {name!r} must be numeric but has {int(bad.sum())} non-numeric "
                f"value(s), first {values.iloc[first]!r} at row {first}"
            )
        numbers = coerced.to_numpy(dtype=np.float64)
    if not np.isfinite(numbers).all():
        first = int(np.flatnonzero(~np.isfinite(numbers))[0])
        raise ValueError(f"column {name!r} has a non-finite value {numbers[first]} at row {first}")
    return numbers


def _raise_missing(values: pd.Series, name: str) -> None:
    rows = np.flatnonzero(values.isna().to_numpy())
    shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
    raise ValueError(f"column {name!r} has {len(rows)} missing value(s) at row(s) {shown}")
