"""Home page of the nncore dashboard: ``streamlit run dashboard.py``."""

from __future__ import annotations

import urllib.parse

import pandas as pd
import streamlit as st

import nncore
from experiments import ExperimentError, RunSpec
from experiments.queries import status_labels
from experiments.tracking import redact_uri
from ui import data, sidebar, state, tables

st.set_page_config(page_title="nncore", page_icon=sidebar.PAGE_ICON, layout="wide")
tracking_uri = sidebar.render("home")

st.title("nncore: train small neural networks and see them learn")
st.markdown(
    "Pick a dataset and an architecture, train it with nncore's NumPy backpropagation and "
    "watch the loss fall and the decision boundary bend, live.  \n"
    "Every run is recorded in MLflow, with its settings, curves and model."
)

#: Starting points: (label, what it shows, spec overrides).
PRESETS = [
    ("Admissions network", "the course's lesson: gre, gpa, rank → admit", {}),
    ("Moons, one hidden layer", "a curved boundary from 16 tanh units",
     {"dataset.name": "moons", "model.hidden": "16", "model.activation": "tanh",
      "training.optimizer": "adam", "training.learning_rate": "0.02", "training.epochs": "300"}),
    ("XOR needs a hidden layer", "try 'Logistic regression' too: it cannot",
     {"dataset.name": "xor", "model.hidden": "8", "model.activation": "tanh",
      "training.optimizer": "adam", "training.learning_rate": "0.03", "training.epochs": "300"}),
    ("Spiral, deeper", "two ReLU layers untangle three arms",
     {"dataset.name": "spiral", "dataset.classes": "3", "dataset.n_samples": "600",
      "model.hidden": "32,32", "model.activation": "relu", "training.optimizer": "adam",
      "training.learning_rate": "0.01", "training.epochs": "500"}),
]

st.subheader("Quick start", anchor=False)
st.markdown(
    "1. Open **Train** (left), keep the defaults and press **Train**: the admissions network "
    "trains in a few seconds.\n"
    "2. Change the data, the layers or the learning rate and train again; the URL keeps the "
    "settings, so a copied link reopens them.\n"
    "3. Look at every run here, or in the MLflow UI with the command in the sidebar."
)
cols = st.columns(len(PRESETS))
for col, (label, blurb, overrides) in zip(cols, PRESETS, strict=True):
    with col.container(border=True):
        spec = state.DEFAULT_SPEC.with_overrides(overrides) if overrides else state.DEFAULT_SPEC
        st.page_link(sidebar.TRAIN, label=label, icon=":material/play_circle:",
                     query_params=state.query_from_spec(spec))
        st.caption(blurb)


def train_link(params: dict[str, str]) -> str | None:
    """A link to the Train page with a past run's settings (None if they do not parse)."""
    try:
        spec = RunSpec.from_params(params)
    except ExperimentError:
        return None
    query = state.query_from_spec(spec)
    if spec.dataset.name == "csv":
        return None
    return "Train?" + urllib.parse.urlencode(query)


def recent_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs table as shown: status (a RUNNING run's with how long it has been silent),
    dataset, architecture, validation score, link."""
    rows = []
    for status, (_, run) in zip(status_labels(runs), runs.iterrows(), strict=True):
        params = {k[len("params."):]: v for k, v in run.items()
                  if isinstance(k, str) and k.startswith("params.") and isinstance(v, str)}
        objective = params.get("sweep.objective")
        best = run.get(f"metrics.best_{objective}") if objective else None
        if best is not None and pd.notna(best):
            score = f"best {objective} {best:.4g}"
        elif "metrics.final_val_accuracy" in run and pd.notna(run["metrics.final_val_accuracy"]):
            score = f"accuracy {run['metrics.final_val_accuracy']:.1%}"
        elif "metrics.final_val_rmse" in run and pd.notna(run["metrics.final_val_rmse"]):
            score = f"RMSE {run['metrics.final_val_rmse']:.4g}"
        else:
            score = "—"
        rows.append({
            "status": status,
            "started": run["start_time"].tz_convert(None) if pd.notna(run["start_time"])
            else None,
            "dataset": run["dataset"],
            "architecture": run["architecture"] if not objective else
            tables.sweep_architecture(run.get("metrics.trials_done")),
            "validation": score,
            "epochs": run.get("metrics.final_epochs"),
            "settings": train_link(params),
            "experiment": run["experiment"],
            "run": run["run_name"],
            "open": "Run?run=" + urllib.parse.quote(str(run["run_id"])),
            "run id": run["run_id"],
        })
    return pd.DataFrame(rows)



st.subheader("Recent runs", anchor=False)
store_error = data.store_problem(tracking_uri)  # said at the top of the page (the sidebar)
try:
    runs = data.runs_table(tracking_uri, top_level=True) if store_error is None and \
        data.store_has_runs(tracking_uri) else None
except ExperimentError as e:
    runs, store_error = None, f"Cannot read the tracking store: {e}"
    st.error(store_error)
except Exception as e:  # MLflow raises many kinds for a store it cannot read
    runs, store_error = None, f"Cannot read the tracking store {redact_uri(tracking_uri)}: " \
        f"{type(e).__name__}: {e}"
    st.error(store_error)
if store_error is not None:
    st.caption("The runs of this store are listed here once it can be read.")
elif runs is None or runs.empty:
    with st.container(border=True):
        st.markdown("#### No runs yet")
        st.markdown("This store has no runs. Train your first network: the defaults take a "
                    "few seconds, and the run will appear here.")
        st.page_link(sidebar.TRAIN, label="Train the admissions network",
                     icon=":material/play_arrow:")
else:
    table = recent_runs(runs.head(20))
    st.dataframe(
        table, hide_index=True, width="stretch",
        placeholder=tables.EMPTY,  # what a run does not log (a sweep's epochs): "—"
        column_config={
            "started": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm"),
            "epochs": st.column_config.NumberColumn(format="%d"),
            "settings": st.column_config.LinkColumn("settings", display_text="open in Train"),
            "status": st.column_config.TextColumn(width="small"),
            # The id links to the run's page; the first 8 characters tell runs apart
            # (the whole id was cut off at the table's edge).
            "open": st.column_config.LinkColumn(
                "run id", display_text=r"Run\?run=(.{8})", width="small",
                help="Opens this run's page: curves, model, predictions"),
        },
        column_order=[c for c in table.columns if c != "run id"],
    )
    st.caption(f"{len(runs)} most recent runs of this store (newest first). "
               "'open in Train' reopens a run's settings; a run id opens the run's page.")
    sweeps = runs.head(20)
    sweeps = sweeps[sweeps["sweep"].notna()] if "sweep" in sweeps else sweeps.iloc[:0]
    for sweep in sweeps.itertuples():
        # A sweep is one row; its trials (child runs) open below it on demand.
        if st.toggle(f"Show the trials of sweep {sweep.sweep} ({sweep.run_id[:8]})",
                     key=f"home_sweep:{sweep.run_id}"):
            trials = data.runs_table(tracking_uri, max_results=1000,
                                     parent_run_id=sweep.run_id)
            if trials.empty:
                st.caption("No trial recorded yet.")
            else:
                st.dataframe(recent_runs(trials.sort_values(
                    "sweep_trial", key=lambda s: pd.to_numeric(s, errors="coerce"))),
                    hide_index=True, width="stretch", key=f"home_trials:{sweep.run_id}",
                    placeholder=tables.EMPTY,
                    column_config={"open": st.column_config.LinkColumn(
                        "run id", display_text=r"Run\?run=(.{8})", width="small")},
                    column_order=["status", "architecture", "validation", "epochs",
                                  "settings", "run", "open"])

st.caption(f"nncore {nncore.__version__}")
