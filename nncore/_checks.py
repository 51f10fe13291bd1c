"""Argument validation shared by nncore's constructors and ``fit``.

Every message names the argument, the value it got and what is allowed, in the
spirit of scikit-learn's parameter constraints and PyTorch's optimizer checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_int(
    name: str, value: object, *, minimum: int = 1, allow_none: bool = False
) -> int | None:
    """Return ``value`` as an int ``>= minimum`` or raise a ``ValueError`` naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        also = " or None" if allow_none else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{also}; got {value!r}")
    return int(value)


def check_real(
    name: str,
    value: object,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float inside the given interval or raise ``ValueError``."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        v = float(value)
        above = v >= low if low_inclusive else v > low
        below = v <= high if high_inclusive else v < high
        ok = above and below
    if not ok:
        left = "[" if low_inclusive and math.isfinite(low) else "("
        right = "]" if high_inclusive and math.isfinite(high) else ")"
        raise ValueError(
            f"{name} must be a finite number in {left}{low:g}, {high:g}{right}; got {value!r}"
        )
    return float(value)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed`` names, else raise ``ValueError``."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def resolve_dtype(dtype: object) -> np.dtype | None:
    """Turn ``None``, ``"float32"``, ``"float64"`` or a numpy float dtype into a dtype."""
    if dtype is None:
        return None
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be 'float32', 'float64' or None; got {dtype!r}")
    return resolved


def as_float_matrix(
    name: str, X: object, dtype: np.dtype, n_features: int | None = None
) -> np.ndarray:
    """Validate a 2-D finite numeric array and return it as ``dtype`` (no copy if it already is)."""
    arr = np.asarray(X)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be numeric; got an array of dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (samples x features); got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row; got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features but the model expects {n_features}; "
            f"got shape {arr.shape}"
        )
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))
        row, col = bad[0]
        raise ValueError(
            f"{name} must be finite; found {len(bad)} NaN or infinite value(s), "
            f"the first at row {row}, column {col}"
        )
    return arr


def input_dtype(X: object) -> np.dtype:
    """The float dtype an input asks for: its own if float32/float64, else float64."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None and np.dtype(dtype) in FLOAT_DTYPES:
        return np.dtype(dtype)
    return np.dtype(np.float64)
