"""A sweep in a worker thread, watched by the Sweep page and stoppable from it.

A :class:`ui.jobs.BackgroundJob`, like the Train page's :class:`ui.live.TrainingJob`: the
page keeps the job in ``st.session_state`` (never in a cache), starts it, and reads what it
has done so far on every redraw; the worker thread is the only writer.
:meth:`SweepJob.request_stop` stops the :class:`~experiments.sweeps.StopRequest` that
:func:`experiments.sweeps.run_sweep` watches: no more trials start, the running trials
end KILLED, then the parent, each with the reason as ``stop_reason``:

* the Stop button: "stopped by the user";
* the browser tab closed: a watchdog thread looks at the session that launched (or
  last reattached to) the sweep once a second; gone for more than
  :data:`ui.jobs.SESSION_GRACE_S` seconds, the sweep stops with "the browser tab was
  closed". Moving to another page of the dashboard keeps the session, so the sweep
  goes on;
* the server shutting down: "the dashboard server stopped".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from experiments.formatting import format_duration
from experiments.sweeps import StopRequest, SweepResult, SweepSpec, run_sweep
from experiments.sweeps.engine import trials_frame
from ui.jobs import BackgroundJob

__all__ = ["SweepJob"]


class SweepJob(BackgroundJob):
    """One :func:`experiments.sweeps.run_sweep` in a worker thread.

    Parameters
    ----------
    spec : SweepSpec
    tracking_uri : str
    workers : int
        1 trains trials one after another in the worker thread; more start a Dask
        LocalCluster of that many processes.
    before : callable, optional
        Called in the worker before the sweep (e.g. wait for the store's warm-up).
    session_id : str, optional
        The Streamlit session watching it: once it has been disconnected for more
        than ``grace`` seconds, the sweep stops ("the browser tab was closed").
    grace : float, optional
        Seconds the session may be gone; default :data:`ui.jobs.SESSION_GRACE_S`.
    is_alive : callable, optional
        ``is_alive(session_id) -> bool | None``; default :func:`ui.jobs.session_alive`.

    Attributes
    ----------
    outcomes : list of TrialOutcome
        The trials done so far, in the order they finished.
    result : SweepResult or None
        Set when the sweep returned (FINISHED or KILLED).
    error : str or None
        Why the sweep could not run or failed.
    """

    thread_name = "nncore-sweep"
    what = "the sweep"
    watch_in_thread = True   # the trials run in run_sweep (or on Dask): no hook to look from
    stop_wait = 30.0

    def __init__(self, spec: SweepSpec, tracking_uri: str, workers: int = 1,
                 before: Callable[[], None] | None = None, *, session_id: str | None = None,
                 grace: float | None = None,
                 is_alive: Callable[[str | None], bool | None] | None = None) -> None:
        super().__init__(session_id=session_id, before=before, grace=grace,
                         is_alive=is_alive)
        self.spec = spec
        self.tracking_uri = tracking_uri
        self.workers = workers
        self.stop_event = StopRequest()
        self.outcomes: list[Any] = []
        self.result: SweepResult | None = None
        #: Set by the page once it has taken in the sweep's end (caches cleared, the
        #: results switched to this sweep).
        self.reported = False

    # -- control ----------------------------------------------------------------------
    def request_stop(self, reason: str | None = None) -> None:
        """Stop the sweep: no more trials start, the running ones end KILLED, then the parent.

        Parameters
        ----------
        reason : str, optional
            Why, for the runs' ``stop_reason`` (the first reason given stays); None:
            the user pressed Stop ("stopped by the user").
        """
        self.stop_event.stop(reason)

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self.stop_event.is_set()

    @property
    def stop_reason(self) -> str | None:
        """Why the sweep was stopped, when something other than the user stopped it."""
        return self.stop_event.reason

    # -- reading ----------------------------------------------------------------------
    def trials(self) -> pd.DataFrame:
        """The trials done so far (:func:`experiments.sweeps.engine.trials_frame`)."""
        if self.result is not None:
            return self.result.trials
        return trials_frame(self.spec, list(self.outcomes))

    def progress_text(self) -> str:
        """``Trial 3 of 12 done · 4.2 s elapsed · stopping…``."""
        end = self.finished if self.finished is not None else time.perf_counter()
        parts = [f"{len(self.outcomes)} of {self.spec.trials} trials done",
                 f"{format_duration(end - self.started)} elapsed"]
        if self.stopping and self.running:
            parts.append("stopping…")
        elif not self.outcomes and self.running:
            parts[0] = ("Starting: creating the parent run"
                        + (f" and a cluster of {self.workers} workers" if self.workers > 1
                           else ""))
        return " · ".join(parts)

    @property
    def fraction(self) -> float:
        """Trials done, as a share of the trials asked."""
        return min(1.0, len(self.outcomes) / self.spec.trials) if self.spec.trials else 0.0

    @property
    def parent_run_id(self) -> str | None:
        """The sweep's parent run, once it has ended."""
        return self.result.parent_run_id if self.result is not None else None

    # -- the worker -------------------------------------------------------------------
    def _on_trial(self, outcome: Any, done: int, total: int, best: Any) -> None:
        self.outcomes.append(outcome)

    def _run(self) -> None:
        self.result = run_sweep(self.spec, tracking_uri=self.tracking_uri,
                                workers=self.workers, stop_event=self.stop_event,
                                on_trial=self._on_trial)
