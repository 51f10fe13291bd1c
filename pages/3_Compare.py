"""Compare page: which settings work best, and why? Filter runs, pick some, compare them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from experiments import compare, queries, run_groups
from experiments.errors import ExperimentError
from experiments.frames import metric_title, parallel_frame
from ui import compare_state as cs
from ui import data, sidebar, tables
from ui.charts.boundary import boundary_chart
from ui.charts.compare import (
    at_epoch_chart,
    at_epoch_data,
    at_epoch_layers,
    bands_chart,
    curves_chart,
    curves_data,
    curves_layers,
    curves_shape,
    replicate_chart,
    side_by_side,
)
from ui.charts.export import chart_image
from ui.charts.model import confusion_matrix
from ui.charts.settings import parallel_coordinates, param_scatter

st.set_page_config(page_title="Compare · nncore", page_icon=sidebar.PAGE_ICON, layout="wide")
ss = st.session_state
tracking_uri = sidebar.render("compare")
url_errors = cs.init_from_url(ss, st.query_params.to_dict())
cs.apply_defaults(ss)

#: Runs compared when none is picked: the most recent ones of the filtered table.
DEFAULT_COMPARED = 5
#: Most runs whose decision boundaries / confusion matrices are drawn.
MAX_PANELS = 6
#: Most runs pulled in as seed replicates of the compared runs.
MAX_REPLICATES = 60


@st.cache_data(ttl=data.VERSIONED_TTL, show_spinner=False, max_entries=8)
def load_runs(uri: str, filter_string: str, version: tuple[Any, ...]) -> pd.DataFrame:
    """Every run of the store (up to 1000), typed params, kept while the store's
    ``version`` (:func:`ui.data.store_version`) is the same: MLflow's ``search_runs`` of
    200 runs takes 0.4-1 s, the version a few milliseconds."""
    runs = queries.runs_frame(tracking_uri=uri, max_results=1000, filter_string=filter_string)
    return compare.typed_params(runs)


@st.cache_data(show_spinner=False, max_entries=64)
def confusion(uri: str, run_id: str) -> pd.DataFrame | None:
    """A run's validation confusion matrix (an ended run never changes)."""
    return compare.run_confusion(run_id, tracking_uri=uri)


@st.cache_data(show_spinner=False, max_entries=16)
def replicate_groups(runs: pd.DataFrame, seed_params: tuple[str, ...]) -> pd.DataFrame:
    """:func:`compare.replicate_groups`, kept across reruns (a change of selection)."""
    return compare.replicate_groups(runs, list(seed_params))


@st.cache_data(show_spinner=False, max_entries=16)
def comparison_table(runs: pd.DataFrame, only_differences: bool) -> pd.DataFrame:
    """:func:`compare.comparison_table`, kept across reruns (a change of selection)."""
    return compare.comparison_table(runs, only_differences=only_differences)


def _plane_run(run: pd.Series) -> bool:
    """Whether this run may have a decision-boundary grid: 2-D by its own dataset params.

    Blobs have as many features as ``dataset.n_features`` says, so the dataset's name
    alone does not tell (unknown datasets and CSVs: look anyway).
    """
    from experiments.datasets import get_dataset_info

    try:
        info = get_dataset_info(str(run.get("dataset")))
    except Exception:  # a CSV or a dataset this version does not know: look anyway
        return True
    prefix = "params.dataset."
    return info.is_plane({k[len(prefix):]: v for k, v in run.items()
                          if isinstance(k, str) and k.startswith(prefix)})


def export_buttons(chart: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin], name: str,
                   key: str) -> None:
    """PNG and SVG downloads of a chart, rendered only when clicked.

    ``chart`` may be a function that builds the chart, so a costly one (the per-run
    panels in one grid) is only built when someone downloads it.
    """
    build = chart if callable(chart) else (lambda: chart)
    with st.popover("Export", icon=":material/download:"):
        st.download_button("PNG", lambda: chart_image(build(), "png"), file_name=f"{name}.png",
                           mime="image/png", key=f"{key}_png", on_click="ignore",
                           icon=":material/image:")
        st.download_button("SVG", lambda: chart_image(build(), "svg"), file_name=f"{name}.svg",
                           mime="image/svg+xml", key=f"{key}_svg", on_click="ignore",
                           icon=":material/polyline:")


class _Unvalidated:
    """An Altair chart whose ``to_dict`` skips Altair's JSON-schema validation.

    Streamlit turns a chart into Vega-Lite with ``chart.to_dict()``, which validates the
    whole spec against the schema: ~80 ms a chart, most of the page's server time
    (issue 13's profile). The builders are validated by their tests
    (tests/ui/charts), so the page need not validate each chart again on every rerun.
    """

    def __init__(self, chart: alt.TopLevelMixin) -> None:
        self.chart = chart

    def to_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.chart.to_dict(*args, **{**kwargs, "validate": False})


def spec_of(chart: alt.TopLevelMixin, *, renderer: str | None = None) -> dict[str, Any]:
    """What ``st.altair_chart(chart)`` sends: a Vega-Lite dict whose datasets are Arrow
    bytes (Streamlit's own conversion), built without Altair's schema validation.

    ``renderer`` (``"canvas"`` or ``"svg"``) overrides the chart's own choice.
    """
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    spec = _convert_altair_to_vega_lite_spec(_Unvalidated(chart))
    if renderer:
        spec["usermeta"] = {**(spec.get("usermeta") or {}), "embedOptions": {"renderer": renderer}}
    return spec


#: The chart builders whose specs :func:`chart_spec` keeps, by name.
BUILDERS: dict[str, Callable[..., alt.TopLevelMixin]] = {
    "bands": bands_chart,
    "spread": replicate_chart, "scatter": param_scatter, "parallel": parallel_coordinates,
}


@st.cache_data(show_spinner=False, max_entries=256)
def chart_spec(builder: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The spec of ``BUILDERS[builder](*args, **kwargs)``, kept by its inputs (frames are
    hashed by content): a warm server, a rerun or a metric switched back re-sends it
    without building the chart again."""
    return spec_of(BUILDERS[builder](*args, **kwargs))


def draw(builder: str, *args: Any, key: str, **kwargs: Any) -> Callable[[], alt.TopLevelMixin]:
    """Draw a chart from its cached spec; returns a function that builds the Altair chart
    (for the export buttons, which build it only when clicked)."""
    st.vega_lite_chart(spec=chart_spec(builder, *args, **kwargs), width="stretch", key=key)
    return lambda: BUILDERS[builder](*args, **kwargs)


#: The specs without data of the charts that a selection change or a metric switch
#: redraws, by name: their layers read named datasets (ui.charts.compare).
LAYERS: dict[str, Callable[..., alt.TopLevelMixin]] = {
    "curves": curves_layers, "at": at_epoch_layers,
}


@st.cache_data(show_spinner=False, max_entries=64)
def layers_spec(name: str, **shape: Any) -> dict[str, Any]:
    """The spec of ``LAYERS[name](**shape)``, which holds no data: built once per shape
    (x axis, log scale, ...), whatever runs and metric are drawn."""
    return spec_of(LAYERS[name](**shape))


def draw_layers(name: str, frames: dict[str, pd.DataFrame], *, key: str, **shape: Any) -> None:
    """Draw ``LAYERS[name](**shape)`` with ``frames`` as its named datasets.

    A selection change or a metric switch only sends new data: building and converting
    the Altair chart was ~0.1 s of such a rerun's server time (issue 13), and the spec
    stays the same, so the browser redraws the drawn view in place.
    """
    spec = layers_spec(name, **shape)  # a copy: st.cache_data returns a new one each time
    spec["datasets"] = dict(frames)  # Streamlit sends each as Arrow
    st.vega_lite_chart(spec=spec, width="stretch", key=key)


def panel_rows(panels: list[tuple[str, str, dict[str, Any]]], key: str, columns: int = 3) -> None:
    """Per-run chart specs (run id, title, spec) in rows of ``columns``, each as wide as
    its column.

    One chart per column rather than one concatenated chart: a grid of fixed-size
    panels is wider than the page on a narrow window and gets cut off.
    """
    for start in range(0, len(panels), columns):
        row = panels[start:start + columns]
        for i, (col, (_, _, spec)) in enumerate(zip(st.columns(columns), row, strict=False)):
            col.vega_lite_chart(spec=spec, width="stretch", key=f"{key}_{start + i}")


@contextmanager
def section(title: str, key: str, icon: str) -> Iterator[bool]:
    """A section below the fold, built only while it is open (issue 13).

    An expander whose opening or closing reruns its fragment: a closed section costs
    nothing (its charts were most of the page's time in the browser), and opening it
    builds it. Whether it is open is kept in the session and in the URL (a shared link
    opens the same sections). Yields whether it is open.
    """
    box = st.expander(title, key=key, icon=icon, on_change="rerun")
    with box:
        yield bool(box.open)
    cs.write_url(ss, ss.get(cs.RUNS, []))  # a fragment rerun: the URL follows too


def csv_button(frame: pd.DataFrame, name: str, key: str) -> None:
    st.download_button("CSV", lambda: frame.to_csv(index=False).encode("utf-8"),
                       file_name=f"{name}.csv", mime="text/csv", key=key, on_click="ignore",
                       icon=":material/table:")


st.title("Compare runs")
st.caption("Which settings work best, and why? Filter the runs, tick some in the table, and "
           "compare their curves, settings and decisions. The URL keeps the comparison: "
           "copy it to share it.")
for message in url_errors:
    st.warning(f"The link had a value that could not be used: {message}")

# --------------------------------------------------------------------------- runs
try:
    runs = (load_runs(tracking_uri, ss.get(cs.MLFLOW_FILTER, "").strip(),
                      data.store_version(tracking_uri))
            if data.store_has_runs(tracking_uri) else pd.DataFrame())
    filter_error = None
except Exception as e:  # MLflow raises several kinds for a bad filter or store
    runs, filter_error = pd.DataFrame(), f"{type(e).__name__}: {e}"
if filter_error and ss.get(cs.MLFLOW_FILTER):
    st.error(f"The MLflow filter could not be used: {filter_error}")
elif filter_error:
    st.error(f"Cannot read the tracking store {tracking_uri}: {filter_error}")
    st.stop()  # nothing below can be shown, and "no runs" would contradict the error

if runs.empty and not ss.get(cs.MLFLOW_FILTER):
    with st.container(border=True):
        st.markdown("#### Nothing to compare yet")
        st.markdown("This store has no runs. Train a few networks (change the learning rate "
                    "or the layers between them) and come back to see which works best.")
        st.page_link(sidebar.TRAIN, label="Train a network", icon=":material/play_arrow:")
    st.stop()

# --------------------------------------------------------------------------- filters
with st.container(border=True):
    experiments_ = [cs.ALL_EXPERIMENTS, *sorted(runs["experiment"].dropna().unique())] \
        if not runs.empty else [cs.ALL_EXPERIMENTS]
    if ss.get(cs.EXPERIMENT) not in experiments_:
        ss[cs.EXPERIMENT] = cs.ALL_EXPERIMENTS
    c1, c2, c3, c4, c5 = st.columns([1.2, 1.2, 1.2, 1.5, 1.1], vertical_alignment="bottom")
    c1.selectbox("Experiment", experiments_, key=cs.EXPERIMENT)
    scoped = runs if ss[cs.EXPERIMENT] == cs.ALL_EXPERIMENTS or runs.empty else runs[
        runs["experiment"] == ss[cs.EXPERIMENT]]
    c2.multiselect("Dataset", sorted(scoped["dataset"].dropna().unique()) if len(scoped) else [],
                   key=cs.DATASETS, placeholder="any")
    c3.multiselect("Status", ["FINISHED", "KILLED", "FAILED", "RUNNING"], key=cs.STATUSES,
                   placeholder="any")
    c4.text_input("Search", key=cs.SEARCH, placeholder="run name, id or architecture")
    # The filters used less often are in a popover, drawn in the browser only when opened:
    # as inputs on the page, their date picker, number fields and text field were ~0.4 s
    # of a cold Compare load in Chromium (issue 13). The label counts those in use.
    in_use = sum([bool(ss.get(cs.DATES)),
                  ss.get(cs.PARAM, "(none)") != "(none)" and bool(ss.get(cs.PARAM_VALUES)),
                  ss.get(cs.METRIC_FILTER, "(none)") != "(none)" and (
                      ss.get(cs.METRIC_MIN) is not None or ss.get(cs.METRIC_MAX) is not None),
                  bool(ss.get(cs.MLFLOW_FILTER, "").strip())])
    more = c5.popover(f"More filters · {in_use}" if in_use else "More filters",
                      icon=":material/filter_list:", width="stretch", key="cmp_more_filters",
                      type="primary" if in_use else "secondary")
    more.date_input("Started between", value=(), key=cs.DATES, format="YYYY-MM-DD",
                    help="Pick a first and a last day (UTC); empty for any date.")
    params_ = compare.param_columns(scoped)
    metrics_ = compare.metric_columns(scoped)
    p1, p2 = more.columns(2)
    p1.selectbox("Param", ["(none)", *params_], key=cs.PARAM,
                 format_func=lambda c: c.removeprefix("params."))
    if ss[cs.PARAM] != "(none)" and ss[cs.PARAM] in scoped.columns:
        choices = sorted(scoped[ss[cs.PARAM]].dropna().unique().tolist(), key=lambda v: (
            not isinstance(v, int | float), v if isinstance(v, int | float) else str(v)))
        p2.multiselect("is one of", choices, key=cs.PARAM_VALUES, placeholder="any value")
    else:
        p2.multiselect("is one of", [], key=cs.PARAM_VALUES, disabled=True,
                       placeholder="pick a param first")
    m1, m2, m3 = more.columns([2, 1, 1])
    m1.selectbox("Metric threshold", ["(none)", *metrics_], key=cs.METRIC_FILTER,
                 format_func=lambda c: c.removeprefix("metrics."))
    m2.number_input("at least", value=None, key=cs.METRIC_MIN, format="%g",
                    disabled=ss[cs.METRIC_FILTER] == "(none)")
    m3.number_input("at most", value=None, key=cs.METRIC_MAX, format="%g",
                    disabled=ss[cs.METRIC_FILTER] == "(none)")
    more.text_input("MLflow filter", key=cs.MLFLOW_FILTER,
                    placeholder="params.`training.optimizer` = 'adam' and "
                                "metrics.final_val_accuracy > 0.7",
                    help="MLflow's search syntax, applied in the store "
                         "(https://mlflow.org/docs/latest/search-runs.html).")

if runs.empty:  # a filter MLflow refused (said above) or one no run matches
    if not filter_error:
        st.info("No run matches the MLflow filter. Change or clear it to see runs.")
    st.stop()
unknown = [r for r in ss.get(cs.RUNS, []) if r not in set(runs["run_id"])]
if unknown:  # ids from a link: a typo, another store, or runs deleted since
    where = " or the MLflow filter leaves out" if ss.get(cs.MLFLOW_FILTER) else ""
    st.warning(f"Not compared: {', '.join(unknown)}: "
               f"{'this run is' if len(unknown) == 1 else 'these runs are'} not in this "
               f"store{where}.", icon=":material/warning:")
    ss[cs.RUNS] = [r for r in ss[cs.RUNS] if r not in unknown]

dates = ss.get(cs.DATES) or ()
metric_col = ss[cs.METRIC_FILTER] if ss[cs.METRIC_FILTER] != "(none)" else None
shown = compare.filter_runs(
    scoped,
    datasets=ss[cs.DATASETS], statuses=ss[cs.STATUSES],
    since=dates[0] if len(dates) >= 1 else None,
    until=dates[1] if len(dates) == 2 else (dates[0] if len(dates) == 1 else None),
    params={ss[cs.PARAM]: ss[cs.PARAM_VALUES]} if ss[cs.PARAM] != "(none)" else None,
    metric_min={metric_col: ss[cs.METRIC_MIN]} if metric_col else None,
    metric_max={metric_col: ss[cs.METRIC_MAX]} if metric_col else None,
    text=ss.get(cs.SEARCH, ""),
).reset_index(drop=True)
labels = compare.run_labels(runs) if not runs.empty else {}

# --------------------------------------------------------------------------- sweeps
# A sweep's trials are folded under its row unless its pill is on (a link that compares
# trials, e.g. the Sweep page's "Compare top 5", opens their sweep).
trial_counts = run_groups.trial_counts(shown)
if trial_counts:
    names = dict(zip(runs["run_id"], runs["sweep"].fillna(runs["run_name"]), strict=True))
    compared_sweeps = set(runs[runs["run_id"].isin(ss.get(cs.RUNS, []))]["parent_run_id"]
                          .dropna())
    if cs.EXPANDED not in ss:
        ss[cs.EXPANDED] = [s for s in trial_counts if s in compared_sweeps]
    ss[cs.EXPANDED] = [s for s in ss[cs.EXPANDED] if s in trial_counts]
    st.pills("Show the trials of", list(trial_counts), key=cs.EXPANDED,
             selection_mode="multi",
             format_func=lambda s: f"sweep {names.get(s, s[:8])} · {trial_counts[s]} trials",
             help="A sweep's trials (child runs) are folded under the sweep's row; pick a "
                  "sweep to list them in the table.")
    shown = run_groups.fold_sweeps(shown, ss[cs.EXPANDED])
folded = sum(n for s, n in trial_counts.items() if s not in ss.get(cs.EXPANDED, []))

# --------------------------------------------------------------------------- runs table
st.subheader(f"Runs · {len(shown)} of {len(runs)}", anchor=False)
if folded:
    st.caption(f"{folded} sweep trials are folded under their sweeps (pick a sweep above "
               "to list them).")
if shown.empty:
    st.info("No run matches these filters. Clear some of them to see more runs.")
# --------------------------------------------------------------------------- sections
# Each section below is a fragment: a widget of a section reruns that section only, not the
# filters, the runs table and the other sections (issue 13: a metric switch used to rebuild
# every chart of the page and read the runs' artifacts again).


@st.fragment
def metric_sections(history: pd.DataFrame, history_metrics: list[str], labels: dict[str, str],
                    compared: list[str], shown: pd.DataFrame) -> None:
    """Learning curves, values at an epoch and seed replicates: the chosen metric's views."""
    # --------------------------------------------------------------------------- curves
    st.subheader("Learning curves", anchor=False)
    if not history_metrics:
        st.info("These runs have no per-epoch metrics yet.")
    else:
        metric_choices = ([m for m in history_metrics if not m.startswith("train_")]
                          or history_metrics)
        if ss.get(cs.METRIC) not in history_metrics:
            ss[cs.METRIC] = "val_loss" if "val_loss" in history_metrics else metric_choices[0]
        c1, c2, c3, c4, c5 = st.columns([1.3, 1.2, 1.0, 0.9, 1.4], vertical_alignment="bottom")
        c1.selectbox("Metric", history_metrics, key=cs.METRIC, format_func=metric_title)
        c2.segmented_control("x axis", ["step", "elapsed_s"], key=cs.X_AXIS,
                             format_func=lambda x: "epoch" if x == "step" else "time")
        c3.toggle("Log scale", key=cs.LOG_SCALE)
        train_pair = "train_" + ss[cs.METRIC].removeprefix("val_")
        c4.toggle("+ train", key=cs.WITH_TRAIN, disabled=train_pair not in history_metrics
                  or train_pair == ss[cs.METRIC], help="Also draw the training curve (dashed).")
        c5.slider("Smoothing", 0.0, 0.95, step=0.05, key=cs.SMOOTHING,
                  help="Exponential moving average; the tooltip shows the raw value too.")
        wanted = [ss[cs.METRIC]]
        if ss.get(cs.WITH_TRAIN) and train_pair in history_metrics and train_pair != ss[cs.METRIC]:
            wanted.append(train_pair)
        x_axis = ss.get(cs.X_AXIS) or "step"
        curves = history[history["metric"].isin(wanted)]
        curves = compare.smooth(curves, float(ss.get(cs.SMOOTHING, 0.0)))
        if x_axis == "elapsed_s":
            curves = compare.add_elapsed(curves)
        run_labels = {r: labels.get(r, r) for r in compared}
        log_scale = bool(ss.get(cs.LOG_SCALE))
        frames = curves_data(curves, wanted, labels=run_labels, x=x_axis, log_scale=log_scale)
        draw_layers("curves", frames, key="cmp_curves_chart", x=x_axis, log_scale=log_scale,
                    **curves_shape(frames, wanted))
        chart = partial(curves_chart, curves, wanted, labels=run_labels, x=x_axis,
                        log_scale=log_scale)
        c1, c2 = st.columns([5, 1])
        c1.caption("Click a run in the legend to highlight it (shift-click for more); drag or "
                   "scroll on the chart to zoom the epochs, double-click to reset.")
        with c2:
            export_buttons(chart, "learning_curves", "cmp_exp_curves")

    # --------------------------------------------------------------------------- at an epoch
    st.subheader("At a chosen epoch", anchor=False)
    c1, c2, c3 = st.columns([2.2, 1, 2.4], vertical_alignment="bottom")
    c1.segmented_control("Compare at", ["last", "best", "epoch"], key=cs.AT,
                         format_func={"last": "last epoch", "best": "best (val loss)",
                                      "epoch": "epoch k"}.get)
    at_choice = ss.get(cs.AT) or "last"
    max_step = int(history["step"].max()) if len(history) else 1
    if at_choice == "epoch":
        ss[cs.AT_EPOCH] = min(max(1, int(ss[cs.AT_EPOCH])), max(1, max_step))
        c2.number_input("k", min_value=1, max_value=max(1, max_step), step=1, key=cs.AT_EPOCH)
    at: Any = int(ss[cs.AT_EPOCH]) if at_choice == "epoch" else at_choice
    values = compare.values_at(history, at)
    if values.empty:
        st.info("No compared run reached that epoch.")
    else:
        values.insert(1, "run", values["run_id"].map(labels))
        focus = ss.get(cs.METRIC) if ss.get(cs.METRIC) in values.columns else next(
            c for c in values.columns if c not in ("run_id", "run", "epoch"))
        draw_layers("at", at_epoch_data(values, focus), key="cmp_at_chart")
        shown_values = values.drop(columns=["run_id"])
        # A static table below the chart (one row per compared run): as a data grid its
        # canvas and accessibility rows were redrawn ~0.2 s after the rest of the page on
        # every selection change (issue 13).
        st.table(shown_values.style.format(precision=4), hide_index=True)
        c1, c2, _ = st.columns([1, 1, 6])
        with c1:
            export_buttons(partial(at_epoch_chart, values, focus), f"{focus}_at_{at}",
                           "cmp_exp_at")
        with c2:
            csv_button(shown_values, f"metrics_at_{at}", "cmp_csv_at")

    # --------------------------------------------------------------------------- seed replicates
    with section("Seed replicates", cs.OPEN_REPLICATES, ":material/stacked_line_chart:") as open_:
        if open_:
            replicates_view(shown, compared, at)


def replicates_view(shown: pd.DataFrame, compared: list[str], at: Any) -> None:
    """Runs that differ only by their seed, pooled: mean ± std curves and the spread."""
    seed_params = list(compare.SEED_PARAMS)
    st.toggle("Also pool over data seeds (different splits)", key=cs.POOL_DATA_SEED)
    if ss.get(cs.POOL_DATA_SEED):
        seed_params.append("params.dataset.seed")
    untyped = shown.copy()
    groups_all = replicate_groups(untyped, tuple(seed_params)) if len(untyped) else pd.DataFrame(
        columns=["run_id", "group", "replicates"])
    mine = groups_all[groups_all["run_id"].isin(compared)]["group"].unique()
    members = groups_all[groups_all["group"].isin(mine)]["run_id"].head(MAX_REPLICATES)
    # Labels name only what differs between these groups (e.g. "learning_rate=0.1").
    groups = replicate_groups(untyped[untyped["run_id"].isin(members)], tuple(seed_params)) \
        if len(members) else groups_all.iloc[:0]
    if groups.empty or groups["replicates"].max() < 2:
        st.info("None of the compared runs has replicates: runs with the same settings and another "
                "`training.seed`. Train the same settings with a few seeds to see how much of a "
                "difference is luck.")
    else:
        rep_history = queries.metric_history(groups["run_id"].tolist(), tracking_uri=tracking_uri)
        metric = ss.get(cs.METRIC) if ss.get(cs.METRIC) in set(rep_history["metric"]) else (
            sorted(rep_history["metric"].unique())[0])
        bands = compare.replicate_bands(rep_history[rep_history["metric"] == metric], groups)
        rep_values = compare.values_at(rep_history, at)
        summary = compare.replicate_summary(rep_values, groups, [metric])
        left, right = st.columns([1.3, 1])
        with left:
            band = draw("bands", bands, metric, key="cmp_bands_chart",
                        log_scale=bool(ss.get(cs.LOG_SCALE)))
            export_buttons(band, "replicates", "cmp_exp_bands")
        with right:
            draw("spread", summary, metric, key="cmp_spread_chart")
            st.dataframe(summary, hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.4f")
                                        for c in summary.columns if c not in ("group", "n")})
            csv_button(summary, "replicates", "cmp_csv_replicates")
        st.caption(f"{len(groups)} runs in {groups['group'].nunique()} groups; the band is ± "
                   "one standard deviation across seeds, the right chart the spread at the "
                   "chosen epoch.")


@st.fragment
def settings_section(shown: pd.DataFrame, labels: dict[str, str]) -> None:
    """Settings against results, built while its section is open."""
    with section("Settings against results", cs.OPEN_SETTINGS, ":material/scatter_plot:") as open_:
        if open_:
            settings_view(shown, labels)


def settings_view(shown: pd.DataFrame, labels: dict[str, str]) -> None:
    """Every run of the table: one setting against one result, and parallel coordinates."""
    st.caption(f"Every run of the table ({len(shown)}), one point or line each; the compared runs "
               "are in the tables above.")
    scatter_table = comparison_table(shown, False) if len(shown) else pd.DataFrame()
    if len(scatter_table) >= 2:
        scatter_table.insert(0, "run", scatter_table["run_id"].map(labels))
        id_cols = {"run", "run_id", "run_name", "status", "dataset"}
        final_metrics = [c for c in scatter_table.columns if c not in id_cols
                         and c.removeprefix("final_") in {m.removeprefix("metrics.final_") for m in
                                                          compare.metric_columns(shown)}
                         and not c.startswith(("dataset.", "model.", "training.", "name"))]
        setting_cols = [c for c in scatter_table.columns
                        if c.startswith(("dataset.", "model.", "training.", "name"))]
        differing = compare.differing_columns(scatter_table, setting_cols) or setting_cols
        numeric_metrics = [c for c in final_metrics
                           if pd.api.types.is_numeric_dtype(scatter_table[c])] or final_metrics
        if not numeric_metrics or not setting_cols:
            st.info("These runs have no final results (metrics named final_*) or no settings "
                    "to relate: runs logged outside this app's trainer, or still running.")
        else:
            if ss.get(cs.SCATTER_X) not in setting_cols:
                ss[cs.SCATTER_X] = ("training.learning_rate"
                                    if "training.learning_rate" in differing else differing[0])
            if ss.get(cs.SCATTER_Y) not in numeric_metrics:
                ss[cs.SCATTER_Y] = next((m for m in ("val_accuracy", "val_loss", "val_rmse")
                                         if m in numeric_metrics), numeric_metrics[0])
            color_options = ["", *setting_cols, *numeric_metrics]
            if ss.get(cs.SCATTER_COLOR) not in color_options:
                ss[cs.SCATTER_COLOR] = next((c for c in differing if c != ss[cs.SCATTER_X]), "")
            c1, c2, c3, c4 = st.columns([1.3, 1.3, 1.3, 0.8], vertical_alignment="bottom")
            c1.selectbox("Setting (x)", setting_cols, key=cs.SCATTER_X)
            c2.selectbox("Result (y)", numeric_metrics, key=cs.SCATTER_Y, format_func=metric_title)
            c3.selectbox("Colour by", color_options, key=cs.SCATTER_COLOR,
                         format_func=lambda c: c or "(none)")
            c4.toggle("Log x", key=cs.LOG_X)
            left, right = st.columns([1.4, 1])
            with left:
                scatter = draw("scatter", scatter_table, ss[cs.SCATTER_X], ss[cs.SCATTER_Y],
                               key="cmp_scatter_chart", color=ss[cs.SCATTER_COLOR] or None,
                               log_x=bool(ss[cs.LOG_X]))
                export_buttons(scatter, "scatter", "cmp_exp_scatter")
            with right:
                st.markdown("**How to read it**")
                st.caption("Left: one setting against one result, one point per run; colour "
                           "a third setting to see interactions. Below: every run as a line "
                           "across the settings that differ and the results, coloured by the "
                           "result on the y axis: follow the bright lines back to the settings "
                           "that produced them.")
            core = [c for c in differing if c.startswith(("model.", "training."))]
            rest = [c for c in differing if c.startswith("dataset.") and c != "dataset.name"]
            lead = ["dataset.name"] if "dataset.name" in differing else []
            axes = [*(lead + core + rest)[:8], ss[cs.SCATTER_Y]]
            axes += [m for m in numeric_metrics if m.startswith("val_") and m not in axes][:2]
            frame = parallel_frame(scatter_table, list(dict.fromkeys(axes)))
            parallel = draw(
                "parallel", frame, key="cmp_parallel_chart",
                color_by=metric_title(ss[cs.SCATTER_Y]),
                color_values=dict(zip(scatter_table["run"], scatter_table[ss[cs.SCATTER_Y]],
                                      strict=True)))
            export_buttons(parallel, "parallel_coordinates", "cmp_exp_parallel")
    else:
        st.info("Two or more runs in the table are needed to relate settings to results.")



def run_decision_panel(uri: str, run_id: str, title: str) -> alt.TopLevelMixin | None:
    """A run's decision boundary chart, or None when it has no boundary grid (yet)."""
    grid = queries.decision_boundary(run_id, tracking_uri=uri)
    if grid is None:
        return None
    d = queries.run_spec(run_id, tracking_uri=uri).dataset
    dataset = data.dataset(d.name, d.test_size, d.seed, dict(d.params))
    return boundary_chart(grid, dataset, title=title, height=240)


#: An ended run's artifacts are final: its chart is built once per server, not per rerun.
ended_run_decision_panel = st.cache_resource(show_spinner=False, max_entries=64)(run_decision_panel)

#: The panels' renderer. A panel is ~2,700 marks (a 50 x 50 grid of cells and the data
#: points): as SVG, six panels put ~16,000 elements in the page, most of the browser's
#: time on it (issue 13); a canvas draws them without a DOM node each. Their export
#: (PNG/SVG) is drawn on the server and does not depend on this.
PANEL_RENDERER = "canvas"


def run_decision_spec(uri: str, run_id: str, title: str) -> dict[str, Any] | None:
    """A running run's panel as a spec to draw (built anew: its grid may change)."""
    chart = run_decision_panel(uri, run_id, title)
    return None if chart is None else spec_of(chart, renderer=PANEL_RENDERER)


@st.cache_data(show_spinner=False, max_entries=64)
def ended_run_decision_spec(uri: str, run_id: str, title: str) -> dict[str, Any] | None:
    """An ended run's panel as a spec to draw, kept by run id: built once per server."""
    chart = ended_run_decision_panel(uri, run_id, title)
    return None if chart is None else spec_of(chart, renderer=PANEL_RENDERER)


@st.fragment
def decisions_section(compared_runs: pd.DataFrame, compared: list[str],
                      labels: dict[str, str]) -> None:
    """Decisions, built while its section is open."""
    with section("Decisions", cs.OPEN_DECISIONS, ":material/grid_view:") as open_:
        if open_:
            decisions_view(compared_runs, compared, labels)


def decisions_view(compared_runs: pd.DataFrame, compared: list[str],
                   labels: dict[str, str]) -> None:
    """Decision boundaries of 2-D runs and, on demand, confusion matrices."""
    panel_runs = compared_runs.head(MAX_PANELS)
    boundaries: list[tuple[str, str, dict[str, Any]]] = []
    matrices: list[tuple[str, str, alt.TopLevelMixin]] = []
    running_ids: set[str] = set()
    for _, run in panel_runs.iterrows():
        if not _plane_run(run):
            continue  # no boundary grid to look for (listing artifacts costs ~12 ms a run)
        title = labels.get(run["run_id"], run["run_id"])
        running = run.get("status") == "RUNNING"
        if running:
            running_ids.add(run["run_id"])
        try:
            spec = (run_decision_spec if running else ended_run_decision_spec)(
                tracking_uri, run["run_id"], title)
        except ExperimentError:
            continue
        if spec is not None:
            boundaries.append((run["run_id"], title, spec))

    def panels_in_one_chart() -> alt.ConcatChart:
        """The drawn panels in one chart (built only when exported)."""
        charts = []
        for run_id, title, _ in boundaries:
            build = run_decision_panel if run_id in running_ids else ended_run_decision_panel
            chart = build(tracking_uri, run_id, title)
            if chart is not None:
                charts.append((title, chart))
        return side_by_side(charts, columns=3, width=260, height=240)

    if boundaries:
        panel_rows(boundaries, "cmp_boundary")
        export_buttons(panels_in_one_chart, "decision_boundaries", "cmp_exp_boundaries")
    else:
        st.caption("Decision boundaries are drawn for runs on 2-D datasets (moons, circles, xor, "
                   "spiral, and blobs with two features).")
    if st.toggle("Confusion matrices (loads each model)", key="cmp_confusion"):
        for _, run in panel_runs.iterrows():
            try:
                frame = confusion(tracking_uri, run["run_id"])
            except (ExperimentError, OSError) as e:
                st.caption(f"{labels.get(run['run_id'])}: no model to evaluate ({e})")
                continue
            except Exception as e:  # MLflow raises its own kinds for a missing artifact
                st.caption(f"{labels.get(run['run_id'])}: no model ({type(e).__name__})")
                continue
            if frame is not None:
                title = labels.get(run["run_id"], run["run_id"])
                matrices.append((run["run_id"], title, confusion_matrix(
                    frame, title=title, size=200, fit_width=True)))
        if matrices:
            panel_rows([(r, t, spec_of(c)) for r, t, c in matrices], "cmp_confusion")
            export_buttons(lambda: side_by_side([(t, c) for _, t, c in matrices], columns=3,
                                                width=200, height=200),
                           "confusion_matrices", "cmp_exp_confusion")
        else:
            st.caption("No classification run with a saved model among the compared runs.")
    if len(compared) > MAX_PANELS:
        st.caption(f"Showing the first {MAX_PANELS} of {len(compared)} compared runs.")



@st.fragment
def open_run_link(compared: list[str], labels: dict[str, str]) -> None:
    """Pick one compared run and open its page."""
    st.divider()
    pick = st.selectbox("Open one run", compared, format_func=lambda r: labels.get(r, r),
                        key="cmp_open_run")
    st.page_link(sidebar.RUN, label="Open its page", icon=":material/open_in_new:",
                 query_params={"run": pick})


def runs_table(runs: pd.DataFrame, shown: pd.DataFrame, trial_counts: dict[str, int],
               only_differences: bool) -> pd.DataFrame:
    """The runs table as drawn: the listed runs' settings and results, with a link to
    each run's page, its status, start and architecture (a sweep's row names the sweep)."""
    table = comparison_table(shown, only_differences)
    if trial_counts and len(table):
        table.insert(2 if "run_name" in table.columns else 1, "sweep",
                     run_groups.group_labels(shown, runs).to_numpy())
    table.insert(1, "open", ["Run?run=" + r for r in table["run_id"]])
    # A RUNNING run that stopped reporting reads "RUNNING · silent for 12 min".
    table["status"] = table["run_id"].map(dict(zip(
        shown["run_id"], queries.status_labels(shown), strict=True)))
    starts = shown["start_time"].dt.tz_convert(None) if len(shown) else pd.Series(dtype="object")
    table.insert(4, "started", starts.to_numpy())
    if "architecture" in shown.columns:
        # A sweep's own row names the sweep, as on the Home page (before its first trial too).
        is_sweep = shown["run_id"].isin(list(trial_counts)) | shown.get(
            "params.sweep.objective", pd.Series(index=shown.index, dtype=object)).notna()
        done = shown.get("metrics.trials_done", pd.Series(index=shown.index, dtype=float))
        table.insert(5, "architecture", [
            tables.sweep_architecture(n) if sweep else arch
            for arch, sweep, n in zip(shown["architecture"], is_sweep, done, strict=True)])
    return table


@st.fragment
def runs_table_and_comparison(runs: pd.DataFrame, shown: pd.DataFrame,
                              trial_counts: dict[str, int], labels: dict[str, str]) -> None:
    """The runs table and the comparison below it.

    A fragment (issue 13): ticking rows or "Only what differs" reruns the table and the
    comparison, not the filters above them.
    """
    table = runs_table(runs, shown, trial_counts, bool(ss.get(cs.ONLY_DIFF, True)))
    table_key = f"{cs.TABLE}.{hashlib.sha1(''.join(table['run_id']).encode()).hexdigest()[:10]}"
    event = st.dataframe(
        table, hide_index=True, width="stretch", height=min(420, 38 + 35 * max(3, len(table))),
        key=table_key, on_select="rerun", selection_mode="multi-row",
        placeholder=tables.EMPTY,  # a setting a run does not log: "—", as on Home
        column_order=[c for c in table.columns if c != "run_id"],
        column_config={
            "open": st.column_config.LinkColumn("open", display_text="details ↗", width="small",
                                                help="This run's page: curves, model, predictions"),
            "run_name": st.column_config.TextColumn("run", width="medium"),
            "started": st.column_config.DatetimeColumn("started (UTC)", format="MM-DD HH:mm:ss"),
            "status": st.column_config.TextColumn(width="small"),
            "sweep": st.column_config.TextColumn(width="small",
                                                 help="A sweep's trials, folded or listed"),
            **{c: st.column_config.NumberColumn(c, format="%.4f") for c in table.columns
               if c.split(".")[-1].startswith(("val_", "train_")) or c.endswith("_loss")},
        },
    )
    picked = [table["run_id"].iloc[i] for i in event.selection.rows if i < len(table)]
    last_key, last_pick = ss.get(cs.LAST_TABLE_PICK, (None, []))
    if picked != last_pick and (picked or last_key == table_key):
        ss[cs.RUNS] = picked  # the table's selection replaces the compared runs
    ss[cs.LAST_TABLE_PICK] = (table_key, picked)
    c1, c2, c3 = st.columns([3, 1, 0.6], vertical_alignment="center")
    c1.caption("Tick rows to compare them (shift-click for a range). Numbers sort as numbers; "
               "click a header to sort. *details ↗* opens a run on its own page.")
    c2.toggle("Only what differs", key=cs.ONLY_DIFF,
              help="Hide the settings that every listed run shares.")
    with c3:
        csv_button(table.drop(columns=["open"]), "runs", "cmp_csv_runs")
    comparison(runs, shown, labels)


@st.fragment
def comparison(runs: pd.DataFrame, shown: pd.DataFrame, labels: dict[str, str]) -> None:
    """The compared runs and every section about them.

    A fragment inside the table's (issue 13): a change of "Compared runs" reruns this
    part only; the runs table above is neither rebuilt nor sent to the browser again.
    """
    options = list(dict.fromkeys([*shown["run_id"], *ss.get(cs.RUNS, [])]))
    ss[cs.RUNS] = [r for r in ss.get(cs.RUNS, []) if r in set(runs["run_id"])]
    st.multiselect("Compared runs", options, key=cs.RUNS,
                   format_func=lambda r: labels.get(r, r),
                   placeholder=f"none picked: comparing the {DEFAULT_COMPARED} most recent "
                               "runs of the table")
    compared = list(ss[cs.RUNS]) or shown["run_id"].head(DEFAULT_COMPARED).tolist()
    cs.write_url(ss, ss[cs.RUNS])
    if not compared:
        return
    compared_runs = runs.set_index("run_id").loc[compared].reset_index()
    try:
        history = queries.metric_history(compared, tracking_uri=tracking_uri)
    except ExperimentError as e:
        st.error(f"Cannot read the runs' histories: {e}")
        return
    history_metrics = sorted(history["metric"].unique()) if len(history) else []
    metric_sections(history, history_metrics, labels, compared, shown)
    settings_section(shown, labels)
    decisions_section(compared_runs, compared, labels)
    open_run_link(compared, labels)


runs_table_and_comparison(runs, shown, trial_counts, labels)
