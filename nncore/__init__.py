"""nncore: a readable, fast NumPy backpropagation core.

The public API::

    import nncore
    model = nncore.Sequential([nncore.Dense(6, 8, "relu"), nncore.Dense(8, 1, "sigmoid")],
                              seed=0)
    history = model.fit(X, y, optimizer=nncore.SGD(lr=0.1, momentum=0.9), epochs=100,
                        batch_size=32, validation_data=(Xv, yv))
    model.predict(X); nncore.save(model, "model"); nncore.load("model")

nncore imports numpy only.
"""

from nncore.activations import ACTIVATIONS, Activation, get_activation
from nncore.callbacks import Callback, EarlyStopping, LambdaCallback
from nncore.gradcheck import check_gradients, numerical_gradients
from nncore.initializers import INITIALIZERS, get_initializer
from nncore.layers import Dense
from nncore.losses import LOSS_ALIASES, LOSSES, Loss, get_loss
from nncore.metrics import accuracy, confusion_matrix, rmse
from nncore.network import Sequential
from nncore.optimizers import OPTIMIZERS, SGD, Adam, Optimizer, get_optimizer
from nncore.perceptron import Perceptron
from nncore.serialization import load, save
from nncore.training import History, TrainingDiverged

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "LOSS_ALIASES",
    "OPTIMIZERS",
    "SGD",
    "Activation",
    "Adam",
    "Callback",
    "Dense",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "Loss",
    "Optimizer",
    "Perceptron",
    "Sequential",
    "TrainingDiverged",
    "__version__",
    "accuracy",
    "check_gradients",
    "confusion_matrix",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_optimizer",
    "load",
    "numerical_gradients",
    "rmse",
    "save",
]
