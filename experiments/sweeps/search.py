"""Optuna glue: the sampler, the pruner and the suggested settings of a sweep.

The search itself is Optuna's (RandomSampler, TPESampler; MedianPruner,
HyperbandPruner; a grid is every point enqueued once, see :func:`grid_order`); this
module only maps a :class:`~experiments.sweeps.spec.SweepSpec` onto it.
Choices are offered to Optuna as their text form (``"[16, 16]"``), so lists of
layer sizes are categories it can store, and mapped back to values here.
"""

from __future__ import annotations

import contextlib
import logging
import random
import warnings
from collections.abc import Iterator
from typing import Any

from experiments.sweeps.spec import Dimension, SweepSpec, _text, grid_points

__all__ = ["create_study", "grid_order", "make_pruner", "pruner_steps", "quiet_optuna", "suggest"]


def _choice_texts(dim: Dimension) -> list[str]:
    return [_text(v) for v in dim.values]


def create_study(spec: SweepSpec, storage: Any = None, study_name: str | None = None) -> Any:
    """An Optuna study with the sweep's sampler (seeded) and pruner.

    Parameters
    ----------
    spec : SweepSpec
    storage : optuna storage, optional
        In memory by default (one worker); a storage the workers reach otherwise.
    study_name : str, optional
        Names the study in a shared storage (the parent run id).
    """
    import optuna

    if spec.method in ("grid", "random"):
        sampler = optuna.samplers.RandomSampler(seed=spec.seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=spec.seed)
    pruner = make_pruner(spec)
    study = optuna.create_study(direction=spec.direction, sampler=sampler, pruner=pruner,
                                storage=storage, study_name=study_name,
                                load_if_exists=storage is not None)
    if spec.method == "grid" and not study.trials:
        for point in grid_order(spec)[: spec.trials]:
            study.enqueue_trial(point)
    return study


def make_pruner(spec: SweepSpec) -> Any:
    """The sweep's Optuna pruner (a study loaded on a worker needs it again: Optuna's
    storages keep trials, not the pruner)."""
    import optuna

    epochs = spec.base.training.epochs
    every = pruner_steps(spec)
    if spec.pruner == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=min(5, max(1, spec.trials // 4)),
            n_warmup_steps=max(every, epochs // 10))
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=every, max_resource=epochs)
    return optuna.pruners.NopPruner()


def grid_order(spec: SweepSpec) -> list[dict[str, str]]:
    """Every point of a grid sweep once, in an order shuffled by the sweep's seed.

    A grid is run as enqueued trials: Optuna's ``GridSampler`` stops the study from
    inside ``tell`` once the grid is done, which its ask-and-tell interface (the one a
    driver with workers needs) refuses with a RuntimeError.
    """
    points = [{key: _text(value) for key, value in point.items()}
              for point in grid_points(spec)]
    random.Random(spec.seed).shuffle(points)
    return points


def pruner_steps(spec: SweepSpec) -> int:
    """Epochs between two reports of the objective (about 20 per run, at least 1)."""
    return spec.report_every or max(1, spec.base.training.epochs // 20)


def suggest(trial: Any, spec: SweepSpec) -> dict[str, Any]:
    """The settings Optuna suggests for ``trial``, as setting values by dotted key."""
    params: dict[str, Any] = {}
    for dim in spec.space:
        if dim.kind == "choice":
            texts = _choice_texts(dim)
            params[dim.key] = dim.values[texts.index(trial.suggest_categorical(dim.key, texts))]
        elif dim.integer:
            params[dim.key] = trial.suggest_int(dim.key, int(dim.low), int(dim.high),
                                                step=int(dim.step or 1), log=dim.log)
        else:
            params[dim.key] = trial.suggest_float(dim.key, dim.low, dim.high, step=dim.step,
                                                  log=dim.log)
    return params


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Hide Optuna's per-trial INFO lines (the sweep prints its own progress) and the
    "DaskStorage is experimental" warning, which the driver sees each time it unpickles
    the storage (the scheduler and workers get :func:`~experiments.sweeps.cluster.
    quiet_cluster`)."""
    import optuna  # its import sets the level this block changes

    logger = logging.getLogger(optuna.__name__)
    before = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="DaskStorage is experimental")
            yield
    finally:
        logger.setLevel(before)
