"""RunSpec: validation messages, and lossless round trips through params, TOML and overrides."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments import RunSpec, SpecError, load_spec
from experiments.spec import DatasetSpec, ModelSpec, TrainingSpec, param_keys

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "experiments" / "configs").glob("*.toml"))
HIDDEN_ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]


# --------------------------------------------------------------------------- strategies

_floats = st.floats(min_value=1e-6, max_value=10.0, allow_nan=False, allow_infinity=False)


@st.composite
def specs(draw: st.DrawFn) -> RunSpec:
    dataset = draw(st.sampled_from([
        DatasetSpec("moons", params={"noise": draw(st.floats(0.0, 2.0)),
                                     "n_samples": draw(st.integers(20, 5000))}),
        DatasetSpec("spiral", params={"classes": draw(st.integers(2, 6)),
                                      "turns": draw(st.floats(0.25, 4.0))}),
        DatasetSpec("student_admissions",
                    params={"scaling": draw(st.sampled_from(["course", "standardize"]))}),
        DatasetSpec("csv", params={"path": draw(st.text(min_size=1).filter(str.strip)),
                                   "target": draw(st.text(min_size=1).filter(str.strip))}),
    ]))
    dataset = DatasetSpec(dataset.name, draw(st.floats(0.05, 0.9)), draw(st.integers(0, 2**31)),
                          dataset.params)
    perceptron = draw(st.booleans()) and draw(st.booleans())
    hidden = () if perceptron else tuple(draw(st.lists(st.integers(1, 4096), max_size=4)))
    if hidden and draw(st.booleans()):
        activation: str | tuple[str, ...] = tuple(
            draw(st.sampled_from(HIDDEN_ACTIVATIONS)) for _ in hidden
        )
    else:
        activation = draw(st.sampled_from(HIDDEN_ACTIVATIONS))
    model = ModelSpec(
        type="perceptron" if perceptron else "mlp",
        hidden=hidden,
        activation=activation,
        output_activation=None if perceptron else draw(
            st.sampled_from([None, "sigmoid", "softmax", "identity"])),
        init=draw(st.sampled_from([None, "glorot_uniform", "he_normal", "zeros"])),
        dtype=draw(st.sampled_from(["float64", "float32"])),
    )
    momentum = draw(st.floats(0.0, 0.999))
    training = TrainingSpec(
        loss=draw(st.sampled_from([None, "binary_cross_entropy", "cross_entropy", "mse",
                                   "log_loss"])),
        optimizer=draw(st.sampled_from(["sgd", "adam"])),
        learning_rate=draw(_floats),
        momentum=momentum,
        nesterov=momentum > 0 and draw(st.booleans()),
        beta1=draw(st.floats(0.0, 0.999)),
        beta2=draw(st.floats(0.0, 0.9999)),
        epochs=draw(st.integers(1, 1_000_000)),
        batch_size=draw(st.none() | st.integers(1, 10_000)),
        l2=draw(st.floats(0.0, 1e3)),
        patience=draw(st.none() | st.integers(1, 1000)),
        min_delta=draw(st.floats(0.0, 1.0)),
        restore_best_weights=draw(st.booleans()),
        shuffle=draw(st.booleans()),
        seed=draw(st.integers(0, 2**31)),
    )
    name = draw(st.none() | st.text(min_size=1, max_size=30).filter(str.strip))
    return RunSpec(dataset, model, training, name)


# --------------------------------------------------------------------------- round trips


@given(specs())
def test_params_round_trip(spec: RunSpec) -> None:
    params = spec.to_params()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert all(len(v) <= 6000 for v in params.values())  # MLflow's param value limit
    assert RunSpec.from_params(params) == spec


@given(specs())
def test_toml_round_trip(spec: RunSpec) -> None:
    text = spec.to_toml()
    assert RunSpec.from_dict(tomllib.loads(text)) == spec


@given(specs())
def test_overrides_with_own_params_are_identity(spec: RunSpec) -> None:
    params = {k: v for k, v in spec.to_params().items() if k != "dataset.name"}
    assert spec.with_overrides(params) == spec


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    spec = RunSpec.from_dict({"name": "exp", "dataset": {"name": "xor", "noise": 0.3},
                              "model": {"hidden": [3, 2], "activation": ["relu", "tanh"]},
                              "training": {"batch_size": 8, "patience": 4}})
    path = tmp_path / "spec.toml"
    path.write_text(spec.to_toml())
    assert load_spec(path) == spec
    assert hash(load_spec(path)) == hash(spec)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_load_and_round_trip(path: Path) -> None:
    spec = load_spec(path)
    assert RunSpec.from_params(spec.to_params()) == spec
    assert RunSpec.from_dict(tomllib.loads(spec.to_toml())) == spec


def test_shipped_configs_cover_the_issue() -> None:
    names = {p.stem for p in CONFIGS}
    assert {"admissions_logistic", "admissions_mlp", "blobs_mlp"} <= names
    datasets = {load_spec(p).dataset.name for p in CONFIGS}
    assert {"moons", "circles", "xor", "spiral"} <= datasets
    assert load_spec(CONFIGS[0].with_name("admissions_logistic.toml")).model.hidden == ()


# --------------------------------------------------------------------------- values


def test_issue_example_shape() -> None:
    text = """
name = "admissions-mlp"
[dataset]
name = "student_admissions"
test_size = 0.2
seed = 0
[model]
hidden = [8]
activation = "sigmoid"
[training]
loss = "binary_cross_entropy"
optimizer = "sgd"
learning_rate = 0.1
epochs = 1000
batch_size = 32
seed = 0
"""
    spec = RunSpec.from_dict(tomllib.loads(text))
    assert spec.experiment_name == "admissions-mlp"
    assert spec.model.hidden == (8,) and spec.model.activations == ("sigmoid",)
    assert spec.training.batch_size == 32
    assert spec.with_overrides({"training.epochs": 500}).training.epochs == 500
    assert spec.dataset.params == {"scaling": "course"}  # completed with the default


def test_defaults_and_none_words() -> None:
    spec = RunSpec()
    params = spec.to_params()
    assert params["training.batch_size"] == "full"
    assert params["training.patience"] == "off"
    assert params["training.loss"] == "auto"
    assert params["model.output_activation"] == "auto"
    assert spec.experiment_name == "student_admissions"
    full = RunSpec.from_dict({"training": {"batch_size": "full", "patience": "off",
                                           "loss": "auto"}})
    assert full == spec


def test_string_overrides_as_typed_on_a_command_line() -> None:
    spec = RunSpec().with_overrides({
        "training.learning_rate": "0.05",
        "training.epochs": "500",
        "training.batch_size": "16",
        "training.shuffle": "false",
        "model.hidden": "8,4",
        "model.activation": "relu,tanh",
        "dataset.scaling": "standardize",
        "name": "trial",
    })
    assert spec.training.learning_rate == 0.05 and spec.training.epochs == 500
    assert spec.training.batch_size == 16 and spec.training.shuffle is False
    assert spec.model.hidden == (8, 4) and spec.model.activation == ("relu", "tanh")
    assert spec.dataset.params["scaling"] == "standardize"
    assert spec.name == "trial"
    assert spec.with_overrides({"training.batch_size": "full"}).training.batch_size is None


def test_changing_the_dataset_drops_its_old_parameters() -> None:
    spec = RunSpec.from_dict({"dataset": {"name": "moons", "noise": 0.5}})
    other = spec.with_overrides({"dataset.name": "circles", "dataset.factor": 0.3})
    assert other.dataset.name == "circles"
    assert other.dataset.params == {"n_samples": 200, "noise": 0.1, "factor": 0.3}


def test_spec_is_frozen() -> None:
    spec = RunSpec()
    with pytest.raises(AttributeError):
        spec.training.epochs = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.dataset.params["scaling"] = "none"  # type: ignore[index]


def test_param_keys_cover_to_params() -> None:
    spec = RunSpec.from_dict({"name": "x", "dataset": {"name": "moons"}})
    assert set(spec.to_params()) == set(param_keys("moons"))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"training": {"learning_rate": -1}},
         "training.learning_rate = -1: must be a finite number in (0, inf)"),
        ({"training": {"learning_rate": "fast"}}, "training.learning_rate = 'fast': must be a number"),
        ({"training": {"epochs": 0}}, "training.epochs = 0: must be a whole number >= 1"),
        ({"training": {"epochs": 2.5}}, "training.epochs = 2.5: must be a whole number"),
        ({"training": {"momentum": 1.0}}, "training.momentum = 1.0: must be a finite number in [0, 1)"),
        ({"training": {"nesterov": True}}, "training.nesterov = true needs training.momentum > 0"),
        ({"training": {"optimizer": "adamw"}},
         "training.optimizer = 'adamw': allowed values are 'sgd', 'adam' (did you mean 'adam'?)"),
        ({"training": {"loss": "bce"}}, "training.loss = 'bce': allowed values are"),
        ({"training": {"batch_size": 0}}, "training.batch_size = 0: must be a whole number >= 1"),
        ({"training": {"patience": "soon"}}, "training.patience = 'soon': must be a whole number"),
        ({"training": {"lr": 0.1}},
         "training.lr: unknown setting (did you mean 'training.learning_rate'?)"),
        ({"model": {"activation": "relux"}},
         "model.activation = 'relux': allowed values are 'identity'"),
        ({"model": {"activation": "softmax"}}, "model.activation = 'softmax': allowed values"),
        ({"model": {"hidden": [8, 0]}}, "model.hidden[1] = 0: must be a whole number >= 1"),
        ({"model": {"hidden": "big"}}, "model.hidden = 'big': must be a list of layer sizes"),
        ({"model": {"hidden": [8], "activation": ["relu", "tanh"]}},
         "give one activation for all layers or one per hidden layer (1)"),
        ({"model": {"type": "perceptron", "hidden": [3]}}, "a perceptron has no hidden layers"),
        ({"model": {"type": "cnn"}}, "model.type = 'cnn': allowed values are 'mlp', 'perceptron'"),
        ({"model": {"dtype": "float16"}}, "model.dtype = 'float16': allowed values"),
        ({"dataset": {"name": "mnist"}}, "dataset.name = 'mnist': unknown dataset"),
        ({"dataset": {"name": "moons", "nois": 0.1}},
         "dataset.nois: unknown setting (did you mean 'dataset.noise'?)"),
        ({"dataset": {"test_size": 0}}, "dataset.test_size = 0: must be a finite number in [0.05, 0.9]"),
        ({"trainig": {}}, "trainig: unknown setting (did you mean 'training'?)"),
        ({"training": 3}, "[training] must be a table of settings"),
        ({"name": ""}, "name = '': must be a non-empty text"),
    ],
)
def test_errors_name_the_field_the_value_and_what_is_allowed(data: dict, message: str) -> None:
    with pytest.raises(SpecError) as err:
        RunSpec.from_dict(data)
    assert message in str(err.value)


def test_bad_override_values() -> None:
    with pytest.raises(SpecError, match=r"training.epochs = 'many': must be a whole number"):
        RunSpec().with_overrides({"training.epochs": "many"})
    with pytest.raises(SpecError, match=r"training.batch_size = 'x': .* or 'full'"):
        RunSpec().with_overrides({"training.batch_size": "x"})
    with pytest.raises(SpecError, match="unknown setting"):
        RunSpec().with_overrides({"epochs": "3"})


def test_load_spec_errors_start_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"config file .* not found"):
        load_spec(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[training\nepochs = 3\n")
    with pytest.raises(SpecError, match=r"^broken.toml: invalid TOML"):
        load_spec(broken)
    bad = tmp_path / "bad.toml"
    bad.write_text("[training]\nepochs = -3\n")
    with pytest.raises(SpecError, match=r"^bad.toml: training.epochs = -3"):
        load_spec(bad)


@pytest.mark.parametrize("text", ["", "\n  \n", "# a comment only\n",
                                  "[dataset]\n[model]\n[training]\n"])
def test_a_config_that_sets_nothing_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert "\n" not in message
    if text.strip().startswith("["):
        assert message.startswith("config.toml sets nothing: its tables are empty; ")
    else:
        assert message.startswith("config.toml is empty: it sets nothing; ")
    assert "experiments/configs" in message


def test_a_config_with_one_setting_or_only_a_name_loads(tmp_path: Path) -> None:
    one = tmp_path / "one.toml"
    one.write_text("[training]\nepochs = 7\n")
    assert load_spec(one).training.epochs == 7
    named = tmp_path / "named.toml"
    named.write_text('name = "defaults on purpose"\n')
    assert load_spec(named).experiment_name == "defaults on purpose"
