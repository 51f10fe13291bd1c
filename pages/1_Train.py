"""Train page: pick a dataset and an architecture, train, watch it learn, keep the run."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from experiments import DataError, SpecError, build_model
from experiments.datasets import Dataset, list_datasets
from experiments.frames import confusion_frame, history_frame, weights_frame
from experiments.runner import output_activation
from ui import data, keys, sidebar, state
from ui.charts.boundary import boundary_chart
from ui.charts.dataset import class_balance, data_scatter, histogram_grid, scatter_matrix
from ui.charts.model import confusion_matrix, weight_heatmaps
from ui.charts.training import learning_curves
from ui.live import TrainingJob, live_interval

st.set_page_config(page_title="Train · nncore", page_icon="🧠", layout="wide")
ss = st.session_state

# --------------------------------------------------------------------------- form state
# The form's values: from the URL on the first visit, afterwards what this session last
# had (Streamlit drops widget state while another page is shown). Widgets get them as
# their value=/index=, so even the first frame the browser draws shows the right value.
if keys.SAVED_FORM not in ss:
    query = st.query_params.to_dict()
    values, url_errors = (state.form_from_query(query) if query
                          else (state.form_values(state.DEFAULT_SPEC), []))
    ss[keys.SAVED_FORM] = values
    ss[keys.URL_ERRORS] = url_errors
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
                     help="Built-in datasets, or your own CSV file.")
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
        shown = [p for p in info.params if p.name not in ("path", "target")]
        for i, p in enumerate(shown):
            key = keys.dataset_param(info.name, p.name)
            label = p.name.replace("_", " ").capitalize()
            with cols[i % 2]:
                if p.choices:
                    st.selectbox(label, list(p.choices), key=key, help=p.help,
                                 index=index(list(p.choices), key, p.default))
                elif p.type is bool:
                    st.checkbox(label, key=key, help=p.help, value=bool(value(key, p.default)))
                elif p.type is int:
                    st.number_input(label, min_value=int(p.low) if p.low is not None else None,
                                    max_value=int(p.high) if p.high is not None else None,
                                    step=1, key=key, help=p.help,
                                    value=int(value(key, p.default)))
                else:
                    st.number_input(label, min_value=p.low, max_value=p.high, step=0.05,
                                    format="%g", key=key, help=p.help,
                                    value=float(value(key, p.default)))
            params[p.name] = ss[key]
        with cols[len(shown) % 2]:
            st.number_input("Validation fraction", min_value=0.05, max_value=0.9, step=0.05,
                            format="%.2f", key=keys.TEST_SIZE, value=value(keys.TEST_SIZE),
                            help="Share of rows held out to measure generalisation.")
        with cols[(len(shown) + 1) % 2]:
            st.number_input("Data seed", min_value=0, step=1, key=keys.DATA_SEED,
                            value=value(keys.DATA_SEED),
                            help="Seeds the generated points and the split.")
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
        if kind == "network":
            st.number_input("Hidden layers", min_value=1, max_value=state.MAX_LAYERS, step=1,
                            key=keys.N_LAYERS, value=value(keys.N_LAYERS))
            activations = state.hidden_activations()
            for i in range(int(ss[keys.N_LAYERS])):
                c_label, c_units, c_act = st.columns([0.55, 1, 1.2],
                                                     vertical_alignment="center" if i else
                                                     "bottom")
                c_label.markdown(f"**#{i + 1}**", help=None)
                c_units.number_input("Units", min_value=1, max_value=512, step=1,
                                     key=keys.units(i),
                                     value=value(keys.units(i), state.DEFAULT_UNITS),
                                     label_visibility="visible" if i == 0
                                     else "collapsed")
                c_act.selectbox("Activation", activations, key=keys.activation(i),
                                index=index(activations, keys.activation(i),
                                            ss.get(keys.activation(0), "relu")),
                                label_visibility="visible" if i == 0 else "collapsed")
        elif kind == "perceptron":
            st.caption("Rosenblatt's perceptron: a step output trained with the perceptron "
                       "trick (binary tasks only).")
        else:
            st.caption("No hidden layer: a sigmoid (two classes) or softmax (more) output "
                       "straight from the inputs.")
        if kind != "perceptron":
            c_out, c_loss = st.columns(2)
            auto_out = "sigmoid"
            auto_loss = "matched"
            if ds is not None:
                auto_out = {"binary": "sigmoid", "multiclass": "softmax",
                            "regression": "identity"}[ds.task]
                auto_loss = {"sigmoid": "binary_cross_entropy", "softmax": "cross_entropy",
                             "identity": "mse"}[auto_out]
            c_out.selectbox("Output layer", state.output_choices(), key=keys.OUTPUT,
                            index=index(state.output_choices(), keys.OUTPUT),
                            format_func=lambda v: f"auto ({auto_out})" if v == "auto" else v,
                            help="Follows the task; override it, e.g. sigmoid with MSE as "
                                 "in the course.")
            c_loss.selectbox("Loss", state.loss_choices(), key=keys.LOSS,
                             index=index(state.loss_choices(), keys.LOSS),
                             format_func=lambda v: f"auto ({auto_loss})" if v == "auto" else v)

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
        if kind == "perceptron":
            c1.number_input("Learning rate", min_value=1e-6, max_value=10.0, step=0.01,
                            format="%g", key=keys.LEARNING_RATE,
                            value=value(keys.LEARNING_RATE))
            c2.number_input("Epochs", min_value=1, max_value=1_000_000, step=100,
                            key=keys.EPOCHS, value=value(keys.EPOCHS))
        else:
            c1.selectbox("Optimizer", list(state.OPTIMIZER_CHOICES), key=keys.OPTIMIZER,
                         index=index(list(state.OPTIMIZER_CHOICES), keys.OPTIMIZER),
                         format_func=state.OPTIMIZER_CHOICES.get)
            c2.number_input("Learning rate", min_value=1e-6, max_value=10.0, step=0.01,
                            format="%g", key=keys.LEARNING_RATE, value=value(keys.LEARNING_RATE),
                            help="Step size. If training diverges, lower it.")
            choice = ss[keys.OPTIMIZER]
            c1, c2 = st.columns(2)
            c1.number_input("Epochs", min_value=1, max_value=1_000_000, step=100,
                            key=keys.EPOCHS, value=value(keys.EPOCHS))
            if choice != "gd":
                full = choice != "sgd" and ss.get(keys.FULL_BATCH, value(keys.FULL_BATCH))
                c2.number_input("Batch size", min_value=1, max_value=1_000_000, step=8,
                                key=keys.BATCH_SIZE, disabled=full,
                                value=value(keys.BATCH_SIZE))
            else:
                c2.markdown("")
                c2.caption("Full batch: one step per epoch over all training rows.")
            c1, c2 = st.columns(2)
            if choice == "momentum":
                c1.number_input("Momentum", min_value=0.0, max_value=0.999, step=0.05,
                                format="%g", key=keys.MOMENTUM, value=value(keys.MOMENTUM))
            if choice in ("momentum", "adam"):
                c2.checkbox("Full batch", key=keys.FULL_BATCH, value=value(keys.FULL_BATCH))
            c1, c2 = st.columns(2)
            c1.number_input("L2 penalty", min_value=0.0, max_value=10.0, step=0.0001,
                            format="%g", key=keys.L2, value=value(keys.L2))
            c2.selectbox("Initialiser", state.init_choices(), key=keys.INIT,
                         index=index(state.init_choices(), keys.INIT),
                         help="auto picks one per activation (He for ReLU, Xavier otherwise).")
            c1, c2 = st.columns(2, vertical_alignment="bottom")
            c1.toggle("Early stopping", key=keys.EARLY_STOPPING,
                      value=value(keys.EARLY_STOPPING),
                      help="Stop when validation loss has not improved for 'patience' "
                           "epochs, keeping the best weights.")
            if ss[keys.EARLY_STOPPING]:
                c2.number_input("Patience (epochs)", min_value=1, step=5, key=keys.PATIENCE,
                                value=value(keys.PATIENCE))
        c1, c2 = st.columns(2)
        c1.number_input("Seed", min_value=0, step=1, key=keys.SEED, value=value(keys.SEED),
                        help="Seeds weight initialisation and shuffling.")
        c2.text_input("MLflow experiment", key=keys.EXPERIMENT, value=value(keys.EXPERIMENT),
                      placeholder=ss[keys.DATASET], help="Empty: one experiment per dataset.")

        try:
            spec = state.spec_from_form(current_form())
            spec_error = None
        except SpecError as e:
            spec, spec_error = None, str(e)
        if spec_error:
            st.error(spec_error, icon=":material/tune:")
        elif spec is not None and ds is not None:
            t = spec.training
            if t.patience is not None and t.patience >= t.epochs:
                st.info(f"Patience {t.patience} ≥ {t.epochs} epochs: early stopping cannot "
                        "trigger.")
            if t.batch_size is not None and t.batch_size >= len(ds.y_train):
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
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)

experiment = spec.experiment_name if spec is not None else ss[keys.DATASET]
tracking_uri = sidebar.render("train", experiment)
data.mlflow_client(tracking_uri)  # created once per store; warms a new store in the background

if clicked and can_train and not training:
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


def live_view(job: TrainingJob) -> None:
    """Progress, Stop, live curves and boundary; redrawn on a timer while training.

    The timer's interval follows what redraws cost (``live_interval``); when it has
    to grow a lot, one full rerun declares the fragment again with the new interval.
    """
    interval = live_interval(job)

    @st.fragment(run_every=interval)
    def draw() -> None:
        if not job.running:
            st.rerun()
        started = time.thread_time()  # CPU time: what redraws take from training
        progress = job.progress()
        bar, stop = st.columns([4, 1], vertical_alignment="bottom")
        bar.progress(progress.fraction, text=progress.text())
        stop.button("Stop", key=keys.STOP, on_click=job.request_stop, icon=":material/stop:",
                    width="stretch", disabled=job.stopping)
        frame = history_frame(job.recent_records(max_points=300))
        left, right = st.columns(2)
        if len(frame):
            left.altair_chart(learning_curves(frame, "loss", height=200), width="stretch")
            right.altair_chart(learning_curves(frame, curves_metric(job.dataset.task),
                                               height=200), width="stretch")
        grid = job.grid
        if grid is not None:
            st.altair_chart(boundary_chart(grid, job.dataset,
                                           title=f"decision boundary at epoch {job.grid_epoch}",
                                           points=job.points()),
                            width="stretch")
        job.record_redraw(time.thread_time() - started)
        st.caption(f"Live view: {job.live_share:.1%} of training time "
                   f"(redrawn every {interval:.1f} s).")
        if live_interval(job) > 1.5 * interval:
            st.rerun()  # slow down: declare the fragment again with a longer interval

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
    cols[3].metric("Epochs", f"{epochs:,}",
                   help=f"best epoch {int(m['best_epoch'])}" if "best_epoch" in m else None)

    frame = history_frame(result.history.records())
    if len(frame):
        left, right = st.columns(2)
        if (frame["metric"] == "loss").any():
            left.altair_chart(learning_curves(frame, "loss", height=220), width="stretch")
        right.altair_chart(learning_curves(frame, curves_metric(dataset.task), height=220),
                           width="stretch")
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
    st.caption("Each layer's weights: rows are inputs, columns are units; red makes a unit "
               "fire more, blue less.")
    st.altair_chart(weight_heatmaps(weights_frame(model, dataset.feature_names)),
                    width="content")
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
        if numeric:
            st.altair_chart(histogram_grid(frame, numeric, color if classes else None,
                                           classes=classes, width=125),
                            width="content")
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
