"""The dense (fully connected) layer: ``A = g(X W + b)`` in nncore's row convention."""

from __future__ import annotations

import numpy as np

from nncore.activations import Activation, get_activation
from nncore.bounds import check_bound
from nncore.initializers import default_initializer, get_initializer


class Dense:
    """A fully connected layer ``Z = X W + b``, ``A = g(Z)``.

    The layer describes its shape; its parameters are created when a
    :class:`nncore.Sequential` that contains it is built, as views into the network's
    single parameter vector (so optimizers update every layer in one step).

    Parameters
    ----------
    n_inputs : int
        Number of inputs (rows of ``W``), at least 1.
    n_units : int
        Number of units (columns of ``W``), at least 1.
    activation : str, default "identity"
        A name from :data:`nncore.ACTIVATIONS`.
    init : str or None, default None
        A name from :data:`nncore.INITIALIZERS`; None picks ``he_normal`` for ReLU-like
        activations and ``glorot_uniform`` otherwise. Biases start at zero.

    Attributes
    ----------
    W : ndarray of shape (n_inputs, n_units)
        The weights; writable in place (``layer.W[...] = values`` or ``layer.W -= step``).
    b : ndarray of shape (n_units,)
        The biases.
    dW, db : ndarray
        The gradients of the loss with respect to ``W`` and ``b``, shaped like them:
        views into the network's flat gradient vector, which backpropagation fills in
        place. The attributes cannot be reassigned.
    """

    def __init__(
        self, n_inputs: int, n_units: int, activation: str = "identity", init: str | None = None
    ) -> None:
        self.n_inputs = check_bound("Dense.n_inputs", n_inputs)
        self.n_units = check_bound("Dense.n_units", n_units)
        self.activation_fn: Activation = get_activation(activation)
        self.activation = self.activation_fn.name
        self.init = default_initializer(self.activation) if init is None else init
        get_initializer(self.init)  # validates the name now, not at build time
        self._W: np.ndarray | None = None
        self._b: np.ndarray | None = None
        self._dW: np.ndarray | None = None
        self._db: np.ndarray | None = None

    @property
    def n_params(self) -> int:
        """Number of trainable parameters, ``n_inputs * n_units + n_units``."""
        return self.n_inputs * self.n_units + self.n_units

    @property
    def W(self) -> np.ndarray | None:
        """Weights of shape ``(n_inputs, n_units)`` (None until the layer is in a network)."""
        return self._W

    @W.setter
    def W(self, value: np.ndarray) -> None:
        self._assign("W", self._W, value)

    @property
    def b(self) -> np.ndarray | None:
        """Biases of shape ``(n_units,)`` (None until the layer is in a network)."""
        return self._b

    @b.setter
    def b(self, value: np.ndarray) -> None:
        self._assign("b", self._b, value)

    @property
    def dW(self) -> np.ndarray | None:
        """Gradient of the loss with respect to ``W``, filled by backprop (None until bound)."""
        return self._dW

    @property
    def db(self) -> np.ndarray | None:
        """Gradient of the loss with respect to ``b``, filled by backprop (None until bound)."""
        return self._db

    @staticmethod
    def _assign(name: str, target: np.ndarray | None, value: np.ndarray) -> None:
        if target is None:
            raise ValueError(f"{name} does not exist until the layer is part of a Sequential")
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{name} must have shape {target.shape}; got shape {value.shape}")
        target[...] = value

    def bind(self, params: np.ndarray, grads: np.ndarray, offset: int) -> int:
        """Make ``W``, ``b``, ``dW`` and ``db`` views into flat vectors; return the next offset.

        :class:`nncore.Sequential` calls it for each of its layers: ``W`` then ``b`` of
        each layer lie in ``params[offset:offset + n_params]``, their gradients at the
        same place in ``grads``.
        """
        n_w = self.n_inputs * self.n_units
        shape = (self.n_inputs, self.n_units)
        self._W = params[offset : offset + n_w].reshape(shape)
        self._dW = grads[offset : offset + n_w].reshape(shape)
        self._b = params[offset + n_w : offset + self.n_params]
        self._db = grads[offset + n_w : offset + self.n_params]
        return offset + self.n_params

    def get_config(self) -> dict:
        """The layer as a JSON-able dict (``Dense(**config)`` rebuilds it)."""
        return {
            "n_inputs": self.n_inputs,
            "n_units": self.n_units,
            "activation": self.activation,
            "init": self.init,
        }

    def __repr__(self) -> str:
        return f"Dense({self.n_inputs}, {self.n_units}, activation={self.activation!r})"
