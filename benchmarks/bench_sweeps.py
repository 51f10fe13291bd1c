"""How fast do sweeps run, and what does a trial cost? (issue 10)

Everything runs in a temporary folder, with real processes on loopback ports: a
``dask scheduler`` with two one-thread ``dask worker`` processes started once (the warm
cluster), a SQLite store, and ``mlflow server`` backed by its own PostgreSQL cluster
(Debian's ``postgresql``; durable settings, i.e. fsync on). Figures are medians over
``--repeats`` interleaved repetitions with their ranges; every ratio is a median of the
per-repetition ratios. The issue's targets are printed beside them, met or not::

    python benchmarks/bench_sweeps.py              # the full run (about half an hour)
    python benchmarks/bench_sweeps.py --quick      # a smoke run of every figure (minutes)

1. Cost of one tracked run on a server: HTTP requests counted in the server's access log
   (API calls and file uploads) with the artifacts sent through the server
   (``--serve-artifacts``, MLflow's default) and written by the client to shared storage
   (``--no-serve-artifacts``, a second server on the same PostgreSQL database), and the
   seconds tracking adds to a run (tracked minus untracked) on SQLite and on the server.
2. ``--trials`` moons trials (``--epochs`` epochs, random search, no pruning, the same
   settings in every configuration of a repetition): serial against 2 workers on the warm
   cluster, with SQLite and with the PostgreSQL-backed server; a LocalCluster started for
   the sweep, end to end; trials with at least 1 s of training, serial against 2 workers.
3. Sweep bookkeeping per trial (Optuna ask/tell/report, the parent run, the cleanup): a
   serial sweep minus the same runs trained one after another with ``train``.
4. TPE against random search with the same sweep seed and budget on spiral (architecture
   and learning rate): the best value and the median of the last half of the trials.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

from _report import loadavg, machine, median_range, verdict  # noqa: E402

#: The issue's targets: (figure, at most).
TARGETS = {
    "2 workers / serial, warm cluster, SQLite": 0.85,
    "2 workers / serial, warm cluster, PostgreSQL server": 0.8,
    "2 workers / serial, trials of >= 1 s": 0.8,
    "sweep bookkeeping per trial, SQLite (s)": 0.15,
    "sweep bookkeeping per trial, PostgreSQL server (s)": 0.15,
    "HTTP requests per tracked run, artifacts through the server": 15,
    "HTTP requests per tracked run, artifacts on shared storage": 15,
}
#: The request figures of one server set-up: (total, API calls, file uploads).
REQUESTS = {
    "through the server": ("HTTP requests per tracked run, artifacts through the server",
                           "  of which API calls", "  of which file uploads"),
    "on shared storage": ("HTTP requests per tracked run, artifacts on shared storage",
                          "  of which API calls, shared storage",
                          "  of which file uploads, shared storage"),
}
MOONS_SPACE = {"training.learning_rate": {"log_uniform": [0.003, 0.1]},
               "model.hidden": {"choice": [[8], [16], [16, 16]]}}
SPIRAL_SPACE = {"model.hidden": {"choice": [[4], [8], [16], [32], [8, 8], [16, 16],
                                            [32, 32]]},
                "training.learning_rate": {"log_uniform": [1e-4, 1.0]}}


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 1 repetition, few trials and epochs")
    parser.add_argument("--repeats", type=int, help="repetitions (default 3; 1 with --quick)")
    parser.add_argument("--trials", type=int, help="moons trials (default 32)")
    parser.add_argument("--epochs", type=int, help="moons epochs (default 500)")
    parser.add_argument("--heavy-trials", type=int, help="trials of >= 1 s (default 16)")
    parser.add_argument("--tpe-trials", type=int, help="spiral trials per search (default 64)")
    parser.add_argument("--tpe-seeds", type=int, help="sweep seeds per search (default 3)")
    parser.add_argument("--no-postgres", action="store_true",
                        help="skip the PostgreSQL-backed server")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    quick = args.quick
    defaults = {"repeats": (3, 1), "trials": (32, 4), "epochs": (500, 40),
                "heavy_trials": (16, 2), "tpe_trials": (64, 6), "tpe_seeds": (3, 1)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    return args


class Figures:
    """Samples by figure name, printed as medians with ranges."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.notes: dict[str, str] = {}

    def add(self, name: str, value: float) -> None:
        self.samples[name].append(float(value))

    def line(self, name: str, unit: str = "", fmt: str = ".3g") -> str:
        values = self.samples.get(name, [])
        text = f"  {name:<52} {median_range(values, fmt=fmt)}{unit}"
        if name in TARGETS and values:
            target = TARGETS[name]
            text += f"   target <= {target:g}: {verdict(statistics.median(values), target)}"
        return text


def _sweep(base: dict[str, Any], space: dict[str, Any], *, trials: int, seed: int,
           method: str = "random", objective: str = "val_loss") -> Any:
    from experiments.sweeps import SweepSpec

    return SweepSpec.from_dict({**base, "sweep": {
        "method": method, "trials": trials, "seed": seed, "pruner": "none",
        "objective": objective, "direction": "minimize", "space": space}})


def _moons_base(epochs: int, n_samples: int | None = None) -> dict[str, Any]:
    from experiments import load_spec

    spec = load_spec(ROOT / "experiments" / "configs" / "moons.toml")
    overrides: dict[str, Any] = {"training.epochs": epochs}
    if n_samples:
        overrides["dataset.n_samples"] = n_samples
    return spec.with_overrides(overrides).to_dict()


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _check(result: Any, trials: int) -> Any:
    states = set(result.trials["state"])
    if result.status != "FINISHED" or len(result.trials) != trials or states != {"COMPLETE"}:
        raise SystemExit(f"a sweep did not finish every trial: {result.status}, "
                         f"{len(result.trials)} trials, states {states}")
    return result


def _training_seconds(base: dict[str, Any]) -> float:
    """Untracked training time of the base settings (median of 3, after a warm-up)."""
    from experiments import RunSpec, train

    spec = RunSpec.from_dict(base)
    dataset = spec.dataset.load()
    train(spec, dataset=dataset, track=False)
    return statistics.median(_timed(lambda: train(spec, dataset=dataset, track=False))[0]
                             for _ in range(3))


def _replay(result: Any, uri: str, experiment: str) -> float:
    """The sweep's runs again, with ``train`` one after another: seconds."""
    from experiments import train

    sweep = result.spec
    dataset = sweep.base.dataset.load()
    specs = [sweep.trial_spec({d.key: _value(d, row[d.key]) for d in sweep.space})
             for _, row in result.trials.sort_values("trial").iterrows()]
    started = time.perf_counter()
    for spec in specs:
        train(spec, tracking_uri=uri, experiment=experiment, source="sweep",
              dataset=dataset if spec.dataset == sweep.base.dataset else None)
    return time.perf_counter() - started


def _value(dim: Any, cell: Any) -> Any:
    """A trials-table cell back to the setting's value (choices are shown as text)."""
    if dim.kind == "choice":
        from experiments.sweeps.spec import _text

        return next(v for v in dim.values if _text(v) == cell or v == cell)
    return cell


def _run_cost(figures: Figures, uri: str, label: str, server: Any, repeats: int,
              artifacts: str = "through the server") -> None:
    """Tracked minus untracked seconds of one light run; requests counted on a server
    whose artifacts go ``artifacts`` (a key of :data:`REQUESTS`)."""
    from experiments import RunSpec, train

    spec = RunSpec.from_dict(_moons_base(epochs=30))
    dataset = spec.dataset.load()
    # An experiment keeps the artifact location of the server that created it.
    experiment = f"bench-run-cost-{artifacts.replace(' ', '-')}"
    train(spec, tracking_uri=uri, experiment=experiment, dataset=dataset)  # warm
    for _ in range(repeats):
        untracked = _timed(lambda: train(spec, dataset=dataset, track=False))[0]
        before = len(server.requests()) if server else 0
        tracked = _timed(lambda: train(spec, tracking_uri=uri, experiment=experiment,
                                       dataset=dataset))[0]
        figures.add(f"tracking seconds per run, {label} (s)", tracked - untracked)
        if server is not None:
            requests = server.requests_since(before)
            uploads = sum(1 for method, _, _ in requests if method == "PUT")
            total, api, files = REQUESTS[artifacts]
            figures.add(total, len(requests))
            figures.add(api, len(requests) - uploads)
            figures.add(files, uploads)


def _tpe_vs_random(figures: Figures, trials: int, seeds: int, epochs: int) -> None:
    from experiments import load_spec
    from experiments.sweeps import run_sweep

    base = load_spec(ROOT / "experiments" / "configs" / "spiral.toml").with_overrides(
        {"training.epochs": epochs}).to_dict()
    for seed in range(seeds):
        for method in ("random", "tpe"):
            result = run_sweep(_sweep(base, SPIRAL_SPACE, trials=trials, seed=seed,
                                      method=method), track=False)
            values = result.trials.sort_values("trial")["objective"].tolist()
            finite = [v for v in values if v == v]
            figures.add(f"spiral {method}: best val_loss", min(finite))
            figures.add(f"spiral {method}: median val_loss, last half of trials",
                        statistics.median(finite[len(finite) // 2:]))
            print(f"    seed {seed} {method:<6} best {min(finite):.4f}  median of last half "
                  f"{statistics.median(finite[len(finite) // 2:]):.4f}", flush=True)


def main() -> int:
    args = _options()
    from experiments.sweeps import run_sweep
    from tests.experiments.dask_cluster import dask_cluster
    from tests.experiments.servers import FIRST_START_TIMEOUT, postgres, serve_mlflow

    print(f"bench_sweeps  {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine       {machine()}")
    print(f"start         {loadavg()}")
    figures = Figures()
    light = _moons_base(args.epochs)
    heavy_samples = 300 if args.quick else 1500
    heavy = _moons_base(args.epochs, n_samples=heavy_samples)
    light_s, heavy_s = _training_seconds(light), _training_seconds(heavy)
    print(f"training      light moons trial {light_s:.2f} s ({args.epochs} epochs, 300 "
          f"points); heavy {heavy_s:.2f} s ({heavy_samples} points)", flush=True)
    figures.notes["light trial training (s)"] = f"{light_s:.3f}"
    figures.notes["heavy trial training (s)"] = f"{heavy_s:.3f}"

    with tempfile.TemporaryDirectory(prefix="bench-sweeps-") as tmp:
        work = Path(tmp)
        os.chdir(work)
        sqlite = f"sqlite:///{work / 'mlflow.db'}"
        from experiments.tracking import mlflow_client

        mlflow_client(sqlite).search_experiments()   # the store, created once
        (work / "dask").mkdir()
        with _MaybePostgres(args, work, postgres, serve_mlflow, FIRST_START_TIMEOUT) as pg, \
                dask_cluster(work / "dask", workers=2) as cluster:
            print(f"servers       SQLite store, dask scheduler {cluster.address} with 2 "
                  f"workers{', mlflow server on PostgreSQL ' + pg.url if pg else ''}",
                  flush=True)
            _run_cost(figures, sqlite, "SQLite", None, 3)
            if pg:
                _run_cost(figures, pg.url, "PostgreSQL server", pg, 3)
                _run_cost(figures, pg.direct.url, "PostgreSQL server, shared storage",
                          pg.direct, 3, artifacts="on shared storage")
            # One warm-up sweep per cluster path: imports and connections on the workers.
            run_sweep(_sweep(light, MOONS_SPACE, trials=2, seed=99), tracking_uri=sqlite,
                      scheduler=cluster.address, experiment="bench-warmup")
            for rep in range(args.repeats):
                _repetition(figures, args, rep, light, heavy, sqlite, pg, cluster.address)
        os.chdir(ROOT)

    print(f"  TPE against random on spiral ({args.tpe_trials} trials, "
          f"{args.tpe_seeds} sweep seeds)", flush=True)
    _tpe_vs_random(figures, args.tpe_trials, args.tpe_seeds, 30 if args.quick else 500)
    _report(figures, args)
    return 0


class _MaybePostgres:
    """The PostgreSQL-backed server, or None with --no-postgres."""

    def __init__(self, args: argparse.Namespace, work: Path, postgres: Any, serve: Any,
                 timeout: float) -> None:
        self.args, self.work, self.postgres, self.serve, self.timeout = (
            args, work, postgres, serve, timeout)
        self.stack: Any = None

    def __enter__(self) -> Any:
        if self.args.no_postgres:
            return None
        from contextlib import ExitStack

        self.stack = ExitStack()
        started = time.perf_counter()
        cluster = self.stack.enter_context(self.postgres(durable=True))
        server = self.stack.enter_context(self.serve(
            self.work / "pg-server", cluster.uri, workers=2, timeout=self.timeout))
        print(f"postgres      cluster and mlflow server (first start, migrations) up in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        # The same database behind a server that leaves the artifacts to the clients.
        server.direct = self.stack.enter_context(self.serve(
            self.work / "pg-server-direct", cluster.uri, workers=1, timeout=self.timeout,
            serve_artifacts=False))
        return server

    def __exit__(self, *exc: object) -> None:
        if self.stack is not None:
            self.stack.close()


def _repetition(figures: Figures, args: argparse.Namespace, rep: int, light: dict[str, Any],
                heavy: dict[str, Any], sqlite: str, pg: Any, scheduler: str) -> None:
    from experiments.sweeps import run_sweep

    n, h = args.trials, args.heavy_trials
    sweep = _sweep(light, MOONS_SPACE, trials=n, seed=rep)
    heavy_sweep = _sweep(heavy, MOONS_SPACE, trials=h, seed=rep)

    def timed_sweep(name: str, spec: Any, trials: int, **kw: Any) -> tuple[float, Any]:
        seconds, result = _timed(lambda: run_sweep(spec, experiment=f"{name}-{rep}", **kw))
        print(f"    rep {rep + 1}: {name:<28} {seconds:7.2f} s", flush=True)
        return seconds, _check(result, trials)

    serial, result = timed_sweep("serial-sqlite", sweep, n, tracking_uri=sqlite)
    replay = _replay(result, sqlite, f"replay-sqlite-{rep}")
    print(f"    rep {rep + 1}: {'replay-sqlite (train only)':<28} {replay:7.2f} s", flush=True)
    warm, _ = timed_sweep("2-workers-warm-sqlite", sweep, n, tracking_uri=sqlite,
                          scheduler=scheduler)
    local, _ = timed_sweep("2-workers-localcluster", sweep, n, tracking_uri=sqlite,
                           workers=2)
    figures.add("serial sweep, SQLite (s)", serial)
    figures.add("2 workers / serial, warm cluster, SQLite", warm / serial)
    figures.add("2 workers / serial, LocalCluster started for the sweep", local / serial)
    figures.add("sweep bookkeeping per trial, SQLite (s)", (serial - replay) / n)
    if pg:
        serial_pg, result_pg = timed_sweep("serial-postgres", sweep, n, tracking_uri=pg.url)
        replay_pg = _replay(result_pg, pg.url, f"replay-postgres-{rep}")
        print(f"    rep {rep + 1}: {'replay-postgres (train only)':<28} {replay_pg:7.2f} s",
              flush=True)
        warm_pg, _ = timed_sweep("2-workers-warm-postgres", sweep, n, tracking_uri=pg.url,
                                 scheduler=scheduler)
        figures.add("serial sweep, PostgreSQL server (s)", serial_pg)
        figures.add("2 workers / serial, warm cluster, PostgreSQL server", warm_pg / serial_pg)
        figures.add("sweep bookkeeping per trial, PostgreSQL server (s)",
                    (serial_pg - replay_pg) / n)
    heavy_serial, _ = timed_sweep("heavy-serial-sqlite", heavy_sweep, h, tracking_uri=sqlite)
    heavy_warm, _ = timed_sweep("heavy-2-workers-warm-sqlite", heavy_sweep, h,
                                tracking_uri=sqlite, scheduler=scheduler)
    figures.add("2 workers / serial, trials of >= 1 s", heavy_warm / heavy_serial)


#: Every figure, in the order printed (the smoke test checks each one).
FIGURES = [
    ("Cost of one tracked run (moons, 30 epochs, with its model)", [
        "tracking seconds per run, SQLite (s)",
        "tracking seconds per run, PostgreSQL server (s)",
        "tracking seconds per run, PostgreSQL server, shared storage (s)",
        *REQUESTS["through the server"], *REQUESTS["on shared storage"]]),
    ("Sweeps of moons trials, 2 workers against serial (same settings)", [
        "serial sweep, SQLite (s)",
        "2 workers / serial, warm cluster, SQLite",
        "2 workers / serial, LocalCluster started for the sweep",
        "serial sweep, PostgreSQL server (s)",
        "2 workers / serial, warm cluster, PostgreSQL server",
        "2 workers / serial, trials of >= 1 s"]),
    ("Sweep bookkeeping on top of the runs' own tracking", [
        "sweep bookkeeping per trial, SQLite (s)",
        "sweep bookkeeping per trial, PostgreSQL server (s)"]),
    ("TPE against random search on spiral (lower is better)", [
        "spiral random: best val_loss", "spiral tpe: best val_loss",
        "spiral random: median val_loss, last half of trials",
        "spiral tpe: median val_loss, last half of trials"]),
]


def _report(figures: Figures, args: argparse.Namespace) -> None:
    print()
    print(f"Figures: medians (min-max, n) over {args.repeats} repetition(s); {args.trials} "
          f"moons trials of {args.epochs} epochs, {args.heavy_trials} heavy trials")
    for note, value in figures.notes.items():
        print(f"  {note:<52} {value}")
    for title, names in FIGURES:
        print(title)
        for name in names:
            if name in figures.samples:
                print(figures.line(name, fmt=".4g" if "val_loss" in name else ".3g"))
            else:
                print(f"  {name:<52} not measured")
    print(f"end           {loadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"samples": figures.samples, "notes": figures.notes,
                                         "options": {k: str(v) for k, v in
                                                     vars(args).items()}}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
