"""How numbers read in text: durations and setting/metric values.

The CLI's progress line, the dashboard's progress text, run labels and chart
axes all format with these two functions, so the same value reads the same way
everywhere. Pure Python; imports nothing else of the project.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["MISSING", "format_duration", "format_value"]

#: How a missing or non-finite value reads.
MISSING = "—"


def format_duration(seconds: float) -> str:
    """A duration for people: ``"1.2 s"``, ``"42 s"``, ``"1 min 40 s"``.

    Parameters
    ----------
    seconds : float
        The duration; not finite (an estimate not known yet) reads ``"?"``.

    Returns
    -------
    str
        Tenths of a second below 10 s, whole seconds below 90 s, then minutes
        and seconds.

    >>> format_duration(1.23), format_duration(42.4), format_duration(100)
    ('1.2 s', '42 s', '1 min 40 s')
    >>> format_duration(float("nan"))
    '?'
    """
    if not math.isfinite(seconds):
        return "?"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, sec = divmod(round(seconds), 60)
    return f"{minutes} min {sec:02d} s"


def format_value(value: Any, digits: int = 4) -> str:
    """A setting or metric value in a label: floats to ``digits`` significant digits.

    Parameters
    ----------
    value : Any
        A number, a string, ``None``...
    digits : int
        Significant digits of a float (``"g"`` format: no trailing zeros).

    Returns
    -------
    str
        :data:`MISSING` for ``None`` and non-finite floats, ``f"{value:.{digits}g}"``
        for floats (Python or NumPy), ``str(value)`` otherwise (ints, strings, bools).

    >>> format_value(0.012345), format_value(0.012345, digits=6), format_value(32)
    ('0.01235', '0.012345', '32')
    >>> format_value(None), format_value(float("nan")), format_value("adam")
    ('—', '—', 'adam')
    """
    if value is None:
        return MISSING
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        number = float(value)
        return f"{number:.{digits}g}" if math.isfinite(number) else MISSING
    return str(value)
