"""The training loop: backpropagation over preallocated buffers, the epoch loop shared by
every model, and the divergence guard.

- :class:`Workspace` is nncore's one implementation of backpropagation. It talks to
  layers through a small public protocol (:class:`LayerLike`: ``W``, ``b``, their
  gradient views ``dW``, ``db``, and the activation), never to a model class.
- :func:`run_epochs` is the one epoch loop: callbacks, history, stopping, the
  learning-rate schedule and the divergence error. ``Sequential.fit`` (through
  :func:`train`) and ``Perceptron.fit`` both call it with their own per-epoch step.
- :func:`train` is ``Sequential.fit``'s mini-batch gradient descent on validated data.

Speed comes the way scikit-learn's MLP gets it, and a little further: every buffer a
batch needs is allocated once per ``fit`` and reused, activations and their derivatives
work in place, the output delta is fused for matched losses, each layer does one matmul
per direction (the first layer computes no input gradient), all parameters live in one
flat vector so an optimizer step is a few vector operations, and each reshuffled batch
is gathered into a buffer of one batch (:class:`Batches`): the data is never copied.
The first layer's bias rides in its matmuls (``[X, 1] [W; b]``, see :class:`Workspace`).
The training accuracy costs one numpy call a batch (:class:`EpochMetric`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from nncore.activations import Activation
from nncore.bounds import check_bound
from nncore.callbacks import Callback, wants_batches
from nncore.history import History
from nncore.losses import Loss
from nncore.optimizers import SGD, Optimizer, get_optimizer
from nncore.schedules import Schedule, get_schedule
from nncore.targets import CLASSIFIER_OUTPUTS, Targets


class TrainingDiverged(RuntimeError):
    """Training diverged: see :func:`divergence` for the rule.

    A non-finite loss or weight, a loss more than a million times its first epoch's,
    or a classifier stuck with certain wrong predictions at the loss's clipping
    ceiling. The model keeps the weights of the last good epoch; ``history`` holds
    every epoch before the divergence.

    Attributes
    ----------
    epoch : int
        The epoch (from 1) at which training diverged.
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


# --------------------------------------------------------------------------- protocols


class LayerLike(Protocol):
    """What backpropagation needs of a layer (:class:`nncore.Dense` is one).

    ``W`` (n_inputs x n_units) and ``b`` (n_units,) are the parameters; ``dW`` and ``db``
    are arrays of the same shapes that backpropagation overwrites with the gradients.
    """

    @property
    def W(self) -> np.ndarray: ...

    @property
    def b(self) -> np.ndarray: ...

    @property
    def dW(self) -> np.ndarray: ...

    @property
    def db(self) -> np.ndarray: ...

    @property
    def activation_fn(self) -> Activation: ...


class Stoppable(Protocol):
    """A model a callback can stop: ``model.stop_training = True``."""

    stop_training: bool
    stop_reason: str | None


class HasLearningRate(Protocol):
    """An object whose ``lr`` a learning-rate schedule sets (an optimizer, a perceptron)."""

    lr: float


class NetworkLike(Stoppable, Protocol):
    """What :func:`train` needs of a network (:class:`nncore.Sequential` is one).

    ``parameters`` and ``gradients`` are flat vectors; every layer's ``W``/``b`` and
    ``dW``/``db`` are views into them, so one optimizer step updates every layer.
    """

    @property
    def layers(self) -> Sequence[LayerLike]: ...

    @property
    def dtype(self) -> np.dtype: ...

    @property
    def parameters(self) -> np.ndarray: ...

    @property
    def gradients(self) -> np.ndarray: ...

    @property
    def rng(self) -> np.random.Generator: ...


# --------------------------------------------------------------------------- backprop

Recorder = Callable[[str, int, np.ndarray], None]
"""``recorder(what, layer_index, array)``: see :attr:`Workspace.recorder`."""


@dataclass(slots=True)
class _LayerPlan:
    W: np.ndarray
    b: np.ndarray
    dW: np.ndarray
    db: np.ndarray
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    act: np.ndarray
    delta: np.ndarray | None


class Workspace:
    """Activation and delta buffers for batches of up to ``batch_size`` rows.

    ``forward`` and ``backward`` are nncore's one implementation of backpropagation;
    ``fit`` (batches and validation scores) and ``Sequential.loss_and_gradients`` use it.
    Gradients are written into each layer's ``dW`` and ``db``. The per-layer arrays and
    functions are looked up once here, and the buffers' views for a batch of ``m`` rows
    are cut once per size (a fit has at most two: full batches and the last one), not
    once per batch.

    Parameters
    ----------
    layers : sequence of LayerLike
        The network's layers, input first.
    batch_size : int
        The most rows a batch will have.
    dtype : numpy dtype
        The network's float type.
    backward : bool, default True
        Allocate the delta buffers; False for a workspace that only runs ``forward``.
    """

    def __init__(
        self, layers: Sequence[LayerLike], batch_size: int, dtype: np.dtype, *,
        backward: bool = True,
    ) -> None:
        output = layers[-1].activation_fn
        self.output_activation = output.name
        self.output_backward = output.backward
        self.plan = [
            _LayerPlan(
                W=layer.W, b=layer.b, dW=layer.dW, db=layer.db,
                forward=layer.activation_fn.forward, backward=layer.activation_fn.backward,
                act=np.empty((batch_size, layer.W.shape[1]), dtype),
                delta=np.empty((batch_size, layer.W.shape[1]), dtype) if backward else None,
            )
            for layer in layers
        ]
        self._views: dict[int, list[tuple[np.ndarray, np.ndarray | None]]] = {}
        # The first layer's bias rides in its matmuls: W and b lie one after the other in
        # the flat vectors (Dense in a Sequential), so [W; b] is one (n_inputs + 1) x
        # n_units matrix, and a batch gathered into [X, 1] gives Z = [X, 1] [W; b] and
        # [dW; db] = [X, 1]ᵀ delta in one matmul each: no bias add, no column sums. The
        # same numbers while OpenBLAS sums each product in order (the bias last, as the
        # separate add did): not for one row or one unit (gemv), which keep the separate
        # add, nor where a batch or the inputs span two of its K-blocks (hundreds).
        first = layers[0]
        Wb, dWb = _joined(first.W, first.b), _joined(first.dW, first.db)
        if Wb is None or dWb is None or not backward or first.W.shape[1] == 1:
            Wb = dWb = None               # one unit: BLAS takes gemv, which sums otherwise
        self._Wb, self._dWb = Wb, dWb
        self._inputs: np.ndarray | None = None
        self._input_views: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if self._Wb is not None:
            self._inputs = np.empty((batch_size, first.W.shape[0] + 1), dtype)
            self._inputs[:, -1] = 1.0
        #: Called as ``recorder(what, layer_index, array)`` at each intermediate the
        #: buffers later overwrite: ``"Z"`` before the activation, ``"dA"`` (dE/dA)
        #: before the activation's derivative, ``"delta"`` (dE/dZ). The array is a
        #: buffer: copy it. None (the default, and always in ``fit``) records nothing.
        #: :func:`nncore.backprop_trace` uses it.
        self.recorder: Recorder | None = None

    def buffers(self, m: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Each layer's ``(activations, deltas)`` buffers cut to ``m`` rows (views)."""
        views = self._views.get(m)
        if views is None:
            views = [(layer.act[:m], None if layer.delta is None else layer.delta[:m])
                     for layer in self.plan]
            self._views[m] = views
        return views

    def input_buffer(self, m: int) -> np.ndarray | None:
        """Where :meth:`forward` wants a batch of ``m`` rows: a view of the first
        layer's ``[X, 1]`` buffer (None when the first layer's bias is added apart).

        A batch gathered into this very view (:class:`Batches` does) is not copied
        again; any other ``Xb`` is copied into it by :meth:`forward`.
        """
        if self._inputs is None:
            return None
        views = self._input_views.get(m)
        if views is None:
            inputs = self._inputs[:m]
            views = self._input_views[m] = (inputs, inputs[:, :-1])
        return views[1]

    def forward(self, Xb: np.ndarray) -> np.ndarray:
        """Forward pass of a batch; returns the output activations (a view of a buffer)."""
        A = Xb
        record = self.recorder
        m = Xb.shape[0]
        buffers = self.buffers(m)
        start = 0
        if self._Wb is not None and m > 1:    # one row: BLAS takes gemv, which sums otherwise
            x = self.input_buffer(m)
            if Xb is not x:
                np.copyto(x, Xb)
            Z = buffers[0][0]
            np.matmul(self._input_views[m][0], self._Wb, out=Z)
            if record is not None:
                record("Z", 0, Z)
            A = self.plan[0].forward(Z)
            start = 1
        for i in range(start, len(self.plan)):
            layer, Z = self.plan[i], buffers[i][0]
            np.matmul(A, layer.W, out=Z)
            Z += layer.b
            if record is not None:
                record("Z", i, Z)
            A = layer.forward(Z)
        return A

    def backward(self, Xb: np.ndarray, Yb: np.ndarray, loss: Loss) -> None:
        """Backward pass after :meth:`forward`: fills every layer's ``dW`` and ``db``."""
        plan = self.plan
        buffers = self.buffers(Xb.shape[0])
        last = len(plan) - 1
        record = self.recorder
        out, delta = buffers[last]
        if loss.matched_activation == self.output_activation:
            loss.fused_delta(out, Yb, out=delta)
        else:
            delta[...] = loss.gradient(out, Yb)
            if record is not None:
                record("dA", last, delta)
            self.output_backward(out, delta)
        if record is not None:
            record("delta", last, delta)
        for i in range(last, 0, -1):
            layer, below = plan[i], plan[i - 1]
            A_prev, prev_delta = buffers[i - 1]
            np.matmul(A_prev.T, delta, out=layer.dW)
            np.add.reduce(delta, axis=0, out=layer.db)
            if delta.shape[1] == 1:
                # One unit: delta·Wᵀ is an outer product, the same numbers by broadcasting
                # (each entry is one product) and several times faster than matmul.
                np.multiply(delta, layer.W.T, out=prev_delta)
            else:
                np.matmul(delta, layer.W.T, out=prev_delta)
            if record is not None:
                record("dA", i - 1, prev_delta)
            delta = below.backward(A_prev, prev_delta)
            if record is not None:
                record("delta", i - 1, delta)
        first = plan[0]                   # no input gradient for the first layer
        if self._dWb is not None and Xb.shape[0] > 1:    # [dW; db] = [X, 1]ᵀ delta
            np.matmul(self._input_views[Xb.shape[0]][0].T, delta, out=self._dWb)
        else:
            np.matmul(Xb.T, delta, out=first.dW)
            np.add.reduce(delta, axis=0, out=first.db)


def _joined(W: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """``[W; b]`` as one ``(n_inputs + 1, n_units)`` view, when ``b`` follows ``W`` in one
    contiguous vector (a :class:`nncore.Dense` bound to a Sequential); else None."""
    base = W.base
    item = W.itemsize
    if (base is None or b.base is not base or base.ndim != 1 or not base.flags.c_contiguous
            or not W.flags.c_contiguous or b.ndim != 1 or b.strides != (item,)
            or b.shape[0] != W.shape[1] or b.dtype != W.dtype or base.dtype != W.dtype):
        return None
    w_at = W.__array_interface__["data"][0]
    if b.__array_interface__["data"][0] != w_at + W.nbytes:
        return None
    offset = (w_at - base.__array_interface__["data"][0]) // item
    return base[offset : offset + W.size + b.size].reshape(W.shape[0] + 1, W.shape[1])


# --------------------------------------------------------------------------- metrics

BatchMetric = Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]


def metric_name(output_activation: str) -> str:
    """``accuracy`` for classifier outputs (sigmoid, softmax, step), ``rmse`` otherwise."""
    return "accuracy" if output_activation in CLASSIFIER_OUTPUTS else "rmse"


def batch_metric(output_activation: str, targets: Targets) -> BatchMetric:
    """A function of (outputs, targets, labels) giving the batch's correct count or SSE."""
    if output_activation not in CLASSIFIER_OUTPUTS:
        def squared_error(A: np.ndarray, Y: np.ndarray, labels: np.ndarray | None) -> float:
            diff = A - Y
            return float(np.vdot(diff, diff))
        return squared_error
    if output_activation == "softmax":
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


def score(A: np.ndarray, targets: Targets, loss: Loss, output_activation: str
          ) -> dict[str, float]:
    """The mean loss and the accuracy or RMSE of outputs ``A`` against encoded targets.

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}`` or ``{"loss": ..., "rmse": ...}``.
    """
    name = metric_name(output_activation)
    total = batch_metric(output_activation, targets)(A, targets.Y, targets.labels)
    return {"loss": loss.value(A, targets.Y),
            name: finish_metric(name, total, A.shape[0], A.shape[1])}


class EpochMetric:
    """The training accuracy or RMSE of one epoch, collected batch by batch.

    ``begin(order)`` starts an epoch, ``add(A, Yb, start)`` counts each batch's outputs
    and ``result(seen)`` gives the metric over the rows seen; :func:`epoch_metric` picks
    the cheapest kind for a network. Both kinds give what :func:`batch_metric` summed
    over the epoch's batches gives.
    """

    def __init__(self, name: str, n_outputs: int) -> None:
        self.name = name
        self.n_outputs = n_outputs

    def begin(self, order: np.ndarray | None) -> None:
        """Start an epoch whose rows come in ``order`` (None: the data's own order)."""

    def add(self, A: np.ndarray, Yb: np.ndarray, start: int) -> None:
        """Count one batch: outputs ``A`` and targets ``Yb`` of the epoch's rows
        ``start:start + len(A)``."""
        raise NotImplementedError

    def result(self, seen: int) -> float:
        """The epoch's accuracy or RMSE over its first ``seen`` rows."""
        raise NotImplementedError


class SummedMetric(EpochMetric):
    """Sums :func:`batch_metric` over the batches: regression, several sigmoid units,
    soft targets."""

    def __init__(self, output_activation: str, targets: Targets) -> None:
        super().__init__(metric_name(output_activation), targets.Y.shape[1])
        self._batch_metric = batch_metric(output_activation, targets)
        self._total = 0.0

    def begin(self, order: np.ndarray | None) -> None:
        self._total = 0.0

    def add(self, A: np.ndarray, Yb: np.ndarray, start: int) -> None:
        self._total += self._batch_metric(A, Yb, None)

    def result(self, seen: int) -> float:
        return finish_metric(self.name, self._total, seen, self.n_outputs)


class LabelAccuracy(EpochMetric):
    """Accuracy of hard labels: a softmax output, or one sigmoid unit with 0/1 labels.

    Each batch writes its predicted labels (``argmax``, or ``>= 0.5``) into an
    epoch-long buffer with ``out=``: one numpy call a batch. The comparison with the
    epoch's labels (gathered once in the epoch's order) happens once, at its end.
    """

    def __init__(self, output_activation: str, labels: np.ndarray) -> None:
        super().__init__("accuracy", 1)
        self._labels = labels
        self._epoch_labels = labels
        if output_activation == "softmax":
            self._predicted = np.empty(labels.shape[0], np.intp)
            self.add = self._add_argmax
        else:
            self._predicted = np.empty((labels.shape[0], 1), np.bool_)
            self.add = self._add_threshold

    def begin(self, order: np.ndarray | None) -> None:
        if order is None:
            self._epoch_labels = self._labels
            return
        if self._epoch_labels is self._labels:
            self._epoch_labels = np.empty_like(self._labels)
        np.take(self._labels, order, out=self._epoch_labels, mode="clip")

    def _add_argmax(self, A: np.ndarray, Yb: np.ndarray, start: int) -> None:
        A.argmax(axis=1, out=self._predicted[start : start + A.shape[0]])

    def _add_threshold(self, A: np.ndarray, Yb: np.ndarray, start: int) -> None:
        np.greater_equal(A, 0.5, out=self._predicted[start : start + A.shape[0]])

    def result(self, seen: int) -> float:
        predicted = self._predicted[:seen].reshape(seen)
        correct = np.count_nonzero(predicted == self._epoch_labels[:seen])
        return finish_metric(self.name, correct, seen, 1)


class NoMetric(EpochMetric):
    """No training metric (``fit(train_metric=False)``): counts nothing, costs nothing."""

    def add(self, A: np.ndarray, Yb: np.ndarray, start: int) -> None:
        """Count nothing."""

    def result(self, seen: int) -> float:
        """NaN: there is no training metric."""
        return math.nan


def epoch_metric(output_activation: str, targets: Targets) -> EpochMetric:
    """The cheapest :class:`EpochMetric` for a network's output and its targets."""
    if targets.labels is not None and output_activation in CLASSIFIER_OUTPUTS:
        return LabelAccuracy(output_activation, targets.labels)
    return SummedMetric(output_activation, targets)


# --------------------------------------------------------------------------- divergence

#: A loss more than this many times its first epoch's (or 1, if that was smaller) diverged.
GROWTH_LIMIT = 1e6

#: Losses that clip probabilities to [eps, 1 - eps]: a certain, wrong output costs
#: exactly -log(eps) of the network's dtype (36.04 in float64, 15.94 in float32).
CLIPPED_LOSSES = ("binary_cross_entropy", "cross_entropy")

#: Share of the ceiling a stuck network's loss reaches: at least this share of the
#: error rate times the ceiling, and of the ceiling itself.
_STUCK_SHARE_OF_ERRORS = 0.9
_STUCK_SHARE_OF_CEILING = 0.25


def loss_ceiling(loss_name: str, dtype: np.dtype) -> float | None:
    """The clipping ceiling ``-log(eps)`` of a clipped loss, None for other losses."""
    if loss_name not in CLIPPED_LOSSES:
        return None
    return -math.log(float(np.finfo(dtype).eps))


def divergence(loss: float, first_loss: float | None, *, error_rate: float | None = None,
               ceiling: float | None = None, loss_name: str = "loss") -> str | None:
    """Why an epoch's training loss means training diverged, or None if it is fine.

    Training diverged when

    1. the loss is not finite (NaN or infinite);
    2. the loss is more than :data:`GROWTH_LIMIT` (a million) times the first
       epoch's loss, or than 1 if that was smaller: healthy training never grows
       its loss by six orders of magnitude, and an exploding run may stay finite
       for hundreds of epochs (1e101 after 200);
    3. for a clipped loss (cross-entropy; ``ceiling`` = ``-log(eps)``), training
       drove the network into being stuck: after the first epoch, the loss is above
       the first epoch's, at least a quarter of the ceiling and at least 0.9 x the
       error rate x the ceiling, so (nearly) every wrong output is certain (logit
       beyond 32 in float64, 14 in float32). Its saturated units pass no gradient
       back and the loss sits at a multiple of the ceiling (XOR at 18.02, half of
       36.04) for good. Healthy training keeps wrong outputs far from certainty; a
       network that starts saturated (large inputs, large initial weights) and gets
       better is left alone, and an error rate of 0 never counts as stuck.

    Parameters
    ----------
    loss : float
        The epoch's mean training loss.
    first_loss : float or None
        The first epoch's (None during the first epoch).
    error_rate : float, optional
        The epoch's training error rate (1 - accuracy) of a classifier.
    ceiling : float, optional
        :func:`loss_ceiling` of the loss.
    loss_name : str
        Named in the message.

    Returns
    -------
    str or None
        What went wrong, for :class:`TrainingDiverged`'s message.
    """
    if not math.isfinite(loss):
        return f"the training loss is {loss}"
    if first_loss is not None and loss > GROWTH_LIMIT * max(first_loss, 1.0):
        return (f"the training loss grew to {loss:.4g}, more than a million times its first "
                f"value ({first_loss:.4g})")
    if (ceiling is not None and error_rate is not None and error_rate > 0
            and first_loss is not None and loss > first_loss
            and loss >= _STUCK_SHARE_OF_CEILING * ceiling
            and loss >= _STUCK_SHARE_OF_ERRORS * error_rate * ceiling):
        return (f"the network is stuck: its wrong predictions are certain (training loss "
                f"{loss:.4g} at accuracy {1.0 - error_rate:.3g}: every wrong output sits at "
                f"{loss_name}'s clipping ceiling, -log(eps) = {ceiling:.4g})")
    return None


# --------------------------------------------------------------------------- epoch loop

EpochStep = Callable[[int], tuple[dict[str, float], str | None]]
"""One epoch of training: ``step(epoch) -> (logs, finished)``.

``logs`` holds the epoch's metrics; ``finished`` is None to go on, or the reason the
run is complete (a perceptron that classifies every point). A step that diverged
(:func:`divergence`, or a weight that is not finite) raises ``Diverged``;
:func:`run_epochs` turns that into :class:`TrainingDiverged`.
"""


class Diverged(Exception):
    """Raised by an epoch step that diverged (see :func:`divergence`).

    The step has already put back the last finite weights; :func:`run_epochs` raises
    :class:`TrainingDiverged` with the epoch, the history so far and the base learning
    rate. The message says what went wrong (``"the training loss is nan"``).
    """


def check_callbacks(callbacks: Sequence[Callback] | None) -> list[Callback]:
    """The callbacks as a list, each checked to be an :class:`nncore.Callback`."""
    callbacks = list(callbacks or [])
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise ValueError(f"callbacks must be nncore.Callback instances; got {cb!r}")
    return callbacks


def run_epochs(
    model: Stoppable,
    step: EpochStep,
    *,
    epochs: int,
    callbacks: Sequence[Callback] | None = None,
    params: dict[str, Any] | None = None,
    lr_owner: HasLearningRate | None = None,
    lr_schedule: str | Schedule | None = None,
) -> History:
    """The epoch loop every nncore model trains with.

    For each epoch from 1 to ``epochs``:

    1. with a schedule, set ``lr_owner.lr = base_lr * schedule.factor(epoch, epochs)``;
    2. run ``step(epoch)``, which trains one epoch and returns its logs (with a
       schedule, ``logs["lr"]`` is added);
    3. call every callback's ``on_epoch_end`` in order, with the one shared ``logs``
       dict, which they may change in place;
    4. record the logs in the history (after the callbacks, so it keeps their changes);
    5. stop if the step said it finished, or if a callback set ``model.stop_training``.

    ``on_train_begin`` runs before the first epoch and ``on_train_end`` after the last,
    also when training raised. The learning rate is back at its base value by then.

    Parameters
    ----------
    model : Stoppable
        Passed to the callbacks; its ``stop_training`` and ``stop_reason`` are reset.
    step : callable
        ``step(epoch) -> (logs, finished)``, see :data:`EpochStep`.
    epochs : int
        >= 1 (``BOUNDS["fit.epochs"]``).
    callbacks : sequence of Callback or None
    params : dict or None
        What ``on_train_begin`` receives, with ``epochs`` and ``lr_schedule`` added.
    lr_owner : object with an ``lr`` attribute, or None
        What the schedule changes: the optimizer, or the perceptron itself.
    lr_schedule : str, Schedule or None
        A name from :data:`nncore.SCHEDULES` or a :class:`nncore.Schedule`; None keeps
        the learning rate constant (and adds no ``lr`` log).

    Returns
    -------
    History

    Raises
    ------
    TrainingDiverged
        When ``step`` raises :class:`Diverged`; ``history`` holds the epochs before.
    """
    epochs = check_bound("fit.epochs", epochs)
    callbacks = check_callbacks(callbacks)
    schedule = None if lr_schedule is None else get_schedule(lr_schedule)
    if schedule is not None and lr_owner is None:
        raise ValueError("lr_schedule needs a learning rate to change; got no lr_owner")
    base_lr = getattr(lr_owner, "lr", None)
    run_params = {"epochs": epochs, **(params or {}),
                  "lr_schedule": None if schedule is None else schedule.get_config()}
    history = History()
    model.stop_training = False
    model.stop_reason = None
    try:
        for cb in callbacks:
            cb.on_train_begin(model, run_params)
        for epoch in range(1, epochs + 1):
            if schedule is not None:
                lr = base_lr * schedule.factor(epoch, epochs)
                lr_owner.lr = lr
            try:
                logs, finished = step(epoch)
            except Diverged as signal:
                raise TrainingDiverged(epoch, str(signal), base_lr, history) from None
            if schedule is not None:
                logs["lr"] = lr
            for cb in callbacks:
                cb.on_epoch_end(model, epoch, logs)
            history.append(epoch, logs)
            if finished is not None:
                history.stop_reason = finished
                break
            if model.stop_training:
                history.stopped_early = True
                history.stop_reason = model.stop_reason or "stopped by a callback"
                break
    finally:
        if schedule is not None:
            lr_owner.lr = base_lr
        for cb in callbacks:
            cb.on_train_end(model, history)
    return history


# --------------------------------------------------------------------------- batches


class Batches:
    """The mini-batches of every epoch, gathered into buffers of one batch.

    Without reshuffling (``shuffle=False``, or one batch holding every row) a batch is a
    view of ``X`` and ``Y``: nothing is copied. With it, each epoch draws one
    permutation from ``rng`` (:meth:`new_epoch`) and batch ``k`` holds the rows
    ``order[k * batch_size : (k + 1) * batch_size]``, copied by
    ``np.take(..., out=buffer, mode="clip")`` into buffers allocated once: the memory a
    fit adds stays at one batch whatever the size of the data. (``mode="raise"``, the
    default, would first copy into a temporary to check the indices; a permutation's
    indices are always in range.)

    Parameters
    ----------
    X : ndarray of shape (n, n_features)
    Y : ndarray of shape (n, n_outputs)
    batch_size : int
        Rows per batch (the last batch may have fewer), at most ``n``.
    rng : numpy.random.Generator
        Draws each epoch's order.
    shuffle : bool
        Reshuffle every epoch (ignored when one batch holds every row).
    into : callable or None
        ``into(m)`` gives the array :meth:`Workspace.forward` wants a batch of ``m`` rows
        in (:meth:`Workspace.input_buffer`), or None. When one batch holds every row,
        ``X`` is copied into it once, here, and that array is every epoch's batch: the
        workspace then copies nothing per epoch.
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, batch_size: int,
                 rng: np.random.Generator, shuffle: bool,
                 into: Callable[[int], np.ndarray | None] | None = None) -> None:
        n = X.shape[0]
        self.X, self.Y, self.rng = X, Y, rng
        self.batch_size = batch_size
        self.starts = range(0, n, batch_size)
        self.reshuffle = shuffle and batch_size < n
        #: The current epoch's row order (None without reshuffling).
        self.order: np.ndarray | None = None
        sizes = [min(batch_size, n - start) for start in self.starts]
        if self.reshuffle:       # each batch a view of one buffer for X, one for Y
            X_buf = np.empty((batch_size, X.shape[1]), X.dtype)
            Y_buf = np.empty((batch_size, Y.shape[1]), Y.dtype)
            self._batches = [(start, X_buf[:m], Y_buf[:m])
                             for start, m in zip(self.starts, sizes, strict=True)]
        else:                    # each batch a view of the data
            self._batches = [(start, X[start : start + m], Y[start : start + m])
                             for start, m in zip(self.starts, sizes, strict=True)]
            buffer = into(n) if into is not None and len(sizes) == 1 else None
            if buffer is not None:   # one full batch: into the workspace's buffer, once
                np.copyto(buffer, X)
                self._batches = [(0, buffer, Y)]

    def new_epoch(self) -> np.ndarray | None:
        """Draw the next epoch's order (with reshuffling) and return it."""
        if self.reshuffle:
            self.order = self.rng.permutation(self.X.shape[0])
        return self.order

    def __iter__(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """The epoch's batches as ``(start, Xb, Yb)``; reshuffled batches reuse buffers."""
        if not self.reshuffle:
            yield from self._batches
            return
        X, Y, order, bs = self.X, self.Y, self.order, self.batch_size
        for start, Xb, Yb in self._batches:
            rows = order[start : start + bs]
            X.take(rows, axis=0, out=Xb, mode="clip")   # the method: np.take's wrapper
            Y.take(rows, axis=0, out=Yb, mode="clip")   # costs more than the copy here
            yield start, Xb, Yb


# --------------------------------------------------------------------------- Sequential


def train(
    network: NetworkLike,
    X: np.ndarray,
    targets: Targets,
    loss: Loss,
    *,
    optimizer: str | Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = True,
    validation: tuple[np.ndarray, Targets] | None = None,
    callbacks: Sequence[Callback] | None = None,
    l2: float = 0.0,
    lr_schedule: str | Schedule | None = None,
    train_metric: bool = True,
) -> History:
    """Mini-batch gradient descent on validated data; see :meth:`nncore.Sequential.fit`.

    ``X`` is a C-contiguous matrix in the network's dtype, ``targets`` and the
    validation targets come from ``Sequential.encode_targets``, and ``loss`` suits the
    output layer (``Sequential.resolve_loss``). ``train_metric=False`` skips the
    training accuracy or RMSE (and with it the stuck-network rule of
    :func:`divergence`, which needs the training error rate).
    """
    batch_size = check_bound("fit.batch_size", batch_size, allow_none=True)
    l2 = check_bound("fit.l2", l2)
    callbacks = check_callbacks(callbacks)
    opt = SGD(lr=0.01) if optimizer is None else get_optimizer(optimizer)

    layers = network.layers
    n = X.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    workspace = Workspace(layers, bs, network.dtype)
    output = workspace.output_activation
    batches = Batches(X, targets.Y, bs, network.rng, shuffle, into=workspace.input_buffer)
    if not isinstance(train_metric, bool | np.bool_):
        raise ValueError(f"train_metric must be True or False; got {train_metric!r}")
    name = metric_name(output)            # the validation metric's name in any case
    metric = epoch_metric(output, targets) if train_metric else NoMetric(name, 1)
    batch_callbacks = [cb for cb in callbacks if wants_batches(cb)]
    params, grads = network.parameters, network.gradients
    ceiling = (loss_ceiling(loss.name, network.dtype)
               if train_metric and name == "accuracy" else None)
    zeros = np.zeros_like(params)         # params·0 is 0 unless a weight is inf or NaN
    first_loss: list[float] = []          # the first epoch's training loss, once known
    l2_pairs = [(layer.W, layer.dW) for layer in layers] if l2 else []
    last_good = params.copy()
    if validation is not None:
        X_val, val_targets = validation
        val_workspace = Workspace(layers, X_val.shape[0], network.dtype, backward=False)
    forward, backward, value, step = workspace.forward, workspace.backward, loss.value, opt.step
    count = metric.add

    def epoch_step(epoch: int) -> tuple[dict[str, float], None]:
        metric.begin(batches.new_epoch())
        loss_sum = 0.0
        seen = 0
        for batch, (start, Xb, Yb) in enumerate(batches):
            m = Xb.shape[0]
            A = forward(Xb)
            loss_sum += value(A, Yb) * m
            count(A, Yb, start)
            backward(Xb, Yb, loss)
            for W, dW in l2_pairs:
                dW += l2 * W
            step(params, grads)
            seen += m
            if batch_callbacks:
                batch_logs = {"epoch": epoch, "size": m}
                for cb in batch_callbacks:
                    cb.on_batch_end(network, batch, batch_logs)
            if network.stop_training:
                break
        train_loss = loss_sum / seen
        train_score = metric.result(seen)
        why = divergence(train_loss, first_loss[0] if first_loss else None,
                         error_rate=None if ceiling is None else 1.0 - train_score,
                         ceiling=ceiling, loss_name=loss.name)
        if why is None and params.dot(zeros) != 0.0:     # one BLAS call: no bool mask
            why = "a weight became infinite or NaN"
        if why is not None:
            np.copyto(params, last_good)          # keep the weights of the last good epoch
            raise Diverged(why)
        np.copyto(last_good, params)
        if not first_loss:
            first_loss.append(train_loss)
        logs = {"train_loss": train_loss}
        if train_metric:
            logs[f"train_{name}"] = train_score
        if validation is not None:
            scores = score(val_workspace.forward(X_val), val_targets, loss, output)
            logs["val_loss"] = scores["loss"]
            logs[f"val_{name}"] = scores[name]
        return logs, None

    run_params = {
        "batch_size": batch_size, "n_samples": n, "loss": loss.name,
        "optimizer": opt.get_config(), "l2": l2, "has_validation": validation is not None,
        "train_metric": train_metric,
    }
    # Overflow on the way to a divergence is reported by TrainingDiverged, not warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return run_epochs(network, epoch_step, epochs=epochs, callbacks=callbacks,
                          params=run_params, lr_owner=opt, lr_schedule=lr_schedule)
