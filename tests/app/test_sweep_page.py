"""Sweep page flows (Streamlit AppTest, in process, a SQLite store per test): a small
sweep launched and watched to its results, the Stop path, the watchdog that stops a sweep
whose tab closed, the form in the URL (a link opens it, a change rewrites it, a reload
reattaches to the running sweep), a past sweep picked from the list, a shipped sweep
loaded into the form, and sweeps folded on Home and Compare."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from experiments import RunSpec, train
from experiments.sweeps import SweepSpec, load_sweep, run_sweep
from experiments.tracking import mlflow_client
from ui import compare_state as cs
from ui import keys, sidebar
from ui import sweep_form as sf
from ui.jobs import TAB_CLOSED
from ui.sweep_job import SweepJob

from .conftest import DASHBOARD

SWEEP = sidebar.SWEEP


def _open(at, query=None):
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(SWEEP).run()
    assert not at.exception, at.exception
    return at


def _small(at, trials: int = 3, epochs: int = 20):
    at.number_input(key=sf.TRIALS).set_value(trials)
    at.number_input(key=sf.PREFIX + "training.epochs").set_value(epochs)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _finish(at, timeout: float = 120):
    job = at.session_state[sf.JOB]
    assert job.wait(timeout), "the sweep did not end"
    at.run()
    assert not at.exception, at.exception
    return job


def _children(store, parent_run_id):
    client = mlflow_client(store)
    parent = client.get_run(parent_run_id)
    return parent, client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent_run_id}'")


def _links(at) -> dict[str, tuple[str, str]]:
    return {p.proto.label: (p.proto.page, p.proto.query_string) for p in at.get("page_link")}


def _chart_marks(at) -> list[str]:
    marks = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        for part in [spec, *spec.get("layer", []), *spec.get("concat", [])]:
            mark = part.get("mark")
            if mark:
                marks.append(mark["type"] if isinstance(mark, dict) else mark)
    return marks


def _quick_sweep(store, name: str, trials: int = 3) -> str:
    sweep = SweepSpec.from_dict({
        "name": name, "dataset": {"name": "xor", "n_samples": 60},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 10,
                     "batch_size": 16},
        "sweep": {"method": "random", "trials": trials,
                  "space": {"training.learning_rate": {"log_uniform": [0.01, 0.3]},
                            "model.hidden": {"choice": [[2], [4]]}}}})
    return run_sweep(sweep, tracking_uri=store).parent_run_id


def test_a_small_sweep_runs_live_and_shows_its_results(app, store):
    at = _small(_open(app))
    assert at.selectbox(key=sf.DATASET).value == "moons"
    at.button(key=sf.LAUNCH).click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Sweep moons_quick running") for s in at.subheader)
    job = _finish(at)
    assert job.result is not None and job.result.status == "FINISHED"
    assert next(s.value for s in at.success).startswith("**Finished** 3 trials")

    parent, children = _children(store, job.parent_run_id)
    assert parent.info.status == "FINISHED" and len(children) == 3
    assert {c.info.status for c in children} == {"FINISHED"}
    # The results show the sweep that just ended.
    assert at.selectbox(key=sf.PAST).value == job.parent_run_id
    marks = _chart_marks(at)
    assert marks.count("bar") == 1, marks          # importance
    assert "rule" in marks and "line" in marks     # parallel coordinates, best so far
    assert marks.count("point") >= 3, marks        # trials + one panel per setting
    assert any("fANOVA" in c.value for c in at.caption)
    best = job.result.best_run_id
    links = _links(at)
    assert links["Open its run"] == ("Run", f"run={best}")
    page, query = links["Compare top 3"]
    assert page == "Compare"
    top = query.removeprefix("runs=").split("%2C")
    assert top[0] == best and set(top) == {c.info.run_id for c in children}
    table = at.dataframe[-1].value
    assert len(table) == 3 and set(table["state"]) == {"COMPLETE"}


def test_stop_ends_the_running_trial_and_the_sweep_killed(app, store):
    at = _small(_open(app), trials=3, epochs=5000)
    at.button(key=sf.LAUNCH).click().run()
    job = at.session_state[sf.JOB]
    assert job.running
    at.button(key=sf.STOP).click().run()
    assert not at.exception, at.exception
    job = _finish(at)
    assert job.result is not None and job.result.status == "KILLED"
    assert any(w.value.startswith("**Stopped**") for w in at.warning)
    parent, children = _children(store, job.parent_run_id)
    assert parent.info.status == "KILLED"
    assert "RUNNING" not in {c.info.status for c in children}
    assert all(c.info.status == "KILLED" for c in children
               if c.data.metrics.get("final_epochs", 0) < 5000)


def _endless_sweep(trials: int = 3) -> SweepSpec:
    return SweepSpec.from_dict({
        "name": "watched", "dataset": {"name": "xor", "n_samples": 60},
        "model": {"hidden": [4], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.05, "epochs": 200000,
                     "batch_size": 16},
        "sweep": {"method": "random", "trials": trials,
                  "space": {"training.learning_rate": {"log_uniform": [0.01, 0.3]}}}})


def _sweep_runs(store) -> list:
    client = mlflow_client(store)
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


def test_a_sweep_whose_tab_closed_stops_and_leaves_nothing_running(store):
    """The session that launched the sweep disconnects (here: once a trial's run is
    RUNNING, so the stop lands mid-trial) and stays gone past the grace: no more
    trials start, the running one and the parent end KILLED with the reason."""
    looked = []

    def is_alive(session_id: str | None) -> bool:
        looked.append(session_id)
        return not any(r.info.status == "RUNNING" and "mlflow.parentRunId" in r.data.tags
                       for r in _sweep_runs(store))

    job = SweepJob(_endless_sweep(), store, session_id="tab-1", grace=1.0,
                   is_alive=is_alive).start()
    assert job.wait(120), "the watchdog did not stop the sweep"
    assert set(looked) == {"tab-1"}
    assert job.error is None and job.result is not None
    assert job.result.status == "KILLED" and job.stop_reason == TAB_CLOSED
    parent, children = _children(store, job.parent_run_id)
    assert parent.info.status == "KILLED"
    assert parent.data.tags["stop_reason"] == f"{TAB_CLOSED} after 0 trials"
    [child] = children   # the one trial running when the tab closed; none started after
    assert child.info.status == "KILLED"
    assert child.data.tags["stop_reason"].startswith(f"{TAB_CLOSED} after epoch ")
    assert "RUNNING" not in {r.info.status for r in _sweep_runs(store)}


def test_a_sweep_whose_session_comes_back_in_time_goes_on(store):
    """A reload or a network blip shorter than the grace does not stop the sweep."""
    answers = iter([True, False, False, True])

    def is_alive(session_id: str | None) -> bool:
        return next(answers, True)

    job = SweepJob(_endless_sweep(), store, session_id="tab-1", grace=1000.0,
                   is_alive=is_alive)
    for now in (0.0, 1.0, 500.0, 1500.0):
        assert not job.check_session(now, job.is_alive(job.session_id))
    assert not job.stopping
    job.attach("tab-2")  # the page reloaded: the watchdog follows the new session
    assert job.session_id == "tab-2"
    assert not job.check_session(2000.0, False) and not job.check_session(2999.0, False)
    assert job.check_session(3001.0, False) and job.stop_reason == TAB_CLOSED


@pytest.mark.parametrize("path", sf.shipped_sweeps(), ids=lambda p: p.stem)
def test_every_shipped_sweep_round_trips_through_the_link_and_the_form(path):
    sweep = load_sweep(path)
    assert sf.sweep_from_query(sf.query_from_sweep(sweep, workers=3)) == (sweep, 3, [])
    from_form = sf.sweep_from_values(sf.values_from_sweep(sweep))
    assert sf.query_from_sweep(from_form) == sf.query_from_sweep(sweep)


def test_the_link_writes_each_searched_setting_as_its_row_formats_it():
    sweep = SweepSpec.from_dict({
        "name": "formatted", "dataset": {"name": "moons"}, "model": {"hidden": [8]},
        "training": {"optimizer": "sgd", "momentum": 0.9},
        "sweep": {"method": "random", "trials": 4, "space": {
            "training.learning_rate": {"log_uniform": [0.0001, 1.0]},
            "training.epochs": {"uniform": [50, 200], "step": 50},
            "model.hidden": {"choice": [[4], [16, 16]]},
            "training.nesterov": {"choice": [True, False]}}}})
    query = sf.query_from_sweep(sweep)
    assert {k: v for k, v in query.items() if k.startswith(sf.SPACE_PARAM)} == {
        "space.training.learning_rate": "log_uniform:0.0001,1.0",
        "space.training.epochs": "uniform:50,200,50",
        "space.model.hidden": "choice:[4];[16, 16]",
        "space.training.nesterov": "choice:true;false"}
    assert sf.sweep_from_query(query) == (sweep, 1, [])


#: A link to a sweep on xor, every part of the form away from its start.
LINK = {"dataset.name": "xor", "dataset.n_samples": "120", "model.activation": "tanh",
        "training.optimizer": "adam", "training.learning_rate": "0.02", "training.epochs": "30",
        "sweep.method": "random", "sweep.trials": "5", "sweep.replicates": "2",
        "sweep.objective": "val_accuracy", "sweep.direction": "maximize",
        "sweep.pruner": "median", "sweep.seed": "7", "sweep.name": "linked",
        "sweep.workers": "2",
        "space.training.learning_rate": "log_uniform:0.005,0.5",
        "space.model.hidden": "choice:[2];[6, 6]",
        "space.training.l2": "uniform:0.0,0.01"}


def _form_shows_the_link(at) -> None:
    assert at.selectbox(key=sf.DATASET).value == "xor"
    assert at.session_state[sf.dataset_key("xor", "n_samples")] == 120
    assert at.number_input(key=sf.PREFIX + "training.epochs").value == 30
    assert at.selectbox(key=sf.METHOD).value == "random"
    assert at.number_input(key=sf.TRIALS).value == 5
    assert at.number_input(key=sf.REPLICATES).value == 2
    assert at.selectbox(key=sf.OBJECTIVE).value == "val_accuracy"
    assert at.selectbox(key=sf.DIRECTION).value == "maximize"
    assert at.selectbox(key=sf.PRUNER).value == "median"
    assert at.number_input(key=sf.SEED).value == 7
    assert at.text_input(key=sf.NAME).value == "linked"
    assert at.number_input(key=sf.WORKERS).value == 2
    assert at.multiselect(key=sf.VARY).value == ["training.learning_rate", "model.hidden",
                                                 "training.l2"]
    lr = "training.learning_rate"
    assert (at.number_input(key=sf.low_key(lr)).value,
            at.number_input(key=sf.high_key(lr)).value) == (0.005, 0.5)
    assert at.toggle(key=sf.log_key(lr)).value is True
    assert at.text_input(key=sf.choices_key("model.hidden")).value == "[2]; [6, 6]"
    assert (at.number_input(key=sf.low_key("training.l2")).value,
            at.number_input(key=sf.high_key("training.l2")).value) == (0.0, 0.01)
    assert at.toggle(key=sf.log_key("training.l2")).value is False


def test_a_link_opens_the_sweep_form_it_describes(app):
    at = _open(app, LINK)
    assert not at.warning, [w.value for w in at.warning]
    _form_shows_the_link(at)
    assert any("**linked**: random · 5 trials × 2 seeds · maximize val_accuracy · pruner "
               "median" in c.value for c in at.caption)
    assert at.query_params == LINK  # the page writes back the link it was opened with


def test_changing_the_form_rewrites_the_link_and_the_link_opens_it_again(app, store):
    at = _open(app)
    at.selectbox(key=sf.DATASET).set_value("xor").run()
    at.session_state[sf.dataset_key("xor", "n_samples")] = 120
    at.number_input(key=sf.PREFIX + "training.epochs").set_value(30)
    at.selectbox(key=sf.METHOD).set_value("random")
    at.number_input(key=sf.TRIALS).set_value(5)
    at.number_input(key=sf.REPLICATES).set_value(2)
    at.selectbox(key=sf.OBJECTIVE).set_value("val_accuracy").run()
    assert at.selectbox(key=sf.DIRECTION).value == "maximize"  # follows the objective
    at.selectbox(key=sf.PRUNER).set_value("median")
    at.number_input(key=sf.SEED).set_value(7)
    at.text_input(key=sf.NAME).set_value("linked")
    at.number_input(key=sf.WORKERS).set_value(2)
    at.multiselect(key=sf.VARY).set_value(["training.learning_rate", "model.hidden",
                                           "training.l2"]).run()
    lr = "training.learning_rate"
    at.number_input(key=sf.low_key(lr)).set_value(0.005)
    at.number_input(key=sf.high_key(lr)).set_value(0.5)
    at.text_input(key=sf.choices_key("model.hidden")).set_value("[2]; [6, 6]")
    at.number_input(key=sf.low_key("training.l2")).set_value(0.0)
    at.number_input(key=sf.high_key("training.l2")).set_value(0.01).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.query_params == LINK
    # The link in another browser session opens the same form.
    other = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    _form_shows_the_link(_open(other, dict(at.query_params)))


def test_a_bad_part_of_a_link_is_skipped_and_said(app):
    at = _open(app, {"dataset.name": "xor", "sweep.trials": "many",
                     "space.training.learning_rate": "log_uniform:0,1",
                     "space.model.hidden": "choice:[3];[5]"})
    warnings = [w.value for w in at.warning]
    assert any("sweep.trials = 'many'" in w for w in warnings), warnings
    assert any("space.training.learning_rate" in w for w in warnings), warnings
    assert at.selectbox(key=sf.DATASET).value == "xor"
    assert at.multiselect(key=sf.VARY).value == ["model.hidden"]
    assert at.number_input(key=sf.TRIALS).value == sf.DEFAULT_SWEEP.trials


def test_a_reload_reattaches_to_the_running_sweep(app, store):
    at = _small(_open(app), trials=3, epochs=5000)
    at.button(key=sf.LAUNCH).click().run()
    job = at.session_state[sf.JOB]
    assert job.session_id  # AppTest's (every AppTest session has the same id)
    watched_by = job.session_id
    job.session_id = "the closed tab"
    link = dict(at.query_params)
    assert link[keys.JOB_PARAM] == job.token and link["sweep.trials"] == "3"
    reloaded = _open(AppTest.from_file(DASHBOARD, default_timeout=60).run(), link)
    assert reloaded.session_state[sf.JOB] is job and job.running
    assert job.session_id == watched_by  # the watchdog follows the reloaded page
    assert any(s.value.startswith("Sweep moons_quick running") for s in reloaded.subheader)
    reloaded.button(key=sf.STOP).click().run()
    assert job.wait(120) and job.result.status == "KILLED"
    reloaded.run()
    assert keys.JOB_PARAM not in reloaded.query_params  # an ended sweep is not watched


def test_a_past_sweep_is_picked_from_the_list(app, store):
    older = _quick_sweep(store, "older", trials=2)
    newer = _quick_sweep(store, "newer", trials=3)
    at = _open(app)
    picker = at.selectbox(key=sf.PAST)
    assert picker.options[0].startswith("newer") and picker.value == newer
    picker.set_value(older).run()
    assert not at.exception, at.exception
    assert any(f"sweep run `{older}`" in c.value for c in at.caption)
    assert len(at.dataframe[-1].value) == 2
    # Two trials: importance needs more than that to say anything, and says so.
    assert _chart_marks(at).count("bar") == 1 or any(
        "at least two" in i.value for i in at.info)


def test_a_shipped_sweep_loads_into_the_form(app):
    at = _open(app)
    path = next(o for o in at.selectbox(key=sf.SOURCE).options
                if o.endswith("xor_seed_replicates.toml"))
    at.selectbox(key=sf.SOURCE).set_value(path).run()
    at.button(key=sf.LOAD).click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key=sf.DATASET).value == "xor"
    assert at.selectbox(key=sf.METHOD).value == "random"
    assert at.number_input(key=sf.REPLICATES).value == 5
    assert at.multiselect(key=sf.VARY).value == ["training.learning_rate", "model.hidden"]
    assert at.text_input(key=sf.choices_key("model.hidden")).value == "[2]; [4]; [8]"
    assert any("**xor_seed_replicates**: random · 8 trials × 5 seeds" in c.value
               for c in at.caption)


def test_home_and_compare_fold_a_sweeps_trials(app, store):
    single = train(RunSpec.from_dict({"dataset": {"name": "xor", "n_samples": 60},
                                      "model": {"hidden": [4]},
                                      "training": {"epochs": 5}}),
                   tracking_uri=store, log_model=False).run_id
    parent = _quick_sweep(store, "folded", trials=3)
    _, children = _children(store, parent)
    trial_ids = {c.info.run_id for c in children}

    app.run()  # Home: the sweep is one row, its trials behind a toggle
    assert not app.exception, app.exception
    home = app.dataframe[0].value
    assert set(home["run id"]) == {single, parent}
    toggle = app.toggle(key=f"home_sweep:{parent}")
    toggle.set_value(True).run()
    assert set(app.dataframe[1].value["run id"]) == trial_ids

    at = app.switch_page(sidebar.COMPARE).run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["run_id"]) == {single, parent}
    assert any("3 sweep trials are folded" in c.value for c in at.caption)
    at.button_group(key=cs.EXPANDED).set_value([parent]).run()
    table = at.dataframe[0].value
    assert list(table["run_id"])[:4] == [parent, *sorted(
        trial_ids, key=lambda r: next(int(c.data.tags["sweep.trial"]) for c in children
                                      if c.info.run_id == r))]
    assert table["sweep"].iloc[0] == "▾ 3 trials"


def test_compare_top_5_opens_compare_with_the_trials_even_after_a_visit(app, store):
    parent = _quick_sweep(store, "linked", trials=3)
    at = app.switch_page(sidebar.COMPARE).run()  # a first visit, nothing picked
    assert not at.exception and not at.session_state[cs.RUNS]
    at = _open(at)
    _page, query = _links(at)["Compare top 3"]
    top = query.removeprefix("runs=").split("%2C")
    at.query_params["runs"] = ",".join(top)
    at.switch_page(sidebar.COMPARE).run()
    assert not at.exception, at.exception
    assert list(at.session_state[cs.RUNS]) == top
    assert at.session_state[cs.EXPANDED] == [parent]  # their sweep opens in the table
    best = _links(_open(at))["Open its run"][1].removeprefix("run=")
    assert best == top[0]
    at.switch_page(sidebar.RUN).run()  # a first visit shows the newest run
    at = _open(at)
    at.query_params.clear()
    at.query_params["run"] = best
    at.switch_page(sidebar.RUN).run()
    assert not at.exception, at.exception
    assert at.session_state[cs.RUN] == best
