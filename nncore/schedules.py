"""Learning-rate schedules: the factor the base learning rate is multiplied by, per epoch.

``fit(..., lr_schedule=...)`` sets the optimizer's learning rate (the perceptron's
``lr``) to ``base_lr * schedule.factor(epoch, epochs)`` at the start of every epoch,
logs it as ``lr``, and puts the base value back when training ends. Epochs count from
1 and every schedule starts at ``factor(1, epochs) == 1.0``.

==================== ==============================================================
name                 factor(epoch, epochs)
==================== ==============================================================
constant             1
step                 decay_rate ** floor((epoch - 1) / decay_epochs)
exponential          decay_rate ** ((epoch - 1) / decay_epochs)
cosine               min_factor + (1 - min_factor) (1 + cos(pi t)) / 2,
                     t = (epoch - 1) / (epochs - 1)  (t = 0 when epochs == 1)
==================== ==============================================================
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from nncore.bounds import check_bound


class Schedule:
    """Base class: a learning-rate factor for each epoch of a run of ``epochs`` epochs.

    Subclasses set :attr:`name` and implement :meth:`factor` and :meth:`get_config`.

    Attributes
    ----------
    name : str
        The registry key (:data:`nncore.SCHEDULES`).
    """

    name: ClassVar[str] = ""

    def factor(self, epoch: int, epochs: int) -> float:
        """The factor of the base learning rate in ``epoch`` (from 1) of ``epochs``."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The schedule as a JSON-able dict with its ``name``; ``get_schedule(name,
        **rest)`` rebuilds it."""
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(tuple(self.get_config().items()))


class ConstantLR(Schedule):
    """The base learning rate in every epoch (factor 1)."""

    name = "constant"

    def factor(self, epoch: int, epochs: int) -> float:
        return 1.0


class _Decay(Schedule):
    """A decay by ``decay_rate`` per ``decay_epochs`` epochs (shared arguments)."""

    bounds_prefix: ClassVar[str] = ""

    def __init__(self, decay_rate: float = 0.5, decay_epochs: int = 100) -> None:
        self.decay_rate = check_bound(f"{self.bounds_prefix}.decay_rate", decay_rate)
        self.decay_epochs = check_bound(f"{self.bounds_prefix}.decay_epochs", decay_epochs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "decay_rate": self.decay_rate,
                "decay_epochs": self.decay_epochs}


class StepDecay(_Decay):
    """Multiply the learning rate by ``decay_rate`` every ``decay_epochs`` epochs.

    ``factor = decay_rate ** floor((epoch - 1) / decay_epochs)``: epochs
    ``1..decay_epochs`` use the base rate, the next ``decay_epochs`` epochs
    ``decay_rate`` times it, and so on.

    Parameters
    ----------
    decay_rate : float, default 0.5
        In (0, 1].
    decay_epochs : int, default 100
        >= 1.
    """

    name = "step"
    bounds_prefix = "StepDecay"

    def factor(self, epoch: int, epochs: int) -> float:
        return self.decay_rate ** ((epoch - 1) // self.decay_epochs)


class ExponentialDecay(_Decay):
    """Decay the learning rate smoothly by ``decay_rate`` per ``decay_epochs`` epochs.

    ``factor = decay_rate ** ((epoch - 1) / decay_epochs)``: the same rate as
    :class:`StepDecay` at epochs ``1, 1 + decay_epochs, ...``, without the steps.

    Parameters
    ----------
    decay_rate : float, default 0.5
        In (0, 1].
    decay_epochs : int, default 100
        >= 1.
    """

    name = "exponential"
    bounds_prefix = "ExponentialDecay"

    def factor(self, epoch: int, epochs: int) -> float:
        return self.decay_rate ** ((epoch - 1) / self.decay_epochs)


class CosineDecay(Schedule):
    """Lower the learning rate along half a cosine, from the base rate in epoch 1 to
    ``min_factor`` times it in the last epoch.

    ``factor = min_factor + (1 - min_factor) * (1 + cos(pi * t)) / 2`` with
    ``t = (epoch - 1) / (epochs - 1)`` (``t = 0`` for a single epoch, and ``t`` stays at
    1 past the last epoch). Dividing by ``epochs - 1`` rather than ``epochs`` makes the
    last epoch land exactly on ``min_factor``; with the default ``min_factor = 0`` the
    last epoch therefore makes no update.

    Parameters
    ----------
    min_factor : float, default 0.0
        The factor of the last epoch, in [0, 1].
    """

    name = "cosine"

    def __init__(self, min_factor: float = 0.0) -> None:
        self.min_factor = check_bound("CosineDecay.min_factor", min_factor)

    def factor(self, epoch: int, epochs: int) -> float:
        t = min(1.0, (epoch - 1) / (epochs - 1)) if epochs > 1 else 0.0
        return self.min_factor + (1.0 - self.min_factor) * (1.0 + math.cos(math.pi * t)) / 2.0

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "min_factor": self.min_factor}


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (ConstantLR, StepDecay, ExponentialDecay, CosineDecay)
}
"""Learning-rate schedule classes by name."""


def get_schedule(name_or_schedule: str | Schedule | None, **kwargs: Any) -> Schedule:
    """Build a schedule from a name and keyword arguments, or pass one through.

    None is :class:`ConstantLR`.

    Examples
    --------
    >>> get_schedule("step", decay_rate=0.1, decay_epochs=30)
    StepDecay(decay_rate=0.1, decay_epochs=30)
    """
    if isinstance(name_or_schedule, Schedule):
        return name_or_schedule
    name = "constant" if name_or_schedule is None else name_or_schedule
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(
            f"lr_schedule must be one of {', '.join(map(repr, SCHEDULES))} or a Schedule; "
            f"got {name!r}"
        )
    return SCHEDULES[name](**kwargs)
