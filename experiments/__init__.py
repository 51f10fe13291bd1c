"""experiments: datasets, run specs, training runs and their MLflow records.

The layer between :mod:`nncore` and the dashboard. It imports no streamlit, and
mlflow only when a run is tracked or read.

>>> from experiments import load_spec, train                               # doctest: +SKIP
>>> spec = load_spec("experiments/configs/admissions_mlp.toml")            # doctest: +SKIP
>>> result = train(spec.with_overrides({"training.epochs": 500}))          # doctest: +SKIP
>>> result.run_id, result.metrics["val_accuracy"]                          # doctest: +SKIP

Command line: ``python -m experiments run CONFIG.toml``, ``python -m experiments
list``, ``python -m experiments datasets``, ``python -m experiments sweep SWEEP.toml``.
"""

from experiments.datasets import (
    Dataset,
    DatasetInfo,
    dataset_names,
    dataset_param,
    get_dataset_info,
    list_datasets,
    load_dataset,
    register_dataset,
)
from experiments.errors import DataError, ExperimentError, SpecError, TrackingError
from experiments.evaluation import decision_grid, evaluate_model
from experiments.prediction import predict_frame
from experiments.preprocessing import Preprocessor
from experiments.queries import metric_history, runs_frame
from experiments.runner import RunFailed, RunResult, build_model, train
from experiments.spec import DatasetSpec, ModelSpec, RunSpec, TrainingSpec, load_spec
from experiments.sweeps import SweepResult, SweepSpec, list_sweeps, load_sweep, run_sweep
from experiments.tracking import check_tracking_uri, resolve_tracking_uri, ui_command

__all__ = [
    "DataError",
    "Dataset",
    "DatasetInfo",
    "DatasetSpec",
    "ExperimentError",
    "ModelSpec",
    "Preprocessor",
    "RunFailed",
    "RunResult",
    "RunSpec",
    "SpecError",
    "SweepResult",
    "SweepSpec",
    "TrackingError",
    "TrainingSpec",
    "build_model",
    "check_tracking_uri",
    "dataset_names",
    "dataset_param",
    "decision_grid",
    "evaluate_model",
    "get_dataset_info",
    "list_datasets",
    "list_sweeps",
    "load_dataset",
    "load_spec",
    "load_sweep",
    "metric_history",
    "predict_frame",
    "register_dataset",
    "resolve_tracking_uri",
    "run_sweep",
    "runs_frame",
    "train",
    "ui_command",
]
