"""The Sweep page's form and a SweepSpec, converted into each other (no streamlit)."""

from __future__ import annotations

import pytest

from experiments import SpecError
from experiments.sweeps import load_sweep
from ui import sweep_form as sf


@pytest.mark.parametrize("path", sf.shipped_sweeps(), ids=lambda p: p.stem)
def test_every_shipped_sweep_round_trips_through_the_form(path):
    sweep = load_sweep(path)
    assert sf.sweep_from_values(sf.values_from_sweep(sweep)) == sweep


def test_the_default_sweep_round_trips():
    assert sf.sweep_from_values(sf.values_from_sweep(sf.DEFAULT_SWEEP)) == sf.DEFAULT_SWEEP


@pytest.mark.parametrize("key, base", [("training.learning_rate", 0.02),
                                       ("training.epochs", 100), ("dataset.noise", 0.2),
                                       ("training.momentum", 0.0), ("training.l2", 0.0)])
def test_a_newly_varied_number_starts_with_a_valid_range(key, base):
    values = sf.values_from_sweep(sf.DEFAULT_SWEEP)
    values.update({sf.VARY: [key], **sf.default_dimension("moons", key, base)})
    sweep = sf.sweep_from_values(values)
    (dim,) = sweep.space
    assert dim.low < dim.high
    if key == "training.learning_rate":
        assert dim.log and dim.low == pytest.approx(0.002) and dim.high == pytest.approx(0.2)


def test_choices_of_a_list_setting_are_typed_and_checked():
    values = sf.values_from_sweep(sf.DEFAULT_SWEEP)
    values[sf.choices_key("model.hidden")] = "[4]; 8, 8"
    dims = {d.key: d for d in sf.sweep_from_values(values).space}
    assert dims["model.hidden"].values == ((4,), (8, 8))
    values[sf.choices_key("model.hidden")] = ""
    with pytest.raises(SpecError, match=r"model\.hidden"):
        sf.sweep_from_values(values)


def test_a_range_outside_the_settings_bounds_is_one_clear_line():
    values = sf.values_from_sweep(sf.DEFAULT_SWEEP)
    values[sf.low_key("training.learning_rate")] = 0.0
    with pytest.raises(SpecError, match=r"training\.learning_rate") as error:
        sf.sweep_from_values(values)
    assert "\n" not in str(error.value)


def test_the_direction_follows_the_objective():
    assert sf.direction_of("val_accuracy") == "maximize"
    assert sf.direction_of("val_loss") == sf.direction_of("val_rmse") == "minimize"
    assert "val_rmse" not in sf.objectives("binary")
    assert "val_accuracy" not in sf.objectives("regression")
