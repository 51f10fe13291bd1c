"""Activation functions, each with its derivative written in terms of its output.

Writing ``g'(z)`` as a function of ``a = g(z)`` (as scikit-learn's MLP does) means the
backward pass needs only the activations kept from the forward pass:

=========== ===================== ============================
name        a = g(z)              g'(z) from a
=========== ===================== ============================
identity    z                     1
sigmoid     1 / (1 + e^-z)        a (1 - a)
tanh        tanh z                1 - a^2
relu        max(z, 0)             1 if a > 0 else 0
leaky_relu  z if z > 0 else 0.01z 1 if a > 0 else 0.01
softmax     e^z_k / sum_j e^z_j   Jacobian p_k (delta_kj - p_j)
step        1 if z >= 0 else 0    0 almost everywhere (not trainable)
=========== ===================== ============================

Both methods work in place on preallocated arrays: ``forward`` turns ``Z`` into ``A``,
``backward`` turns ``dE/dA`` into ``dE/dZ``.
"""

from __future__ import annotations

import numpy as np

LEAKY_RELU_SLOPE = 0.01


class Activation:
    """Base class: an elementwise (or row-wise) function with an in-place derivative.

    Attributes
    ----------
    name : str
        The registry key, which is also what MLflow logs and the dashboard shows.
    trainable : bool
        False for ``step``, whose derivative is zero almost everywhere.
    """

    name: str = ""
    trainable: bool = True

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Overwrite ``Z`` with ``g(Z)`` and return it."""
        raise NotImplementedError

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """Overwrite ``delta`` (dE/dA) with dE/dZ, using the outputs ``A``, and return it."""
        raise NotImplementedError

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        """Return ``g(Z)`` as a new array (``Z`` is left alone)."""
        return self.forward(np.array(Z, dtype=np.result_type(Z, np.float32), copy=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    """``g(z) = z``: the output of regression networks."""

    name = "identity"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return delta


class Sigmoid(Activation):
    """The logistic function, computed as ``(1 + tanh(z/2)) / 2`` (no overflow)."""

    name = "sigmoid"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        Z *= 0.5
        np.tanh(Z, out=Z)
        Z += 1.0
        Z *= 0.5
        return Z

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        delta *= A
        delta *= 1.0 - A
        return delta


class Tanh(Activation):
    """The hyperbolic tangent."""

    name = "tanh"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.tanh(Z, out=Z)

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        delta *= 1.0 - A * A
        return delta


#: :class:`ReLU` compares with a zero vector of this many entries, chunk by chunk.
ZEROS_CHUNK = 1 << 16
_ZEROS: dict[np.dtype, np.ndarray] = {}


def _zeros(dtype: np.dtype) -> np.ndarray:
    """A read-only vector of :data:`ZEROS_CHUNK` zeros of ``dtype`` (made once)."""
    zeros = _ZEROS.get(dtype)
    if zeros is None:
        zeros = np.zeros(ZEROS_CHUNK, dtype)
        zeros.flags.writeable = False
        _ZEROS[dtype] = zeros
    return zeros


class ReLU(Activation):
    """The rectified linear unit ``max(z, 0)``; its derivative at 0 is taken as 0."""

    name = "relu"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        # np.maximum(Z, zeros) gives exactly np.maximum(Z, 0.0) (the same comparison
        # element by element, NaN and -0.0 alike) but with two contiguous operands numpy
        # runs its SIMD loop, 3-4 times faster than the loop for a broadcast scalar (8 us
        # against 29 us for 256 x 256 float32).
        if Z.flags.c_contiguous:
            flat = Z.reshape(-1)
        elif Z.flags.f_contiguous:
            flat = Z.T.reshape(-1)
        else:
            return np.maximum(Z, 0.0, out=Z)
        zeros = _zeros(Z.dtype)
        if flat.size <= ZEROS_CHUNK:
            np.maximum(flat, zeros[: flat.size], out=flat)
            return Z
        for start in range(0, flat.size, ZEROS_CHUNK):
            part = flat[start : start + ZEROS_CHUNK]
            np.maximum(part, zeros[: part.size], out=part)
        return Z

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        delta *= A > 0
        return delta


class LeakyReLU(Activation):
    """``z`` for positive ``z``, ``0.01 z`` otherwise."""

    name = "leaky_relu"
    slope = LEAKY_RELU_SLOPE

    def forward(self, Z: np.ndarray) -> np.ndarray:
        np.maximum(Z, Z * self.slope, out=Z)
        return Z

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        delta[A <= 0] *= self.slope
        return delta


#: Up to this many columns, :func:`row_max` reduces a transposed copy over its rows.
NARROW_ROWS = 16


def row_max(Z: np.ndarray) -> np.ndarray:
    """The maximum of each row of ``Z`` as a new ``(m, 1)`` array.

    numpy reduces a short row slowly (one inner-loop call per row), and comparing whole
    columns, strided, is not much faster (15 us for 256 rows of 10). For up to
    :data:`NARROW_ROWS` columns, ``Z`` is transposed into a new contiguous ``(K, m)``
    array and reduced over its first axis: ``K - 1`` elementwise maxima of contiguous
    rows, in column order, as the column-by-column loop did (3 us for 256 x 10). A
    maximum is exact and NaN and -0.0 go the same way, so the numbers are those of
    ``Z.max(axis=1, keepdims=True)``.
    """
    if Z.shape[1] > NARROW_ROWS:
        return np.maximum.reduce(Z, axis=1, keepdims=True)
    return np.maximum.reduce(Z.T.copy(), axis=0)[:, None]


class Softmax(Activation):
    """Row-wise softmax with the row maximum subtracted for stability.

    Its derivative is a Jacobian, ``dp_k/dz_j = p_k (delta_kj - p_j)``; ``backward``
    applies it to each row: ``dE/dz = p * (dE/dp - sum_k p_k dE/dp_k)``.
    """

    name = "softmax"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        column = row_max(Z)                 # (m, 1), then reused for the row sums
        Z -= column
        np.exp(Z, out=Z)
        np.add.reduce(Z, axis=1, keepdims=True, out=column)
        Z /= column
        return Z

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        delta -= np.einsum("ij,ij->i", A, delta)[:, None]
        delta *= A
        return delta


class Step(Activation):
    """The perceptron's step function: 1 where ``z >= 0``, else 0.

    Its derivative is zero almost everywhere, so gradient descent cannot train it; use
    :class:`nncore.Perceptron` (the perceptron trick) or a sigmoid instead.
    """

    name = "step"
    trainable = False

    def forward(self, Z: np.ndarray) -> np.ndarray:
        np.greater_equal(Z, 0.0, out=Z, casting="unsafe")
        return Z

    def backward(self, A: np.ndarray, delta: np.ndarray) -> np.ndarray:
        raise ValueError(
            "activation 'step' has a zero derivative almost everywhere and cannot be trained "
            "by backpropagation; use nncore.Perceptron or a 'sigmoid' unit"
        )


ACTIVATIONS: dict[str, Activation] = {
    cls.name: cls() for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Step)
}
"""Activations by name: the names a selectbox shows and MLflow logs."""

OUTPUT_ONLY = frozenset({"softmax"})


def get_activation(name: str | Activation) -> Activation:
    """Look an activation up by name (or pass an :class:`Activation` through).

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the known names.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {name!r}"
        )
    return ACTIVATIONS[name]
