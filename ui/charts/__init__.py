"""Altair chart builders of the dashboard: pure functions from tidy frames to charts.

Every builder takes pandas frames (made by :mod:`experiments.frames`,
:mod:`experiments.compare` and :mod:`experiments.queries`) and returns an Altair
chart; none imports streamlit, so a notebook shows the same charts by evaluating
them and tests check their specs (marks, encodings, data) directly.

* :mod:`ui.charts.style`: the colours and sizing every chart shares;
* :mod:`ui.charts.training`: one run's learning curves;
* :mod:`ui.charts.dataset`: the data (scatter, class balance, histograms, scatter matrix);
* :mod:`ui.charts.boundary`: the decision boundary of a 2-D dataset, the one builder
  the Train, Compare and Run pages all use;
* :mod:`ui.charts.model`: a confusion matrix and the weights as heatmaps;
* :mod:`ui.charts.compare`: many runs' curves overlaid, seed bands, rankings at an
  epoch, per-run charts side by side;
* :mod:`ui.charts.settings`: settings against results (scatter, parallel coordinates);
* :mod:`ui.charts.export`: any chart as PNG or SVG bytes.
"""
