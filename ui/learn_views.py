"""The Learn page's sections, drawn from a trace: forward, backward, step, picture, neurons,
the course's mistakes, the perceptron trick and the exports.

Each function lays out numbers it is given (nncore computed them); none computes a
gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import nncore
from ui import learn_export, learn_math, learn_mistakes
from ui import learn_keys as lk
from ui import learn_session as ls
from ui.charts import learn as charts

#: The page's tabs, in order; only the open one's view is built on a rerun.
VIEWS = ("Forward pass", "Backward pass", "Step", "Network", "Neurons",
         "The course's mistakes", "Export")
#: The tab with the gradient check's tables.
BACKWARD = VIEWS[1]


def _labels(rows: tuple[int, ...]) -> tuple[int, ...] | None:
    return rows or None


def matrix(values: np.ndarray, row_label: str, col_label: str,
           rows: tuple[int, ...] | None = None, where: Any = st) -> None:
    """A matrix as a table whose first column (the row names) stays in view."""
    where.dataframe(learn_math.matrix_table(values, row_label, col_label, rows),
                    hide_index=True, width="stretch",
                    column_config={row_label: st.column_config.TextColumn(pinned=True)})


def forward_view(tr: nncore.BackpropTrace, rows: tuple[int, ...], feature_names: list[str],
                 labels: str) -> None:
    """Each layer's ``Z = A_prev·W + b`` and ``A = g(Z)``: formula and numbers; the loss.

    A layer's ``W`` and ``b`` are built only when their expander is open.
    """
    n = len(tr.layers)
    st.markdown(f"**Input** {labels}")
    st.dataframe(pd.DataFrame(tr.X, columns=feature_names,
                              index=[f"sample {r}" for r in rows] if rows else ["typed"]),
                 width="stretch")
    for layer in tr.layers:
        with st.container(border=True):
            st.markdown(f"**{learn_math.layer_name(layer.index, n).capitalize()}** · "
                        f"{layer.W.shape[1]} unit(s), {layer.activation}")
            st.latex(learn_math.forward_tex(layer))
            left, right = st.columns(2)
            left.caption("Z (before the activation)")
            matrix(layer.Z, "sample", "unit", _labels(rows), where=left)
            right.caption("A = g(Z)")
            matrix(layer.A, "sample", "unit", _labels(rows), where=right)
            k = layer.index + 1
            with st.expander(f"W{k} and b{k} ({layer.W.shape[0]}×{layer.W.shape[1]} and "
                             f"{layer.b.size})", key=f"{lk.WEIGHTS_OPEN}{k}",
                             on_change="rerun") as weights:
                if weights.open:
                    matrix(layer.W, "input", "unit")
                    matrix(layer.b, "b", "unit", (k,))
    with st.container(border=True):
        st.markdown(f"**Loss** · {tr.loss_name}")
        st.latex(learn_math.loss_tex(tr.loss_name) + rf" = {tr.loss:.6g}")
        st.dataframe(pd.DataFrame({
            **{f"ŷ {k + 1}": tr.output[:, k] for k in range(tr.output.shape[1])},
            **{f"y {k + 1}": tr.Y[:, k] for k in range(tr.Y.shape[1])}},
            index=[f"sample {r}" for r in rows] if rows else ["typed"]), width="stretch")


def check_summary(check: ls.GradientCheck | None, n_params: int, waiting: bool = False
                  ) -> None:
    """The largest relative error over the network, coloured, in one line.

    Parameters
    ----------
    check : GradientCheck or None
        None: not run for these weights and this batch.
    n_params : int
    waiting : bool
        The check is switched on but runs when the Backward pass tab is open.
    """
    if check is None:
        if waiting:
            st.info(f"The finite-difference check of these {n_params:,} parameters runs "
                    f"when the **{BACKWARD}** tab is open.", icon=":material/rule:")
        else:
            st.info(f"Finite-difference check not run for these {n_params:,} parameters "
                    "(two loss evaluations each); switch it on above.",
                    icon=":material/rule:")
        return
    worst, raw_worst = check.worst, check.raw_worst
    floor = ("" if raw_worst == worst else
             f" Tiny entries that agree to {ls.ABS_FLOOR:g} (the differences' rounding "
             f"floor) are left out of it; with them the largest is {raw_worst:.1e}.")
    if worst < learn_math.GOOD:
        st.success(f"Gradient check: the largest relative error over all {n_params:,} "
                   f"parameters is {worst:.1e} (below 1e-6: backprop agrees with finite "
                   f"differences).{floor}", icon=":material/check_circle:")
    else:
        st.warning(f"Gradient check: the largest relative error over all {n_params:,} "
                   f"parameters is {worst:.1e}. Above 1e-6 usually means an input sits on "
                   f"ReLU's kink or a unit is saturated, not a wrong gradient.{floor}",
                   icon=":material/warning:")


#: How the check table shows its columns: numbers in scientific notation, the check's
#: band as a coloured pill.
CHECK_COLUMNS = {
    "parameter": st.column_config.TextColumn(pinned=True),
    "backprop": st.column_config.NumberColumn(format="%.6e"),
    "finite difference": st.column_config.NumberColumn(format="%.6e"),
    "relative error": st.column_config.NumberColumn(format="%.1e"),
    "difference": st.column_config.NumberColumn(format="%.1e"),
    "check": st.column_config.MultiselectColumn(
        options=list(learn_math.CHECK_BANDS), color=list(learn_math.CHECK_COLOURS)),
}


def backward_view(tr: nncore.BackpropTrace, rows: tuple[int, ...],
                  check: ls.GradientCheck | None, feature_names: list[str]) -> None:
    """Output delta, hidden deltas and gradients, output first, each gradient entry beside
    its finite-difference estimate when the check ran (its summary is above the tabs)."""
    n = len(tr.layers)
    for layer in reversed(tr.layers):
        i = layer.index
        with st.container(border=True):
            st.markdown(f"**{learn_math.layer_name(i, n).capitalize()}** · δ{i + 1} = ∂E/∂Z{i + 1}")
            st.latex(learn_math.delta_tex(tr, i))
            left, right = st.columns(2)
            if layer.dA is not None:
                left.caption("∂E/∂A (before g′)" if i < n - 1 else "∂E/∂ŷ (the loss's derivative)")
                matrix(layer.dA, "sample", "unit", _labels(rows), where=left)
            right.caption(f"δ{i + 1}")
            matrix(layer.delta, "sample", "unit", _labels(rows), where=right)
            st.latex(learn_math.gradient_tex(i))
            if check is None:
                matrix(layer.dW, "input", "unit")
            else:
                table, total = learn_math.check_table(layer, check.numeric[i], check.errors[i],
                                                      check.diffs[i], feature_names)
                st.dataframe(table, hide_index=True, width="stretch",
                             column_config=CHECK_COLUMNS,
                             height=min(36 * (table.num_rows + 1) + 3, 360))
                if total > table.num_rows:
                    st.caption(f"The {table.num_rows} largest relative errors of {total:,} "
                               "entries.")


def step_view(lesson: ls.Lesson, optimizer: str, momentum: float, lr: float) -> None:
    """The last step: loss before → after (sample and training set), the weights that
    moved most, whether the prediction moved toward the label, the loss history."""
    st.latex(learn_math.update_tex(optimizer, momentum) + rf",\quad \alpha = {lr:g}")
    record = lesson.last
    if record is None:
        st.info("No step taken yet: press **Take one step**, **Next sample** or **Next 10 "
                "steps**.", icon=":material/directions_walk:")
        return
    first = lesson.steps[0]
    if record.rows and all(r.rows == record.rows for r in lesson.steps):
        st.markdown(f"Over {len(lesson.steps)} step(s) on this sample, its loss went from "
                    f"**{first.sample_loss_before:.5g}** to **{record.sample_loss_after:.5g}**.")
    c1, c2, c3 = st.columns(3)
    c1.metric("loss on the sample", f"{record.sample_loss_after:.5g}",
              delta=f"{record.sample_loss_after - record.sample_loss_before:+.3g}",
              delta_color="inverse", help=f"before the step: {record.sample_loss_before:.6g}")
    c2.metric("loss on the training set", f"{record.train_loss_after:.5g}",
              delta=f"{record.train_loss_after - record.train_loss_before:+.3g}",
              delta_color="inverse", help=f"before the step: {record.train_loss_before:.6g}")
    c3.metric("steps taken", f"{len(lesson.steps)}")
    if record.toward_label is not None:
        (st.success if record.toward_label else st.warning)(
            "The prediction moved toward its label." if record.toward_label else
            "The prediction moved away from its label (a step can overshoot: try a smaller "
            "learning rate).")
    for i, (before, after) in enumerate(zip(record.weights_before, record.weights_after,
                                            strict=True)):
        with st.expander(f"W{i + 1}: before → after", key=f"{lk.CHANGE_OPEN}{i + 1}",
                         expanded=i == len(record.weights_after) - 1,
                         on_change="rerun") as change:
            if change.open:
                st.dataframe(learn_math.weights_change_table(before, after, i),
                             hide_index=True, width="stretch")
    frame = pd.DataFrame(
        [{"step": r.step, "loss": r.sample_loss_before, "on": "sample, before the step"}
         for r in lesson.steps]
        + [{"step": r.step, "loss": r.train_loss_after, "on": "training set, after it"}
           for r in lesson.steps])
    st.vega_lite_chart(spec=charts.history_chart(frame), width="stretch")


def picture_view(tr: nncore.BackpropTrace, feature_names: list[str]) -> None:
    """The network as a diagram, forward (weights, activations) and backward (gradients)."""
    first = tr.X[0]
    acts = [first, *(layer.A[0] for layer in tr.layers)]
    weights = [layer.W for layer in tr.layers]
    nodes, edges, hidden = charts.network_frames(weights, acts, input_names=feature_names)
    st.vega_lite_chart(spec=charts.network_diagram(
        nodes, edges, title="forward: weights and the sample's activations"), width="stretch")
    deltas = [np.zeros_like(first), *(layer.delta[0] for layer in tr.layers)]
    nodes_b, edges_b, hidden_b = charts.network_frames(
        weights, deltas, edge_values=[layer.dW for layer in tr.layers],
        input_names=feature_names)
    st.vega_lite_chart(spec=charts.network_diagram(
        nodes_b, edges_b, title="backward: ∂E/∂W on the edges, δ on the nodes",
        edge_title="gradient", node_title="δ"), width="stretch")
    note = "Edges: red positive, blue negative, thickness |value|. Hover for the numbers."
    if hidden or hidden_b:
        note += (f" The {charts.MAX_EDGES} largest edges per layer are drawn "
                 f"({hidden:,} weights left out).")
    st.caption(note + " Nodes show the first sample of the batch.")


def neurons_view(lesson: ls.Lesson, resolution: int) -> None:
    """Every hidden unit's output over the input plane (2-D datasets), or why not."""
    ds = lesson.dataset
    try:
        frame = ls.hidden_unit_outputs(lesson, resolution, max_units=charts.MAX_HEATMAP_UNITS)
    except ls.LearnError as e:
        st.info(ls.sentence(e), icon=":material/grid_off:")
        return
    a, b = ds.raw_feature_names
    points = ls.train_points(lesson)
    label = "label" if ds.class_names else None
    st.vega_lite_chart(spec=charts.neuron_heatmaps(frame, a, b, points if label else None,
                                                  label=label,
                                                  classes=list(ds.class_names) or None),
                       width="content")
    widest = max(layer.n_units for layer in lesson.model.layers[:-1])
    note = "Each panel is one hidden unit's output over the input plane (red high, blue low)."
    if widest > charts.MAX_HEATMAP_UNITS:
        note += f" The first {charts.MAX_HEATMAP_UNITS} units of each layer are drawn."
    st.caption(note)


def mistakes_view(tr: nncore.BackpropTrace) -> None:
    """One expander per slip of the course texts, on the current numbers."""
    for mistake in learn_mistakes.all_mistakes(tr):
        with st.expander(mistake.title):
            left, right = st.columns(2)
            left.markdown(f":red[**The course's line**]  \n`{mistake.wrong_line}`")
            right.markdown(f":green[**The correct line**]  \n`{mistake.right_line}`")
            st.caption(mistake.explanation)
            if mistake.wrong is not None:
                left.dataframe(pd.DataFrame(np.atleast_2d(mistake.wrong)), width="stretch")
                diff = float(np.abs(np.atleast_2d(mistake.wrong) - np.atleast_2d(
                    mistake.right)).max())
                st.caption(f"Largest difference between the two: {diff:.4g}.")
            right.dataframe(pd.DataFrame(np.atleast_2d(mistake.right)), width="stretch")


def exports_view(tr: nncore.BackpropTrace, lesson: ls.Lesson, lr: float, title: str) -> None:
    """Download the step as a Markdown/LaTeX handout or a plain NumPy script."""
    c1, c2 = st.columns(2)
    c1.download_button("Download this step as Markdown/LaTeX",
                       learn_export.handout(tr, title=title, lr=lr), file_name="backprop_step.md",
                       mime="text/markdown", key="learn_handout", on_click="ignore",
                       icon=":material/description:")
    c2.download_button("Open as a NumPy script", learn_export.numpy_script(tr, lr=lr, title=title),
                       file_name="backprop_step.py", mime="text/x-python", key="learn_script",
                       on_click="ignore", icon=":material/code:")
    st.caption("The handout has the formulas with this step's numbers; the script recomputes "
               f"the same forward pass, gradients and one SGD step (α = {lr:g}) with NumPy "
               "alone.")


def perceptron_view(lesson: ls.Lesson) -> None:
    """The perceptron trick: the point, the rule that fired, the line before and after."""
    p, ds = lesson.model, lesson.dataset
    trick = lesson.last_trick
    wrong = int(np.count_nonzero(p.predict(ds.X_train) != ds.y_train))
    # One line per case: a single long formula is cut off at the page's edge.
    st.latex(r"\begin{aligned}&\hat y = \mathrm{step}(w\cdot x + b)\\"
             r"&\text{label 1, predicted 0: } w \leftarrow w + \alpha x,\quad "
             r"b \leftarrow b + \alpha\\"
             r"&\text{label 0, predicted 1: } w \leftarrow w - \alpha x,\quad "
             r"b \leftarrow b - \alpha\end{aligned}")
    st.metric("misclassified training points", f"{wrong:,} of {lesson.n_train:,}")
    if trick is None:
        st.info("Press **Apply the trick** to move the line toward the next misclassified "
                "point." if wrong else "Every training point is right: the perceptron "
                "algorithm stops here.")
        if not ds.is_2d:
            return
    else:
        sign = "+" if trick.rule == "add" else "−"
        said = {"add": "The point is labelled 1 but the perceptron said 0: add the point "
                       "(scaled by α) to the weights and α to the bias.",
                "subtract": "The point is labelled 0 but the perceptron said 1: subtract "
                            "the point (scaled by α) from the weights and α from the bias.",
                "none": "The point was right; nothing moves."}[trick.rule]
        st.markdown(f"**Point {lesson.steps[-1].rows[0]}**: label {trick.label}, "
                    f"w·x + b = {trick.score:.4g} → predicted {trick.prediction}. {said}")
        if trick.rule != "none":
            st.latex(rf"\begin{{aligned}}w &\leftarrow w {sign} \alpha x = "
                     rf"{_vec(trick.w_before)} {sign} {trick.lr:g}\cdot{_vec(trick.x)} = "
                     rf"{_vec(trick.w_after)}\\ b &\leftarrow b {sign} \alpha = "
                     rf"{trick.b_before:.4g} {sign} {trick.lr:g} = {trick.b_after:.4g}"
                     r"\end{aligned}")
    if ds.is_2d:
        _perceptron_plane(lesson)
    else:
        st.caption("The line is drawn for two-dimensional datasets.")


def _vec(v: np.ndarray) -> str:
    return r"\begin{bmatrix}" + r" & ".join(f"{x:.3g}" for x in np.ravel(v)) + r"\end{bmatrix}"


def _perceptron_plane(lesson: ls.Lesson) -> None:
    ds = lesson.dataset
    a, b = ds.raw_feature_names
    points = ds.frame()
    points = points[points["split"] == "train"] if "split" in points else points
    trick = lesson.last_trick
    p = lesson.model
    pairs = [("after", p.w, p.b)] if trick is None else [
        ("before", trick.w_before, trick.b_before), ("after", trick.w_after, trick.b_after)]
    grid = ls.plane_grid(ds, resolution=2, margin=0.05)
    box = (float(grid[a].min()), float(grid[a].max()), float(grid[b].min()),
           float(grid[b].max()))
    lines = []
    for name, w, bias in pairs:
        line = _raw_line(ds, w, bias, box)
        if line is not None:
            lines += [{a: x, b: y, "line": name} for x, y in line]
    highlight = None
    if trick is not None:
        row = lesson.steps[-1].rows[0]
        highlight = ds.raw_train.iloc[[row]][[a, b]]
    if not lines:
        st.caption("The line lies outside the plotted area.")
        lines = [{a: np.nan, b: np.nan, "line": "after"}]
    st.altair_chart(charts.perceptron_chart(points, a, b, "label", pd.DataFrame(lines),
                                            highlight, list(ds.class_names)), width="stretch")


def _raw_line(ds: Any, w: np.ndarray, bias: float,
              box: tuple[float, float, float, float]) -> list[tuple[float, float]] | None:
    """The segment of ``w·f(x) + b = 0`` inside ``box`` = (x_lo, x_hi, y_lo, y_hi), in raw
    coordinates (the features are an affine map of the raw columns, so the line stays a
    line); None when the line misses the box. Clipped to the box, a steep line does not
    stretch the chart's axes far beyond the points."""
    a, b = ds.raw_feature_names
    origin = ds.preprocessor.transform(pd.DataFrame({a: [0.0], b: [0.0]}))[0]
    ex = ds.preprocessor.transform(pd.DataFrame({a: [1.0], b: [0.0]}))[0] - origin
    ey = ds.preprocessor.transform(pd.DataFrame({a: [0.0], b: [1.0]}))[0] - origin
    c0, cx, cy = float(w @ origin + bias), float(w @ ex), float(w @ ey)
    x_lo, x_hi, y_lo, y_hi = box
    ends: list[tuple[float, float]] = []
    if abs(cy) > 1e-12:        # where the line crosses the left and right edges
        ends += [(x, -(c0 + cx * x) / cy) for x in (x_lo, x_hi)]
    if abs(cx) > 1e-12:        # ... and the bottom and top ones
        ends += [(-(c0 + cy * y) / cx, y) for y in (y_lo, y_hi)]
    slack = 1e-9 * max(x_hi - x_lo, y_hi - y_lo)
    inside = sorted({(x, y) for x, y in ends if x_lo - slack <= x <= x_hi + slack
                     and y_lo - slack <= y <= y_hi + slack})
    if len(inside) < 2:
        return None
    return [inside[0], inside[-1]]
