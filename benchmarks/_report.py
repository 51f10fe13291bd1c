"""What the benchmarks share: medians with ranges, the load average, verdicts.

Every figure a benchmark prints is a median over interleaved repetitions with its
range (min-max) beside it, and the machine's load average is printed at the start
and the end of a run so a reader sees how busy the (shared) machine was.
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, e.g. ``"load 1.52 1.10 0.80 (2 cores)"``."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # not available on this platform
        return "load average unavailable"
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def machine() -> str:
    """CPU model and core count, for the header of a report."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def median_range(values: Sequence[float], scale: float = 1.0, fmt: str = ".3g") -> str:
    """``"12.3 (11.8-14.0, n=5)"``: the median, the range, the number of values."""
    if not values:
        return "n/a"
    vals = [v * scale for v in values]
    return (f"{statistics.median(vals):{fmt}} ({min(vals):{fmt}}-{max(vals):{fmt}}, "
            f"n={len(vals)})")


def verdict(value: float, target: float, *, at_most: bool = True) -> str:
    """``"met"`` or ``"NOT met"`` for a value against a target (<= by default)."""
    ok = value <= target if at_most else value >= target
    return "met" if ok else "NOT met"
