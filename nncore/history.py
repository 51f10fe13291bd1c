"""``History``: what one ``fit`` recorded, epoch by epoch."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class History:
    """Per-epoch metrics of one ``fit``.

    Each epoch's logs are recorded after every callback ran on them (as Keras' History
    callback, which runs last), so a callback that rewrites a log entry in place changes
    what the history keeps.

    Attributes
    ----------
    epochs : list of int
        Epoch numbers, from 1.
    history : dict of str to list of float
        ``train_loss`` and ``train_accuracy`` (classifiers) or ``train_rmse``
        (regression), and the same with ``val_`` for validation data. Losses are the
        mean data loss, without the L2 penalty, so runs with different ``l2`` compare.
        Train metrics are averages over the epoch's batches, as Keras reports them.
        With a learning-rate schedule, ``lr`` is the learning rate of each epoch.
    stopped_early : bool
        True when a callback (early stopping, a Stop button) ended training.
    stop_reason : str or None
        Why it stopped before the last epoch (early stopping, a callback, or a
        perceptron that converged).
    best_epoch : int or None
        Set by :class:`nncore.EarlyStopping`.
    """

    epochs: list[int] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)
    stopped_early: bool = False
    stop_reason: str | None = None
    best_epoch: int | None = None

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's metrics.

        Every list stays one entry per epoch: a key first seen after epoch 1 is padded
        with NaN for the epochs before it, and a key missing from an epoch gets NaN.
        """
        n = len(self.epochs)
        history = self.history
        for key, value in logs.items():
            column = history.get(key)
            if column is None:
                column = history[key] = [math.nan] * n
            column.append(value)
        self.epochs.append(epoch)
        if len(history) != len(logs):
            for column in history.values():
                if len(column) == n:
                    column.append(math.nan)

    def records(self) -> list[dict[str, float]]:
        """One dict per epoch, ``{"epoch": e, "train_loss": ..., ...}`` (a tidy table)."""
        keys = list(self.history)
        return [
            {"epoch": epoch, **{k: self.history[k][i] for k in keys}}
            for i, epoch in enumerate(self.epochs)
        ]

    def last(self) -> dict[str, float]:
        """The metrics of the last recorded epoch (empty if none)."""
        return {k: v[-1] for k, v in self.history.items() if v}

    def __len__(self) -> int:
        return len(self.epochs)
