"""Progress displays of the command line, drawn by rich.

On a terminal both are rich progress bars redrawn in place; in a log file or CI they
print plain lines instead (a training run at every tenth of its epochs, a sweep at every
trial), so a log stays readable and short.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from experiments.formatting import format_duration

__all__ = ["EpochProgress", "console_for", "progress_bar"]

#: The per-epoch metrics a progress line shows, when the run logs them.
SHOWN_METRICS = ("train_loss", "val_loss", "val_accuracy", "val_rmse")


def console_for(stream: TextIO) -> Console:
    """A rich console on ``stream`` (a terminal when the stream is one)."""
    return Console(file=stream, highlight=False, soft_wrap=True)


def progress_bar(console: Console, unit: str, *fields: str) -> Progress:
    """A rich bar: ``unit`` done of total, extra text fields, elapsed time and ETA."""
    columns: list[Any] = [TextColumn(unit), BarColumn(), MofNCompleteColumn()]
    columns += [TextColumn(f"{{task.fields[{name}]}}") for name in fields]
    columns += [TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(*columns, console=console, transient=False)


def metrics_text(logs: Mapping[str, float]) -> str:
    """``train_loss 0.41  val_acc 0.9``: the shown metrics of one epoch."""
    return "  ".join(f"{key.replace('accuracy', 'acc')} {value:.4g}"
                     for key, value in logs.items() if key in SHOWN_METRICS)


class EpochProgress:
    """A training run's progress: epochs done, the last metrics, elapsed time and ETA.

    Parameters
    ----------
    stream : TextIO
        Where to draw (the CLI's stderr).
    width : int
        Width of the text bar in log lines.
    """

    def __init__(self, stream: TextIO, width: int = 28) -> None:
        self.console = console_for(stream)
        self.width = width
        self.total = 1
        self.started = time.monotonic()
        self._last_decile = -1
        self._last_epoch = 0
        self._lock = threading.Lock()
        self._bar: Progress | None = None
        self._task: Any = None

    def begin(self, total: int) -> None:
        """Training starts with ``total`` epochs."""
        self.total = max(1, total)
        self.started = time.monotonic()
        if self.console.is_terminal:
            self._bar = progress_bar(self.console, "epoch", "metrics")
            self._task = self._bar.add_task("train", total=self.total, metrics="")
            self._bar.start()

    def update(self, epoch: int, logs: Mapping[str, float], force: bool = False) -> None:
        """Epoch ``epoch`` ended with ``logs``; a log line only at every tenth (or forced)."""
        if epoch == self._last_epoch:
            return
        self._last_epoch = epoch
        if self._bar is not None:  # rich redraws at its own rate
            self._bar.update(self._task, completed=epoch, metrics=metrics_text(logs))
            return
        frac = min(1.0, epoch / self.total)
        decile = int(frac * 10)
        if not force and decile == self._last_decile:
            return
        self._last_decile = decile
        elapsed = time.monotonic() - self.started
        eta = elapsed / frac - elapsed if frac > 0 else math.nan
        filled = round(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        when = "ETA " + format_duration(eta) if epoch < self.total else format_duration(elapsed)
        line = (f"epoch {epoch:>{len(str(self.total))}}/{self.total} [{bar}] {frac:4.0%}  "
                f"{metrics_text(logs)}  {when}")
        with self._lock:
            self.console.print(line, markup=False)

    def close(self) -> None:
        """Training ended: the bar stays as drawn last."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
