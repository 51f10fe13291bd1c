"""scikit-learn estimators over nncore: :class:`NeuralNetClassifier`, :class:`NeuralNetRegressor`.

They take scikit-learn's ``MLPClassifier``/``MLPRegressor`` parameters (``hidden_layer_sizes``,
``activation``, ``solver``, ``alpha``, ``batch_size``, ``learning_rate_init``, ``max_iter``,
``early_stopping`` ...), train an :class:`nncore.Sequential` with nncore's fit loop and
expose it as ``model_``. They pass ``sklearn.utils.estimator_checks.check_estimator`` and
work in ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``::

    from nncore.sklearn import NeuralNetClassifier
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), solver="adam", max_iter=300,
                              random_state=0).fit(X, y)
    clf.predict_proba(X); clf.score(X, y); nncore.save(clf.model_, "model")

This is the only nncore module that imports scikit-learn; ``import nncore`` does not
import it.

Conventions (where nncore and scikit-learn's MLP differ, the difference is stated):

- Output layer and loss: one sigmoid unit with log-loss for two classes, softmax with
  cross-entropy for more, one sigmoid unit per label for multilabel indicator targets,
  identity outputs with the mean squared error for regression. ``MLPRegressor`` minimises
  *half* the squared error, so its SGD steps are half of ours for the same learning rate.
- ``alpha`` is scaled as in ``MLPClassifier``: each batch minimises its mean loss plus
  ``alpha / (2 * batch_size) * sum(W**2)`` (biases excluded).
- Stopping follows ``MLPClassifier``: training stops when the objective (or, with
  ``early_stopping``, the validation score) has not improved by ``tol`` for more than
  ``n_iter_no_change`` epochs, else after ``max_iter`` epochs with a ``ConvergenceWarning``.
- Initialisation is nncore's: He normal for ReLU-like layers, Glorot uniform otherwise,
  biases at zero.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

import nncore

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]

# scikit-learn's activation names, plus nncore's own, mapped to nncore's registry keys.
_HIDDEN_ACTIVATIONS = {
    "identity": "identity",
    "logistic": "sigmoid",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "leaky_relu",
}
_FLOAT_DTYPES = (np.float64, np.float32)
_AUTO_BATCH = 200


def _bound(key: str) -> Interval:
    """scikit-learn's form of the range nncore checks the same argument against."""
    bound = nncore.BOUNDS[key]
    return Interval(Integral if bound.integer else Real, bound.low, bound.high,
                    closed=bound.closed)


class _Monitor(nncore.Callback):
    """Records the loss curve and applies ``MLPClassifier``'s stopping rule, once per epoch.

    Without validation data, an epoch counts as "no improvement" when its objective is
    not below ``best_loss - tol``; with validation data, when its validation score is not
    above ``best_score + tol``. Training stops once more than ``n_iter_no_change`` epochs
    in a row did not improve. With validation data the best epoch's weights are restored
    at the end, as scikit-learn does.
    """

    def __init__(
        self,
        estimator: _NeuralNetBase,
        l2: float,
        validation: tuple[np.ndarray, np.ndarray] | None,
        score: Callable[[nncore.Sequential, dict[str, float], np.ndarray, np.ndarray], float],
        best_loss: float = math.inf,
        no_improvement: int = 0,
    ) -> None:
        self.estimator = estimator
        self.l2 = l2
        self.validation = validation
        self.score = score
        self.tol = float(estimator.tol)
        self.patience = estimator.n_iter_no_change
        self.loss_curve: list[float] = []
        self.validation_scores: list[float] = []
        self.best_loss = best_loss
        self.best_score = -math.inf
        self.no_improvement = no_improvement
        self.best_params: np.ndarray | None = None
        self.converged = False

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        """Record the epoch and stop training when it has stopped improving."""
        loss = float(logs["train_loss"]) + (model.l2_penalty(self.l2) if self.l2 else 0.0)
        self.loss_curve.append(loss)
        if self.estimator.verbose:
            print(f"Iteration {len(self.estimator.loss_curve_) + len(self.loss_curve)}, "
                  f"loss = {loss:.8f}")
        if self.validation is not None:
            score = self.score(model, logs, *self.validation)
            self.validation_scores.append(score)
            improved = score >= self.best_score + self.tol
            if score > self.best_score:
                self.best_score = score
                self.best_params = model.parameters.copy()
            what = f"Validation score did not improve more than tol={self.tol}"
        else:
            improved = loss <= self.best_loss - self.tol
            self.best_loss = min(self.best_loss, loss)
            what = f"Training loss did not improve more than tol={self.tol}"
        self.no_improvement = 0 if improved else self.no_improvement + 1
        if self.no_improvement > self.patience:
            self.converged = True
            model.stop_training = True
            model.stop_reason = f"{what} for {self.patience} consecutive epochs"
            if self.estimator.verbose:
                print(f"{model.stop_reason}. Stopping.")

    def on_train_end(self, model: Any, history: nncore.History) -> None:
        """Put back the weights of the best validation epoch (early stopping only)."""
        if self.best_params is not None:
            np.copyto(model.parameters, self.best_params)


class _NeuralNetBase(BaseEstimator):
    """Shared parameters and training of the two estimators (internal)."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [_bound("fit.l2")],
        "batch_size": [StrOptions({"auto"}), _bound("fit.batch_size"), None],
        "learning_rate_init": [_bound("Optimizer.lr")],
        "max_iter": [_bound("fit.epochs")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [_bound("SGD.momentum")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [_bound("Adam.beta1")],
        "beta_2": [_bound("Adam.beta2")],
        "epsilon": [_bound("Adam.eps")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "dtype": [None, StrOptions({"float32", "float64"}), Options(type, set(_FLOAT_DTYPES))],
    }

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str | None = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        dtype: str | type | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dtype = dtype

    # ------------------------------------------------------------- subclass hooks
    def _validate_targets(self, y: Any, first: bool, classes: Any) -> np.ndarray:
        raise NotImplementedError

    def _output_layer(self) -> str:
        raise NotImplementedError

    def _n_outputs(self, Y: np.ndarray) -> int:
        return 1 if Y.ndim == 1 else Y.shape[1]

    def _validation_score(
        self, model: nncore.Sequential, logs: dict[str, float], X_val: np.ndarray,
        y_val: np.ndarray,
    ) -> float:
        raise NotImplementedError

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        return None

    # ----------------------------------------------------------------- helpers
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
                raise ValueError(
                    "hidden_layer_sizes must hold integers >= 1 (use () for no hidden layer); "
                    f"got {self.hidden_layer_sizes!r}"
                )
        return [int(s) for s in sizes]

    def _fit_dtype(self, X: Any) -> Any:
        """The dtype to validate X with: the model's once it exists, else the parameter."""
        if getattr(self, "model_", None) is not None:
            return self.model_.dtype
        if self.dtype is not None:
            return np.dtype(self.dtype)
        return list(_FLOAT_DTYPES)  # float32 stays float32; anything else becomes float64

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size is None:
            return n_samples
        if self.batch_size == "auto":
            return min(_AUTO_BATCH, n_samples)
        return min(int(self.batch_size), n_samples)

    def _make_optimizer(self) -> nncore.Optimizer:
        if self.solver == "sgd":
            return nncore.SGD(
                lr=self.learning_rate_init, momentum=self.momentum,
                nesterov=bool(self.nesterovs_momentum and self.momentum > 0),
            )
        return nncore.Adam(
            lr=self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon
        )

    def _initialize(self, n_features: int, n_outputs: int, dtype: np.dtype) -> None:
        """Build a fresh network and reset every fitted attribute."""
        rng = check_random_state(self.random_state)
        units = [n_features, *self._hidden_sizes()]
        act = _HIDDEN_ACTIVATIONS[self.activation]
        layers = [nncore.Dense(a, b, act) for a, b in itertools.pairwise(units)]
        layers.append(nncore.Dense(units[-1], n_outputs, self._output_layer()))
        self.model_ = nncore.Sequential(
            layers, seed=int(rng.randint(np.iinfo(np.int32).max)), dtype=dtype
        )
        self._split_rng = rng
        self._optimizer = None
        self._stopping_state: dict[str, Any] | None = None
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(layers) + 1
        self.out_activation_ = "logistic" if layers[-1].activation == "sigmoid" else (
            layers[-1].activation)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self.loss_: float | None = None
        self.best_loss_: float | None = None
        self.validation_scores_: list[float] | None = None
        self.best_validation_score_: float | None = None

    def _fit(self, X: Any, y: Any, *, incremental: bool, classes: Any = None) -> Any:
        self._validate_params()
        fitted = getattr(self, "model_", None) is not None
        first = not (fitted and (incremental or self.warm_start))
        if first and hasattr(self, "model_"):
            del self.model_  # a fresh fit: the dtype comes from the parameter or from X
        X, y = validate_data(
            self, X, y, reset=first, dtype=self._fit_dtype(X), multi_output=True,
            y_numeric=not isinstance(self, ClassifierMixin),
        )
        Y = self._validate_targets(y, first=first, classes=classes)
        n_outputs = self._n_outputs(Y)
        if first:
            self._initialize(X.shape[1], n_outputs, X.dtype)
        elif n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} target column(s) but the fitted network has "
                f"{self.n_outputs_} output(s)"
            )
        if self._optimizer is None or not incremental:
            self._optimizer = self._make_optimizer()
            self._stopping_state = None

        early = self.early_stopping and not incremental
        validation = None
        if early:
            X, X_val, Y, Y_val = self._split_validation(X, Y)
            validation = (X_val, Y_val)

        n = X.shape[0]
        bs = self._batch_size(n)
        l2 = self.alpha / bs
        monitor = _Monitor(self, l2, validation, self._validation_score,
                           **(self._stopping_state or {}))
        self.model_.fit(
            X, Y, optimizer=self._optimizer, epochs=1 if incremental else self.max_iter,
            batch_size=bs, shuffle=self.shuffle, l2=l2, callbacks=[monitor],
            validation_data=validation,
        )
        epochs = len(monitor.loss_curve)
        self.n_iter_ += epochs
        self.t_ += epochs * n
        self.loss_curve_.extend(monitor.loss_curve)
        self.loss_ = self.loss_curve_[-1]
        if early:
            self.validation_scores_ = list(monitor.validation_scores)
            self.best_validation_score_ = monitor.best_score
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = float(min(self.loss_curve_))
        if incremental:
            self._stopping_state = {"best_loss": monitor.best_loss,
                                    "no_improvement": monitor.no_improvement}
        if monitor.converged and self.loss_ > 2.0 * float(min(self.loss_curve_)):
            warnings.warn(
                f"Training stopped with the loss rising: {self.loss_:.6g} after epoch "
                f"{self.n_iter_}, against {min(self.loss_curve_):.6g} at best. "
                f"learning_rate_init={self.learning_rate_init} is probably too large.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if not incremental and not monitor.converged:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _split_validation(
        self, X: np.ndarray, Y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        try:
            X_train, X_val, Y_train, Y_val = train_test_split(
                X, Y, test_size=self.validation_fraction, random_state=self._split_rng,
                stratify=self._stratify(Y),
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {X.shape[0]} samples: {exc}"
            ) from exc
        if X_val.shape[0] < 2:
            raise ValueError(
                f"The validation set is too small ({X_val.shape[0]} sample(s)); increase "
                "validation_fraction or the size of the data set"
            )
        return X_train, X_val, Y_train, Y_val

    def _forward(self, X: Any) -> np.ndarray:
        """The network's outputs, in X's float type (float32 stays float32, else float64)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=list(_FLOAT_DTYPES))
        return self.model_.forward(X).astype(X.dtype, copy=False)

    # --------------------------------------------------------------- attributes
    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once a network exists (a failed refit leaves the estimator unfitted)."""
        return getattr(self, "model_", None) is not None

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices of the network, one ``(n_in, n_out)`` array per layer (views)."""
        check_is_fitted(self)
        return [layer.W for layer in self.model_.layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors of the network, one ``(n_out,)`` array per layer (views)."""
        check_is_fitted(self)
        return [layer.b for layer in self.model_.layers]


class NeuralNetClassifier(ClassifierMixin, _NeuralNetBase):
    """A neural network classifier trained by nncore, with ``MLPClassifier``'s parameters.

    Two classes train one sigmoid output unit on log-loss; more classes train a softmax
    output on cross-entropy; a multilabel indicator matrix trains one sigmoid unit per
    label. Class labels may be any sortable values (strings, integers ...): they are
    kept in ``classes_`` and mapped to ``0..K-1`` for nncore.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
        Units of each hidden layer; ``()`` gives no hidden layer (logistic or softmax
        regression).
    activation : {"relu", "tanh", "logistic", "sigmoid", "identity", "leaky_relu"}, \
default "relu"
        Activation of the hidden layers ("logistic" is scikit-learn's name for "sigmoid").
    solver : {"adam", "sgd"}, default "adam"
        ``nncore.Adam`` or ``nncore.SGD`` (with ``momentum``).
    alpha : float, default 0.0001
        L2 penalty, scaled as in ``MLPClassifier``: each batch minimises its mean loss
        plus ``alpha / (2 * batch_size) * sum(W**2)``.
    batch_size : int, "auto" or None, default "auto"
        Samples per gradient step. "auto" is ``min(200, n_samples)``; None is full-batch
        gradient descent; larger values are clipped to ``n_samples``.
    learning_rate_init : float, default 0.001
        The optimizer's (constant) learning rate, > 0.
    max_iter : int, default 200
        Maximum number of epochs (passes over the training data).
    shuffle : bool, default True
        Reshuffle the samples every epoch (mini-batches only).
    random_state : int, RandomState instance or None, default None
        Seeds the initial weights, the shuffling and the early-stopping split. Pass an
        int for reproducible results.
    tol : float, default 1e-4
        The improvement in loss (or validation score) that counts, see ``n_iter_no_change``.
    verbose : bool, default False
        Print the loss after every epoch.
    warm_start : bool, default False
        Continue from the previous solution on ``fit`` (same classes required).
    momentum : float, default 0.9
        Momentum of the "sgd" solver, in [0, 1).
    nesterovs_momentum : bool, default True
        Nesterov's momentum for the "sgd" solver (when ``momentum > 0``).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified) and stop when
        its accuracy has not improved by ``tol`` for ``n_iter_no_change`` epochs; the best
        epoch's weights are kept. Ignored by :meth:`partial_fit`.
    validation_fraction : float, default 0.1
        The share of training data held out for early stopping, in (0, 1).
    beta_1 : float, default 0.9
        Adam's first-moment decay, in [0, 1).
    beta_2 : float, default 0.999
        Adam's second-moment decay, in [0, 1).
    epsilon : float, default 1e-8
        Adam's numerical stability term, > 0.
    n_iter_no_change : int or inf, default 10
        Stop when more than this many consecutive epochs did not improve by ``tol``.
    dtype : {"float32", "float64"}, numpy float type or None, default None
        Parameter and compute type. None follows X: float32 data trains in float32,
        anything else in float64.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel targets, ``0..n_labels-1``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X had string column names (a pandas DataFrame).
    model_ : nncore.Sequential
        The trained network; ``nncore.save(clf.model_, path)`` saves it.
    loss_ : float
        The objective (mean log-loss plus the L2 penalty) after the last epoch.
    loss_curve_ : list of float
        The objective after every epoch, over all ``fit``/``partial_fit`` calls.
    best_loss_ : float or None
        The smallest value of ``loss_curve_``; None with early stopping.
    validation_scores_ : list of float or None
        Validation accuracy after every epoch with ``early_stopping``, else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, else None.
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen (epochs times samples).
    n_outputs_ : int
        Output units (1 for two classes).
    n_layers_ : int
        Layers including the input layer, as ``MLPClassifier`` counts them.
    out_activation_ : str
        "logistic" or "softmax".
    coefs_ : list of ndarray
        Weight matrices (views into ``model_``).
    intercepts_ : list of ndarray
        Bias vectors (views into ``model_``).

    See Also
    --------
    NeuralNetRegressor : The regression counterpart.
    sklearn.neural_network.MLPClassifier : The model these parameters come from.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from nncore.sklearn import NeuralNetClassifier
    >>> X, y = make_blobs(n_samples=200, centers=3, random_state=0)
    >>> clf = NeuralNetClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
    ...                           max_iter=200, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: ClassVar[dict] = dict(_NeuralNetBase._parameter_constraints)

    def _output_layer(self) -> str:
        return "softmax" if self._softmax else "sigmoid"

    def _n_outputs(self, Y: np.ndarray) -> int:
        return self.classes_.size if self._softmax or self._multilabel else 1

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        return None if self._multilabel else y

    def _validate_targets(self, y: Any, first: bool, classes: Any) -> np.ndarray:
        if hasattr(y, "toarray"):  # a sparse multilabel indicator matrix
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if first:
            if multilabel:
                found = np.arange(y.shape[1])
            elif classes is not None:
                found = np.unique(np.asarray(classes))
            else:
                found = np.unique(y)
            if found.size < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                    f"({found[0]!r})" if found.size else
                    f"{type(self).__name__} needs at least 2 classes; got none"
                )
            self.classes_ = found
            self._multilabel = multilabel
            self._softmax = not multilabel and found.size > 2
        elif multilabel != self._multilabel:
            raise ValueError("y switched between multilabel and single-label targets "
                             "since the first fit")
        if multilabel:
            if y.shape[1] != self.classes_.size:
                raise ValueError(f"y has {y.shape[1]} labels; the network was fitted on "
                                 f"{self.classes_.size}")
            return y
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y has class label {y[unknown][0]!r} not in classes_ {self.classes_.tolist()}"
                + ("; pass every label with classes= on the first partial_fit" if not first
                   else "")
            )
        return np.searchsorted(self.classes_, y)

    def _validation_score(
        self, model: nncore.Sequential, logs: dict[str, float], X_val: np.ndarray,
        y_val: np.ndarray,
    ) -> float:
        return float(logs["val_accuracy"])

    def fit(self, X: Any, y: Any) -> NeuralNetClassifier:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, finite numbers.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 multilabel indicator matrix.

        Returns
        -------
        self : NeuralNetClassifier
            The fitted estimator.

        Raises
        ------
        nncore.TrainingDiverged
            If the loss stops being finite (try a smaller ``learning_rate_init``).

        Warns
        -----
        sklearn.exceptions.ConvergenceWarning
            When ``max_iter`` epochs ran before the stopping rule was met, or training
            stopped on a loss that had risen to more than twice its best value.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> NeuralNetClassifier:
        """Train for one epoch on ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,) or None
            Every class label across all calls; required on the first call unless
            ``y`` is a multilabel indicator matrix, ignored afterwards.

        Returns
        -------
        self : NeuralNetClassifier
        """
        first = getattr(self, "model_", None) is None
        if first and classes is None and type_of_target(y) != "multilabel-indicator":
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1 (for multilabel targets each
            column is that label's own probability).
        """
        P = self._forward(X)
        if self.n_outputs_ == 1:
            return np.hstack([1.0 - P, P])
        return P

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``, or a 0/1 indicator matrix for multilabel targets.
        """
        P = self.predict_proba(X)
        if self._multilabel:
            return (P >= 0.5).astype(int)
        return self.classes_[np.argmax(P, axis=1)]

    def __sklearn_tags__(self) -> Any:
        """scikit-learn tags: a classifier that also accepts multilabel targets."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NeuralNetRegressor(RegressorMixin, _NeuralNetBase):
    """A neural network regressor trained by nncore, with ``MLPRegressor``'s parameters.

    Identity output units (one per target column) trained on the mean squared error.
    ``MLPRegressor`` minimises half of it, so with ``solver="sgd"`` the same
    ``learning_rate_init`` takes steps twice as large here.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
        Units of each hidden layer; ``()`` gives linear regression.
    activation : {"relu", "tanh", "logistic", "sigmoid", "identity", "leaky_relu"}, \
default "relu"
        Activation of the hidden layers.
    solver : {"adam", "sgd"}, default "adam"
    alpha : float, default 0.0001
        L2 penalty, scaled as in ``MLPRegressor`` (divided by the batch size).
    batch_size : int, "auto" or None, default "auto"
        "auto" is ``min(200, n_samples)``; None is full batch.
    learning_rate_init : float, default 0.001
    max_iter : int, default 200
        Maximum number of epochs.
    shuffle : bool, default True
    random_state : int, RandomState instance or None, default None
    tol : float, default 1e-4
    verbose : bool, default False
    warm_start : bool, default False
    momentum : float, default 0.9
        In [0, 1).
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Stop on the R^2 score of a held-out ``validation_fraction``; the best epoch's
        weights are kept. Ignored by :meth:`partial_fit`.
    validation_fraction : float, default 0.1
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-8
    n_iter_no_change : int or inf, default 10
    dtype : {"float32", "float64"}, numpy float type or None, default None
        None follows X.

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        When X had string column names.
    model_ : nncore.Sequential
        The trained network.
    loss_ : float
        The objective (MSE plus the L2 penalty) after the last epoch.
    loss_curve_ : list of float
    best_loss_ : float or None
    validation_scores_ : list of float or None
        Validation R^2 after every epoch with ``early_stopping``.
    best_validation_score_ : float or None
    n_iter_ : int
    t_ : int
    n_outputs_ : int
    n_layers_ : int
    out_activation_ : str
        "identity".
    coefs_ : list of ndarray
    intercepts_ : list of ndarray

    See Also
    --------
    NeuralNetClassifier : The classification counterpart.
    sklearn.neural_network.MLPRegressor : The model these parameters come from.

    Examples
    --------
    >>> import numpy as np
    >>> from nncore.sklearn import NeuralNetRegressor
    >>> X = np.linspace(-1, 1, 200)[:, None]
    >>> reg = NeuralNetRegressor(hidden_layer_sizes=(16,), activation="tanh",
    ...                          learning_rate_init=0.01, batch_size=20, max_iter=500,
    ...                          random_state=0).fit(X, X[:, 0] ** 2)
    >>> reg.score(X, X[:, 0] ** 2) > 0.9
    True
    """

    _parameter_constraints: ClassVar[dict] = dict(_NeuralNetBase._parameter_constraints)

    def _output_layer(self) -> str:
        return "identity"

    def _validate_targets(self, y: Any, first: bool, classes: Any) -> np.ndarray:
        self._y_2d = y.ndim == 2  # predict returns the shape of the last fit's y
        return y

    def _validation_score(
        self, model: nncore.Sequential, logs: dict[str, float], X_val: np.ndarray,
        y_val: np.ndarray,
    ) -> float:
        pred = model.forward(X_val)
        return float(r2_score(y_val, pred[:, 0] if y_val.ndim == 1 else pred))

    def fit(self, X: Any, y: Any) -> NeuralNetRegressor:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : NeuralNetRegressor

        Raises
        ------
        nncore.TrainingDiverged
            If the loss stops being finite (try a smaller ``learning_rate_init``).

        Warns
        -----
        sklearn.exceptions.ConvergenceWarning
            When ``max_iter`` epochs ran before the stopping rule was met, or training
            stopped on a loss that had risen to more than twice its best value.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any) -> NeuralNetRegressor:
        """Train for one epoch on ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : NeuralNetRegressor
        """
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            1-D when the network was fitted on a 1-D ``y``.
        """
        out = self._forward(X)
        return out if self._y_2d else out[:, 0]

    def __sklearn_tags__(self) -> Any:
        """scikit-learn tags: a regressor that also accepts several target columns."""
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
