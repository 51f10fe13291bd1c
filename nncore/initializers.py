"""Weight initializers. Each draws from the ``numpy.random.Generator`` it is given.

``fan_in`` is the number of inputs of a layer and ``fan_out`` its number of units.
Biases always start at zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Initializer = Callable[[np.random.Generator, int, int], np.ndarray]


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot/Xavier uniform: ``U(-l, l)`` with ``l = sqrt(6 / (fan_in + fan_out))``."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def glorot_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot/Xavier normal: ``N(0, 2 / (fan_in + fan_out))``."""
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))


def he_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """He/Kaiming uniform: ``U(-l, l)`` with ``l = sqrt(6 / fan_in)``."""
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """He/Kaiming normal: ``N(0, 2 / fan_in)``, suited to ReLU layers."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def zeros(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """All zeros (fine for logistic regression, a bad idea for hidden layers)."""
    return np.zeros((fan_in, fan_out))


INITIALIZERS: dict[str, Initializer] = {
    f.__name__: f for f in (glorot_uniform, glorot_normal, he_uniform, he_normal, zeros)
}
"""Initializers by name."""

RELU_LIKE = frozenset({"relu", "leaky_relu"})


def default_initializer(activation: str) -> str:
    """He normal for ReLU-like layers, Glorot uniform for everything else."""
    return "he_normal" if activation in RELU_LIKE else "glorot_uniform"


def get_initializer(name: str) -> Initializer:
    """Look an initializer up by name."""
    if not isinstance(name, str) or name not in INITIALIZERS:
        raise ValueError(
            f"init must be one of {', '.join(map(repr, INITIALIZERS))}; got {name!r}"
        )
    return INITIALIZERS[name]
