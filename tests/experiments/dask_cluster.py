"""A real Dask cluster for tests: ``dask scheduler`` and ``dask worker`` processes on
free loopback ports, stopped (whole process groups) when the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """The scheduler's address and the worker processes (to kill one)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO), "MLFLOW_DISABLE_TELEMETRY": "true"}

    def _start(self, args: list[str], name: str, python_code: str | None = None
               ) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        command = ([sys.executable, "-c", python_code, *args] if python_code
                   else [sys.executable, "-m", "dask", *args])
        proc = subprocess.Popen(command, cwd=self.folder, env=self._env(), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> None:
        port = self.address.rsplit(":", 1)[1]
        self._start(["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                    "scheduler")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", int(port))) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError("dask scheduler did not start: "
                           + (self.folder / "scheduler.log").read_text())

    def start_worker(self, hide: str | None = None) -> subprocess.Popen:
        """A ``dask worker`` with one thread; ``hide`` makes that module unimportable
        in it (a machine without the project)."""
        args = ["worker", self.address, "--nthreads", "1", "--no-dashboard",
                "--host", "127.0.0.1"]
        if hide is None:
            proc = self._start(args, f"worker{len(self.workers)}")
        else:
            code = (f"import sys; sys.modules[{hide!r}] = None; "
                    "from distributed.cli.dask_worker import main; "
                    "sys.argv = ['dask-worker', *sys.argv[2:]]; main()")
            proc = self._start(["worker", *args[1:], "--no-nanny"], f"worker{len(self.workers)}",
                               python_code=code)
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout="20s") as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL a process and its children (a worker and its nanny's process)."""
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(proc)


@contextmanager
def dask_cluster(folder: Path, workers: int = 2) -> Iterator[Cluster]:
    """A scheduler and ``workers`` one-thread workers, all stopped afterwards."""
    cluster = Cluster(folder)
    try:
        cluster.start_scheduler()
        for _ in range(workers):
            cluster.start_worker()
        if workers:
            cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()
