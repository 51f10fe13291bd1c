"""Which output layer a task needs, and which loss goes with which output layer.

One table each (``LESSONS.md`` sections 3 and 6):

- :data:`TASK_OUTPUT`: the output activation of each task kind (one sigmoid unit for
  two classes, K softmax units for K classes, identity for regression).
- :data:`MATCHED_LOSS`: the loss of each bounded output; the loss is the matched one
  (its fused delta is used) and it needs that output. Every other output pairs with
  ``mse``, which works with any output.

:class:`nncore.Sequential`, the experiments layer and the dashboard all read these, so a
pairing is decided once.
"""

from __future__ import annotations

from nncore.activations import get_activation
from nncore.losses import Loss, get_loss

TASK_OUTPUT: dict[str, str] = {
    "binary": "sigmoid",
    "multiclass": "softmax",
    "regression": "identity",
}
"""The output activation each task kind uses by default."""

MATCHED_LOSS: dict[str, str] = {
    "sigmoid": "binary_cross_entropy",
    "softmax": "cross_entropy",
}
"""The loss that matches (and needs) each bounded output activation; others use ``mse``."""

_DEFAULT_LOSS = "mse"
_BOUNDED = ("sigmoid", "softmax")     # outputs a regression target cannot live in


def matched_loss(output_activation: str) -> str:
    """The loss that matches an output activation.

    ``sigmoid`` -> ``binary_cross_entropy``, ``softmax`` -> ``cross_entropy``, any other
    output -> ``mse``.
    """
    return MATCHED_LOSS.get(output_activation, _DEFAULT_LOSS)


def required_output(loss: str | Loss) -> str | None:
    """The output activation a loss needs, or None if it works with any output.

    Aliases count as their loss (``log_loss`` needs ``sigmoid``).

    Raises
    ------
    ValueError
        If ``loss`` is not a known loss.
    """
    name = get_loss(loss).name
    for output, matched in MATCHED_LOSS.items():
        if matched == name:
            return output
    return None


def check_loss_for_output(loss: str | Loss, output_activation: str) -> None:
    """Raise ``ValueError`` if ``loss`` cannot train an ``output_activation`` output.

    ``binary_cross_entropy`` (``log_loss``) needs a sigmoid output, ``cross_entropy`` a
    softmax output; ``mse`` takes any. The message leaves the setting's name to the
    caller: ``"needs a softmax output layer; the output is 'sigmoid'"``.
    """
    needs = required_output(loss)
    if needs is not None and output_activation != needs:
        raise ValueError(f"needs a {needs} output layer; the output is {output_activation!r}")


def check_output_for_task(
    task: str, output_activation: str, *, n_classes: int | None = None
) -> None:
    """Raise ``ValueError`` if an output activation cannot serve a task.

    - ``step`` has no gradient: use the perceptron, or a sigmoid/softmax output.
    - ``binary`` needs ``sigmoid`` (or a 2-unit ``softmax``).
    - ``multiclass`` needs ``softmax``.
    - ``regression`` refuses the bounded ``sigmoid`` and ``softmax``.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
    output_activation : str
        A name from :data:`nncore.ACTIVATIONS`.
    n_classes : int or None, keyword-only
        Only for the wording of the multiclass message.

    Raises
    ------
    ValueError
        With a one-line message without the setting's name (the caller adds it), e.g.
        ``"a task with 3 classes needs 'softmax'"``.
    """
    if task not in TASK_OUTPUT:
        raise ValueError(
            f"task must be one of {', '.join(map(repr, TASK_OUTPUT))}; got {task!r}"
        )
    activation = get_activation(output_activation)
    if not activation.trainable:
        raise ValueError(
            f"the {activation.name} function has no gradient; use the perceptron or a "
            "sigmoid/softmax output"
        )
    out = activation.name
    if task == "binary" and out not in _BOUNDED:
        raise ValueError("a binary task needs 'sigmoid' (or 'softmax')")
    if task == "multiclass" and out != "softmax":
        which = f"a task with {n_classes} classes" if n_classes else "a multiclass task"
        raise ValueError(f"{which} needs 'softmax'")
    if task == "regression" and out in _BOUNDED:
        raise ValueError(
            "a regression task needs 'identity' (or another unbounded activation)"
        )
