"""The one table of settings: its rows drive the spec, agree with nncore's own checks,
and every value survives its text form (params, ``--set``, URLs) and TOML."""

from __future__ import annotations

import math
import tomllib
from dataclasses import fields

import numpy as np
import pytest
from mlflow import MlflowClient

import nncore
from experiments import RunSpec, SpecError, load_spec, train
from experiments.settings import SETTINGS, dataset_settings, section_settings, setting
from experiments.spec import ModelSpec, TrainingSpec

LIMITED = [row for row in SETTINGS.values() if row.limits is not None]


def _edges(interval: nncore.Interval) -> list[float]:
    """Values on, just inside and just outside each finite bound."""
    out: list[float] = []
    for bound in (interval.low, interval.high):
        if bound is None:
            continue
        step = 1 if interval.integer else max(abs(bound), 1.0) * 1e-9
        out += [bound - step, bound, bound + step]
    return out


@pytest.mark.parametrize("row", LIMITED, ids=lambda r: r.key)
def test_bounds_are_nncores_and_both_layers_agree_at_the_edges(row) -> None:
    assert row.interval is nncore.BOUNDS[row.limits]
    for value in _edges(row.interval):
        value = int(value) if row.interval.integer else value
        try:
            nncore.BOUNDS[row.limits].check(row.name, value)
            nncore_ok = True
        except ValueError:
            nncore_ok = False
        try:
            row.validate([value] if row.kind == "ints" else value)
            spec_ok = True
        except SpecError:
            spec_ok = False
        assert spec_ok == nncore_ok, (row.key, value)


@pytest.mark.parametrize(("cls", "section"), [(ModelSpec, "model"), (TrainingSpec, "training")])
def test_the_sections_fields_are_the_tables_rows(cls, section) -> None:
    rows = section_settings(section)
    assert [f.name for f in fields(cls)] == [row.name for row in rows]
    assert [f.default for f in fields(cls)] == [row.default for row in rows]
    for row in rows:  # the docstring is made from the table too
        assert f"{row.name} : {row.kind}" in cls.__doc__


def test_every_row_is_documented_and_maps_to_something_nncore_knows() -> None:
    targets = {"optimizer", "fit", "schedule", "early_stopping", "layers", "output", "model"}
    for row in SETTINGS.values():
        assert row.label and row.help.endswith("."), row.key
        if row.nncore is not None:
            assert row.nncore.partition(".")[0] in targets, row.key
        if row.kind == "choice":
            assert row.allowed, row.key
        if row.when is not None:
            key, values = row.when
            assert key in SETTINGS, row.key
            if values is None:
                assert SETTINGS[key].optional, row.key
            else:
                assert set(values) <= set(SETTINGS[key].allowed or ()), row.key


def _samples(row) -> list:
    if row.kind == "bool":
        return [True, False]
    if row.kind in ("choice", "names"):
        return [*(row.allowed or ()), *([None] if row.optional else [])]
    if row.kind == "text":
        return ["an experiment", 'quotes " and \\ back']
    interval = row.interval
    inside = [v for v in _edges(interval) if interval.contains(v)] if interval else [0.5]
    if row.kind == "ints":
        return [tuple(int(v) for v in inside[:2]), ()]
    if row.kind == "int":
        inside = [int(v) for v in inside]
    return [*inside, row.default, *([None] if row.optional else [])]


@pytest.mark.parametrize("row", [*SETTINGS.values(), *dataset_settings("moons")],
                         ids=lambda r: r.key)
def test_text_form_round_trips(row) -> None:
    for value in _samples(row):
        canonical = row.validate(value)
        assert row.parse(row.format(canonical)) == canonical, (row.key, value)


def test_unknown_keys_suggest_the_setting_meant() -> None:
    with pytest.raises(SpecError, match=r"training.schedule: unknown setting \(did you mean "
                                        r"'training.lr_schedule'\?\)"):
        setting("training.schedule")
    with pytest.raises(SpecError, match=r"dataset\.nois: unknown setting"):
        setting("dataset.nois", "moons")


def test_nncore_arguments_follow_the_choices() -> None:
    t = RunSpec().with_overrides({"training.optimizer": "adam", "training.momentum": 0.5,
                                  "training.lr_schedule": "cosine"}).training
    assert t.nncore_kwargs("optimizer") == {"lr": 0.1, "beta1": 0.9, "beta2": 0.999}
    assert t.nncore_kwargs("schedule") == {"min_factor": 0.0}
    assert t.nncore_kwargs("fit") == {"loss": None, "epochs": 100, "batch_size": None,
                                      "l2": 0.0, "shuffle": True}
    sgd = RunSpec().with_overrides({"training.lr_schedule": "step"}).training
    assert sgd.nncore_kwargs("optimizer") == {"lr": 0.1, "momentum": 0.0, "nesterov": False}
    assert sgd.nncore_kwargs("schedule") == {"decay_rate": 0.5, "decay_epochs": 100}


# --------------------------------------------------------------------------- a new setting


def test_learning_rate_schedule_travels_through_toml_cli_text_and_params(tmp_path) -> None:
    spec = RunSpec.from_dict({"dataset": {"name": "xor"}, "model": {"hidden": [4]},
                              "training": {"lr_schedule": "step", "lr_decay_rate": 0.25,
                                           "lr_decay_epochs": 3}})
    path = tmp_path / "s.toml"
    path.write_text(spec.to_toml())
    assert tomllib.loads(path.read_text())["training"]["lr_schedule"] == "step"
    assert load_spec(path) == spec
    assert RunSpec.from_params(spec.to_params()) == spec
    assert spec.with_overrides({"training.lr_schedule": "cosine"}).training.lr_schedule == "cosine"
    with pytest.raises(SpecError, match=r"training.lr_schedule = 'linear': allowed values are "
                                        r"'constant', 'step', 'exponential', 'cosine'"):
        spec.with_overrides({"training.lr_schedule": "linear"})
    with pytest.raises(SpecError, match=r"training.lr_decay_rate = 0.0: must be a finite number "
                                        r"in \(0, 1\]"):
        spec.with_overrides({"training.lr_decay_rate": "0"})
    assert "step schedule" in spec.summary()


def test_a_scheduled_run_records_the_schedule_and_its_learning_rates(tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    spec = RunSpec.from_dict({
        "dataset": {"name": "xor"}, "model": {"hidden": [4], "activation": "tanh"},
        "training": {"epochs": 8, "learning_rate": 0.4, "lr_schedule": "step",
                     "lr_decay_rate": 0.5, "lr_decay_epochs": 3},
    })
    result = train(spec, tracking_uri=uri, log_model=False)
    expected = [0.4 * 0.5 ** ((epoch - 1) // 3) for epoch in range(1, 9)]
    np.testing.assert_allclose(result.history.history["lr"], expected, rtol=0, atol=1e-15)
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(result.run_id)
    assert run.data.params["training.lr_schedule"] == "step"
    assert run.data.params["training.lr_decay_epochs"] == "3"
    logged = [m.value for m in sorted(client.get_metric_history(result.run_id, "lr"),
                                      key=lambda m: m.step)]
    np.testing.assert_allclose(logged, expected)
    # The same spec with a constant rate trains differently and logs no lr curve.
    constant = train(spec.with_overrides({"training.lr_schedule": "constant"}), track=False)
    assert "lr" not in constant.history.history
    assert not math.isclose(constant.history.history["train_loss"][-1],
                            result.history.history["train_loss"][-1])


def test_the_compare_page_types_params_by_the_table() -> None:
    import pandas as pd

    from experiments.compare import typed_params

    runs = pd.DataFrame({
        "run_id": ["a", "b", "c"],
        "params.training.learning_rate": ["1", "0.5", "0.25"],      # a float setting
        "params.training.epochs": ["100", "200", "300"],
        "params.training.batch_size": ["full", "32", "64"],          # the word stays
        "params.model.hidden": ["[8, 8]", "[]", "[16]"],
        "params.model.activation": ['["relu", "tanh"]', "relu", "tanh"],
        "params.dataset.noise": ["0", "0.1", "0.2"],                # a dataset's own
        "params.something.else": ["3", "4", "5"],                   # not ours: by its text
    })
    typed = typed_params(runs)
    assert typed["params.training.learning_rate"].dtype == "float64"
    assert typed["params.training.epochs"].dtype == "Int64"
    assert typed["params.training.batch_size"].tolist() == ["full", "32", "64"]
    assert typed["params.model.hidden"].tolist() == ["8x8", "none", "16"]
    assert typed["params.model.activation"].tolist() == ["relu,tanh", "relu", "tanh"]
    assert typed["params.dataset.noise"].dtype == "float64"
    assert typed["params.something.else"].dtype == "Int64"

