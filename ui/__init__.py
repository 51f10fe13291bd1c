"""Streamlit-side helpers shared by the dashboard's pages.

* :mod:`ui.keys`: every session-state and widget key, as constants;
* :mod:`ui.state`: the Train page's form <-> :class:`~experiments.RunSpec` <-> URL
  query string (pure functions, no streamlit);
* :mod:`ui.sidebar`: the sidebar every page shows (tracking store, experiment,
  the ``mlflow ui`` command);
* :mod:`ui.data`: cached readers (datasets, run tables, the MLflow client);
* :mod:`ui.live`: a training run in a worker thread, with a time-throttled live
  view, a stop button and a watchdog so no run is ever left RUNNING.

The experiment layer (:mod:`experiments`) never imports streamlit; this package
is the only place besides the pages that does.
"""
