"""Run specs: what to train, on what, and how.

A :class:`RunSpec` is frozen and validated when it is made. Its sections' fields,
defaults, bounds and text forms all come from the one table of settings in
:mod:`experiments.settings`; this module only assembles them. A spec has three forms
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

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, make_dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import tomli_w

from experiments.datasets import get_dataset_info
from experiments.errors import SpecError
from experiments.settings import (
    SECTIONS,
    SETTINGS,
    Setting,
    all_keys,
    dataset_settings,
    section_settings,
    setting,
    unknown_setting,
)

__all__ = [
    "DatasetSpec",
    "ModelSpec",
    "RunSpec",
    "TrainingSpec",
    "load_spec",
    "param_keys",
]

#: The sections made of table rows alone (the dataset section also has the
#: dataset's own parameters).
_ROW_SECTIONS = ("model", "training")


# --------------------------------------------------------------------------- dataset


@dataclass(frozen=True)
class DatasetSpec:
    """Which dataset, its own parameters, the validation fraction and the seed.

    Parameters
    ----------
    name : str
        A registered dataset (``python -m experiments datasets`` lists them).
    test_size : float
        Validation fraction (bounds in :data:`experiments.settings.SETTINGS`).
    seed : int
        Seeds the data generation and the split.
    params : mapping
        The dataset's own parameters; completed with its defaults, so two specs
        that mean the same data compare equal.
    """

    name: str = SETTINGS["dataset.name"].default
    test_size: float = SETTINGS["dataset.test_size"].default
    seed: int = SETTINGS["dataset.seed"].default
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        info = get_dataset_info(self.name)
        for attr in ("test_size", "seed"):
            value = SETTINGS[f"dataset.{attr}"].validate(getattr(self, attr))
            object.__setattr__(self, attr, value)
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

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from a plain dict: the default pickling fills it with __setitem__.
        return (type(self), (dict(self),))


# --------------------------------------------------------------------------- model, training


class _Section:
    """Behaviour shared by the sections whose fields are rows of the settings table."""

    SECTION: ClassVar[str]

    def __post_init__(self) -> None:
        for row in section_settings(self.SECTION):
            object.__setattr__(self, row.name, row.validate(getattr(self, row.name)))
        self._check_together()

    def _check_together(self) -> None:
        """Rules between settings of the section (after each was checked alone)."""

    def values(self) -> dict[str, Any]:
        """``{"training.epochs": 100, ...}``: the section's values by dotted key."""
        return {row.key: getattr(self, row.name) for row in section_settings(self.SECTION)}

    def nncore_kwargs(self, target: str) -> dict[str, Any]:
        """Keyword arguments for one nncore target (``"optimizer"``, ``"fit"``, ...).

        The settings whose row maps to ``target.argument`` and that matter given the
        others (momentum only for SGD, ...), by nncore argument name.
        """
        values = self.values()
        return {
            row.nncore.partition(".")[2]: values[row.key]
            for row in section_settings(self.SECTION)
            if row.nncore and row.nncore.partition(".")[0] == target
            and row.nncore.partition(".")[2] and row.applies(values)
        }


class _ModelRules(_Section):
    SECTION = "model"

    def _check_together(self) -> None:
        hidden, activation = self.hidden, self.activation
        if isinstance(activation, tuple):
            if len(activation) != len(hidden):
                raise SpecError(
                    f"model.activation = {list(activation)!r}: give one activation for all "
                    f"layers or one per hidden layer ({len(hidden)})"
                )
            if len(set(activation)) <= 1:  # one name for all layers has one canonical form
                default = SETTINGS["model.activation"].default
                object.__setattr__(self, "activation", activation[0] if activation else default)
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

    @property
    def activations(self) -> tuple[str, ...]:
        """The hidden activation of each hidden layer."""
        if isinstance(self.activation, tuple):
            return self.activation
        return (self.activation,) * len(self.hidden)


class _TrainingRules(_Section):
    SECTION = "training"

    def _check_together(self) -> None:
        if self.nesterov and self.momentum == 0.0:
            raise SpecError("training.nesterov = true needs training.momentum > 0")

    def optimizer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the nncore optimizer named by ``optimizer``."""
        return self.nncore_kwargs("optimizer")


def _section_class(name: str, rules: type[_Section], summary: str) -> type:
    """A frozen dataclass with one field per row of ``rules.SECTION``, in table order."""
    rows = section_settings(rules.SECTION)
    doc = [summary, "", "Parameters", "----------"]
    for row in rows:
        doc += [f"{row.name} : {row.kind}", f"    {row.help} Allowed: {row.describe()}; "
                f"default {row.format(row.default)}."]
    return make_dataclass(
        name, [(row.name, Any, field(default=row.default)) for row in rows],
        bases=(rules,), frozen=True,
        namespace={"__module__": __name__, "__doc__": "\n".join(doc)},
    )


#: The network: architecture, output, initialiser, precision.
ModelSpec = _section_class("ModelSpec", _ModelRules, "The network.")
#: How to train: loss, optimizer, schedule, epochs, batches, regularisation, seed.
TrainingSpec = _section_class("TrainingSpec", _TrainingRules, "How to train.")
_SECTION_CLASSES: dict[str, type] = {"model": ModelSpec, "training": TrainingSpec}


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
    model: Any = field(default_factory=lambda: ModelSpec())
    training: Any = field(default_factory=lambda: TrainingSpec())
    name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", SETTINGS["name"].validate(self.name))

    @property
    def experiment_name(self) -> str:
        """The MLflow experiment the run goes to."""
        return self.name or self.dataset.name

    def settings(self) -> dict[str, Setting]:
        """The rows of this spec's settings, dataset parameters included, by key."""
        return {row.key: row for row in (*SETTINGS.values(),
                                         *dataset_settings(self.dataset.name))}

    def values(self) -> dict[str, Any]:
        """Every setting's value by dotted key (``None`` for unset ones), in table order."""
        out: dict[str, Any] = {"name": self.name, "dataset.name": self.dataset.name,
                               "dataset.test_size": self.dataset.test_size,
                               "dataset.seed": self.dataset.seed}
        out.update({f"dataset.{k}": v for k, v in self.dataset.params.items()})
        out.update(self.model.values())
        out.update(self.training.values())
        return out

    # -- dicts --------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Build from a nested dict shaped like the TOML file.

        Unknown sections and keys are errors that name them (with a suggestion).
        The words ``"auto"``, ``"full"`` and ``"off"`` stand for unset optional values.
        """
        if not isinstance(data, Mapping):
            raise SpecError(f"a run spec must be a table of sections; got {type(data).__name__}")
        for key in data:
            if key not in ("name", *SECTIONS):
                raise unknown_setting(key, ("name", *SECTIONS))
        sections = {}
        for section in SECTIONS:
            value = data.get(section, {})
            if not isinstance(value, Mapping):
                raise SpecError(f"[{section}] must be a table of settings; got {value!r}")
            sections[section] = dict(value)

        ds = sections["dataset"]
        ds_name = ds.pop("name", DatasetSpec.name)
        if not isinstance(ds_name, str):
            raise SpecError(f"dataset.name = {ds_name!r}: must be a dataset name")
        own = {row.name for row in dataset_settings(ds_name)}
        for key in ds:
            if key not in own | {"test_size", "seed"}:
                raise unknown_setting(f"dataset.{key}", [k for k in all_keys(ds_name)
                                                         if k.startswith("dataset.")])
        general = {k: ds.pop(k) for k in ("test_size", "seed") if k in ds}
        dataset = DatasetSpec(ds_name, params=ds, **general)

        built: dict[str, Any] = {}
        for section in _ROW_SECTIONS:
            names = {row.name for row in section_settings(section)}
            for key in sections[section]:
                if key not in names:
                    raise unknown_setting(f"{section}.{key}",
                                          [r.key for r in section_settings(section)])
            built[section] = _SECTION_CLASSES[section](**sections[section])
        return cls(dataset, built["model"], built["training"], data.get("name"))

    def to_dict(self) -> dict[str, Any]:
        """The nested dict of :meth:`from_dict` (unset optional values left out)."""
        out: dict[str, Any] = {}
        rows = self.settings()
        for key, value in self.values().items():
            if value is None:
                continue
            section, _, attr = key.rpartition(".")
            target = out.setdefault(section, {}) if section else out
            target[attr] = rows[key].to_toml(value)
        return out

    # -- MLflow params ----------------------------------------------------------------

    def to_params(self) -> dict[str, str]:
        """The flat dict of strings MLflow stores as run params.

        Keys are the dotted setting names (``"training.learning_rate"``); unset
        optional values are written as their word (``"full"``, ``"off"``, ``"auto"``);
        an unset experiment ``name`` is left out.
        """
        rows = self.settings()
        return {key: rows[key].format(value) for key, value in self.values().items()
                if not (key == "name" and value is None)}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RunSpec:
        """Rebuild a spec from :meth:`to_params` output (e.g. a past run's params).

        Keys this version does not know (params logged by something else) are
        ignored; missing keys take their defaults.
        """
        ds_name = params.get("dataset.name", DatasetSpec.name)
        known = {row.key: row for row in (*SETTINGS.values(), *dataset_settings(ds_name))}
        nested: dict[str, Any] = {section: {} for section in SECTIONS}
        for key, text in params.items():
            row = known.get(key)
            if row is None:
                continue
            value = row.parse(text)
            if value is None:
                continue
            section, _, attr = key.rpartition(".")
            (nested[section] if section else nested)[attr] = value
        return cls.from_dict(nested)

    # -- changes ------------------------------------------------------------------------

    def with_overrides(self, overrides: Mapping[str, Any]) -> RunSpec:
        """A new spec with some flat keys changed.

        Values may be typed (``{"training.epochs": 500}``) or text as typed on a
        command line (``{"training.epochs": "500", "model.hidden": "8,8"}``).
        ``None`` (or the setting's word, like ``"full"``) unsets an optional setting.
        Changing ``dataset.name`` drops parameters the new dataset does not have.
        """
        nested = self.to_dict()
        new_ds = overrides.get("dataset.name")
        if new_ds is not None and new_ds != self.dataset.name:
            get_dataset_info(new_ds)  # the registry's own message for an unknown name
            keep = {"name", "test_size", "seed"}
            nested["dataset"] = {k: v for k, v in nested["dataset"].items() if k in keep}
        ds_name = new_ds or self.dataset.name
        for key, value in overrides.items():
            row = setting(key, ds_name)
            if isinstance(value, str):
                value = row.parse(value)
            section, _, attr = key.rpartition(".")
            target = nested.setdefault(section, {}) if section else nested
            if value is None:
                target.pop(attr, None)
            else:
                target[attr] = value
        return RunSpec.from_dict(nested)

    def replace(self, **changes: Any) -> RunSpec:
        """``dataclasses.replace`` for the top level (``dataset=``, ``model=``, ...)."""
        return replace(self, **changes)

    # -- TOML ---------------------------------------------------------------------------

    def to_toml(self) -> str:
        """The spec as a TOML document that :func:`load_spec` reads back equal."""
        data = self.to_dict()
        for section in SECTIONS:  # every section is written, even when empty
            data.setdefault(section, {})
        return tomli_w.dumps(data)

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
        schedule = "" if t.lr_schedule == "constant" else f" ({t.lr_schedule} schedule)"
        return (
            f"{self.dataset.name} | {arch} | {t.optimizer} lr={t.learning_rate:g}{schedule} | "
            f"{t.epochs} epochs, {batch}"
        )


def param_keys(dataset: str | None = None) -> list[str]:
    """All flat keys of a spec (with a dataset name: including that dataset's parameters)."""
    return all_keys(dataset)


def load_spec(path: str | os.PathLike[str]) -> RunSpec:
    """Read a TOML config file into a validated :class:`RunSpec`.

    Raises
    ------
    SpecError
        The file is missing, is not valid TOML, sets nothing (empty, only comments
        or only empty tables: training the defaults by accident is worse than a
        clear refusal), or has an invalid setting; the message starts with the file
        name.
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

    def sets_something(value: Any) -> bool:
        if isinstance(value, Mapping):
            return any(sets_something(v) for v in value.values())
        return True

    if not sets_something(data):
        what = "sets nothing: its tables are empty" if data else "is empty: it sets nothing"
        raise SpecError(
            f"{p.name} {what}; write the settings to change from the defaults, e.g. "
            "[training] epochs = 500 (see the examples in experiments/configs/)"
        )
    return _prefixed(p.name, RunSpec.from_dict, data)


def _prefixed(prefix: str, fn: Callable[..., RunSpec], *args: Any) -> RunSpec:
    try:
        return fn(*args)
    except SpecError as e:
        raise SpecError(f"{prefix}: {e}") from None
