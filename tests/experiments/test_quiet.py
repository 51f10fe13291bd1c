"""Library use prints no MLflow chatter that does not apply (issue 14, item 11c)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from experiments import load_spec, train
from experiments._quiet import quiet_mlflow_hints

CONFIGS = Path(__file__).resolve().parents[2] / "experiments" / "configs"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def mlflow_info_logs(monkeypatch: pytest.MonkeyPatch):
    """MLflow's loggers at INFO, as a script that imports experiments has them."""
    logger = logging.getLogger("mlflow")
    handler = _Collect()
    monkeypatch.setattr(logger, "level", logging.INFO)
    # Earlier code in the process (MLflow itself, other tests) may have set a child's level.
    monkeypatch.setattr(logging.getLogger("mlflow.pyfunc"), "level", logging.NOTSET)
    monkeypatch.setattr(logging.getLogger("mlflow.pyfunc"), "disabled", False)
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def test_a_run_does_not_log_validating_input_example(mlflow_info_logs, experiment_name
                                                     ) -> None:
    spec = load_spec(CONFIGS / "admissions_logistic.toml").with_overrides({"training.epochs": 2})
    train(spec, experiment=experiment_name)
    assert not [m for m in mlflow_info_logs if "Validating input example" in m]


def test_other_mlflow_messages_still_show(mlflow_info_logs) -> None:
    with quiet_mlflow_hints():
        logging.getLogger("mlflow.pyfunc").info("Validating input example against model signature")
        logging.getLogger("mlflow.pyfunc").warning("something that matters")
    logging.getLogger("mlflow.pyfunc").info("Validating input example against model signature")
    assert mlflow_info_logs == [
        "mlflow.pyfunc: something that matters",
        "mlflow.pyfunc: Validating input example against model signature",
    ]


def test_a_block_in_another_thread_hides_nothing_here(mlflow_info_logs) -> None:
    """Training threads (dashboard sessions) log models while this thread logs too."""
    import threading

    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with quiet_mlflow_hints():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=other)
    worker.start()
    inside.wait(10)
    logging.getLogger("mlflow.pyfunc").info("Validating input example against model signature")
    release.set()
    worker.join()
    assert mlflow_info_logs == ["mlflow.pyfunc: Validating input example against model signature"]
