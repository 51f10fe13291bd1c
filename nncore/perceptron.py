"""The perceptron and the perceptron trick (``LESSONS.md`` section 1).

Prediction is ``step(w . x + b)`` with ``step(z) = 1 if z >= 0 else 0``. For one
misclassified point and learning rate ``lr``:

- label 1 predicted 0: ``w <- w + lr x``, ``b <- b + lr``
- label 0 predicted 1: ``w <- w - lr x``, ``b <- b - lr``

The algorithm visits every point each epoch and stops when all are right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nncore._checks import SeedLike, as_float_matrix, input_dtype, make_rng, resolve_dtype
from nncore.bounds import Interval, check_bound
from nncore.callbacks import Callback
from nncore.history import History
from nncore.schedules import Schedule
from nncore.training import run_epochs


class Perceptron:
    """A single perceptron trained with the perceptron trick.

    Parameters
    ----------
    n_inputs : int
        Number of input features, >= 1.
    lr : float, default 0.1
        Learning rate of the trick, > 0.
    seed : int, numpy.random.Generator or None
        Seeds the random starting weights (standard normal) and the visiting order.
    dtype : {"float32", "float64"} or None
        None follows the first float input.

    Attributes
    ----------
    w : ndarray of shape (n_inputs,)
    b : float
    """

    def __init__(self, n_inputs: int, lr: float = 0.1, seed: SeedLike = None,
                 dtype: object = None) -> None:
        self.n_inputs = check_bound("Perceptron.n_inputs", n_inputs)
        self.lr = check_bound("Perceptron.lr", lr)
        self.seed = seed if isinstance(seed, int) else None
        self.rng = make_rng(seed)
        explicit = resolve_dtype(dtype)
        self._dtype_fixed = explicit is not None
        self.dtype = explicit if explicit is not None else np.dtype(np.float64)
        self.w = self.rng.standard_normal(self.n_inputs).astype(self.dtype)
        self.b = 0.0
        self.stop_training = False
        self.stop_reason: str | None = None

    @classmethod
    def from_weights(cls, w: Sequence[float], b: float) -> Perceptron:
        """A perceptron with given weights, e.g. AND: ``from_weights([1, 1], -1.5)``."""
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"w must be a non-empty vector; got shape {w.shape}")
        p = cls(w.size, seed=0, dtype="float64")
        p.w[...] = w
        p.b = Interval(None, None, "neither").check("b", b)
        return p

    @property
    def n_params(self) -> int:
        """Number of parameters, ``n_inputs + 1``."""
        return self.n_inputs + 1

    def _check_X(self, X: object) -> np.ndarray:
        if not self._dtype_fixed:
            self.dtype, self._dtype_fixed = input_dtype(X), True
            self.w = self.w.astype(self.dtype)
        return as_float_matrix("X", X, self.dtype, self.n_inputs)

    def decision_function(self, X: object) -> np.ndarray:
        """The scores ``X w + b``, shape (n,)."""
        return self._check_X(X) @ self.w + self.b

    def predict(self, X: object) -> np.ndarray:
        """Labels ``step(X w + b)`` (0 or 1), shape (n,)."""
        return (self.decision_function(X) >= 0).astype(np.intp)

    def predict_proba(self, X: object) -> np.ndarray:
        """The step output as a column (0.0 or 1.0), shape (n, 1), for a uniform API."""
        return self.predict(X).astype(self.dtype)[:, None]

    def update(self, x: object, y: int) -> bool:
        """Apply the perceptron trick to one point; return True if it moved the line."""
        x = np.asarray(x, dtype=self.dtype)
        prediction = int(x @ self.w + self.b >= 0)
        if prediction == y:
            return False
        sign = 1.0 if y == 1 else -1.0
        self.w += sign * self.lr * x
        self.b += sign * self.lr
        return True

    def _labels(self, y: object, n: int, name: str = "y") -> np.ndarray:
        labels = np.asarray(y).ravel()
        if labels.shape[0] != n:
            raise ValueError(f"{name} has {labels.shape[0]} rows but X has {n}")
        if not np.isin(labels, (0, 1)).all():
            bad = labels[~np.isin(labels, (0, 1))][0].item()
            raise ValueError(f"{name} must hold labels 0 and 1 for a perceptron; got {bad!r}")
        return labels.astype(np.intp)

    def fit(
        self, X: object, y: object, epochs: int = 25, shuffle: bool = True,
        callbacks: Sequence[Callback] | None = None,
        validation_data: tuple[object, object] | None = None,
        lr_schedule: str | Schedule | None = None,
    ) -> History:
        """The perceptron algorithm: apply the trick to every misclassified point, epoch
        after epoch, until all points are right or ``epochs`` is reached.

        Training runs in nncore's one epoch loop (:func:`nncore.training.run_epochs`), so
        callbacks, stopping and learning-rate schedules behave as in
        :meth:`nncore.Sequential.fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)
        y : array-like of shape (n_samples,)
            Labels 0 and 1.
        epochs : int, default 25
            The most passes over the points, >= 1.
        shuffle : bool, default True
            Visit the points in a new random order every epoch.
        callbacks : list of Callback or None
        validation_data : (X_val, y_val) or None
        lr_schedule : str, Schedule or None, default None
            Each epoch uses ``lr * schedule.factor(epoch, epochs)`` (logged as ``lr``);
            ``lr`` is back at its base value afterwards.

        Returns
        -------
        History
            ``train_accuracy`` and ``train_misclassified`` per epoch (measured after the
            epoch), plus ``val_accuracy`` with validation data. When every point is right
            training ends with ``stop_reason`` "converged: ..." (not ``stopped_early``).
        """
        epochs = check_bound("fit.epochs", epochs)
        X = self._check_X(X)
        labels = self._labels(y, X.shape[0])
        val = None
        if validation_data is not None:
            Xv = as_float_matrix("X_val", validation_data[0], self.dtype, self.n_inputs)
            val = (Xv, self._labels(validation_data[1], Xv.shape[0], "y_val"))
        n = X.shape[0]

        def epoch_step(epoch: int) -> tuple[dict[str, float], str | None]:
            order = self.rng.permutation(n) if shuffle else range(n)
            for i in order:
                self.update(X[i], labels[i])
            wrong = int(np.count_nonzero(self.predict(X) != labels))
            logs = {"train_accuracy": 1.0 - wrong / n, "train_misclassified": float(wrong)}
            if val is not None:
                logs["val_accuracy"] = float(np.mean(self.predict(val[0]) == val[1]))
            converged = f"converged: every point is right after epoch {epoch}"
            return logs, converged if wrong == 0 else None

        params = {"batch_size": 1, "n_samples": n, "loss": "perceptron",
                  "optimizer": {"name": "perceptron", "lr": self.lr}, "l2": 0.0,
                  "has_validation": val is not None}
        return run_epochs(self, epoch_step, epochs=epochs, callbacks=callbacks, params=params,
                          lr_owner=self, lr_schedule=lr_schedule)

    def get_config(self) -> dict[str, Any]:
        """The perceptron as a JSON-able dict."""
        return {"type": "Perceptron", "n_inputs": self.n_inputs, "lr": self.lr,
                "dtype": self.dtype.name, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: SeedLike = None) -> Perceptron:
        """Build a fresh perceptron from :meth:`get_config` output."""
        return cls(config["n_inputs"], lr=config.get("lr", 0.1),
                   seed=config.get("seed") if seed is None else seed, dtype=config.get("dtype"))

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"w": ..., "b": ...}`` (``b`` as a 0-d array)."""
        return {"w": self.w, "b": np.asarray(self.b, dtype=self.dtype)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy ``w`` and ``b`` in, checking names and shapes."""
        if set(state) != {"w", "b"}:
            raise ValueError(f"perceptron state needs exactly 'w' and 'b'; got {sorted(state)}")
        w, b = np.asarray(state["w"]), np.asarray(state["b"])
        if w.shape != self.w.shape or b.shape != ():
            raise ValueError(f"w must have shape {self.w.shape} and b be a scalar; "
                             f"got {w.shape} and {b.shape}")
        self.w[...] = w
        self.b = float(b)

    def summary(self) -> str:
        """One line: inputs, parameters, learning rate."""
        return (f"Perceptron: {self.n_inputs} inputs, {self.n_params} parameters, "
                f"lr={self.lr:g}, {self.dtype.name}")

    def __repr__(self) -> str:
        return f"Perceptron(n_inputs={self.n_inputs}, lr={self.lr!r})"
