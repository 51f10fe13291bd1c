"""``python -m experiments sweep`` and ``sweeps``: a sweep from the command line.

The progress display is rich's: on a terminal a live bar with trials done, the best
objective so far and the time left; in a log (CI, a file) one line per trial.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any, TextIO

from experiments.sweeps.trial import TrialOutcome

__all__ = ["SweepProgress", "cmd_sweep", "cmd_sweeps"]


def _params_text(params: dict[str, Any]) -> str:
    def short(key: str) -> str:
        return key.rpartition(".")[2]

    def value(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}"
        if isinstance(v, tuple):
            return "[" + ", ".join(map(str, v)) + "]"
        return str(v)

    return " ".join(f"{short(k)}={value(v)}" for k, v in params.items())


class SweepProgress:
    """Trials done, best so far and ETA: a rich progress bar, or one line per trial."""

    def __init__(self, stream: TextIO, total: int, objective: str) -> None:
        from experiments.progress import console_for, progress_bar

        self.console = console_for(stream)
        self.total, self.objective = total, objective
        self.started = time.monotonic()
        self.progress: Any = None
        if self.console.is_terminal:
            self.progress = progress_bar(self.console, "trials", "best")
            self.task = self.progress.add_task("sweep", total=total, best="")
            self.progress.start()

    def update(self, outcome: TrialOutcome, done: int, total: int,
               best: TrialOutcome | None) -> None:
        """One finished trial: its line, and the bar moved on."""
        best_text = (f"best {self.objective} {best.value:.4g} (trial {best.number})"
                     if best is not None else "no complete trial yet")
        value = (f"{self.objective} {outcome.value:.4g}"
                 + (f" ± {outcome.std:.2g}" if outcome.std and not math.isnan(outcome.std)
                    else "") if outcome.state == "COMPLETE"
                 else f"{outcome.state.lower()}: {outcome.reason}")
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else math.nan
        line = (f"trial {outcome.number:>3}  {_params_text(outcome.params)}  {value}  "
                f"({outcome.seconds:.1f} s)")
        if self.progress is not None:
            self.progress.console.print(line)
            self.progress.update(self.task, completed=done, total=total, best=best_text)
        else:
            from experiments.formatting import format_duration

            self.console.print(f"{line}  [{done}/{total}, {best_text}, ETA "
                               f"{format_duration(eta) if done < total else 'done'}]")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def cmd_sweep(args: argparse.Namespace, out: TextIO, err: TextIO,
              sets: dict[str, str]) -> int:
    """Run a sweep file; the last line names the parent run and the best trial."""
    from experiments.sweeps.engine import run_sweep
    from experiments.sweeps.spec import load_sweep
    from experiments.tracking import check_tracking_uri, resolve_tracking_uri

    sweep = load_sweep(args.config)
    if sets or args.trials is not None:
        sweep = sweep.with_overrides(sets, trials=args.trials)
    uri = resolve_tracking_uri(args.tracking_uri)
    check_tracking_uri(uri, set_store="MLFLOW_TRACKING_URI or pass --tracking-uri")
    print(f"sweep {sweep.name}: {sweep.summary()}", file=out)
    print(f"base  {sweep.base.summary()}", file=out)
    for dim in sweep.space:
        print(f"      {dim.key}: {dim.describe()}", file=out)
    progress = None if args.quiet else SweepProgress(err, sweep.trials, sweep.objective)
    try:
        result = run_sweep(sweep, tracking_uri=uri, workers=args.workers,
                           scheduler=args.scheduler, experiment=args.experiment,
                           on_trial=progress.update if progress else None)
    finally:
        if progress is not None:
            progress.close()
    counts = result.trials["state"].value_counts().to_dict()
    print("trials " + ", ".join(f"{n} {state.lower()}" for state, n in counts.items()),
          file=out)
    best = result.best
    best_text = (f"best trial {best.number}: {sweep.objective} {best.value:.4f} with "
                 f"{_params_text(best.params)} (run {result.best_run_id})"
                 if best is not None else "no trial completed")
    print(f"sweep {result.parent_run_id} {result.status}; {best_text}", file=out)
    return 0


def cmd_sweeps(args: argparse.Namespace, out: TextIO) -> int:
    """The sweeps of a store, newest first."""
    from experiments.sweeps.records import list_sweeps
    from experiments.tracking import check_tracking_uri, resolve_tracking_uri, sqlite_path

    uri = resolve_tracking_uri(args.tracking_uri)
    check_tracking_uri(uri, set_store="MLFLOW_TRACKING_URI or pass --tracking-uri")
    db = sqlite_path(uri)
    if db is not None and not db.exists():
        print(f"no sweeps yet: {db} does not exist", file=out)
        return 0
    frame = list_sweeps(uri, max_results=args.limit)
    if frame.empty:
        print("no sweeps in this store", file=out)
        return 0
    header = ("sweep run", "started (UTC)", "status", "name", "method", "trials", "best",
              "best run")
    rows = []
    for _, r in frame.iterrows():
        best = "" if r["best"] is None or _nan(r["best"]) else (
            f"{r['objective']} {r['best']:.4f}")
        rows.append((r["run_id"][:12], r["started"].tz_convert(None).strftime("%Y-%m-%d %H:%M"),
                     r["status"], _cell(r["name"]), _cell(r["method"]),
                     f"{r['trials_done']}/{r['trials']}", best, _cell(r["best_run_id"])[:12]))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for line in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip(),
              file=out)
    return 0


def _cell(value: Any) -> str:
    """A table cell: empty for a missing value (None, or NaN in a pandas column)."""
    return "" if value is None or _nan(value) else str(value)


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)
