"""The Learn page's state: one network, its data, its optimizer, and the steps taken.

Pure Python (no streamlit): the page keeps a :class:`Lesson` in ``st.session_state`` and
calls these functions. Every number comes from nncore (``backprop_trace``,
``train_step``, ``perceptron_trick``, ``numerical_gradients``); this module only chooses
rows, keeps the optimizer's state across reruns and says in words what went wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

import nncore
from experiments import Dataset
from nncore.trace import layer_activations
from nncore.training import divergence, loss_ceiling

#: The most rows a mini-batch on the page may have (the tables stay readable).
MAX_BATCH = 8
#: Networks up to this many parameters get every gradient checked on each redraw;
#: larger ones on request (central differences cost two loss evaluations per parameter).
AUTO_CHECK_PARAMS = 1500

SampleMode = Literal["index", "random", "worst", "typed", "batch"]
SAMPLE_MODES: dict[str, str] = {
    "index": "By index",
    "random": "At random",
    "worst": "The worst-predicted one",
    "batch": "A mini-batch",
    "typed": "Typed in (gre, gpa, rank)",
}


class LearnError(ValueError):
    """A choice the page cannot follow, said in one sentence for the user."""


def sentence(error: Exception | str) -> str:
    """An error message as a sentence: first letter up (the rest kept: ReLU, W1ᵀ), a stop."""
    text = str(error).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass
class StepRecord:
    """What one optimizer step did, for the page and the history chart."""

    step: int
    rows: tuple[int, ...]
    sample_loss_before: float
    sample_loss_after: float
    train_loss_before: float
    train_loss_after: float
    toward_label: bool | None
    weights_before: list[np.ndarray] = field(default_factory=list)
    weights_after: list[np.ndarray] = field(default_factory=list)


@dataclass
class Lesson:
    """A network being taught on the Learn page.

    Attributes
    ----------
    model : nncore.Sequential or nncore.Perceptron
        Changed in place by steps (a copy of where it came from).
    dataset : Dataset
    source : str
        Where the network came from, in words.
    loss : str or None
        The loss name (None: the one matching the output layer).
    initial : dict
        The model's state at the start, for Reset.
    optimizer : nncore.Optimizer or None
        Kept across steps so momentum and Adam carry their state.
    optimizer_config : dict
        What ``optimizer`` was made from; a change makes a new optimizer.
    """

    model: Any
    dataset: Dataset
    source: str
    loss: str | None = None
    initial: dict[str, np.ndarray] = field(default_factory=dict)
    optimizer: nncore.Optimizer | None = None
    optimizer_config: dict[str, Any] = field(default_factory=dict)
    cursor: int = 0
    steps: list[StepRecord] = field(default_factory=list)
    last: StepRecord | None = None
    last_trick: nncore.PerceptronTrick | None = None
    #: What depends on the dataset only (the plane's grid, the training points), made
    #: once per lesson instead of on every rerun.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def is_perceptron(self) -> bool:
        return isinstance(self.model, nncore.Perceptron)

    @property
    def n_train(self) -> int:
        return len(self.dataset.y_train)


def new_lesson(model: Any, dataset: Dataset, source: str, loss: str | None = None) -> Lesson:
    """A lesson on a copy of ``model`` (the original, a cached run model, stays as it was)."""
    if model.n_inputs != dataset.n_features:
        raise LearnError(f"the model reads {model.n_inputs} inputs but the dataset "
                         f"{dataset.name!r} has {dataset.n_features} features")
    clone = type(model).from_config(model.get_config())
    clone.load_state_dict({k: np.array(v, copy=True) for k, v in model.state_dict().items()})
    if not isinstance(clone, nncore.Perceptron):
        clone.resolve_loss(loss)  # a step network or a mismatched loss: said now
    state = {k: np.array(v, copy=True) for k, v in clone.state_dict().items()}
    return Lesson(model=clone, dataset=dataset, source=source, loss=loss, initial=state)


def reset(lesson: Lesson) -> None:
    """Back to the starting weights, a fresh optimizer, no steps."""
    lesson.model.load_state_dict({k: v.copy() for k, v in lesson.initial.items()})
    lesson.optimizer = None
    lesson.steps.clear()
    lesson.last = None
    lesson.last_trick = None
    lesson.cursor = 0


def optimizer_for(lesson: Lesson, name: str, lr: float, momentum: float = 0.0
                  ) -> nncore.Optimizer:
    """The lesson's optimizer, made anew only when its settings change.

    Raises
    ------
    LearnError
        For a setting nncore refuses (its message names the argument and the range).
    """
    config = {"name": name, "lr": float(lr), "momentum": float(momentum) if name == "sgd"
              else 0.0}
    if lesson.optimizer is None or config != lesson.optimizer_config:
        try:
            lesson.optimizer = (nncore.SGD(lr=lr, momentum=momentum) if name == "sgd"
                                else nncore.get_optimizer(name, lr=lr))
        except ValueError as e:
            raise LearnError(str(e)) from None
        lesson.optimizer_config = config
    return lesson.optimizer


# --------------------------------------------------------------------------- samples

def per_sample_losses(lesson: Lesson) -> np.ndarray:
    """Each training row's own loss under the current weights (misclassified: 1/0 for
    a perceptron)."""
    ds, model = lesson.dataset, lesson.model
    if lesson.is_perceptron:
        return (model.predict(ds.X_train) != ds.y_train).astype(float)
    loss = model.resolve_loss(lesson.loss)
    out = model.forward(ds.X_train)
    targets = model.encode_targets(ds.y_train, len(ds.y_train))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.array([loss.value(out[i:i + 1], targets.Y[i:i + 1])
                         for i in range(len(out))])


def choose_rows(lesson: Lesson, mode: str, *, index: int = 0, batch: int = 4,
                rng: np.random.Generator | None = None) -> tuple[int, ...]:
    """The training rows a step uses.

    Raises
    ------
    LearnError
        An index out of range, a batch larger than :data:`MAX_BATCH`, an unknown mode.
    """
    n = lesson.n_train
    if mode == "index":
        if not 0 <= int(index) < n:
            raise LearnError(f"sample index {index} is out of range: the training set has "
                             f"{n:,} rows, numbered 0 to {n - 1:,}")
        return (int(index),)
    if mode == "random":
        return (int((rng or np.random.default_rng()).integers(n)),)
    if mode == "worst":
        return (int(np.argmax(per_sample_losses(lesson))),)
    if mode == "batch":
        if not 1 <= int(batch) <= MAX_BATCH:
            raise LearnError(f"a mini-batch here has 1 to {MAX_BATCH} rows; got {batch}")
        if not 0 <= int(index) < n:
            raise LearnError(f"sample index {index} is out of range: the training set has "
                             f"{n:,} rows, numbered 0 to {n - 1:,}")
        return tuple(int((int(index) + k) % n) for k in range(int(batch)))
    raise LearnError(f"unknown sample choice {mode!r}")


def typed_row(dataset: Dataset, values: dict[str, Any]) -> np.ndarray:
    """One admissions applicant typed in (raw gre, gpa, rank) as the model's features.

    Raises
    ------
    LearnError
        For a value the dataset's preprocessing refuses (an unknown rank).
    """
    try:
        return dataset.preprocessor.transform(pd.DataFrame([values]))
    except ValueError as e:
        raise LearnError(f"cannot use these values: {e}") from None


def batch_of(lesson: Lesson, rows: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of the chosen training rows."""
    idx = np.asarray(rows, dtype=np.intp)
    return lesson.dataset.X_train[idx], lesson.dataset.y_train[idx]


def train_loss(lesson: Lesson) -> float:
    """The mean loss over the whole training set (error rate for a perceptron)."""
    ds = lesson.dataset
    if lesson.is_perceptron:
        return float(np.mean(lesson.model.predict(ds.X_train) != ds.y_train))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(lesson.model.evaluate(ds.X_train, ds.y_train, loss=lesson.loss)["loss"])


# --------------------------------------------------------------------------- computing

def trace(lesson: Lesson, X: np.ndarray, y: np.ndarray) -> nncore.BackpropTrace:
    """:func:`nncore.backprop_trace` of the lesson's network on a batch."""
    return nncore.backprop_trace(lesson.model, X, y, loss=lesson.loss)


def finite_differences(lesson: Lesson, X: np.ndarray, y: np.ndarray
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Central-difference gradients (nncore, batched) of the batch's mean loss."""
    return nncore.numerical_gradients(lesson.model, X, y, loss=lesson.loss, batched=True)


def relative_errors(tr: nncore.BackpropTrace, numeric: list[tuple[np.ndarray, np.ndarray]]
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``|a - n| / max(1e-8, |a| + |n|)`` per entry (nncore's gradient check)."""
    rel = nncore.gradcheck.relative_error
    return [(rel(layer.dW.astype(np.float64), nW), rel(layer.db.astype(np.float64), nb))
            for layer, (nW, nb) in zip(tr.layers, numeric, strict=True)]


def abs_differences(tr: nncore.BackpropTrace, numeric: list[tuple[np.ndarray, np.ndarray]]
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``|a - n|`` per entry."""
    return [(np.abs(layer.dW - nW), np.abs(layer.db - nb))
            for layer, (nW, nb) in zip(tr.layers, numeric, strict=True)]


#: Central differences in float64 with eps = 1e-6 cannot resolve a gradient entry more
#: finely than about 1e-10 (rounding of E over 2·eps), so an entry of 1e-6 may show a
#: relative error of 1e-4 that is only noise. Entries that agree to this absolute
#: difference pass whatever their relative error (the nncore tests use the same floor).
ABS_FLOOR = 1e-9


def passes(rel: np.ndarray, diff: np.ndarray, good: float = 1e-6) -> np.ndarray:
    """Entries whose relative error is below ``good`` or whose difference is below the
    rounding floor :data:`ABS_FLOOR`."""
    return (rel < good) | (diff < ABS_FLOOR)


def max_relative_error(errors: list[tuple[np.ndarray, np.ndarray]],
                       diffs: list[tuple[np.ndarray, np.ndarray]] | None = None) -> float:
    """The largest relative error over the whole network; with ``diffs``, over the
    entries whose difference is above the rounding floor (0.0 if none is)."""
    worst = 0.0
    for k, (eW, eb) in enumerate(errors):
        for e, d in ((eW, diffs[k][0] if diffs else None), (eb, diffs[k][1] if diffs else None)):
            shown = e if d is None else e[d >= ABS_FLOOR]
            if shown.size:
                worst = max(worst, float(shown.max()))
    return worst


@dataclass(frozen=True)
class GradientCheck:
    """Backprop's gradients against finite differences, entry by entry, per layer.

    Attributes
    ----------
    numeric : list of (ndarray, ndarray)
        The central-difference ``(dW, db)`` of each layer.
    errors : list of (ndarray, ndarray)
        Relative errors (:func:`relative_errors`).
    diffs : list of (ndarray, ndarray)
        Absolute differences (:func:`abs_differences`).
    worst : float
        The largest relative error over the entries above the rounding floor.
    raw_worst : float
        The largest relative error over all entries.
    """

    numeric: list[tuple[np.ndarray, np.ndarray]]
    errors: list[tuple[np.ndarray, np.ndarray]]
    diffs: list[tuple[np.ndarray, np.ndarray]]
    worst: float
    raw_worst: float


def gradient_check(tr: nncore.BackpropTrace, numeric: list[tuple[np.ndarray, np.ndarray]]
                   ) -> GradientCheck:
    """Compare a trace's gradients with finite differences of the same batch.

    Parameters
    ----------
    tr : nncore.BackpropTrace
    numeric : list of (ndarray, ndarray)
        From :func:`finite_differences` on the same weights and batch.

    Returns
    -------
    GradientCheck
    """
    errors = relative_errors(tr, numeric)
    diffs = abs_differences(tr, numeric)
    return GradientCheck(numeric=numeric, errors=errors, diffs=diffs,
                         worst=max_relative_error(errors, diffs),
                         raw_worst=max_relative_error(errors))


def _toward(before: np.ndarray, after: np.ndarray, Y: np.ndarray) -> bool:
    return bool(np.abs(after - Y).sum() < np.abs(before - Y).sum())


def take_step(lesson: Lesson, X: np.ndarray, y: np.ndarray, optimizer: nncore.Optimizer,
              rows: tuple[int, ...] = ()) -> StepRecord:
    """One optimizer step on a batch, as ``fit`` takes it (:func:`nncore.train_step`).

    Parameters
    ----------
    X, y : ndarray
        The batch (training rows, or a typed-in sample).
    rows : tuple of int
        The training rows it came from (empty for a typed-in sample).

    Raises
    ------
    LearnError
        When the step diverged (a loss or weight not finite, or grown a millionfold):
        the weights and the optimizer's state are put back as they were before it.
    """
    model = lesson.model
    saved = model.parameters.copy()
    optimizer_state = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v
                       for k, v in vars(optimizer).items()}
    train_before = train_loss(lesson)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        before = nncore.train_step(model, X, y, optimizer, loss=lesson.loss)
        after = trace(lesson, X, y)
        scores = model.evaluate(lesson.dataset.X_train, lesson.dataset.y_train, loss=lesson.loss)
    train_after = float(scores["loss"])
    loss_name = model.resolve_loss(lesson.loss).name
    # fit's own rule (nncore.training.divergence), with the loss before the step as the
    # first epoch's: a loss not finite or grown a millionfold, or a classifier driven to
    # certain wrong answers at the cross-entropy's clipping ceiling
    why = divergence(train_after, train_before,
                     error_rate=1.0 - scores["accuracy"] if "accuracy" in scores else None,
                     ceiling=loss_ceiling(loss_name, model.dtype), loss_name=loss_name)
    bad = (why is not None or not np.isfinite(model.parameters).all()
           or not math.isfinite(after.loss))
    if bad:
        model.parameters[...] = saved
        vars(optimizer).update(optimizer_state)
        lr = optimizer.lr
        raise LearnError(
            f"this step diverged with learning rate {lr:g}: "
            f"{why or 'a weight or the loss is no longer finite'} (the loss on the training "
            f"set was {train_before:.4g} before it). The weights were put back; try a smaller "
            f"learning rate, e.g. {lr / 10:g}.")
    record = StepRecord(
        step=len(lesson.steps) + 1, rows=tuple(rows), sample_loss_before=before.loss,
        sample_loss_after=after.loss, train_loss_before=train_before,
        train_loss_after=train_after,
        toward_label=_toward(before.output, after.output, before.Y),
        weights_before=[layer.W for layer in before.layers],
        weights_after=[layer.W for layer in after.layers],
    )
    lesson.steps.append(record)
    lesson.last = record
    return record


def next_rows(lesson: Lesson, count: int) -> tuple[int, ...]:
    """The next ``count`` rows in order (the "Next sample" cursor), wrapping around."""
    rows = tuple((lesson.cursor + k) % lesson.n_train for k in range(count))
    lesson.cursor = (lesson.cursor + count) % lesson.n_train
    return rows


def trick_step(lesson: Lesson) -> nncore.PerceptronTrick | None:
    """The perceptron trick on the next misclassified training point (None: all right)."""
    ds, p = lesson.dataset, lesson.model
    wrong = np.flatnonzero(p.predict(ds.X_train) != ds.y_train)
    if wrong.size == 0:
        lesson.last_trick = None
        return None
    later = wrong[wrong >= lesson.cursor]
    i = int(later[0] if later.size else wrong[0])
    lesson.cursor = (i + 1) % lesson.n_train
    step = nncore.perceptron_trick(p, ds.X_train[i], int(ds.y_train[i]))
    lesson.last_trick = step
    lesson.steps.append(StepRecord(step=len(lesson.steps) + 1, rows=(i,),
                                   sample_loss_before=float(step.prediction != step.label),
                                   sample_loss_after=float(p.predict(ds.X_train[i:i + 1])[0]
                                                           != step.label),
                                   train_loss_before=float("nan"),
                                   train_loss_after=train_loss(lesson), toward_label=None))
    return step


def hidden_unit_outputs(lesson: Lesson, resolution: int = 24,
                        max_units: int | None = None) -> pd.DataFrame:
    """Every hidden unit's activation over a grid of raw input points (2-D data).

    Parameters
    ----------
    resolution : int
        Grid points per axis (:func:`plane_grid`).
    max_units : int, optional
        Per layer, only the first ``max_units`` units (the ones a picture draws).

    Returns
    -------
    DataFrame
        Tidy: the two raw columns, ``layer`` (1-based), ``unit`` (1-based), ``value``.

    Raises
    ------
    LearnError
        When the dataset is not two-dimensional or the network has no hidden layer.
    """
    ds, model = lesson.dataset, lesson.model
    if not ds.is_2d:
        raise LearnError(f"the dataset {ds.name!r} has {ds.n_features} features: neuron "
                         "heatmaps need a two-dimensional dataset (moons, circles, xor, spiral, "
                         "blobs with 2 features)")
    if lesson.is_perceptron or len(model.layers) < 2:
        raise LearnError("this network has no hidden layer: its only unit is the output, "
                         "which the decision boundary shows")
    key = ("plane", resolution)
    if key not in lesson.memo:
        grid = plane_grid(ds, resolution=resolution)
        lesson.memo[key] = (grid, ds.preprocessor.transform(grid))
    grid, X = lesson.memo[key]
    a, b = ds.raw_feature_names
    xs, ys = grid[a].to_numpy(), grid[b].to_numpy()
    frames = []
    for index, A in enumerate(layer_activations(model, X)[:-1]):
        A = A[:, :max_units] if max_units else A
        units = A.shape[1]
        frames.append(pd.DataFrame({  # unit by unit, each over the whole grid
            a: np.tile(xs, units), b: np.tile(ys, units), "layer": index + 1,
            "unit": np.repeat(np.arange(1, units + 1), len(xs)), "value": A.T.ravel()}))
    return pd.concat(frames, ignore_index=True)


def train_points(lesson: Lesson) -> pd.DataFrame:
    """The training rows in raw coordinates with their ``label`` (made once per lesson)."""
    if "train_points" not in lesson.memo:
        points = lesson.dataset.frame()
        lesson.memo["train_points"] = (points[points["split"] == "train"]
                                       if "split" in points else points)
    return lesson.memo["train_points"]


def plane_grid(dataset: Dataset, resolution: int = 24, margin: float = 0.1) -> pd.DataFrame:
    """A grid of raw points covering a 2-D dataset (both splits), ``resolution`` a side."""
    raw = pd.concat([dataset.raw_train, dataset.raw_val], ignore_index=True)
    a, b = dataset.raw_feature_names
    axes = []
    for name in (a, b):
        lo, hi = float(raw[name].min()), float(raw[name].max())
        pad = (hi - lo) * margin or 1.0
        axes.append(np.linspace(lo - pad, hi + pad, resolution))
    xx, yy = np.meshgrid(*axes)
    return pd.DataFrame({a: xx.ravel(), b: yy.ravel()})
