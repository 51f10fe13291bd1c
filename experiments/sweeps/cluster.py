"""Trials as tasks on a ``dask.distributed`` cluster.

The driver keeps as many trials in flight as the cluster has worker threads: it asks
Optuna for settings, submits :func:`trial_task` (``pure=False``: two trials with the same
settings are two tasks), and tells Optuna each result as it comes. The study lives in an
``optuna_integration.dask.DaskStorage`` on the scheduler, so workers report the objective
to it and ask whether to prune. Stopping sets a ``distributed.Event`` the running tasks
watch; queued tasks are cancelled.

What a cluster does that one process does not, handled here:

* Dask runs a task again when a worker is lost (at-least-once): trials are idempotent
  (see :func:`experiments.sweeps.trial.run_trial`, ``idempotent=True``).
* A scheduler or worker that cannot import the project fails deserialising tasks, and the
  driver would wait forever: :func:`check_cluster` imports it everywhere first.
* ``DaskStorage`` is experimental and says so each time it is built, i.e. each time a task
  carrying it is unpickled on the scheduler or a worker: :func:`quiet_cluster` filters that
  one warning there (and in workers that join later), :func:`~experiments.sweeps.search.
  quiet_optuna` in the driver.
* Worker processes are spawned, and spawning runs the parent's ``__main__`` again: a
  LocalCluster's workers skip it (:mod:`experiments.sweeps.spawn`).
* A LocalCluster's nannies kill a worker process that has not exited 4 s after being asked
  to, and log a warning saying so; at the end of a sweep every trial has ended (or the stop
  grace has passed), so that line is dropped while the sweep's own LocalCluster closes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from experiments.errors import ExperimentError
from experiments.sweeps.search import create_study, make_pruner, pruner_steps, suggest
from experiments.sweeps.spawn import workers_without_main
from experiments.sweeps.spec import SweepSpec
from experiments.sweeps.trial import StopRequest, TrialOutcome, run_trial, stop_reason_of

__all__ = ["ClusterError", "check_cluster", "run_on_cluster", "trial_task"]

#: What every process of the cluster must import: the trial code and the search.
REQUIRED = ("nncore", "experiments.sweeps.cluster", "optuna", "optuna_integration.dask",
            "mlflow")
#: Seconds a stopping sweep waits for running trials to end their runs KILLED.
STOP_GRACE = 60.0


class ClusterError(ExperimentError):
    """The Dask cluster cannot run the sweep (unreachable, or missing the project)."""


def check_cluster(client: Any) -> int:
    """Check that the scheduler and every worker import the project; return the threads.

    Raises
    ------
    ClusterError
        One line naming what is missing where, or a cluster without workers.
    """
    # The check itself must travel without the project: exec of a code string does.
    code = ("import importlib\n"
            "def problem(names):\n"
            "    for name in names:\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception as e:\n"
            "            return f'{name} ({type(e).__name__}: {e})'\n")
    probe = _probe_function(code)
    missing = client.run_on_scheduler(probe, ("optuna", "optuna_integration.dask"))
    if missing:
        raise ClusterError(f"the Dask scheduler cannot import {missing}; install the project's "
                           "requirements where the scheduler runs (see README: sweeps on a "
                           "cluster)")
    workers = client.scheduler_info().get("workers", {})
    if not workers:
        raise ClusterError("the Dask cluster has no workers; start some with "
                           "`dask worker ADDRESS` (see README: sweeps on a cluster)")
    for address, problem in client.run(probe, REQUIRED, on_error="return").items():
        if problem:
            raise ClusterError(
                f"Dask worker {address} cannot import {problem}; install the project and its "
                "requirements on every worker machine (pip install -e . in a checkout) and "
                "start `dask worker` from that environment")
    return sum(int(w.get("nthreads", 1)) for w in workers.values())


def _probe_function(code: str, name: str = "problem") -> Any:
    """A function (or class) defined from source: pickled by value, so it runs where the
    project cannot be imported (the scheduler needs only Dask and Optuna)."""
    namespace: dict[str, Any] = {}
    exec(compile(code, "<experiments cluster code>", "exec"), namespace)
    return namespace[name]


#: Filters Optuna's "DaskStorage is experimental" warning: a function for the scheduler
#: and a worker plugin (workers that join or restart later get it too).
_QUIET_CODE = ("import warnings\n"
               "from distributed.diagnostics.plugin import WorkerPlugin\n"
               "def quiet():\n"
               "    warnings.filterwarnings('ignore', message='DaskStorage is experimental')\n"
               "class QuietOptuna(WorkerPlugin):\n"
               "    name = 'experiments-quiet-optuna'\n"
               "    def setup(self, worker):\n"
               "        quiet()\n")


def quiet_cluster(client: Any) -> None:
    """Filter ``DaskStorage``'s ExperimentalWarning on the scheduler and every worker."""
    client.run_on_scheduler(_probe_function(_QUIET_CODE, "quiet"))
    client.register_plugin(_probe_function(_QUIET_CODE, "QuietOptuna")())


class _DropNannyKill(logging.Filter):
    """Drops the nannies' "Worker process still alive after N seconds, killing" line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Worker process still alive after")


@contextlib.contextmanager
def quiet_nanny_kills() -> Any:
    """While a sweep's own LocalCluster closes: its nannies' kill warnings are dropped."""
    logger = logging.getLogger("distributed.nanny")
    drop = _DropNannyKill()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def _stop_watcher(event: Any, reason: Any, local: StopRequest, done: threading.Event
                  ) -> None:
    """On a worker: stop ``local`` once the sweep's distributed Event is set, with the
    reason the driver put in the ``reason`` Variable (if any)."""
    while not done.is_set():
        try:
            if event.wait(timeout=0.5):
                why = None
                with contextlib.suppress(Exception):  # no reason given: a plain stop
                    why = reason.get(timeout=1)
                local.stop(why if isinstance(why, str) else None)
                return
        except Exception:  # the scheduler is going away; the task ends with it
            time.sleep(0.5)


def trial_task(sweep: SweepSpec, number: int, trial_id: int, params: dict[str, Any], *,
               storage: Any, study_name: str, parent_run_id: str | None,
               tracking_uri: str | None, experiment: str | None, stop_event_name: str
               ) -> TrialOutcome:
    """What a Dask worker runs for one trial (idempotent: safe to run twice)."""
    reporter = None
    if sweep.pruner != "none":
        import optuna

        study = optuna.load_study(study_name=study_name, storage=storage,
                                  pruner=make_pruner(sweep))
        trial = optuna.trial.Trial(study, trial_id)

        def reporter(value: float, epoch: int) -> bool:
            trial.report(value, epoch)
            return bool(trial.should_prune())

    from distributed import Event, Variable, get_client

    # Bound to the worker's client here: the watcher thread has no worker context.
    event = Event(stop_event_name, client=get_client())
    reason = Variable(_reason_name(stop_event_name), client=get_client())
    stop, done = StopRequest(), threading.Event()
    watcher = threading.Thread(target=_stop_watcher, args=(event, reason, stop, done),
                               daemon=True)
    watcher.start()
    try:
        return run_trial(sweep, number, params, parent_run_id=parent_run_id,
                         tracking_uri=tracking_uri, experiment=experiment, reporter=reporter,
                         report_every=pruner_steps(sweep), stop_event=stop, idempotent=True)
    finally:
        done.set()


def _connect(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as e:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler} ({e}); start "
                               "it with `dask scheduler` and pass the address it prints") from None
    # No dashboard; the scheduler's small HTTP server (health, metrics) still starts, by
    # default on port 8787 of every interface: a free loopback port instead, so a second
    # sweep or a running `dask scheduler` does not make it warn "8787 is already in use".
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None,
                           scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    return Client(cluster), cluster


def run_on_cluster(sweep: SweepSpec, parent: Any, tracking_uri: str | None,
                   experiment: str | None, stop_event: threading.Event,
                   record: Callable[[TrialOutcome], None], *, workers: int,
                   scheduler: str | None) -> None:
    """Run the sweep's trials on a Dask cluster (see the module's notes).

    A LocalCluster started here spawns workers that skip this process's ``__main__``
    (:mod:`experiments.sweeps.spawn`).
    """
    with workers_without_main() if scheduler is None else contextlib.nullcontext():
        _run_on_cluster(sweep, parent, tracking_uri, experiment, stop_event, record,
                        workers=workers, scheduler=scheduler)


def _run_on_cluster(sweep: SweepSpec, parent: Any, tracking_uri: str | None,
                    experiment: str | None, stop_event: threading.Event,
                    record: Callable[[TrialOutcome], None], *, workers: int,
                    scheduler: str | None) -> None:
    import optuna
    from distributed import Event, wait
    from optuna_integration.dask import DaskStorage

    client, cluster = _connect(workers, scheduler)
    try:
        threads = check_cluster(client)
        quiet_cluster(client)
        in_flight_max = min(threads, workers) if workers > 1 else threads
        study_name = f"sweep-{parent.run_id if parent else id(sweep)}"
        with warnings.catch_warnings():  # "DaskStorage is experimental": it is what works
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = DaskStorage(client=client)
        study = create_study(sweep, storage=storage, study_name=study_name)
        stop_name = f"{study_name}-stop"
        stop = Event(stop_name, client=client)
        pending: dict[Any, Any] = {}
        asked = 0

        def submit() -> None:
            nonlocal asked
            trial = study.ask()
            asked += 1
            params = suggest(trial, sweep)
            future = client.submit(
                trial_task, sweep, trial.number, trial._trial_id, params, storage=storage,
                study_name=study_name, parent_run_id=parent.run_id if parent else None,
                tracking_uri=tracking_uri, experiment=experiment, stop_event_name=stop_name,
                pure=False, retries=0)
            pending[future] = trial

        try:
            while asked < min(in_flight_max, sweep.trials):
                submit()
            while pending:
                if stop_event.is_set():
                    raise _Stop
                try:  # short waits, so a stop is seen within half a second
                    done, _ = wait(list(pending), timeout=0.5, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for future in done:
                    trial = pending.pop(future)
                    outcome = future.result()
                    _tell(study, trial, outcome, optuna)
                    if stop_event.is_set() and outcome.state != "COMPLETE":
                        continue
                    record(outcome)
                    if asked < sweep.trials and not stop_event.is_set():
                        submit()
        except BaseException as e:
            why = stop_reason_of(stop_event) if isinstance(e, _Stop) else None
            _stop_running(client, stop, pending, study, optuna, reason=why)
            if not isinstance(e, _Stop):
                raise
    finally:
        client.close()
        if cluster is not None:
            with quiet_nanny_kills():
                cluster.close()


class _Stop(Exception):
    """The stop event was set: end the running trials and return."""


def _tell(study: Any, trial: Any, outcome: TrialOutcome, optuna: Any) -> None:
    if outcome.state == "COMPLETE":
        study.tell(trial, outcome.value)
    else:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED
                   if outcome.state == "PRUNED" else optuna.trial.TrialState.FAIL)


def _reason_name(stop_event_name: str) -> str:
    """The distributed Variable holding why the sweep stops (beside its stop Event)."""
    return f"{stop_event_name}-reason"


def _stop_running(client: Any, stop: Any, pending: dict[Any, Any], study: Any,
                  optuna: Any, reason: str | None = None) -> None:
    """Signal running trials (with ``reason`` for their runs' ``stop_reason``), cancel
    queued ones, wait for the running ones to end."""
    try:
        if reason:
            from distributed import Variable

            Variable(_reason_name(stop.name), client=client).set(reason)
        stop.set()
        queued = [f for f in pending if f.status == "pending"
                  and not _is_running(client, f)]
        client.cancel(queued)
        deadline = time.monotonic() + STOP_GRACE
        running = [f for f in pending if f not in queued]
        while running and time.monotonic() < deadline:
            running = [f for f in running if not f.done()]
            time.sleep(0.2)
        for trial in pending.values():
            with contextlib.suppress(Exception):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
    except Exception:  # the cluster is gone: the orphan cleanup ends what is left
        pass


def _is_running(client: Any, future: Any) -> bool:
    try:
        processing = client.processing()
    except Exception:
        return True
    return any(future.key in keys for keys in processing.values())
