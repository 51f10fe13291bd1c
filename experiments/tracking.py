"""Recording runs in MLflow through one client bound to one run.

Nothing here uses MLflow's fluent API (``mlflow.start_run`` and its global
active run): the dashboard trains in many sessions and threads at once, so each
:class:`RunTracker` holds its own :class:`mlflow.MlflowClient` and run id.

* Params go in one ``log_batch`` call, metrics are buffered and sent with
  ``log_batch`` (at most 1000 values per call), artifacts are written to a local
  folder and uploaded together.
* Few round trips to a tracking server (each costs ~20 ms): the store's health and the
  experiment's id are looked up once per process (for :data:`CHECK_TTL` seconds and
  until a run creation fails, respectively), artifacts go straight to the artifact
  repository whose address the run and the logged model already carry (no ``get_run``
  or ``get_logged_model`` first), files upload in parallel, and ending a run does not
  fetch it again to print MLflow's "View run" link (``MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT``
  defaults to true; the CLI prints its own link). One tracked run with its model costs a
  server the requests listed in ``benchmarks/bench_sweeps.py``'s report.
* :class:`MetricsLogger` keeps the MLflow curves of long runs light: at most
  ``max_points`` points per metric, always including the first and the last
  epoch. The full-resolution history goes into an artifact table.
* A run always ends: FINISHED, FAILED (reason in the ``failure_reason`` tag) or
  KILLED. Used as a context manager, a tracker ends the run whatever happens.

mlflow is imported lazily, so ``import experiments`` stays quick.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from experiments._quiet import quiet_mlflow_hints
from experiments.errors import TrackingError

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "DEFAULT_TRACKING_URI",
    "MARKED_KILLED",
    "MetricsLogger",
    "RunTracker",
    "Terminated",
    "absolute_sqlite_uri",
    "check_tracking_uri",
    "git_commit",
    "mark_killed",
    "mlflow_client",
    "redact_uri",
    "resolve_tracking_uri",
    "run_page",
    "sqlite_path",
    "store_problem",
    "ui_command",
]

#: MLflow 3's default store: a SQLite file in the working folder.
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
#: Seconds a successful store check is trusted by :meth:`RunTracker.start` (a sweep
#: worker starting run after run does not probe the server each time).
CHECK_TTL = 60.0
#: Parallel uploads of a run's (or a model's) files to a tracking server.
UPLOAD_THREADS = 8
#: MLflow's limits per ``log_batch`` call.
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_TAG_LENGTH = 5000

Status = Literal["FINISHED", "FAILED", "KILLED"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- URIs


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """The tracking URI to use: the argument, else ``MLFLOW_TRACKING_URI``, else
    MLflow's default ``sqlite:///mlflow.db`` in the working folder.

    Read on every call (never cached), so tests and apps can change it.
    """
    if tracking_uri:
        return tracking_uri
    env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    return env or DEFAULT_TRACKING_URI


def redact_uri(uri: str) -> str:
    """``uri`` without credentials, safe to print, tag or log.

    Removes ``user:password@`` and the values of query parameters that look
    like secrets (token, password, key, secret, signature).

    >>> redact_uri("https://bob:s3cret@mlflow.example.com/?token=abc&x=1")
    'https://***@mlflow.example.com/?token=***&x=1'
    """
    try:
        parts = urllib.parse.urlsplit(uri)
    except ValueError:
        return uri
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if netloc == parts.netloc and not query:
        return uri
    if query:
        secret = re.compile(r"(token|passw|secret|key|sig|auth|credential)", re.IGNORECASE)
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = "&".join(
            f"{k}={'***' if secret.search(k) else v}" for k, v in pairs
        )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:`` URI (None for other schemes or in-memory).

    The one parser of SQLite store URIs: ``sqlite:///relative.db`` names a file
    relative to the working folder, ``sqlite:////abs/m.db`` an absolute one; a
    ``?query`` (driver options) is not part of the path.

    Parameters
    ----------
    uri : str
        A tracking URI.

    Returns
    -------
    Path or None
        The file, relative or absolute as written.

    >>> sqlite_path("sqlite:///mlflow.db"), sqlite_path("sqlite:////tmp/m.db?timeout=5")
    (PosixPath('mlflow.db'), PosixPath('/tmp/m.db'))
    >>> sqlite_path("sqlite:///:memory:") is None and sqlite_path("http://host") is None
    True
    """
    if not uri.startswith("sqlite:"):
        return None
    path = uri[len("sqlite:"):].partition("?")[0]
    if path.startswith("///"):
        path = path[3:]  # sqlite:///relative.db and sqlite:////absolute.db
    elif path.startswith("//"):
        path = path[2:]
    if path in ("", ":memory:"):
        return None
    return Path(path)


def absolute_sqlite_uri(uri: str) -> str:
    """``sqlite:///mlflow.db`` as ``sqlite:////abs/folder/mlflow.db``; other URIs unchanged.

    A command or link that names the store then works from any folder.

    Parameters
    ----------
    uri : str
        A tracking URI.

    Returns
    -------
    str
        The same store, with a relative SQLite path resolved against the working
        folder (a ``?query`` is kept).
    """
    db = sqlite_path(uri)
    if db is None or db.is_absolute():
        return uri
    query = uri.partition("?")[2]
    return f"sqlite:///{db.resolve()}" + (f"?{query}" if query else "")


#: How a dashboard user points the app at another store (no CLI flags).
SET_STORE = "MLFLOW_TRACKING_URI"


def store_problem(tracking_uri: str, timeout: float = 3.0, *,
                  set_store: str = SET_STORE) -> str | None:
    """What is wrong with a tracking store, in one sentence, or None if it looks usable.

    Quick (seconds at most) and without MLflow, whose own retries take minutes
    against a dead server or an unwritable SQLite file:

    * ``http(s)``: ``/health`` must answer within ``timeout`` seconds (any HTTP
      answer counts: an authenticating proxy may answer 401).
    * ``sqlite``: the folder must exist and accept new files (SQLite writes its
      journal there), and an existing file must open for reading and writing.
    * a folder or ``file:`` store: refused by MLflow 3 unless ``MLFLOW_ALLOW_FILE_STORE``.

    Other schemes are left to MLflow.

    Parameters
    ----------
    tracking_uri : str
        The store.
    timeout : float
        Seconds to wait for a server.
    set_store : str
        How the reader chooses another store, named in the advice (the CLI adds
        its ``--tracking-uri``).

    Returns
    -------
    str or None
        A sentence naming the store (redacted), what is wrong and how to fix it.
    """
    parts = urllib.parse.urlsplit(tracking_uri)
    scheme = parts.scheme.lower()
    shown = redact_uri(tracking_uri)
    if scheme in ("http", "https"):
        url = tracking_uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout):
                pass
        except urllib.error.HTTPError:
            return None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            reason = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
            if parts.hostname in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
                start = (f"start it with `mlflow server --host {parts.hostname} "
                         f"--port {parts.port or (443 if scheme == 'https' else 80)}`")
            else:
                start = "check that the server is up and the address is right"
            return (f"MLflow tracking server {shown} cannot be reached ({reason}): {start}, "
                    f"or set {set_store} to a store that works, e.g. sqlite:///mlflow.db.")
        return None
    if scheme == "sqlite":
        return _sqlite_problem(tracking_uri, shown, set_store)
    if scheme in ("", "file") and os.environ.get(
        "MLFLOW_ALLOW_FILE_STORE", ""
    ).lower() not in ("1", "true"):
        return (f"Tracking store {shown}: MLflow 3 refuses the old file store; set "
                f"{set_store} to a database such as sqlite:///mlflow.db or a tracking server.")
    return None


def _sqlite_problem(uri: str, shown: str, set_store: str) -> str | None:
    path = sqlite_path(uri)
    if path is None:
        return None
    fix = f"set {set_store} to a SQLite file in a folder you can write, e.g. sqlite:///mlflow.db"
    db = Path(os.path.abspath(path))
    folder = db.parent
    if not folder.is_dir():
        return (f"Tracking store {shown}: folder {str(folder)!r} does not exist; create it or "
                f"{fix}.")
    if db.exists():
        if not db.is_file():
            return f"Tracking store {shown}: {str(db)!r} is not a file; {fix}."
        try:
            os.close(os.open(db, os.O_RDWR))
        except OSError as e:
            return (f"Tracking store {shown}: {str(db)!r} cannot be opened for reading and "
                    f"writing ({e.strerror}); {fix}.")
    try:  # the real test (permissions do not stop root, but /sys, /proc or a full disk do)
        fd, probe = tempfile.mkstemp(prefix=".nncore-write-check-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return (f"Tracking store {shown}: cannot create files in folder {str(folder)!r} "
                f"({e.strerror}), and SQLite needs to; {fix}.")
    return None


_PREPARED: set[str] = set()
_PREPARE_LOCK = threading.Lock()


def mlflow_client(tracking_uri: str | None = None) -> MlflowClient:
    """An ``MlflowClient`` for the store, created (and migrated) once, under a file lock.

    A new SQLite store is created by whichever process opens it first, and MLflow's
    schema migrations race: several processes opening a fresh ``mlflow.db`` at once
    (sweep workers, the app and a CLI run) break it for good ("table _alembic_tmp_...
    already exists"). Every process of this project opens a SQLite store through here:
    the first one in takes ``<file>.lock`` (the ``filelock`` library: portable, and
    released if the process dies) while MLflow creates or migrates the schema; the
    others wait, then find it ready.
    """
    from mlflow import MlflowClient

    uri = resolve_tracking_uri(tracking_uri)
    path = sqlite_path(uri)
    if path is None or uri in _PREPARED:
        return MlflowClient(tracking_uri=uri)
    from filelock import FileLock

    with _PREPARE_LOCK, FileLock(f"{os.path.abspath(path)}.lock", timeout=300):
        client = MlflowClient(tracking_uri=uri)   # creates and migrates the schema
        _PREPARED.add(uri)
    return client


def check_tracking_uri(tracking_uri: str, timeout: float = 3.0, *,
                       set_store: str = SET_STORE) -> None:
    """Fail fast, in one clear sentence, if the tracking store cannot be used.

    Raises :class:`TrackingError` with :func:`store_problem`'s sentence.

    Raises
    ------
    TrackingError
    """
    problem = store_problem(tracking_uri, timeout, set_store=set_store)
    if problem is not None:
        raise TrackingError(problem)


def ui_command(tracking_uri: str, experiment_id: str | None = None,
               run_id: str | None = None) -> str:
    """How to look at a run: the ``mlflow ui`` command for a database store, or
    the run's web address for a tracking server.

    A relative SQLite path is made absolute, so the command works from any folder.
    """
    scheme = urllib.parse.urlsplit(tracking_uri).scheme.lower()
    if scheme in ("http", "https"):
        base = redact_uri(tracking_uri).rstrip("/")
        if experiment_id and run_id:
            return f"open {base}/#/experiments/{experiment_id}/runs/{run_id}"
        return f"open {base}"
    return f"mlflow ui --backend-store-uri {redact_uri(absolute_sqlite_uri(tracking_uri))}"


def run_page(experiment_id: str, run_id: str, base: str = "http://127.0.0.1:5000") -> str:
    """The address of a run's page in an ``mlflow ui`` started with default settings."""
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}"


@functools.lru_cache(maxsize=4)
def git_commit(path: str | None = None) -> str | None:
    """The git commit of the project (or ``path``), or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=path or _PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else None


# --------------------------------------------------------------------------- metrics


class MetricsLogger:
    """Decide which epochs reach MLflow and buffer their values.

    Parameters
    ----------
    max_points : int
        Most points per metric for a run of known length; the stride is
        ``ceil(epochs / max_points)``. Epoch 1 and the last epoch are always kept.
    flush_interval : float
        Seconds between sends while training (so the MLflow UI shows a run
        that is still going); everything left is sent by :meth:`finish`.
    """

    def __init__(self, tracker: RunTracker, *, max_points: int = 200,
                 flush_interval: float = 5.0) -> None:
        if max_points < 2:
            raise ValueError(f"max_points must be >= 2; got {max_points}")
        self.tracker = tracker
        self.max_points = max_points
        self.flush_interval = flush_interval
        self.stride = 1
        self._last_flush = time.monotonic()
        self._last: tuple[int, dict[str, float]] | None = None
        self._last_logged_epoch: int | None = None

    def begin(self, epochs: int) -> None:
        """Set the stride for a run of ``epochs`` epochs."""
        self.stride = max(1, math.ceil(epochs / self.max_points))
        self._last_flush = time.monotonic()

    def epoch(self, epoch: int, logs: Mapping[str, float]) -> None:
        """Record one epoch's metrics (buffered; sent every ``flush_interval`` seconds)."""
        self._last = (epoch, dict(logs))
        if epoch == 1 or epoch % self.stride == 0:
            self.tracker.log_metrics(logs, step=epoch)
            self._last_logged_epoch = epoch
            now = time.monotonic()
            if now - self._last_flush >= self.flush_interval:
                self.tracker.flush()
                self._last_flush = now

    def finish(self, flush: bool = True) -> None:
        """Log the last epoch if the stride skipped it, and send everything.

        ``flush=False`` leaves the values buffered for :meth:`RunTracker.end`,
        which sends them with the run's last batch.
        """
        if self._last is not None and self._last[0] != self._last_logged_epoch:
            self.tracker.log_metrics(self._last[1], step=self._last[0])
            self._last_logged_epoch = self._last[0]
        if flush:
            self.tracker.flush()


# --------------------------------------------------------------------------- the tracker


def _finite(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class RunTracker:
    """An MLflow run, bound to one client and one run id.

    Create it with :meth:`start`; use it as a context manager so the run always
    ends (FINISHED on success, KILLED on ``KeyboardInterrupt``, FAILED with the
    reason as a tag on any other exception).

    Parameters
    ----------
    client : MlflowClient
        Client bound to the tracking URI.
    run_id : str
        The run this tracker writes to.
    experiment_id : str
        The run's experiment.
    tracking_uri : str
        The store (kept for :meth:`ui_command`; printed only redacted).
    artifact_uri : str, optional
        The run's artifact root (from the created run); looked up when None.
    """

    def __init__(self, client: MlflowClient, run_id: str, experiment_id: str,
                 tracking_uri: str, artifact_uri: str | None = None) -> None:
        self.client = client
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.tracking_uri = tracking_uri
        self.artifact_uri = artifact_uri
        self.status: Status | None = None
        self._metrics: list[Any] = []
        self._lock = threading.Lock()
        self._artifact_dir: Path | None = None

    # -- creation ---------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        experiment: str,
        tracking_uri: str | None = None,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        check: bool = True,
    ) -> RunTracker:
        """Create a run (and its experiment if needed) and return a tracker for it.

        Parameters
        ----------
        experiment : str
            Experiment name; created when missing.
        tracking_uri : str, optional
            See :func:`resolve_tracking_uri`.
        run_name : str, optional
            Display name of the run (MLflow picks one when None).
        tags : mapping, optional
            Tags set at creation. The user, source type and git commit are added.
        check : bool
            Probe the store first (:func:`check_tracking_uri`; a store that passed in
            the last :data:`CHECK_TTL` seconds is not probed again).

        Raises
        ------
        TrackingError
            The store cannot be reached or written, or the experiment is deleted.
        """
        uri = resolve_tracking_uri(tracking_uri)
        if check and time.monotonic() - _CHECKED.get(uri, -math.inf) > CHECK_TTL:
            check_tracking_uri(uri)
            _CHECKED[uri] = time.monotonic()
        from mlflow.exceptions import MlflowException
        from mlflow.utils import mlflow_tags

        try:
            client = mlflow_client(uri)
            experiment_id = _experiment_id(client, experiment, uri)
            all_tags = {
                mlflow_tags.MLFLOW_USER: _user(),
                mlflow_tags.MLFLOW_SOURCE_TYPE: "LOCAL",
            }
            commit = git_commit()
            if commit:
                all_tags[mlflow_tags.MLFLOW_GIT_COMMIT] = commit
            all_tags.update({k: str(v) for k, v in (tags or {}).items() if v is not None})
            try:
                run = client.create_run(experiment_id, run_name=run_name, tags=all_tags)
            except MlflowException:
                if _EXPERIMENT_IDS.pop((uri, experiment), None) is None:
                    raise
                # The remembered experiment may be gone or deleted: look it up again.
                experiment_id = _experiment_id(client, experiment, uri)
                run = client.create_run(experiment_id, run_name=run_name, tags=all_tags)
        except MlflowException as e:
            raise TrackingError(
                f"tracking store {redact_uri(uri)}: {_first_line(e.message)}"
            ) from None
        return cls(client, run.info.run_id, experiment_id, uri, run.info.artifact_uri)

    # -- params, tags, metrics --------------------------------------------------------

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log params in as few ``log_batch`` calls as MLflow allows (usually one)."""
        from mlflow.entities import Param

        items = [Param(str(k), str(v)) for k, v in params.items()]
        for i in range(0, len(items), MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[i : i + MAX_PARAMS_PER_BATCH])

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags in batches (values longer than MLflow's limit are cut)."""
        from mlflow.entities import RunTag

        items = [
            RunTag(str(k), str(v)[:MAX_TAG_LENGTH]) for k, v in tags.items() if v is not None
        ]
        for i in range(0, len(items), MAX_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, tags=items[i : i + MAX_TAGS_PER_BATCH])

    def log_metrics(self, metrics: Mapping[str, float], step: int,
                    timestamp_ms: int | None = None) -> None:
        """Buffer metric values for ``step``; non-finite values are skipped.

        Sent by :meth:`flush` (and automatically when 1000 values are waiting).
        """
        from mlflow.entities import Metric

        ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        batch = [
            Metric(str(k), f, ts, int(step))
            for k, v in metrics.items()
            if (f := _finite(v)) is not None
        ]
        with self._lock:
            self._metrics.extend(batch)
            full = len(self._metrics) >= MAX_METRICS_PER_BATCH
        if full:
            self.flush()

    def flush(self) -> None:
        """Send buffered metrics with ``log_batch`` (1000 per call)."""
        with self._lock:
            pending, self._metrics = self._metrics, []
        for i in range(0, len(pending), MAX_METRICS_PER_BATCH):
            self.client.log_batch(self.run_id, metrics=pending[i : i + MAX_METRICS_PER_BATCH])

    # -- inputs ------------------------------------------------------------------------

    def log_datasets(self, datasets: list[dict[str, Any]]) -> None:
        """Log pandas DataFrames as MLflow dataset inputs, in one call.

        Parameters
        ----------
        datasets : list of dict
            Each with ``frame`` (DataFrame of raw columns and target), ``name``,
            ``source`` (a file path for files, else a description of the
            generator), ``context`` (``"training"`` or ``"validation"``) and
            optionally ``targets`` (target column) and ``digest`` (MLflow computes
            one when missing).
        """
        import mlflow.data
        from mlflow.data.code_dataset_source import CodeDatasetSource
        from mlflow.entities import DatasetInput, InputTag
        from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

        inputs = []
        for item in datasets:
            source = str(item["source"])
            src: Any = source if Path(source).is_file() else CodeDatasetSource(
                {"generator": source}
            )
            with quiet_mlflow_hints():
                dataset = mlflow.data.from_pandas(
                    item["frame"], source=src, targets=item.get("targets"), name=item["name"],
                    digest=item.get("digest"),
                )
                entity = dataset._to_mlflow_entity()
            inputs.append(
                DatasetInput(entity, tags=[InputTag(MLFLOW_DATASET_CONTEXT, item["context"])])
            )
        self.client.log_inputs(self.run_id, datasets=inputs)

    # -- artifacts ---------------------------------------------------------------------

    @property
    def artifact_dir(self) -> Path:
        """A local staging folder; :meth:`upload_artifacts` sends it in one call."""
        if self._artifact_dir is None:
            self._artifact_dir = Path(tempfile.mkdtemp(prefix="experiments-run-"))
        return self._artifact_dir

    def upload_artifacts(self) -> None:
        """Upload everything staged in :attr:`artifact_dir`, then remove the folder."""
        if self._artifact_dir is None:
            return
        try:
            if any(self._artifact_dir.iterdir()):
                if self.artifact_uri is None:
                    self.artifact_uri = self.client.get_run(self.run_id).info.artifact_uri
                _upload_folder(self.artifact_uri, self.tracking_uri, self._artifact_dir)
        finally:
            shutil.rmtree(self._artifact_dir, ignore_errors=True)
            self._artifact_dir = None

    def log_model(self, model_dir_writer: Any, *, name: str = "model", step: int = 0,
                  params: Mapping[str, str] | None = None) -> str:
        """Log an MLflow model as an MLflow 3 LoggedModel linked to this run.

        ``model_dir_writer(path, mlflow_model)`` must save the model into ``path``
        (``mlflow.pyfunc.save_model(path=..., mlflow_model=...)``). Done with the
        client only, so ``runs:/<run_id>/model`` and the UI's model view both work
        without the fluent API.

        Returns
        -------
        str
            The model id.
        """
        from mlflow.entities import LoggedModelOutput, LoggedModelStatus
        from mlflow.models import Model

        logged = self.client.create_logged_model(
            self.experiment_id, name=name, source_run_id=self.run_id,
            params=dict(params or {}), model_type="nncore",
        )
        try:
            with tempfile.TemporaryDirectory(prefix="experiments-model-") as tmp:
                path = os.path.join(tmp, name)
                mlflow_model = Model(
                    artifact_path=logged.artifact_location,
                    model_uuid=logged.model_id,
                    run_id=self.run_id,
                    model_id=logged.model_id,
                )
                model_dir_writer(path, mlflow_model)
                for pycache in Path(path).rglob("__pycache__"):
                    shutil.rmtree(pycache, ignore_errors=True)
                _upload_folder(logged.artifact_location, self.tracking_uri, Path(path))
            self.client.log_outputs(self.run_id, [LoggedModelOutput(logged.model_id, step)])
        except BaseException:
            self.client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
            raise
        self.client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
        return logged.model_id

    # -- ending ------------------------------------------------------------------------

    def end(self, status: Status = "FINISHED", reason: str | None = None,
            tags: Mapping[str, Any] | None = None) -> None:
        """End the run (once) and set its status.

        Buffered metrics, ``tags`` and the ``failure_reason`` (FAILED) or
        ``stop_reason`` (KILLED, or why a finished run stopped early) tag go in
        one last ``log_batch``. Never raises for a second call; if the last batch
        cannot be sent, a FINISHED run becomes FAILED, and the status is set
        whatever happens.
        """
        if self.status is not None:
            return
        from mlflow.entities import RunTag

        all_tags = {k: v for k, v in (tags or {}).items() if v is not None}
        if reason:
            all_tags["failure_reason" if status == "FAILED" else "stop_reason"] = reason
        tag_items = [RunTag(str(k), str(v)[:MAX_TAG_LENGTH]) for k, v in all_tags.items()]
        with self._lock:
            pending, self._metrics = self._metrics, []
        try:
            chunks = [pending[i : i + MAX_METRICS_PER_BATCH]
                      for i in range(0, len(pending), MAX_METRICS_PER_BATCH)] or [[]]
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                if chunk or (last and tag_items):
                    self.client.log_batch(self.run_id, metrics=chunk,
                                          tags=tag_items if last else [])
        except Exception as e:
            if status == "FINISHED":
                status = "FAILED"
            # The store may be gone; the status below still matters more.
            with contextlib.suppress(Exception):
                self.set_tags({"failure_reason": f"the run record could not be completed: {e}"})
        finally:
            try:
                # MLflow fetches the run again only to print a "View run" link.
                os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
                self.client.set_terminated(self.run_id, status=status)
            finally:
                self.status = status
                if self._artifact_dir is not None:
                    shutil.rmtree(self._artifact_dir, ignore_errors=True)
                    self._artifact_dir = None

    def __enter__(self) -> RunTracker:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.end("FINISHED")
        else:
            self.end_after(exc)

    def end_after(self, exc: BaseException) -> None:
        """End the run after ``exc`` escaped from it.

        Errors (``Exception``) end it FAILED with the error as the reason; anything else
        is an interruption, not a failure (Ctrl+C, ``SystemExit``, a host stopping its
        script as Streamlit does with a ``BaseException``) and ends it KILLED.
        """
        if isinstance(exc, Exception):
            self.end("FAILED", f"{type(exc).__name__}: {exc}")
        else:
            how = (exc.signal_name if isinstance(exc, Terminated)
                   else "Ctrl+C" if isinstance(exc, KeyboardInterrupt) else type(exc).__name__)
            self.end("KILLED", f"interrupted ({how})")

    def ui_command(self) -> str:
        """The command (or address) that shows this run."""
        return ui_command(self.tracking_uri, self.experiment_id, self.run_id)


class Terminated(KeyboardInterrupt):
    """A termination signal (SIGTERM, SIGHUP) raised in the main thread like Ctrl+C.

    Everything that ends a run KILLED after Ctrl+C (:meth:`RunTracker.end_after`)
    then does so for these signals too, with the signal's name in ``stop_reason``.

    Parameters
    ----------
    signum : int
        The signal received.
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        try:
            self.signal_name = signal.Signals(self.signum).name
        except ValueError:
            self.signal_name = f"signal {self.signum}"
        super().__init__(self.signal_name)


#: The ``stop_reason`` of a run ended by hand with :func:`mark_killed`.
MARKED_KILLED = "marked as killed by hand: the process training it was gone"


def mark_killed(run_id: str, tracking_uri: str | None = None,
                reason: str = MARKED_KILLED) -> None:
    """End a RUNNING run whose process is gone: status KILLED, ``reason`` as its
    ``stop_reason`` tag and ``killed_by_hand=true``.

    Parameters
    ----------
    run_id : str
        The run.
    tracking_uri : str, optional
        See :func:`resolve_tracking_uri`.
    reason : str
        Why, for the ``stop_reason`` tag.

    Raises
    ------
    TrackingError
        The run has already ended (its status is left alone), or the store fails.
    """
    from mlflow.entities import RunTag
    from mlflow.exceptions import MlflowException

    uri = resolve_tracking_uri(tracking_uri)
    client = mlflow_client(uri)
    try:
        status = client.get_run(run_id).info.status
        if status != "RUNNING":
            raise TrackingError(f"run {run_id} is {status}, not RUNNING; it is left as it is")
        client.log_batch(run_id, tags=[RunTag("stop_reason", reason[:MAX_TAG_LENGTH]),
                                       RunTag("killed_by_hand", "true")])
        client.set_terminated(run_id, status="KILLED")
    except MlflowException as e:
        raise TrackingError(
            f"tracking store {redact_uri(uri)}: {_first_line(e.message)}"
        ) from None


_CHECKED: dict[str, float] = {}
_EXPERIMENT_IDS: dict[tuple[str, str], str] = {}


def _experiment_id(client: MlflowClient, name: str, uri: str | None = None) -> str:
    """The id of experiment ``name`` (created when missing), remembered per store."""
    if uri is not None and (uri, name) in _EXPERIMENT_IDS:
        return _EXPERIMENT_IDS[(uri, name)]
    experiment_id = _lookup_experiment(client, name)
    if uri is not None:
        _EXPERIMENT_IDS[(uri, name)] = experiment_id
    return experiment_id


def _lookup_experiment(client: MlflowClient, name: str) -> str:
    from mlflow.exceptions import MlflowException

    exp = client.get_experiment_by_name(name)
    if exp is None:
        try:
            return client.create_experiment(name)
        except MlflowException as e:
            # Another thread or process created it first.
            exp = client.get_experiment_by_name(name)
            if exp is None:
                raise e from None
    if exp.lifecycle_stage == "deleted":
        raise TrackingError(
            f"experiment {name!r} is deleted; restore it in the MLflow UI "
            "(or `mlflow experiments restore`) or choose another name"
        )
    return exp.experiment_id


def _upload_folder(artifact_uri: str, tracking_uri: str, folder: Path) -> None:
    """Upload every file under ``folder`` to ``artifact_uri`` (same layout).

    The repository is built from the address the run or logged model already carries
    (``MlflowClient.log_artifacts`` would fetch the run first). A tracking server's
    proxied artifacts take one HTTP request per file: those go in parallel.
    """
    from concurrent.futures import ThreadPoolExecutor

    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
    from mlflow.utils.uri import add_databricks_profile_info_to_artifact_uri

    repo = get_artifact_repository(
        add_databricks_profile_info_to_artifact_uri(artifact_uri, tracking_uri),
        tracking_uri=tracking_uri)
    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    if not isinstance(repo, HttpArtifactRepository) or len(files) < 2:
        repo.log_artifacts(str(folder))
        return

    def put(path: Path) -> None:
        parent = path.parent.relative_to(folder).as_posix()
        repo.log_artifact(str(path), None if parent == "." else parent)

    with ThreadPoolExecutor(max_workers=min(UPLOAD_THREADS, len(files)),
                            thread_name_prefix="mlflow-upload") as pool:
        for future in [pool.submit(put, path) for path in files]:
            future.result()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user database
        return "unknown"


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else "unknown error"

