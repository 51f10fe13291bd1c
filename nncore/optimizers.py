"""Optimizers that update a parameter array in place from its gradient.

nncore keeps every parameter of a network in one flat vector, so one optimizer step
is a handful of vectorised, in-place operations whatever the depth of the network.
State (velocity, moments) is created at the first step and kept across ``fit`` calls,
as PyTorch does (a new optimizer starts afresh).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from nncore.bounds import check_bound


class Optimizer:
    """Base class. Subclasses implement :meth:`step` and :meth:`get_config`.

    Parameters
    ----------
    lr : float
        The learning rate, a finite number > 0. ``fit`` may change it epoch by epoch
        under a learning-rate schedule and puts it back when it ends.

    Attributes
    ----------
    name : str
        The registry key (:data:`nncore.OPTIMIZERS`).
    bounds_prefix : str
        The prefix of the optimizer's argument ranges in :data:`nncore.BOUNDS`
        (``"SGD"`` for ``"SGD.lr"``, ``"SGD.momentum"``).
    """

    name: str = ""
    bounds_prefix: ClassVar[str] = "Optimizer"

    def __init__(self, lr: float) -> None:
        self.lr = check_bound(f"{self.bounds_prefix}.lr", lr)
        self._state_key: tuple | None = None

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Update ``params`` in place from ``grads`` (same shape and dtype)."""
        key = (params.shape, params.dtype)
        if key != self._state_key:
            self._init_state(params)
            self._state_key = key
        self._update(params, grads)

    def _init_state(self, params: np.ndarray) -> None:
        self._scratch = np.empty_like(params)

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The optimizer as a JSON-able dict with its ``name``."""
        return {"name": self.name, "lr": self.lr}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    With velocity ``v`` (as scikit-learn's MLP writes it)::

        v <- momentum * v - lr * g
        w <- w + v                          (classical momentum)
        w <- w + momentum * v - lr * g      (Nesterov)

    With ``momentum=0`` this is plain gradient descent ``w <- w - lr * g``; full batch,
    mini-batch or one sample at a time is chosen by ``batch_size`` in ``fit``.

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate, > 0.
    momentum : float, default 0.0
        In [0, 1).
    nesterov : bool, default False
        Nesterov's accelerated gradient; needs ``momentum > 0``.
    """

    name = "sgd"
    bounds_prefix = "SGD"

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.momentum = check_bound("SGD.momentum", momentum)
        if not isinstance(nesterov, bool | np.bool_):
            raise ValueError(f"nesterov must be True or False; got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0.0")
        self.nesterov = bool(nesterov)

    def _init_state(self, params: np.ndarray) -> None:
        super()._init_state(params)
        self._velocity = np.zeros_like(params)
        self._lookahead = np.empty_like(params) if self.nesterov else None

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        step = self._scratch
        np.multiply(grads, self.lr, out=step)
        if self.momentum == 0.0:
            params -= step
            return
        velocity = self._velocity
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            lookahead = self._lookahead
            np.multiply(velocity, self.momentum, out=lookahead)
            lookahead -= step
            params += lookahead
        else:
            params += velocity

    def get_config(self) -> dict:
        return {"name": self.name, "lr": self.lr, "momentum": self.momentum,
                "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam (Kingma & Ba, Algorithm 1), with bias-corrected moments::

        m <- beta1 m + (1 - beta1) g
        v <- beta2 v + (1 - beta2) g^2
        w <- w - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    Parameters
    ----------
    lr : float, default 0.001
    beta1 : float, default 0.9
        In [0, 1).
    beta2 : float, default 0.999
        In [0, 1).
    eps : float, default 1e-8
        > 0.
    """

    name = "adam"
    bounds_prefix = "Adam"

    def __init__(
        self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1 = check_bound("Adam.beta1", beta1)
        self.beta2 = check_bound("Adam.beta2", beta2)
        self.eps = check_bound("Adam.eps", eps)

    def _init_state(self, params: np.ndarray) -> None:
        super()._init_state(params)
        self._m = np.zeros_like(params)
        self._v = np.zeros_like(params)
        self._t = 0

    def _update(self, params: np.ndarray, grads: np.ndarray) -> None:
        self._t += 1
        b1, b2, m, v, scratch = self.beta1, self.beta2, self._m, self._v, self._scratch
        m *= b1
        np.multiply(grads, 1.0 - b1, out=scratch)
        m += scratch
        v *= b2
        np.multiply(grads, grads, out=scratch)
        scratch *= 1.0 - b2
        v += scratch
        # sqrt(v / (1 - b2^t)) + eps, then the bias-corrected step
        np.multiply(v, 1.0 / (1.0 - b2**self._t), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.eps
        np.divide(m, scratch, out=scratch)
        scratch *= self.lr / (1.0 - b1**self._t)
        params -= scratch

    def get_config(self) -> dict:
        return {"name": self.name, "lr": self.lr, "beta1": self.beta1, "beta2": self.beta2,
                "eps": self.eps}


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}
"""Optimizer classes by name."""


def get_optimizer(optimizer: str | Optimizer | None, **kwargs: float) -> Optimizer:
    """Build an optimizer from a name and keyword arguments, or pass one through.

    Examples
    --------
    >>> get_optimizer("sgd", lr=0.1, momentum=0.9)
    SGD(lr=0.1, momentum=0.9, nesterov=False)
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    if optimizer is None:
        optimizer = "sgd"
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        raise ValueError(
            f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))} or an Optimizer; "
            f"got {optimizer!r}"
        )
    return OPTIMIZERS[optimizer](**kwargs)

