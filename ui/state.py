"""The Train page's form, the run spec and the URL query string, converted into each other.

Pure functions (no streamlit), so the round trip is tested on its own:

* :func:`form_values` — a :class:`~experiments.RunSpec` to widget values by key;
* :func:`spec_from_form` — widget values back to a validated spec;
* :func:`query_from_spec` / :func:`spec_from_query` — the spec to the URL query
  string (only settings that differ from the form's start) and back.

Every setting of :mod:`experiments.settings` has a place in the form, so nothing a
spec holds is cut or dropped on the way through it. A widget that shows one setting
has the setting's dotted name as its key; the page's composite widgets (the model
kind, the number of hidden layers, a layer's units and activation, "Full batch",
"Early stopping") are described in :mod:`ui.keys`.

>>> spec = DEFAULT_SPEC.with_overrides({"dataset.name": "moons", "model.hidden": "8,8"})
>>> spec_from_query(query_from_spec(spec))[0] == spec
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experiments import RunSpec, SpecError, get_dataset_info
from experiments.settings import SETTINGS, Setting
from ui import keys

#: What pressing Train with no changes trains: the admissions lesson's small network.
#: Only what differs from the settings' own defaults is written here.
DEFAULT_SPEC = RunSpec().with_overrides({
    "dataset.name": "student_admissions", "model.hidden": [8], "model.activation": "sigmoid",
    "training.epochs": 1000, "training.batch_size": 32,
})

MODEL_KINDS = {
    "network": "Neural network",
    "linear": "Logistic / softmax regression",
    "perceptron": "Perceptron",
}
#: The most hidden layers a spec (and so the form) can have.
MAX_LAYERS: int = SETTINGS["model.hidden"].max_items or 10
#: Settings that cannot travel in a URL (a path on the server).
NOT_IN_URL = frozenset({"dataset.path"})
#: Settings the form shows with composite widgets (model kind, layers), not one widget.
COMPOSITE = frozenset({"model.type", "model.hidden", "model.activation"})
#: Optional numbers whose "is set" switch is the page's own toggle.
SET_SWITCHES = {keys.PATIENCE: keys.EARLY_STOPPING}


def plain_settings() -> list[Setting]:
    """The model/training/name rows that one widget each shows (composites excluded)."""
    return [row for row in SETTINGS.values()
            if not row.key.startswith("dataset.") and row.key not in COMPOSITE]


def is_optional_number(row: Setting) -> bool:
    """A number that may be unset (``batch_size = "full"``): a switch plus a number."""
    return row.kind in ("int", "float") and row.optional


def switch_key(row: Setting) -> str:
    """The key of an optional number's switch (True means "set" for :data:`SET_SWITCHES`,
    "unset" otherwise)."""
    return SET_SWITCHES.get(row.key, keys.unset(row.key))


def shown_number(row: Setting, value: Any) -> Any:
    """The number a widget shows for an optional number (its suggestion when unset)."""
    return row.suggested if value is None else value


def hidden_activations() -> list[str]:
    """Activations a hidden layer may use (from the settings table)."""
    return list(SETTINGS["model.activation"].allowed or ())


def model_kind(spec: RunSpec) -> str:
    """Which of :data:`MODEL_KINDS` a spec's model is."""
    if spec.model.type == "perceptron":
        return "perceptron"
    return "network" if spec.model.hidden else "linear"


def form_values(spec: RunSpec) -> dict[str, Any]:
    """Widget values (by key) that show ``spec`` in the Train page's form.

    Parameters
    ----------
    spec : RunSpec

    Returns
    -------
    dict
        One entry per widget key: every plain setting, the dataset's own parameters,
        the switches of optional numbers, and one units/activation pair per possible
        hidden layer.
    """
    m, d = spec.model, spec.dataset
    values: dict[str, Any] = {
        keys.DATASET: d.name,
        keys.TEST_SIZE: float(d.test_size),
        keys.DATA_SEED: int(d.seed),
        keys.MODEL_KIND: model_kind(spec),
        keys.N_LAYERS: max(1, len(m.hidden)),
    }
    current = spec.values()
    for row in plain_settings():
        value = current[row.key]
        if is_optional_number(row):
            flag = value is None
            values[switch_key(row)] = (not flag) if row.key in SET_SWITCHES else flag
            value = shown_number(row, value)
        elif row.key == keys.EXPERIMENT:
            value = value or ""
        elif value is None and row.none_word:
            value = row.none_word  # a choice shows its word ("auto") as an option
        values[row.key] = value
    for name, value in d.params.items():
        values[keys.dataset_param(d.name, name)] = value
    # Without hidden layers the activation is unused, but kept so links round-trip.
    acts = m.activations if m.hidden else (
        (m.activation,) if isinstance(m.activation, str) else ())
    for i in range(MAX_LAYERS):
        values[keys.units(i)] = (int(m.hidden[i]) if i < len(m.hidden)
                                 else SETTINGS["model.hidden"].suggested)
        values[keys.activation(i)] = acts[i] if i < len(acts) else (acts[0] if acts else "relu")
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
    dataset: dict[str, Any] = {"name": name, "test_size": get(keys.TEST_SIZE),
                               "seed": get(keys.DATA_SEED)}
    for p in info.params:
        key = keys.dataset_param(name, p.name)
        if key in values and values[key] is not None:
            dataset[p.name] = values[key]
        elif not p.required:
            dataset[p.name] = p.default
    kind = get(keys.MODEL_KIND)
    model: dict[str, Any] = {"type": "perceptron" if kind == "perceptron" else "mlp"}
    if kind == "network":
        n = int(get(keys.N_LAYERS))
        model["hidden"] = [get(keys.units(i)) for i in range(n)]
        model["activation"] = [get(keys.activation(i)) for i in range(n)]
    else:
        model["hidden"] = []
        model["activation"] = get(keys.activation(0))
    data: dict[str, Any] = {"dataset": dataset, "model": model, "training": {}}
    for row in plain_settings():
        value = get(row.key)
        if is_optional_number(row):
            switch = bool(get(switch_key(row)))
            is_set = switch if row.key in SET_SWITCHES else not switch
            value = value if is_set else None
        if row.key == keys.EXPERIMENT:
            value = str(value or "").strip() or None
        if row.key == keys.OUTPUT and kind == "perceptron" and value != "step":
            value = None  # a perceptron's output is always the step function
        if value is None or value == row.none_word:
            continue
        section, _, attr = row.key.rpartition(".")
        (data[section] if section else data)[attr] = value
    return RunSpec.from_dict(data)


def unused_settings(spec: RunSpec) -> list[str]:
    """Settings that differ from their default but do not matter given the others
    (momentum with Adam): kept in the spec, and worth a note next to the form."""
    values = spec.values()
    return [row.key for row in plain_settings()
            if values[row.key] != row.default and not row.applies(values)]


def query_from_spec(spec: RunSpec) -> dict[str, str]:
    """The URL query string of a spec: its dataset plus every setting that differs
    from :data:`DEFAULT_SPEC` or from the dataset's own defaults (so links stay short).

    Parameters
    ----------
    spec : RunSpec

    Returns
    -------
    dict of str to str
        Keys are the dotted setting names (``training.learning_rate``); the CSV path
        is left out (it names a file on the server).
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
        try:
            values[key if attr in ("test_size", "seed") else keys.dataset_param("csv", attr)] = (
                SETTINGS[key].parse(value) if key in SETTINGS else value)
        except SpecError as e:
            errors.append(str(e))
    return values, errors
