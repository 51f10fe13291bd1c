"""The Sweep page's form and a :class:`~experiments.sweeps.SweepSpec`, converted into
each other (pure functions, no streamlit, so the round trip is tested on its own).

Widget keys: a base setting's widget has ``sw:`` before the setting's dotted name (the
Train page's widgets use the bare names; the prefix keeps the two pages' state apart),
a dataset parameter ``sw:ds.<dataset>.<name>``; a searched setting ``key`` has
``sw_kind:key`` (range or choice), ``sw_low:key``, ``sw_high:key``, ``sw_log:key`` and
``sw_choices:key``.

The form also travels in the page's URL, so a link reproduces it
(:func:`query_from_sweep` / :func:`sweep_from_query`): the base run's settings as the Train
page's link writes them (:mod:`ui.state`, the settings table's ``format``/``parse``), the
sweep's options that differ from :data:`DEFAULT_SWEEP` as ``sweep.<option>`` (with
``sweep.workers``), and every searched setting as ``space.<setting>``:
``space.training.learning_rate=log_uniform:0.001,0.3`` or
``space.model.hidden=choice:[4];[8];[16, 16]`` (each value as the setting's row formats it).

>>> from experiments.sweeps import load_sweep
>>> sweep = load_sweep("experiments/configs/sweeps/xor_seed_replicates.toml")
>>> sweep_from_values(values_from_sweep(sweep)) == sweep
True
>>> sweep_from_query(query_from_sweep(sweep, workers=2))[:2] == (sweep, 2)
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from experiments import RunSpec, SpecError
from experiments.settings import SETTINGS, Setting, all_keys, dataset_settings
from experiments.sweeps import Dimension, SweepSpec
from experiments.sweeps.spec import OBJECTIVES
from ui import keys

PREFIX = "sw:"
SOURCE = "sw_source"
DATASET = PREFIX + "dataset.name"
VARY = "sw_vary"
METHOD, TRIALS, REPLICATES = "sw_method", "sw_trials", "sw_replicates"
OBJECTIVE, DIRECTION, PRUNER = "sw_objective", "sw_direction", "sw_pruner"
WORKERS, SEED, NAME = "sw_workers", "sw_seed", "sw_name"
LOAD, LAUNCH, STOP = "sw_load", "sw_launch", "sw_stop"
PAST, EVALUATOR = "sw_past", "sw_evaluator"
# --- session objects (not widgets) ---------------------------------------------------
JOB = "_sweep_job"
SAVED_FORM = "_sweep_form"
SHOWN = "_sweep_shown"
NOTICE = "_sweep_notice"
URL_ERRORS = "_sweep_url_errors"
LOST = "_sweep_lost"
# --- the URL ---------------------------------------------------------------------------
#: URL keys of the sweep's options (``sweep.trials=24``) and searched settings
#: (``space.training.learning_rate=log_uniform:0.0001,1``); the job token is
#: :data:`ui.keys.JOB_PARAM`, as on the Train page; other keys are the base run's.
OPTION_PARAM, SPACE_PARAM = "sweep.", "space."
#: The sweep's options a link carries (``workers`` is the launch's, not the spec's).
URL_OPTIONS = ("method", "trials", "replicates", "objective", "direction", "pruner", "seed",
               "name", "workers")
#: Most workers the form offers.
MAX_WORKERS = 16

#: The shipped sweeps the form can start from.
CONFIGS = Path(__file__).resolve().parents[1] / "experiments" / "configs" / "sweeps"
#: Settings shown first in the base run; the others are under "More base settings".
MAIN_SETTINGS = ("model.hidden", "model.activation", "training.optimizer",
                 "training.learning_rate", "training.epochs", "training.batch_size")
#: Settings drawn as text (a list, or one name per layer), parsed by their row.
TEXT_KINDS = ("ints", "names", "text")
RANGE, CHOICE = "range", "choice"
#: A quick sweep: what the form starts with.
DEFAULT_SWEEP = SweepSpec.from_dict({
    "name": "moons_quick",
    "dataset": {"name": "moons"},
    "model": {"hidden": [8], "activation": "tanh"},
    "training": {"optimizer": "adam", "learning_rate": 0.02, "epochs": 100,
                 "batch_size": 32},
    "sweep": {"method": "tpe", "trials": 12, "objective": "val_loss",
              "direction": "minimize", "pruner": "none",
              "space": {"training.learning_rate": {"log_uniform": [0.001, 0.3]},
                        "model.hidden": {"choice": [[4], [8], [16, 16]]}}},
})


def kind_key(key: str) -> str:
    """Widget key of a searched setting's range-or-choice switch."""
    return f"sw_kind:{key}"


def low_key(key: str) -> str:
    """Widget key of a searched range's low end."""
    return f"sw_low:{key}"


def high_key(key: str) -> str:
    """Widget key of a searched range's high end."""
    return f"sw_high:{key}"


def log_key(key: str) -> str:
    """Widget key of a searched range's log-scale switch."""
    return f"sw_log:{key}"


def choices_key(key: str) -> str:
    """Widget key of a searched setting's choices."""
    return f"sw_choices:{key}"


def dataset_key(dataset: str, name: str) -> str:
    """Widget key of one of a dataset's parameters on the Sweep page."""
    return PREFIX + keys.dataset_param(dataset, name)


def shipped_sweeps() -> list[Path]:
    """The sweep TOML files shipped in ``experiments/configs/sweeps``."""
    return sorted(CONFIGS.glob("*.toml"))


def base_rows(values: Mapping[str, Any]) -> list[Setting]:
    """The model and training rows of the base run that matter given ``values``
    (spec values by dotted key: momentum only with SGD)."""
    return [row for key, row in SETTINGS.items()
            if key.startswith(("model.", "training.")) and row.applies(values)]


def searchable(dataset: str) -> list[str]:
    """Settings a sweep may vary on this dataset (the replicates own the seed)."""
    return [k for k in all_keys(dataset)
            if k not in ("name", "dataset.name", "training.seed")]


def is_number(key: str) -> bool:
    """A number setting: searched over a range by default."""
    return SETTINGS[key].kind in ("int", "float") if key in SETTINGS else True


def _row(dataset: str, key: str) -> Setting:
    return next((r for r in dataset_settings(dataset) if r.key == key), None) or SETTINGS[key]


def option_text(value: Any) -> str:
    """How a choice's value is written in the form (``[16, 16]``, ``0.01``, ``adam``)."""
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def choice_options(dataset: str, key: str) -> list[str] | None:
    """The values a choice widget offers (None: typed, ``;``-separated)."""
    row = _row(dataset, key)
    if row.kind == "bool":
        return ["true", "false"]
    if row.kind in ("choice", "names"):
        return [option_text(v) for v in row.allowed or ()]
    return None


def default_dimension(dataset: str, key: str, base_value: Any) -> dict[str, Any]:
    """Starting widget values for a newly searched setting, around its base value.

    Numbers: a range from a tenth to ten times the base value on a log scale for
    log-scaled settings (learning rates), half to twice otherwise, kept inside the
    setting's bounds; other settings: a choice of the base value.
    """
    row = _row(dataset, key)
    values: dict[str, Any] = {kind_key(key): RANGE if is_number(key) else CHOICE}
    if is_number(key):
        base = float(base_value if base_value is not None else (row.suggested or 1))
        if base == 0:
            low, high = 0.0, 1.0
        elif row.log:
            low, high = base / 10, base * 10
        else:
            low, high = base / 2, base * 2
        interval = row.interval
        if interval is not None:
            if interval.low is not None:
                low = max(low, interval.low if interval.closed in ("left", "both")
                          else math.nextafter(interval.low, math.inf))
            if interval.high is not None:
                high = min(high, interval.high if interval.closed in ("right", "both")
                           else 0.99 * interval.high)
        if row.kind == "int":
            low, high = max(1, math.floor(low)) if low >= 1 else math.ceil(low), math.ceil(high)
        values.update({low_key(key): low, high_key(key): high, log_key(key): bool(row.log)})
        values[choices_key(key)] = option_text(base_value)
    else:
        options = choice_options(dataset, key)
        text = option_text(base_value)
        values[choices_key(key)] = [text] if options is not None else text
    return values


def values_from_sweep(sweep: SweepSpec) -> dict[str, Any]:
    """Widget values (by key) that show ``sweep`` in the Sweep page's form."""
    base = sweep.base
    values: dict[str, Any] = {DATASET: base.dataset.name,
                              PREFIX + "dataset.test_size": float(base.dataset.test_size),
                              PREFIX + "dataset.seed": int(base.dataset.seed),
                              PREFIX + "name": base.name or ""}
    for name, value in base.dataset.params.items():
        values[dataset_key(base.dataset.name, name)] = value
    current = base.values()
    for key, row in SETTINGS.items():
        if not key.startswith(("model.", "training.")):
            continue
        value = current[key]
        if row.kind in TEXT_KINDS:
            values[PREFIX + key] = row.format(value)
        elif row.kind in ("int", "float") and row.optional:
            from ui import state

            values[PREFIX + state.switch_key(row)] = value is None
            values[PREFIX + key] = row.suggested if value is None else value
        elif value is None and row.none_word:
            values[PREFIX + key] = row.none_word
        else:
            values[PREFIX + key] = value
    values[VARY] = [d.key for d in sweep.space]
    for dim in sweep.space:
        values.update(default_dimension(base.dataset.name, dim.key, current.get(dim.key)))
        if dim.kind == "choice":
            texts = [option_text(v) for v in dim.values]
            values[kind_key(dim.key)] = CHOICE
            values[choices_key(dim.key)] = (texts if choice_options(base.dataset.name, dim.key)
                                            is not None else "; ".join(texts))
        else:
            values.update({kind_key(dim.key): RANGE, low_key(dim.key): dim.low,
                           high_key(dim.key): dim.high, log_key(dim.key): dim.log})
    values.update({METHOD: sweep.method, TRIALS: sweep.trials, REPLICATES: sweep.replicates,
                   OBJECTIVE: sweep.objective, DIRECTION: sweep.direction,
                   PRUNER: sweep.pruner, SEED: sweep.seed, NAME: sweep.name or "sweep"})
    return values


def base_from_values(values: Mapping[str, Any]) -> RunSpec:
    """The base run the form describes.

    Raises
    ------
    SpecError
        A setting is invalid (the message names it).
    """
    from ui import state

    name = values[DATASET]
    overrides: dict[str, Any] = {"dataset.name": name}
    for suffix in ("test_size", "seed"):
        if PREFIX + f"dataset.{suffix}" in values:
            overrides[f"dataset.{suffix}"] = values[PREFIX + f"dataset.{suffix}"]
    for row in dataset_settings(name):
        key = dataset_key(name, row.name)
        if key in values and values[key] is not None:
            overrides[row.key] = values[key]
    if str(values.get(PREFIX + "name") or "").strip():
        overrides["name"] = str(values[PREFIX + "name"]).strip()
    spec = RunSpec().with_overrides(overrides)
    current = dict(spec.values())
    model_type = values.get(PREFIX + "model.type", current["model.type"])
    current["model.type"] = model_type
    training: dict[str, Any] = {"model.type": model_type}
    for row in SETTINGS.values():
        if not row.key.startswith(("model.", "training.")) or row.key == "model.type":
            continue
        key = PREFIX + row.key
        if key not in values:
            continue
        value = values[key]
        if row.kind in ("int", "float") and row.optional and values.get(
                PREFIX + state.switch_key(row)):
            value = None
        if value is None or value == row.none_word:
            value = None
        if row.kind in TEXT_KINDS and isinstance(value, str):
            if not value.strip() and row.key == "model.hidden":
                value = ()
            elif value.strip():
                value = row.parse(value)
        training[row.key] = value
    return spec.with_overrides(training)


def _choice_values(dataset: str, key: str, raw: Any) -> list[Any]:
    row = _row(dataset, key)
    texts = list(raw) if isinstance(raw, list | tuple) else [
        t.strip() for t in str(raw or "").split(";") if t.strip()]
    if not texts:
        raise SpecError(f"sweep.space.{key!r}: pick at least one value to try")
    out = []
    for text in texts:
        if row.kind == "ints":
            out.append(list(row.parse(text)))
        else:
            value = row.parse(text)
            out.append(list(value) if isinstance(value, tuple) else value)
    return out


def space_from_values(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``[sweep.space]`` table the form describes (TOML-shaped)."""
    dataset = values[DATASET]
    space: dict[str, dict[str, Any]] = {}
    for key in values.get(VARY) or []:
        if values.get(kind_key(key), CHOICE) == RANGE and is_number(key):
            low, high = values.get(low_key(key)), values.get(high_key(key))
            kind = "log_uniform" if values.get(log_key(key)) else "uniform"
            space[key] = {kind: [low, high]}
        else:
            space[key] = {"choice": _choice_values(dataset, key, values.get(choices_key(key)))}
    return space


def sweep_from_values(values: Mapping[str, Any]) -> SweepSpec:
    """A validated sweep from the Sweep page's widget values.

    Raises
    ------
    SpecError
        The base run, a searched setting or an option is invalid (one line naming it).
    """
    base = base_from_values(values)
    sweep = {"method": values.get(METHOD, "tpe"), "trials": int(values.get(TRIALS, 12)),
             "replicates": int(values.get(REPLICATES, 1)),
             "objective": values.get(OBJECTIVE, "val_loss"),
             "direction": values.get(DIRECTION, "minimize"),
             "pruner": values.get(PRUNER, "none"), "seed": int(values.get(SEED, 0)),
             "space": space_from_values(values)}
    name = str(values.get(NAME) or "").strip() or "sweep"
    tables = {k: v for k, v in base.to_dict().items() if k in ("dataset", "model", "training")}
    spec = SweepSpec.from_dict({**tables, "name": name, "sweep": sweep})
    # Inline tables carry no run name (the experiment): the base keeps its own.
    return replace(spec, base=base) if base.name else spec


def objectives(task: str | None) -> list[str]:
    """The per-epoch metrics a run on a ``task`` dataset logs (what a sweep can target)."""
    drop = "accuracy" if task == "regression" else "rmse"
    return [o for o in OBJECTIVES if not o.endswith(drop)]


def direction_of(objective: str) -> str:
    """Minimize losses and errors, maximize accuracies."""
    return "maximize" if objective.endswith("accuracy") else "minimize"


# --------------------------------------------------------------------------- the URL
def dimension_text(dataset: str, dim: Dimension) -> str:
    """A searched setting as a URL value: ``log_uniform:0.001,0.3``, ``uniform:0,1,0.1``
    (with its step), ``choice:[4];[8]``; values as the setting's row formats them."""
    row = _row(dataset, dim.key)
    if dim.kind == "choice":
        return "choice:" + ";".join(row.format(v) for v in dim.values)
    ends = [int(v) if dim.integer else float(v) for v in (dim.low, dim.high)]
    if dim.step is not None:
        ends.append(int(dim.step) if dim.integer else float(dim.step))
    return f"{dim.kind}:" + ",".join(row.format(v) for v in ends)


def dimension_from_text(dataset: str, key: str, text: str) -> dict[str, Any]:
    """The ``[sweep.space]`` entry (TOML-shaped) a URL value describes.

    Raises
    ------
    SpecError
        The text is not ``KIND:VALUES`` or a value is not one of the setting's
        (the message names ``space.<key>``).
    """
    kind, sep, rest = str(text).partition(":")
    kind = kind.strip()
    if not sep or kind not in ("choice", "uniform", "log_uniform"):
        raise SpecError(f"space.{key} = {text!r}: write choice:A;B, uniform:LOW,HIGH or "
                        "log_uniform:LOW,HIGH")
    if key not in SETTINGS and key not in all_keys(dataset):
        raise SpecError(f"space.{key}: not a setting of a run on {dataset}")
    try:
        if kind == "choice":
            return {"choice": _choice_values(dataset, key, rest)}
        row = _row(dataset, key)
        parts = [p.strip() for p in rest.split(",")]
        if len(parts) not in (2, 3) or row.kind not in ("int", "float"):
            raise SpecError(f"{kind} takes LOW,HIGH (and a step) of a number setting")
        numbers = [row.parse(p) for p in parts]
    except SpecError as e:
        raise SpecError(f"space.{key} = {text!r}: {e}") from None
    if any(n is None for n in numbers):
        raise SpecError(f"space.{key} = {text!r}: {kind} takes numbers")
    table: dict[str, Any] = {kind: numbers[:2]}
    if len(numbers) == 3:
        table["step"] = numbers[2]
    return table


def _options(sweep: SweepSpec) -> dict[str, Any]:
    return {"method": sweep.method, "trials": sweep.trials, "replicates": sweep.replicates,
            "objective": sweep.objective, "direction": sweep.direction,
            "pruner": sweep.pruner, "seed": sweep.seed, "name": sweep.name or "sweep"}


def query_from_sweep(sweep: SweepSpec, workers: int = 1) -> dict[str, str]:
    """The URL query string of the Sweep page's form.

    Parameters
    ----------
    sweep : SweepSpec
        The sweep the form describes.
    workers : int
        The form's workers.

    Returns
    -------
    dict of str to str
        The base run as :func:`ui.state.query_from_spec` writes it (a Train link of
        that run), ``sweep.<option>`` for every option (and ``sweep.workers``) that
        differs from :data:`DEFAULT_SWEEP`, and ``space.<setting>`` for every searched
        setting, in the space's order (:func:`dimension_text`).
    """
    from ui import state

    query = state.query_from_spec(sweep.base)
    default = {**_options(DEFAULT_SWEEP), "workers": 1}
    for name, value in {**_options(sweep), "workers": int(workers)}.items():
        if value != default[name]:
            query[OPTION_PARAM + name] = str(value)
    for dim in sweep.space:
        query[SPACE_PARAM + dim.key] = dimension_text(sweep.base.dataset.name, dim)
    return query


def _option(name: str, text: str) -> Any:
    if name in ("trials", "replicates", "seed", "workers"):
        try:
            number = int(str(text).strip())
        except ValueError:
            raise SpecError(f"sweep.{name} = {text!r}: must be a whole number") from None
        if name == "workers" and not 1 <= number <= MAX_WORKERS:
            raise SpecError(f"sweep.workers = {text!r}: must be a whole number in "
                            f"[1, {MAX_WORKERS}]")
        return number
    return str(text).strip()


def sweep_from_query(query: Mapping[str, str]) -> tuple[SweepSpec, int, list[str]]:
    """The sweep and workers a URL describes, and a message per part that could not be used.

    The base run is read as the Train page reads its link
    (:func:`ui.state.spec_from_query`; :data:`DEFAULT_SWEEP`'s when the link names no
    base setting). The options and searched settings are applied together; if that
    fails, each searched setting is tried alone and each option on top of those that
    work, and the ones that fail are skipped and reported, so an old or edited link
    never breaks the page.

    Parameters
    ----------
    query : mapping of str to str
        ``st.query_params`` (the job token, if any, is ignored).

    Returns
    -------
    (SweepSpec, int, list of str)
        The sweep, the workers and the messages.
    """
    from ui import state

    errors: list[str] = []
    base_query = {k: v for k, v in query.items() if k != keys.JOB_PARAM
                  and not k.startswith((OPTION_PARAM, SPACE_PARAM))}
    base = DEFAULT_SWEEP.base
    if base_query:
        base, base_errors = state.spec_from_query(base_query)
        errors.extend(base_errors)
    dataset = base.dataset.name
    options: dict[str, Any] = {}
    workers = 1
    space: dict[str, dict[str, Any]] = {}
    for key, text in query.items():
        try:
            if key.startswith(OPTION_PARAM):
                name = key[len(OPTION_PARAM):]
                if name not in URL_OPTIONS:
                    raise SpecError(f"{key}: not a sweep option; the options are "
                                    + ", ".join(OPTION_PARAM + o for o in URL_OPTIONS))
                if name == "workers":
                    workers = _option(name, text)
                else:
                    options[name] = _option(name, text)
            elif key.startswith(SPACE_PARAM):
                space[key[len(SPACE_PARAM):]] = dimension_from_text(
                    dataset, key[len(SPACE_PARAM):], text)
        except SpecError as e:
            errors.append(str(e))
    tables = {k: v for k, v in base.to_dict().items() if k in ("dataset", "model", "training")}
    defaults = _options(DEFAULT_SWEEP)

    def build(opts: Mapping[str, Any], dims: Mapping[str, Any]) -> SweepSpec:
        sweep = {k: v for k, v in {**defaults, **opts}.items() if k != "name"}
        spec = SweepSpec.from_dict({**tables, "name": {**defaults, **opts}["name"],
                                    "sweep": {**sweep, "space": dict(dims)}})
        return replace(spec, base=base) if base.name else spec

    try:
        return build(options, space or _toml_space(DEFAULT_SWEEP)), workers, errors
    except SpecError:
        pass
    kept: dict[str, dict[str, Any]] = {}
    for key, dim in space.items():
        try:
            build({}, {**kept, key: dim})
            kept[key] = dim
        except SpecError as e:
            errors.append(str(e))
    kept = kept or _toml_space(DEFAULT_SWEEP)
    chosen: dict[str, Any] = {}
    for name, value in options.items():
        try:
            build({**chosen, name: value}, kept)
            chosen[name] = value
        except SpecError as e:
            errors.append(str(e))
    return build(chosen, kept), workers, errors


def _toml_space(sweep: SweepSpec) -> dict[str, dict[str, Any]]:
    return {d.key: d.to_toml() for d in sweep.space}
