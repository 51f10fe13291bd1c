"""nncore: a readable, fast NumPy backpropagation core.

The public API::

    import nncore
    model = nncore.Sequential([nncore.Dense(6, 8, "relu"), nncore.Dense(8, 1, "sigmoid")],
                              seed=0)
    history = model.fit(X, y, optimizer=nncore.SGD(lr=0.1, momentum=0.9), epochs=100,
                        batch_size=32, validation_data=(Xv, yv), lr_schedule="cosine")
    model.predict(X); nncore.save(model, "model"); nncore.load("model")

The tables other layers read: ``ACTIVATIONS``, ``LOSSES``, ``OPTIMIZERS``,
``INITIALIZERS``, ``SCHEDULES`` (names), ``BOUNDS`` (the range of every numeric
argument), ``TASK_OUTPUT`` with ``matched_loss``, ``check_output_for_task`` and
``check_loss_for_output`` (which output layer and loss suit a task).

For teaching: ``backprop_trace(model, X, y)`` returns every intermediate of the
trainer's own forward and backward pass; ``train_step`` takes one optimizer step as
``fit`` does; ``perceptron_trick`` applies the trick to one point.

nncore imports numpy only.
"""

from nncore._version import __version__
from nncore.activations import ACTIVATIONS, Activation, get_activation
from nncore.bounds import BOUNDS, Interval
from nncore.callbacks import Callback, EarlyStopping, LambdaCallback
from nncore.gradcheck import check_gradients, numerical_gradients
from nncore.history import History
from nncore.initializers import INITIALIZERS, get_initializer
from nncore.layers import Dense
from nncore.losses import LOSS_ALIASES, LOSSES, Loss, get_loss
from nncore.metrics import accuracy, confusion_matrix, rmse
from nncore.network import Sequential
from nncore.optimizers import OPTIMIZERS, SGD, Adam, Optimizer, get_optimizer
from nncore.perceptron import Perceptron
from nncore.schedules import (
    SCHEDULES,
    ConstantLR,
    CosineDecay,
    ExponentialDecay,
    Schedule,
    StepDecay,
    get_schedule,
)
from nncore.serialization import load, save
from nncore.tasks import TASK_OUTPUT, check_loss_for_output, check_output_for_task, matched_loss
from nncore.trace import (
    BackpropTrace,
    LayerTrace,
    PerceptronTrick,
    backprop_trace,
    perceptron_trick,
    train_step,
)
from nncore.training import TrainingDiverged

__all__ = [
    "ACTIVATIONS",
    "BOUNDS",
    "INITIALIZERS",
    "LOSSES",
    "LOSS_ALIASES",
    "OPTIMIZERS",
    "SCHEDULES",
    "SGD",
    "TASK_OUTPUT",
    "Activation",
    "Adam",
    "BackpropTrace",
    "Callback",
    "ConstantLR",
    "CosineDecay",
    "Dense",
    "EarlyStopping",
    "ExponentialDecay",
    "History",
    "Interval",
    "LambdaCallback",
    "LayerTrace",
    "Loss",
    "Optimizer",
    "Perceptron",
    "PerceptronTrick",
    "Schedule",
    "Sequential",
    "StepDecay",
    "TrainingDiverged",
    "__version__",
    "accuracy",
    "backprop_trace",
    "check_gradients",
    "check_loss_for_output",
    "check_output_for_task",
    "confusion_matrix",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_optimizer",
    "get_schedule",
    "load",
    "matched_loss",
    "numerical_gradients",
    "perceptron_trick",
    "rmse",
    "save",
    "train_step",
]
