"""The sidebar every page shows: the tracking store, the experiment, the MLflow UI command."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from experiments.tracking import redact_uri, resolve_tracking_uri, ui_command
from ui import data, keys

# The pages, for ``st.page_link`` and ``st.switch_page`` (the file name's number orders
# them in the navigation; every link and test names a page through these).
TRAIN = "pages/1_Train.py"
SWEEP = "pages/2_Sweep.py"
COMPARE = "pages/3_Compare.py"
RUN = "pages/4_Run.py"
LEARN = "pages/5_Learn.py"
#: Every page's icon (the browser tab's). An emoji: Streamlit loads its emoji catalogue
#: for it once per server (~0.1 s), but a Material icon as favicon is fetched from
#: fonts.gstatic.com, and the app makes no request outside the machine.
PAGE_ICON = "🧠"
#: Pages that show nothing but the store's runs: they stop under a store problem.
STORE_PAGES = frozenset({"compare", "run"})


def mlflow_ui_command(uri: str, experiment_id: str | None = None,
                      run_id: str | None = None) -> str:
    """The exact command (or address) that opens the MLflow UI on the store ``uri``.

    A relative SQLite path is made absolute (:func:`experiments.tracking.ui_command`),
    so the command works from any folder.

    Parameters
    ----------
    uri : str
        The tracking store.
    experiment_id, run_id : str, optional
        A run to open (a tracking server's address points at it).

    Returns
    -------
    str
        ``mlflow ui --backend-store-uri ... --port 5000`` or ``open <address>``.
    """
    command = ui_command(uri, experiment_id, run_id)
    if command.startswith("mlflow ui"):
        command += " --port 5000"
    return command


def inline_code(text: str) -> str:
    """``text`` as Markdown inline code (it may hold backticks).

    The sidebar shows the store and the MLflow UI command this way rather than with
    ``st.code``: a code block loads Streamlit's syntax highlighter in the browser, about
    0.5 s of every page's load in Chromium (issue 13), for two lines of plain text.

    >>> inline_code("mlflow ui"), inline_code("a`b")
    ('`mlflow ui`', '`` a`b ``')
    """
    if "`" not in text:
        return f"`{text}`"
    fence = "`" * (max(len(run) for run in re.findall("`+", text)) + 1)
    return f"{fence} {text} {fence}"


def render(page: str, experiment: str | None = None, *, problem_in: Any = None) -> str:
    """Draw the sidebar and return the tracking URI in use (read now, never cached).

    Leaving the Train page stops a run it was training (the run ends KILLED with
    the model trained so far), so no run is left RUNNING.

    The store is checked here, for every page, in seconds at most
    (:func:`ui.data.store_problem`): a problem is shown as one error sentence, and
    the pages in :data:`STORE_PAGES` stop under it; the others ask
    ``data.store_problem(uri)`` (cached) before reading runs.

    Parameters
    ----------
    page : str
        ``"home"``, ``"train"``, ... (the page drawing it).
    experiment : str, optional
        The experiment the page records into or reads from.
    problem_in : container, optional
        Where to show a store problem (default: here, in the page's body).
    """
    uri = resolve_tracking_uri()
    job = st.session_state.get(keys.JOB)
    if page != "train" and job is not None and job.running:
        job.request_stop("stopped because you left the Train page")
        st.session_state[keys.NOTICE] = (
            "Training stopped because you left the Train page; the run is recorded as "
            "KILLED with the model trained so far."
        )
    notice = st.session_state.pop(keys.NOTICE, None)
    if notice:
        st.toast(notice, icon=":material/stop_circle:")
    with st.sidebar:
        st.markdown("#### MLflow tracking")
        st.caption("Store")
        st.markdown(inline_code(redact_uri(uri)))
        if experiment:
            st.caption("Experiment")
            st.markdown(f"**{experiment}**")
        st.caption("Open the MLflow UI on the same runs")
        st.markdown(inline_code(mlflow_ui_command(uri)))
        st.caption("Runs are under the experiment's *Runs* tab (the UI opens on GenAI).")
    problem = data.store_problem(uri)
    if problem is not None:
        (problem_in or st).error(problem, icon=":material/cloud_off:")
        if page in STORE_PAGES:
            st.stop()
    return uri
