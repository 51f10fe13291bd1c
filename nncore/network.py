"""``Sequential``: a stack of dense layers that trains with backpropagation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from nncore import training
from nncore._checks import SeedLike, as_float_matrix, input_dtype, make_rng, resolve_dtype
from nncore.activations import OUTPUT_ONLY
from nncore.bounds import check_bound
from nncore.callbacks import Callback
from nncore.history import History
from nncore.initializers import get_initializer
from nncore.layers import Dense
from nncore.losses import Loss, get_loss
from nncore.optimizers import Optimizer
from nncore.schedules import Schedule
from nncore.targets import CLASSIFIER_OUTPUTS, Targets, encode_targets
from nncore.tasks import matched_loss, required_output


class Sequential:
    """A feed-forward network of :class:`nncore.Dense` layers.

    All randomness (initialisation, shuffling) comes from one ``numpy.random.Generator``
    made from ``seed``, so the same seed gives the same weights after training. All
    parameters live in one flat vector; each layer's ``W`` and ``b`` are views into it.

    Parameters
    ----------
    layers : sequence of Dense
        At least one layer; each layer's ``n_inputs`` must equal the previous ``n_units``.
        ``softmax`` is allowed only in the last layer.
    seed : int, numpy.random.Generator or None, default None
        Seed of the random number generator.
    dtype : {"float32", "float64"} or None, default None
        The floating point type of parameters and computation. None follows the first
        float input the model sees (float32 data trains in float32); integer input
        means float64. Once set, inputs are cast to it; nothing upcasts silently.

    Attributes
    ----------
    layers : list of Dense
    rng : numpy.random.Generator
    dtype : numpy.dtype
    stop_training : bool
        Set to True (from a callback) to end ``fit`` cleanly after the current batch.

    Examples
    --------
    >>> import numpy as np, nncore
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    >>> y = np.array([0, 1, 1, 0])
    >>> model = nncore.Sequential([nncore.Dense(2, 8, "tanh"), nncore.Dense(8, 1, "sigmoid")],
    ...                           seed=0)
    >>> history = model.fit(X, y, optimizer=nncore.Adam(lr=0.05), epochs=500)
    >>> model.predict(X).tolist()
    [0, 1, 1, 0]
    """

    def __init__(
        self, layers: Iterable[Dense], seed: SeedLike = None, dtype: object = None
    ) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("layers must hold at least one Dense layer; got an empty list")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Dense):
                raise ValueError(f"layers[{i}] must be an nncore.Dense; got {layer!r}")
            if layer.W is not None:
                raise ValueError(
                    f"layers[{i}] already belongs to a model; create a new Dense for each model"
                )
            if i and layer.n_inputs != layers[i - 1].n_units:
                raise ValueError(
                    f"layers[{i}].n_inputs is {layer.n_inputs} but layers[{i - 1}] has "
                    f"{layers[i - 1].n_units} units; they must match"
                )
            if i < len(layers) - 1 and layer.activation in OUTPUT_ONLY:
                raise ValueError(
                    f"layers[{i}] uses {layer.activation!r}, which is allowed only in the "
                    "output layer"
                )
        self.layers = layers
        self.seed = seed if isinstance(seed, int) else None
        self.rng = make_rng(seed)
        explicit = resolve_dtype(dtype)
        self._dtype_fixed = explicit is not None
        self.dtype = explicit if explicit is not None else np.dtype(np.float64)
        self.stop_training = False
        self.stop_reason: str | None = None
        n_params = sum(layer.n_params for layer in layers)
        self._bind(np.zeros(n_params, self.dtype))
        for layer in layers:
            init = get_initializer(layer.init)
            layer.W[...] = init(self.rng, layer.n_inputs, layer.n_units)

    # ----------------------------------------------------------------- structure
    def _bind(self, params: np.ndarray) -> None:
        self._params = params
        self._grads = np.zeros_like(params)
        offset = 0
        for layer in self.layers:
            offset = layer.bind(self._params, self._grads, offset)

    def __getstate__(self) -> dict[str, Any]:
        # Layers hold views into the flat vectors; pickle and deepcopy would copy each
        # view on its own and cut it loose. Keep the flat vector and rebind on restore.
        state = self.__dict__.copy()
        del state["_grads"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind(self._params)

    @property
    def parameters(self) -> np.ndarray:
        """Every parameter in one flat vector (layer by layer, ``W`` then ``b``); a view."""
        return self._params

    @property
    def gradients(self) -> np.ndarray:
        """The flat gradient vector matching :attr:`parameters`, filled by backprop."""
        return self._grads

    @property
    def n_params(self) -> int:
        """Number of trainable parameters."""
        return self._params.size

    @property
    def n_inputs(self) -> int:
        """Number of input features."""
        return self.layers[0].n_inputs

    @property
    def n_outputs(self) -> int:
        """Number of output units."""
        return self.layers[-1].n_units

    @property
    def output_activation(self) -> str:
        """The name of the last layer's activation."""
        return self.layers[-1].activation

    def astype(self, dtype: object) -> Sequential:
        """Convert the parameters to ``dtype`` ("float32" or "float64") in place; returns self."""
        resolved = resolve_dtype(dtype)
        if resolved is None:
            raise ValueError("dtype must be 'float32' or 'float64'; got None")
        self._dtype_fixed = True
        if resolved != self.dtype:
            self.dtype = resolved
            self._bind(self._params.astype(resolved))
        return self

    # ------------------------------------------------------------------ inference
    def _check_X(self, X: object) -> np.ndarray:
        """``X`` validated and cast to the model's dtype, which the first float input
        seen sets unless one was given."""
        if not self._dtype_fixed:
            self.astype(input_dtype(X))
        return as_float_matrix("X", X, self.dtype, self.n_inputs)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        A = X
        for layer in self.layers:
            Z = A @ layer.W
            Z += layer.b
            A = layer.activation_fn.forward(Z)
        return A

    def forward(self, X: object) -> np.ndarray:
        """Output activations for ``X`` (n_samples x n_inputs), shape (n_samples, n_outputs)."""
        return self._forward(self._check_X(X))

    __call__ = forward

    def predict_proba(self, X: object) -> np.ndarray:
        """Output activations, shape (n_samples, n_outputs).

        For one sigmoid unit the column is P(class 1); for softmax each row sums to 1.
        """
        return self.forward(X)

    def predict(self, X: object) -> np.ndarray:
        """Predictions: class labels for classifiers, values for regression.

        One sigmoid unit gives 0/1 labels (threshold 0.5) of shape (n,), several sigmoid
        units a 0/1 matrix; softmax gives the argmax labels, shape (n,); a regression
        network gives shape (n,) for one output, else (n, n_outputs).
        """
        A = self.forward(X)
        act = self.output_activation
        if act == "softmax":
            return A.argmax(axis=1)
        if act in CLASSIFIER_OUTPUTS:
            labels = (A >= 0.5).astype(np.intp)
            return labels[:, 0] if self.n_outputs == 1 else labels
        return A[:, 0] if self.n_outputs == 1 else A

    # ------------------------------------------------------------------ losses
    def resolve_loss(self, loss: str | Loss | None) -> Loss:
        """The loss ``fit`` trains with, checked against the output layer.

        None picks the loss that matches the output activation
        (:func:`nncore.matched_loss`); a loss that needs another output
        (:func:`nncore.check_loss_for_output`) is refused.

        Raises
        ------
        ValueError
            If the network has ``step`` units (no gradient), the loss is unknown, or it
            does not suit the output layer.
        """
        if any(not layer.activation_fn.trainable for layer in self.layers):
            raise ValueError(
                "a network with 'step' activations cannot be trained by backpropagation "
                "(its derivative is zero); use nncore.Perceptron or 'sigmoid' units"
            )
        loss_fn = get_loss(matched_loss(self.output_activation) if loss is None else loss)
        needs = required_output(loss_fn)
        if needs and self.output_activation != needs:
            raise ValueError(
                f"loss {loss_fn.name!r} needs a {needs!r} output layer; the model's output "
                f"activation is {self.output_activation!r} (use 'mse', or a {needs!r} output)"
            )
        return loss_fn

    def encode_targets(self, y: object, n_rows: int, name: str = "y") -> Targets:
        """``y`` checked against the output layer and encoded as ``fit`` trains on it.

        Returns the target matrix in the model's dtype and, for hard class labels, the
        labels (see :mod:`nncore.targets`); ``name`` is the argument's name in messages.
        """
        return encode_targets(
            y, n_rows=n_rows, n_outputs=self.n_outputs,
            output_activation=self.output_activation, dtype=self.dtype, name=name,
        )

    def l2_penalty(self, l2: float) -> float:
        """``l2 / 2 * sum(W**2)`` over all weight matrices (biases excluded)."""
        return 0.5 * l2 * sum(float(np.vdot(layer.W, layer.W)) for layer in self.layers)

    def loss_and_gradients(
        self, X: object, y: object, loss: str | Loss | None = None, l2: float = 0.0
    ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """The mean loss (plus the L2 penalty) and its gradient for every layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)
        y : array-like
            Targets (see :meth:`fit`).
        loss : str, Loss or None
            None picks the loss that matches the output activation.
        l2 : float, default 0.0
            Adds ``l2 / 2 * sum(W**2)`` to the loss and ``l2 * W`` to each ``dW``.

        Returns
        -------
        loss : float
        grads : list of (dW, db)
            One pair per layer, new arrays shaped like ``W`` and ``b``.
        """
        l2 = check_bound("fit.l2", l2)
        X = self._check_X(X)
        loss_fn = self.resolve_loss(loss)
        targets = self.encode_targets(y, X.shape[0])
        workspace = training.Workspace(self.layers, X.shape[0], self.dtype)
        A = workspace.forward(X)
        value = loss_fn.value(A, targets.Y) + self.l2_penalty(l2)
        workspace.backward(X, targets.Y, loss_fn)
        return value, [(layer.dW + l2 * layer.W, layer.db.copy()) for layer in self.layers]

    def evaluate(self, X: object, y: object, loss: str | Loss | None = None) -> dict[str, float]:
        """Mean loss and accuracy (classifiers) or RMSE (regression) on ``(X, y)``.

        Returns
        -------
        dict
            ``{"loss": ..., "accuracy": ...}`` or ``{"loss": ..., "rmse": ...}``.
        """
        X = self._check_X(X)
        targets = self.encode_targets(y, X.shape[0])
        return training.score(self._forward(X), targets, self.resolve_loss(loss),
                              self.output_activation)

    # ------------------------------------------------------------------ training
    def fit(
        self,
        X: object,
        y: object,
        loss: str | Loss | None = None,
        optimizer: str | Optimizer | None = None,
        epochs: int = 100,
        batch_size: int | None = None,
        shuffle: bool = True,
        validation_data: tuple[object, object] | None = None,
        callbacks: Sequence[Callback] | None = None,
        l2: float = 0.0,
        lr_schedule: str | Schedule | None = None,
        train_metric: bool = True,
    ) -> History:
        """Train with gradient descent and backpropagation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)
            Finite numbers; float32 input trains in float32 unless ``dtype`` was given.
        y : array-like
            0/1 labels (sigmoid output), integer labels or one-hot rows (softmax), or
            target values (regression).
        loss : str, Loss or None
            ``binary_cross_entropy`` (``log_loss``), ``cross_entropy`` or ``mse``; None
            picks the one that matches the output activation.
        optimizer : Optimizer, str or None
            ``nncore.SGD(...)``, ``nncore.Adam(...)``, or a name with default settings;
            None is ``SGD(lr=0.01)``.
        epochs : int, default 100
            Passes over the training data, >= 1.
        batch_size : int or None, default None
            None for full-batch gradient descent, 1 for one sample at a time.
        shuffle : bool, default True
            Reshuffle the rows every epoch (mini-batch only).
        validation_data : (X_val, y_val) or None
            Evaluated after every epoch (``val_loss``, ``val_accuracy``/``val_rmse``).
        callbacks : list of Callback or None
            Called in order after every epoch with one shared ``logs`` dict, which they
            may change in place; the history records it after all of them ran (see
            :class:`nncore.Callback`).
        l2 : float, default 0.0
            L2 regularisation: adds ``l2 / 2 * sum(W**2)`` (biases excluded) to the
            mean loss being minimised.
        lr_schedule : str, Schedule or None, default None
            A learning-rate schedule (``"step"``, ``"exponential"``, ``"cosine"``,
            ``"constant"`` or a :class:`nncore.Schedule`): each epoch trains with the
            optimizer's learning rate times ``schedule.factor(epoch, epochs)`` and logs
            it as ``lr``. The optimizer's learning rate is back at its base value when
            ``fit`` returns or raises. None keeps it constant.
        train_metric : bool, default True
            Record the training accuracy (classifiers) or RMSE (regression) of every
            epoch, ``train_accuracy``/``train_rmse``, counted over the epoch's batches
            as they train. False skips it (one numpy call a batch and a few an epoch,
            which count on tiny networks): the history then has ``train_loss`` (and the
            validation metrics) only, and the divergence rule for a network stuck at
            the loss's clipping ceiling, which needs the training error rate, is not
            applied (non-finite or exploding losses and weights still are). The
            gradients and weights are the same either way.

        Returns
        -------
        History

        Raises
        ------
        ValueError
            For bad arguments, with the argument, the value and what is allowed.
        TrainingDiverged
            When the loss or a weight stops being finite; the model keeps the weights
            of the last finite epoch.
        """
        X = self._check_X(X)
        loss_fn = self.resolve_loss(loss)
        targets = self.encode_targets(y, X.shape[0])
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            X_val = as_float_matrix("X_val", validation_data[0], self.dtype, self.n_inputs)
            validation = (X_val, self.encode_targets(validation_data[1], X_val.shape[0],
                                                     name="y_val"))
        return training.train(
            self, X, targets, loss_fn, optimizer=optimizer, epochs=epochs,
            batch_size=batch_size, shuffle=shuffle, validation=validation,
            callbacks=callbacks, l2=l2, lr_schedule=lr_schedule, train_metric=train_metric,
        )

    # ------------------------------------------------------------------ state
    def get_config(self) -> dict[str, Any]:
        """The architecture as a JSON-able dict; :meth:`from_config` rebuilds it."""
        return {
            "type": "Sequential",
            "layers": [layer.get_config() for layer in self.layers],
            "dtype": self.dtype.name,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: SeedLike = None) -> Sequential:
        """Build a fresh (newly initialised) network from :meth:`get_config` output.

        ``seed`` overrides the seed stored in the config.
        """
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError("config must be a dict with a 'layers' list (from get_config)")
        if config.get("type", "Sequential") != "Sequential":
            raise ValueError(f"config type must be 'Sequential'; got {config.get('type')!r}")
        layers = []
        for i, layer_config in enumerate(config["layers"]):
            if not isinstance(layer_config, dict):
                raise ValueError(f"config['layers'][{i}] must be a dict; got {layer_config!r}")
            try:
                layers.append(Dense(**layer_config))
            except TypeError as exc:
                raise ValueError(f"config['layers'][{i}] is not a Dense config: {exc}") from exc
        return cls(layers, seed=config.get("seed") if seed is None else seed,
                   dtype=config.get("dtype"))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters by dotted name (``layers.0.W``, ``layers.0.b``, ...); views, not copies."""
        state = {}
        for i, layer in enumerate(self.layers):
            state[f"layers.{i}.W"] = layer.W
            state[f"layers.{i}.b"] = layer.b
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy parameters in from :meth:`state_dict` output, checking names and shapes."""
        own = self.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or unexpected:
            raise ValueError(
                f"state does not match the model: missing {missing or 'none'}, "
                f"unexpected {unexpected or 'none'}"
            )
        for key, target in own.items():
            value = np.asarray(state[key])
            if value.shape != target.shape:
                raise ValueError(f"{key} must have shape {target.shape}; got {value.shape}")
            if not np.issubdtype(value.dtype, np.floating):
                raise ValueError(f"{key} must hold floats; got dtype {value.dtype}")
        for key, target in own.items():
            target[...] = state[key]

    def summary(self) -> str:
        """A table of layers, shapes, activations and parameter counts."""
        rows = [("#", "layer", "shape", "activation", "init", "params")]
        for i, layer in enumerate(self.layers):
            rows.append((str(i), "Dense", f"{layer.n_inputs} -> {layer.n_units}",
                         layer.activation, layer.init, f"{layer.n_params:,}"))
        widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
        lines = [
            f"Sequential: {len(self.layers)} layer(s), {self.n_params:,} parameters, "
            f"{self.dtype.name}"
        ]
        for row in rows:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], n_params={self.n_params}, dtype={self.dtype.name!r})"
