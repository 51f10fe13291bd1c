"""Silencing one MLflow hint that does not apply to this project."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

# warnings.catch_warnings changes process-wide state: one block at a time.
_LOCK = threading.RLock()


@contextlib.contextmanager
def no_integer_column_hint() -> Iterator[None]:
    """Hide MLflow's "integer columns cannot hold missing values" hint.

    Raw columns such as ``gre`` and ``rank`` are integers on purpose, and a
    missing value is an error here anyway, so the hint is noise.
    """
    with _LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
        yield
