"""Silencing MLflow hints that do not apply to this project."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from collections.abc import Iterator

# warnings.catch_warnings changes process-wide state: one block at a time.
_LOCK = threading.RLock()

#: Loggers and the start of the INFO lines of theirs hidden inside the block.
_QUIET_INFO = {"mlflow.pyfunc": ("Validating input example",)}


#: How deep the current thread is in quiet blocks (filters act only inside one).
_INSIDE = threading.local()


class _DropInfo(logging.Filter):
    """Drops INFO (and lower) records whose message starts with one of ``prefixes``.

    Only records logged by a thread that is inside :func:`quiet_mlflow_hints`: the
    filter stays on the logger, so another thread's block never hides this thread's lines.
    """

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not getattr(_INSIDE, "depth", 0):
            return True
        return not str(record.msg).startswith(self.prefixes)


def _install_filters() -> None:
    for name, prefixes in _QUIET_INFO.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropInfo) for f in logger.filters):
            logger.addFilter(_DropInfo(prefixes))


@contextlib.contextmanager
def quiet_mlflow_hints() -> Iterator[None]:
    """Hide MLflow hints that are noise here.

    * "integer columns cannot hold missing values": raw columns such as ``gre``
      and ``rank`` are integers on purpose, and a missing value is an error anyway;
    * "the dataset source can be interpreted in multiple ways": a local CSV path
      matches both of MLflow's local sources, which are the same class;
    * the INFO line "Validating input example against model signature", printed by
      every run that logs its model: the check passes by construction (the example
      is the validation split's raw columns). Warnings and errors still show;
    * the "Downloading artifacts" progress bars MLflow draws while it logs a model
      (unless ``MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR`` is set).
    """
    _install_filters()
    # MLflow draws a "Downloading artifacts" progress bar each time it reads back a file
    # of the model it is logging (three per run); a user's own setting still wins.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with _LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*interpreted in multiple ways",
                                category=UserWarning)
        _INSIDE.depth = getattr(_INSIDE, "depth", 0) + 1
        try:
            yield
        finally:
            _INSIDE.depth -= 1
