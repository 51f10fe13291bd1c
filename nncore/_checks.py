"""Array validation, dtypes and random generators shared by nncore's models and ``fit``.

Every message names the argument, the value it got and what is allowed, in the
spirit of scikit-learn's parameter constraints and PyTorch's optimizer checks. Numeric
arguments are checked against :data:`nncore.BOUNDS` (``nncore/bounds.py``).
"""

from __future__ import annotations

import numpy as np

from nncore.bounds import check_bound

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

SeedLike = int | np.random.Generator | None
"""What a ``seed`` argument takes: an int >= 0, a Generator, or None (fresh entropy)."""


def make_rng(seed: SeedLike) -> np.random.Generator:
    """One ``numpy.random.Generator`` from an int seed, a Generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        check_bound("seed", seed)
    return np.random.default_rng(seed)


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
    if not all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))
        row, col = bad[0]
        raise ValueError(
            f"{name} must be finite; found {len(bad)} NaN or infinite value(s), "
            f"the first at row {row}, column {col}"
        )
    return arr


#: Elements checked at a time by :func:`all_finite`: its temporary stays at 64 KB.
FINITE_CHECK_BLOCK = 1 << 16


def all_finite(arr: np.ndarray) -> bool:
    """Whether every element of ``arr`` is finite, checked a block of rows at a time.

    ``np.isfinite(arr).all()`` would allocate a boolean array as large as ``arr``
    (5 MB for 50,000 x 100); blocks of :data:`FINITE_CHECK_BLOCK` elements keep the
    temporary small, and the check stops at the first block with a NaN or infinity.
    """
    if arr.ndim == 0 or arr.size <= FINITE_CHECK_BLOCK:
        return bool(np.isfinite(arr).all())
    rows = max(1, FINITE_CHECK_BLOCK // (arr.size // arr.shape[0]))
    return all(np.isfinite(arr[start : start + rows]).all()
               for start in range(0, arr.shape[0], rows))


def input_dtype(X: object) -> np.dtype:
    """The float dtype an input asks for: its own if float32/float64, else float64."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None and np.dtype(dtype) in FLOAT_DTYPES:
        return np.dtype(dtype)
    return np.dtype(np.float64)
