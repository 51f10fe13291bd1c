"""The Compare and Run pages' state: widget keys, and the URL query string round trip.

A comparison is shared by copying the URL: it holds the compared runs and every chart
choice that differs from the default. :func:`values_from_query` and
:func:`query_from_values` are pure (tested without a running app);
:func:`init_from_url` and :func:`write_url` apply them to ``st.session_state`` and
``st.query_params``.

>>> q = query_from_values({METRIC: "val_accuracy", LOG_SCALE: True}, ["abc", "def"])
>>> q
{'runs': 'abc,def', 'metric': 'val_accuracy', 'log': '1'}
>>> values_from_query(q)[0][METRIC], values_from_query(q)[1]
('val_accuracy', ['abc', 'def'])
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

# --- Compare page: which runs -----------------------------------------------------------
EXPERIMENT = "cmp_experiment"
DATASETS = "cmp_datasets"
STATUSES = "cmp_statuses"
DATES = "cmp_dates"
SEARCH = "cmp_search"
PARAM = "cmp_param"
PARAM_VALUES = "cmp_param_values"
METRIC_FILTER = "cmp_metric_filter"
METRIC_MIN = "cmp_metric_min"
METRIC_MAX = "cmp_metric_max"
MLFLOW_FILTER = "cmp_mlflow_filter"
TABLE = "cmp_table"
RUNS = "cmp_runs"
ONLY_DIFF = "cmp_only_diff"
# --- Compare page: chart choices --------------------------------------------------------
METRIC = "cmp_metric"
WITH_TRAIN = "cmp_with_train"
X_AXIS = "cmp_x"
LOG_SCALE = "cmp_log"
SMOOTHING = "cmp_smooth"
AT = "cmp_at"
AT_EPOCH = "cmp_at_epoch"
SCATTER_X = "cmp_scatter_x"
SCATTER_Y = "cmp_scatter_y"
SCATTER_COLOR = "cmp_scatter_color"
LOG_X = "cmp_log_x"
POOL_DATA_SEED = "cmp_pool_data_seed"
# --- Compare page: sections below the fold, built when opened (issue 13) ----------------
OPEN_REPLICATES = "cmp_open_replicates"
OPEN_SETTINGS = "cmp_open_settings"
OPEN_DECISIONS = "cmp_open_decisions"
# --- session objects (not widgets) ------------------------------------------------------
LAST_TABLE_PICK = "_cmp_last_table_pick"
URL_READ = "_cmp_url_read"
URL_WRITTEN = "_cmp_url_written"
#: The sweeps whose trials the runs table shows (pills; the others are folded).
EXPANDED = "cmp_expanded_sweeps"

# --- Run page ---------------------------------------------------------------------------
RUN = "run_id"
RUN_URL_READ = "_run_url_read"
RUN_URL_WRITTEN = "_run_url_written"
REPRODUCE = "run_reproduce"
REPRODUCED = "_run_reproduced"
PREDICT_FORM = "run_predict"


def feature_key(name: str) -> str:
    """Widget key of one feature of the Run page's predict form."""
    return f"run_feature.{name}"


#: Chart choices in the URL: widget key -> (query name, default value).
URL_FIELDS: dict[str, tuple[str, Any]] = {
    EXPERIMENT: ("exp", "(all experiments)"),
    METRIC: ("metric", "val_loss"),
    WITH_TRAIN: ("train", False),
    X_AXIS: ("x", "step"),
    LOG_SCALE: ("log", False),
    SMOOTHING: ("smooth", 0.0),
    AT: ("at", "last"),
    AT_EPOCH: ("epoch", 100),
    SCATTER_X: ("sx", ""),
    SCATTER_Y: ("sy", ""),
    SCATTER_COLOR: ("sc", ""),
    LOG_X: ("logx", False),
    ONLY_DIFF: ("diff", True),
    MLFLOW_FILTER: ("filter", ""),
    OPEN_REPLICATES: ("replicates", False),
    OPEN_SETTINGS: ("settings", False),
    OPEN_DECISIONS: ("decisions", False),
}
ALL_EXPERIMENTS = "(all experiments)"


def _encode(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _decode(text: str, default: Any) -> Any:
    if isinstance(default, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, float):
        return float(text)
    if isinstance(default, int):
        return int(float(text))
    return text


def values_from_query(query: Mapping[str, str]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Widget values, compared run ids and problems from a Compare page URL.

    Parameters
    ----------
    query : mapping of str to str
        ``st.query_params.to_dict()``.

    Returns
    -------
    (dict, list of str, list of str)
        Values by widget key for the choices the URL sets (others are left out),
        the run ids of ``runs=`` (comma-separated) and one message per value that
        could not be read (it is skipped).
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    for key, (name, default) in URL_FIELDS.items():
        if name not in query:
            continue
        try:
            values[key] = _decode(query[name], default)
        except ValueError:
            errors.append(f"{name}={query[name]!r} is not a valid value; using the default")
    if SMOOTHING in values and not 0.0 <= values[SMOOTHING] < 1.0:
        errors.append(f"smooth={query['smooth']!r} must be in [0, 1); using 0")
        values[SMOOTHING] = 0.0
    if AT in values and values[AT] not in ("last", "best", "epoch"):
        errors.append(f"at={query['at']!r} must be last, best or epoch; using last")
        values[AT] = "last"
    if X_AXIS in values and values[X_AXIS] not in ("step", "elapsed_s"):
        errors.append(f"x={query['x']!r} must be step or elapsed_s; using step")
        values[X_AXIS] = "step"
    runs = [r for r in query.get("runs", "").split(",") if r.strip()]
    return values, list(dict.fromkeys(r.strip() for r in runs)), errors


def query_from_values(values: Mapping[str, Any], runs: Sequence[str]) -> dict[str, str]:
    """The URL query of the Compare page: compared runs and non-default chart choices.

    Parameters
    ----------
    values : mapping
        Widget values by key (``st.session_state`` works); missing keys are defaults.
    runs : sequence of str
        Compared run ids, in order.

    Returns
    -------
    dict of str to str
    """
    query: dict[str, str] = {}
    if runs:
        query["runs"] = ",".join(runs)
    for key, (name, default) in URL_FIELDS.items():
        if key not in values:
            continue
        value = values[key]
        if value is None or value == default:
            continue
        query[name] = _encode(value)
    return query


# --------------------------------------------------------------------------- streamlit


def init_from_url(session: MutableMapping[str, Any], query: Mapping[str, str]) -> list[str]:
    """On a session's first visit, or when a link brings runs, put the URL's choices
    into session state.

    A link from another page (the Sweep page's "Compare top 5", the Run page's
    "Compare both") opens the page in the same session with ``runs=`` in the URL:
    any URL naming runs that this page did not write itself is read again.

    Parameters
    ----------
    session : mutable mapping
        ``st.session_state``.
    query : mapping
        ``st.query_params.to_dict()``.

    Returns
    -------
    list of str
        Messages about values of the URL that were skipped (empty after the first visit).
    """
    link = "runs" in query and dict(query) != session.get(URL_WRITTEN)
    if session.get(URL_READ) and not link:
        return []
    session[URL_READ] = True
    session.pop(LAST_TABLE_PICK, None)  # the table's old ticks must not replace the link's
    session.pop(EXPANDED, None)  # the sweeps of the link's runs open anew
    values, runs, errors = values_from_query(query)
    for key, value in values.items():
        session[key] = value
    if runs:
        session[RUNS] = runs
    return errors


def apply_defaults(session: MutableMapping[str, Any]) -> None:
    """Give every chart choice its default when the session has none yet.

    Widgets then read their values from session state only (no ``value=``/``default=``
    next to a key set from the URL, which Streamlit warns about).
    """
    for key, (_, default) in URL_FIELDS.items():
        if key not in session:
            session[key] = default


def write_url(session: MutableMapping[str, Any], runs: Sequence[str]) -> None:
    """Write the current comparison into the URL (only when it changed), and remember
    it (:func:`init_from_url` then tells it from a link's)."""
    import streamlit as st

    query = query_from_values(session, runs)
    session[URL_WRITTEN] = query
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)
