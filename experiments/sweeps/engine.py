"""Run a sweep: ask Optuna for settings, train trials, record parent and children.

The driver owns the study and the parent run. Trials run one after another in this
process (``workers=1``) or as tasks on a Dask cluster (:mod:`experiments.sweeps.cluster`);
either way every replicate is an MLflow child run of the parent, and the parent logs
the best objective after each trial, the trials table as ``trials.csv`` and, at the end,
the best child's run id.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from experiments.sweeps.search import create_study, pruner_steps, quiet_optuna, suggest
from experiments.sweeps.spec import SweepSpec, _text
from experiments.sweeps.trial import StopRequest, TrialOutcome, run_trial, stop_reason_of

__all__ = ["PARENT_TAG", "StopRequest", "SweepResult", "run_sweep", "trials_frame"]

#: Tag of a sweep's parent run (its value is the sweep's name).
PARENT_TAG = "sweep.name"

#: ``on_trial(outcome, done, total, best)``: called after every trial in the driver.
TrialCallback = Callable[[TrialOutcome, int, int, "TrialOutcome | None"], None]


@dataclass
class SweepResult:
    """What a sweep did.

    Attributes
    ----------
    spec : SweepSpec
    parent_run_id : str or None
        The parent MLflow run (None when untracked).
    experiment_id : str or None
    status : {"FINISHED", "KILLED"}
    trials : DataFrame
        One row per trial: ``trial``, one column per searched setting, ``objective``,
        ``objective_std``, ``state``, ``run_id`` (the first replicate), ``run_ids``,
        ``seconds``, ``reason``.
    best : TrialOutcome or None
        The best complete trial.
    outcomes : list of TrialOutcome
    """

    spec: SweepSpec
    parent_run_id: str | None
    experiment_id: str | None
    status: str
    trials: pd.DataFrame
    best: TrialOutcome | None
    outcomes: list[TrialOutcome] = field(default_factory=list)
    tracking_uri: str | None = None

    @property
    def best_run_id(self) -> str | None:
        """The first run of the best trial."""
        return self.best.run_ids[0] if self.best and self.best.run_ids else None


def trials_frame(spec: SweepSpec, outcomes: list[TrialOutcome]) -> pd.DataFrame:
    """The tidy table of trials (see :attr:`SweepResult.trials`)."""
    rows = []
    for o in sorted(outcomes, key=lambda o: o.number):
        row: dict[str, Any] = {"trial": o.number}
        for dim in spec.space:
            value = o.params.get(dim.key)
            row[dim.key] = _text(value) if isinstance(value, tuple) else value
        row.update(objective=o.value, objective_std=o.std, state=o.state,
                   run_id=o.run_ids[0] if o.run_ids else None, run_ids=",".join(o.run_ids),
                   seconds=round(o.seconds, 3), reason=o.reason)
        rows.append(row)
    columns = ["trial", *(d.key for d in spec.space), "objective", "objective_std", "state",
               "run_id", "run_ids", "seconds", "reason"]
    return pd.DataFrame(rows, columns=columns)


def _better(spec: SweepSpec, a: TrialOutcome, b: TrialOutcome | None) -> bool:
    if b is None:
        return True
    return a.value < b.value if spec.direction == "minimize" else a.value > b.value


def run_sweep(
    sweep: SweepSpec,
    *,
    tracking_uri: str | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    track: bool = True,
    stop_event: threading.Event | None = None,
    on_trial: TrialCallback | None = None,
    experiment: str | None = None,
) -> SweepResult:
    """Search the sweep's space with Optuna; every trial's replicates are child runs.

    Parameters
    ----------
    sweep : SweepSpec
    tracking_uri : str, optional
        The MLflow store (``MLFLOW_TRACKING_URI``, else ``./mlflow.db``).
    workers : int, default 1
        1 runs trials one after another in this process; more run them as tasks on a
        Dask cluster (``scheduler``, or a LocalCluster of that many processes).
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running ``dask scheduler``.
    track : bool, default True
        False trains without recording (no parent, no children).
    stop_event : threading.Event, optional
        Set it to stop: the running trials end KILLED, the parent KILLED. A
        :class:`StopRequest` stopped with a reason tags those runs with it
        (``stop_reason``); a plain event says "stopped by the user".
    on_trial : callable, optional
        ``on_trial(outcome, done, total, best)`` after each trial (progress displays).
    experiment : str, optional
        The experiment (default: the base spec's).

    Returns
    -------
    SweepResult

    Raises
    ------
    TrackingError
        The store cannot be used (checked before anything trains).
    KeyboardInterrupt
        Ctrl+C or a termination signal: the running child and the parent end KILLED.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        from experiments.errors import SpecError

        raise SpecError(f"workers = {workers!r}: must be a whole number >= 1")
    stop_event = stop_event or threading.Event()
    parent = _start_parent(sweep, tracking_uri, experiment) if track else None
    dataset = sweep.base.dataset.load()
    if parent is not None:
        _log_parent_dataset(parent, dataset)
    outcomes: list[TrialOutcome] = []
    best: TrialOutcome | None = None
    status = "FINISHED"

    def record(outcome: TrialOutcome) -> None:
        nonlocal best
        outcomes.append(outcome)
        if outcome.state == "COMPLETE" and _better(sweep, outcome, best):
            best = outcome
        if parent is not None:
            metrics = {"trials_done": float(len(outcomes))}
            if outcome.state == "COMPLETE":
                metrics[f"trial_{sweep.objective}"] = outcome.value
            if best is not None:
                metrics[f"best_{sweep.objective}"] = best.value
            parent.log_metrics(metrics, step=outcome.number)
            parent.flush()
        if on_trial is not None:
            on_trial(outcome, len(outcomes), sweep.trials, best)

    try:
        with quiet_optuna():
            if workers == 1 and scheduler is None:
                _serial(sweep, parent, tracking_uri, experiment, stop_event, dataset, record)
            else:
                from experiments.sweeps.cluster import run_on_cluster

                run_on_cluster(sweep, parent, tracking_uri, experiment, stop_event, record,
                               workers=workers, scheduler=scheduler)
        if stop_event.is_set():
            status = "KILLED"
    except BaseException as e:
        if parent is not None:
            _finish_parent(parent, sweep, outcomes, best, "KILLED" if not isinstance(
                e, Exception) else "FAILED", _reason(e, len(outcomes)))
        raise
    if parent is not None:
        why = stop_reason_of(stop_event) or "stopped by the user"
        _finish_parent(parent, sweep, outcomes, best, status,
                       f"{why} after {len(outcomes)} trials" if status == "KILLED" else None)
    return SweepResult(
        spec=sweep, parent_run_id=parent.run_id if parent else None,
        experiment_id=parent.experiment_id if parent else None, status=status,
        trials=trials_frame(sweep, outcomes), best=best, outcomes=outcomes,
        tracking_uri=parent.tracking_uri if parent else None)


def _reason(exc: BaseException, done: int) -> str:
    if isinstance(exc, Exception):
        return f"{type(exc).__name__}: {exc}"
    from experiments.tracking import Terminated

    how = exc.signal_name if isinstance(exc, Terminated) else (
        "Ctrl+C" if isinstance(exc, KeyboardInterrupt) else type(exc).__name__)
    return f"interrupted ({how}) after {done} trials"


def _serial(sweep: SweepSpec, parent: Any, tracking_uri: str | None,
            experiment: str | None, stop_event: threading.Event, dataset: Any,
            record: Callable[[TrialOutcome], None]) -> None:
    """Trials one after another in this process, pruning on the in-memory study."""
    import optuna

    study = create_study(sweep)
    every = pruner_steps(sweep)
    for _ in range(sweep.trials):
        if stop_event.is_set():
            return
        trial = study.ask()
        params = suggest(trial, sweep)

        def report(value: float, epoch: int, trial: Any = trial) -> bool:
            trial.report(value, epoch)
            return bool(trial.should_prune())

        try:
            outcome = run_trial(
                sweep, trial.number, params, parent_run_id=parent.run_id if parent else None,
                tracking_uri=tracking_uri, experiment=experiment, reporter=report,
                report_every=every, stop_event=stop_event, dataset=dataset)
        except BaseException:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise
        if outcome.state == "COMPLETE":
            study.tell(trial, outcome.value)
        else:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED
                       if outcome.state == "PRUNED" else optuna.trial.TrialState.FAIL)
        if stop_event.is_set() and outcome.state != "COMPLETE":
            return  # a trial cut short by the stop is not a result
        record(outcome)


def _start_parent(sweep: SweepSpec, tracking_uri: str | None, experiment: str | None) -> Any:
    from experiments.tracking import RunTracker

    name = sweep.name or "sweep"
    tags = {
        PARENT_TAG: name, "sweep.method": sweep.method, "sweep.objective": sweep.objective,
        "sweep.direction": sweep.direction, "sweep.space": sweep.space_json(),
        "sweep.trials": sweep.trials, "sweep.replicates": sweep.replicates,
        "sweep.pruner": sweep.pruner, "sweep.seed": sweep.seed, "sweep.status": "running",
        "source": "sweep", "dataset": sweep.base.dataset.name,
        "mlflow.note.content": f"Sweep {name}: {sweep.summary()}\n\nBase run: "
                               f"{sweep.base.summary()}",
    }
    parent = RunTracker.start(experiment=experiment or sweep.base.experiment_name,
                              tracking_uri=tracking_uri, run_name=f"sweep {name}", tags=tags)
    try:
        searched = {d.key for d in sweep.space}
        params = {k: v for k, v in sweep.base.to_params().items() if k not in searched}
        params.update({f"sweep.{k}": v for k, v in (
            ("method", sweep.method), ("trials", sweep.trials),
            ("replicates", sweep.replicates), ("objective", sweep.objective),
            ("direction", sweep.direction), ("pruner", sweep.pruner), ("seed", sweep.seed))})
        parent.log_params(params)
    except BaseException as e:
        parent.end_after(e)
        raise
    return parent


def _log_parent_dataset(parent: Any, dataset: Any) -> None:
    """The dataset goes on the parent first: children then find it, never race to add it."""
    from experiments.runner import _log_dataset

    try:
        _log_dataset(parent, dataset)
    except BaseException as e:
        parent.end_after(e)
        raise


def _finish_parent(parent: Any, sweep: SweepSpec, outcomes: list[TrialOutcome],
                   best: TrialOutcome | None, status: str, reason: str | None) -> None:
    """The trials table, the best child and the parent's end; never raises twice."""
    try:
        frame = trials_frame(sweep, outcomes)
        frame.to_csv(parent.artifact_dir / "trials.csv", index=False)
        (parent.artifact_dir / "sweep.json").write_text(json.dumps({
            "space": json.loads(sweep.space_json()), "summary": sweep.summary(),
            "base": sweep.base.to_dict()}, indent=2, default=str))
        parent.upload_artifacts()
        counts = frame["state"].value_counts().to_dict() if len(frame) else {}
        tags: dict[str, Any] = {"sweep.status": status.lower(),
                                "sweep.trials_done": len(outcomes),
                                **{f"sweep.trials_{k.lower()}": v for k, v in counts.items()}}
        if best is not None:
            tags.update({"sweep.best_trial": best.number,
                         "sweep.best_run_id": best.run_ids[0] if best.run_ids else "",
                         "sweep.best_params": json.dumps(
                             {k: list(v) if isinstance(v, tuple) else v
                              for k, v in best.params.items()})})
            parent.log_metrics({f"best_{sweep.objective}": best.value},
                               step=max(o.number for o in outcomes))
        parent.end(status, reason, tags=tags)
    except Exception as e:  # recording failed: still end the parent, never leave it RUNNING
        parent.end("FAILED" if status == "FINISHED" else status,
                   f"recording the sweep failed: {type(e).__name__}: {e}")
    finally:
        if parent.status is None:
            parent.end(status, reason)
        with contextlib.suppress(Exception):  # a trial whose worker was lost for good
            from experiments.sweeps.records import end_orphans

            end_orphans(parent.run_id, client=parent.client)
