"""Every intermediate of one forward and backward pass, as plain arrays.

:func:`backprop_trace` runs nncore's one implementation of backpropagation
(:class:`nncore.training.Workspace`, the code ``fit`` trains with) with a recorder
attached, and copies what its buffers hold at each point: the pre-activations ``Z``
(before the activation overwrites them), the activations ``A``, ``dE/dA`` and the
deltas ``dE/dZ`` (before the next layer's delta overwrites them) and the gradients. There
is no second implementation that could drift from the trainer.

Row convention and notation of ``LESSONS.md`` section 5: ``X`` is (samples x features),
``Z = A_prev·W + b``, ``A = g(Z)``, ``delta = dE/dZ`` of the *mean* loss ``E``, so
``dW = A_prevᵀ·delta`` and ``db = Σ_rows delta``.

:func:`perceptron_trick` is the perceptron's counterpart: one point, the rule that
fired, the weights before and after (:meth:`nncore.Perceptron.update` applies it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from nncore._checks import as_float_matrix
from nncore.losses import Loss
from nncore.network import Sequential
from nncore.optimizers import Optimizer, get_optimizer
from nncore.perceptron import Perceptron
from nncore.training import Workspace

__all__ = ["BackpropTrace", "LayerTrace", "PerceptronTrick", "backprop_trace",
           "layer_activations", "perceptron_trick", "train_step"]


@dataclass(frozen=True)
class LayerTrace:
    """One dense layer's share of a forward and backward pass (new arrays, row convention).

    Attributes
    ----------
    index : int
        The layer's position, from 0 (the first hidden layer, or the output layer of a
        network without hidden layers).
    activation : str
        The name of ``g``.
    A_prev : ndarray of shape (m, n_inputs)
        The layer's input: ``X`` for the first layer, the previous layer's ``A`` after.
    W : ndarray of shape (n_inputs, n_units)
    b : ndarray of shape (n_units,)
    Z : ndarray of shape (m, n_units)
        ``A_prev·W + b``.
    A : ndarray of shape (m, n_units)
        ``g(Z)``.
    dA : ndarray of shape (m, n_units) or None
        ``dE/dA``: ``delta_next·W_nextᵀ`` for a hidden layer, the loss's derivative for
        a chained output layer; None for an output layer whose delta is fused.
    delta : ndarray of shape (m, n_units)
        ``dE/dZ``: ``dA ⊙ g'(Z)`` (for softmax, the Jacobian applied row by row), or the
        fused output delta.
    dW : ndarray of shape (n_inputs, n_units)
        ``A_prevᵀ·delta``.
    db : ndarray of shape (n_units,)
        ``Σ_rows delta``.
    """

    index: int
    activation: str
    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    A: np.ndarray
    dA: np.ndarray | None
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray


@dataclass(frozen=True)
class BackpropTrace:
    """The result of :func:`backprop_trace`.

    Attributes
    ----------
    X : ndarray of shape (m, n_inputs)
        The batch, in the model's dtype.
    Y : ndarray of shape (m, n_outputs)
        The encoded targets the loss compares with (one-hot rows for softmax).
    loss : float
        The mean loss ``E`` of the batch (no L2 penalty).
    loss_name : str
        The loss used (``"binary_cross_entropy"``, ``"cross_entropy"``, ``"mse"``).
    output_delta : {"fused", "chained"}
        How the output delta was computed: ``"fused"`` for the matched pairs
        (``(ŷ − y)/m`` and kin), ``"chained"`` as ``dE/dŷ ⊙ f'(Z)`` otherwise.
    layers : tuple of LayerTrace
        Input side first.
    """

    X: np.ndarray
    Y: np.ndarray
    loss: float
    loss_name: str
    output_delta: Literal["fused", "chained"]
    layers: tuple[LayerTrace, ...]

    @property
    def output(self) -> np.ndarray:
        """The network's output ``ŷ`` (the last layer's ``A``)."""
        return self.layers[-1].A

    @property
    def gradients(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(dW, db)`` per layer, as :meth:`nncore.Sequential.loss_and_gradients` gives."""
        return [(layer.dW, layer.db) for layer in self.layers]

    @property
    def n_samples(self) -> int:
        """``m``, the rows of the batch."""
        return self.X.shape[0]


def backprop_trace(model: Sequential, X: object, y: object,
                   loss: str | Loss | None = None) -> BackpropTrace:
    """Run one forward and backward pass and return every intermediate.

    The pass is the trainer's own (:class:`nncore.training.Workspace`), in the model's
    current dtype (``X`` is cast to it), so ``trace.gradients`` are exactly what ``fit``
    steps with for this batch.
    The model's weights are not changed; its gradient vector (``model.gradients``) is
    filled, as after :meth:`nncore.Sequential.loss_and_gradients`.

    Parameters
    ----------
    model : Sequential
        A network with trainable activations (no ``step``).
    X : array-like of shape (m, n_inputs)
        The batch (one row for one sample).
    y : array-like
        Its targets, as :meth:`nncore.Sequential.fit` takes them.
    loss : str, Loss or None
        None picks the loss that matches the output activation.

    Returns
    -------
    BackpropTrace

    Raises
    ------
    TypeError
        For a :class:`nncore.Perceptron` (it learns by the perceptron trick: see
        :func:`perceptron_trick`) or anything that is not a :class:`nncore.Sequential`.
    ValueError
        For bad inputs, as :meth:`nncore.Sequential.fit` reports them.

    Examples
    --------
    >>> import numpy as np, nncore
    >>> model = nncore.Sequential([nncore.Dense(2, 3, "tanh"), nncore.Dense(3, 1, "sigmoid")],
    ...                           seed=0)
    >>> trace = nncore.backprop_trace(model, np.array([[0.5, -1.0]]), [1])
    >>> trace.output_delta, [layer.delta.shape for layer in trace.layers]
    ('fused', [(1, 3), (1, 1)])
    >>> np.allclose(trace.layers[0].dW, trace.X.T @ trace.layers[0].delta)
    True
    """
    if isinstance(model, Perceptron):
        raise TypeError("a Perceptron learns by the perceptron trick, not backpropagation: "
                        "use nncore.perceptron_trick(perceptron, x, label)")
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an nncore.Sequential; got {type(model).__name__}")
    X = as_float_matrix("X", X, model.dtype, model.n_inputs)
    loss_fn = model.resolve_loss(loss)
    targets = model.encode_targets(y, X.shape[0])
    n_layers = len(model.layers)
    seen: dict[str, list[np.ndarray | None]] = {
        what: [None] * n_layers for what in ("Z", "dA", "delta")}

    def record(what: str, index: int, array: np.ndarray) -> None:
        seen[what][index] = array.copy()

    workspace = Workspace(model.layers, X.shape[0], model.dtype)
    workspace.recorder = record
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = workspace.forward(X)
        value = loss_fn.value(out, targets.Y)
        workspace.backward(X, targets.Y, loss_fn)
    layers = []
    A_prev = X
    for i, (layer, plan) in enumerate(zip(model.layers, workspace.plan, strict=True)):
        A = plan.act[: X.shape[0]].copy()
        layers.append(LayerTrace(
            index=i, activation=layer.activation, A_prev=A_prev, W=layer.W.copy(),
            b=layer.b.copy(), Z=seen["Z"][i], A=A, dA=seen["dA"][i], delta=seen["delta"][i],
            dW=layer.dW.copy(), db=layer.db.copy(),
        ))
        A_prev = A
    return BackpropTrace(
        X=X, Y=targets.Y.copy(), loss=value, loss_name=loss_fn.name,
        output_delta="chained" if seen["dA"][-1] is not None else "fused",
        layers=tuple(layers),
    )


def layer_activations(model: Sequential, X: object) -> list[np.ndarray]:
    """Every layer's ``A`` for a batch: the forward half of :func:`backprop_trace`.

    The trainer's own forward pass (:class:`nncore.training.Workspace`), without the
    loss and the backward pass: for a picture of every unit over many input points.

    Parameters
    ----------
    model : Sequential
    X : array-like of shape (m, n_inputs)

    Returns
    -------
    list of ndarray
        ``A`` of each layer, input side first, shapes (m, n_units); new arrays.

    Examples
    --------
    >>> import numpy as np, nncore
    >>> from nncore.trace import layer_activations
    >>> model = nncore.Sequential([nncore.Dense(2, 3, "tanh"), nncore.Dense(3, 1, "sigmoid")],
    ...                           seed=0)
    >>> X = np.array([[0.5, -1.0], [1.0, 2.0]])
    >>> [A.shape for A in layer_activations(model, X)]
    [(2, 3), (2, 1)]
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an nncore.Sequential; got {type(model).__name__}")
    X = as_float_matrix("X", X, model.dtype, model.n_inputs)
    workspace = Workspace(model.layers, X.shape[0], model.dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        workspace.forward(X)
    return [plan.act[: X.shape[0]].copy() for plan in workspace.plan]


def train_step(model: Sequential, X: object, y: object, optimizer: str | Optimizer,
               loss: str | Loss | None = None) -> BackpropTrace:
    """One gradient step on one batch, as ``fit`` takes it; returns the trace before it.

    :func:`backprop_trace` fills ``model.gradients``; the optimizer then updates
    ``model.parameters`` in place with them, as one batch of
    :meth:`nncore.Sequential.fit` does. Keep the same optimizer object across steps so
    its state (momentum's velocity, Adam's moments) carries on.

    Parameters
    ----------
    model : Sequential
    X, y : array-like
        The batch and its targets.
    optimizer : Optimizer or str
        ``nncore.SGD(lr=...)``, ``nncore.Adam(...)``, or a name with default settings.
    loss : str, Loss or None
        None picks the matched loss.

    Returns
    -------
    BackpropTrace
        The pass at the weights before the step (``trace.layers[i].W``).
    """
    opt = get_optimizer(optimizer)
    trace = backprop_trace(model, X, y, loss)
    opt.step(model.parameters, model.gradients)
    return trace


@dataclass(frozen=True)
class PerceptronTrick:
    """One point through the perceptron trick (``LESSONS.md`` section 1).

    Attributes
    ----------
    x : ndarray of shape (n_inputs,)
    label : int
        0 or 1.
    score : float
        ``w·x + b`` before the update.
    prediction : int
        ``step(score)``.
    rule : {"none", "add", "subtract"}
        ``"add"``: label 1 predicted 0, ``w ← w + α·x``, ``b ← b + α``; ``"subtract"``:
        label 0 predicted 1, ``w ← w − α·x``, ``b ← b − α``; ``"none"``: the point was
        right and nothing moved.
    lr : float
        ``α``.
    w_before, w_after : ndarray of shape (n_inputs,)
    b_before, b_after : float
    """

    x: np.ndarray
    label: int
    score: float
    prediction: int
    rule: Literal["none", "add", "subtract"]
    lr: float
    w_before: np.ndarray
    b_before: float
    w_after: np.ndarray
    b_after: float


def perceptron_trick(perceptron: Perceptron, x: object, label: int) -> PerceptronTrick:
    """Apply the perceptron trick to one point, in place; return what happened.

    The update is :meth:`nncore.Perceptron.update`, the one ``Perceptron.fit`` uses.

    Parameters
    ----------
    perceptron : Perceptron
    x : array-like of shape (n_inputs,)
    label : int
        0 or 1.

    Returns
    -------
    PerceptronTrick

    Raises
    ------
    TypeError
        If ``perceptron`` is not an :class:`nncore.Perceptron`.
    ValueError
        If ``x`` has the wrong length or ``label`` is not 0 or 1.
    """
    if not isinstance(perceptron, Perceptron):
        raise TypeError(f"perceptron must be an nncore.Perceptron; got {type(perceptron).__name__}")
    row = as_float_matrix("x", np.asarray(x, dtype=float).reshape(1, -1), perceptron.dtype,
                          perceptron.n_inputs)[0]
    if label not in (0, 1):
        raise ValueError(f"label must be 0 or 1; got {label!r}")
    w_before, b_before = perceptron.w.copy(), float(perceptron.b)
    score = float(row @ perceptron.w + perceptron.b)
    prediction = int(score >= 0)
    moved = perceptron.update(row, int(label))
    rule: Literal["none", "add", "subtract"] = (
        "none" if not moved else "add" if label == 1 else "subtract")
    return PerceptronTrick(x=row.copy(), label=int(label), score=score, prediction=prediction,
                           rule=rule, lr=float(perceptron.lr), w_before=w_before,
                           b_before=b_before, w_after=perceptron.w.copy(),
                           b_after=float(perceptron.b))
