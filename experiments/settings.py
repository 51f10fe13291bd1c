"""The one table of every setting a run has.

Each :class:`Setting` row says, for one dotted name (``training.learning_rate``): its
kind, default, bounds or choices, the word that stands for "unset" (``auto``,
``full``, ``off``), its unit, label and help text, and the nncore argument it becomes.
Everything that deals with settings reads this table and nothing else:

* :mod:`experiments.spec` builds and validates ``RunSpec`` sections from it;
* TOML files, MLflow params, ``--set KEY=VALUE`` and the dashboard's URL all parse and
  format values with :meth:`Setting.parse` and :meth:`Setting.format`;
* the Train page takes its widgets' limits, steps, labels and help from it, and draws
  every row it has no special widget for under "Advanced";
* the Compare page types past runs' params with it (and sweep spaces, next, will be
  checked against it).

Bounds of settings that nncore checks too come from ``nncore.BOUNDS`` (the row names
the entry), so the two layers cannot disagree; nncore still checks its own arguments,
since it must stand alone.

A dataset's own parameters (``dataset.noise`` of ``moons``) are rows as well: the dataset
registry declares them with :func:`experiments.datasets.dataset_param`, and
:func:`dataset_settings` returns them.

>>> SETTINGS["training.learning_rate"].parse("0.05")
0.05
>>> SETTINGS["training.batch_size"].format(None)
'full'
>>> SETTINGS["training.epochs"].validate(0)
Traceback (most recent call last):
...
experiments.errors.SpecError: training.epochs = 0: must be a whole number >= 1
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Literal

import nncore
from experiments.errors import SpecError

__all__ = [
    "SECTIONS",
    "SETTINGS",
    "Setting",
    "dataset_settings",
    "section_settings",
    "setting",
]

Kind = Literal["int", "float", "bool", "choice", "text", "ints", "names"]
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "choice": "one of the allowed names",
    "text": "a text",
    "ints": "a list of whole numbers like [8, 8]",
    "names": "a name or a list of names",
}


@dataclass(frozen=True)
class Setting:
    """One setting: what it is, what it may be, and how it is written.

    Parameters
    ----------
    key : str
        Dotted name, ``section.name`` (``"training.learning_rate"``); the MLflow
        param name, the TOML key inside ``[section]``, the ``--set`` and URL key.
    kind : {"int", "float", "bool", "choice", "text", "ints", "names"}
        ``ints`` is a list of whole numbers (``model.hidden``); ``names`` is one name
        or one per hidden layer (``model.activation``).
    default : object
        The value when the setting is not given; ``None`` means "unset" and is
        written as :attr:`none_word`.
    label : str
        Short name for a form.
    help : str
        One sentence for a tooltip or ``--help``.
    bounds : nncore.Interval, optional
        Numeric range (of each item, for ``ints``).
    limits : str, optional
        The ``nncore.BOUNDS`` entry the bounds come from; set instead of ``bounds``.
    choices : tuple or callable, optional
        Allowed values (a callable is asked each time: nncore's registries).
    none_word : str, optional
        The word that stands for ``None`` in params, TOML, URLs and forms.
    unit : str, optional
        What the number counts (``"epochs"``, ``"rows"``).
    nncore : str, optional
        ``"target.argument"``: the nncore argument this becomes (``"optimizer.lr"``,
        ``"fit.epochs"``, ``"schedule.decay_rate"``), or ``"target"`` for the setting
        that names the target itself (``training.optimizer``, ``training.lr_schedule``).
    when : (str, tuple or None), optional
        ``(key, values)``: the setting only matters while ``key`` is one of
        ``values`` (momentum only for SGD), or, with ``None``, while ``key`` is set
        (min_delta only with early stopping); forms hide it otherwise.
    step : float, optional
        Increment of a number widget.
    log : bool
        Best searched and shown on a log scale (learning rates).
    max_items : int, optional
        Longest list, for ``ints``.
    required : bool
        No default and no "unset": must be given (a CSV file's path).
    models : tuple of str
        The model types that use the setting (``model.type``); forms hide it for others.
    suggested : object, optional
        What a form offers when an unset setting is switched on (a batch of 32), or
        for a new item of a list (a new layer's units).
    """

    key: str
    kind: Kind
    default: Any
    label: str
    help: str
    bounds: nncore.Interval | None = None
    limits: str | None = None
    choices: tuple[Any, ...] | Callable[[], tuple[Any, ...]] | None = None
    none_word: str | None = None
    unit: str | None = None
    nncore: str | None = None
    when: tuple[str, tuple[Any, ...] | None] | None = None
    step: float | None = None
    log: bool = False
    max_items: int | None = None
    required: bool = False
    models: tuple[str, ...] = ("mlp", "perceptron")
    suggested: Any = None
    _bounds: nncore.Interval | None = field(default=None, init=False, repr=False,
                                            compare=False)

    def __post_init__(self) -> None:
        bounds = nncore.BOUNDS[self.limits] if self.limits is not None else self.bounds
        object.__setattr__(self, "_bounds", bounds)

    # -- what it is -------------------------------------------------------------------
    @property
    def section(self) -> str:
        """``"training"`` of ``"training.learning_rate"`` (empty for ``name``)."""
        return self.key.rpartition(".")[0]

    @property
    def name(self) -> str:
        """``"learning_rate"`` of ``"training.learning_rate"``."""
        return self.key.rpartition(".")[2]

    @property
    def interval(self) -> nncore.Interval | None:
        """The numeric range (from ``nncore.BOUNDS`` when :attr:`limits` names one)."""
        return self._bounds

    @property
    def allowed(self) -> tuple[Any, ...] | None:
        """The allowed values of a choice (or of each name), or None."""
        if self.choices is None:
            return None
        return tuple(self.choices() if callable(self.choices) else self.choices)

    @property
    def optional(self) -> bool:
        """Whether ``None`` is a value (written as :attr:`none_word`)."""
        return self.none_word is not None or (self.default is None and not self.required)

    def applies(self, values: Mapping[str, Any]) -> bool:
        """Whether the setting matters given the others (:attr:`when`, :attr:`models`)."""
        if "model.type" in values and values["model.type"] not in self.models:
            return False
        if self.when is None:
            return True
        key, allowed = self.when
        value = values.get(key, SETTINGS[key].default if key in SETTINGS else None)
        return value is not None if allowed is None else value in allowed

    def describe(self) -> str:
        """What is allowed, in words: ``"a number in (0, inf)"``, ``"'sgd' or 'adam'"``."""
        if self.kind in ("choice", "names"):
            text = ", ".join(map(repr, self.allowed or ()))
        elif self.interval is not None:
            text = self.interval.describe()
        else:
            text = _EXPECTED[self.kind]
        if self.kind == "ints" and self.interval is not None:
            text = f"a list of at most {self.max_items} sizes, each {self.interval.describe()}"
        if self.none_word:
            text += f", or {self.none_word!r}"
        return text

    # -- values -----------------------------------------------------------------------
    def validate(self, value: Any) -> Any:
        """``value`` in its canonical type (tuples for lists), or a SpecError naming the key.

        Raises
        ------
        SpecError
            ``"training.learning_rate = 0: must be a finite number in (0, inf)"``.
        """
        if value is None or (self.none_word and isinstance(value, str)
                             and value.strip().lower() in (self.none_word, "none")):
            if self.optional:
                return None
            raise self._error(value, f"must be {self.describe()}")
        if self.kind == "bool":
            value = bool(value) if type(value).__name__ == "bool_" else value  # numpy's
            if not isinstance(value, bool):
                raise self._error(value, "must be true or false")
            return value
        if self.kind in ("int", "float"):
            return self._number(value, self.key)
        if self.kind == "choice":
            return self._choice(value, self.key)
        if self.kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise self._error(value, "must be a non-empty text")
            return value
        if self.kind == "ints":
            items = (value,) if isinstance(value, int | float) and not isinstance(
                value, bool) else value
            if not isinstance(items, list | tuple):
                raise self._error(value, "must be a list of layer sizes like [8, 8]")
            if self.max_items is not None and len(items) > self.max_items:
                raise self._error(list(items), f"at most {self.max_items} hidden layers")
            return tuple(self._number(v, f"{self.key}[{i}]") for i, v in enumerate(items))
        # names: one name, or a list of names
        if isinstance(value, list | tuple):
            return tuple(self._choice(v, f"{self.key}[{i}]") for i, v in enumerate(value))
        return self._choice(value, self.key)

    def parse(self, text: str) -> Any:
        """A value from text (an MLflow param, ``--set``, a URL), validated.

        ``none_word`` (and ``none``) give ``None``; lists are JSON (``[8, 8]``) or
        comma separated (``8,8``); booleans accept true/false, yes/no, on/off, 1/0.
        """
        if not isinstance(text, str):
            return self.validate(text)
        stripped = text.strip()
        if self.optional and stripped.lower() in ({self.none_word, "none", ""} - {None}):
            return None
        try:
            value: Any
            if self.kind == "int":
                value = int(stripped)
            elif self.kind == "float":
                value = float(stripped)
            elif self.kind == "bool":
                if stripped.lower() not in _TRUE | _FALSE:
                    raise ValueError
                value = stripped.lower() in _TRUE
            elif self.kind in ("ints", "names"):
                value = _parse_list(stripped, int if self.kind == "ints" else str)
            else:
                value = text
        except (ValueError, TypeError, json.JSONDecodeError):
            word = f" or {self.none_word!r}" if self.none_word else ""
            raise SpecError(
                f"{self.key} = {text!r}: must be {_EXPECTED[self.kind]}{word}"
            ) from None
        return self.validate(value)

    def format(self, value: Any) -> str:
        """The text form of a value (an MLflow param, a URL): :meth:`parse` reads it back."""
        if value is None:
            return self.none_word or ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, tuple | list):
            return json.dumps(list(value))
        return str(value)

    def to_toml(self, value: Any) -> Any:
        """The value as TOML holds it: lists for tuples, :attr:`none_word` for None."""
        if value is None:
            return self.none_word
        return list(value) if isinstance(value, tuple) else value

    # -- helpers ----------------------------------------------------------------------
    def _error(self, value: Any, what: str, key: str | None = None) -> SpecError:
        return SpecError(f"{key or self.key} = {value!r}: {what}")

    def _number(self, value: Any, key: str) -> int | float:
        integer = self.kind in ("int", "ints")
        if isinstance(value, bool) or not isinstance(value, Real) or type(value).__name__ == (
                "bool_"):
            raise self._error(value, f"must be {'a whole number' if integer else 'a number'}",
                              key)
        if integer:
            if not isinstance(value, Integral) and not float(value).is_integer():
                raise self._error(value, "must be a whole number", key)
            number: int | float = int(value)
        else:
            number = float(value)
            if not math.isfinite(number):
                raise self._error(value, "must be a finite number", key)
        if self.interval is not None and not self.interval.contains(number):
            raise self._error(value, f"must be {self.interval.describe()}", key)
        return number

    def _choice(self, value: Any, key: str) -> Any:
        allowed = self.allowed or ()
        if value in allowed and isinstance(value, str | int | float):
            return value
        close = difflib.get_close_matches(str(value), [str(c) for c in allowed], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise self._error(value, f"allowed values are {', '.join(map(repr, allowed))}{hint}",
                          key)


def _parse_list(text: str, item: type) -> Any:
    if text.startswith("["):
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError(text)
    elif text == "":
        items = []
    else:
        items = [part.strip() for part in text.split(",")]
        if item is str and len(items) == 1:
            return items[0]
    if item is int:
        return tuple(int(v) if isinstance(v, str) else v for v in items)
    return tuple(str(v) for v in items)


# --------------------------------------------------------------------------- the table

def _hidden_activations() -> tuple[str, ...]:
    return tuple(a for a in nncore.ACTIVATIONS if a not in ("softmax", "step"))


def _dataset_names() -> tuple[str, ...]:
    from experiments.datasets import list_datasets

    return tuple(info.name for info in list_datasets())


_ADAM = ("training.optimizer", ("adam",))
_SGD = ("training.optimizer", ("sgd",))
_DECAY = ("training.lr_schedule", ("step", "exponential"))
_MLP = ("mlp",)
_EARLY_STOPPING = ("training.patience", None)

_ROWS: tuple[Setting, ...] = (
    Setting("name", "text", None, "MLflow experiment",
            "The MLflow experiment the run goes to; unset: one experiment per dataset."),
    # ---- dataset
    Setting("dataset.name", "choice", "student_admissions", "Dataset",
            "A registered dataset (`python -m experiments datasets` lists them), or csv.",
            choices=_dataset_names),
    Setting("dataset.test_size", "float", 0.2, "Validation fraction",
            "Share of rows held out to measure generalisation.",
            bounds=nncore.Interval(0.05, 0.9, "both"), step=0.05),
    Setting("dataset.seed", "int", 0, "Data seed",
            "Seeds the generated points and the train/validation split.", limits="seed"),
    # ---- model
    Setting("model.type", "choice", "mlp", "Model type",
            "mlp: a network trained by backpropagation; perceptron: Rosenblatt's "
            "perceptron trained with the perceptron trick (binary tasks only).",
            choices=("mlp", "perceptron")),
    Setting("model.hidden", "ints", (), "Hidden layers",
            "Units per hidden layer, e.g. [8, 8]; empty for logistic/softmax regression.",
            limits="Dense.n_units", max_items=10, unit="units", nncore="layers.n_units",
            suggested=8, models=_MLP),
    Setting("model.activation", "names", "relu", "Activation",
            "Hidden activation, one for all layers or one per hidden layer.",
            choices=_hidden_activations, nncore="layers.activation", models=_MLP),
    Setting("model.output_activation", "choice", None, "Output layer",
            "auto follows the task: sigmoid for two classes, softmax for more, identity "
            "for regression.",
            choices=lambda: tuple(nncore.ACTIVATIONS), none_word="auto",
            nncore="output.activation", models=_MLP),
    Setting("model.init", "choice", None, "Initialiser",
            "Weight initialiser; auto picks one per activation (He for ReLU, Glorot "
            "otherwise).",
            choices=lambda: tuple(nncore.INITIALIZERS), none_word="auto",
            nncore="layers.init", models=_MLP),
    Setting("model.dtype", "choice", "float64", "Precision",
            "Floating point precision of weights and computation.",
            choices=("float64", "float32"), nncore="model.dtype"),
    # ---- training
    Setting("training.loss", "choice", None, "Loss",
            "auto matches the output: binary cross-entropy for sigmoid, cross-entropy for "
            "softmax, mean squared error otherwise.",
            choices=lambda: (*nncore.LOSSES, *nncore.LOSS_ALIASES), none_word="auto",
            nncore="fit.loss", models=_MLP),
    Setting("training.optimizer", "choice", "sgd", "Optimizer",
            "The update rule: gradient descent (with optional momentum) or Adam.",
            choices=lambda: tuple(nncore.OPTIMIZERS), nncore="optimizer", models=_MLP),
    Setting("training.learning_rate", "float", 0.1, "Learning rate",
            "Step size. If training diverges, lower it.",
            limits="SGD.lr", nncore="optimizer.lr", step=0.01, log=True),
    Setting("training.momentum", "float", 0.0, "Momentum",
            "SGD momentum; 0 is plain gradient descent.",
            limits="SGD.momentum", nncore="optimizer.momentum", when=_SGD, step=0.05, models=_MLP),
    Setting("training.nesterov", "bool", False, "Nesterov",
            "Nesterov momentum (needs momentum > 0).",
            nncore="optimizer.nesterov", when=_SGD, models=_MLP),
    Setting("training.beta1", "float", 0.9, "Adam β₁",
            "Decay rate of Adam's first moment (the mean of the gradients).",
            limits="Adam.beta1", nncore="optimizer.beta1", when=_ADAM, step=0.01, models=_MLP),
    Setting("training.beta2", "float", 0.999, "Adam β₂",
            "Decay rate of Adam's second moment (the mean of the squared gradients).",
            limits="Adam.beta2", nncore="optimizer.beta2", when=_ADAM, step=0.001, models=_MLP),
    Setting("training.epochs", "int", 100, "Epochs",
            "Passes over the training data.", limits="fit.epochs", nncore="fit.epochs",
            unit="epochs", step=100),
    Setting("training.batch_size", "int", None, "Batch size",
            "Rows per gradient step; full is full-batch gradient descent, 1 is one sample "
            "at a time.",
            limits="fit.batch_size", none_word="full", nncore="fit.batch_size", unit="rows",
            step=8, suggested=32, models=_MLP),
    Setting("training.l2", "float", 0.0, "L2 penalty",
            "Adds l2/2 · sum(W²) (biases excluded) to the loss being minimised.",
            limits="fit.l2", nncore="fit.l2", step=0.0001, models=_MLP),
    Setting("training.lr_schedule", "choice", "constant", "LR schedule",
            "constant; step: times the decay rate every 'decay epochs'; exponential: the "
            "same, smoothly; cosine: down to the minimum factor along half a cosine.",
            choices=lambda: tuple(nncore.SCHEDULES), nncore="schedule"),
    Setting("training.lr_decay_rate", "float", 0.5, "Decay rate",
            "The learning rate is multiplied by this every 'decay epochs'.",
            limits="StepDecay.decay_rate", nncore="schedule.decay_rate", when=_DECAY,
            step=0.05),
    Setting("training.lr_decay_epochs", "int", 100, "Decay epochs",
            "Epochs over which the learning rate falls by the decay rate.",
            limits="StepDecay.decay_epochs", nncore="schedule.decay_epochs", when=_DECAY,
            unit="epochs", step=10),
    Setting("training.lr_min_factor", "float", 0.0, "Minimum factor",
            "The cosine schedule ends at this fraction of the learning rate.",
            limits="CosineDecay.min_factor", nncore="schedule.min_factor",
            when=("training.lr_schedule", ("cosine",)), step=0.05),
    Setting("training.patience", "int", None, "Patience",
            "Early stopping: stop after this many epochs without a better validation "
            "loss; off trains every epoch.",
            limits="EarlyStopping.patience", none_word="off",
            nncore="early_stopping.patience", unit="epochs", step=5, suggested=20, models=_MLP),
    Setting("training.min_delta", "float", 0.0, "Min. improvement",
            "Early stopping: the smallest drop in validation loss that counts.",
            limits="EarlyStopping.min_delta", nncore="early_stopping.min_delta",
            when=_EARLY_STOPPING, step=0.0001, models=_MLP),
    Setting("training.restore_best_weights", "bool", True, "Best weights",
            "Early stopping: end with the weights of the best epoch.",
            nncore="early_stopping.restore_best_weights", when=_EARLY_STOPPING, models=_MLP),
    Setting("training.shuffle", "bool", True, "Shuffle",
            "Reshuffle the rows every epoch (mini-batch training).", nncore="fit.shuffle"),
    Setting("training.seed", "int", 0, "Seed",
            "Seeds weight initialisation and shuffling.", limits="seed", nncore="model.seed"),
)

#: Every setting by dotted name (a dataset's own parameters: :func:`dataset_settings`).
SETTINGS: dict[str, Setting] = {row.key: row for row in _ROWS}
#: The sections of a spec, in order.
SECTIONS = ("dataset", "model", "training")


def section_settings(section: str) -> tuple[Setting, ...]:
    """The rows of one section (``"model"``), in table order."""
    return tuple(row for row in _ROWS if row.section == section)


def setting(key: str, dataset: str | None = None) -> Setting:
    """The row of ``key``; with a dataset name, its own parameters too.

    Raises
    ------
    SpecError
        Unknown key, with the closest known one.
    """
    if key in SETTINGS:
        return SETTINGS[key]
    if dataset is not None:
        for row in dataset_settings(dataset):
            if row.key == key:
                return row
    raise unknown_setting(key, all_keys(dataset))


def all_keys(dataset: str | None = None) -> list[str]:
    """Every dotted key (with a dataset name: including that dataset's parameters)."""
    keys = [row.key for row in _ROWS]
    if dataset is not None:
        at = keys.index("dataset.seed") + 1
        keys[at:at] = [row.key for row in dataset_settings(dataset)]
    return keys


def dataset_settings(dataset: str) -> tuple[Setting, ...]:
    """Rows for a dataset's own parameters (``dataset.noise`` of ``moons``)."""
    from experiments.datasets import get_dataset_info

    return get_dataset_info(dataset).params


#: Names people often type for a setting, and the setting they mean.
_ALIASES = {
    "lr": "learning_rate", "learningrate": "learning_rate", "batch": "batch_size",
    "batchsize": "batch_size", "layers": "hidden", "hidden_layers": "hidden",
    "hidden_units": "hidden", "activations": "activation", "optim": "optimizer",
    "weight_decay": "l2", "early_stopping": "patience", "n_epochs": "epochs",
    "random_state": "seed", "output": "output_activation", "validation_size": "test_size",
    "val_size": "test_size", "schedule": "lr_schedule", "scheduler": "lr_schedule",
}


def unknown_setting(key: str, allowed: Iterable[str]) -> SpecError:
    """The error for an unknown key: the closest known key, then all of them."""
    allowed = tuple(allowed)
    section, _, attr = key.rpartition(".")
    alias = _ALIASES.get(attr.lower())
    meant = f"{section}.{alias}" if section and alias else alias
    close = [meant] if meant in allowed else difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return SpecError(f"{key}: unknown setting{hint}; allowed: {', '.join(allowed)}")
