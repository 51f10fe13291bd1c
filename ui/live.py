"""A training run in a worker thread, watched live by the page and never left RUNNING.

Why a thread: Streamlit reruns the page script on every click. Training inside the
script would be interrupted by any widget change (Streamlit raises its
``RerunException``/``StopException``, ``BaseException`` subclasses, at the next
``st`` call) and ``experiments.runner.train`` would then end the MLflow run FAILED.
Here the script only starts a :class:`TrainingJob` and draws what it has done so
far; the page stays responsive while the job trains.

* :meth:`TrainingJob.request_stop`: the Stop button sets the ``stop_event`` that
  :func:`experiments.train` watches; leaving the Train page (or a closed tab, or
  the server stopping) makes :class:`LiveCallback` stop training with that reason.
  Either way training ends after the current epoch, the run ends KILLED and the
  partial model is kept.
* The thread, the URL token, the session watchdog and the shutdown hook are
  :class:`ui.jobs.BackgroundJob`'s (shared with the Sweep page's job):
  :class:`LiveCallback` looks at the browser session once a second and stops the run
  when it has been gone (tab closed) for more than :data:`SESSION_GRACE_S` seconds;
  the server shutting down stops every job.
* Live work is throttled by time (:class:`Throttle`): the decision-boundary grid
  is recomputed at most once per ``cost / budget`` seconds, and the page redraws
  on a timer (:func:`live_interval`), so the live view costs a small, measured
  share of training time (:attr:`TrainingJob.live_share`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

import nncore
from experiments import Dataset, RunFailed, RunResult, RunSpec, train
from experiments.evaluation import decision_grid
from experiments.formatting import format_duration
from experiments.frames import thin_positions
from ui.jobs import SESSION_GRACE_S as SESSION_GRACE_S  # the watchdog's grace, re-exported
from ui.jobs import BackgroundJob
from ui.jobs import session_alive as _session_alive

__all__ = ["LiveCallback", "Progress", "Throttle", "TrainingJob", "find_job", "live_interval"]

#: Share of training time the worker may spend on live decision grids.
GRID_BUDGET = 0.025
#: Share of training time the page may spend redrawing the live view.
REDRAW_BUDGET = 0.04
#: What a redraw is assumed to cost before one is measured (seconds of CPU): curves and
#: a live boundary measured 0.15-0.2 s on a 2-core machine (Altair builds and validates
#: three specs). Starting low made the first seconds redraw far above the budget.
INITIAL_REDRAW_COST = 0.15
#: Resolution of the live decision grid (the final one is finer).
LIVE_GRID_RESOLUTION = 32


class Throttle:
    """Say when work that costs time may run again, keeping it within a budget.

    After work that took ``c`` seconds, the next is allowed once
    ``max(min_interval, c / budget)`` seconds have passed since it started, so
    the work takes at most about ``budget`` of the wall-clock time.

    Parameters
    ----------
    budget : float
        Largest share of time the work may take, in (0, 1).
    min_interval : float
        Fewest seconds between two runs, however cheap.
    clock : callable
        Wall-clock time source in seconds (``time.perf_counter``; tests pass a fake).
    cost_clock : callable, optional
        Measures what the work costs; default ``clock``. The live view passes
        ``time.thread_time`` (CPU time of the thread) so waiting for the GIL held
        by another thread does not count as cost.
    """

    def __init__(self, budget: float = 0.05, min_interval: float = 0.25,
                 clock: Callable[[], float] = time.perf_counter,
                 cost_clock: Callable[[], float] | None = None) -> None:
        if not 0 < budget < 1:
            raise ValueError(f"budget must be in (0, 1); got {budget!r}")
        self.budget = budget
        self.min_interval = min_interval
        self.clock = clock
        self.cost_clock = cost_clock or clock
        self._next = float("-inf")
        self.spent = 0.0
        self.runs = 0

    def ready(self) -> bool:
        """True when the work may run now."""
        return self.clock() >= self._next

    def run(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` now, measure it and schedule the next allowed time."""
        start, start_cost = self.clock(), self.cost_clock()
        try:
            return work()
        finally:
            cost = self.cost_clock() - start_cost
            self.spent += cost
            self.runs += 1
            self._next = start + max(self.min_interval, cost / self.budget)


@dataclass(frozen=True)
class Progress:
    """Where a job is: epochs done, elapsed seconds and an estimate of what is left."""

    epoch: int
    total: int
    elapsed: float
    remaining: float | None

    @property
    def fraction(self) -> float:
        """Done share in [0, 1]."""
        return min(1.0, self.epoch / self.total) if self.total else 0.0

    def text(self) -> str:
        """``Epoch 120 / 1,000 · 1.2 s elapsed · about 9 s left``."""
        elapsed = format_duration(self.elapsed)
        if not self.epoch:
            return f"Starting: preparing the data and the MLflow run… ({elapsed})"
        parts = [f"Epoch {self.epoch:,} / {self.total:,}", f"{elapsed} elapsed"]
        if self.remaining is not None and self.epoch:
            parts.append(f"about {format_duration(self.remaining)} left")
        return " · ".join(parts)


class LiveCallback(nncore.Callback):
    """Collects epochs for the live view and stops training when nobody watches.

    Runs in the training thread after every epoch: appends the epoch's metrics
    (cheap), recomputes the decision grid of 2-D data within a time budget, and
    checks (at most once a second) whether the user asked to stop or the browser
    session is gone.

    Parameters
    ----------
    job : TrainingJob
        Where to put what it collects.
    clock : callable
        Time source (tests pass a fake).
    """

    def __init__(self, job: TrainingJob, clock: Callable[[], float] = time.perf_counter) -> None:
        self.job = job
        self.clock = clock
        self.grids = Throttle(GRID_BUDGET, min_interval=0.3, clock=clock,
                              cost_clock=time.thread_time if clock is time.perf_counter
                              else clock)
        self._next_check = 0.0

    def on_train_begin(self, model: Any, params: dict) -> None:
        self.job.fit_started = time.perf_counter()

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        job = self.job
        job.records.append({"epoch": epoch, **logs})
        if job.dataset.is_2d and self.grids.ready():
            grid = self.grids.run(lambda: decision_grid(model, job.dataset,
                                                        resolution=LIVE_GRID_RESOLUTION))
            job.grid = grid
            job.grid_epoch = epoch
            job.worker_live_seconds = self.grids.spent
        now = self.clock()
        if now >= self._next_check:
            self._next_check = now + 1.0
            self._watch(now)
        if job.halt.is_set():
            model.stop_training = True
            model.stop_reason = f"{job.stop_reason} after epoch {epoch}"

    def _watch(self, now: float) -> None:
        """One look of the job's watchdog (:meth:`ui.jobs.BackgroundJob.check_session`)."""
        self.job.check_session(now, _session_alive(self.job.session_id))


class TrainingJob(BackgroundJob):
    """One run of :func:`experiments.train` in a worker thread.

    The page keeps the job in ``st.session_state`` (never in a cache) and reads
    its fields while it trains; only the worker writes them. The thread, the URL
    token, the watchdog and the shutdown hook are :class:`ui.jobs.BackgroundJob`'s.

    Parameters
    ----------
    spec : RunSpec
        What to train.
    dataset : Dataset
        The loaded data for ``spec.dataset``.
    tracking_uri : str
        The MLflow store.
    session_id : str, optional
        The Streamlit session watching it (the watchdog stops the run when the
        session disconnects for good).
    before : callable, optional
        Called in the worker before training (e.g. wait for the store's warm-up).

    Attributes
    ----------
    records : list of dict
        One ``{"epoch": e, "train_loss": ..., ...}`` per finished epoch.
    grid : DataFrame or None
        The latest decision grid (2-D data), from ``grid_epoch``.
    result : RunResult or None
        Set when training returned (FINISHED or KILLED).
    failure : RunFailed or None
        Set when training diverged or failed.
    error : str or None
        A setting or store problem found before training started.
    """

    thread_name = "nncore-training"
    what = "training"

    def __init__(self, spec: RunSpec, dataset: Dataset, tracking_uri: str,
                 session_id: str | None = None,
                 before: Callable[[], None] | None = None) -> None:
        super().__init__(session_id=session_id, before=before)
        self.spec = spec
        self.dataset = dataset
        self.tracking_uri = tracking_uri
        self.total_epochs = spec.training.epochs
        self.stop_event = threading.Event()
        self.halt = threading.Event()
        self.stop_reason: str | None = None
        self.records: list[dict[str, float]] = []
        self.grid: pd.DataFrame | None = None
        self.grid_epoch = 0
        self.result: RunResult | None = None
        self.failure: RunFailed | None = None
        self.worker_live_seconds = 0.0
        self.page_live_seconds = 0.0
        self.page_redraws = 0
        # Moving average of one redraw's CPU seconds, starting from a typical cost so
        # the first redraws already keep to the budget.
        self.redraw_cost = INITIAL_REDRAW_COST
        self.fit_started: float | None = None
        self._points: pd.DataFrame | None = None

    # -- control ------------------------------------------------------------------

    def request_stop(self, reason: str | None = None) -> None:
        """Ask training to stop after the current epoch (the run ends KILLED).

        Parameters
        ----------
        reason : str, optional
            Why, for the run's ``stop_reason`` tag. None: the user pressed Stop
            (``experiments.train``'s ``stop_event``, tagged "stopped by the user").
        """
        if reason is None:
            self.stop_event.set()
            return
        if self.stop_reason is None:
            self.stop_reason = reason
        self.halt.set()

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self.stop_event.is_set() or self.halt.is_set()

    # -- reading ------------------------------------------------------------------

    def progress(self) -> Progress:
        """Epochs done, elapsed time and an estimate of the time left.

        The rate is measured from the first epoch on, so the seconds spent creating
        the MLflow run do not inflate the estimate.
        """
        epoch = len(self.records)
        end = self.finished if self.finished is not None else time.perf_counter()
        elapsed = end - self.started
        remaining = None
        if epoch and self.fit_started is not None:
            remaining = (end - self.fit_started) / epoch * (self.total_epochs - epoch)
        return Progress(epoch, self.total_epochs, elapsed, remaining)

    def recent_records(self, max_points: int = 300) -> list[dict[str, float]]:
        """The epoch records, thinned to at most ``max_points`` for the live curves.

        The rule of :func:`experiments.frames.thin` (evenly spaced, the first and the
        last epoch kept), applied before the records become a frame so a long run's
        redraw stays cheap.
        """
        records = self.records[:]  # a snapshot: the worker keeps appending
        return [records[i] for i in thin_positions(len(records), max_points)]

    def points(self) -> pd.DataFrame:
        """The data as a tidy frame (made once per job, for the live boundary)."""
        if self._points is None:
            self._points = self.dataset.frame()
        return self._points

    @property
    def live_share(self) -> float:
        """Share of the elapsed time spent on the live view (grids plus redraws)."""
        elapsed = self.progress().elapsed
        spent = self.worker_live_seconds + self.page_live_seconds
        return spent / elapsed if elapsed > 0 else 0.0

    @property
    def status(self) -> str:
        """``RUNNING``, ``FINISHED``, ``KILLED``, ``FAILED`` or ``ERROR``."""
        if self.running:
            return "RUNNING"
        if self.result is not None:
            return self.result.status
        return "FAILED" if self.failure is not None else "ERROR"

    # -- the worker ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            self.result = train(
                self.spec, tracking_uri=self.tracking_uri, source="dashboard",
                callbacks=[LiveCallback(self)], stop_event=self.stop_event,
                dataset=self.dataset,
            )
        except RunFailed as e:
            self.failure = e

    def record_redraw(self, seconds: float) -> None:
        """Account for one redraw of the live view that took ``seconds`` of CPU time."""
        self.page_live_seconds += seconds
        self.page_redraws += 1
        if self.page_redraws == 1:   # the first measurement replaces the initial guess
            self.redraw_cost = seconds
        else:
            self.redraw_cost += 0.5 * (seconds - self.redraw_cost)


def live_interval(job: TrainingJob, budget: float = REDRAW_BUDGET, floor: float = 0.5) -> float:
    """Seconds between two redraws of the live view, from what recent redraws cost.

    Parameters
    ----------
    job : TrainingJob
        Its measured redraw cost (a moving average, so the interval follows the
        charts as they grow).
    budget : float
        Largest share of time redraws may take.
    floor : float
        Shortest interval.
    """
    return max(floor, job.redraw_cost / budget)


def find_job(token: str) -> TrainingJob | None:
    """The training job with this :attr:`TrainingJob.token` that this server still holds."""
    return TrainingJob.find(token)
