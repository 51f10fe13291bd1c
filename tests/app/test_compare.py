"""Compare page flows (Streamlit AppTest, in process): an empty store, runs in the table
and charts, runs picked by the URL, a filter narrowing the runs."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from experiments import RunSpec, train
from ui import compare_state as cs
from ui import sidebar

COMPARE = sidebar.COMPARE


def _spec(lr: float, seed: int = 0, name: str = "xor") -> RunSpec:
    return RunSpec.from_dict({
        "dataset": {"name": name, "n_samples": 60},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": lr, "epochs": 5,
                     "batch_size": 16, "seed": seed}})


@pytest.fixture
def runs(store):
    """Three tiny XOR runs and one on moons, in that order of start."""
    ids = [train(_spec(lr, seed), tracking_uri=store, experiment="cmp", log_model=False).run_id
           for lr, seed in ((0.03, 0), (0.03, 1), (0.1, 0))]
    ids.append(train(_spec(0.1, 0, "moons"), tracking_uri=store, experiment="cmp",
                     log_model=False).run_id)
    return ids


#: The sections below the fold, opened by the URL (closed by default: issue 13).
ALL_SECTIONS = {"replicates": "1", "settings": "1", "decisions": "1"}


def _open(at, query=None, sections=True):
    for key, value in {**(ALL_SECTIONS if sections else {}), **(query or {})}.items():
        at.query_params[key] = value
    at.switch_page(COMPARE).run()
    assert not at.exception, at.exception
    return at


def _specs(at):
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _frames(chart) -> dict[str, pd.DataFrame]:
    """A drawn chart's datasets (Streamlit sends them apart from the spec, as Arrow)."""
    return {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets}


def _chart_with_param(at, name: str):
    """The drawn chart that declares the selection parameter ``name``."""
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        layers = [spec, *spec.get("layer", [])]
        if any(p["name"] == name for layer in layers for p in layer.get("params", [])):
            return chart, spec
    raise AssertionError(f"no chart with a {name!r} parameter")


def test_empty_store_says_nothing_to_compare(app):
    at = _open(app)
    assert any("Nothing to compare yet" in m.value for m in at.markdown)
    assert not at.get("vega_lite_chart")
    assert not at.get("arrow_data_frame")


def test_runs_table_and_charts(app, runs):
    at = _open(app)
    assert any(s.value.startswith("Runs · 4 of 4") for s in at.subheader)
    table = at.dataframe[0].value
    assert set(table["run_id"]) == set(runs)
    specs = _specs(at)
    assert len(specs) >= 4  # curves, ranking, scatter, parallel, ... boundaries
    # The learning curves hold the compared runs' histories (all four: none picked, the
    # page compares the most recent ones), every epoch of their validation loss.
    chart, spec = _chart_with_param(at, "pick")
    assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"  # a point per value
    frames = list(_frames(chart).values())  # the curves, and the title (the metric's name)
    assert [{"title": "validation loss"}] in [f.to_dict("records") for f in frames]
    curves = max(frames, key=len)
    labels = {label.rsplit(" · ", 1)[1] for label in curves["run"]}
    assert labels == {r[:6] for r in runs}
    assert set(curves["metric"]) == {"val_loss"}
    assert curves.groupby("run")["step"].agg(list).map(sorted).tolist() == [[1, 2, 3, 4, 5]] * 4
    # One boundary panel per compared run on a 2-D dataset (XOR, moons: all four), each a
    # chart of its own as wide as its column, drawn on a canvas (issue 13: as SVG, six
    # panels of ~2,700 marks were most of the page's time in the browser).
    panels = [s for s in specs if [ly["mark"]["type"] for ly in s.get("layer", [])]
              == ["rect", "point"]]
    assert len(panels) == 4
    assert all(p["usermeta"]["embedOptions"]["renderer"] == "canvas" for p in panels)
    assert all(p["autosize"]["type"] == "fit-x" for p in panels)
    assert sorted(p["title"].rsplit(" · ", 1)[1] for p in panels) == sorted(r[:6] for r in runs)


def test_url_selects_runs(app, runs):
    picked = [runs[0], runs[2]]
    at = _open(app, {"runs": ",".join(picked), "metric": "val_loss", "smooth": "0.3"})
    assert list(at.session_state[cs.RUNS]) == picked
    assert at.session_state[cs.METRIC] == "val_loss"
    assert at.session_state[cs.SMOOTHING] == pytest.approx(0.3)
    assert at.multiselect(key=cs.RUNS).value == picked
    assert at.query_params["runs"] == ",".join(picked) or \
        at.query_params["runs"] == [",".join(picked)]
    assert at.query_params["decisions"] in ("1", ["1"])  # open sections stay in the link
    assert _specs(at)


def test_filter_narrows_runs(app, runs):
    at = _open(app)
    at.multiselect(key=cs.DATASETS).set_value(["moons"]).run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Runs · 1 of 4") for s in at.subheader)
    assert list(at.dataframe[0].value["run_id"]) == [runs[3]]
    at.multiselect(key=cs.DATASETS).set_value([]).run()
    at.text_input(key=cs.MLFLOW_FILTER).set_value(
        "params.`training.learning_rate` = '0.03'").run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["run_id"]) == {runs[0], runs[1]}
    # The filters used less often are in a popover; its label counts those in use.
    def more_filters() -> str:
        [label] = [p.proto.popover.label for p in at.get("popover")
                   if p.proto.popover.label.startswith("More filters")]
        return label

    assert more_filters() == "More filters · 1"
    at.selectbox(key=cs.PARAM).set_value("params.training.learning_rate").run()
    at.multiselect(key=cs.PARAM_VALUES).set_value([0.03]).run()
    assert more_filters() == "More filters · 2"
    at.text_input(key=cs.MLFLOW_FILTER).set_value("").run()
    assert set(at.dataframe[0].value["run_id"]) == {runs[0], runs[1]}
    assert more_filters() == "More filters · 1"


def test_runs_without_final_metrics(app, store):
    """Runs logged with per-epoch metrics only (no final_*) are listed and drawn, no crash."""
    from experiments.tracking import MetricsLogger, RunTracker

    for lr in (0.03, 0.1):
        spec = _spec(lr)
        tracker = RunTracker.start(experiment="bare", tracking_uri=store,
                                   tags={"dataset": "xor", "source": "bench"}, check=False)
        tracker.log_params(spec.to_params())
        logger = MetricsLogger(tracker, max_points=50)
        logger.begin(5)
        for epoch in range(1, 6):
            logger.epoch(epoch, {"train_loss": 1 / epoch, "val_loss": 1.1 / epoch})
        logger.finish(flush=False)
        tracker.end("FINISHED")
    at = _open(app)
    assert any(s.value.startswith("Runs · 2 of 2") for s in at.subheader)
    assert _specs(at)  # the learning curves at least
    assert any("no final results" in i.value for i in at.info)


def test_unknown_run_ids_in_the_url_are_named_once_and_skipped(app, runs):
    """``?runs=doesnotexist`` once raised a KeyError; now one warning names the id."""
    at = _open(app, {"runs": f"doesnotexist,{runs[1]}"})
    warnings = [w.value for w in at.warning if "doesnotexist" in w.value]
    assert len(warnings) == 1
    assert list(at.session_state[cs.RUNS]) == [runs[1]]
    assert _specs(at)
    only_unknown = _open(app.run(), {"runs": "doesnotexist"})
    assert not only_unknown.exception


def test_a_bad_mlflow_filter_in_the_url_is_one_clear_message(app, runs):
    """A filter MLflow cannot parse: the error, the filter box to fix it, no traceback."""
    at = _open(app, {"filter": "params.`training.learning_rate` =="})
    assert not at.exception
    assert any("MLflow filter could not be used" in e.value for e in at.error)
    assert at.text_input(key=cs.MLFLOW_FILTER).value.startswith("params.")
    at.text_input(key=cs.MLFLOW_FILTER).set_value("").run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Runs · 4 of 4") for s in at.subheader)


def _blobs_spec(seed: int, n_features: int = 2) -> RunSpec:
    return RunSpec.from_dict({
        "dataset": {"name": "blobs", "n_samples": 60, "n_features": n_features},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 4,
                     "batch_size": 16, "seed": seed}})


def test_blobs_boundaries_are_drawn_when_the_run_has_two_features(app, store):
    """Blobs may have any number of features: 2-D-ness is the run's, not the dataset's."""
    flat = [train(_blobs_spec(s), tracking_uri=store, experiment="cmp", log_model=False).run_id
            for s in (0, 1)]
    wide = train(_blobs_spec(0, 3), tracking_uri=store, experiment="cmp",
                 log_model=False).run_id
    at = _open(app, {"runs": ",".join([*flat, wide])})
    panels = [s for s in _specs(at) if [ly["mark"]["type"] for ly in s.get("layer", [])]
              == ["rect", "point"]]
    assert sorted(p["title"].rsplit(" · ", 1)[1] for p in panels) == sorted(r[:6] for r in flat)


def test_replicate_groups_of_two_datasets_show_no_nan(app, store):
    """Params one dataset has and the other lacks are left out of the group labels."""
    ids = [train(_blobs_spec(s), tracking_uri=store, experiment="cmp", log_model=False).run_id
           for s in (0, 1)]
    ids += [train(_spec(0.1, s, "moons"), tracking_uri=store, experiment="cmp",
                  log_model=False).run_id for s in (0, 1)]
    at = _open(app, {"runs": ",".join(ids)})
    summary = next(d.value for d in at.dataframe if "group" in d.value.columns)
    assert len(summary) == 2
    assert not any("nan" in g or "—" in g for g in summary["group"]), summary["group"].tolist()
    assert any("blobs" in g for g in summary["group"])


def test_every_drawn_chart_is_valid_vega_lite(app, runs):
    """The page skips Altair's schema validation when it draws (issue 13: ~80 ms a chart);
    what it sends must still be valid Vega-Lite."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import load_schema

    at = _open(app)
    at.toggle(key="cmp_confusion").set_value(True).run()
    assert not at.exception, at.exception
    schema = load_schema()
    specs = _specs(at)
    assert len(specs) >= 4 + 6  # curves, ranking, scatter, parallel, 4 boundaries, matrices
    for spec in specs:
        assert validate_jsonschema(spec, schema, raise_error=False) is None, spec



def test_sections_below_the_fold_are_built_when_opened(app, runs):
    """Seed replicates, settings against results and decisions are closed at first and
    cost nothing: only the curves and the ranking are drawn (issue 13: the page drew
    twelve charts, the six boundary panels reading artifacts); each opens on demand."""
    at = _open(app, sections=False)
    assert [e.label for e in at.expander] == ["Seed replicates", "Settings against results",
                                              "Decisions"]
    assert not any(e.proto.expanded for e in at.expander)
    specs = _specs(at)
    assert len(specs) == 2  # the curves and the ranking at an epoch
    assert not any([ly["mark"]["type"] for ly in s.get("layer", [])] == ["rect", "point"]
                   for s in specs)  # no boundary panel
    at.session_state[cs.OPEN_DECISIONS] = True  # what clicking the expander does
    at.run()
    assert not at.exception, at.exception
    panels = [s for s in _specs(at) if [ly["mark"]["type"] for ly in s.get("layer", [])]
              == ["rect", "point"]]
    assert len(panels) == 4
    assert at.query_params["decisions"] in ("1", ["1"])
    at.session_state[cs.OPEN_SETTINGS] = True
    at.session_state[cs.OPEN_REPLICATES] = True
    at.run()
    assert len(_specs(at)) == 2 + 2 + 2 + 4  # + bands and spread, scatter and parallel


def test_a_sweeps_row_names_the_sweep_and_its_empty_settings_read_as_a_dash(app, store):
    """A sweep's parent logs only the settings its search does not vary: its row says
    "sweep of N trials" (as on Home) and its empty cells read "—", not "None"."""
    from experiments.sweeps import SweepSpec, run_sweep

    single = train(_spec(0.1), tracking_uri=store, experiment="cmp", log_model=False).run_id
    sweep = SweepSpec.from_dict({
        "name": "dashes", "dataset": {"name": "xor", "n_samples": 60},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 5, "batch_size": 16},
        "sweep": {"method": "random", "trials": 2,
                  "space": {"training.learning_rate": {"log_uniform": [0.01, 0.3]},
                            "model.hidden": {"choice": [[2], [4]]}}}})
    parent = run_sweep(sweep, tracking_uri=store).parent_run_id
    at = _open(app, sections=False)
    frame = at.dataframe[0]
    table = frame.value.set_index("run_id")
    assert table.loc[parent, "architecture"] == "sweep of 2 trials"
    assert table.loc[single, "architecture"] == "2-4-1"
    # The varied settings are not on the parent's row: empty cells, drawn as the placeholder
    # (Streamlit draws "None" without one), in a number column that still sorts as numbers.
    assert pd.isna(table.loc[parent, "training.learning_rate"])
    assert pd.isna(table.loc[parent, "model.hidden"])
    assert pd.api.types.is_float_dtype(table["training.learning_rate"])
    assert frame.proto.placeholder == "—"


def test_the_runs_are_read_again_as_soon_as_the_store_changes(app, runs, store):
    """The runs table is cached for minutes (MLflow's search of 200 runs takes 0.4-1 s),
    keyed by the store's version: a new run, a renamed and a deleted one show at once."""
    from experiments.tracking import mlflow_client
    from ui import data

    at = _open(app, sections=False)
    assert any(s.value.startswith("Runs · 4 of 4") for s in at.subheader)
    before = data.store_version(store)
    assert before[0] == "sql"
    new = train(_spec(0.3, 5), tracking_uri=store, experiment="cmp", log_model=False).run_id
    assert data.store_version(store) != before
    at.switch_page(COMPARE).run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Runs · 5 of 5") for s in at.subheader)
    assert new in set(at.dataframe[0].value["run_id"])
    client = mlflow_client(store)
    client.set_tag(new, "mlflow.runName", "renamed-run")
    at.switch_page(COMPARE).run()
    table = at.dataframe[0].value.set_index("run_id")
    assert table.loc[new, "run_name"] == "renamed-run"
    client.delete_run(new)
    at.switch_page(COMPARE).run()
    assert any(s.value.startswith("Runs · 4 of 4") for s in at.subheader)
    assert new not in set(at.dataframe[0].value["run_id"])
