"""Real servers for tests and benchmarks: ``mlflow server`` and a PostgreSQL cluster.

Both start on free loopback ports in their own folders and are stopped (and their
folders removed where this module made them) by the context managers, whatever happens.

* :func:`serve_mlflow` runs ``mlflow server`` (uvicorn, MLflow's default) with proxied
  artifacts. uvicorn's access log goes to the server's log, one line per HTTP request:
  :meth:`MlflowServer.requests` reads it, which is how the tests count what one tracked
  run costs a server.
* :func:`postgres` runs a throwaway PostgreSQL cluster (Debian's ``postgresql``
  binaries, ``/usr/lib/postgresql/<version>/bin``): ``initdb`` with trust
  authentication, ``pg_ctl start`` on 127.0.0.1 only, ``createdb``. PostgreSQL refuses
  to run as root, so under root every server command runs as the ``postgres`` user
  that Debian's package creates (``runuser -u postgres``), in a folder under the
  system temp folder that this module creates and gives to that user (pytest's own
  ``/tmp/pytest-of-root`` is private to root, so the cluster cannot live there).

Under ``CI=true`` a missing PostgreSQL is a failure, not a skip (:func:`require_postgres`).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["MlflowServer", "PostgresCluster", "find_postgres_bin", "free_port",
           "postgres", "postgres_problem", "require_postgres", "serve_mlflow"]

#: The first start of ``mlflow server`` on an empty PostgreSQL database migrates it
#: (54 s measured); give it room on a busy machine.
FIRST_START_TIMEOUT = 240.0
#: A request line of uvicorn's access log: ``... - "PUT /api/... HTTP/1.1" 200``.
_REQUEST = re.compile(r'"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+) HTTP/[\d.]+" (\d{3})')


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- MLflow


@dataclass
class MlflowServer:
    """A running ``mlflow server``: its address and its log (with the access log)."""

    url: str
    log: Path
    process: subprocess.Popen

    def requests(self) -> list[tuple[str, str, int]]:
        """Every HTTP request the server has logged so far: ``(method, path, status)``."""
        text = self.log.read_text(errors="replace")
        return [(m[1], m[2], int(m[3])) for m in _REQUEST.finditer(text)]

    def requests_since(self, before: int, quiet: float = 0.5) -> list[tuple[str, str, int]]:
        """The requests after the first ``before``, once the access log has been still for
        ``quiet`` seconds (uvicorn writes a line after it answers)."""
        seen, still_since = -1, time.monotonic()
        while time.monotonic() - still_since < quiet:
            now = len(self.requests())
            if now != seen:
                seen, still_since = now, time.monotonic()
            time.sleep(0.05)
        return self.requests()[before:]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.25)
    return False


@contextmanager
def serve_mlflow(work: Path, backend_store_uri: str, *, workers: int = 1,
                 timeout: float = 90.0, serve_artifacts: bool = True
                 ) -> Iterator[MlflowServer]:
    """``mlflow server`` on a free 127.0.0.1 port, with its artifacts in ``work/artifacts``.

    Parameters
    ----------
    work : Path
        Working folder: the log (``server.log``) and the artifacts (``artifacts/``).
    backend_store_uri : str
        ``sqlite:///...`` or ``postgresql+psycopg://...``.
    workers : int
        uvicorn worker processes (1 starts twice as fast as MLflow's default 4).
    timeout : float
        Seconds to wait for ``/health`` (a first start on an empty PostgreSQL database
        migrates it: allow :data:`FIRST_START_TIMEOUT`).
    serve_artifacts : bool
        True: clients send artifacts through the server (``--serve-artifacts``, one HTTP
        upload per file). False: the server only tells clients where the artifacts go
        (``--no-serve-artifacts --default-artifact-root``) and they write them there
        themselves, as on a team's shared storage (an object store or a shared folder).

    Raises
    ------
    RuntimeError
        The server exited or did not answer in time; the message has its log's tail.
    """
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    log_path = work / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store_uri,
         *(["--artifacts-destination", str(work / "artifacts"), "--serve-artifacts"]
           if serve_artifacts else
           ["--default-artifact-root", str(work / "artifacts"), "--no-serve-artifacts"]),
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        if not _wait_healthy(url, proc, timeout):
            how = (f"exited with code {proc.returncode}" if proc.poll() is not None
                   else f"did not answer /health within {timeout:.0f} s")
            raise RuntimeError(f"mlflow server ({backend_store_uri.split('://')[0]} store) on "
                               f"{url} {how} (waited {time.monotonic() - started:.0f} s); "
                               f"the end of {log_path}:\n{_tail(log_path)}")
        yield MlflowServer(url, log_path, proc)
    finally:
        _stop_group(proc)
        log.close()


def _stop_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process group (uvicorn and its workers), SIGKILL after ``grace``."""
    import signal

    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    else:  # the leader is gone; its workers may not be
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- PostgreSQL


def find_postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(re.search(r"/(\d+)/bin/", p)[1]))
    return Path(found[-1]).parent if found else None


def postgres_problem() -> str | None:
    """Why a PostgreSQL cluster cannot be started here, or None."""
    if find_postgres_bin() is None:
        return ("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin "
                "(Debian's `postgresql` package; scripts/test.sh installs it)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return ("running as root and there is no `postgres` user to run PostgreSQL as "
                    "(PostgreSQL refuses root; Debian's `postgresql` package creates the user)")
        if shutil.which("runuser") is None:
            return "running as root without `runuser` to start PostgreSQL as user postgres"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg 3 is not installed (psycopg[binary] in requirements)"
    return None


def require_postgres() -> None:
    """Skip outside CI when PostgreSQL cannot run here; under ``CI=true`` fail instead."""
    problem = postgres_problem()
    if problem:
        message = f"PostgreSQL test: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class PostgresCluster:
    """A running throwaway cluster: where it is and how to reach its database."""

    folder: Path
    port: int
    database: str

    @property
    def uri(self) -> str:
        """SQLAlchemy URI of the database (psycopg 3, trust authentication)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"


def _as_postgres(command: list[str]) -> list[str]:
    """Run as the ``postgres`` user when this process is root (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str], log: Path) -> None:
    proc = subprocess.run(_as_postgres(command), capture_output=True, text=True,
                          timeout=120, check=False)
    with log.open("a") as f:
        f.write(f"$ {' '.join(command)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        raise RuntimeError(f"{command[0]} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")


@contextmanager
def postgres(database: str = "mlflow", *, durable: bool = False) -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster in a new temp folder on a free 127.0.0.1 port, with ``database``.

    ``durable=False`` (tests) turns off fsync and synchronous commits: nothing here must
    survive a crash. Benchmarks pass ``durable=True`` to measure PostgreSQL as deployed.

    Stopped (``pg_ctl stop -m fast``, then SIGKILL if it lingers) and its folder removed
    afterwards. Call :func:`require_postgres` first in a test.

    Raises
    ------
    RuntimeError
        A step failed; the message has its output (and the server log's tail).
    """
    problem = postgres_problem()
    if problem:
        raise RuntimeError(problem)
    bindir = find_postgres_bin()
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="nncore-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, log, steps = folder / "data", folder / "server.log", folder / "steps.log"
    port = free_port()
    started = False
    try:
        _run([str(bindir / "initdb"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
              "--no-sync", "-D", str(data)], steps)
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log),
                  "-w", "-t", "60", "start"], steps)
        except RuntimeError as e:
            raise RuntimeError(f"{e}\nthe end of {log}:\n{_tail(log)}") from None
        started = True
        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
              database], steps)
        yield PostgresCluster(folder, port, database)
    finally:
        if started:
            try:
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "30",
                      "stop"], steps)
            except (RuntimeError, subprocess.TimeoutExpired):
                _kill_postmaster(data)
        shutil.rmtree(folder, ignore_errors=True)


def _kill_postmaster(data: Path) -> None:
    """SIGKILL the cluster's postmaster (its pid is the first line of postmaster.pid)."""
    import signal

    with suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)
