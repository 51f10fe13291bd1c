"""Run specs: what to train, on what, and how.

A :class:`RunSpec` is frozen and validated when it is made. It has three forms
that convert into each other without loss:

* nested dataclasses (``spec.training.learning_rate``),
* a flat ``{"training.learning_rate": "0.1", ...}`` dict of strings, which is what
  MLflow stores as params (:meth:`RunSpec.to_params`, :meth:`RunSpec.from_params`),
* a TOML file in ``experiments/configs/`` (:func:`load_spec`, :meth:`RunSpec.to_toml`).

Optional settings have a readable word instead of an empty value, in params, in
TOML and on the command line: ``batch_size = "full"``, ``patience = "off"``,
``loss = "auto"``, ``output_activation = "auto"``, ``init = "auto"``.

>>> spec = RunSpec.from_dict({"dataset": {"name": "moons"}, "model": {"hidden": [8]}})
>>> spec.with_overrides({"training.epochs": "50"}).training.epochs
50
>>> RunSpec.from_params(spec.to_params()) == spec
True
"""

from __future__ import annotations

import difflib
import json
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from experiments.datasets import DatasetParam, get_dataset_info
from experiments.errors import SpecError

__all__ = [
    "DatasetSpec",
    "ModelSpec",
    "RunSpec",
    "TrainingSpec",
    "load_spec",
    "param_keys",
]

MODEL_TYPES = ("mlp", "perceptron")
DTYPES = ("float64", "float32")
OPTIMIZERS = ("sgd", "adam")
MAX_HIDDEN_LAYERS = 10
MAX_UNITS = 4096
MAX_EPOCHS = 1_000_000


def _nncore_names() -> dict[str, tuple[str, ...]]:
    """Names from nncore's registries (the single source of truth)."""
    import nncore

    losses = tuple(nncore.LOSSES) + tuple(getattr(nncore, "LOSS_ALIASES", {}))
    return {
        "activation": tuple(nncore.ACTIVATIONS),
        "loss": losses,
        "optimizer": tuple(nncore.OPTIMIZERS),
        "init": tuple(nncore.INITIALIZERS),
    }


def _allowed(field_name: str, value: Any, choices: tuple[Any, ...]) -> SpecError:
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return SpecError(
        f"{field_name} = {value!r}: allowed values are {', '.join(map(repr, choices))}{hint}"
    )


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise SpecError(f"{name} = {value!r}: must be a whole number")
    if value < low or (high is not None and value > high):
        rng = f"between {low} and {high}" if high is not None else f">= {low}"
        raise SpecError(f"{name} = {value!r}: must be {rng}")
    return int(value)


def _check_float(
    name: str, value: Any, low: float, high: float | None = None, *, open_low: bool = False,
    open_high: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{name} = {value!r}: must be a number")
    original = value
    value = float(value)
    bad = (
        not math.isfinite(value)
        or (value <= low if open_low else value < low)
        or (high is not None and (value >= high if open_high else value > high))
    )
    if bad:
        lo = f"> {low:g}" if open_low else f">= {low:g}"
        hi = "" if high is None else (f" and < {high:g}" if open_high else f" and <= {high:g}")
        raise SpecError(f"{name} = {original!r}: must be a finite number {lo}{hi}")
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{name} = {value!r}: must be true or false")
    return value


# --------------------------------------------------------------------------- the sections


@dataclass(frozen=True)
class DatasetSpec:
    """Which dataset, its own parameters, the validation fraction and the seed.

    Parameters
    ----------
    name : str
        A registered dataset (``python -m experiments datasets`` lists them).
    test_size : float
        Validation fraction, 0.05 to 0.9.
    seed : int
        Seeds the data generation and the split.
    params : mapping
        The dataset's own parameters; completed with its defaults, so two specs
        that mean the same data compare equal.
    """

    name: str = "student_admissions"
    test_size: float = 0.2
    seed: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        info = get_dataset_info(self.name)
        object.__setattr__(self, "test_size", _check_float("dataset.test_size", self.test_size,
                                                           0.05, 0.9))
        object.__setattr__(self, "seed", _check_int("dataset.seed", self.seed, 0))
        object.__setattr__(self, "params", _FrozenDict(info.check_params(dict(self.params))))

    def load(self) -> Any:
        """Build the :class:`~experiments.datasets.Dataset` this spec describes."""
        from experiments.datasets import load_dataset

        return load_dataset(self.name, test_size=self.test_size, seed=self.seed, **self.params)


class _FrozenDict(dict):
    """A dict that cannot change and can be hashed (for frozen dataclasses)."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("dataset params are read-only; use RunSpec.with_overrides")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted((k, repr(v)) for k, v in self.items())))


@dataclass(frozen=True)
class ModelSpec:
    """The network.

    Parameters
    ----------
    type : {"mlp", "perceptron"}
        A multi-layer network trained by backpropagation, or Rosenblatt's
        perceptron (binary tasks only, trained with the perceptron trick).
    hidden : tuple of int
        Units per hidden layer; empty for logistic/softmax regression.
    activation : str or tuple of str
        Hidden activation, one for all layers or one per layer.
    output_activation : str, optional
        ``None`` ("auto"): sigmoid for binary, softmax for multiclass, identity
        for regression.
    init : str, optional
        Weight initialiser; ``None`` ("auto") lets nncore pick per activation.
    dtype : {"float64", "float32"}
        Floating point precision of weights and computation.
    """

    type: Literal["mlp", "perceptron"] = "mlp"
    hidden: tuple[int, ...] = ()
    activation: str | tuple[str, ...] = "relu"
    output_activation: str | None = None
    init: str | None = None
    dtype: Literal["float64", "float32"] = "float64"

    def __post_init__(self) -> None:
        names = _nncore_names()
        if self.type not in MODEL_TYPES:
            raise _allowed("model.type", self.type, MODEL_TYPES)
        hidden = self.hidden
        if isinstance(hidden, int | float) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if not isinstance(hidden, list | tuple):
            raise SpecError(f"model.hidden = {hidden!r}: must be a list of layer sizes like [8, 8]")
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise SpecError(
                f"model.hidden = {list(hidden)!r}: at most {MAX_HIDDEN_LAYERS} hidden layers"
            )
        hidden = tuple(
            _check_int(f"model.hidden[{i}]", h, 1, MAX_UNITS) for i, h in enumerate(hidden)
        )
        object.__setattr__(self, "hidden", hidden)
        activation = self.activation
        if isinstance(activation, list | tuple):
            activation = tuple(activation)
            if len(activation) != len(hidden):
                raise SpecError(
                    f"model.activation = {list(activation)!r}: give one activation for all "
                    f"layers or one per hidden layer ({len(hidden)})"
                )
            for i, a in enumerate(activation):
                self._check_hidden_activation(f"model.activation[{i}]", a, names)
        else:
            self._check_hidden_activation("model.activation", activation, names)
        object.__setattr__(self, "activation", activation)
        if self.output_activation is not None and self.output_activation not in names[
            "activation"
        ]:
            raise _allowed("model.output_activation", self.output_activation, names["activation"])
        if self.init is not None and self.init not in names["init"]:
            raise _allowed("model.init", self.init, names["init"])
        if self.dtype not in DTYPES:
            raise _allowed("model.dtype", self.dtype, DTYPES)
        if self.type == "perceptron":
            if hidden:
                raise SpecError(
                    f"model.hidden = {list(hidden)!r}: a perceptron has no hidden layers; "
                    "use type = \"mlp\" for a network"
                )
            if self.output_activation not in (None, "step"):
                raise SpecError(
                    f"model.output_activation = {self.output_activation!r}: a perceptron "
                    "always uses the step function"
                )

    @staticmethod
    def _check_hidden_activation(
        name: str, value: Any, names: Mapping[str, tuple[str, ...]]
    ) -> None:
        allowed = tuple(a for a in names["activation"] if a not in ("softmax", "step"))
        if value not in allowed:
            raise _allowed(name, value, allowed)

    @property
    def activations(self) -> tuple[str, ...]:
        """The hidden activation of each hidden layer."""
        if isinstance(self.activation, tuple):
            return self.activation
        return (self.activation,) * len(self.hidden)


@dataclass(frozen=True)
class TrainingSpec:
    """How to train.

    Parameters
    ----------
    loss : str, optional
        ``None`` ("auto"): matched to the output (binary_cross_entropy, cross_entropy, mse).
    optimizer : {"sgd", "adam"}
        The update rule.
    learning_rate : float
        Step size, > 0 and <= 10.
    momentum : float
        SGD momentum, 0 <= momentum < 1.
    nesterov : bool
        Nesterov momentum (SGD with momentum > 0 only).
    beta1, beta2 : float
        Adam's moment decay rates, in [0, 1).
    epochs : int
        Passes over the training data (1 to 1,000,000).
    batch_size : int, optional
        Rows per gradient step; ``None`` ("full") is full-batch gradient descent.
    l2 : float
        L2 penalty on weights, >= 0.
    patience : int, optional
        Early stopping on validation loss after this many epochs without
        improvement; ``None`` ("off") trains all epochs.
    min_delta : float
        Smallest improvement that counts for early stopping.
    restore_best_weights : bool
        With early stopping, keep the best epoch's weights.
    shuffle : bool
        Reshuffle the rows every epoch (mini-batch training).
    seed : int
        Seeds weight initialisation and shuffling.
    """

    loss: str | None = None
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.0
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    epochs: int = 100
    batch_size: int | None = None
    l2: float = 0.0
    patience: int | None = None
    min_delta: float = 0.0
    restore_best_weights: bool = True
    shuffle: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        names = _nncore_names()
        if self.loss is not None and self.loss not in names["loss"]:
            raise _allowed("training.loss", self.loss, names["loss"])
        if self.optimizer not in names["optimizer"]:
            raise _allowed("training.optimizer", self.optimizer, names["optimizer"])
        s = object.__setattr__
        s(self, "learning_rate", _check_float("training.learning_rate", self.learning_rate,
                                              0.0, 10.0, open_low=True))
        s(self, "momentum", _check_float("training.momentum", self.momentum, 0.0, 1.0,
                                         open_high=True))
        s(self, "nesterov", _check_bool("training.nesterov", self.nesterov))
        if self.nesterov and self.momentum == 0.0:
            raise SpecError("training.nesterov = true needs training.momentum > 0")
        s(self, "beta1", _check_float("training.beta1", self.beta1, 0.0, 1.0, open_high=True))
        s(self, "beta2", _check_float("training.beta2", self.beta2, 0.0, 1.0, open_high=True))
        s(self, "epochs", _check_int("training.epochs", self.epochs, 1, MAX_EPOCHS))
        if self.batch_size is not None:
            s(self, "batch_size", _check_int("training.batch_size", self.batch_size, 1))
        s(self, "l2", _check_float("training.l2", self.l2, 0.0))
        if self.patience is not None:
            s(self, "patience", _check_int("training.patience", self.patience, 1))
        s(self, "min_delta", _check_float("training.min_delta", self.min_delta, 0.0))
        s(self, "restore_best_weights", _check_bool("training.restore_best_weights",
                                                    self.restore_best_weights))
        s(self, "shuffle", _check_bool("training.shuffle", self.shuffle))
        s(self, "seed", _check_int("training.seed", self.seed, 0))

    def optimizer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the nncore optimizer named by :attr:`optimizer`."""
        if self.optimizer == "adam":
            return {"lr": self.learning_rate, "beta1": self.beta1, "beta2": self.beta2}
        return {"lr": self.learning_rate, "momentum": self.momentum, "nesterov": self.nesterov}


# --------------------------------------------------------------------------- flat form

# The word standing for ``None`` of each optional field.
_NONE_WORDS: dict[str, str] = {
    "model.output_activation": "auto",
    "model.init": "auto",
    "training.loss": "auto",
    "training.batch_size": "full",
    "training.patience": "off",
}
_SECTIONS: dict[str, type] = {"model": ModelSpec, "training": TrainingSpec}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _field_kind(key: str) -> str:
    """The value kind of a model/training key: int, float, bool, str, ints or strs."""
    kinds = {
        "model.hidden": "ints",
        "model.activation": "strs",
        "training.epochs": "int",
        "training.batch_size": "int",
        "training.patience": "int",
        "training.seed": "int",
        "training.nesterov": "bool",
        "training.restore_best_weights": "bool",
        "training.shuffle": "bool",
        "training.learning_rate": "float",
        "training.momentum": "float",
        "training.beta1": "float",
        "training.beta2": "float",
        "training.l2": "float",
        "training.min_delta": "float",
    }
    return kinds.get(key, "str")


def param_keys(dataset: str | None = None) -> list[str]:
    """All flat keys of a spec (with a dataset name: including that dataset's parameters)."""
    keys = ["name", "dataset.name", "dataset.test_size", "dataset.seed"]
    if dataset is not None:
        keys += [f"dataset.{p.name}" for p in get_dataset_info(dataset).params]
    for section, cls in _SECTIONS.items():
        keys += [f"{section}.{f.name}" for f in fields(cls)]
    return keys


def _encode(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple | list):
        return json.dumps(list(value))
    return str(value)


def _parse_text(key: str, text: str, kind: str) -> Any:
    """A string (MLflow param, ``--set`` value) -> a typed value for ``key``."""
    stripped = text.strip()
    if key in _NONE_WORDS and stripped.lower() in (_NONE_WORDS[key], "none", ""):
        return None
    try:
        if kind == "int":
            return int(stripped)
        if kind == "float":
            return float(stripped)
        if kind == "bool":
            if stripped.lower() in _TRUE:
                return True
            if stripped.lower() in _FALSE:
                return False
            raise ValueError
        if kind in ("ints", "strs"):
            if stripped.startswith("["):
                items = json.loads(stripped)
                if not isinstance(items, list):
                    raise ValueError
            elif stripped == "":
                items = []
            else:
                items = [part.strip() for part in stripped.split(",")]
                if kind == "strs" and len(items) == 1:
                    return items[0]
            return tuple(int(v) for v in items) if kind == "ints" else tuple(map(str, items))
    except (ValueError, TypeError, json.JSONDecodeError):
        expected = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "ints": "a list of whole numbers like [8, 8]",
            "strs": "a name or a list of names",
        }[kind]
        word = f" or {_NONE_WORDS[key]!r}" if key in _NONE_WORDS else ""
        raise SpecError(f"{key} = {text!r}: must be {expected}{word}") from None
    return text


def _dataset_kind(param: DatasetParam) -> str:
    return {int: "int", float: "float", bool: "bool"}.get(param.type, "str")


def _from_toml_value(key: str, value: Any) -> Any:
    """A TOML value for ``key``: the none-words become None, the rest stays typed."""
    if key in _NONE_WORDS and isinstance(value, str) and value.strip().lower() in (
        _NONE_WORDS[key], "none"
    ):
        return None
    return value


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class RunSpec:
    """One training run: dataset, model and training settings, validated.

    Parameters
    ----------
    dataset : DatasetSpec
    model : ModelSpec
    training : TrainingSpec
    name : str, optional
        The MLflow experiment; ``None`` uses the dataset's name.

    Examples
    --------
    >>> spec = RunSpec(DatasetSpec("xor"), ModelSpec(hidden=(4,), activation="tanh"))
    >>> spec.experiment_name
    'xor'
    """

    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    name: str | None = None

    def __post_init__(self) -> None:
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            raise SpecError(f"name = {self.name!r}: must be a non-empty text (the experiment)")

    @property
    def experiment_name(self) -> str:
        """The MLflow experiment the run goes to."""
        return self.name or self.dataset.name

    # -- dicts --------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Build from a nested dict shaped like the TOML file.

        Unknown sections and keys are errors that name them (with a suggestion).
        The words ``"auto"``, ``"full"`` and ``"off"`` stand for unset optional values.
        """
        if not isinstance(data, Mapping):
            raise SpecError(f"a run spec must be a table of sections; got {type(data).__name__}")
        allowed_top = ("name", "dataset", "model", "training")
        for key in data:
            if key not in allowed_top:
                raise _unknown(key, allowed_top)
        sections = {}
        for section in ("dataset", "model", "training"):
            value = data.get(section, {})
            if not isinstance(value, Mapping):
                raise SpecError(f"[{section}] must be a table of settings; got {value!r}")
            sections[section] = dict(value)

        ds = sections["dataset"]
        ds_name = ds.pop("name", DatasetSpec.name)
        if not isinstance(ds_name, str):
            raise SpecError(f"dataset.name = {ds_name!r}: must be a dataset name")
        info = get_dataset_info(ds_name)
        ds_kwargs: dict[str, Any] = {}
        for key in ("test_size", "seed"):
            if key in ds:
                ds_kwargs[key] = ds.pop(key)
        for key in ds:
            if key not in {p.name for p in info.params}:
                allowed = ("name", "test_size", "seed", *(p.name for p in info.params))
                raise _unknown(f"dataset.{key}", tuple(f"dataset.{a}" for a in allowed))
        dataset = DatasetSpec(ds_name, params=ds, **ds_kwargs)

        built: dict[str, Any] = {}
        for section, spec_cls in _SECTIONS.items():
            names = tuple(f.name for f in fields(spec_cls))
            kwargs = {}
            for key, value in sections[section].items():
                if key not in names:
                    raise _unknown(f"{section}.{key}", tuple(f"{section}.{n}" for n in names))
                kwargs[key] = _from_toml_value(f"{section}.{key}", value)
            built[section] = spec_cls(**kwargs)
        return cls(dataset, built["model"], built["training"], data.get("name"))

    def to_dict(self) -> dict[str, Any]:
        """The nested dict of :meth:`from_dict` (unset optional values left out)."""
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        out["dataset"] = {
            "name": self.dataset.name,
            "test_size": self.dataset.test_size,
            "seed": self.dataset.seed,
            **dict(self.dataset.params),
        }
        for section in _SECTIONS:
            obj = getattr(self, section)
            values = {}
            for f in fields(obj):
                value = getattr(obj, f.name)
                if value is None:
                    continue
                values[f.name] = list(value) if isinstance(value, tuple) else value
            out[section] = values
        return out

    # -- MLflow params ----------------------------------------------------------------

    def to_params(self) -> dict[str, str]:
        """The flat dict of strings MLflow stores as run params.

        Keys are ``section.field`` (``"training.learning_rate"``); unset optional
        values are written as their word (``"full"``, ``"off"``, ``"auto"``).
        """
        params: dict[str, str] = {}
        if self.name is not None:
            params["name"] = self.name
        params["dataset.name"] = self.dataset.name
        params["dataset.test_size"] = _encode(self.dataset.test_size)
        params["dataset.seed"] = _encode(self.dataset.seed)
        for key, value in self.dataset.params.items():
            params[f"dataset.{key}"] = _encode(value)
        for section in _SECTIONS:
            obj = getattr(self, section)
            for f in fields(obj):
                key = f"{section}.{f.name}"
                value = getattr(obj, f.name)
                params[key] = _NONE_WORDS[key] if value is None else _encode(value)
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RunSpec:
        """Rebuild a spec from :meth:`to_params` output (e.g. a past run's params).

        Keys this version does not know (params logged by something else) are
        ignored; missing keys take their defaults.
        """
        nested: dict[str, Any] = {"dataset": {}, "model": {}, "training": {}}
        ds_name = params.get("dataset.name", DatasetSpec.name)
        info = get_dataset_info(ds_name)
        ds_params = {p.name: p for p in info.params}
        if "name" in params:
            nested["name"] = params["name"]
        for key, text in params.items():
            section, _, attr = key.partition(".")
            if section == "dataset":
                if attr == "name":
                    nested["dataset"]["name"] = text
                elif attr == "test_size":
                    nested["dataset"][attr] = _parse_text(key, text, "float")
                elif attr == "seed":
                    nested["dataset"][attr] = _parse_text(key, text, "int")
                elif attr in ds_params:
                    kind = _dataset_kind(ds_params[attr])
                    nested["dataset"][attr] = _parse_text(key, text, kind)
            elif section in _SECTIONS and attr in {f.name for f in fields(_SECTIONS[section])}:
                nested[section][attr] = _parse_text(key, text, _field_kind(key))
        return cls.from_dict(nested)

    # -- changes ------------------------------------------------------------------------

    def with_overrides(self, overrides: Mapping[str, Any]) -> RunSpec:
        """A new spec with some flat keys changed.

        Values may be typed (``{"training.epochs": 500}``) or text as typed on a
        command line (``{"training.epochs": "500", "model.hidden": "8,8"}``).
        Changing ``dataset.name`` drops parameters the new dataset does not have.
        """
        nested = self.to_dict()
        new_ds = overrides.get("dataset.name")
        if new_ds is not None and new_ds != self.dataset.name:
            keep = {"name", "test_size", "seed"}
            nested["dataset"] = {k: v for k, v in nested["dataset"].items() if k in keep}
        ds_name = new_ds or self.dataset.name
        info = get_dataset_info(ds_name)
        ds_params = {p.name: p for p in info.params}
        for key, value in overrides.items():
            if key == "name":
                nested["name"] = value
                continue
            section, _, attr = key.partition(".")
            if section not in nested or not attr:
                raise _unknown(key, tuple(param_keys(ds_name)))
            if section == "dataset":
                if attr in ("test_size", "seed"):
                    kind = "float" if attr == "test_size" else "int"
                elif attr == "name":
                    kind = "str"
                elif attr in ds_params:
                    kind = _dataset_kind(ds_params[attr])
                else:
                    raise _unknown(key, tuple(param_keys(ds_name)))
            else:
                if attr not in {f.name for f in fields(_SECTIONS[section])}:
                    raise _unknown(key, tuple(param_keys(ds_name)))
                kind = _field_kind(key)
            if isinstance(value, str) and (kind != "str" or key in _NONE_WORDS):
                value = _parse_text(key, value, kind)
            if value is None:
                nested[section].pop(attr, None)
            else:
                nested[section][attr] = value
        return RunSpec.from_dict(nested)

    def replace(self, **changes: Any) -> RunSpec:
        """``dataclasses.replace`` for the top level (``dataset=``, ``model=``, ...)."""
        return replace(self, **changes)

    # -- TOML ---------------------------------------------------------------------------

    def to_toml(self) -> str:
        """The spec as a TOML document that :func:`load_spec` reads back equal."""
        data = self.to_dict()
        lines: list[str] = []
        if "name" in data:
            lines.append(f"name = {_toml_value(data['name'])}")
        for section in ("dataset", "model", "training"):
            if lines:
                lines.append("")
            lines.append(f"[{section}]")
            for key, value in data[section].items():
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """One line describing the run (dataset, architecture, optimizer)."""
        m, t = self.model, self.training
        if m.type == "perceptron":
            arch = "perceptron"
        else:
            acts = ",".join(dict.fromkeys(m.activations)) if m.hidden else ""
            arch = "-".join(map(str, m.hidden)) + (f" {acts}" if acts else "") if m.hidden else (
                "no hidden layer"
            )
        batch = "full batch" if t.batch_size is None else f"batch {t.batch_size}"
        return (
            f"{self.dataset.name} | {arch} | {t.optimizer} lr={t.learning_rate:g} | "
            f"{t.epochs} epochs, {batch}"
        )


#: Names people often type for a setting, and the setting they mean.
_ALIASES = {
    "lr": "learning_rate", "learningrate": "learning_rate", "batch": "batch_size",
    "batchsize": "batch_size", "layers": "hidden", "hidden_layers": "hidden",
    "hidden_units": "hidden", "activations": "activation", "optim": "optimizer",
    "weight_decay": "l2", "early_stopping": "patience", "n_epochs": "epochs",
    "random_state": "seed", "output": "output_activation", "validation_size": "test_size",
    "val_size": "test_size",
}


def _unknown(key: str, allowed: tuple[str, ...]) -> SpecError:
    section, _, attr = key.rpartition(".")
    alias = _ALIASES.get(attr.lower())
    meant = f"{section}.{alias}" if section and alias else alias
    close = [meant] if meant in allowed else difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return SpecError(f"{key}: unknown setting{hint}; allowed: {', '.join(allowed)}")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")  # pragma: no cover


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r",
                 "\b": "\\b", "\f": "\\f"}


def _toml_string(text: str) -> str:
    """A TOML basic string (control characters and DEL escaped, as TOML requires)."""
    out = []
    for ch in text:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def load_spec(path: str | os.PathLike[str]) -> RunSpec:
    """Read a TOML config file into a validated :class:`RunSpec`.

    Raises
    ------
    SpecError
        The file is missing, is not valid TOML, or has an invalid setting; the
        message starts with the file name.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"config file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read config file {str(p)!r}: {e}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{p.name}: invalid TOML: {e}") from None
    return _prefixed(p.name, RunSpec.from_dict, data)


def _prefixed(prefix: str, fn: Callable[..., RunSpec], *args: Any) -> RunSpec:
    try:
        return fn(*args)
    except SpecError as e:
        raise SpecError(f"{prefix}: {e}") from None
