"""Sweep specs: the shipped files load, and every bad space is one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.errors import SpecError
from experiments.settings import SETTINGS
from experiments.sweeps import SweepSpec, load_sweep
from experiments.sweeps.spec import grid_points

SWEEPS = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "sweeps"
BASE = {"dataset": {"name": "moons", "n_samples": 80},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 20}}


def _sweep(space: dict, **options) -> SweepSpec:
    return SweepSpec.from_dict({**BASE, "sweep": {"method": "random", "trials": 4, **options,
                                                  "space": space}})


def test_the_shipped_sweeps_load() -> None:
    files = sorted(SWEEPS.glob("*.toml"))
    assert [f.name for f in files] == ["admissions_lr_units.toml", "moons_architecture.toml",
                                       "xor_seed_replicates.toml"]
    specs = {f.stem: load_sweep(f) for f in files}
    assert specs["admissions_lr_units"].base.dataset.name == "student_admissions"
    assert specs["admissions_lr_units"].method == "tpe"
    assert specs["admissions_lr_units"].space[1].values == ((4,), (8,), (16, 16))
    assert specs["moons_architecture"].trials == 12 == specs["moons_architecture"].grid_size
    assert len(grid_points(specs["moons_architecture"])) == 12
    assert specs["xor_seed_replicates"].replicates == 5


def test_the_spec_is_frozen_and_names_itself_after_the_file() -> None:
    spec = load_sweep(SWEEPS / "xor_seed_replicates.toml")
    assert spec.name == "xor_seed_replicates"
    with pytest.raises(AttributeError):
        spec.trials = 3  # type: ignore[misc]


def test_dimensions_are_typed_by_the_settings_table() -> None:
    spec = _sweep({"training.epochs": {"uniform": [10, 50], "step": 10},
                   "training.learning_rate": {"log_uniform": [1e-4, 1.0]},
                   "model.hidden": {"choice": [[4], "8,8"]}})
    epochs, lr, hidden = spec.space
    assert epochs.integer and (epochs.low, epochs.high, epochs.step) == (10, 50, 10)
    assert lr.log and not lr.integer
    assert hidden.values == ((4,), (8, 8))   # "8,8" parsed the way --set reads it
    assert SETTINGS["training.learning_rate"].log  # the table's own hint agrees


def test_a_trial_spec_sets_params_and_the_replicate_seed() -> None:
    spec = _sweep({"training.learning_rate": {"log_uniform": [1e-3, 1.0]}}, replicates=3)
    run = spec.trial_spec({"training.learning_rate": 0.01}, replicate=2)
    assert run.training.learning_rate == 0.01 and run.training.seed == 2
    assert run.dataset == spec.base.dataset


@pytest.mark.parametrize(("space", "options", "message"), [
    ({"training.learnig_rate": {"uniform": [0.1, 1]}}, {},
     r"sweep\.space\.training\.learnig_rate: unknown setting \(did you mean 'training\.learning_rate'\?\)"),
    ({"model.hidden": {"choice": []}}, {},
     r"sweep\.space\.'model\.hidden': choice must be a non-empty list"),
    ({"training.learning_rate": {"uniform": [1.0, 0.1]}}, {},
     r"sweep\.space\.'training\.learning_rate': uniform = \[1\.0, 0\.1\]: low must not be above high"),
    ({"training.learning_rate": {"log_uniform": [0, 1.0]}}, {},
     r"sweep\.space\.'training\.learning_rate': log_uniform = \[0, 1\.0\]: a log range must stay above 0"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"method": "grid"},
     r"sweep\.space\.'training\.learning_rate': method 'grid' needs a choice of values, not a continuous range"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"trials": 0},
     r"sweep\.trials = 0: must be a whole number >= 1"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"replicates": 0},
     r"sweep\.replicates = 0: must be a whole number >= 1"),
    ({"dataset.test_size": {"uniform": [0.1, 0.95]}}, {},
     r"sweep\.space\.'dataset\.test_size': uniform = \[0\.1, 0\.95\] leaves the setting's bounds: dataset\.test_size = 0\.95: must be a finite number in \[0\.05, 0\.9\]"),
    ({"training.epochs": {"uniform": [0, 10]}}, {},
     r"sweep\.space\.'training\.epochs': uniform = \[0, 10\] leaves the setting's bounds: training\.epochs = 0: must be a whole number >= 1"),
    ({"training.epochs": {"uniform": [10.5, 20]}}, {},
     r"training\.epochs is a whole number; give whole-number bounds"),
    ({"training.optimizer": {"uniform": [0, 1]}}, {},
     r"sweep\.space\.'training\.optimizer': training\.optimizer is not a number \('sgd', 'adam'\); search it with \{ choice = \[\.\.\.\] \}"),
    ({"training.optimizer": {"choice": ["sgd", "rmsprop"]}}, {},
     r"sweep\.space\.'training\.optimizer': choice rmsprop: training\.optimizer = 'rmsprop': allowed values are 'sgd', 'adam'"),
    ({"model.hidden": {"choice": [[4], [0]]}}, {},
     r"choice \[0\]: model\.hidden\[0\] = 0: must be a whole number >= 1"),
    ({"training.learning_rate": {"between": [0.1, 1.0]}}, {},
     r"sweep\.space\.'training\.learning_rate': write one of \{ choice = \[\.\.\.\] \}, \{ uniform"),
    ({"training.learning_rate": {"uniform": [0.1]}}, {},
     r"uniform takes \[low, high\], two numbers"),
    ({"training.learning_rate": {"log_uniform": [0.01, 1.0], "step": 0.1}}, {},
     r"step applies to uniform ranges, not to log_uniform"),
    ({"training.seed": {"choice": [0, 1]}}, {},
     r"sweep\.space\.training\.seed: unknown setting"),
    ({"model.hidden": {"choice": [[4], [4]]}}, {},
     r"choice lists a value twice"),
    ({}, {}, r"sweep\.space is empty: name at least one setting to vary"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"method": "bayes"},
     r"sweep\.method = 'bayes': allowed values are 'grid', 'random', 'tpe'"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"objective": "val_acc"},
     r"sweep\.objective = 'val_acc': allowed values are 'val_loss'"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"objective": "val_rmse"},
     r"sweep\.objective = 'val_rmse': a binary dataset \(moons\) logs accuracy, not rmse"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"direction": "down"},
     r"sweep\.direction = 'down': allowed values are 'minimize', 'maximize'"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"pruner": "asha"},
     r"sweep\.pruner = 'asha': allowed values are 'none', 'median', 'hyperband'"),
    ({"training.learning_rate": {"uniform": [0.1, 1.0]}}, {"budget": 3},
     r"sweep\.budget: unknown setting"),
])
def test_every_bad_space_is_one_line_naming_the_key(space, options, message) -> None:
    with pytest.raises(SpecError, match=message) as info:
        _sweep(space, **options)
    assert "\n" not in str(info.value)


def test_a_grid_is_capped_at_its_size() -> None:
    spec = _sweep({"training.optimizer": {"choice": ["sgd", "adam"]}}, method="grid", trials=10)
    assert spec.trials == 2 == spec.grid_size


def test_the_base_comes_from_a_file_or_inline_not_both(tmp_path) -> None:
    (tmp_path / "base.toml").write_text('[dataset]\nname = "xor"\n')
    (tmp_path / "s.toml").write_text(
        'base = "base.toml"\n[sweep]\ntrials = 2\n[sweep.space]\n'
        '"training.learning_rate" = { log_uniform = [0.01, 0.1] }\n')
    assert load_sweep(tmp_path / "s.toml").base.dataset.name == "xor"
    (tmp_path / "both.toml").write_text(
        'base = "base.toml"\n[dataset]\nname = "moons"\n[sweep]\n[sweep.space]\n'
        '"training.learning_rate" = { log_uniform = [0.01, 0.1] }\n')
    with pytest.raises(SpecError, match=r"^both\.toml: a sweep takes its base run from .* not both"):
        load_sweep(tmp_path / "both.toml")
    (tmp_path / "missing.toml").write_text('base = "nope.toml"\n[sweep]\n[sweep.space]\n')
    with pytest.raises(SpecError, match=r"^missing\.toml: config file .*nope\.toml' not found"):
        load_sweep(tmp_path / "missing.toml")
    (tmp_path / "nosweep.toml").write_text('base = "base.toml"\n')
    with pytest.raises(SpecError, match=r"nosweep\.toml: a sweep file needs a \[sweep\] table"):
        load_sweep(tmp_path / "nosweep.toml")


def test_overrides_change_the_base_and_recheck_the_space() -> None:
    spec = _sweep({"training.learning_rate": {"log_uniform": [1e-3, 1.0]}})
    changed = spec.with_overrides({"training.epochs": "7"}, trials=2)
    assert changed.base.training.epochs == 7 and changed.trials == 2
    with pytest.raises(SpecError, match=r"training\.epochs = 0"):
        spec.with_overrides({"training.epochs": 0})


def test_a_sweep_travels_to_a_worker_by_pickle() -> None:
    """Dask sends the sweep to its workers pickled (read-only dataset params included)."""
    import pickle

    spec = load_sweep(SWEEPS / "moons_architecture.toml")
    assert pickle.loads(pickle.dumps(spec)) == spec
