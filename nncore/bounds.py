"""The allowed range of every numeric nncore argument, in one table.

:data:`BOUNDS` maps a dotted setting name (``"SGD.lr"``, ``"fit.epochs"``, ``"seed"``) to
an :class:`Interval`; every nncore constructor and ``fit`` checks its numeric arguments
by reading that table, so a range is written once. The experiments layer's setting
schema reads the same table, so both layers accept and reject the same values.

Messages name the argument, the value and what is allowed, in the spirit of
scikit-learn's parameter constraints and PyTorch's optimizer checks::

    >>> BOUNDS["SGD.lr"].check("lr", 0)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number in (0, inf); got 0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Literal

Closed = Literal["both", "left", "right", "neither"]
_CLOSED = ("both", "left", "right", "neither")


def _number(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Interval:
    """A range of allowed numbers: reals (always finite) or integers.

    Parameters
    ----------
    low, high : float or None
        The ends; None is unbounded on that side.
    closed : {"both", "left", "right", "neither"}
        Which ends belong to the interval (as in scikit-learn's ``Interval``); an
        unbounded end never does.
    integer : bool, default False
        Only integers (not bools, not floats like ``3.0``) are allowed.

    Examples
    --------
    >>> Interval(0, 1, "left").describe()
    'a finite number in [0, 1)'
    >>> Interval(1, None, "left", integer=True).describe()
    'a whole number >= 1'
    >>> Interval(1, None, "left", integer=True).contains(2.0)
    False
    """

    low: float | None
    high: float | None
    closed: Closed
    integer: bool = False

    def __post_init__(self) -> None:
        if self.closed not in _CLOSED:
            raise ValueError(f"closed must be one of {', '.join(map(repr, _CLOSED))}; "
                             f"got {self.closed!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low must be <= high; got low={self.low!r}, high={self.high!r}")

    @property
    def low_inclusive(self) -> bool:
        """Whether ``low`` itself is allowed (False when unbounded below)."""
        return self.low is not None and self.closed in ("both", "left")

    @property
    def high_inclusive(self) -> bool:
        """Whether ``high`` itself is allowed (False when unbounded above)."""
        return self.high is not None and self.closed in ("both", "right")

    def contains(self, value: object) -> bool:
        """Whether ``value`` is a number of the right kind inside the interval.

        Bools are never numbers here; reals must be finite; an integer interval takes
        only integer types (``int``, ``numpy.int64``, ...).
        """
        if isinstance(value, bool):
            return False
        if self.integer:
            if not isinstance(value, Integral):
                return False
        elif not isinstance(value, Real) or not math.isfinite(float(value)):
            return False
        if self.low is not None and (
            value < self.low or (value == self.low and not self.low_inclusive)
        ):
            return False
        return self.high is None or not (
            value > self.high or (value == self.high and not self.high_inclusive)
        )

    def describe(self) -> str:
        """What the interval allows, in words: ``"a finite number in (0, inf)"``,
        ``"a whole number >= 1"``."""
        if not self.integer:
            left = "[" if self.low_inclusive else "("
            right = "]" if self.high_inclusive else ")"
            low = "-inf" if self.low is None else _number(self.low)
            high = "inf" if self.high is None else _number(self.high)
            return f"a finite number in {left}{low}, {high}{right}"
        if self.low is None and self.high is None:
            return "a whole number"
        if self.high is None:
            return f"a whole number {'>=' if self.low_inclusive else '>'} {_number(self.low)}"
        if self.low is None:
            return f"a whole number {'<=' if self.high_inclusive else '<'} {_number(self.high)}"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"a whole number in {left}{_number(self.low)}, {_number(self.high)}{right}"

    def check(self, name: str, value: object, *, allow_none: bool = False) -> int | float | None:
        """Return ``value`` as an ``int`` (integer intervals) or ``float``, or raise.

        Parameters
        ----------
        name : str
            The argument's name, for the message.
        value : object
        allow_none : bool, default False
            Let None through (returned as None).

        Raises
        ------
        ValueError
            ``"<name> must be <describe()>[ or None]; got <value>"``.
        """
        if value is None and allow_none:
            return None
        if not self.contains(value):
            also = " or None" if allow_none else ""
            raise ValueError(f"{name} must be {self.describe()}{also}; got {value!r}")
        return int(value) if self.integer else float(value)


_POSITIVE = Interval(0, None, "neither")
_NON_NEGATIVE = Interval(0, None, "left")
_FRACTION = Interval(0, 1, "left")              # momentum, Adam's betas: [0, 1)
_COUNT = Interval(1, None, "left", integer=True)

BOUNDS: dict[str, Interval] = {
    "Optimizer.lr": _POSITIVE,
    "SGD.lr": _POSITIVE,
    "SGD.momentum": _FRACTION,
    "Adam.lr": _POSITIVE,
    "Adam.beta1": _FRACTION,
    "Adam.beta2": _FRACTION,
    "Adam.eps": _POSITIVE,
    "fit.epochs": _COUNT,
    "fit.batch_size": _COUNT,
    "fit.l2": _NON_NEGATIVE,
    "EarlyStopping.patience": _COUNT,
    "EarlyStopping.min_delta": _NON_NEGATIVE,
    "Dense.n_inputs": _COUNT,
    "Dense.n_units": _COUNT,
    "Perceptron.n_inputs": _COUNT,
    "Perceptron.lr": _POSITIVE,
    "seed": Interval(0, None, "left", integer=True),
    "StepDecay.decay_rate": Interval(0, 1, "right"),
    "StepDecay.decay_epochs": _COUNT,
    "ExponentialDecay.decay_rate": Interval(0, 1, "right"),
    "ExponentialDecay.decay_epochs": _COUNT,
    "CosineDecay.min_factor": Interval(0, 1, "both"),
    "check_gradients.eps": _POSITIVE,
}
"""The allowed range of each numeric nncore argument, by ``"<Class or function>.<argument>"``
(``"seed"`` alone for the seed of every model)."""


def check_bound(key: str, value: object, *, allow_none: bool = False) -> int | float | None:
    """Check ``value`` against ``BOUNDS[key]``, naming it by the part after the last dot.

    The table is read at call time, so the check always follows :data:`BOUNDS`.

    Examples
    --------
    >>> check_bound("fit.epochs", 10)
    10
    """
    return BOUNDS[key].check(key.rpartition(".")[2], value, allow_none=allow_none)
