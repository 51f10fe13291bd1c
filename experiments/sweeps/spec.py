"""A sweep: a base run spec plus a search space over its settings, read from TOML.

The space's keys are the dotted setting names of the one settings table
(:mod:`experiments.settings`), so every dimension is checked against that setting's own
kind and bounds before anything runs::

    base = "../admissions_mlp.toml"          # relative to this file; or inline sections
    [sweep]
    method = "tpe"                            # grid | random | tpe
    trials = 24
    replicates = 3                            # seeds per setting; mean ± std per setting
    objective = "val_loss"                    # any per-epoch metric
    direction = "minimize"
    pruner = "median"                         # none | median | hyperband
    [sweep.space]
    "training.learning_rate" = { log_uniform = [1e-4, 1.0] }
    "model.hidden" = { choice = [[4], [8], [16, 16]] }

Dimensions: ``{ choice = [...] }``, ``{ uniform = [low, high] }`` and
``{ log_uniform = [low, high] }`` (whole numbers for a whole-number setting such as
``training.epochs``), each with an optional ``step`` for uniform ranges.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from experiments.errors import SpecError
from experiments.settings import SETTINGS, Setting, all_keys, unknown_setting
from experiments.spec import RunSpec, load_spec

__all__ = ["METHODS", "OBJECTIVES", "PRUNERS", "Dimension", "SweepSpec", "load_sweep"]

Method = Literal["grid", "random", "tpe"]
Pruner = Literal["none", "median", "hyperband"]
METHODS: tuple[str, ...] = ("grid", "random", "tpe")
PRUNERS: tuple[str, ...] = ("none", "median", "hyperband")
DIRECTIONS: tuple[str, ...] = ("minimize", "maximize")
#: The per-epoch metrics a run logs (classifiers: accuracy, regression: rmse).
OBJECTIVES: tuple[str, ...] = ("val_loss", "train_loss", "val_accuracy", "train_accuracy",
                               "val_rmse", "train_rmse")
DIMENSION_KINDS = ("choice", "uniform", "log_uniform")
_SWEEP_KEYS = ("method", "trials", "replicates", "objective", "direction", "pruner", "seed",
               "report_every", "space")
#: Settings a space may not vary: the replicates own the training seed; the name is a label.
_NOT_SEARCHED = ("training.seed",)


@dataclass(frozen=True)
class Dimension:
    """One searched setting.

    Parameters
    ----------
    key : str
        The dotted setting name (``"training.learning_rate"``).
    kind : {"choice", "uniform", "log_uniform"}
    values : tuple
        The choices (validated values of the setting), for ``choice``.
    low, high : float
        The range, for ``uniform`` and ``log_uniform`` (inside the setting's bounds).
    step : float or None
        A uniform range's grid step (optional).
    integer : bool
        Whole numbers (the setting is a whole number).
    """

    key: str
    kind: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    integer: bool = False

    @property
    def log(self) -> bool:
        """Sampled on a log scale."""
        return self.kind == "log_uniform"

    def describe(self) -> str:
        """``"choice of [4], [8]"``, ``"log-uniform in [0.0001, 1]"``."""
        if self.kind == "choice":
            return "choice of " + ", ".join(_text(v) for v in self.values)
        scale = "log-uniform" if self.log else "uniform"
        step = f" step {self.step:g}" if self.step else ""
        return f"{scale} in [{self.low:g}, {self.high:g}]{step}"

    def to_toml(self) -> dict[str, Any]:
        """The TOML table this dimension was read from (canonical form)."""
        if self.kind == "choice":
            return {"choice": [list(v) if isinstance(v, tuple) else v for v in self.values]}
        out: dict[str, Any] = {self.kind: [self.low, self.high]}
        if self.step is not None:
            out["step"] = self.step
        return out


def _text(value: Any) -> str:
    return json.dumps(list(value)) if isinstance(value, tuple) else str(value)


@dataclass(frozen=True)
class SweepSpec:
    """A base run and a search space; validated when built.

    Parameters
    ----------
    base : RunSpec
        The run every trial starts from.
    space : tuple of Dimension
        The searched settings, in file order.
    method : {"grid", "random", "tpe"}
        Optuna's GridSampler, RandomSampler or TPESampler (seeded with ``seed``).
    trials : int
        Settings to try (for a grid: at most the grid's size, which is the default).
    replicates : int
        Seeds per setting (``training.seed`` = the base seed + 0, 1, ...); a trial's
        objective is their mean.
    objective : str
        A per-epoch metric (``val_loss``, ``val_accuracy``, ...).
    direction : {"minimize", "maximize"}
    pruner : {"none", "median", "hyperband"}
        Stops unpromising trials early on the objective reported during training.
    seed : int
        Seeds the sampler: the same sweep suggests the same settings.
    report_every : int or None
        Epochs between reports to the pruner (None: about 20 reports per run).
    name : str or None
        The sweep's name (default: the file's stem).
    """

    base: RunSpec
    space: tuple[Dimension, ...]
    method: Method = "tpe"
    trials: int = 20
    replicates: int = 1
    objective: str = "val_loss"
    direction: str = "minimize"
    pruner: Pruner = "none"
    seed: int = 0
    report_every: int | None = None
    name: str | None = None
    _grid_size: int | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _one_of("sweep.method", self.method, METHODS)
        _one_of("sweep.direction", self.direction, DIRECTIONS)
        _one_of("sweep.pruner", self.pruner, PRUNERS)
        _one_of("sweep.objective", self.objective, OBJECTIVES)
        for key, value in (("sweep.trials", self.trials), ("sweep.replicates", self.replicates),
                           ("sweep.report_every", self.report_every)):
            if value is None and key == "sweep.report_every":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SpecError(f"{key} = {value!r}: must be a whole number >= 1")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SpecError(f"sweep.seed = {self.seed!r}: must be a whole number >= 0")
        if not self.space:
            raise SpecError("sweep.space is empty: name at least one setting to vary, e.g. "
                            '"training.learning_rate" = { log_uniform = [1e-4, 1.0] }')
        keys = [d.key for d in self.space]
        if len(set(keys)) != len(keys):
            raise SpecError(f"sweep.space names a setting twice: {keys}")
        self._check_objective_fits_task()
        if self.method == "grid":
            ranges = [d.key for d in self.space if d.kind != "choice"]
            if ranges:
                raise SpecError(
                    f"sweep.space.{ranges[0]!r}: method 'grid' needs a choice of values, "
                    "not a continuous range; write { choice = [...] }, or use method "
                    "'random' or 'tpe'")
            size = math.prod(len(d.values) for d in self.space)
            object.__setattr__(self, "_grid_size", size)
            object.__setattr__(self, "trials", min(self.trials, size))

    def _check_objective_fits_task(self) -> None:
        from experiments.datasets import get_dataset_info

        try:
            task = get_dataset_info(self.base.dataset.name).task
        except Exception:  # a CSV: its task is known only once the file is read
            return
        wants = "rmse" if task == "regression" else "accuracy"
        other = "accuracy" if wants == "rmse" else "rmse"
        if self.objective.endswith(other):
            raise SpecError(
                f"sweep.objective = {self.objective!r}: a {task} dataset "
                f"({self.base.dataset.name}) logs {wants}, not {other}; use "
                f"'val_loss' or 'val_{wants}'")

    # -- what a trial trains ----------------------------------------------------------
    @property
    def grid_size(self) -> int | None:
        """How many settings a grid has (None for random and TPE)."""
        return self._grid_size

    def grid(self) -> dict[str, list[Any]]:
        """The search space as Optuna's GridSampler takes it (choices as indices)."""
        return {d.key: list(range(len(d.values))) for d in self.space}

    def trial_spec(self, params: Mapping[str, Any], replicate: int = 0) -> RunSpec:
        """The run of one replicate of one setting: the base with ``params`` and a seed."""
        seed = (self.base.training.seed or 0) + replicate
        return self.base.with_overrides({**params, "training.seed": seed})

    def with_overrides(self, sets: Mapping[str, Any], trials: int | None = None
                       ) -> SweepSpec:
        """The sweep with base settings changed (``--set``) and/or another trial count."""
        base = self.base.with_overrides(sets) if sets else self.base
        return _build(replace(self, base=base, trials=self.trials if trials is None else trials))

    def space_json(self) -> str:
        """The space as JSON (the parent run's ``sweep.space`` tag)."""
        return json.dumps({d.key: d.to_toml() for d in self.space}, sort_keys=False)

    def summary(self) -> str:
        """One line: ``"tpe · 24 trials × 3 seeds · minimize val_loss · pruner median"``."""
        seeds = f" × {self.replicates} seeds" if self.replicates > 1 else ""
        pruner = f" · pruner {self.pruner}" if self.pruner != "none" else ""
        return (f"{self.method} · {self.trials} trials{seeds} · {self.direction} "
                f"{self.objective}{pruner}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str | os.PathLike[str] = ".",
                  name: str | None = None) -> SweepSpec:
        """Build from the TOML file's tables (``base`` is relative to ``base_dir``)."""
        if not isinstance(data, Mapping):
            raise SpecError("a sweep must be a table with [sweep] and a base run")
        sweep = data.get("sweep")
        if not isinstance(sweep, Mapping):
            raise SpecError("a sweep file needs a [sweep] table (method, trials, objective, "
                            "...) and a [sweep.space] table")
        for key in sweep:
            if key not in _SWEEP_KEYS:
                raise unknown_setting(f"sweep.{key}", [f"sweep.{k}" for k in _SWEEP_KEYS])
        base = _base(data, Path(base_dir))
        space_table = sweep.get("space", {})
        if not isinstance(space_table, Mapping):
            raise SpecError("[sweep.space] must be a table of setting = { choice | uniform | "
                            "log_uniform = ... }")
        space = tuple(_dimension(base, key, value) for key, value in space_table.items())
        options = {k: v for k, v in sweep.items() if k != "space"}
        if "trials" not in options and options.get("method") == "grid":
            options["trials"] = math.prod(len(d.values) for d in space) or 1
        return cls(base=base, space=space, name=data.get("name", name), **options)


def _build(spec: SweepSpec) -> SweepSpec:
    """Re-validate every dimension against a (changed) base."""
    space = tuple(_dimension(spec.base, d.key, d.to_toml()) for d in spec.space)
    return replace(spec, space=space)


def _one_of(key: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise SpecError(f"{key} = {value!r}: allowed values are "
                        f"{', '.join(map(repr, allowed))}")


def _base(data: Mapping[str, Any], base_dir: Path) -> RunSpec:
    inline = {k: v for k, v in data.items() if k in ("dataset", "model", "training")}
    unknown = [k for k in data if k not in ("base", "sweep", "name", *inline)]
    if unknown:
        raise unknown_setting(unknown[0], ["base", "name", "sweep", "dataset", "model",
                                           "training"])
    if "base" in data:
        if inline:
            raise SpecError("a sweep takes its base run from `base = \"file.toml\"` or from "
                            f"inline tables, not both (found base and [{next(iter(inline))}])")
        if not isinstance(data["base"], str):
            raise SpecError(f"base = {data['base']!r}: must be the path of a run config")
        return load_spec(base_dir / data["base"])
    if not inline:
        raise SpecError("a sweep needs a base run: `base = \"../moons.toml\"` (relative to "
                        "the sweep file) or inline [dataset], [model], [training] tables")
    return RunSpec.from_dict(inline)


def _dimension(base: RunSpec, key: Any, value: Any) -> Dimension:
    where = f"sweep.space.{key!r}" if isinstance(key, str) else "sweep.space"
    if not isinstance(key, str) or key not in _searchable_keys(base):
        raise unknown_setting(f"sweep.space.{key}", _searchable_keys(base))
    row = _row(base, key)
    if not isinstance(value, Mapping) or len(value) - ("step" in value) != 1 or not (
            set(value) - {"step"}) <= set(DIMENSION_KINDS):
        raise SpecError(f"{where}: write one of {{ choice = [...] }}, {{ uniform = [low, "
                        f"high] }} or {{ log_uniform = [low, high] }}; got {value!r}")
    kind = next(k for k in value if k != "step")
    if kind == "choice":
        if "step" in value:
            raise SpecError(f"{where}: step applies to a uniform range, not to a choice")
        return _choice_dimension(base, key, value["choice"], where)
    return _range_dimension(base, row, key, kind, value, where)


def _searchable_keys(base: RunSpec) -> list[str]:
    return [k for k in all_keys(base.dataset.name)
            if k not in _NOT_SEARCHED and k not in ("name", "dataset.name")]


def _row(base: RunSpec, key: str) -> Setting:
    return base.settings().get(key) or SETTINGS[key]


def _choice_dimension(base: RunSpec, key: str, values: Any, where: str) -> Dimension:
    if not isinstance(values, list) or not values:
        raise SpecError(f"{where}: choice must be a non-empty list of values of {key}")
    checked = []
    for value in values:
        try:
            spec = base.with_overrides({key: value})
        except SpecError as e:
            raise SpecError(f"{where}: choice {_text(value)}: {e}") from None
        checked.append(spec.values()[key])
    if len(set(map(_text, checked))) != len(checked):
        raise SpecError(f"{where}: choice lists a value twice: {values}")
    return Dimension(key, "choice", values=tuple(checked))


def _range_dimension(base: RunSpec, row: Setting, key: str, kind: str,
                     value: Mapping[str, Any], where: str) -> Dimension:
    if row.kind not in ("int", "float"):
        allowed = f" ({row.describe()})" if row.allowed else ""
        raise SpecError(f"{where}: {key} is not a number{allowed}; search it with "
                        "{ choice = [...] }")
    bounds = value[kind]
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)):
        raise SpecError(f"{where}: {kind} takes [low, high], two numbers; got {bounds!r}")
    low, high = (float(b) for b in bounds)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SpecError(f"{where}: {kind} = {bounds}: low and high must be finite")
    if low > high:
        raise SpecError(f"{where}: {kind} = {bounds}: low must not be above high")
    if kind == "log_uniform" and low <= 0:
        raise SpecError(f"{where}: log_uniform = {bounds}: a log range must stay above 0 "
                        f"(low = {low:g}); use uniform, or a low such as 1e-6")
    integer = row.kind == "int"
    if integer and not (low.is_integer() and high.is_integer()):
        raise SpecError(f"{where}: {key} is a whole number; give whole-number bounds, got "
                        f"{bounds}")
    for end in (low, high):
        try:
            base.with_overrides({key: int(end) if integer else end})
        except SpecError as e:
            raise SpecError(f"{where}: {kind} = {bounds} leaves the setting's bounds: "
                            f"{e}") from None
    step = value.get("step")
    if step is not None:
        if kind != "uniform":
            raise SpecError(f"{where}: step applies to uniform ranges, not to {kind}")
        if isinstance(step, bool) or not isinstance(step, int | float) or not step > 0 or (
                integer and not float(step).is_integer()):
            raise SpecError(f"{where}: step = {step!r}: must be a "
                            f"{'whole number' if integer else 'number'} > 0")
        step = float(step)
    return Dimension(key, kind, low=low, high=high, step=step, integer=integer)


def grid_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every setting of a grid sweep, in order (a list of ``{key: value}``)."""
    keys = [d.key for d in spec.space]
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(d.values for d in spec.space))]


def load_sweep(path: str | os.PathLike[str]) -> SweepSpec:
    """Read a sweep TOML file into a validated :class:`SweepSpec`.

    Raises
    ------
    SpecError
        The file is missing or not TOML, its base run is invalid, or its space is (one
        line naming the key and what is allowed); the message starts with the file name.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"sweep file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read sweep file {str(p)!r}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{p.name}: invalid TOML: {e}") from None
    try:
        return SweepSpec.from_dict(data, base_dir=p.parent, name=p.stem)
    except SpecError as e:
        message = str(e)
        raise SpecError(message if message.startswith(p.name) else f"{p.name}: {e}") from None
