"""Where the Learn page's network comes from: a fresh one, a finished run, the Train page.

Each picker draws its widgets and returns ``(signature, build)``: the signature says what
was chosen (a new one makes a new lesson), ``build()`` makes the
:class:`~ui.learn_session.Lesson`. Settings (dataset names, hidden layers, activation,
seed) are rows of the settings table, so their choices and bounds are the table's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from experiments import ExperimentError, SpecError, build_model, queries
from experiments.settings import SETTINGS
from ui import data, keys, state
from ui import learn_keys as lk
from ui import setting_widgets as widgets
from ui.learn_session import LearnError, Lesson, new_lesson

Picked = tuple[tuple[Any, ...], Callable[[], Lesson]] | None

SOURCES = {
    "fresh": "A fresh small network",
    "run": "A finished run",
    "train": "The model trained on the Train page",
}


def trained_on_train_page() -> Any | None:
    """The last finished (or stopped) job of the Train page in this session, if any."""
    outcome = st.session_state.get(keys.OUTCOME)
    if outcome is not None and getattr(outcome, "result", None) is not None:
        return outcome
    return None


def dataset_for(spec: Any) -> Any:
    """The dataset a spec trains on (cached), or a LearnError saying why not."""
    d = spec.dataset
    if d.name == "csv":
        raise LearnError("this run trained on an uploaded CSV file, which the Learn page "
                         "cannot rebuild; pick another run or a fresh network")
    try:
        return data.dataset(d.name, d.test_size, d.seed, dict(d.params))
    except ExperimentError as e:
        raise LearnError(f"the run's dataset cannot be rebuilt: {e}") from None


def pick_fresh() -> Picked:
    """Dataset, model kind, hidden layers, activation and seed of a new network."""
    base = state.DEFAULT_SPEC
    names = [n for n in SETTINGS["dataset.name"].allowed or () if n != "csv"]
    c1, c2 = st.columns(2)
    c1.selectbox("Dataset", names, key=lk.DATASET,
                 index=names.index(base.dataset.name) if base.dataset.name in names else 0,
                 help=SETTINGS["dataset.name"].help)
    kind = c2.radio("Model", ["network", "perceptron"], key=lk.KIND, horizontal=True,
                    format_func={"network": "Neural network", "perceptron": "Perceptron"}.get)
    c1, c2, c3 = st.columns(3)
    hidden_row, act_row = SETTINGS["model.hidden"], SETTINGS["model.activation"]
    if kind == "network":
        c1.text_input(hidden_row.label, value=",".join(map(str, base.model.hidden)),
                      key=lk.HIDDEN, help=f"{hidden_row.help} Allowed: {hidden_row.describe()}.")
        acts = list(act_row.allowed or ())
        c2.selectbox(act_row.label, acts, key=lk.ACTIVATION,
                     index=acts.index(base.model.activations[0]) if base.model.hidden else 0,
                     help=act_row.help)
    widgets.number(SETTINGS["training.seed"], base.training.seed, key=lk.SEED, where=c3,
                   label="Seed")
    ss = st.session_state
    overrides: dict[str, Any] = {"dataset.name": ss[lk.DATASET], "training.seed": ss[lk.SEED]}
    try:
        if kind == "perceptron":
            overrides["model.type"] = "perceptron"
            overrides["model.hidden"] = ()
        else:
            overrides["model.hidden"] = hidden_row.parse(ss[lk.HIDDEN])
            overrides["model.activation"] = ss[lk.ACTIVATION]
        SETTINGS["training.seed"].validate(ss[lk.SEED])
        spec = base.with_overrides(overrides)
    except SpecError as e:
        st.error(str(e), icon=":material/tune:")
        return None
    signature = ("fresh", *sorted((k, str(v)) for k, v in overrides.items()))

    def build() -> Lesson:
        ds = dataset_for(spec)
        try:
            model = build_model(spec, ds)
        except SpecError as e:
            raise LearnError(str(e)) from None
        what = "perceptron" if kind == "perceptron" else (
            f"{' → '.join(map(str, [ds.n_features, *spec.model.hidden]))} → output")
        return new_lesson(model, ds, f"a fresh {what} on {ds.name} (seed {ss[lk.SEED]})",
                          loss=spec.training.loss)

    return signature, build


@st.cache_resource(show_spinner=False, max_entries=16)
def _run_model(uri: str, run_id: str) -> tuple[Any, Any]:
    return queries.load_run_model(run_id, tracking_uri=uri)


def pick_run(tracking_uri: str, wanted: str | None) -> Picked:
    """A finished run of the store whose model nncore can load (never unpickled)."""
    if data.store_problem(tracking_uri) is not None or not data.store_has_runs(tracking_uri):
        st.info("This store has no runs yet: train one on the Train page, or start from a "
                "fresh network.")
        return None
    try:
        runs = data.runs_table(tracking_uri, max_results=200)
    except Exception as e:  # MLflow raises many kinds for a store it cannot read
        st.error(f"Cannot read the tracking store: {type(e).__name__}: {e}")
        return None
    finished = runs[runs["status"] == "FINISHED"] if len(runs) else runs
    if finished.empty:
        st.info("No finished run in this store yet.")
        return None
    ids = finished["run_id"].tolist()
    ss = st.session_state
    if wanted and wanted in ids and ss.get(lk.RUN) is None:
        ss[lk.RUN] = wanted
    elif wanted and wanted not in ids and ss.get(lk.RUN) is None:
        st.warning(f"Run {wanted} is not a finished run of this store; pick one below.")
    labels = {r.run_id: f"{r.run_name} · {r.run_id[:6]} · {r.dataset}"
              for r in finished.itertuples()}
    st.selectbox("Run", ids, key=lk.RUN, format_func=lambda r: labels.get(r, r))
    run_id = ss[lk.RUN]

    def build() -> Lesson:
        try:
            spec = queries.run_spec(run_id, tracking_uri=tracking_uri)
        except ExperimentError as e:
            raise LearnError(f"this run's params do not describe a spec this version can "
                             f"read: {e}") from None
        try:
            model, _ = _run_model(tracking_uri, run_id)
        except Exception as e:  # no weights, an unreadable artifact store, a bad file
            raise LearnError(f"this run's model cannot be loaded ({type(e).__name__}: {e}); "
                             "pick another run") from None
        return new_lesson(model, dataset_for(spec), f"run {run_id[:8]} ({labels[run_id]})",
                          loss=spec.training.loss)

    return ("run", run_id), build


def pick_train() -> Picked:
    """The model the Train page trained last in this session."""
    job = trained_on_train_page()
    if job is None:
        st.info("Train a network on the Train page first; this session's last trained model "
                "then shows here.")
        return None
    result = job.result
    st.caption(f"Trained on **{job.dataset.name}** · {job.spec.summary().splitlines()[0]}")

    def build() -> Lesson:
        return new_lesson(result.model, job.dataset, "the model trained on the Train page",
                          loss=job.spec.training.loss)

    return ("train", job.token), build

