"""Errors the experiment layer raises on purpose.

Each carries a message meant for a person: it names the field or file, the value
and what is allowed. The CLI prints ``str(error)`` as one line, without a traceback;
the dashboard shows it in an error box.
"""

from __future__ import annotations

__all__ = ["DataError", "ExperimentError", "SpecError", "TrackingError"]


class ExperimentError(Exception):
    """Base class of the expected, user-facing errors of :mod:`experiments`."""


class SpecError(ExperimentError, ValueError):
    """A run spec or config file is invalid (the message names the field)."""


class DataError(ExperimentError, ValueError):
    """A dataset cannot be built, e.g. a user's CSV file is unusable."""


class TrackingError(ExperimentError, RuntimeError):
    """The MLflow tracking store cannot be reached or written."""

