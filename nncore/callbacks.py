"""Callbacks: code that ``fit`` calls at the start, after each epoch (or batch) and at the end.

MLflow logging, the dashboard's live view and early stopping are all callbacks. A
callback stops training cleanly by setting ``model.stop_training = True``; training
then ends after the current batch, records that epoch and reports why it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nncore.bounds import check_bound
from nncore.history import History


class Callback:
    """Base class; override the hooks you need.

    The contract ``fit`` keeps (``Sequential.fit`` and ``Perceptron.fit`` share one loop,
    :func:`nncore.training.run_epochs`):

    - ``on_train_begin`` runs once, before the first epoch.
    - After each epoch, the callbacks run in the order given, all with ONE shared
      ``logs`` dict. A callback may rewrite entries or add new ones in place (for
      example turn an RMSE into the target's units); every later callback sees the
      change.
    - The :class:`nncore.History` records the epoch's logs after all callbacks ran, as
      Keras' History callback that runs last, so it keeps the rewritten values.
    - Setting ``model.stop_training = True`` (and optionally ``model.stop_reason``) ends
      training after the current epoch (after the current batch, from
      ``on_batch_end``); that epoch is still recorded.
    - An epoch whose loss or weights stop being finite raises
      :class:`nncore.TrainingDiverged` before the callbacks see it; it is not recorded.
    - ``on_train_end`` runs once at the end, also when training raised.

    ``on_batch_end`` is only called for callbacks that override it, so per-epoch
    callbacks cost nothing per batch.
    """

    def on_train_begin(self, model: Any, params: dict) -> None:
        """Called once before the first epoch. ``params`` describes the run
        (``epochs``, ``batch_size``, ``n_samples``, ``loss``, ``optimizer``, ``l2``,
        ``has_validation``, ``train_metric``, ``lr_schedule``)."""

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        """Called after every epoch; ``epoch`` counts from 1 and ``logs`` holds its metrics.

        ``logs`` is shared by every callback and recorded by the history afterwards:
        changes made here in place are seen by later callbacks and kept.
        """

    def on_batch_end(self, model: Any, batch: int, logs: dict[str, float]) -> None:
        """Called after every batch (only if overridden); ``logs`` has ``epoch`` and ``size``."""

    def on_train_end(self, model: Any, history: History) -> None:
        """Called once at the end, also when training raised (for example diverged)."""


def wants_batches(callback: Callback) -> bool:
    """Whether a callback overrides ``on_batch_end``."""
    return type(callback).on_batch_end is not Callback.on_batch_end


class LambdaCallback(Callback):
    """A callback made of plain functions, each ``(model, ...)`` like the hooks.

    Examples
    --------
    >>> printer = LambdaCallback(on_epoch_end=lambda model, epoch, logs: print(epoch, logs))
    """

    def __init__(
        self,
        on_train_begin: Callable[[Any, dict], None] | None = None,
        on_epoch_end: Callable[[Any, int, dict], None] | None = None,
        on_train_end: Callable[[Any, History], None] | None = None,
    ) -> None:
        self._begin = on_train_begin
        self._epoch = on_epoch_end
        self._end = on_train_end

    def on_train_begin(self, model: Any, params: dict) -> None:
        if self._begin:
            self._begin(model, params)

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        if self._epoch:
            self._epoch(model, epoch, logs)

    def on_train_end(self, model: Any, history: History) -> None:
        if self._end:
            self._end(model, history)


class EarlyStopping(Callback):
    """Stop when a monitored metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the epoch logs. Losses and RMSE are minimised, accuracies maximised.
    patience : int, default 10
        Epochs without improvement before stopping, >= 1.
    min_delta : float, default 0.0
        The smallest change that counts as an improvement, >= 0.
    restore_best_weights : bool, default True
        Put back the weights of the best epoch when training ends.

    Attributes
    ----------
    best : float or None
        The best value seen.
    best_epoch : int or None
        The epoch it was seen at.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a metric name such as 'val_loss'; got {monitor!r}")
        self.monitor = monitor
        self.patience = check_bound("EarlyStopping.patience", patience)
        self.min_delta = check_bound("EarlyStopping.min_delta", min_delta)
        self.restore_best_weights = bool(restore_best_weights)
        self.maximize = "accuracy" in monitor
        self.best: float | None = None
        self.best_epoch: int | None = None
        self._best_state: dict[str, np.ndarray] | None = None
        self._wait = 0

    def on_train_begin(self, model: Any, params: dict) -> None:
        if self.monitor.startswith("val_") and not params.get("has_validation", False):
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r} but fit got no validation_data; "
                "pass validation_data or monitor a 'train_' metric"
            )
        self.best, self.best_epoch, self._best_state, self._wait = None, None, None, 0

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitor {self.monitor!r} is not an epoch metric; "
                f"available: {', '.join(sorted(logs))}"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_state = {k: v.copy() for k, v in model.state_dict().items()}
            return
        self._wait += 1
        if self._wait >= self.patience:
            model.stop_training = True
            model.stop_reason = (
                f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, model: Any, history: History) -> None:
        history.best_epoch = self.best_epoch
        if self.restore_best_weights and self._best_state is not None:
            model.load_state_dict(self._best_state)
