"""The Train page's form, the run spec and the URL query string, converted into each other.

Pure functions (no streamlit), so the round trip is tested on its own:

* :func:`form_values` — a :class:`~experiments.RunSpec` to widget values by key;
* :func:`spec_from_form` — widget values back to a validated spec;
* :func:`query_from_spec` / :func:`spec_from_query` — the spec to the URL query
  string (only settings that differ from the defaults) and back.

>>> spec = DEFAULT_SPEC.with_overrides({"dataset.name": "moons", "model.hidden": "8,8"})
>>> spec_from_query(query_from_spec(spec))[0] == spec
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import nncore
from experiments import RunSpec, SpecError, get_dataset_info
from ui import keys

#: What pressing Train with no changes trains: the admissions lesson's small network.
DEFAULT_SPEC = RunSpec.from_dict({
    "dataset": {"name": "student_admissions", "test_size": 0.2, "seed": 0, "scaling": "course"},
    "model": {"hidden": [8], "activation": "sigmoid"},
    "training": {"optimizer": "sgd", "learning_rate": 0.1, "epochs": 1000, "batch_size": 32,
                 "seed": 0},
})

MODEL_KINDS = {
    "network": "Neural network",
    "linear": "Logistic / softmax regression",
    "perceptron": "Perceptron",
}
OPTIMIZER_CHOICES = {
    "gd": "Full-batch gradient descent",
    "sgd": "Mini-batch SGD",
    "momentum": "SGD with momentum",
    "adam": "Adam",
}
MAX_LAYERS = 6
DEFAULT_UNITS = 8
#: Settings that cannot travel in a URL (a path on the server).
NOT_IN_URL = frozenset({"dataset.path"})


def hidden_activations() -> list[str]:
    """Activations a hidden layer may use (from nncore's registry)."""
    return [a for a in nncore.ACTIVATIONS if a not in ("softmax", "step")]


def output_choices() -> list[str]:
    """``auto`` then every output activation nncore has (except step)."""
    return ["auto", *(a for a in nncore.ACTIVATIONS if a != "step")]


def loss_choices() -> list[str]:
    """``auto`` then nncore's losses."""
    return ["auto", *nncore.LOSSES]


def init_choices() -> list[str]:
    """``auto`` then nncore's initialisers."""
    return ["auto", *nncore.INITIALIZERS]


def optimizer_choice(spec: RunSpec) -> str:
    """Which of :data:`OPTIMIZER_CHOICES` a spec's training settings are."""
    t = spec.training
    if t.optimizer == "adam":
        return "adam"
    if t.momentum > 0:
        return "momentum"
    return "gd" if t.batch_size is None else "sgd"


def form_values(spec: RunSpec) -> dict[str, Any]:
    """Widget values (by key) that show ``spec`` in the Train page's form.

    Parameters
    ----------
    spec : RunSpec

    Returns
    -------
    dict
        One entry per widget key of :mod:`ui.keys`, including the dataset's own
        parameters and one units/activation pair per hidden layer.
    """
    m, t, d = spec.model, spec.training, spec.dataset
    values: dict[str, Any] = {
        keys.DATASET: d.name,
        keys.TEST_SIZE: float(d.test_size),
        keys.DATA_SEED: int(d.seed),
        keys.OUTPUT: m.output_activation or "auto",
        keys.LOSS: t.loss or "auto",
        keys.OPTIMIZER: optimizer_choice(spec),
        keys.LEARNING_RATE: float(t.learning_rate),
        keys.MOMENTUM: float(t.momentum) if t.momentum > 0 else 0.9,
        keys.BATCH_SIZE: int(t.batch_size) if t.batch_size is not None else 32,
        keys.FULL_BATCH: t.batch_size is None,
        keys.EPOCHS: int(t.epochs),
        keys.L2: float(t.l2),
        keys.INIT: m.init or "auto",
        keys.EARLY_STOPPING: t.patience is not None,
        keys.PATIENCE: int(t.patience) if t.patience is not None else 20,
        keys.SEED: int(t.seed),
        keys.EXPERIMENT: spec.name or "",
    }
    for name, value in d.params.items():
        values[keys.dataset_param(d.name, name)] = value
    if m.type == "perceptron":
        values[keys.MODEL_KIND] = "perceptron"
    elif m.hidden:
        values[keys.MODEL_KIND] = "network"
    else:
        values[keys.MODEL_KIND] = "linear"
    values[keys.N_LAYERS] = max(1, min(MAX_LAYERS, len(m.hidden) or 1))
    # Without hidden layers the activation is unused, but kept so links round-trip.
    acts = m.activations if m.hidden else (
        (m.activation,) if isinstance(m.activation, str) else ())
    for i in range(MAX_LAYERS):
        values[keys.units(i)] = int(m.hidden[i]) if i < len(m.hidden) else DEFAULT_UNITS
        values[keys.activation(i)] = (acts[i] if i < len(acts)
                                      else (acts[0] if acts else "relu"))
    return values


def spec_from_form(values: Mapping[str, Any]) -> RunSpec:
    """A validated spec from the Train page's widget values.

    Parameters
    ----------
    values : mapping
        Widget values by key (``st.session_state`` works); missing keys take the
        values of :data:`DEFAULT_SPEC`.

    Returns
    -------
    RunSpec

    Raises
    ------
    SpecError
        A setting is invalid; the message names it.
    """
    base = form_values(DEFAULT_SPEC)

    def get(key: str) -> Any:
        return values[key] if key in values else base.get(key)

    name = get(keys.DATASET)
    info = get_dataset_info(name)
    dataset: dict[str, Any] = {"name": name, "test_size": float(get(keys.TEST_SIZE)),
                               "seed": int(get(keys.DATA_SEED))}
    for p in info.params:
        key = keys.dataset_param(name, p.name)
        if key in values and values[key] is not None:
            dataset[p.name] = values[key]
        elif not p.required:
            dataset[p.name] = p.default
    kind = get(keys.MODEL_KIND)
    model: dict[str, Any] = {}
    if kind == "perceptron":
        model["type"] = "perceptron"
        model["activation"] = get(keys.activation(0))
    elif kind == "network":
        n = int(get(keys.N_LAYERS))
        model["hidden"] = [int(get(keys.units(i))) for i in range(n)]
        acts = [get(keys.activation(i)) for i in range(n)]
        model["activation"] = acts[0] if len(set(acts)) == 1 else acts
    else:
        model["hidden"] = []
        model["activation"] = get(keys.activation(0))
    if kind != "perceptron" and get(keys.OUTPUT) != "auto":
        model["output_activation"] = get(keys.OUTPUT)
    if get(keys.INIT) != "auto":
        model["init"] = get(keys.INIT)
    choice = get(keys.OPTIMIZER)
    training: dict[str, Any] = {
        "optimizer": "adam" if choice == "adam" else "sgd",
        "learning_rate": float(get(keys.LEARNING_RATE)),
        "epochs": int(get(keys.EPOCHS)),
        "l2": float(get(keys.L2)),
        "seed": int(get(keys.SEED)),
    }
    if choice == "momentum":
        training["momentum"] = float(get(keys.MOMENTUM))
    if choice == "sgd" or (choice in ("momentum", "adam") and not get(keys.FULL_BATCH)):
        training["batch_size"] = int(get(keys.BATCH_SIZE))
    if kind != "perceptron" and get(keys.LOSS) != "auto":
        training["loss"] = get(keys.LOSS)
    if get(keys.EARLY_STOPPING) and kind != "perceptron":
        training["patience"] = int(get(keys.PATIENCE))
    data: dict[str, Any] = {"dataset": dataset, "model": model, "training": training}
    experiment = str(get(keys.EXPERIMENT) or "").strip()
    if experiment:
        data["name"] = experiment
    return RunSpec.from_dict(data)


def query_from_spec(spec: RunSpec) -> dict[str, str]:
    """The URL query string of a spec: its dataset plus every setting that differs
    from :data:`DEFAULT_SPEC` or from the dataset's own defaults (so links stay short).

    Parameters
    ----------
    spec : RunSpec

    Returns
    -------
    dict of str to str
        Keys are the flat spec keys (``training.learning_rate``); the CSV path is
        left out (it names a file on the server).
    """
    base = DEFAULT_SPEC.to_params()
    info = get_dataset_info(spec.dataset.name)
    dataset_defaults = {p.name: p.default for p in info.params if not p.required}
    query = {"dataset.name": spec.dataset.name}
    for key, value in spec.to_params().items():
        if key in NOT_IN_URL or key == "dataset.name":
            continue
        name = key[len("dataset."):]
        if key.startswith("dataset.") and name in dataset_defaults:
            if spec.dataset.params[name] == dataset_defaults[name]:
                continue
        elif base.get(key) == value:
            continue
        query[key] = value
    return query


def spec_from_query(query: Mapping[str, str]) -> tuple[RunSpec, list[str]]:
    """The spec a URL describes, and a message per setting that could not be used.

    All settings are applied together; if that fails, they are applied one by one
    (repeatedly, since some depend on others) and the ones that still fail are
    skipped and reported, so an old or edited link never breaks the page.

    Parameters
    ----------
    query : mapping of str to str
        ``st.query_params`` (or any flat mapping of spec keys).

    Returns
    -------
    (RunSpec, list of str)
    """
    errors: list[str] = []
    spec = DEFAULT_SPEC
    name = query.get("dataset.name")
    if name:
        try:
            spec = spec.with_overrides({"dataset.name": name})
        except SpecError as e:
            errors.append(str(e))
    rest = {k: v for k, v in query.items() if k != "dataset.name" and k not in NOT_IN_URL}
    try:
        return spec.with_overrides(rest), errors
    except SpecError:
        pass
    pending = dict(rest)
    last_errors: dict[str, str] = {}
    while pending:
        progressed = False
        for key, value in list(pending.items()):
            try:
                spec = spec.with_overrides({key: value})
            except SpecError as e:
                last_errors[key] = str(e)
            else:
                progressed = True
                del pending[key]
                last_errors.pop(key, None)
        if not progressed:
            break
    errors.extend(last_errors[k] for k in pending)
    return spec, errors


def form_from_query(query: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Widget values for a URL, and messages for settings that could not be used.

    A link to an uploaded CSV keeps the model and training settings and the
    CSV's target/task/scaling choices; the file itself must be uploaded again.

    Parameters
    ----------
    query : mapping of str to str

    Returns
    -------
    (dict, list of str)
    """
    if query.get("dataset.name") != "csv":
        spec, errors = spec_from_query(query)
        return form_values(spec), errors
    rest = {k: v for k, v in query.items() if not k.startswith("dataset.")}
    spec, errors = spec_from_query(rest)
    values = form_values(spec)
    values[keys.DATASET] = "csv"
    for key, value in query.items():
        section, _, attr = key.partition(".")
        if section != "dataset" or key in NOT_IN_URL or attr == "name":
            continue
        if attr == "test_size":
            values[keys.TEST_SIZE] = float(value)
        elif attr == "seed":
            values[keys.DATA_SEED] = int(value)
        else:
            values[keys.dataset_param("csv", attr)] = value
    return values, errors
