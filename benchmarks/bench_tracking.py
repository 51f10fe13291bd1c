"""How much does MLflow tracking add to a training run?

Issue 13's budget: a 1000-epoch student-admissions MLP run tracked in MLflow's
default SQLite store (``sqlite:///mlflow.db`` in the working folder, created
beforehand) takes at most 0.2 s longer than the same run untracked on a quiet
machine, 0.3 s under load (a 1-minute load average of 1 or more on this machine).

Runs in a temporary folder, so nothing lands in the repository::

    python benchmarks/bench_tracking.py            # prints the figures
    python benchmarks/bench_tracking.py --check    # exit 1 if over budget

Tracked and untracked runs alternate, so background load hits both alike; the
overhead is the difference of the medians. A breakdown of the tracked part
(starting the run, params, dataset inputs, staging and uploading the run's files,
the model, the last batch of metrics and the status) follows, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

from _report import loadavg, machine, median_range, verdict  # noqa: E402

#: Seconds a tracked run may add: on a quiet machine, and under load.
BUDGET_QUIET_S = 0.2
BUDGET_LOADED_S = 0.3
#: The 1-minute load average from which the machine counts as loaded.
LOADED_FROM = 1.0
#: The parts of a tracked run timed one by one (methods of ``RunTracker``, and the
#: runner's staging of the run's files).
PARTS = ("start", "log_params", "log_datasets", "stage_artifacts", "upload_artifacts",
         "log_model", "end")


def _timed_tracker_methods(totals: dict[str, list[float]]) -> None:
    """Wrap the tracker's methods to time each part of the tracked overhead."""
    from experiments import runner, tracking

    def timed_version(original, name):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                totals[name][-1] += time.perf_counter() - start
        return timed

    for name in PARTS:
        if name == "stage_artifacts":
            runner._stage_artifacts = timed_version(runner._stage_artifacts, name)
        elif name == "start":  # a classmethod
            start = tracking.RunTracker.start.__func__
            tracking.RunTracker.start = classmethod(timed_version(start, name))
        else:
            setattr(tracking.RunTracker, name,
                    timed_version(getattr(tracking.RunTracker, name), name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="pairs of runs (default 7)")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the overhead exceeds its budget")
    args = parser.parse_args()

    from experiments import load_spec, train

    spec = load_spec(ROOT / "experiments" / "configs" / "admissions_mlp.toml").with_overrides(
        {"training.epochs": args.epochs, "training.patience": "off"}
    )
    dataset = spec.dataset.load()
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
        os.chdir(tmp)
        os.environ.pop("MLFLOW_TRACKING_URI", None)  # MLflow's default store, here
        started = time.perf_counter()
        train(spec, dataset=dataset)  # creates the store and warms up imports and caches
        print(f"store created and first run in {time.perf_counter() - started:.2f} s")
        train(spec, dataset=dataset)

        parts: dict[str, list[float]] = defaultdict(list)
        _timed_tracker_methods(parts)
        untracked, tracked, cpu_untracked, cpu_tracked = [], [], [], []
        for _ in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            train(spec, dataset=dataset, track=False)
            untracked.append(time.perf_counter() - t)
            cpu_untracked.append(time.process_time() - c)
            for name in PARTS:
                parts[name].append(0.0)
            t, c = time.perf_counter(), time.process_time()
            result = train(spec, dataset=dataset)
            tracked.append(time.perf_counter() - t)
            cpu_tracked.append(time.process_time() - c)
        from mlflow import MlflowClient

        points = len(MlflowClient("sqlite:///mlflow.db").get_metric_history(result.run_id,
                                                                            "train_loss"))
        os.chdir(ROOT)

    u, tr = statistics.median(untracked), statistics.median(tracked)
    overhead = tr - u
    one_minute = os.getloadavg()[0]
    loaded = one_minute >= LOADED_FROM
    budget = BUDGET_LOADED_S if loaded else BUDGET_QUIET_S
    print(f"{args.epochs}-epoch admissions MLP ({spec.summary()}), {args.repeats} pairs")
    print(f"  machine    {machine()}; {loadavg()}")
    print(f"  untracked  {median_range(untracked)} s")
    print(f"  tracked    {median_range(tracked)} s")
    print(f"  overhead   {overhead:.3f} s   budget {budget:.2f} s "
          f"({'under load' if loaded else 'quiet machine'}): {verdict(overhead, budget)}")
    cpu = statistics.median(cpu_tracked) - statistics.median(cpu_untracked)
    print(f"  CPU time of this process (all its threads; what load cannot inflate): "
          f"untracked {median_range(cpu_untracked)} s, tracked {median_range(cpu_tracked)} s, "
          f"overhead {cpu:.3f} s")
    print(f"  MLflow points per metric: {points} (full history in history.csv)")
    print("  tracked-side breakdown (median per run, ms):")
    for name in PARTS:
        print(f"    {name:<17} {median_range(parts[name], 1000, '.1f')}")
    print(f"  sum of the parts {1000 * sum(statistics.median(v) for v in parts.values()):.1f} ms"
          "; the rest is the per-epoch metric buffering and the run's bookkeeping")
    if args.check and overhead > budget:
        print(f"over budget by {overhead - budget:.3f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
