"""Reading past runs at scale: 200 runs of 1000 epochs in a SQLite store.

Seeds a fresh store (in a temporary folder, or --store DIR to keep it) with 200 runs
logged the way the tracker logs them (params of a real RunSpec, tags, 4 metrics over
1000 epochs downsampled to 200 points each), then measures what the Compare page needs:

- ``runs_frame``: the runs table with params and latest metrics;
- ``metric_history`` of all 200 runs, cold (nothing cached) and warm (cached by run id);
- a change of selection: the histories of 10 other runs, from the cache;
- for reference, the one-call-per-run-and-metric way on 20 runs, extrapolated to 200.

    python benchmarks/bench_queries.py
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

RUNS, EPOCHS = 200, 1000


def seed(uri: str) -> list[str]:
    from experiments import RunSpec
    from experiments.tracking import MetricsLogger, RunTracker

    base = RunSpec.from_dict({"dataset": {"name": "student_admissions"},
                              "model": {"hidden": [8], "activation": "sigmoid"},
                              "training": {"learning_rate": 0.1, "epochs": EPOCHS}})
    ids = []
    for i in range(RUNS):
        lr = [0.01, 0.03, 0.1, 0.3][i % 4]
        spec = base.with_overrides({"training.learning_rate": lr, "training.seed": i // 4})
        tracker = RunTracker.start(experiment="bench-queries", tracking_uri=uri,
                                   tags={"dataset": "student_admissions", "source": "bench"},
                                   check=False)
        tracker.log_params(spec.to_params())
        logger = MetricsLogger(tracker, max_points=200)
        logger.begin(EPOCHS)
        for epoch in range(1, EPOCHS + 1):
            decay = math.exp(-epoch * lr / 50)
            logger.epoch(epoch, {"train_loss": 0.58 + 0.1 * decay, "val_loss": 0.6 + 0.1 * decay,
                                 "train_accuracy": 0.7 - 0.05 * decay,
                                 "val_accuracy": 0.69 - 0.05 * decay})
        logger.finish(flush=False)
        tracker.end("FINISHED")
        ids.append(tracker.run_id)
    return ids


def open_store(folder: Path) -> tuple[str, list[str]]:
    """The store in ``folder`` with its 200 seeded runs (seeding them if needed)."""
    from experiments import queries

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    existing = queries.runs_frame("bench-queries", tracking_uri=uri, max_results=1000)
    if len(existing) >= RUNS:
        ids = existing["run_id"].tolist()[:RUNS]
        print(f"store {uri}: reusing {len(ids)} runs")
    else:
        start = time.perf_counter()
        ids = seed(uri)
        print(f"store {uri}: seeded {RUNS} runs x {EPOCHS} epochs "
              f"in {time.perf_counter() - start:.1f} s")
    return uri, ids


def timed(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, help="folder for the store (default: temporary)")
    args = parser.parse_args()
    folder = args.store or Path(tempfile.mkdtemp(prefix="bench-queries-"))
    folder.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    from mlflow import MlflowClient

    from experiments import queries

    client = MlflowClient(uri)
    _, ids = open_store(folder)

    table = timed(lambda: queries.runs_frame("bench-queries", tracking_uri=uri, max_results=RUNS))

    def cold() -> None:
        queries.clear_cache()
        queries.metric_history(ids, tracking_uri=uri)

    cold_s = timed(cold)
    queries.metric_history(ids, tracking_uri=uri)
    warm_s = timed(lambda: queries.metric_history(ids, tracking_uri=uri))
    selection = timed(lambda: queries.metric_history(ids[50:60], tracking_uri=uri))
    rows = len(queries.metric_history(ids, tracking_uri=uri))

    def one_by_one() -> None:
        for run_id in ids[:20]:
            for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
                client.get_metric_history(run_id, key)

    reference = timed(one_by_one, repeats=1) * RUNS / 20
    print(f"runs_frame, {RUNS} runs with params:          {table * 1e3:8.0f} ms")
    print(f"metric_history, {RUNS} runs, cold ({rows} rows): {cold_s * 1e3:8.0f} ms")
    print(f"metric_history, {RUNS} runs, cached:            {warm_s * 1e3:8.0f} ms")
    print(f"change of selection (10 runs, cached):        {selection * 1e3:8.0f} ms")
    print(f"one get_metric_history call per run and metric, extrapolated to {RUNS} runs: "
          f"{reference:.1f} s (bulk read is {reference / cold_s:.0f}x faster)")
    print(f"first-render read path (table + cold histories): {(table + cold_s) * 1e3:.0f} ms "
          "(page budget 2000 ms)")


if __name__ == "__main__":
    main()
