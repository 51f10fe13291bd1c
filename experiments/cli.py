"""The command line: ``python -m experiments``.

::

    python -m experiments run CONFIG.toml [--tracking-uri URI] [--experiment NAME]
                                          [--set training.learning_rate=0.05 ...]
                                          [--no-track] [--quiet]
    python -m experiments check CONFIG.toml [--set ...]     # validate, print the spec
    python -m experiments list [--experiment NAME] [--limit N] [--tracking-uri URI]
    python -m experiments datasets
    python -m experiments sweep SWEEP.toml [--workers N] [--scheduler ADDRESS]
                                           [--trials N] [--tracking-uri URI] [--set ...]
    python -m experiments sweeps [--tracking-uri URI]       # sweeps and their best result

Exit status: 0 on success, 1 for a bad config, bad data, an unreachable or
unwritable store or a failed (diverged) run, 2 for bad usage, 130 after Ctrl+C,
143 after SIGTERM and 129 after SIGHUP (128 + the signal: a run being trained
ends KILLED, the signal named in its ``stop_reason`` tag). Errors are one line on
stderr, without a traceback (``EXPERIMENTS_DEBUG=1`` shows it).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from experiments.progress import EpochProgress

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
#: Signals handled like Ctrl+C (a run ends KILLED); the exit status is 128 + the signal.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                     if hasattr(signal, name))
#: How the CLI's messages say where to choose another store.
SET_STORE = "MLFLOW_TRACKING_URI or pass --tracking-uri"


def _parse_sets(items: Sequence[str]) -> dict[str, str]:
    from experiments.errors import SpecError

    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--set {item!r}: expected KEY=VALUE, e.g. training.epochs=500")
        out[key.strip()] = value.strip()
    return out


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m experiments",
        description="Train nncore networks from TOML run specs and record them in MLflow.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="train one config and record it in MLflow")
    run.add_argument("config", help="a TOML run spec, e.g. experiments/configs/moons.toml")
    run.add_argument("--tracking-uri", help="MLflow store (default: $MLFLOW_TRACKING_URI, "
                     "else sqlite:///mlflow.db here)")
    run.add_argument("--experiment", help="MLflow experiment (default: the spec's name)")
    run.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                     help="override a setting, e.g. --set training.learning_rate=0.05")
    run.add_argument("--run-name", help="display name of the run")
    run.add_argument("--no-track", action="store_true", help="train without recording")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    check = sub.add_parser("check", help="validate a config and print the full spec")
    check.add_argument("config")
    check.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")

    lst = sub.add_parser("list", help="show recent runs")
    lst.add_argument("--tracking-uri")
    lst.add_argument("--experiment", help="only this experiment")
    lst.add_argument("--limit", type=int, default=20, help="most runs shown (default 20)")

    sub.add_parser("datasets", help="list the datasets and their parameters")

    sweep = sub.add_parser("sweep", help="search settings with Optuna; trials are child runs")
    sweep.add_argument("config", help="a sweep TOML file, e.g. "
                       "experiments/configs/sweeps/admissions_lr_units.toml")
    sweep.add_argument("--workers", type=int, default=1,
                       help="trials at once (default 1: one after another in this process; "
                       "more: a Dask LocalCluster, or the --scheduler's workers)")
    sweep.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, tcp://HOST:PORT")
    sweep.add_argument("--trials", type=int, help="override the file's number of trials")
    sweep.add_argument("--tracking-uri", help="MLflow store (default: $MLFLOW_TRACKING_URI, "
                       "else sqlite:///mlflow.db here)")
    sweep.add_argument("--experiment", help="MLflow experiment (default: the base run's)")
    sweep.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                       help="override a base setting, e.g. --set training.epochs=200")
    sweep.add_argument("--quiet", action="store_true", help="no progress display")

    sweeps = sub.add_parser("sweeps", help="list sweeps with their best result")
    sweeps.add_argument("--tracking-uri")
    sweeps.add_argument("--limit", type=int, default=20, help="most sweeps shown (default 20)")
    return parser


def _quiet_mlflow_logs() -> None:
    # MLflow sets its own logger level when imported; this variable is what it reads.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _differs(shown_live: float | None, final: float | None) -> bool:
    """True when both numbers exist and differ at the 4 decimals the CLI prints."""
    if shown_live is None or final is None:
        return False
    return f"{shown_live:.4f}" != f"{final:.4f}"


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from experiments.runner import train
    from experiments.spec import load_spec

    spec = load_spec(args.config)
    if args.sets:
        spec = spec.with_overrides(_parse_sets(args.sets))
    if not args.no_track:  # in seconds, before the data is built (MLflow would take minutes)
        from experiments.tracking import check_tracking_uri, resolve_tracking_uri

        check_tracking_uri(resolve_tracking_uri(args.tracking_uri), set_store=SET_STORE)
    bar = None if args.quiet else EpochProgress(err)
    callbacks = []
    if bar is not None:
        import nncore

        class _Progress(nncore.Callback):
            def on_train_begin(self, model: Any, params: dict) -> None:
                bar.begin(int(params.get("epochs", 1)))

            def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
                bar.update(epoch, logs)

            def on_train_end(self, model: Any, history: Any) -> None:
                if history.epochs:
                    bar.update(history.epochs[-1], history.last(), force=True)
                bar.close()

        callbacks.append(_Progress())
    print(spec.summary(), file=out)
    result = train(spec, tracking_uri=args.tracking_uri, track=not args.no_track, source="cli",
                   callbacks=callbacks, experiment=args.experiment, run_name=args.run_name)
    m = result.metrics
    shown = "  ".join(f"{k} {v:.4f}" for k, v in m.items()
                      if k.startswith(("train_", "val_")))
    epochs = int(m.get("epochs", 0))
    if result.stop_reason:
        print(f"stopped after {epochs} epochs: {result.stop_reason}", file=out)
    print(f"final   {shown}", file=out)
    last_epoch = result.history.last()
    if bar is not None and _differs(last_epoch.get("train_loss"), m.get("train_loss")):
        print("        (final: the trained weights on the whole split; the progress line's "
              "train_loss is the mean over the last epoch's batches while the weights moved)",
              file=out)
    if result.run_id:
        exp = args.experiment or spec.experiment_name
        print(f"run     {result.run_id} {result.status} in experiment {exp!r} "
              f"({m.get('duration_s', 0.0):.2f} s)", file=out)
        print(f"view    {result.ui_command()}", file=out)
        if not result.ui_command().startswith("open "):
            from experiments.tracking import run_page

            print(f"        then open {run_page(result.experiment_id, result.run_id)}", file=out)
    else:
        print(f"not tracked ({m.get('duration_s', 0.0):.2f} s)", file=out)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from experiments.spec import load_spec

    spec = load_spec(args.config)
    if args.sets:
        spec = spec.with_overrides(_parse_sets(args.sets))
    print(f"# {spec.summary()}", file=out)
    out.write(spec.to_toml())
    return EXIT_OK


def _cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    from experiments.queries import runs_frame
    from experiments.tracking import check_tracking_uri, resolve_tracking_uri, sqlite_path

    uri = resolve_tracking_uri(args.tracking_uri)
    check_tracking_uri(uri, set_store=SET_STORE)
    db = sqlite_path(uri)
    if db is not None and not db.exists():  # do not create an empty store just to list it
        print(f"no runs yet: {db} does not exist", file=out)
        return EXIT_OK
    frame = runs_frame(args.experiment, tracking_uri=uri, max_results=args.limit,
                       include_params=False)
    if frame.empty:
        where = f"experiment {args.experiment!r}" if args.experiment else "this store"
        print(f"no runs in {where}", file=out)
        return EXIT_OK
    rows = []
    for _, r in frame.iterrows():
        acc = r.get("metrics.final_val_accuracy")
        if acc is None or (isinstance(acc, float) and math.isnan(acc)):
            acc = r.get("metrics.final_val_rmse")
        score = "" if acc is None or (isinstance(acc, float) and math.isnan(acc)) else (
            f"{acc:.3f}"
        )
        started = r["start_time"].tz_convert(None).strftime("%Y-%m-%d %H:%M")
        rows.append((r["run_id"][:12], started, r["status"], r["experiment"] or "",
                     r["dataset"] or "", r["architecture"] or "", score, r["run_name"] or ""))
    header = ("run", "started (UTC)", "status", "experiment", "dataset", "layers", "val",
              "name")
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for line in (header, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip(),
              file=out)
    return EXIT_OK


def _cmd_datasets(out: TextIO) -> int:
    from experiments.datasets import list_datasets
    from experiments.settings import SETTINGS

    for info in list_datasets():
        task = info.task or "depends on parameters"
        print(f"{info.name}  ({task})", file=out)
        print(f"    {info.description}", file=out)
        print(f"    source: {info.source}", file=out)
        for p in info.params:
            default = "required" if p.required else f"default {p.format(p.default)}"
            print(f"    - {p.name} ({default}; {p.describe()}): {p.help}", file=out)
    general = [SETTINGS["dataset.test_size"], SETTINGS["dataset.seed"]]
    print("every dataset also takes " + " and ".join(
        f"{row.name} ({row.describe()}, default {row.format(row.default)})" for row in general),
        file=out)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help or a usage error (argparse printed it)
        return int(e.code or 0)
    _quiet_mlflow_logs()
    from experiments.errors import ExperimentError
    from experiments.tracking import Terminated

    try:
        with _stop_signals_interrupt():
            if args.command == "run":
                return _cmd_run(args, out, err)
            if args.command == "check":
                return _cmd_check(args, out)
            if args.command == "list":
                return _cmd_list(args, out)
            if args.command == "sweep":
                from experiments.sweeps.cli import cmd_sweep

                return cmd_sweep(args, out, err, _parse_sets(args.sets))
            if args.command == "sweeps":
                from experiments.sweeps.cli import cmd_sweeps

                return cmd_sweeps(args, out)
            return _cmd_datasets(out)
    except Terminated as e:
        what = "the sweep and its running trials are" if args.command == "sweep" else (
            "the run (if any) is")
        print(f"\nstopped by {e.signal_name}; {what} marked KILLED", file=err)
        return 128 + e.signum
    except KeyboardInterrupt:
        what = "the sweep and its running trials are" if args.command == "sweep" else (
            "the run (if any) is")
        print(f"\ninterrupted; {what} marked KILLED", file=err)
        return EXIT_INTERRUPTED
    except ExperimentError as e:
        if os.environ.get("EXPERIMENTS_DEBUG"):
            raise
        run_id = getattr(e, "run_id", None)
        where = f" (run {run_id} marked FAILED)" if run_id else ""
        print(f"error: {_one_line(str(e))}{where}", file=err)
        return EXIT_ERROR
    except Exception as e:  # an unexpected failure: still one line, unless debugging
        if os.environ.get("EXPERIMENTS_DEBUG"):
            raise
        print(f"error: unexpected {type(e).__name__}: {_one_line(str(e))} "
              "(set EXPERIMENTS_DEBUG=1 for the traceback)", file=err)
        return EXIT_ERROR


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`~experiments.tracking.Terminated`
    (a ``KeyboardInterrupt``) in the main thread, so a run ends KILLED as after Ctrl+C.

    Only the first signal raises: a second one while the run is being recorded as
    KILLED is ignored, so the record is completed. The previous handlers come back
    on the way out.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    from experiments.tracking import Terminated

    received: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if received:
            return
        received.append(signum)
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    # A process started in the background by a shell ignores SIGINT; Ctrl+C (or
    # `kill -INT`) must still stop a run or a sweep cleanly.
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, signal.SIG_DFL if old is None else old)


def _one_line(text: str) -> str:
    return " ".join(text.split())
