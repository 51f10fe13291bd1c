"""The training loop: backpropagation over preallocated buffers, history and divergence guard.

Speed comes the way scikit-learn's MLP gets it, and a little further: every buffer a
batch needs is allocated once per ``fit`` and reused, activations and their derivatives
work in place, the output delta is fused for matched losses, each layer does one matmul
per direction (the first layer computes no input gradient), all parameters live in one
flat vector so an optimizer step is a few vector operations, and shuffling writes into
preallocated arrays with ``np.take(..., out=)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nncore._checks import as_float_matrix, check_int, check_real
from nncore.callbacks import Callback, wants_batches
from nncore.losses import Loss
from nncore.optimizers import SGD, Optimizer, get_optimizer
from nncore.targets import Targets

if TYPE_CHECKING:
    from nncore.network import Sequential


class TrainingDiverged(RuntimeError):
    """Training produced a non-finite loss or weight.

    The model keeps the weights of the last finite epoch; ``history`` holds every
    epoch before the divergence.

    Attributes
    ----------
    epoch : int
        The epoch (from 1) at which the loss or a weight stopped being finite.
    history : History
        The epochs recorded before it.
    """

    def __init__(self, epoch: int, what: str, lr: float | None, history: History) -> None:
        self.epoch = epoch
        self.history = history
        hint = "Try a smaller learning rate"
        if lr is not None:
            hint += f" (lr={lr:g} now; try {lr / 10:g})"
        super().__init__(f"Training diverged at epoch {epoch}: {what}. {hint}.")


@dataclass
class History:
    """Per-epoch metrics of one ``fit``.

    Attributes
    ----------
    epochs : list of int
        Epoch numbers, from 1.
    history : dict of str to list of float
        ``train_loss`` and ``train_accuracy`` (classifiers) or ``train_rmse``
        (regression), and the same with ``val_`` for validation data. Losses are the
        mean data loss, without the L2 penalty, so runs with different ``l2`` compare.
        Train metrics are averages over the epoch's batches, as Keras reports them.
    stopped_early : bool
        True when a callback (early stopping, a Stop button) ended training.
    stop_reason : str or None
        Why it stopped early.
    best_epoch : int or None
        Set by :class:`nncore.EarlyStopping`.
    """

    epochs: list[int] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)
    stopped_early: bool = False
    stop_reason: str | None = None
    best_epoch: int | None = None

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's metrics."""
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

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


class Workspace:
    """Activation and delta buffers for batches of up to ``batch_size`` rows.

    ``forward`` and ``backward`` are the network's one implementation of
    backpropagation; ``fit`` and ``loss_and_gradients`` both use it. Gradients are
    written into the model's flat gradient vector through each layer's views. The
    per-layer arrays and functions are looked up once here, not once per batch.
    """

    def __init__(self, model: Sequential, batch_size: int) -> None:
        dtype = model.dtype
        self.output_activation = model.output_activation
        self.output_backward = model.layers[-1].activation_fn.backward
        self.plan = [
            _LayerPlan(
                W=layer.W, b=layer.b, dW=layer._dW, db=layer._db,
                forward=layer.activation_fn.forward, backward=layer.activation_fn.backward,
                act=np.empty((batch_size, layer.n_units), dtype),
                delta=np.empty((batch_size, layer.n_units), dtype),
            )
            for layer in model.layers
        ]

    def forward(self, Xb: np.ndarray) -> np.ndarray:
        """Forward pass of a batch; returns the output activations (a view of a buffer)."""
        m = Xb.shape[0]
        A = Xb
        for layer in self.plan:
            Z = layer.act[:m]
            np.matmul(A, layer.W, out=Z)
            Z += layer.b
            A = layer.forward(Z)
        return A

    def backward(self, Xb: np.ndarray, Yb: np.ndarray, loss: Loss) -> None:
        """Backward pass after :meth:`forward`: fills every layer's ``dW`` and ``db``."""
        m = Xb.shape[0]
        plan = self.plan
        last = len(plan) - 1
        out = plan[last].act[:m]
        delta = plan[last].delta[:m]
        if loss.matched_activation == self.output_activation:
            loss.fused_delta(out, Yb, out=delta)
        else:
            delta[...] = loss.gradient(out, Yb)
            self.output_backward(out, delta)
        for i in range(last, 0, -1):
            layer, below = plan[i], plan[i - 1]
            A_prev = below.act[:m]
            np.matmul(A_prev.T, delta, out=layer.dW)
            np.add.reduce(delta, axis=0, out=layer.db)
            prev_delta = below.delta[:m]
            np.matmul(delta, layer.W.T, out=prev_delta)
            delta = below.backward(A_prev, prev_delta)
        first = plan[0]                   # no input gradient for the first layer
        np.matmul(Xb.T, delta, out=first.dW)
        np.add.reduce(delta, axis=0, out=first.db)


@dataclass(slots=True)
class _LayerPlan:
    W: np.ndarray
    b: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    act: np.ndarray
    delta: np.ndarray


BatchMetric = Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]


def metric_name(model: Sequential) -> str:
    """``accuracy`` for classifiers, ``rmse`` for regression networks."""
    return "accuracy" if model.is_classifier else "rmse"


def batch_metric(model: Sequential, targets: Targets) -> BatchMetric:
    """A function of (outputs, targets, labels) giving the batch's correct count or SSE."""
    if not model.is_classifier:
        def squared_error(A: np.ndarray, Y: np.ndarray, labels: np.ndarray | None) -> float:
            diff = A - Y
            return float(np.vdot(diff, diff))
        return squared_error
    if model.output_activation == "softmax":
        def softmax_correct(A: np.ndarray, Y: np.ndarray, labels: np.ndarray | None) -> float:
            return np.count_nonzero(A.argmax(axis=1) == labels)
        return softmax_correct
    if targets.labels is not None:
        def binary_correct(A: np.ndarray, Y: np.ndarray, labels: np.ndarray | None) -> float:
            return np.count_nonzero((A >= 0.5) == Y)
        return binary_correct

    def subset_correct(A: np.ndarray, Y: np.ndarray, labels: np.ndarray | None) -> float:
        return np.count_nonzero(((A >= 0.5) == (Y >= 0.5)).all(axis=1))
    return subset_correct


def finish_metric(name: str, total: float, n_rows: int, n_outputs: int) -> float:
    """Turn a summed batch metric into accuracy or RMSE."""
    if name == "accuracy":
        return float(total) / n_rows
    return math.sqrt(float(total) / (n_rows * n_outputs))


def fit(
    model: Sequential,
    X: object,
    y: object,
    *,
    loss: str | Loss | None = None,
    optimizer: str | Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = True,
    validation_data: tuple[object, object] | None = None,
    callbacks: Sequence[Callback] | None = None,
    l2: float = 0.0,
) -> History:
    """Train ``model`` with mini-batch gradient descent; see :meth:`Sequential.fit`."""
    epochs = check_int("epochs", epochs)
    batch_size = check_int("batch_size", batch_size, allow_none=True)
    l2 = check_real("l2", l2, low=0.0)
    callbacks = list(callbacks or [])
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise ValueError(f"callbacks must be nncore.Callback instances; got {cb!r}")
    opt = SGD(lr=0.01) if optimizer is None else get_optimizer(optimizer)

    model.adopt_dtype(X)
    X = as_float_matrix("X", X, model.dtype, model.n_inputs)
    loss_fn = model.resolve_loss(loss)
    targets = model.encode_targets(y, X.shape[0])
    validation = _validation_set(model, validation_data)

    n = X.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    workspace = Workspace(model, bs)
    reshuffle = shuffle and bs < n
    Y, labels = targets.Y, targets.labels
    if reshuffle:
        Xs, Ys = np.empty_like(X), np.empty_like(Y)
        Ls = None if labels is None else np.empty_like(labels)
    else:
        Xs, Ys, Ls = X, Y, labels
    count_metric = batch_metric(model, targets)
    name = metric_name(model)
    n_outputs = model.n_outputs
    starts = range(0, n, bs)
    batch_callbacks = [cb for cb in callbacks if wants_batches(cb)]
    params, grads = model.parameters, model.gradients
    l2_pairs = [(layer.W, layer._dW) for layer in model.layers] if l2 else []
    rng = model.rng
    last_good = params.copy()
    history = History()
    model.stop_training = False
    model.stop_reason = None
    run_params = {
        "epochs": epochs, "batch_size": batch_size, "n_samples": n, "loss": loss_fn.name,
        "optimizer": opt.get_config(), "l2": l2, "has_validation": validation is not None,
    }
    try:
        for cb in callbacks:
            cb.on_train_begin(model, run_params)
        # Overflow on the way to a divergence is reported by TrainingDiverged, not warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(1, epochs + 1):
                if reshuffle:
                    order = rng.permutation(n)
                    np.take(X, order, axis=0, out=Xs)
                    np.take(Y, order, axis=0, out=Ys)
                    if Ls is not None:
                        np.take(labels, order, axis=0, out=Ls)
                loss_sum = metric_sum = 0.0
                seen = 0
                for batch, start in enumerate(starts):
                    Xb = Xs[start : start + bs]
                    Yb = Ys[start : start + bs]
                    m = Xb.shape[0]
                    A = workspace.forward(Xb)
                    loss_sum += loss_fn.value(A, Yb) * m
                    Lb = None if Ls is None else Ls[start : start + bs]
                    metric_sum += count_metric(A, Yb, Lb)
                    workspace.backward(Xb, Yb, loss_fn)
                    for W, dW in l2_pairs:
                        dW += l2 * W
                    opt.step(params, grads)
                    seen += m
                    if batch_callbacks:
                        batch_logs = {"epoch": epoch, "size": m}
                        for cb in batch_callbacks:
                            cb.on_batch_end(model, batch, batch_logs)
                    if model.stop_training:
                        break
                logs = {
                    "train_loss": loss_sum / seen,
                    f"train_{name}": finish_metric(name, metric_sum, seen, n_outputs),
                }
                _guard_divergence(epoch, logs["train_loss"], params, last_good, opt, history)
                if validation is not None:
                    scores = model.score_encoded(validation[0], validation[1], loss_fn)
                    logs["val_loss"] = scores["loss"]
                    logs[f"val_{name}"] = scores[name]
                history.append(epoch, logs)
                for cb in callbacks:
                    cb.on_epoch_end(model, epoch, logs)
                if model.stop_training:
                    history.stopped_early = True
                    history.stop_reason = model.stop_reason or "stopped by a callback"
                    break
    finally:
        for cb in callbacks:
            cb.on_train_end(model, history)
    return history


def _validation_set(
    model: Sequential, validation_data: tuple[object, object] | None
) -> tuple[np.ndarray, Targets] | None:
    if validation_data is None:
        return None
    if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
        raise ValueError("validation_data must be a pair (X_val, y_val)")
    Xv = as_float_matrix("X_val", validation_data[0], model.dtype, model.n_inputs)
    return Xv, model.encode_targets(validation_data[1], Xv.shape[0], name="y_val")


def _guard_divergence(
    epoch: int, train_loss: float, params: np.ndarray, last_good: np.ndarray,
    opt: Optimizer, history: History,
) -> None:
    """Raise :class:`TrainingDiverged` (restoring the last finite weights) or checkpoint."""
    if math.isfinite(train_loss) and np.isfinite(params).all():
        np.copyto(last_good, params)
        return
    what = (f"the training loss is {train_loss}" if not math.isfinite(train_loss)
            else "a weight became infinite or NaN")
    np.copyto(params, last_good)
    raise TrainingDiverged(epoch, what, getattr(opt, "lr", None), history)
