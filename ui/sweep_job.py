"""A sweep in a worker thread, watched by the Sweep page and stoppable from it.

Like :class:`ui.live.TrainingJob`: the page keeps the job in ``st.session_state`` (never
in a cache), starts it, and reads what it has done so far on every redraw; the worker
thread is the only writer. :meth:`SweepJob.request_stop` sets the stop event that
:func:`experiments.sweeps.run_sweep` watches: the running trials end KILLED, then the
parent. A server that shuts down stops every sweep it runs.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import pandas as pd

from experiments import ExperimentError
from experiments.formatting import format_duration
from experiments.sweeps import SweepResult, SweepSpec, run_sweep
from experiments.sweeps.engine import trials_frame

__all__ = ["SweepJob"]

_LOG = logging.getLogger(__name__)
_JOBS: weakref.WeakSet[SweepJob] = weakref.WeakSet()


class SweepJob:
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

    Attributes
    ----------
    outcomes : list of TrialOutcome
        The trials done so far, in the order they finished.
    result : SweepResult or None
        Set when the sweep returned (FINISHED or KILLED).
    error : str or None
        Why the sweep could not run or failed.
    """

    def __init__(self, spec: SweepSpec, tracking_uri: str, workers: int = 1,
                 before: Callable[[], None] | None = None) -> None:
        self.spec = spec
        self.tracking_uri = tracking_uri
        self.workers = workers
        self.before = before
        self.stop_event = threading.Event()
        self.done = threading.Event()
        self.outcomes: list[Any] = []
        self.result: SweepResult | None = None
        self.error: str | None = None
        self.started = time.perf_counter()
        self.finished: float | None = None
        #: Set by the page once it has taken in the sweep's end (caches cleared, the
        #: results switched to this sweep).
        self.reported = False
        self._thread = threading.Thread(target=self._work, name="nncore-sweep", daemon=True)

    # -- control ----------------------------------------------------------------------
    def start(self) -> SweepJob:
        """Start the sweep in the worker thread; returns the job."""
        _JOBS.add(self)
        self.started = time.perf_counter()
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Stop the sweep: running trials end KILLED, no more start, the parent KILLED."""
        self.stop_event.set()

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self.stop_event.is_set()

    @property
    def running(self) -> bool:
        """True while the worker runs the sweep."""
        return not self.done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the sweep is done; True if it is."""
        return self.done.wait(timeout)

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

    def _work(self) -> None:
        try:
            if self.before is not None:
                self.before()
            self.result = run_sweep(self.spec, tracking_uri=self.tracking_uri,
                                    workers=self.workers, stop_event=self.stop_event,
                                    on_trial=self._on_trial)
        except ExperimentError as e:
            self.error = str(e)
        except Exception as e:  # never let a worker die silently
            _LOG.error("the sweep failed unexpectedly:\n%s", traceback.format_exc())
            self.error = f"the sweep failed: {type(e).__name__}: {e}"
        finally:
            self.finished = time.perf_counter()
            self.done.set()


def _stop_all() -> None:  # pragma: no cover - runs at interpreter exit
    jobs = [job for job in list(_JOBS) if job.running]
    for job in jobs:
        job.request_stop()
    for job in jobs:
        job.wait(30.0)


_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(_stop_all)
else:  # pragma: no cover - other Python implementations
    atexit.register(_stop_all)
