"""Worker processes of a sweep's LocalCluster start without this process's ``__main__``.

Dask's nannies start worker processes with ``multiprocessing``'s *spawn* method, which runs
the parent's ``__main__`` again in every child before anything else. That is wrong for a
sweep twice over:

* under Streamlit (the Sweep page, and AppTest in the tests) ``sys.modules["__main__"]`` is
  the page script Streamlit installed there: every worker ran the dashboard's Home page
  (and, on a store where a sweep had just started, crashed before it could work);
* a user's script without an ``if __name__ == "__main__":`` guard started a sweep in
  every worker.

Trial tasks need only the project's modules, which a worker imports by name when it
unpickles a task, so while a sweep's LocalCluster is open the worker processes it spawns
skip ``__main__`` (the preparation data multiprocessing hands the child loses its
``init_main_from_*`` entries). Other processes, and workers of clusters started while no
sweep's LocalCluster is open, are spawned as before.
"""

from __future__ import annotations

import contextlib
import multiprocessing.spawn as mp_spawn
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["WORKER_PROCESS", "workers_without_main"]

#: How Dask names the process a nanny starts ("Dask Worker process (from Nanny)").
WORKER_PROCESS = "Dask Worker process"

_lock = threading.Lock()
_open_clusters = 0
_original: Callable[[str], dict[str, Any]] | None = None


def _preparation_data(name: str) -> dict[str, Any]:
    """multiprocessing's preparation data, without ``__main__`` for a sweep's workers."""
    assert _original is not None
    data = _original(name)
    if _open_clusters and str(name).startswith(WORKER_PROCESS):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


@contextlib.contextmanager
def workers_without_main() -> Iterator[None]:
    """While open, Dask worker processes spawned by this process skip ``__main__``."""
    global _open_clusters, _original
    with _lock:
        if _original is None:  # installed once; with no cluster open it changes nothing
            _original = mp_spawn.get_preparation_data
            mp_spawn.get_preparation_data = _preparation_data
        _open_clusters += 1
    try:
        yield
    finally:
        with _lock:
            _open_clusters -= 1
