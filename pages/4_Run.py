"""Run page: one run in full: curves, spec, data, decisions, weights, predictions, reproduce."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from experiments import ExperimentError, RunFailed, predict_frame, queries, train
from experiments.compare import run_confusion
from experiments.export import training_script, weights_archive
from experiments.frames import history_frame, metric_title, top_weights, weights_frame
from experiments.tracking import mark_killed, redact_uri
from ui import compare_state as cs
from ui import data, sidebar, state
from ui.charts.boundary import boundary_chart
from ui.charts.dataset import class_balance, data_scatter
from ui.charts.model import confusion_matrix, weight_heatmaps
from ui.charts.training import learning_curves

st.set_page_config(page_title="Run · nncore", page_icon=sidebar.PAGE_ICON, layout="wide")
ss = st.session_state
tracking_uri = sidebar.render("run")


@st.cache_data(ttl=10, show_spinner=False, max_entries=8)
def recent_runs(uri: str) -> pd.DataFrame:
    """The store's runs, newest first (cached 10 s)."""
    return queries.runs_frame(tracking_uri=uri, max_results=500)


@st.cache_resource(show_spinner=False, max_entries=16)
def run_model(uri: str, run_id: str) -> tuple[Any, Any]:
    """A run's model and preprocessing (an ended run never changes)."""
    return queries.load_run_model(run_id, tracking_uri=uri)


#: Most raw input columns the Predict tab makes a form of (one field each).
MAX_FORM_INPUTS = 60

st.title("Run")
try:
    runs = recent_runs(tracking_uri) if data.store_has_runs(tracking_uri) else pd.DataFrame()
except Exception as e:  # MLflow raises many kinds for a store it cannot read
    st.error(f"Cannot read the tracking store {redact_uri(tracking_uri)}: "
             f"{type(e).__name__}: {e}")
    st.stop()
if runs.empty:
    with st.container(border=True):
        st.markdown("#### No runs yet")
        st.markdown("Train a network first; each run then has its page here.")
        st.page_link(sidebar.TRAIN, label="Train a network", icon=":material/play_arrow:")
    st.stop()

ids = runs["run_id"].tolist()
wanted = st.query_params.get("run")
# The first visit reads the URL; later, a link from another page (a run this page did
# not write into the URL itself) does too.
if not ss.get(cs.RUN_URL_READ) or (wanted and wanted != ss.get(cs.RUN_URL_WRITTEN)):
    ss[cs.RUN_URL_READ] = True
    if wanted:
        if wanted not in ids:
            st.warning(f"Run {wanted} is not among the {len(ids)} most recent runs of this store; "
                       "showing the newest instead.")
        else:
            ss[cs.RUN] = wanted
if ss.get(cs.RUN) not in ids:
    ss[cs.RUN] = ids[0]
labels = {r.run_id: f"{r.run_name} · {r.run_id[:6]} · {r.status.lower()} · {r.dataset}"
          for r in runs.itertuples()}
st.selectbox("Run", ids, key=cs.RUN, format_func=lambda r: labels.get(r, r))
run_id = ss[cs.RUN]
if st.query_params.get("run") != run_id:
    st.query_params["run"] = run_id
ss[cs.RUN_URL_WRITTEN] = run_id
run = runs.set_index("run_id").loc[run_id]

# --------------------------------------------------------------------------- header
try:
    spec = queries.run_spec(run_id, tracking_uri=tracking_uri)
except ExperimentError as e:
    st.error(f"This run's params do not describe a spec this version can read: {e}")
    st.stop()
status_icon = {"FINISHED": ":green[:material/check_circle:]",
               "KILLED": ":orange[:material/stop_circle:]",
               "FAILED": ":red[:material/error:]", "RUNNING": ":blue[:material/pending:]"}
started = run["start_time"].tz_convert(None).strftime("%Y-%m-%d %H:%M") if pd.notna(
    run["start_time"]) else "?"
st.markdown(f"### {run['run_name']}  \n{status_icon.get(run['status'], '')} **{run['status']}** · "
            f"{run['dataset']} · {run['architecture'] or spec.model.type} · started {started} "
            f"UTC · experiment *{run['experiment']}*")
if isinstance(run.get("failure_reason"), str):
    st.error(run["failure_reason"])
if isinstance(run.get("stop_reason"), str):
    st.caption(f"Stopped: {run['stop_reason']}")
if run["status"] == "RUNNING":  # a run whose process is gone stays RUNNING: end it here
    k1, k2 = st.columns([3, 1], vertical_alignment="center")
    k1.caption(f"{queries.status_labels(runs[runs['run_id'] == run_id]).iloc[0]}. If the "
               "process training it is gone (a closed terminal, a crash), mark it as killed.")
    if k2.button("Mark as killed", key="run_mark_killed", icon=":material/stop_circle:",
                 help="Record this run as KILLED, tagged as marked by hand. Only for a run "
                      "whose process is gone: one still training keeps its own record."):
        try:
            mark_killed(run_id, tracking_uri)
        except ExperimentError as e:
            st.error(f"The run was not marked as killed: {e}")
        else:
            recent_runs.clear()
            data.runs_table.clear()
            st.rerun()
shown_metrics = [m for m in ("val_accuracy", "val_loss", "val_rmse", "train_accuracy",
                             "train_loss", "epochs", "duration_s")
                 if pd.notna(run.get(f"metrics.final_{m}", float("nan")))]
if shown_metrics:
    cols = st.columns(len(shown_metrics))
    for col, m in zip(cols, shown_metrics, strict=True):
        value = float(run[f"metrics.final_{m}"])
        text = (f"{value:.1%}" if "accuracy" in m else f"{value:,.0f}" if m == "epochs"
                else f"{value:.1f} s" if m == "duration_s" else f"{value:.4f}")
        col.metric(metric_title(m) if m not in ("epochs", "duration_s")
                   else {"epochs": "epochs", "duration_s": "training time"}[m], text)

# --------------------------------------------------------------------------- actions
# The actions on this run as buttons in one row, the pages it leads to as links below
# (a page link has no border: among the buttons it read as a broken one).
a1, a2, a3, a4 = st.columns(4)
with a1:
    reproduce = st.button("Reproduce this run", key=cs.REPRODUCE, icon=":material/replay:",
                          type="primary", width="stretch",
                          help="Train again with the same spec (seeds included); the new "
                               "run is tagged with this one's id.")
with a2:
    st.download_button("Export as script", training_script(spec, run_id=run_id),
                       file_name=f"train_{run_id[:8]}.py", mime="text/x-python",
                       key="run_export_script", on_click="ignore", icon=":material/code:",
                       width="stretch")
with a3:
    st.download_button("spec.toml", spec.to_toml(), file_name=f"spec_{run_id[:8]}.toml",
                       mime="application/toml", key="run_spec_toml", on_click="ignore",
                       icon=":material/description:", width="stretch")
model, preprocessor, model_error = None, None, None
try:
    model, preprocessor = run_model(tracking_uri, run_id)
except Exception as e:  # no weights (failed early), or an unreachable artifact store
    model_error = f"{type(e).__name__}: {e}"
with a4:
    if model is not None:
        st.download_button("Weights (.zip)", lambda: weights_archive(model),
                           file_name=f"weights_{run_id[:8]}.zip", mime="application/zip",
                           key="run_weights", on_click="ignore", icon=":material/download:",
                           width="stretch",
                           help="model.npz + model.json: nncore.load('model') reads them.")
    else:
        st.button("Weights (.zip)", disabled=True, key="run_weights_missing", width="stretch",
                  help="This run has no saved weights.")
l1, l2 = st.columns(2)
l1.page_link(sidebar.TRAIN, label="Tweak in Train", icon=":material/tune:",
             query_params=state.query_from_spec(spec) if spec.dataset.name != "csv" else None,
             help="The Train page with this run's settings filled in.")
if model is not None and spec.dataset.name != "csv":  # Learn rebuilds the run's dataset
    l2.page_link(sidebar.LEARN, label="Step through its backpropagation on Learn",
                 icon=":material/school:", query_params={"source": "run", "run": run_id})

if reproduce:
    with st.spinner("Training the same spec again…"):
        try:
            result = train(spec, tracking_uri=tracking_uri, source="dashboard",
                           tags={"reproduces": run_id})
        except (RunFailed, ExperimentError) as e:
            st.error(f"The new run failed: {e}")
        else:
            ss[cs.REPRODUCED] = result.run_id
            recent_runs.clear()
            data.runs_table.clear()
new_id = ss.get(cs.REPRODUCED)
if new_id:
    with st.container(border=True):
        st.success(f"Reproduced as run {new_id}.")
        st.page_link(sidebar.RUN, label="Open the new run", icon=":material/open_in_new:",
                     query_params={"run": new_id})
        st.page_link(sidebar.COMPARE, label="Compare both",
                     icon=":material/compare_arrows:",
                     query_params={"runs": f"{run_id},{new_id}"})

# --------------------------------------------------------------------------- curves
dataset = None
try:
    d = spec.dataset
    dataset = data.dataset(d.name, d.test_size, d.seed, dict(d.params))
except ExperimentError as e:
    st.warning(f"The run's dataset cannot be rebuilt here: {e}")

curves_tab, model_tab, predict_tab, spec_tab, data_tab = st.tabs(
    ["Curves", "Decisions & weights", "Predict", "Spec", "Dataset"])
with curves_tab:
    full = queries.full_history(run_id, tracking_uri=tracking_uri)
    if len(full) and "epoch" in full.columns and len(full.columns) > 1:
        frame = history_frame(full.to_dict("records"))
    else:
        logged = queries.metric_history(run_id, tracking_uri=tracking_uri)
        frame = history_frame(
            logged.pivot_table(index="step", columns="metric", values="value")
            .reset_index().rename(columns={"step": "epoch"}).to_dict("records"))
    if frame.empty:
        st.info("This run has no per-epoch metrics.")
    else:
        metrics_here = [m for m in ("loss", "accuracy", "rmse") if m in set(frame["metric"])]
        log_loss = st.toggle("Log scale for the loss", key="run_log")
        cols = st.columns(len(metrics_here))
        for col, m in zip(cols, metrics_here, strict=True):
            col.altair_chart(learning_curves(frame, m, log_scale=log_loss and m == "loss",
                                             height=260), width="stretch")
        best = run.get("metrics.final_best_epoch")
        if pd.notna(best):
            st.caption(f"Early stopping kept the weights of epoch {int(best)}.")

with model_tab:
    left, right = st.columns(2)
    with left:
        grid = queries.decision_boundary(run_id, tracking_uri=tracking_uri)
        if grid is not None and dataset is not None and dataset.is_2d:
            st.altair_chart(boundary_chart(grid, dataset), width="stretch")
        elif model is not None and dataset is not None and dataset.task != "regression":
            conf = run_confusion(run_id, tracking_uri=tracking_uri)
            if conf is not None:
                st.altair_chart(confusion_matrix(conf, title="confusion matrix (validation)",
                                                 fit_width=True), width="stretch")
        else:
            st.caption("No decision boundary: the dataset is not two-dimensional.")
    with right:
        if model is not None and dataset is not None and dataset.is_2d and \
                dataset.task != "regression":
            conf = run_confusion(run_id, tracking_uri=tracking_uri)
            if conf is not None:
                st.altair_chart(confusion_matrix(conf, title="confusion matrix (validation)",
                                                 fit_width=True), width="stretch")
    st.markdown("**Weights**")
    if model is not None:
        names = dataset.feature_names if dataset is not None else None
        weights, cut = top_weights(weights_frame(model, names))
        st.altair_chart(weight_heatmaps(weights), width="content")
        st.caption(" ".join(["Rows are inputs, columns units; red positive, blue negative.",
                             *cut]))
    else:
        st.info(f"This run has no saved weights ({model_error}).")

with predict_tab:
    if model is None or preprocessor is None:
        st.info("This run has no saved model to predict with.")
    elif len(preprocessor.to_dict()["columns"]) > MAX_FORM_INPUTS:
        st.info(f"This model reads {len(preprocessor.to_dict()['columns']):,} columns: too many "
                "to type in. Predict a table from Python: `model, prep = experiments.queries."
                f"load_run_model('{run_id}')`, then `experiments.predict_frame(model, prep, "
                "frame)`.")
    else:
        admissions = spec.dataset.name == "student_admissions"
        st.markdown("**Try an applicant**" if admissions else "**Predict one example**")
        st.caption("Admission from GRE score, GPA and the rank of the undergraduate school (1 "
                   "is the most prestigious)." if admissions else
                   "Enter raw feature values; the run's own preprocessing is applied.")
        layout = preprocessor.to_dict()["columns"]
        raw = dataset.raw_train if dataset is not None else None
        with st.form(cs.PREDICT_FORM):
            cols = st.columns(min(4, max(1, len(layout))))
            inputs: dict[str, Any] = {}
            for i, column in enumerate(layout):
                name = column["name"]
                key = cs.feature_key(name)
                with cols[i % len(cols)]:
                    if column["kind"] == "onehot":
                        cats = list(column["categories"])
                        default = raw[name].mode().iloc[0] if raw is not None else cats[0]
                        inputs[name] = st.selectbox(
                            name, cats, index=cats.index(default) if default in cats else 0,
                            key=key)
                    else:
                        series = raw[name] if raw is not None and name in raw else None
                        is_int = series is not None and pd.api.types.is_integer_dtype(series)
                        median = float(series.median()) if series is not None else 0.0
                        lo = float(series.min()) if series is not None else None
                        hi = float(series.max()) if series is not None else None
                        inputs[name] = st.number_input(
                            name, value=round(median) if is_int else median,
                            step=1 if is_int else 0.01, key=key,
                            format=None if is_int else "%.2f",
                            help=f"training data: {lo:g} to {hi:g}" if lo is not None else None)
            submitted = st.form_submit_button("Predict", icon=":material/psychology:")
        if submitted or ss.get("run_predicted"):
            ss["run_predicted"] = True
            try:
                out = predict_frame(model, preprocessor, pd.DataFrame([inputs]))
            except Exception as e:  # a value the preprocessing cannot take
                st.error(f"Cannot predict from these values: {e}")
            else:
                probs = [c for c in out.columns if c.startswith("probability_")]
                target = preprocessor.target
                if target.task == "regression":
                    st.metric(f"predicted {target.name}", f"{out['prediction'].iloc[0]:.4g}")
                elif probs:
                    names = dataset.class_names if dataset is not None else [
                        c.removeprefix("probability_") for c in probs]
                    if len(probs) == 2:
                        p = float(out[probs[1]].iloc[0])
                        label = ("probability of admission" if admissions
                                 else f"probability of {names[1]}")
                        st.metric(label, f"{p:.1%}")
                        st.progress(p)
                    table = pd.DataFrame({"class": list(names),
                                          "probability": out[probs].iloc[0].to_numpy()})
                    st.dataframe(table, hide_index=True, column_config={
                        "probability": st.column_config.ProgressColumn(
                            format="percent", min_value=0.0, max_value=1.0)})
                else:
                    st.metric("prediction", str(out["prediction"].iloc[0]))

with spec_tab:
    left, right = st.columns(2)
    with left:
        st.markdown("**spec.toml**")
        st.code(spec.to_toml(), language="toml")
    with right:
        st.markdown("**MLflow**")
        experiment_id = None
        try:
            from mlflow import MlflowClient

            experiment_id = MlflowClient(tracking_uri).get_run(run_id).info.experiment_id
        except Exception:  # the header already shows the run; the command is a bonus
            pass
        st.code(sidebar.mlflow_ui_command(tracking_uri, experiment_id, run_id), language="bash",
                wrap_lines=True)
        st.caption(f"Run id `{run_id}`")
        params = pd.DataFrame({"param": list(spec.to_params()),
                               "value": list(spec.to_params().values())})
        st.dataframe(params, hide_index=True, width="stretch", height=300)

with data_tab:
    if dataset is None:
        st.info("The dataset cannot be rebuilt here.")
    else:
        st.markdown(f"**{dataset.name}** · {dataset.summary()}")
        st.caption(f"{dataset.description} Source: {dataset.source}")
        points = dataset.frame()
        classes = list(dataset.class_names) or None
        if dataset.is_2d:
            x, y = dataset.raw_feature_names
            color = "label" if classes else dataset.target_name
            st.altair_chart(data_scatter(points, x, y, color, classes=classes),
                            width="stretch")
        elif classes:
            st.altair_chart(class_balance(points, classes=classes), width="stretch")
        st.dataframe(points.head(200), hide_index=True, width="stretch", height=240)

st.divider()
st.page_link(sidebar.COMPARE, label="Compare with other runs",
             icon=":material/compare_arrows:", query_params={"runs": run_id})
