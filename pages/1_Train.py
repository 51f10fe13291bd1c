"""Train page: pick a dataset and an architecture, train, watch it learn, keep the run."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import nncore
from experiments import DataError, SpecError, build_model
from experiments.datasets import Dataset, list_datasets
from experiments.frames import confusion_frame, history_frame, top_weights, weights_frame
from experiments.runner import output_activation
from experiments.settings import SETTINGS, dataset_settings
from ui import data, keys, sidebar, state
from ui import setting_widgets as widgets
from ui.charts.boundary import boundary_chart
from ui.charts.dataset import class_balance, data_scatter, histogram, scatter_matrix
from ui.charts.model import confusion_matrix, weight_heatmaps
from ui.charts.training import learning_curves
from ui.live import TrainingJob, find_job, live_interval

st.set_page_config(page_title="Train · nncore", page_icon=sidebar.PAGE_ICON, layout="wide")
ss = st.session_state

# --------------------------------------------------------------------------- form state
# The form's values: from the URL on the first visit, afterwards what this session last
# had (Streamlit drops widget state while another page is shown). Widgets get them as
# their value=/index=, so even the first frame the browser draws shows the right value.
if keys.SAVED_FORM not in ss:
    query = st.query_params.to_dict()
    token = query.pop(keys.JOB_PARAM, None)
    values, url_errors = (state.form_from_query(query) if query
                          else (state.form_values(state.DEFAULT_SPEC), []))
    ss[keys.SAVED_FORM] = values
    ss[keys.URL_ERRORS] = url_errors
    if token is not None and keys.JOB not in ss:
        # A reload (or the link) of a page that was watching a run: watch it again.
        watched = find_job(token)
        if watched is None:
            ss[keys.NOTICE] = ("The run this page was watching is no longer held by the "
                               "server (it was restarted); the Compare and Run pages show "
                               "how it ended.")
        elif watched.running:
            from streamlit.runtime.scriptrunner import get_script_run_ctx

            ctx = get_script_run_ctx()
            ss[keys.JOB] = watched.attach(ctx.session_id if ctx else None)
        else:
            ss[keys.OUTCOME] = watched
form: dict[str, Any] = ss[keys.SAVED_FORM]


def value(key: str, default: Any = None) -> Any:
    """The value a widget starts with."""
    return form.get(key, default)


def index(options: list[Any], key: str, default: Any = None) -> int:
    """The position of a select widget's starting value among its options."""
    current = form.get(key, default)
    return options.index(current) if current in options else 0


def current_form() -> dict[str, Any]:
    """The saved form updated with every widget drawn so far in this run."""
    return {**form, **{k: ss[k] for k in ss if isinstance(k, str) and not k.startswith("_")}}


def lower_learning_rate(lr: float) -> None:
    form[keys.LEARNING_RATE] = lr
    ss.pop(keys.LEARNING_RATE, None)  # the widget starts again from the saved value


# --------------------------------------------------------------------------- finished jobs
job: TrainingJob | None = ss.get(keys.JOB)
if job is not None and not job.running:
    ss[keys.OUTCOME] = job
    del ss[keys.JOB]
    data.runs_table.clear()
    job = None
outcome: TrainingJob | None = ss.get(keys.OUTCOME)
training = job is not None

st.title("Train a network")
st.caption("Pick data and an architecture on the left, press **Train**, and watch the "
           "network learn on the right. Every run is recorded in MLflow.")
for message in ss.pop(keys.URL_ERRORS, []):  # shown once, when the link is opened
    st.warning(f"The link had a setting that could not be used and was skipped: {message}")
if keys.NOTICE in ss and keys.JOB not in ss and keys.OUTCOME not in ss:
    st.info(ss.pop(keys.NOTICE), icon=":material/history:")

controls, view = st.columns([0.9, 1.3], gap="large")

# --------------------------------------------------------------------------- 1. data
ds: Dataset | None = None
with controls:
    train_slot = st.empty()  # the Train button, filled once the form is validated
    with st.container(border=True):
        st.subheader("1 · Data", anchor=False)
        infos = {info.name: info for info in list_datasets()}
        st.selectbox("Dataset", list(infos), key=keys.DATASET,
                     index=index(list(infos), keys.DATASET),
                     format_func=lambda n: "Upload a CSV file" if n == "csv" else n,
                     help=SETTINGS[keys.DATASET].help)
        info = infos[ss[keys.DATASET]]
        st.caption(info.description)
        params: dict[str, Any] = {}
        data_error: str | None = None
        if info.name == "csv":
            upload = st.file_uploader("CSV file", type=["csv"], key=keys.CSV_FILE)
            path_key = keys.dataset_param("csv", "path")
            if upload is None:
                ss.pop(path_key, None)
                data_error = "Upload a CSV file to train on it (a link cannot carry the file)."
            else:
                path = data.save_upload(upload.name, upload.getvalue())
                ss[path_key] = params["path"] = str(path)
                try:
                    columns = data.csv_columns(str(path))
                except Exception as e:  # pandas' parser errors vary
                    columns, data_error = [], f"Cannot read {upload.name}: {e}"
                if columns:
                    target_key = keys.dataset_param("csv", "target")
                    if ss.get(target_key, columns[0]) not in columns:
                        ss.pop(target_key)  # another file: pick again
                    st.selectbox("Target column", columns, key=target_key,
                                 index=index(columns, target_key, columns[-1]),
                                 help="The column to predict; the others are the features.")
                    params["target"] = ss[target_key]
        cols = st.columns(2)
        shown = [row for row in dataset_settings(info.name)
                 if row.name not in ("path", "target")]
        for i, row in enumerate(shown):
            params[row.name] = widgets.widget(row, form, where=cols[i % 2],
                                              key=keys.dataset_param(info.name, row.name))
        widgets.widget(SETTINGS[keys.TEST_SIZE], form, where=cols[len(shown) % 2])
        widgets.widget(SETTINGS[keys.DATA_SEED], form, where=cols[(len(shown) + 1) % 2])
        if data_error is None:
            try:
                ds = data.dataset(info.name, ss[keys.TEST_SIZE], ss[keys.DATA_SEED], params)
            except (SpecError, DataError) as e:
                data_error = str(e)
        if data_error:
            st.error(data_error, icon=":material/description:")
        elif ds is not None:
            st.caption(f"{len(ds.y_train):,} training / {len(ds.y_val):,} validation rows · "
                       f"{ds.n_features} features · {ds.task}"
                       + (f" ({ds.n_classes} classes)" if ds.n_classes else ""))

# --------------------------------------------------------------------------- 2. model
    with st.container(border=True):
        st.subheader("2 · Model", anchor=False)
        st.radio("Model", list(state.MODEL_KINDS), key=keys.MODEL_KIND, horizontal=True,
                 index=index(list(state.MODEL_KINDS), keys.MODEL_KIND),
                 format_func=state.MODEL_KINDS.get, label_visibility="collapsed")
        kind = ss[keys.MODEL_KIND]
        hidden_row = SETTINGS["model.hidden"]
        if kind == "network":
            st.number_input("Hidden layers", min_value=1, max_value=state.MAX_LAYERS, step=1,
                            key=keys.N_LAYERS, value=value(keys.N_LAYERS),
                            help=hidden_row.help)
            activations = state.hidden_activations()
            for i in range(int(ss[keys.N_LAYERS])):
                c_label, c_units, c_act = st.columns([0.55, 1, 1.2],
                                                     vertical_alignment="center" if i else
                                                     "bottom")
                c_label.markdown(f"**#{i + 1}**", help=None)
                widgets.number(hidden_row, value(keys.units(i), hidden_row.suggested),
                               key=keys.units(i), label="Units", where=c_units,
                               label_visibility="visible" if i == 0 else "collapsed")
                c_act.selectbox("Activation", activations, key=keys.activation(i),
                                index=index(activations, keys.activation(i),
                                            ss.get(keys.activation(0), "relu")),
                                help=SETTINGS["model.activation"].help,
                                label_visibility="visible" if i == 0 else "collapsed")
        elif kind == "perceptron":
            st.caption("Rosenblatt's perceptron: a step output trained with the perceptron "
                       "trick (binary tasks only).")
        else:
            st.caption("No hidden layer: a sigmoid (two classes) or softmax (more) output "
                       "straight from the inputs.")
        if kind != "perceptron":
            c_out, c_loss = st.columns(2)
            auto_out = nncore.TASK_OUTPUT[ds.task] if ds is not None else None
            chosen_out = ss.get(keys.OUTPUT, form.get(keys.OUTPUT))
            if chosen_out == SETTINGS[keys.OUTPUT].none_word:
                chosen_out = auto_out
            auto_loss = nncore.matched_loss(chosen_out) if chosen_out else None
            widgets.choice(SETTINGS[keys.OUTPUT], value(keys.OUTPUT), where=c_out,
                           resolved=auto_out)
            widgets.choice(SETTINGS[keys.LOSS], value(keys.LOSS), where=c_loss,
                           resolved=auto_loss)
            if auto_out:
                c_out.caption(f"auto: {auto_out} for this {ds.task} task")
                c_loss.caption(f"auto: {auto_loss}")

        # Build the spec now: the model section reports what only the data can tell.
        spec = None
        spec_error: str | None = None
        try:
            spec = state.spec_from_form(current_form())
        except SpecError as e:
            spec_error = str(e)
        model_error: str | None = None
        if spec is not None and ds is not None:
            try:
                model = build_model(spec, ds)
                out = output_activation(spec, ds)
                if kind == "perceptron":
                    arch = f"{ds.n_features} inputs → step"
                else:
                    n_out = ds.n_classes if out == "softmax" else 1
                    arch = " → ".join(str(n) for n in [ds.n_features, *spec.model.hidden, n_out])
                st.markdown(f"**{model.n_params:,} parameters** · {arch} ({out} output)")
            except SpecError as e:
                model_error = str(e)
                st.error(model_error, icon=":material/schema:")

# --------------------------------------------------------------------------- 3. training
    with st.container(border=True):
        st.subheader("3 · Training", anchor=False)
        c1, c2 = st.columns(2)
        mlp = kind != "perceptron"
        if mlp:
            widgets.choice(SETTINGS[keys.OPTIMIZER], value(keys.OPTIMIZER), where=c1)
        widgets.widget(SETTINGS[keys.LEARNING_RATE], form, where=c2 if mlp else c1)
        c1, c2 = st.columns(2)
        widgets.widget(SETTINGS[keys.EPOCHS], form, where=c1)
        if mlp:
            batch_row = SETTINGS[keys.BATCH_SIZE]
            full = c2.checkbox("Full batch", key=keys.FULL_BATCH, value=value(keys.FULL_BATCH),
                               help="One gradient step per epoch over all training rows "
                                    "(batch_size = full).")
            widgets.number(batch_row, state.shown_number(batch_row, value(keys.BATCH_SIZE)),
                           where=c2, disabled=full)
            c1, c2 = st.columns(2)
            if ss[keys.OPTIMIZER] == "sgd":
                widgets.widget(SETTINGS[keys.MOMENTUM], form, where=c1)
            widgets.widget(SETTINGS[keys.L2], form, where=c2)
            c1, c2 = st.columns(2, vertical_alignment="bottom")
            patience_row = SETTINGS[keys.PATIENCE]
            c1.toggle("Early stopping", key=keys.EARLY_STOPPING,
                      value=value(keys.EARLY_STOPPING), help=patience_row.help)
            if ss[keys.EARLY_STOPPING]:
                widgets.number(patience_row,
                               state.shown_number(patience_row, value(keys.PATIENCE)),
                               where=c2, label="Patience (epochs)")
        c1, c2 = st.columns(2)
        widgets.widget(SETTINGS[keys.SEED], form, where=c1)
        c2.text_input("MLflow experiment", key=keys.EXPERIMENT, value=value(keys.EXPERIMENT),
                      placeholder=ss[keys.DATASET], help=SETTINGS[keys.EXPERIMENT].help)

        # Every other setting of the table, where it matters for the current choices.
        drawn = {keys.OUTPUT, keys.LOSS, keys.OPTIMIZER, keys.LEARNING_RATE, keys.EPOCHS,
                 keys.BATCH_SIZE, keys.MOMENTUM, keys.L2, keys.PATIENCE, keys.SEED,
                 keys.EXPERIMENT}
        try:
            now = state.spec_from_form(current_form()).values()
        except SpecError:  # said below; meanwhile show what the saved form holds
            now = {**state.DEFAULT_SPEC.values(), **form,
                   "model.type": "perceptron" if kind == "perceptron" else "mlp"}
        advanced = [row for row in state.plain_settings()
                    if row.key not in drawn and row.applies(now)]
        with st.expander("Advanced", expanded=any(
                form.get(row.key) != row.default for row in advanced)):
            cols = st.columns(2)
            for i, row in enumerate(advanced):
                widgets.widget(row, form, where=cols[i % 2])

        try:
            spec = state.spec_from_form(current_form())
            spec_error = None
        except SpecError as e:
            spec, spec_error = None, str(e)
        if spec_error:
            st.error(spec_error, icon=":material/tune:")
        elif spec is not None:
            for key in state.unused_settings(spec):
                st.caption(f"`{key} = {spec.to_params()[key]}` is kept in the run's record "
                           "but has no effect with the current choices.")
            t = spec.training
            if t.patience is not None and t.patience >= t.epochs:
                st.info(f"Patience {t.patience} ≥ {t.epochs} epochs: early stopping cannot "
                        "trigger.")
            if ds is not None and t.batch_size is not None and t.batch_size >= len(ds.y_train):
                st.info(f"Batch size {t.batch_size} ≥ {len(ds.y_train)} training rows: this "
                        "is full-batch gradient descent.")

    can_train = spec is not None and ds is not None and not (spec_error or model_error
                                                             or data_error)
    with train_slot:
        clicked = st.button("Train", key=keys.TRAIN, type="primary",
                            icon=":material/play_arrow:", disabled=training or not can_train,
                            width="stretch")

# Remember the form (widgets of hidden sections keep their last values) and the URL.
form.update({k: ss[k] for k in state.form_values(state.DEFAULT_SPEC) if k in ss})
form.update({k: ss[k] for k in ss if isinstance(k, str)
             and k.startswith(("ds.", "units.", "activation."))})
if spec is not None:
    query = state.query_from_spec(spec)
    if job is not None:
        query[keys.JOB_PARAM] = job.token  # a reload reattaches to the running job
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)

experiment = spec.experiment_name if spec is not None else ss[keys.DATASET]
tracking_uri = sidebar.render("train", experiment, problem_in=view)  # a store problem: atop
store_error = data.store_problem(tracking_uri)  # the view; the check render made (cached)
if store_error is None:
    data.mlflow_client(tracking_uri)  # once per store; warms a new store in the background

if clicked and can_train and not training and store_error is None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    job = TrainingJob(spec, ds, tracking_uri, session_id=ctx.session_id if ctx else None,
                      before=lambda: data.wait_for_store(tracking_uri)).start()
    ss[keys.JOB] = job
    ss.pop(keys.OUTCOME, None)
    st.rerun()  # draw the whole page in its training state (Train disabled, live view)


# --------------------------------------------------------------------------- the view
def curves_metric(task: str) -> str:
    return "rmse" if task == "regression" else "accuracy"


def curves_row(frame: pd.DataFrame, task: str, *, height: int) -> None:
    """The loss and the task's metric side by side; one chart uses the whole width.

    A perceptron logs no loss (its rule needs none): its accuracy then takes the row
    instead of leaving an empty half.
    """
    if frame.empty:
        return
    present = set(frame["metric"])
    metrics = [m for m in ("loss", curves_metric(task)) if m in present]
    for col, metric in zip(st.columns(len(metrics)) if metrics else [], metrics, strict=True):
        col.altair_chart(learning_curves(frame, metric, height=height), width="stretch")


def live_view(job: TrainingJob) -> None:
    """Progress, Stop, live curves and boundary; redrawn on a timer while training.

    The timer's interval follows what redraws cost (``live_interval``); when it is off
    by more than 1.5x, the next tick makes one full rerun (before drawing, so nothing is
    drawn twice) that declares the fragment again with the new interval.
    """
    interval = live_interval(job)

    @st.fragment(run_every=interval)
    def draw() -> None:
        if not job.running:
            st.rerun()
        wanted = live_interval(job)
        if not interval / 1.5 <= wanted <= 1.5 * interval:
            st.rerun()  # declare the fragment again with the interval its cost asks for
        started = time.thread_time()  # CPU time: what redraws take from training
        progress = job.progress()
        bar, stop = st.columns([4, 1], vertical_alignment="bottom")
        bar.progress(progress.fraction, text=progress.text())
        stop.button("Stop", key=keys.STOP, on_click=job.request_stop, icon=":material/stop:",
                    width="stretch", disabled=job.stopping)
        frame = history_frame(job.recent_records(max_points=300))
        curves_row(frame, job.dataset.task, height=200)
        grid = job.grid
        if grid is not None:
            st.altair_chart(boundary_chart(grid, job.dataset,
                                           title=f"decision boundary at epoch {job.grid_epoch}",
                                           points=job.points()),
                            width="stretch")
        job.record_redraw(time.thread_time() - started)
        st.caption(f"Live view: {job.live_share:.1%} of training time "
                   f"(redrawn every {interval:.1f} s).")

    draw()


def failure_view(job: TrainingJob) -> None:
    failure = job.failure
    lr = job.spec.training.learning_rate
    if failure is not None and failure.epoch is not None:
        st.error(
            f"**Training diverged at epoch {failure.epoch}**: the loss became infinite or "
            f"NaN, which usually means the steps were too large for this model. Lower the "
            f"learning rate (now {lr:g}), e.g. to {lr / 10:g}, and train again. The run is "
            "recorded in MLflow as FAILED with this reason.", icon=":material/error:")
        st.button(f"Set the learning rate to {lr / 10:g}", key=keys.LOWER_LR,
                  on_click=lower_learning_rate, args=(lr / 10,))
    elif failure is not None:
        st.error(f"Training failed: {failure}", icon=":material/error:")
    else:
        st.error(job.error or "Training did not start.", icon=":material/warning:")
    if failure is not None and failure.history is not None and len(failure.history):
        frame = history_frame(failure.history.records())
        st.altair_chart(learning_curves(frame, "loss", log_scale=False, height=200,
                                        title="loss before it diverged"),
                        width="stretch")


def _number(value: float) -> str:
    """A readable number: ``21,734`` for large values, 4 significant digits otherwise."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def results_view(job: TrainingJob) -> None:
    result = job.result
    assert result is not None
    dataset, m = result.dataset, result.metrics
    epochs = int(m.get("epochs", len(result.history)))
    if result.status == "KILLED":
        reason = result.stop_reason or ""
        why = reason[len("stopped "):] if reason.startswith("stopped ") else f"({reason})"
        st.warning(f"**Stopped** {why}: recorded in MLflow as KILLED after {epochs:,} of "
                   f"{job.total_epochs:,} epochs. The model trained so far is kept below.",
                   icon=":material/stop_circle:")
    else:
        extra = f" ({result.stop_reason})" if result.stop_reason else ""
        st.success(f"**Finished** {epochs:,} epochs in {m.get('duration_s', 0):.1f} s{extra}.",
                   icon=":material/check_circle:")
    if result.model is not None:
        st.page_link(sidebar.LEARN, label="Step through this model's backpropagation on Learn",
                     icon=":material/school:", query_params={"source": "train"})
    if job.page_redraws:
        st.caption(f"Watching it live took {job.live_share:.1%} of the training time "
                   f"({job.page_redraws} redraws).")
    cols = st.columns(4)
    if dataset.task == "regression":
        cols[0].metric("RMSE (val.)", _number(m.get("val_rmse", float("nan"))),
                       help=f"In the units of {dataset.target_name}.")
        cols[1].metric("RMSE (train)", _number(m.get("train_rmse", float("nan"))))
    else:
        baseline = float(np.bincount(dataset.y_val.astype(int)).max() / len(dataset.y_val))
        val_acc = m.get("val_accuracy", float("nan"))
        cols[0].metric("Accuracy (val.)", f"{val_acc:.1%}",
                       delta=f"{(val_acc - baseline) * 100:+.1f} pts",
                       help=f"The delta compares with always predicting the most common "
                            f"class, which scores {baseline:.1%} here.")
        cols[1].metric("Accuracy (train)", f"{m.get('train_accuracy', float('nan')):.1%}")
    if "val_loss" in m:
        cols[2].metric("Loss (val.)", f"{m['val_loss']:.4f}")
    cols[3 if "val_loss" in m else 2].metric("Epochs", f"{epochs:,}",  # no gap (perceptron)
                   help=f"best epoch {int(m['best_epoch'])}" if "best_epoch" in m else None)

    frame = history_frame(result.history.records())
    curves_row(frame, dataset.task, height=220)
    model = result.model
    if dataset.is_2d:
        from experiments import decision_grid

        st.altair_chart(boundary_chart(decision_grid(model, dataset, resolution=60), dataset),
                        width="stretch")
    if dataset.task != "regression":
        y_pred = np.asarray(model.predict(dataset.X_val)).reshape(-1)
        conf = confusion_frame(dataset.y_val, y_pred, dataset.class_names)
        size = min(240, 90 * len(dataset.class_names))
        st.altair_chart(confusion_matrix(conf, title="confusion matrix (validation)",
                                         size=size), width="content")
    st.markdown("**What the network learned**")
    weights, cut = top_weights(weights_frame(model, dataset.feature_names))
    st.caption(" ".join(["Each layer's weights: rows are inputs, columns are units; red makes "
                         "a unit fire more, blue less.", *cut]))
    st.altair_chart(weight_heatmaps(weights), width="content")
    with st.container(border=True):
        st.markdown("**This run in MLflow**")
        if result.run_id:
            st.markdown(f"Run id `{result.run_id}` in experiment **{job.spec.experiment_name}** "
                        f"({result.status})")
            command = sidebar.mlflow_ui_command(job.tracking_uri, result.experiment_id,
                                                result.run_id)
            if command.startswith("open "):
                st.link_button("Open the run in the MLflow UI", command[len("open "):])
            else:
                st.code(command, language="bash", wrap_lines=True)
                st.caption("then open http://127.0.0.1:5000 → experiment "
                           f"**{job.spec.experiment_name}** → Runs.")


def preview(dataset: Dataset) -> None:
    frame = dataset.frame()
    color = "label" if dataset.task != "regression" else dataset.target_name
    classes = list(dataset.class_names) or None
    if dataset.is_2d:
        x, y = dataset.raw_feature_names
        st.altair_chart(data_scatter(frame, x, y, color, classes=classes), width="stretch")
    else:
        numeric = [c for c in dataset.raw_feature_names
                   if pd.api.types.is_numeric_dtype(frame[c])][:12]
        # Two histograms a row, each as wide as its column: three fixed-width panels
        # were wider than this half of the page and the third was cut off.
        for start in range(0, len(numeric), 2):
            for col, name in zip(st.columns(2), numeric[start:start + 2], strict=False):
                col.altair_chart(histogram(frame, name, color if classes else None,
                                           classes=classes), width="stretch")
        if 2 <= len(numeric) <= 5:
            with st.expander("Scatter matrix"):
                st.altair_chart(scatter_matrix(frame, numeric, color if classes else None,
                                               classes=classes), width="content")
    if classes:
        st.altair_chart(class_balance(frame, classes=classes), width="stretch")


with view:
    current: TrainingJob | None = ss.get(keys.JOB)
    if current is not None:
        st.subheader("Training…", anchor=False)
        live_view(current)
    elif outcome is not None:
        st.subheader("Last run", anchor=False)
        if outcome.result is not None:
            results_view(outcome)
        else:
            failure_view(outcome)
    if ds is not None:
        if current is None and outcome is None:
            st.subheader(f"The data · {ds.name}", anchor=False)
            preview(ds)
        else:
            with st.expander(f"The data · {ds.name}"):
                preview(ds)
    elif current is None and outcome is None:
        st.info("The data will show here once its settings on the left are complete.",
                icon=":material/dataset:")
