"""Streamlit-side helpers shared by the dashboard's pages.

* :mod:`ui.keys`: every session-state and widget key of the Train page and the
  sidebar, as constants (:mod:`ui.learn_keys` and :mod:`ui.compare_state` hold the
  Learn and the Compare/Run pages' own);
* :mod:`ui.state`: the Train page's form <-> :class:`~experiments.RunSpec` <-> URL
  query string (pure functions, no streamlit);
* :mod:`ui.setting_widgets`: one widget per setting, drawn from its row of the
  settings table;
* :mod:`ui.sidebar`: the sidebar every page shows (tracking store, experiment,
  the ``mlflow ui`` command);
* :mod:`ui.data`: cached readers (datasets, run tables, the MLflow client);
* :mod:`ui.tables`: how a runs table reads (empty cells, a sweep's own row);
* :mod:`ui.jobs`: long work in a worker thread, watched by a page and never left
  running unwatched (the base of the two below);
* :mod:`ui.live`: a training run in a worker thread, with a time-throttled live
  view, a stop button and a watchdog so no run is ever left RUNNING;
* :mod:`ui.sweep_job` and :mod:`ui.sweep_form`: the Sweep page's job and its form
  <-> :class:`~experiments.sweeps.SweepSpec` (pure functions);
* ``ui.learn_*``: the Learn page (its state, sources, views, formulas, the course's
  mistakes and the exports);
* :mod:`ui.charts`: every chart of the app, as Altair charts or Vega-Lite specs.

The experiment layer (:mod:`experiments`) never imports streamlit; this package
is the only place besides the pages that does.
"""
