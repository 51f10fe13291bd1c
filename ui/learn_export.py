"""Exports of one Learn step: a Markdown/LaTeX handout and a plain NumPy script.

The handout writes the formulas (``LESSONS.md`` notation) with the step's numbers; the
script recomputes the same forward pass, backward pass and SGD step with nothing but
NumPy, so a student can run and change it. Both are strings built from an
:class:`nncore.BackpropTrace`.
"""

from __future__ import annotations

import numpy as np

import nncore
from ui import learn_math

#: Matrices larger than this many entries are written as their shape only (handout).
MAX_TEX_ENTRIES = 64

_ACT_CODE = {
    "identity": "Z",
    "sigmoid": "1.0 / (1.0 + np.exp(-Z))",
    "tanh": "np.tanh(Z)",
    "relu": "np.maximum(Z, 0.0)",
    "leaky_relu": "np.where(Z > 0, Z, 0.01 * Z)",
    "softmax": "np.exp(Z - Z.max(axis=1, keepdims=True)) / "
               "np.exp(Z - Z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)",
}
_DERIV_CODE = {  # dE/dZ from dE/dA and A
    "identity": "dA",
    "sigmoid": "dA * A * (1.0 - A)",
    "tanh": "dA * (1.0 - A ** 2)",
    "relu": "dA * (A > 0)",
    "leaky_relu": "dA * np.where(A > 0, 1.0, 0.01)",
    "softmax": "A * (dA - (dA * A).sum(axis=1, keepdims=True))",
}
_LOSS_CODE = {
    "binary_cross_entropy": "-np.mean(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat))",
    "cross_entropy": "-np.sum(Y * np.log(Yhat)) / m",
    "mse": "np.mean((Yhat - Y) ** 2)",
}
_LOSS_GRAD_CODE = {  # dE/dYhat
    "binary_cross_entropy": "(Yhat - Y) / (Yhat * (1 - Yhat) * Y.size)",
    "cross_entropy": "-Y / (Yhat * m)",
    "mse": "2.0 * (Yhat - Y) / Y.size",
}
_FUSED_CODE = {
    "binary_cross_entropy": "(Yhat - Y) / Y.size",
    "cross_entropy": "(Yhat - Y) / m",
    "mse": "2.0 * (Yhat - Y) / Y.size",
}


def _tex_matrix(values: np.ndarray, name: str) -> str:
    values = np.atleast_2d(values)
    if values.size > MAX_TEX_ENTRIES:
        return rf"{name} \in \mathbb{{R}}^{{{values.shape[0]}\times{values.shape[1]}}}"
    rows = r" \\ ".join(" & ".join(f"{v:.4g}" for v in row) for row in values)
    return rf"{name} = \begin{{bmatrix}} {rows} \end{{bmatrix}}"


def handout(tr: nncore.BackpropTrace, *, title: str, lr: float | None = None,
            after: nncore.BackpropTrace | None = None) -> str:
    """The step as Markdown with LaTeX (``$$ ... $$``): forward, loss, backward, update.

    Parameters
    ----------
    tr : BackpropTrace
        The pass at the weights before the step.
    title : str
        The heading (network and sample).
    lr : float, optional
        The learning rate of the SGD update written at the end.
    after : BackpropTrace, optional
        The pass after the step (its loss is written).
    """
    n = len(tr.layers)
    out = [f"# {title}", "", "Row convention: `X` is (samples × features), "
           r"$Z = A_{prev} W + b$, $A = g(Z)$, $\delta = \partial E/\partial Z$ of the mean "
           "loss $E$.", "", "## Forward pass", "", f"$${_tex_matrix(tr.X, 'X')}$$"]
    for layer in tr.layers:
        out += ["", f"### {learn_math.layer_name(layer.index, n).capitalize()}", "",
                f"$${learn_math.forward_tex(layer)}$$",
                f"$${_tex_matrix(layer.W, f'W^{{[{layer.index + 1}]}}')}$$",
                f"$${_tex_matrix(layer.Z, f'Z^{{[{layer.index + 1}]}}')}$$",
                f"$${_tex_matrix(layer.A, f'A^{{[{layer.index + 1}]}}')}$$"]
    out += ["", "## Loss", "", f"$${learn_math.loss_tex(tr.loss_name)}$$", "",
            f"$$E = {tr.loss:.6g}$$", "", "## Backward pass"]
    for layer in reversed(tr.layers):
        i = layer.index
        tag = f"^{{[{i + 1}]}}"
        out += ["", f"### {learn_math.layer_name(i, n).capitalize()}", "",
                f"$${learn_math.delta_tex(tr, i)}$$",
                "$$" + _tex_matrix(layer.delta, r"\delta" + tag) + "$$",
                f"$${learn_math.gradient_tex(i)}$$",
                "$$" + _tex_matrix(layer.dW, r"\partial E/\partial W" + tag) + "$$",
                "$$" + _tex_matrix(layer.db, r"\partial E/\partial b" + tag) + "$$"]
    if lr is not None:
        out += ["", "## One step of gradient descent", "",
                f"$${learn_math.update_tex('sgd')},\\quad \\alpha = {lr:g}$$"]
    if after is not None:
        out += ["", f"Loss on the same sample after the step: $E = {after.loss:.6g}$ "
                f"(before: {tr.loss:.6g})."]
    return "\n".join(out) + "\n"


def _array(values: np.ndarray) -> str:
    return "np.array(" + repr(np.asarray(values, dtype=np.float64).tolist()) + ")"


def numpy_script(tr: nncore.BackpropTrace, *, lr: float, title: str) -> str:
    """A plain NumPy script that recomputes this step: forward, loss, backward, SGD update.

    It prints the loss, every gradient and the loss after one SGD step with ``lr``;
    nothing but NumPy is imported.
    """
    n = len(tr.layers)
    lines = [
        f'"""{title}: one step of backpropagation, in plain NumPy.',
        "",
        "Row convention (LESSONS.md section 5): X is (samples x features), Z = A_prev @ W + b,",
        "A = g(Z), delta = dE/dZ of the mean loss E, dW = A_prev.T @ delta, db = delta.sum(0).",
        "Written by the nncore dashboard's Learn page.",
        '"""',
        "",
        "import numpy as np",
        "",
        "np.set_printoptions(precision=6, suppress=False)",
        f"X = {_array(tr.X)}",
        f"Y = {_array(tr.Y)}",
        "m = X.shape[0]",
        f"lr = {lr!r}",
        "W = [",
        *[f"    {_array(layer.W)}," for layer in tr.layers],
        "]",
        "b = [",
        *[f"    {_array(layer.b)}," for layer in tr.layers],
        "]",
        "",
        "",
        "def forward(W, b):",
        "    As = [X]",
    ]
    for layer in tr.layers:
        i = layer.index
        lines += [f"    Z = As[-1] @ W[{i}] + b[{i}]  # layer {i + 1}: {layer.activation}",
                  f"    As.append({_ACT_CODE[layer.activation]})"]
    lines += ["    return As", "", "", "def loss(Yhat):",
              f"    return {_LOSS_CODE[tr.loss_name]}", "", "",
              "As = forward(W, b)", "Yhat = As[-1]", "E = loss(Yhat)", 'print("loss", E)', ""]
    last = tr.layers[-1]
    if tr.output_delta == "fused":
        lines += [f"delta = {_FUSED_CODE[tr.loss_name]}  # fused: {last.activation} + "
                  f"{tr.loss_name}"]
    else:
        lines += [f"dA = {_LOSS_GRAD_CODE[tr.loss_name]}  # dE/dYhat", "A = Yhat",
                  f"delta = {_DERIV_CODE[last.activation]}  # chained: dE/dYhat * f'(Z)"]
    lines += ["dW, db = [None] * len(W), [None] * len(W)",
              f"for i in range({n - 1}, -1, -1):",
              "    dW[i] = As[i].T @ delta",
              "    db[i] = delta.sum(axis=0)",
              "    if i > 0:",
              "        A = As[i]",
              "        dA = delta @ W[i].T",
              "        delta = {}".format(
                  "ACT_DERIV[i - 1](A, dA)" if len({ly.activation for ly in tr.layers[:-1]}) > 1
                  else _DERIV_CODE[tr.layers[0].activation] if n > 1 else "dA"),
              "for i in range(len(W)):",
              '    print(f"dE/dW{i + 1} =\\n{dW[i]}")',
              '    print(f"dE/db{i + 1} = {db[i]}")',
              "",
              "W_new = [w - lr * g for w, g in zip(W, dW)]",
              "b_new = [c - lr * g for c, g in zip(b, db)]",
              'print("loss after one SGD step", loss(forward(W_new, b_new)[-1]))']
    if len({ly.activation for ly in tr.layers[:-1]}) > 1:
        table = ", ".join(f"lambda A, dA: {_DERIV_CODE[ly.activation]}"
                          for ly in tr.layers[:-1])
        at = lines.index("dW, db = [None] * len(W), [None] * len(W)")
        lines.insert(at, f"ACT_DERIV = [{table}]  # g'(Z) from A, per hidden layer")
    return "\n".join(lines) + "\n"
