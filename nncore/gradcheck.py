"""Checking analytic gradients against central finite differences.

Backpropagation bugs are easy to write and hard to see (one course text computes its
output delta with the wrong weight matrix). Comparing every analytic derivative with
``(E(w + eps) - E(w - eps)) / (2 eps)`` catches them.
"""

from __future__ import annotations

import numpy as np

from nncore.bounds import check_bound
from nncore.losses import BinaryCrossEntropy, CrossEntropy, Loss, MeanSquaredError
from nncore.network import Sequential


def _float64_copy(model: Sequential) -> Sequential:
    copy = Sequential.from_config({**model.get_config(), "dtype": "float64"}, seed=0)
    copy.load_state_dict(model.state_dict())
    return copy


def numerical_gradients(
    model: Sequential, X: object, y: object, loss: str | Loss | None = None,
    l2: float = 0.0, eps: float = 1e-6, *, batched: bool = False,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Central-difference gradients of the mean loss (plus L2 penalty), in float64.

    The model itself is not changed: the work happens on a float64 copy.

    Parameters
    ----------
    model : Sequential
    X, y : array-like
        The batch and its targets.
    loss : str, Loss or None
        None picks the loss that matches the output activation.
    l2 : float, default 0.0
        The L2 penalty's factor.
    eps : float, default 1e-6
        The step of ``(E(w + eps) - E(w - eps)) / (2 eps)``.
    batched : bool, default False
        False moves one parameter at a time and runs the whole network forward twice
        per parameter (simple, slow: seconds for 10,000 parameters). True moves every
        parameter of a layer at once, each in its own copy of the batch: a parameter
        of layer ``l`` changes only that layer's pre-activations
        (``Z[:, k] ± eps·A_prev[:, j]`` for ``W[j, k]``, ``Z[:, k] ± eps`` for ``b[k]``),
        so the layers below run once and the layers above once per layer on a stacked
        batch; the loss is still evaluated per moved parameter. Same differences,
        about 4 times faster (what the dashboard's Learn page uses).

    Returns
    -------
    list of (dW, db)
        Shaped like each layer's ``W`` and ``b``.
    """
    eps = check_bound("check_gradients.eps", eps)
    probe = _float64_copy(model)
    X = np.asarray(X, dtype=np.float64)
    loss_fn = probe.resolve_loss(loss)
    targets = probe.encode_targets(y, X.shape[0])
    if batched:
        return _batched_differences(probe, X, targets.Y, loss_fn, l2, eps)

    def objective() -> float:
        return loss_fn.value(probe.forward(X), targets.Y) + probe.l2_penalty(l2)

    params = probe.parameters
    flat = np.empty_like(params)
    for i in range(params.size):
        saved = params[i]
        params[i] = saved + eps
        plus = objective()
        params[i] = saved - eps
        minus = objective()
        params[i] = saved
        flat[i] = (plus - minus) / (2.0 * eps)
    grads, offset = [], 0
    for layer in probe.layers:
        n_w = layer.W.size
        grads.append((flat[offset : offset + n_w].reshape(layer.W.shape),
                      flat[offset + n_w : offset + layer.n_params].copy()))
        offset += layer.n_params
    return grads


def _forward_from(layers: list, A: np.ndarray) -> np.ndarray:
    for layer in layers:
        Z = A @ layer.W
        Z += layer.b
        A = layer.activation_fn.forward(Z)
    return A


def stacked_loss_values(loss_fn: Loss, outputs: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``loss_fn.value(outputs[p], Y)`` for every ``p`` of a stack, in one pass.

    The batched differences evaluate the loss once per moved parameter (thousands of
    tiny arrays); nncore's three losses are computed here for the whole stack with the
    same operations as their ``value`` (equal to rounding, which the tests check); any
    other loss goes one output at a time.

    Parameters
    ----------
    loss_fn : Loss
    outputs : ndarray of shape (P, m, K)
        ``P`` outputs of the same batch.
    Y : ndarray of shape (m, K)
        The targets.

    Returns
    -------
    ndarray of shape (P,)
    """
    m, k = Y.shape
    kind = type(loss_fn)
    if kind is BinaryCrossEntropy:
        eps = np.finfo(outputs.dtype).eps
        P = np.minimum(np.maximum(outputs, eps), 1.0 - eps)
        log_p, log_q = np.log(P), np.log1p(-P)
        total = (np.einsum("pmk,mk->p", log_p, Y) + log_q.sum(axis=(1, 2))
                 - np.einsum("pmk,mk->p", log_q, Y))
        return -total / (m * k)
    if kind is CrossEntropy:
        log_p = np.log(np.maximum(outputs, np.finfo(outputs.dtype).eps))
        return -np.einsum("pmk,mk->p", log_p, Y) / m
    if kind is MeanSquaredError:
        diff = outputs - Y
        return np.einsum("pmk,pmk->p", diff, diff) / (m * k)
    return np.array([loss_fn.value(o, Y) for o in outputs])


def _batched_differences(probe: Sequential, X: np.ndarray, Y: np.ndarray, loss_fn: Loss,
                         l2: float, eps: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`numerical_gradients` with ``batched=True`` (see there)."""
    layers, m = probe.layers, X.shape[0]
    penalty = probe.l2_penalty(l2)
    grads, A_prev = [], X
    for i, layer in enumerate(layers):
        n_in, n_units = layer.W.shape
        n_w = n_in * n_units
        Z = A_prev @ layer.W
        Z += layer.b
        # shifts[p] is how parameter p (W row-major, then b) moves Z per unit of eps
        shifts = np.zeros((n_w + n_units, m, n_units))
        p = np.arange(n_w)
        shifts[p, :, p % n_units] = A_prev[:, p // n_units].T
        shifts[n_w + np.arange(n_units), :, np.arange(n_units)] = 1.0
        w_flat = np.concatenate([layer.W.ravel(), np.zeros(n_units)])
        diffs = []
        for sign in (1.0, -1.0):
            moved = Z[None] + (sign * eps) * shifts
            out = _forward_from(layers[i + 1:], layer.activation_fn.forward(
                moved.reshape(-1, n_units))).reshape(len(shifts), m, -1)
            pen = penalty + 0.5 * l2 * ((w_flat + sign * eps) ** 2 - w_flat**2)
            pen[n_w:] = penalty                            # biases carry no penalty
            diffs.append(stacked_loss_values(loss_fn, out, Y) + pen)
        flat = (diffs[0] - diffs[1]) / (2.0 * eps)
        grads.append((flat[:n_w].reshape(n_in, n_units), flat[n_w:].copy()))
        A_prev = layer.activation_fn.forward(Z)
    return grads


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Elementwise ``|a - n| / max(1e-8, |a| + |n|)``."""
    return np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric))


def check_gradients(
    model: Sequential, X: object, y: object, loss: str | Loss | None = None,
    l2: float = 0.0, eps: float = 1e-6, *, batched: bool = False,
) -> float:
    """The largest relative error between backprop and finite-difference gradients.

    Runs in float64 on a copy of the model. Values around 1e-7 or below mean the
    gradients are right; keep inputs away from ReLU's kink at 0.

    Examples
    --------
    >>> import numpy as np, nncore
    >>> rng = np.random.default_rng(0)
    >>> model = nncore.Sequential([nncore.Dense(3, 4, "tanh"), nncore.Dense(4, 3, "softmax")],
    ...                           seed=0)
    >>> X, y = rng.normal(size=(5, 3)), np.array([0, 1, 2, 1, 0])
    >>> nncore.check_gradients(model, X, y, loss="cross_entropy") < 1e-6
    True
    """
    probe = _float64_copy(model)
    _, analytic = probe.loss_and_gradients(np.asarray(X, dtype=np.float64), y, loss=loss, l2=l2)
    numeric = numerical_gradients(probe, X, y, loss=loss, l2=l2, eps=eps, batched=batched)
    worst = 0.0
    for (dW, db), (nW, nb) in zip(analytic, numeric, strict=True):
        worst = max(worst, float(relative_error(dW, nW).max()), float(relative_error(db, nb).max()))
    return worst
