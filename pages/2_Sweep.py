"""Sweep page: search settings with Optuna, watch the trials, see what mattered."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from experiments import SpecError
from experiments.datasets import get_dataset_info, list_datasets
from experiments.formatting import format_value
from experiments.frames import metric_title
from experiments.settings import SETTINGS, dataset_settings
from experiments.sweeps import load_sweep
from experiments.sweeps.results import (
    EVALUATORS,
    best_so_far,
    objective_by_param,
    top_run_ids,
)
from experiments.sweeps.spec import METHODS, PRUNERS
from ui import data, keys, sidebar
from ui import setting_widgets as widgets
from ui import sweep_form as sf
from ui.charts.sweep import (
    importance_chart,
    log_searched,
    objective_by_param_chart,
    parallel_trials_chart,
    trials_chart,
)
from ui.jobs import current_session_id
from ui.sweep_job import SweepJob

st.set_page_config(page_title="Sweep · nncore", page_icon=sidebar.PAGE_ICON, layout="wide")
ss = st.session_state
tracking_uri = sidebar.render("sweep")
store_error = data.store_problem(tracking_uri)

# The form's values: from the URL on the first visit (a link reproduces the form),
# afterwards what this session last had; the widgets start from them.
if sf.SAVED_FORM not in ss:
    query = st.query_params.to_dict()
    token = query.pop(keys.JOB_PARAM, None)
    linked, linked_workers, ss[sf.URL_ERRORS] = (
        sf.sweep_from_query(query) if query else (sf.DEFAULT_SWEEP, 1, []))
    ss[sf.SAVED_FORM] = {**sf.values_from_sweep(linked), sf.WORKERS: linked_workers}
    if token is not None and sf.JOB not in ss:
        # A reload (or the link) of a page that was watching a sweep: watch it again.
        watched = SweepJob.find(token)
        if watched is None:
            ss[sf.LOST] = ("The sweep this page was watching is no longer held by the "
                           "server (it was restarted); its record is in the results below.")
        else:
            ss[sf.JOB] = watched.attach(current_session_id()) if watched.running else watched
form: dict[str, Any] = ss[sf.SAVED_FORM]

#: Trials compared when "Compare top 5" is clicked.
TOP = 5


def value(key: str, default: Any = None) -> Any:
    """The value a widget starts with (the saved form's)."""
    return form.get(key, default)


def index(options: list[Any], key: str, default: Any = None) -> int:
    """The position of a select widget's starting value among its options."""
    current = form.get(key, default)
    return options.index(current) if current in options else 0


def load_config() -> None:
    """Fill the form from the picked sweep TOML (the widgets start again from it)."""
    try:
        sweep = load_sweep(ss[sf.SOURCE])
    except SpecError as e:
        ss[sf.NOTICE] = str(e)
        return
    form.clear()
    form.update(sf.values_from_sweep(sweep))
    for key in [k for k in ss if isinstance(k, str) and k.startswith(("sw:", "sw_"))
                and k not in (sf.SOURCE, sf.LOAD)]:
        del ss[key]


def follow_objective() -> None:
    """A new objective brings its direction (minimize a loss, maximize an accuracy)."""
    ss[sf.DIRECTION] = form[sf.DIRECTION] = sf.direction_of(ss[sf.OBJECTIVE])


# --------------------------------------------------------------------------- finished job
job: SweepJob | None = ss.get(sf.JOB)
if job is not None and not job.running and not job.reported:
    job.reported = True  # its end is taken in once: the results show it
    if job.parent_run_id:
        ss[sf.SHOWN] = job.parent_run_id
        ss.pop(sf.PAST, None)  # the results show the sweep that just ended
    data.sweeps_table.clear()
    data.runs_table.clear()
running = job is not None and job.running

st.title("Sweep: search the settings")
st.caption("Pick a base run, the settings to vary and how to search them; Optuna proposes "
           "the trials, every trial is an MLflow child run of one sweep run. Or start from "
           "one of the shipped sweeps.")
if sf.NOTICE in ss:
    st.error(ss.pop(sf.NOTICE), icon=":material/description:")
for message in ss.pop(sf.URL_ERRORS, []):  # shown once, when the link is opened
    st.warning(f"The link had a part that could not be used and was skipped: {message}")
if sf.LOST in ss:
    st.info(ss.pop(sf.LOST), icon=":material/history:")

controls, view = st.columns([1.2, 1], gap="large")

# --------------------------------------------------------------------------- 0. start from
with controls:
    launch_slot = st.empty()
    with st.container(border=True):
        files = [str(p) for p in sf.shipped_sweeps()]
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        c1.selectbox("Start from a shipped sweep", files, key=sf.SOURCE,
                     format_func=lambda p: p.rsplit("/", 1)[-1],
                     help="The sweeps in experiments/configs/sweeps/. Load fills the form.")
        c2.button("Load", key=sf.LOAD, on_click=load_config, icon=":material/upload_file:",
                  width="stretch", disabled=running)

# --------------------------------------------------------------------------- 1. base run
    with st.container(border=True):
        st.subheader("1 · Base run", anchor=False)
        infos = {info.name: info for info in list_datasets() if info.name != "csv"}
        st.selectbox("Dataset", list(infos), key=sf.DATASET, index=index(list(infos),
                                                                          sf.DATASET),
                     help=SETTINGS["dataset.name"].help + " (An uploaded CSV trains on the "
                     "Train page; sweeps use the registered datasets.)")
        dataset_name = ss[sf.DATASET]
        st.caption(infos[dataset_name].description)
        cols = st.columns(3)
        for i, row in enumerate(dataset_settings(dataset_name)):
            widgets.widget(row, form, where=cols[i % 3],
                           key=sf.dataset_key(dataset_name, row.name))
        base_error: str | None = None
        try:
            now = sf.base_from_values({**form, **ss}).values()
        except SpecError as e:
            base_error = str(e)
            now = sf.DEFAULT_SWEEP.base.values()
        rows = {row.key: row for row in sf.base_rows(now)}
        cols = st.columns(3)
        for i, key in enumerate(k for k in sf.MAIN_SETTINGS if k in rows):
            widgets.widget(rows[key], form, where=cols[i % 3], prefix=sf.PREFIX)
        with st.expander("More base settings"):
            cols = st.columns(3)
            others = [row for key, row in rows.items() if key not in sf.MAIN_SETTINGS]
            for i, row in enumerate([SETTINGS["dataset.test_size"], SETTINGS["dataset.seed"],
                                     *others, SETTINGS["name"]]):
                widgets.widget(row, form, where=cols[i % 3], prefix=sf.PREFIX)
        try:
            base = sf.base_from_values({**form, **ss})
            base_error = None
        except SpecError as e:
            base, base_error = None, str(e)
        if base_error:
            st.error(base_error, icon=":material/tune:")
        else:
            st.caption(f"Base run: {base.summary()}")

# --------------------------------------------------------------------------- 2. space
    with st.container(border=True):
        st.subheader("2 · What to vary", anchor=False)
        options = sf.searchable(dataset_name)
        saved_vary = [k for k in value(sf.VARY, []) if k in options]
        st.multiselect("Settings to vary", options, default=saved_vary, key=sf.VARY,
                       format_func=lambda k: f"{SETTINGS[k].label if k in SETTINGS else k} "
                                             f"({k})",
                       help="Each becomes a dimension of the search space; the others keep "
                            "the base run's value.")
        for key in ss[sf.VARY]:
            if sf.kind_key(key) not in form:  # newly picked: start around the base value
                form.update(sf.default_dimension(dataset_name, key, now.get(key)))
            row = next((r for r in dataset_settings(dataset_name) if r.key == key), None) \
                or SETTINGS[key]
            with st.container(border=True):
                c1, c2 = st.columns([1, 1], vertical_alignment="center")
                c1.markdown(f"**{row.label}**  \n`{key}`")
                if sf.is_number(key):
                    c2.segmented_control("How", [sf.RANGE, sf.CHOICE], key=sf.kind_key(key),
                                         default=value(sf.kind_key(key), sf.RANGE),
                                         label_visibility="collapsed",
                                         format_func={sf.RANGE: "a range",
                                                      sf.CHOICE: "a list of values"}.get)
                kind = ss.get(sf.kind_key(key)) or sf.CHOICE
                if kind == sf.RANGE and sf.is_number(key):
                    c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
                    fmt = "%g" if row.kind == "float" else "%d"
                    cast = float if row.kind == "float" else int
                    c1.number_input("low", value=cast(value(sf.low_key(key))),
                                    key=sf.low_key(key), format=fmt)
                    c2.number_input("high", value=cast(value(sf.high_key(key))),
                                    key=sf.high_key(key), format=fmt)
                    c3.toggle("log scale", value=bool(value(sf.log_key(key))),
                              key=sf.log_key(key),
                              help="Sample evenly in log(value): for rates spanning decades.")
                else:
                    choices = sf.choice_options(dataset_name, key)
                    saved = value(sf.choices_key(key))
                    if choices is not None:
                        saved = saved if isinstance(saved, list) else [saved]
                        st.multiselect("values", choices, key=sf.choices_key(key),
                                       default=[c for c in saved if c in choices],
                                       label_visibility="collapsed")
                    else:
                        saved = "; ".join(saved) if isinstance(saved, list) else saved
                        st.text_input("values, separated by ;", value=str(saved or ""),
                                      key=sf.choices_key(key),
                                      help="e.g. `[4]; [8]; [16, 16]` for hidden layers, "
                                           "`0.01; 0.1` for numbers.")

# --------------------------------------------------------------------------- 3. search
    with st.container(border=True):
        st.subheader("3 · How to search", anchor=False)
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Method", list(METHODS), key=sf.METHOD, index=index(list(METHODS),
                                                                        sf.METHOD),
                     help="grid: every combination of the choices; random: independent "
                          "draws; tpe: Optuna's Tree-structured Parzen Estimator, which "
                          "draws near the best trials so far.")
        c2.number_input("Trials", min_value=1, max_value=1000, step=1, key=sf.TRIALS,
                        value=int(value(sf.TRIALS, 12)),
                        help="Settings to try (a grid: at most its size).")
        c3.number_input("Replicates", min_value=1, max_value=20, step=1, key=sf.REPLICATES,
                        value=int(value(sf.REPLICATES, 1)),
                        help="Seeds per setting; a trial's objective is their mean.")
        task = get_dataset_info(dataset_name).task
        objectives = sf.objectives(task)
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Objective", objectives, key=sf.OBJECTIVE,
                     index=index(objectives, sf.OBJECTIVE), format_func=metric_title,
                     on_change=follow_objective,
                     help="The per-epoch metric a trial is judged by (its final value).")
        directions = ["minimize", "maximize"]
        # Once follow_objective has set it, the session state's value wins; a non-zero
        # index beside it makes Streamlit log a warning with a stack trace on every run.
        c2.selectbox("Direction", directions, key=sf.DIRECTION,
                     index=0 if sf.DIRECTION in ss else index(directions, sf.DIRECTION),
                     help="Set from the objective (losses down, accuracies up); change it "
                          "for a metric of your own.")
        c3.selectbox("Pruner", list(PRUNERS), key=sf.PRUNER, index=index(list(PRUNERS),
                                                                        sf.PRUNER),
                     help="Stops unpromising trials early (their runs end KILLED, "
                          "'pruned at epoch N').")
        c1, c2, c3 = st.columns(3)
        c1.number_input("Workers", min_value=1, max_value=sf.MAX_WORKERS, step=1, key=sf.WORKERS,
                        value=int(value(sf.WORKERS, 1)),
                        help="1 trains the trials one after another in this server; more "
                             "start a Dask LocalCluster of that many processes for the sweep.")
        c2.number_input("Sampler seed", min_value=0, step=1, key=sf.SEED,
                        value=int(value(sf.SEED, 0)),
                        help="The same seed suggests the same settings.")
        c3.text_input("Sweep name", key=sf.NAME, value=str(value(sf.NAME, "sweep")))

    sweep = None
    sweep_error: str | None = base_error
    if base_error is None:
        try:
            sweep = sf.sweep_from_values({**form, **ss})
        except SpecError as e:
            sweep_error = str(e)
        except (TypeError, ValueError) as e:
            sweep_error = f"{type(e).__name__}: {e}"
    if sweep_error and base_error is None:
        st.error(sweep_error, icon=":material/tune:")
    elif sweep is not None:
        st.caption(f"**{sweep.name}**: {sweep.summary()} · "
                   + "; ".join(f"{d.key} {d.describe()}" for d in sweep.space))
    with launch_slot:
        launch = st.button("Launch the sweep", key=sf.LAUNCH, type="primary",
                           icon=":material/rocket_launch:", width="stretch",
                           disabled=running or sweep is None or store_error is not None)

# Remember the form (a hidden widget's value too) for the next visit, and put it in the URL.
form.update({k: ss[k] for k in ss if isinstance(k, str) and k.startswith(("sw:", "sw_"))
             and k not in (sf.SOURCE, sf.LOAD, sf.LAUNCH, sf.STOP, sf.PAST, sf.EVALUATOR)})
if sweep is not None:
    query = sf.query_from_sweep(sweep, workers=int(ss[sf.WORKERS]))
    if running:
        query[keys.JOB_PARAM] = job.token  # a reload reattaches to the running sweep
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)

if launch and sweep is not None and not running and store_error is None:
    data.mlflow_client(tracking_uri)
    # The watchdog follows this session: a tab closed for good stops the sweep.
    job = SweepJob(sweep, tracking_uri, workers=int(ss[sf.WORKERS]),
                   before=lambda: data.wait_for_store(tracking_uri),
                   session_id=current_session_id()).start()
    ss[sf.JOB] = job
    st.rerun()


# --------------------------------------------------------------------------- live view
def trials_table(trials: pd.DataFrame, params: list[str], *, height: int | None = None
                 ) -> None:
    """The trials as a table: settings, objective (± std), state, a link to the run."""
    shown = trials[["trial", *[p for p in params if p in trials], "objective",
                    "objective_std", "state", "seconds", "run_id"]].copy()
    shown["open"] = ["Run?run=" + r if isinstance(r, str) and r else None
                     for r in shown.pop("run_id")]
    st.dataframe(shown, hide_index=True, width="stretch", height=height or "auto",
                 column_config={
                     "objective": st.column_config.NumberColumn(format="%.4f"),
                     "objective_std": st.column_config.NumberColumn("± std", format="%.4f"),
                     "seconds": st.column_config.NumberColumn("s", format="%.1f"),
                     "open": st.column_config.LinkColumn("run", display_text=r"Run\?run=(.{8})"),
                 })


def live_view(job: SweepJob) -> None:
    """Progress, Stop, the trials so far and the objective per trial; redrawn every second."""

    @st.fragment(run_every=1.0)
    def draw() -> None:
        if not job.running:
            st.rerun()
        bar, stop = st.columns([2.4, 1], vertical_alignment="bottom")
        bar.progress(job.fraction, text=job.progress_text())
        stop.button("Stop", key=sf.STOP, on_click=job.request_stop, icon=":material/stop:",
                    width="stretch", disabled=job.stopping,
                    help="Running trials end KILLED, then the sweep run.")
        trials = job.trials()
        if len(trials):
            st.altair_chart(trials_chart(best_so_far(trials, job.spec.direction),
                                         job.spec.objective, height=220), width="stretch")
            trials_table(trials, [d.key for d in job.spec.space], height=260)
        else:
            st.caption("The first trial's result shows here when it ends.")

    draw()


with view:
    if running:
        st.subheader(f"Sweep {job.spec.name} running…", anchor=False)
        live_view(job)
    elif job is not None:
        if job.error:
            st.error(f"The sweep could not run: {job.error}", icon=":material/error:")
        elif job.result is not None and job.result.status == "KILLED":
            why = f" ({job.stop_reason})" if job.stop_reason else ""
            st.warning(f"**Stopped**{why} after {len(job.result.trials)} of {job.spec.trials} "
                       "trials: the running trial and the sweep run are recorded as KILLED. "
                       "The trials done are below.", icon=":material/stop_circle:")
        elif job.result is not None:
            st.success(f"**Finished** {len(job.result.trials)} trials in "
                       f"{job.finished - job.started:.1f} s.", icon=":material/check_circle:")
    if not running:
        st.info("**How a sweep works.** Each trial trains the base run with the settings "
                "Optuna proposes (every replicate an MLflow child run of one sweep run). "
                "While it runs, this side shows the trials as they end; the results below "
                "show which settings won and which mattered.", icon=":material/lightbulb:")

# --------------------------------------------------------------------------- results
st.divider()
st.header("Results", anchor=False)
if store_error is not None:
    st.caption("Past sweeps are listed here once the store can be read.")
    st.stop()
sweeps = data.sweeps_table(tracking_uri) if data.store_has_runs(tracking_uri) else pd.DataFrame()
if sweeps.empty:
    st.info("No sweep in this store yet: launch one above, or from a terminal with "
            "`python -m experiments sweep experiments/configs/sweeps/moons_architecture.toml`.",
            icon=":material/search:")
    st.stop()
ids = sweeps["run_id"].tolist()
labels = {r.run_id: f"{r.name} · {r.started:%Y-%m-%d %H:%M} · {r.status.lower()} · "
                    f"{r.trials_done}/{r.trials} trials"
                    + (f" · best {r.objective} {format_value(r.best)}"
                       if pd.notna(r.best) else "")
          for r in sweeps.itertuples()}
if ss.get(sf.PAST) not in ids:
    shown_id = ss.get(sf.SHOWN)
    ss[sf.PAST] = shown_id if shown_id in ids else ids[0]
st.selectbox("Sweep", ids, key=sf.PAST, format_func=lambda r: labels.get(r, r),
             help="Every sweep of this store, newest first (the one you just ran is picked).")
picked = ss[sf.PAST]
status = str(sweeps.set_index("run_id").loc[picked, "status"])
record = data.sweep_record(tracking_uri, picked, status)
trials = record.trials
params = [p for p in record.params if p in trials.columns]
done = trials[trials["state"] == "COMPLETE"] if len(trials) else trials
st.caption(f"{record.summary or record.name} · sweep run `{picked}` ({record.status}) · "
           f"{len(done)} of {len(trials)} trials complete")
if done.empty:
    st.info("No trial of this sweep has completed yet.")
    st.stop()

# --- the best trial and links
progress = best_so_far(trials, record.direction)
best = progress[progress["is_best"]].iloc[0]
top = top_run_ids(trials, record.direction, TOP)
with st.container(border=True):
    c1, c2, c3 = st.columns([2.2, 1, 1], vertical_alignment="center")
    settings_text = ", ".join(f"`{p}` = {format_value(best[p])}" for p in params)
    c1.markdown(f"**Best trial {int(best['trial'])}**: {metric_title(record.objective)} "
                f"**{format_value(best['objective'])}**  \n{settings_text}")
    if isinstance(best["run_id"], str) and best["run_id"]:
        c2.page_link(sidebar.RUN, label="Open its run", icon=":material/open_in_new:",
                     query_params={"run": best["run_id"]})
    c3.page_link(sidebar.COMPARE, label=f"Compare top {min(TOP, len(top))}",
                 icon=":material/compare_arrows:", query_params={"runs": ",".join(top)},
                 disabled=not top)

# --- objective per trial, parallel coordinates
left, right = st.columns([1, 1.2])
with left:
    st.markdown(f"**{metric_title(record.objective)} per trial** (orange: best so far)")
    st.altair_chart(trials_chart(progress, record.objective, height=280), width="stretch",
                    key="sw_trials_chart")
with right:
    st.markdown("**Parallel coordinates** (each axis scaled from its lowest to its highest "
                "value, a log-searched setting on a log scale; colour: the objective)")
    st.altair_chart(parallel_trials_chart(done, record.space, record.objective, height=280),
                    width="stretch", key="sw_parallel_chart")

# --- objective against each setting, importance
st.markdown(f"**{metric_title(record.objective)} against each searched setting**")
logs = set(log_searched(record.space))
st.altair_chart(objective_by_param_chart(objective_by_param(trials, params), record.objective,
                                         log_params=logs,
                                         columns=min(3, max(1, len(params)))),
                width="content", key="sw_params_chart")

st.markdown("**Which settings mattered**")
c1, c2 = st.columns([1, 2], vertical_alignment="top")
c1.radio("Importance evaluator", list(EVALUATORS), key=sf.EVALUATOR,
         format_func=lambda e: "fANOVA" if e == "fanova" else "Mean decrease impurity",
         help="Optuna's importance evaluators, fitted to the complete trials of this sweep.")
importance = data.sweep_importance(done, record.space, record.direction, ss[sf.EVALUATOR])
with c2:
    if importance.reason:
        st.info(importance.reason)
    else:
        st.altair_chart(importance_chart(importance.frame), width="stretch",
                        key="sw_importance_chart")
        st.caption(f"Parameter importance by {EVALUATORS[importance.evaluator]} on a study "
                   f"rebuilt from the {len(done)} complete trials: the share of the "
                   "objective's variation each setting explains. Few trials make it rough.")

st.markdown("**Every trial**")
trials_table(trials, params)
