"""The Learn page's formulas (LaTeX, in ``LESSONS.md`` notation) and number tables.

Row convention: ``X`` is (samples x features), ``Z^{[l]} = A^{[l-1]} W^{[l]} + b^{[l]}``,
``A^{[l]} = g(Z^{[l]})``, ``\\delta^{[l]} = \\partial E / \\partial Z^{[l]}`` of the mean
loss ``E``. Pure functions of an :class:`nncore.BackpropTrace`: strings and Arrow tables out.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

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
# The tables are Arrow tables built column by column from the arrays: Streamlit sends
# Arrow, and pandas' conversion of a wide frame (one column per unit) cost a few ms per
# table, tens of tables per step (issue 11's 300 ms).

#: The check column's bands, in order, and their colours (green below 1e-6 as issue 11
#: asks; pale green for entries that agree to the rounding floor; amber; red).
CHECK_BANDS = ("ok: < 1e-6", "ok: below rounding floor", "1e-6 to 1e-4", "check: >= 1e-4")
CHECK_COLOURS = ("#2ca02c", "#98df8a", "#ff9f1c", "#d62728")


def _labels(label: str, rows: tuple[int, ...] | None, n: int) -> list[str]:
    return [f"{label} {r}" for r in (rows if rows is not None else range(1, n + 1))]


def matrix_table(values: np.ndarray, row_label: str, col_label: str,
                 rows: tuple[int, ...] | None = None) -> pa.Table:
    """A matrix as an Arrow table: a first column naming the rows (``sample 3``), then one
    column per matrix column (``unit 1``).

    Parameters
    ----------
    values : ndarray
        At most 2-D (a vector is one row).
    row_label, col_label : str
        The words before the row and column numbers; the first column is called
        ``row_label``.
    rows : tuple of int, optional
        The row numbers (default 1, 2, ...).

    Returns
    -------
    pyarrow.Table
    """
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    columns = [pa.array(_labels(row_label, rows, len(values)))]
    columns += [pa.array(values[:, c]) for c in range(values.shape[1])]
    names = [row_label, *(f"{col_label} {c + 1}" for c in range(values.shape[1]))]
    return pa.Table.from_arrays(columns, names=names)


def check_bands(rel: np.ndarray, diff: np.ndarray) -> np.ndarray:
    """Each entry's band index into :data:`CHECK_BANDS` (relative errors below 1e-6 pass,
    as do differences below the rounding floor)."""
    return np.where(rel < GOOD, 0, np.where(diff < ABS_FLOOR, 1, np.where(rel < WARN, 2, 3)))


def check_table(layer: nncore.LayerTrace, numeric: tuple[np.ndarray, np.ndarray],
                errors: tuple[np.ndarray, np.ndarray], diffs: tuple[np.ndarray, np.ndarray],
                feature_names: list[str] | None = None, limit: int = MAX_CHECK_ROWS,
                ) -> tuple[pa.Table, int]:
    """Each gradient entry beside its finite-difference estimate and relative error.

    Returns
    -------
    table : pyarrow.Table
        ``parameter``, ``backprop``, ``finite difference``, ``relative error``,
        ``difference`` and ``check`` (a one-item list: the entry's band of
        :data:`CHECK_BANDS`, which the page colours); all entries when there are at most
        ``limit``, else the ``limit`` with the largest relative errors, largest first.
    total : int
        How many entries the layer has.
    """
    n = layer.index + 1
    n_in, n_units = layer.dW.shape
    n_w = n_in * n_units
    analytic = np.concatenate([layer.dW.ravel(), layer.db.ravel()]).astype(np.float64)
    estimate = np.concatenate([numeric[0].ravel(), numeric[1].ravel()])
    rel = np.concatenate([errors[0].ravel(), errors[1].ravel()])
    diff = np.concatenate([diffs[0].ravel(), diffs[1].ravel()])
    total = rel.size
    if total > limit:
        top = np.argpartition(-rel, limit - 1)[:limit]
        keep = top[np.argsort(-rel[top], kind="stable")]
    else:
        keep = np.arange(total)

    def name(p: int) -> str:
        if p >= n_w:
            return f"b{n}[{p - n_w + 1}]"
        j, k = divmod(p, n_units)
        src = feature_names[j] if feature_names and layer.index == 0 else f"{j + 1}"
        return f"W{n}[{src}→{k + 1}]"

    bands = check_bands(rel[keep], diff[keep])
    table = pa.Table.from_arrays(
        [pa.array([name(int(p)) for p in keep]), pa.array(analytic[keep]),
         pa.array(estimate[keep]), pa.array(rel[keep]), pa.array(diff[keep]),
         pa.array([[CHECK_BANDS[b]] for b in bands], type=pa.list_(pa.string()))],
        names=["parameter", "backprop", "finite difference", "relative error", "difference",
               "check"])
    return table, total


def weights_change_table(before: np.ndarray, after: np.ndarray, index: int,
                         limit: int = 40) -> pa.Table:
    """Weights before → after one step, the largest changes first (at most ``limit``)."""
    n = index + 1
    n_units = before.shape[1]
    b, a = before.ravel().astype(np.float64), after.ravel().astype(np.float64)
    change = a - b
    keep = (np.argsort(-np.abs(change), kind="stable")[:limit] if change.size > limit
            else np.arange(change.size))
    names = [f"W{n}[{p // n_units + 1}→{p % n_units + 1}]" for p in keep.tolist()]
    return pa.Table.from_arrays([pa.array(names), pa.array(b[keep]), pa.array(a[keep]),
                                 pa.array(change[keep])],
                                names=["weight", "before", "after", "change"])
