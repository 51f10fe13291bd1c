"""One trial of a sweep: train every replicate of one setting as child runs.

:func:`run_trial` is what a worker executes, in the driver's process or as a Dask task:
it takes plain values (the sweep, the suggested settings, the parent run id) and returns
a :class:`TrialOutcome`. Pruning goes through a ``reporter``: a callable that receives
the objective every few epochs and answers whether to stop.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import nncore
from experiments.errors import ExperimentError, SpecError, TrackingError
from experiments.sweeps.spec import SweepSpec

__all__ = ["REPLICATE_TAG", "SWEEP_TAG", "TRIAL_TAG", "Reporter", "StopRequest", "TrialOutcome",
           "run_trial", "stop_reason_of"]

#: Tags of a child run: the sweep (parent run id), the trial number and the replicate.
SWEEP_TAG, TRIAL_TAG, REPLICATE_TAG = "sweep.id", "sweep.trial", "sweep.replicate"

#: ``reporter(value, epoch) -> prune?``
Reporter = Callable[[float, int], bool]


class StopRequest(threading.Event):
    """A stop event that can say why the sweep stops.

    A plain :class:`threading.Event` works wherever a sweep takes a ``stop_event``;
    its runs then end "stopped by the user". :meth:`stop` with a reason (the Sweep
    page's watchdog: "the browser tab was closed") puts that reason on the running
    trials' runs (``stop_reason=<reason> after epoch N``) and on the parent run
    (``<reason> after N trials``).

    Attributes
    ----------
    reason : str or None
        Why, from the first :meth:`stop` that gave one.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def stop(self, reason: str | None = None) -> None:
        """Set the event; the first reason given is kept."""
        if reason and self.reason is None:
            self.reason = reason
        self.set()


def stop_reason_of(event: threading.Event | None) -> str | None:
    """The reason a stop event carries (None for a plain event or none given)."""
    return getattr(event, "reason", None)


class _StopWithReason(nncore.Callback):
    """Ends the run after the epoch in which ``event`` was set, with the event's reason.

    Placed before :func:`experiments.train`'s own stop callback, which keeps a reason
    already given; without a reason it leaves the stop to that callback.
    """

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        reason = stop_reason_of(self.event)
        if reason and self.event.is_set() and not model.stop_training:
            model.stop_training = True
            model.stop_reason = f"{reason} after epoch {epoch}"


@dataclass
class TrialOutcome:
    """What one trial did.

    Attributes
    ----------
    number : int
        The trial's number in the study (from 0).
    params : dict
        The setting values tried, by dotted key.
    state : {"COMPLETE", "PRUNED", "FAILED"}
    value : float
        The objective: the mean over replicates (NaN unless COMPLETE).
    std : float
        The replicates' standard deviation (0 for one replicate, NaN unless COMPLETE).
    run_ids : list of str
        The child runs, one per replicate trained.
    values : list of float
        Each replicate's objective.
    reason : str or None
        Why it was pruned or failed.
    seconds : float
        Wall-clock time of the trial.
    pruned_at : int or None
        The epoch it was pruned at.
    """

    number: int
    params: dict[str, Any]
    state: str = "COMPLETE"
    value: float = math.nan
    std: float = math.nan
    run_ids: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    reason: str | None = None
    seconds: float = 0.0
    pruned_at: int | None = None


class _Prune(nncore.Callback):
    """Reports the objective every ``every`` epochs; stops the run when told to prune."""

    def __init__(self, objective: str, every: int, reporter: Reporter) -> None:
        self.objective, self.every, self.reporter = objective, every, reporter
        self.pruned_at: int | None = None

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        value = logs.get(self.objective)
        if epoch % self.every or value is None or not math.isfinite(value):
            return
        if self.reporter(float(value), epoch) and not model.stop_training:
            self.pruned_at = epoch
            model.stop_training = True
            model.stop_reason = f"pruned at epoch {epoch}"


def _earlier_attempt(parent_run_id: str, tracking_uri: str | None, number: int,
                    replicate: int) -> Any:
    """This replicate's run from an earlier attempt of the trial, if one ended well.

    Dask runs a task again when the worker that ran it (or held its result) is lost:
    a finished or pruned run is taken as it is, never trained twice; a run left RUNNING
    by the lost worker is ended FAILED with ``stop_reason=worker lost``.
    """
    from mlflow.entities import RunTag

    from experiments.tracking import mlflow_client

    client = mlflow_client(tracking_uri)
    experiment_id = client.get_run(parent_run_id).info.experiment_id
    runs = client.search_runs(
        [experiment_id],
        f"tags.`{SWEEP_TAG}` = '{parent_run_id}' and tags.`{TRIAL_TAG}` = '{number}' "
        f"and tags.`{REPLICATE_TAG}` = '{replicate}'")
    kept = None
    for run in runs:
        status, reason = run.info.status, run.data.tags.get("stop_reason", "")
        if status == "FINISHED" or (status == "KILLED" and reason.startswith("pruned")):
            kept = kept or run
        elif status == "RUNNING":
            client.log_batch(run.info.run_id, tags=[RunTag("stop_reason", "worker lost")])
            client.set_terminated(run.info.run_id, status="FAILED")
    return kept


def run_trial(
    sweep: SweepSpec,
    number: int,
    params: Mapping[str, Any],
    *,
    parent_run_id: str | None,
    tracking_uri: str | None,
    experiment: str | None = None,
    reporter: Reporter | None = None,
    report_every: int = 1,
    stop_event: threading.Event | None = None,
    dataset: Any = None,
    idempotent: bool = False,
) -> TrialOutcome:
    """Train the replicates of one setting as child runs of the sweep.

    Parameters
    ----------
    sweep : SweepSpec
    number : int
        The trial's number (tag ``sweep.trial``).
    params : mapping
        The settings to try (dotted keys).
    parent_run_id : str or None
        The sweep's parent run (None: untracked).
    tracking_uri : str or None
    experiment : str, optional
        The experiment of the children (default: the parent's, the base spec's).
    reporter : callable, optional
        Receives the objective every ``report_every`` epochs of the first replicate;
        True prunes the trial (the run ends KILLED, ``stop_reason=pruned at epoch N``).
    stop_event : threading.Event, optional
        Set to stop the sweep: the running replicate ends KILLED, no more are trained
        (a :class:`StopRequest`'s reason becomes the run's ``stop_reason``).
    dataset : Dataset, optional
        The base spec's dataset, already built (reused when the trial keeps it).
    idempotent : bool
        Look for an earlier attempt of each replicate first (a task Dask runs again):
        a finished or pruned run is reused, a RUNNING one ended FAILED (worker lost).

    Returns
    -------
    TrialOutcome
        ``FAILED`` when the settings are invalid together or a replicate diverged (the
        reason says which); the sweep goes on.

    Raises
    ------
    TrackingError
        The store failed: the sweep cannot go on.
    KeyboardInterrupt
        Ctrl+C or a termination signal (the running child ends KILLED first).
    """
    from experiments.runner import RunFailed, train

    started = time.perf_counter()
    outcome = TrialOutcome(number=number, params=dict(params))
    for replicate in range(sweep.replicates):
        if stop_event is not None and stop_event.is_set():
            break
        try:
            spec = sweep.trial_spec(params, replicate)
        except SpecError as e:
            outcome.state, outcome.reason = "FAILED", f"invalid settings: {e}"
            break
        if idempotent and parent_run_id is not None:
            earlier = _earlier_attempt(parent_run_id, tracking_uri, number, replicate)
            if earlier is not None:
                outcome.run_ids.append(earlier.info.run_id)
                reason = earlier.data.tags.get("stop_reason", "")
                if earlier.info.status == "KILLED":
                    outcome.state, outcome.reason = "PRUNED", reason
                    outcome.pruned_at = int(reason.rpartition(" ")[2] or 0)
                    break
                outcome.values.append(float(earlier.data.metrics.get(
                    f"final_{sweep.objective}", math.nan)))
                continue
        prune = (_Prune(sweep.objective, report_every, reporter)
                 if reporter is not None and replicate == 0 else None)
        tags = {SWEEP_TAG: parent_run_id, TRIAL_TAG: str(number),
                REPLICATE_TAG: str(replicate)}
        callbacks: list[nncore.Callback] = [prune] if prune else []
        if stop_event is not None:
            callbacks.append(_StopWithReason(stop_event))
        try:
            result = train(
                spec, tracking_uri=tracking_uri, track=parent_run_id is not None,
                source="sweep", callbacks=callbacks, stop_event=stop_event,
                experiment=experiment, run_name=f"trial {number}"
                + (f" · seed {spec.training.seed}" if sweep.replicates > 1 else ""),
                dataset=dataset if spec.dataset == sweep.base.dataset else None,
                tags=tags, parent_run_id=parent_run_id)
        except RunFailed as e:
            if e.run_id:
                outcome.run_ids.append(e.run_id)
            outcome.state, outcome.reason = "FAILED", str(e)
            break
        except TrackingError:
            raise
        except ExperimentError as e:   # bad data for these settings: this trial fails
            outcome.state, outcome.reason = "FAILED", str(e)
            break
        if result.run_id:
            outcome.run_ids.append(result.run_id)
        if prune is not None and prune.pruned_at is not None:
            outcome.state, outcome.pruned_at = "PRUNED", prune.pruned_at
            outcome.reason = result.stop_reason
            break
        if result.status == "KILLED":  # stopped by the user (the stop event)
            outcome.state, outcome.reason = "FAILED", result.stop_reason
            break
        value = result.metrics.get(sweep.objective, math.nan)
        outcome.values.append(float(value))
    if outcome.state == "COMPLETE":
        finite = [v for v in outcome.values if math.isfinite(v)]
        if len(finite) == sweep.replicates:
            outcome.value = statistics.fmean(finite)
            outcome.std = statistics.stdev(finite) if len(finite) > 1 else 0.0
        else:
            outcome.state = "FAILED"
            outcome.reason = (outcome.reason or "stopped before every replicate trained"
                              if len(outcome.values) < sweep.replicates
                              else f"{sweep.objective} is not a finite number")
    outcome.seconds = time.perf_counter() - started
    return outcome
