"""Learn page: step through backpropagation with real numbers, check every gradient,
see every neuron (issue 11)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import streamlit as st

from experiments import SpecError
from experiments.settings import SETTINGS
from ui import learn_keys as lk
from ui import learn_session as ls
from ui import learn_sources as sources
from ui import learn_views as views
from ui import setting_widgets as widgets
from ui import sidebar

st.set_page_config(page_title="Learn · nncore", page_icon=sidebar.PAGE_ICON, layout="wide")
ss = st.session_state
tracking_uri = sidebar.render("learn")

st.title("Learn: backpropagation, step by step")
st.caption("Pick a network and a sample, follow the forward and the backward pass with the "
           "actual numbers, check every gradient against finite differences, and take one "
           "optimizer step at a time.")

# --------------------------------------------------------------------------- the URL
# The first visit reads the URL; later, a link from another page (a query this page did
# not write itself: the Train or Run page's "Step through ...") does too.
incoming = st.query_params.to_dict()
if not ss.get(lk.URL_READ) or (incoming and incoming != ss.get(lk.URL_WRITTEN)):
    ss[lk.URL_READ] = True
    source = st.query_params.get(lk.Q_SOURCE)
    if st.query_params.get(lk.Q_RUN):
        source = "run"
        ss.pop(lk.RUN, None)  # the linked run is picked, not the one picked before
    if source in sources.SOURCES:
        ss[lk.SOURCE] = source
    sample = st.query_params.get(lk.Q_INDEX)
    if sample is not None and sample.lstrip("-").isdigit():
        ss[lk.INDEX] = int(sample)

# --------------------------------------------------------------------------- 1. network
with st.container(border=True):
    st.subheader("1 · The network", anchor=False)
    options = list(sources.SOURCES)
    st.radio("Network", options, key=lk.SOURCE, horizontal=True,
             format_func=sources.SOURCES.get, label_visibility="collapsed")
    source = ss[lk.SOURCE]
    if source == "run":
        picked = sources.pick_run(tracking_uri, st.query_params.get(lk.Q_RUN))
    elif source == "train":
        picked = sources.pick_train()
    else:
        picked = sources.pick_fresh()
    if picked is None:
        st.stop()
    signature, build = picked
    if ss.get(lk.SIGNATURE) != signature or lk.LESSON not in ss:
        try:
            ss[lk.LESSON] = build()
        except ls.LearnError as e:
            ss.pop(lk.LESSON, None)
            st.error(ls.sentence(e), icon=":material/error:")
            st.stop()
        ss[lk.SIGNATURE] = signature
        ss.pop(lk.CHECKS, None)
    lesson: ls.Lesson = ss[lk.LESSON]
    ds = lesson.dataset
    arch = (f"{lesson.model.n_inputs} inputs → step" if lesson.is_perceptron else " → ".join(
        [str(lesson.model.n_inputs), *(f"{la.n_units} {la.activation}"
                                       for la in lesson.model.layers)]))
    st.markdown(f"**{lesson.source}** · {arch} · {lesson.model.n_params:,} parameters · "
                f"{len(ds.y_train):,} training rows of **{ds.name}**")
query = {lk.Q_SOURCE: source}
if source == "run":
    query[lk.Q_RUN] = ss[lk.RUN]

# --------------------------------------------------------------------------- perceptron
if lesson.is_perceptron:
    with st.container(border=True):
        st.subheader("2 · The perceptron trick", anchor=False)
        c1, c2 = st.columns(2)
        if c1.button("Apply the trick", key=lk.TRICK, type="primary",
                     icon=":material/directions_walk:"):
            ls.trick_step(lesson)
        if c2.button("Reset", key=lk.RESET, icon=":material/restart_alt:"):
            ls.reset(lesson)
        views.perceptron_view(lesson)
    if dict(st.query_params) != query:
        st.query_params.from_dict(query)
    ss[lk.URL_WRITTEN] = dict(query)
    st.stop()

# --------------------------------------------------------------------------- 2. sample
with st.container(border=True):
    st.subheader("2 · The sample", anchor=False)
    modes = [m for m in ls.SAMPLE_MODES if m != "typed" or ds.name == "student_admissions"]
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.radio("Sample", modes, key=lk.MODE, horizontal=True, format_func=ls.SAMPLE_MODES.get,
             label_visibility="collapsed")
    mode = ss[lk.MODE]
    if mode in ("index", "batch"):
        c2.number_input("Sample index" if mode == "index" else "First row", step=1, value=0,
                        key=lk.INDEX, help=f"0 to {lesson.n_train - 1:,}")
    if mode == "batch":
        c3.number_input("Rows in the batch", step=1, value=4, key=lk.BATCH,
                        help=f"1 to {ls.MAX_BATCH}")
    typed_values: dict[str, Any] | None = None
    if mode == "typed":
        raw = ds.raw_train
        t1, t2, t3, t4 = st.columns(4)
        t1.number_input("gre", value=int(raw["gre"].median()), step=10, key=lk.GRE)
        t2.number_input("gpa", value=float(raw["gpa"].median()), step=0.1, format="%.2f",
                        key=lk.GPA)
        t3.selectbox("rank", [1, 2, 3, 4], key=lk.RANK)
        t4.selectbox("admit (the label)", [0, 1], key=lk.ADMIT)
        typed_values = {"gre": ss[lk.GRE], "gpa": ss[lk.GPA], "rank": ss[lk.RANK]}
    if mode == "random" and lk.RANDOM_ROW not in ss:
        ss[lk.RANDOM_ROW] = int(np.random.default_rng().integers(lesson.n_train))
    rows: tuple[int, ...] = ()
    try:
        if mode == "typed":
            X = ls.typed_row(ds, typed_values)
            y = np.array([ss[lk.ADMIT]])
        else:
            rows = ls.choose_rows(lesson, "index" if mode == "random" else mode,
                                  index=ss[lk.RANDOM_ROW] if mode == "random"
                                  else int(ss.get(lk.INDEX, 0)),
                                  batch=int(ss.get(lk.BATCH, 4)))
            X, y = ls.batch_of(lesson, rows)
    except ls.LearnError as e:
        st.error(ls.sentence(e), icon=":material/error:")
        st.stop()
    if mode == "random" and st.button("Another random sample", key="learn_reroll"):
        ss[lk.RANDOM_ROW] = int(np.random.default_rng().integers(lesson.n_train))
        st.rerun()
    if mode == "index":
        query[lk.Q_INDEX] = str(rows[0])
    labels = ", ".join(str(r) for r in rows) if rows else "typed in"
    classes = ds.class_names
    target = ", ".join(classes[int(v)] if classes else f"{v:.4g}" for v in np.ravel(y))
    st.caption(f"Row(s) {labels} · target: {target}")

# --------------------------------------------------------------------------- 3. optimizer
with st.container(border=True):
    st.subheader("3 · One step", anchor=False)
    o1, o2, o3 = st.columns(3)
    widgets.choice(SETTINGS["training.optimizer"], SETTINGS["training.optimizer"].default,
                   key=lk.OPTIMIZER, where=o1)
    widgets.number(SETTINGS["training.learning_rate"],
                   SETTINGS["training.learning_rate"].default, key=lk.LR, where=o2)
    if ss[lk.OPTIMIZER] == "sgd":
        widgets.number(SETTINGS["training.momentum"], SETTINGS["training.momentum"].default,
                       key=lk.MOMENTUM, where=o3)
    momentum = float(ss.get(lk.MOMENTUM, 0.0)) if ss[lk.OPTIMIZER] == "sgd" else 0.0
    try:
        lr = SETTINGS["training.learning_rate"].validate(ss[lk.LR])
        momentum = SETTINGS["training.momentum"].validate(momentum)
        optimizer = ls.optimizer_for(lesson, ss[lk.OPTIMIZER], lr, momentum)
    except (SpecError, ls.LearnError) as e:
        st.error(str(e), icon=":material/tune:")
        st.stop()
    b1, b2, b3, b4 = st.columns(4)
    step = b1.button("Take one step", key=lk.STEP, type="primary", width="stretch",
                     icon=":material/directions_walk:")
    def next_sample() -> None:
        """Move the index on (before the widget is drawn) and ask for a step there."""
        size = int(ss.get(lk.BATCH, 4)) if ss.get(lk.MODE) == "batch" else 1
        ss[lk.INDEX] = (int(ss.get(lk.INDEX, 0)) + size) % lesson.n_train
        ss[lk.PENDING_NEXT] = True

    b2.button("Next sample", key=lk.NEXT_SAMPLE, width="stretch", on_click=next_sample,
              disabled=mode not in ("index", "batch"),
              help="Move to the next row (or batch) and take one step on it.")
    next_10 = b3.button("Next 10 steps", key=lk.NEXT_10, width="stretch",
                        help="Ten steps on this sample (or batch).")
    reset = b4.button("Reset", key=lk.RESET, width="stretch", icon=":material/restart_alt:",
                      help="Back to the starting weights; the optimizer's state is cleared.")
    try:
        if reset:
            ls.reset(lesson)
        elif ss.pop(lk.PENDING_NEXT, False) or step or next_10:
            for _ in range(10 if next_10 else 1):
                ls.take_step(lesson, X, y, optimizer, rows)
    except ls.LearnError as e:
        st.error(ls.sentence(e), icon=":material/trending_up:")
if dict(st.query_params) != query:
    st.query_params.from_dict(query)
ss[lk.URL_WRITTEN] = dict(query)

# --------------------------------------------------------------------------- the views
tr = ls.trace(lesson, X, y)
n_params = lesson.model.n_params
auto = n_params <= ls.AUTO_CHECK_PARAMS
check = None
wanted = auto or st.toggle(
    f"Check all {n_params:,} gradients with finite differences", key=lk.CHECK,
    help="Two loss evaluations per parameter, made when the Backward pass tab, which "
         "shows them, is open.")
if wanted:
    key = hashlib.sha256(lesson.model.parameters.tobytes() + np.ascontiguousarray(
        X).tobytes() + np.asarray(y, dtype=float).tobytes()).hexdigest()
    cache = ss.setdefault(lk.CHECKS, {})
    # a big network's check waits for the tab that shows it: a step on another tab
    # stays fast; a small network's is a few milliseconds and always shown
    if key not in cache and (auto or ss.get(lk.VIEW, views.VIEWS[0]) == views.BACKWARD):
        cache.clear()
        with np.errstate(over="ignore", invalid="ignore"):
            cache[key] = ls.finite_differences(lesson, X, y)
    if key in cache:
        check = ls.gradient_check(tr, cache[key])
views.check_summary(check, n_params, waiting=wanted)

features = list(ds.feature_names)
title = f"{lesson.source}, {ds.name}, row(s) {labels}"
# Only the open tab's view is built (a tab switch reruns the page): a step redraws one
# view, not seven (issue 11's 300 ms for a step).
forward, backward, step_tab, picture, neurons, mistakes, export = st.tabs(
    list(views.VIEWS), key=lk.VIEW, on_change="rerun")
if forward.open:
    with forward:
        views.forward_view(tr, rows, features, f"(row(s) {labels})")
if backward.open:
    with backward:
        views.backward_view(tr, rows, check, features)
if step_tab.open:
    with step_tab:
        views.step_view(lesson, ss[lk.OPTIMIZER], momentum, lr)
if picture.open:
    with picture:
        views.picture_view(tr, features)
if neurons.open:
    with neurons:
        views.neurons_view(lesson, resolution=24)
if mistakes.open:
    with mistakes:
        st.caption("Slips of the course texts (LESSONS.md), on this step's numbers.")
        views.mistakes_view(tr)
if export.open:
    with export:
        views.exports_view(tr, lesson, lr, title)
