"""The course texts' slips (``LESSONS.md`` sections 3 and 5), computed on the current numbers.

Each function takes the step's :class:`nncore.BackpropTrace` and returns a
:class:`Mistake`: what the course line computes, what the correct line computes, and the
numbers of both, so the difference is visible. The correct numbers are the trace's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import nncore


@dataclass(frozen=True)
class Mistake:
    """One slip: its title, the wrong and the right line, and what each gives here."""

    title: str
    wrong_line: str
    right_line: str
    explanation: str
    wrong: np.ndarray | None
    right: np.ndarray


def wrong_output_delta(tr: nncore.BackpropTrace) -> Mistake:
    """The column-wise course code's output delta ``W1ᵀ·dA2 ⊙ σ'(Z2)`` (wrong) against
    ``dZ2 = dA2 ⊙ σ'(Z2)`` (the row form of which is the trace's output delta)."""
    out, first = tr.layers[-1], tr.layers[0]
    dA = _output_dA(tr)
    right = dA * _derivative(out)
    # The course writes column-wise: its W1 is (units x inputs), so its W1ᵀ is nncore's
    # W1 (inputs x units); dA2 and σ'(Z2) are (outputs x samples).
    W1t, dA_col, d_col = first.W, dA.T, _derivative(out).T
    runs = W1t.shape[1] == dA_col.shape[0] and W1t.shape[0] == d_col.shape[0]
    wrong = ((W1t @ dA_col) * d_col).T if runs else None
    shapes = (f"W1ᵀ is {W1t.shape[0]}×{W1t.shape[1]}, dA2 is {dA_col.shape[0]}×"
              f"{dA_col.shape[1]} and σ'(Z2) is {d_col.shape[0]}×{d_col.shape[1]}")
    if wrong is None:
        explanation = (f"Here the wrong line does not even run: {shapes}, which do not "
                       "multiply into the output's shape. The output delta needs no weight "
                       "matrix at all.")
    else:
        explanation = ("Here the shapes happen to fit, so the wrong line runs silently and "
                       "gives different numbers: only a gradient check catches it.")
    return Mistake(
        title="The output delta with W1ᵀ (one course's code)",
        wrong_line="dZ2 = W1ᵀ·dA2 ⊙ σ'(Z2)",
        right_line="dZ2 = dA2 ⊙ σ'(Z2),  then dA1 = W2ᵀ·dZ2  (row form: δ = ∂E/∂ŷ ⊙ f'(Z))",
        explanation=explanation, wrong=wrong, right=right)


def missing_item_index(tr: nncore.BackpropTrace) -> Mistake:
    """``∂E/∂W2`` with the first item's hidden activation ``h_j`` for every item
    instead of each item's own ``h_ij``."""
    out = tr.layers[-1]
    A_prev = out.A_prev
    same_h = np.repeat(A_prev[:1], len(A_prev), axis=0)
    wrong = same_h.T @ out.delta
    m = len(A_prev)
    explanation = ("With one sample there is only one item, so both agree; pick a mini-batch "
                   "to see them part." if m == 1 else
                   f"With {m} samples the wrong line uses sample 1's hidden activations for "
                   "all of them.")
    return Mistake(
        title="The missing item index (h_j for h_ij)",
        wrong_line="∂E/∂W2_jk = Σ_i δ_ik · h_j",
        right_line="∂E/∂W2_jk = Σ_i h_ij · δ_ik   (= A1ᵀ·δ2)",
        explanation=explanation, wrong=wrong, right=out.dW)


def sums_versus_means(tr: nncore.BackpropTrace) -> Mistake:
    """The gradient of a summed loss: ``m`` times the mean's, so the same learning rate
    takes an ``m`` times larger step."""
    out = tr.layers[-1]
    m = tr.n_samples
    return Mistake(
        title="Sums versus means (the 1/m folded into α)",
        wrong_line="E = Σ_i loss_i   →   ∂E/∂W = m · (mean gradient)",
        right_line="E = (1/m) Σ_i loss_i   (nncore: a learning rate means the same for any "
                   "batch size)",
        explanation=(f"With m = {m} the summed gradient is {m}× the mean one: the same "
                     "learning rate then steps that much further." if m > 1 else
                     "With one sample, sum and mean agree; with a mini-batch of m they "
                     "differ by the factor m."),
        wrong=out.dW * m, right=out.dW)


def diagonal_softmax(tr: nncore.BackpropTrace) -> Mistake | None:
    """For a chained softmax output: the diagonal ``p_k(1 − p_k)`` alone instead of the
    Jacobian ``p_k(δ_kj − p_j)``. None when the output is not a chained softmax."""
    out = tr.layers[-1]
    if out.activation != "softmax" or out.dA is None:
        return None
    P = out.A
    wrong = out.dA * P * (1 - P)
    return Mistake(
        title="Only the diagonal of the softmax derivative",
        wrong_line="δ_k = ∂E/∂p_k · p_k(1 − p_k)",
        right_line="δ_j = Σ_k ∂E/∂p_k · p_k(δ_kj − p_j)",
        explanation="The off-diagonal terms −p_k p_j couple the outputs; leaving them out "
                    "changes every delta.", wrong=wrong, right=out.delta)


def all_mistakes(tr: nncore.BackpropTrace) -> list[Mistake]:
    """Every slip that applies to this network (the output-delta and item-index ones
    need a hidden layer)."""
    found: list[Mistake] = []
    if len(tr.layers) >= 2 and tr.layers[-1].activation != "softmax":
        found.append(wrong_output_delta(tr))
    if len(tr.layers) >= 2:
        found.append(missing_item_index(tr))
    found.append(sums_versus_means(tr))
    soft = diagonal_softmax(tr)
    if soft is not None:
        found.append(soft)
    return found


def _output_dA(tr: nncore.BackpropTrace) -> np.ndarray:
    """``∂E/∂ŷ``: recorded for a chained output; for a fused one, from the loss."""
    out = tr.layers[-1]
    if out.dA is not None:
        return out.dA
    return nncore.get_loss(tr.loss_name).gradient(out.A, tr.Y)


def _derivative(layer: nncore.LayerTrace) -> np.ndarray:
    """``g'(Z)`` of an elementwise activation, from its output (nncore's backward on ones)."""
    return nncore.get_activation(layer.activation).backward(layer.A, np.ones_like(layer.A))
