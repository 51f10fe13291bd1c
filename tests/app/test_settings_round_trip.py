"""Every setting of the table, at both bounds and a typical value, goes spec → URL →
Train page → spec unchanged, with no exception (the form never cuts or drops a value)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from experiments import RunSpec
from experiments.settings import SETTINGS, Setting, dataset_settings
from tests.app.conftest import open_train
from ui import state

#: Large values for settings without an upper bound (a spec must not be cut to fit a widget).
_BIG = {"int": 10**6, "float": 1e6}
#: Datasets whose own parameters are walked too (the CSV needs an upload: test_train covers it).
_DATASETS = ("moons", "blobs", "circles", "spiral", "xor", "student_admissions")


def _numbers(row: Setting) -> list[Any]:
    """Low bound, high bound (or a large value) and a typical value of a number."""
    interval = row.interval
    integer = row.kind in ("int", "ints")
    values: list[Any] = []
    low = None if interval is None else interval.low
    high = None if interval is None else interval.high
    if low is not None:
        closed = interval.closed in ("both", "left")
        values.append(low if closed else (low + 1 if integer else math.nextafter(low, math.inf)))
    if high is not None:
        closed = interval.closed in ("both", "right")
        values.append(high if closed else (high - 1 if integer
                                           else math.nextafter(high, -math.inf)))
    else:
        values.append(_BIG["int" if integer else "float"])
    typical = row.suggested if row.suggested is not None else row.default
    values.append(typical)
    return [int(v) if integer else float(v) for v in values]


def _choices(row: Setting) -> list[Any]:
    values = [*([None] if row.optional else []), *(row.allowed or ())]
    return [v for v in values if v != "csv"]  # a CSV needs an upload: test_train covers it


#: The settings whose widgets show only for some choices: each variant shows one side.
_CONTEXTS = (
    {"training.optimizer": "sgd", "training.lr_schedule": "step", "training.nesterov": True,
     "training.patience": 10},
    {"training.optimizer": "adam", "training.lr_schedule": "cosine"},
)


def _variant(dataset: str, which: int, context: dict[str, Any]) -> dict[str, Any]:
    """Every number of the table (and of ``dataset``'s own parameters) at its low bound
    (``which=0``), its high bound (1) or a typical value (2)."""
    overrides: dict[str, Any] = {"dataset.name": dataset}
    rows = [*SETTINGS.values(), *dataset_settings(dataset)]
    for row in rows:
        if row.kind in ("int", "float") and row.key != "training.patience":
            overrides[row.key] = _numbers(row)[which]
        elif row.kind == "ints":
            overrides[row.key] = ([_numbers(row)[which]] if which < 2
                                  else [_numbers(row)[2]] * (row.max_items or 1))
    if context.get("training.nesterov") and overrides["training.momentum"] == 0:
        overrides["training.momentum"] = 0.5
    if context.get("training.patience"):
        overrides["training.patience"] = _numbers(SETTINGS["training.patience"])[which]
    return {**context, **overrides}


def _choice_rounds() -> list[dict[str, Any]]:
    """Round i sets every choice and flag of the table to its i-th value (cycling), so
    each value of each choice is shown in some round."""
    rows = [row for row in SETTINGS.values() if row.kind in ("choice", "bool", "names")
            or row.key == "name"]
    lists = {}
    for row in rows:
        if row.kind == "names":
            names = list(row.allowed or ())
            lists[row.key] = [*names, names[:3]]
        elif row.kind == "bool":
            lists[row.key] = [True, False]
        elif row.key == "name":
            lists[row.key] = ["an experiment", None]
        else:
            lists[row.key] = _choices(row)
    rounds = []
    for i in range(max(len(v) for v in lists.values())):
        overrides = {key: values[i % len(values)] for key, values in lists.items()}
        if overrides["model.output_activation"] == "step":
            overrides["model.type"] = "perceptron"   # only a perceptron has a step output
        elif overrides["model.output_activation"] is not None:
            overrides["model.type"] = "mlp"
        if overrides["model.type"] == "perceptron":
            overrides["model.hidden"] = []
        elif isinstance(overrides["model.activation"], list):
            overrides["model.hidden"] = [4] * len(overrides["model.activation"])
        else:
            overrides["model.hidden"] = [4, 4]
        if overrides["training.nesterov"]:
            overrides["training.momentum"] = 0.5
        rounds.append(overrides)
    return rounds


def _cases() -> list[Any]:
    cases = []
    for i, dataset in enumerate(_DATASETS):
        for which, bound in enumerate(("low", "high", "typical")):
            context = _CONTEXTS[(i + which) % len(_CONTEXTS)]
            cases.append(pytest.param(_variant(dataset, which, context),
                                      id=f"{dataset}-{bound}-{context['training.optimizer']}"))
    cases += [pytest.param(o, id=f"choices-{i}") for i, o in enumerate(_choice_rounds())]
    return cases


def test_the_cases_walk_every_setting_and_value() -> None:
    """The batched cases below do put each setting at both bounds and a typical value."""
    cases = [c.values[0] for c in _cases()]
    for key, row in SETTINGS.items():
        seen = [c[key] for c in cases if key in c]
        if row.kind in ("int", "float"):
            assert set(_numbers(row)) <= set(seen), key
        elif row.kind == "choice":
            assert set(_choices(row)) <= set(seen), key
        elif row.kind == "bool":
            assert set(seen) == {True, False}, key
    for dataset in _DATASETS:
        for row in dataset_settings(dataset):
            seen = [c.get(row.key) for c in cases if c["dataset.name"] == dataset]
            expected = _numbers(row) if row.kind in ("int", "float") else _choices(row)
            assert set(expected) <= set(seen) or row.kind == "choice", (dataset, row.key)


@pytest.mark.slow
@pytest.mark.parametrize("overrides", _cases())
def test_every_setting_survives_the_train_page(app, overrides: dict[str, Any]) -> None:
    spec = state.DEFAULT_SPEC.with_overrides(overrides)
    query = state.query_from_spec(spec)
    at = open_train(app, query)
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]   # nothing in the link was skipped
    back, errors = state.spec_from_query(dict(at.query_params))
    assert errors == []
    assert back == spec, {k: (v, back.to_params().get(k)) for k, v in spec.to_params().items()
                          if back.to_params().get(k) != v}


def test_the_form_shows_every_setting_of_the_table() -> None:
    """Each plain setting is a form value; hidden layers go as far as the spec allows."""
    values = state.form_values(state.DEFAULT_SPEC)
    for row in state.plain_settings():
        assert row.key in values
    assert SETTINGS["model.hidden"].max_items == state.MAX_LAYERS
    spec = state.DEFAULT_SPEC.with_overrides({"model.hidden": [3] * state.MAX_LAYERS})
    assert state.spec_from_form(state.form_values(spec)) == spec


def test_unused_settings_are_kept_and_named() -> None:
    spec = RunSpec().with_overrides({"training.optimizer": "adam", "training.momentum": 0.5})
    assert state.spec_from_form(state.form_values(spec)) == spec
    assert state.unused_settings(spec) == ["training.momentum"]


def test_early_stopping_settings_matter_only_with_early_stopping() -> None:
    off = RunSpec().with_overrides({"training.min_delta": 0.01})
    on = off.with_overrides({"training.patience": 5})
    assert state.unused_settings(off) == ["training.min_delta"]
    assert state.unused_settings(on) == []
    assert on.training.nncore_kwargs("early_stopping") == {
        "patience": 5, "min_delta": 0.01, "restore_best_weights": True}
