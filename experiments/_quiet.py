"""Silencing MLflow hints that do not apply to this project."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

# warnings.catch_warnings changes process-wide state: one block at a time.
_LOCK = threading.RLock()


@contextlib.contextmanager
def quiet_mlflow_hints() -> Iterator[None]:
    """Hide two MLflow hints that are noise here.

    * "integer columns cannot hold missing values": raw columns such as ``gre``
      and ``rank`` are integers on purpose, and a missing value is an error anyway;
    * "the dataset source can be interpreted in multiple ways": a local CSV path
      matches both of MLflow's local sources, which are the same class.
    """
    with _LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*interpreted in multiple ways",
                                category=UserWarning)
        yield
