"""How much does MLflow tracking add to a training run?

The issue's budget: a 1000-epoch student-admissions MLP run tracked in MLflow's
default SQLite store (``sqlite:///mlflow.db`` in the working folder, created
beforehand) takes at most 0.35 s longer than the same run untracked.

Runs in a temporary folder, so nothing lands in the repository::

    python benchmarks/bench_tracking.py            # prints the figures
    python benchmarks/bench_tracking.py --check    # exit 1 if over budget

Tracked and untracked runs alternate, so background load hits both alike; the
overhead is the difference of the medians. A breakdown of the tracked part
(params, dataset inputs, metrics, artifacts, model, end) follows.
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
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

BUDGET_S = 0.35


def _timed_tracker_methods(totals: dict[str, list[float]]) -> None:
    """Wrap the tracker's methods to time each part of the tracked overhead."""
    from experiments import tracking

    for name in ("log_params", "log_datasets", "flush", "upload_artifacts", "log_model", "end"):
        original = getattr(tracking.RunTracker, name)

        def timed(self, *args, _original=original, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                totals[_name][-1] += time.perf_counter() - start

        setattr(tracking.RunTracker, name, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="pairs of runs (default 7)")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 if the overhead exceeds {BUDGET_S} s")
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
        untracked, tracked = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            train(spec, dataset=dataset, track=False)
            untracked.append(time.perf_counter() - t)
            for name in ("log_params", "log_datasets", "flush", "upload_artifacts", "log_model",
                         "end"):
                parts[name].append(0.0)
            t = time.perf_counter()
            result = train(spec, dataset=dataset)
            tracked.append(time.perf_counter() - t)
        from mlflow import MlflowClient

        points = len(MlflowClient("sqlite:///mlflow.db").get_metric_history(result.run_id,
                                                                            "train_loss"))
        os.chdir(ROOT)

    u, tr = statistics.median(untracked), statistics.median(tracked)
    overhead = tr - u
    print(f"{args.epochs}-epoch admissions MLP ({spec.summary()}), {args.repeats} pairs")
    print(f"  untracked  median {u:.3f} s   (min {min(untracked):.3f})")
    print(f"  tracked    median {tr:.3f} s   (min {min(tracked):.3f})")
    print(f"  overhead   {overhead:.3f} s   (budget {BUDGET_S:.2f} s)")
    print(f"  MLflow points per metric: {points} (full history in history.csv)")
    print("  tracked-side breakdown (median per run):")
    for name, values in parts.items():
        print(f"    {name:<17} {1000 * statistics.median(values):7.1f} ms")
    if args.check and overhead > BUDGET_S:
        print(f"over budget by {overhead - BUDGET_S:.3f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
