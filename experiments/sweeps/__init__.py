"""Hyperparameter sweeps: a base run plus a search space, searched with Optuna.

Every trial is an MLflow child run of one parent run per sweep. Trials run one after
another in this process (one worker) or as tasks on a ``dask.distributed`` cluster.
"""

from experiments.sweeps.engine import StopRequest, SweepResult, run_sweep
from experiments.sweeps.records import list_sweeps
from experiments.sweeps.spec import Dimension, SweepSpec, load_sweep

__all__ = ["Dimension", "StopRequest", "SweepResult", "SweepSpec", "list_sweeps", "load_sweep",
           "run_sweep"]
