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
def mlflow_info_logs():
    """MLflow's loggers at INFO, as a script that imports experiments has them.

    Levels are set with ``setLevel`` (which clears the loggers' cached ``isEnabledFor``
    answers): earlier code in the process (MLflow itself, other tests) may have set levels
    and left a cached "INFO is off" behind.
    """
    logger, pyfunc = logging.getLogger("mlflow"), logging.getLogger("mlflow.pyfunc")
    saved = logger.level, pyfunc.level, pyfunc.disabled
    handler = _Collect()
    logger.setLevel(logging.INFO)
    pyfunc.setLevel(logging.NOTSET)
    pyfunc.disabled = False
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        pyfunc.setLevel(saved[1])
        pyfunc.disabled = saved[2]


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


def test_a_run_draws_no_artifact_download_bars(experiment_name, capfd, monkeypatch) -> None:
    """MLflow reads back the model it logs (three progress bars per run without this)."""
    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)
    spec = load_spec(CONFIGS / "xor.toml").with_overrides({"training.epochs": 2})
    train(spec, experiment=experiment_name)
    assert "Downloading artifacts" not in capfd.readouterr().err


def test_a_users_progress_bar_setting_wins(monkeypatch) -> None:
    import os

    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "true")
    with quiet_mlflow_hints():
        assert os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "true"
