"""Long work in a worker thread, watched by a page and never left running unwatched.

What a training run (:class:`ui.live.TrainingJob`) and a sweep
(:class:`ui.sweep_job.SweepJob`) launched from the dashboard share:

* **a worker thread** that runs the job's work once (:meth:`BackgroundJob._run`) and
  never dies silently: an expected :class:`~experiments.ExperimentError` becomes
  :attr:`BackgroundJob.error`, anything else is logged and reported the same way;
* **a token** for the page's URL, so a reload (a new browser session) finds the job again
  (:meth:`BackgroundJob.find`) and :meth:`~BackgroundJob.attach`-es to it;
* **a session watchdog**: the job remembers the Streamlit session watching it; once that
  session has been disconnected for more than :data:`SESSION_GRACE_S` seconds (the tab was
  closed, not a reload or a network blip), the job is asked to stop with
  :data:`TAB_CLOSED` as the reason. A training run checks from its epoch callback, a sweep
  from a small watcher thread (:meth:`BackgroundJob.watch_sessions`);
* **a shutdown hook**: when the server stops, every running job is asked to stop with
  :data:`SERVER_STOPPED` and given a little time to record it.

Each job says how it stops (:meth:`BackgroundJob.request_stop`): the runs it trains end
KILLED with the reason as their ``stop_reason`` tag.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable
from typing import TypeVar

from experiments import ExperimentError

__all__ = ["SERVER_STOPPED", "SESSION_GRACE_S", "TAB_CLOSED", "BackgroundJob", "SessionWatch",
           "current_session_id", "session_alive"]

_LOG = logging.getLogger(__name__)
#: Seconds a browser session may be disconnected before its job is stopped (a reload or a
#: network blip reconnects within this time). ``NNCORE_SESSION_GRACE_S`` overrides it.
SESSION_GRACE_S = float(os.environ.get("NNCORE_SESSION_GRACE_S", "15"))
#: The stop reason when the watching session is gone for good.
TAB_CLOSED = "the browser tab was closed"
#: The stop reason when the server shuts down.
SERVER_STOPPED = "the dashboard server stopped"

_JOBS: weakref.WeakSet[BackgroundJob] = weakref.WeakSet()
J = TypeVar("J", bound="BackgroundJob")


def session_alive(session_id: str | None) -> bool | None:
    """Whether the Streamlit session is connected (None: unknown, outside a running server).

    Parameters
    ----------
    session_id : str or None
        From ``get_script_run_ctx().session_id``.

    Returns
    -------
    bool or None
        None when there is no session id or no running Streamlit server (AppTest, a
        script): the watchdog then never stops the job.
    """
    if session_id is None:
        return None
    try:
        from streamlit import runtime

        if not runtime.exists():
            return None
        return runtime.get_instance().is_active_session(session_id)
    except Exception:  # pragma: no cover - Streamlit internals moved
        return None


def current_session_id() -> str | None:
    """The id of the Streamlit session running this script (None outside one)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


class SessionWatch:
    """Says when the session watching a job has been gone for longer than a grace period.

    Parameters
    ----------
    grace : float, optional
        Seconds of disconnection tolerated; default :data:`SESSION_GRACE_S`.
    """

    def __init__(self, grace: float | None = None) -> None:
        self.grace = SESSION_GRACE_S if grace is None else grace
        self._gone_since: float | None = None

    def gone_for_good(self, alive: bool | None, now: float) -> bool:
        """Record one look at the session; True once it has been gone for over ``grace``.

        Parameters
        ----------
        alive : bool or None
            :func:`session_alive`'s answer (None, unknown, counts as connected).
        now : float
            The time of the look, in seconds (any monotonic clock).
        """
        if alive is None or alive:
            self._gone_since = None
            return False
        if self._gone_since is None:
            self._gone_since = now
        return now - self._gone_since > self.grace


class BackgroundJob:
    """Work in a worker thread that a page starts, reads while it runs, and can stop.

    The page keeps the job in ``st.session_state`` (never in a cache) and reads its
    fields; only the worker writes them. Subclasses implement :meth:`_run` (the work),
    :meth:`request_stop` and :attr:`stopping`.

    Parameters
    ----------
    session_id : str, optional
        The Streamlit session watching it (the watchdog stops the job when that
        session disconnects for good).
    before : callable, optional
        Called in the worker before the work (e.g. wait for the store's warm-up).
    grace : float, optional
        Seconds the watching session may be gone; default :data:`SESSION_GRACE_S`.
    is_alive : callable, optional
        ``is_alive(session_id) -> bool | None``; default :func:`session_alive`.

    Attributes
    ----------
    token : str
        Names the job in the page's URL, so a reload (a new session) can reattach.
    error : str or None
        Why the work could not run or failed.
    started, finished : float
        ``time.perf_counter()`` at the start and the end (None while running).
    """

    #: The worker thread's name.
    thread_name = "nncore-job"
    #: What failed, in the message of an unexpected error ("training failed unexpectedly").
    what = "the job"
    #: True: :meth:`start` also starts a thread that runs :meth:`watch_sessions` (a job
    #: without a hook of its own to look at the session from).
    watch_in_thread = False
    #: Seconds the shutdown hook waits for a stopped job to record its end.
    stop_wait = 10.0

    def __init__(self, *, session_id: str | None = None,
                 before: Callable[[], None] | None = None, grace: float | None = None,
                 is_alive: Callable[[str | None], bool | None] | None = None) -> None:
        self.session_id = session_id
        self.before = before
        self.token = uuid.uuid4().hex[:12]
        self.watch = SessionWatch(grace)
        self.is_alive = is_alive or session_alive
        self.done = threading.Event()
        self.error: str | None = None
        self.started = time.perf_counter()
        self.finished: float | None = None
        self._thread = threading.Thread(target=self._work, name=self.thread_name, daemon=True)

    # -- control ----------------------------------------------------------------------
    def start(self: J) -> J:
        """Start the work in the worker thread (and the watchdog); returns the job."""
        _JOBS.add(self)
        self.started = time.perf_counter()
        self._thread.start()
        if self.watch_in_thread:
            threading.Thread(target=self.watch_sessions, name=f"{self.thread_name}-watchdog",
                             daemon=True).start()
        return self

    def attach(self: J, session_id: str | None) -> J:
        """Let another browser session watch the job (a reload of the page).

        The watchdog then follows the new session (from a fresh start): the old one
        being gone no longer stops the job. Returns the job.
        """
        self.session_id = session_id
        self.watch = SessionWatch(self.watch.grace)
        return self

    def request_stop(self, reason: str | None = None) -> None:
        """Ask the work to stop cleanly (None: the user pressed Stop)."""
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done; True if it is."""
        return self.done.wait(timeout)

    @property
    def running(self) -> bool:
        """True while the worker works."""
        return not self.done.is_set()

    # -- the watchdog -----------------------------------------------------------------
    def check_session(self, now: float, alive: bool | None) -> bool:
        """Take in one look at the watching session; stop the job if it is gone for good.

        Parameters
        ----------
        now : float
            The time of the look in seconds (a monotonic clock).
        alive : bool or None
            Whether the session is connected (``self.is_alive(self.session_id)``;
            None, unknown, counts as connected).

        Returns
        -------
        bool
            True when this look stopped the job (:data:`TAB_CLOSED`).
        """
        if self.watch.gone_for_good(alive, now) and not self.stopping:
            self.request_stop(TAB_CLOSED)
            return True
        return False

    def watch_sessions(self, interval: float = 1.0,
                       clock: Callable[[], float] = time.monotonic) -> None:
        """Look at the watching session every ``interval`` seconds until the job ends."""
        while not self.done.wait(interval):
            try:
                self.check_session(clock(), self.is_alive(self.session_id))
            except Exception:  # pragma: no cover - never let the watchdog die loudly
                _LOG.exception("the session watchdog failed")

    # -- the worker -------------------------------------------------------------------
    def _run(self) -> None:
        """The work, in the worker thread (subclasses)."""
        raise NotImplementedError

    def _work(self) -> None:
        try:
            if self.before is not None:
                self.before()
            self._run()
        except ExperimentError as e:
            self.error = str(e)
        except Exception as e:  # never let a worker die silently
            _LOG.error("%s failed unexpectedly:\n%s", self.what, traceback.format_exc())
            self.error = f"{self.what} failed unexpectedly: {type(e).__name__}: {e}"
        finally:
            self.finished = time.perf_counter()
            self.done.set()

    # -- the registry -----------------------------------------------------------------
    @classmethod
    def find(cls: type[J], token: str) -> J | None:
        """The job of this class with this :attr:`token` that this server still holds."""
        return next((job for job in list(_JOBS)
                     if isinstance(job, cls) and job.token == token), None)


def _stop_all_jobs() -> None:  # pragma: no cover - runs at interpreter exit
    jobs = [job for job in list(_JOBS) if job.running]
    for job in jobs:
        job.request_stop(SERVER_STOPPED)
    for job in jobs:
        job.wait(job.stop_wait)


# Run before concurrent.futures refuses new work at shutdown (MLflow uploads artifacts
# through a thread pool), so a stopped run can still be recorded KILLED with its model.
_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(_stop_all_jobs)
else:  # pragma: no cover - other Python implementations
    atexit.register(_stop_all_jobs)
