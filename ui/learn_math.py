"""The Learn page's formulas (LaTeX, in ``LESSONS.md`` notation) and number tables.

Row convention: ``X`` is (samples x features), ``Z^{[l]} = A^{[l-1]} W^{[l]} + b^{[l]}``,
``A^{[l]} = g(Z^{[l]})``, ``\\delta^{[l]} = \\partial E / \\partial Z^{[l]}`` of the mean
loss ``E``. Pure functions of an :class:`nncore.BackpropTrace`: strings and frames out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import nncore

#: Relative errors below this are a pass (green), below WARN amber, else red.
GOOD, WARN = 1e-6, 1e-4
#: Differences below this pass whatever their relative error (ui.learn_session.ABS_FLOOR).
ABS_FLOOR = 1e-9
#: The most gradient entries one layer's check table lists (the worst first beyond it).
MAX_CHECK_ROWS = 200

ACTIVATION_TEX = {
    "identity": r"g(z) = z",
    "sigmoid": r"\sigma(z) = \frac{1}{1 + e^{-z}}",
    "tanh": r"\tanh(z)",
    "relu": r"\max(z, 0)",
    "leaky_relu": r"\max(z, 0.01\,z)",
    "softmax": r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
}
DERIVATIVE_TEX = {
    "identity": r"g'(z) = 1",
    "sigmoid": r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
    "tanh": r"g'(z) = 1 - \tanh^2(z)",
    "relu": r"g'(z) = [z > 0]",
    "leaky_relu": r"g'(z) = 1 \text{ if } z > 0 \text{ else } 0.01",
    "softmax": r"\frac{\partial p_k}{\partial z_j} = p_k(\delta_{kj} - p_j)",
}
LOSS_TEX = {
    "binary_cross_entropy":
        r"E = -\frac{1}{mK}\sum_{i,k}\big[y_{ik}\ln \hat y_{ik}"
        r" + (1-y_{ik})\ln(1-\hat y_{ik})\big]",
    "cross_entropy": r"E = -\frac{1}{m}\sum_i \sum_k y_{ik} \ln p_{ik}",
    "mse": r"E = \frac{1}{mK}\sum_{i,k} (\hat y_{ik} - y_{ik})^2",
}
FUSED_TEX = {
    "binary_cross_entropy": r"\delta^{[L]} = \frac{\hat Y - Y}{mK}",
    "cross_entropy": r"\delta^{[L]} = \frac{P - Y}{m}",
    "mse": r"\delta^{[L]} = \frac{2(\hat Y - Y)}{mK}",
}


def layer_name(index: int, n_layers: int) -> str:
    """``hidden layer 1`` ... ``output layer``."""
    return "output layer" if index == n_layers - 1 else f"hidden layer {index + 1}"


def forward_tex(layer: nncore.LayerTrace) -> str:
    """``Z = A_prev W + b`` and ``A = g(Z)`` for one layer, with its shapes."""
    n = layer.index + 1
    prev = "X" if layer.index == 0 else f"A^{{[{n - 1}]}}"
    m, n_in = layer.A_prev.shape
    n_out = layer.Z.shape[1]
    return (rf"Z^{{[{n}]}} = {prev}\,W^{{[{n}]}} + b^{{[{n}]}}"
            rf"\quad ({m}\times{n_in})({n_in}\times{n_out}) \to ({m}\times{n_out}),"
            rf"\qquad A^{{[{n}]}} = g(Z^{{[{n}]}}),\; {ACTIVATION_TEX[layer.activation]}")


def loss_tex(loss_name: str) -> str:
    """The loss as ``LESSONS.md`` section 3 writes it (a mean, to minimise)."""
    return LOSS_TEX[loss_name]


def delta_tex(tr: nncore.BackpropTrace, index: int) -> str:
    """How layer ``index``'s delta was computed: fused or chained output, or hidden."""
    layer = tr.layers[index]
    n = index + 1
    if index == len(tr.layers) - 1:
        if tr.output_delta == "fused":
            return FUSED_TEX[tr.loss_name] + r"\quad\text{(fused: matched output and loss)}"
        return (rf"\delta^{{[{n}]}} = \frac{{\partial E}}{{\partial \hat Y}} \odot f'(Z^{{[{n}]}})"
                rf"\quad\text{{(chained)}},\; {DERIVATIVE_TEX[layer.activation]}")
    return (rf"\delta^{{[{n}]}} = \big(\delta^{{[{n + 1}]}}\, W^{{[{n + 1}]\top}}\big)"
            rf" \odot g'(Z^{{[{n}]}}),\; {DERIVATIVE_TEX[layer.activation]}")


def gradient_tex(index: int) -> str:
    """``dE/dW = A_prevᵀ δ``, ``dE/db = Σ_rows δ``."""
    n = index + 1
    # one superscript only: ``A^{[1]}^{\top}`` is a KaTeX "double superscript" error
    prev_t = r"X^{\top}" if index == 0 else rf"A^{{[{n - 1}]\top}}"
    return (rf"\frac{{\partial E}}{{\partial W^{{[{n}]}}}} = {prev_t} \delta^{{[{n}]}},"
            rf"\qquad \frac{{\partial E}}{{\partial b^{{[{n}]}}}} = \sum_i \delta^{{[{n}]}}_i")


def update_tex(optimizer: str, momentum: float = 0.0) -> str:
    """The update rule the step applies (``LESSONS.md`` section 4; nncore's optimizers)."""
    if optimizer == "adam":
        return (r"m \leftarrow \beta_1 m + (1-\beta_1) g,\; v \leftarrow \beta_2 v + (1-\beta_2)"
                r" g^2,\; w \leftarrow w - \alpha\,\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)}"
                r" + \epsilon}")
    if momentum:
        return (r"v \leftarrow \mu v - \alpha\, \frac{\partial E}{\partial w},"
                r"\quad w \leftarrow w + v")
    return r"w \leftarrow w - \alpha\, \frac{\partial E}{\partial w}"


# --------------------------------------------------------------------------- tables

def matrix_frame(values: np.ndarray, row_label: str, col_label: str,
                 rows: tuple[int, ...] | None = None) -> pd.DataFrame:
    """A matrix as a frame with readable labels (``sample 3``, ``unit 1``)."""
    values = np.atleast_2d(values)
    index = [f"{row_label} {r}" for r in (rows if rows is not None else range(1, len(values) + 1))]
    return pd.DataFrame(values, index=index,
                        columns=[f"{col_label} {c + 1}" for c in range(values.shape[1])])


def check_frame(layer: nncore.LayerTrace, numeric: tuple[np.ndarray, np.ndarray],
                errors: tuple[np.ndarray, np.ndarray], diffs: tuple[np.ndarray, np.ndarray],
                feature_names: list[str] | None = None, limit: int = MAX_CHECK_ROWS,
                ) -> tuple[pd.DataFrame, int]:
    """Each gradient entry beside its finite-difference estimate and relative error.

    Returns
    -------
    frame : DataFrame
        ``parameter``, ``backprop``, ``finite difference``, ``relative error``,
        ``difference`` and ``check`` (pass when the relative error is below 1e-6 or the
        difference below the rounding floor); all entries when there are at most
        ``limit``, else the ``limit`` with the largest relative errors.
    total : int
        How many entries the layer has.
    """
    n = layer.index + 1
    n_in, n_units = layer.dW.shape
    names, analytic, estimate, rel = [], [], [], []
    for j in range(n_in):
        src = feature_names[j] if feature_names and layer.index == 0 else f"{j + 1}"
        for k in range(n_units):
            names.append(f"W{n}[{src}→{k + 1}]")
    analytic = np.concatenate([layer.dW.ravel(), layer.db.ravel()]).astype(np.float64)
    estimate = np.concatenate([numeric[0].ravel(), numeric[1].ravel()])
    rel = np.concatenate([errors[0].ravel(), errors[1].ravel()])
    diff = np.concatenate([diffs[0].ravel(), diffs[1].ravel()])
    names += [f"b{n}[{k + 1}]" for k in range(n_units)]
    ok = (rel < GOOD) | (diff < ABS_FLOOR)
    frame = pd.DataFrame({"parameter": names, "backprop": analytic,
                          "finite difference": estimate, "relative error": rel,
                          "difference": diff,
                          "check": np.where(rel < GOOD, "ok", np.where(
                              ok, "ok (below rounding floor)", "check"))})
    total = len(frame)
    if total > limit:
        frame = frame.nlargest(limit, "relative error")
    return frame, total


def error_colour(value: float) -> str:
    """A CSS background for a relative error: green below 1e-6, amber below 1e-4, red."""
    if value < GOOD:
        return "background-color: #c7e9c0"
    if value < WARN:
        return "background-color: #fdd49e"
    return "background-color: #fc9272"


def _row_colours(row: pd.Series) -> list[str]:
    colour = error_colour(row["relative error"])
    if row["relative error"] >= GOOD and row["difference"] < ABS_FLOOR:
        colour = "background-color: #e5f5e0"      # pale green: agrees to the rounding floor
    return [colour if c in ("relative error", "check") else "" for c in row.index]


def styled_check(frame: pd.DataFrame) -> pd.io.formats.style.Styler:
    """The check table with its relative errors coloured (:func:`error_colour`; pale green
    for entries that agree to the rounding floor)."""
    return (frame.style.apply(_row_colours, axis=1)
            .format({"backprop": "{:.6e}", "finite difference": "{:.6e}",
                     "relative error": "{:.1e}", "difference": "{:.1e}"}))


def weights_change_frame(before: np.ndarray, after: np.ndarray, index: int,
                         limit: int = 40) -> pd.DataFrame:
    """Weights before → after one step, the largest changes first (at most ``limit``)."""
    n = index + 1
    n_in, n_units = before.shape
    rows = [{"weight": f"W{n}[{j + 1}→{k + 1}]", "before": before[j, k], "after": after[j, k],
             "change": after[j, k] - before[j, k]}
            for j in range(n_in) for k in range(n_units)]
    frame = pd.DataFrame(rows)
    if len(frame) > limit:
        frame = frame.reindex(frame["change"].abs().nlargest(limit).index)
    return frame
