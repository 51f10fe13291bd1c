"""Loss functions, all means, with their gradients and the fused output deltas.

With ``m`` samples and ``K`` outputs (``LESSONS.md`` section 3):

- ``binary_cross_entropy`` (alias ``log_loss``):
  ``E = -mean over all elements of [y ln a + (1 - y) ln(1 - a)]``
- ``cross_entropy``: ``E = -(1/m) sum_i sum_k y_ik ln p_ik``
- ``mse``: ``E = mean over all elements of (a - y)^2``

When the loss meets its matched output activation the delta at the output's
pre-activation is simple (section 5), and computing it directly is faster and more
stable than chaining ``dE/dA`` with ``g'(Z)``:

- sigmoid + binary cross-entropy: ``delta = (a - y) / (m K)``
- softmax + cross-entropy: ``delta = (p - y) / m``
- identity + mse: ``delta = 2 (a - y) / (m K)``
"""

from __future__ import annotations

import numpy as np


def _clip_probabilities(A: np.ndarray) -> np.ndarray:
    """A new array with ``A`` clipped to ``[eps, 1 - eps]`` (so logs stay finite)."""
    eps = np.finfo(A.dtype).eps
    P = np.maximum(A, eps)
    return np.minimum(P, 1.0 - eps, out=P)


class Loss:
    """Base class of a mean loss.

    Attributes
    ----------
    name : str
        The registry key.
    matched_activation : str
        The output activation whose fused delta this loss provides.
    """

    name: str = ""
    matched_activation: str = ""

    def value(self, A: np.ndarray, Y: np.ndarray) -> float:
        """The mean loss of outputs ``A`` against targets ``Y`` (both ``(m, K)``)."""
        raise NotImplementedError

    def gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``dE/dA``, a new ``(m, K)`` array, for chaining with any output activation."""
        raise NotImplementedError

    def fused_delta(self, A: np.ndarray, Y: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``dE/dZ`` at the output for the matched activation, written into ``out``."""
        np.subtract(A, Y, out=out)
        out *= self._fused_scale(A.shape)
        return out

    def _fused_scale(self, shape: tuple[int, int]) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryCrossEntropy(Loss):
    """Log-loss of independent sigmoid outputs, averaged over samples and outputs."""

    name = "binary_cross_entropy"
    matched_activation = "sigmoid"

    def value(self, A: np.ndarray, Y: np.ndarray) -> float:
        # sum[y ln p + (1 - y) ln(1 - p)] = y.ln p + sum ln(1 - p) - y.ln(1 - p), with dots
        # instead of temporaries: the hot path of every epoch.
        P = _clip_probabilities(A)
        log_p = np.log(P)
        np.negative(P, out=P)
        log_q = np.log1p(P, out=P)
        total = np.vdot(Y, log_p) + np.add.reduce(log_q, axis=None) - np.vdot(Y, log_q)
        return float(-total / A.size)

    def gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        P = _clip_probabilities(A)
        return (P - Y) / (P * (1.0 - P) * A.size)

    def _fused_scale(self, shape: tuple[int, int]) -> float:
        return 1.0 / (shape[0] * shape[1])


class CrossEntropy(Loss):
    """Categorical cross-entropy of softmax outputs against one-hot (or soft) targets."""

    name = "cross_entropy"
    matched_activation = "softmax"

    def value(self, A: np.ndarray, Y: np.ndarray) -> float:
        log_p = np.maximum(A, np.finfo(A.dtype).eps)
        np.log(log_p, out=log_p)
        return float(-np.vdot(Y, log_p) / A.shape[0])

    def gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return -Y / (_clip_probabilities(A) * A.shape[0])

    def _fused_scale(self, shape: tuple[int, int]) -> float:
        return 1.0 / shape[0]


class MeanSquaredError(Loss):
    """Mean over all elements of the squared error."""

    name = "mse"
    matched_activation = "identity"

    def value(self, A: np.ndarray, Y: np.ndarray) -> float:
        diff = A - Y
        return float(np.vdot(diff, diff) / diff.size)

    def gradient(self, A: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return 2.0 * (A - Y) / A.size

    def _fused_scale(self, shape: tuple[int, int]) -> float:
        return 2.0 / (shape[0] * shape[1])


LOSSES: dict[str, Loss] = {
    cls.name: cls() for cls in (BinaryCrossEntropy, CrossEntropy, MeanSquaredError)
}
"""Losses by name."""

LOSS_ALIASES: dict[str, str] = {"log_loss": "binary_cross_entropy"}

def get_loss(name: str | Loss) -> Loss:
    """Look a loss up by name or alias (``log_loss``), or pass a :class:`Loss` through."""
    if isinstance(name, Loss):
        return name
    if isinstance(name, str):
        name = LOSS_ALIASES.get(name, name)
    if not isinstance(name, str) or name not in LOSSES:
        allowed = [*LOSSES, *LOSS_ALIASES]
        raise ValueError(f"loss must be one of {', '.join(map(repr, allowed))}; got {name!r}")
    return LOSSES[name]

