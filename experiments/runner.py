"""Training one run spec: the only place that wires nncore and MLflow tracking together.

>>> from experiments import load_spec, train                          # doctest: +SKIP
>>> spec = load_spec("experiments/configs/admissions_mlp.toml")       # doctest: +SKIP
>>> result = train(spec.with_overrides({"training.epochs": 500}))     # doctest: +SKIP
>>> result.run_id, result.metrics["val_accuracy"]                     # doctest: +SKIP

The CLI, the dashboard and sweeps all call :func:`train`.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import nncore
from experiments.datasets import Dataset
from experiments.errors import ExperimentError, SpecError
from experiments.evaluation import decision_grid, evaluate_model
from experiments.preprocessing import TargetEncoding
from experiments.spec import RunSpec
from experiments.tracking import MetricsLogger, RunTracker, redact_uri, resolve_tracking_uri

__all__ = ["EpochCallback", "RunFailed", "RunResult", "build_model", "train"]

Status = Literal["FINISHED", "KILLED", "UNTRACKED"]
#: ``fn(epoch, logs)``: a plain function works wherever a callback is accepted.
EpochCallback = Callable[[int, Mapping[str, float]], None]



class RunFailed(ExperimentError):
    """Training failed (for example diverged); the run, if tracked, is FAILED.

    Attributes
    ----------
    run_id : str or None
        The FAILED MLflow run (None when untracked).
    history : nncore.History or None
        Epochs recorded before the failure.
    epoch : int or None
        The epoch at which training diverged.
    """

    def __init__(self, message: str, run_id: str | None = None, history: Any = None,
                 epoch: int | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.history = history
        self.epoch = epoch


@dataclass(eq=False)
class RunResult:
    """What :func:`train` returns.

    Attributes
    ----------
    spec : RunSpec
        The spec trained.
    run_id : str or None
        MLflow run id (None with ``track=False``).
    experiment_id : str or None
        MLflow experiment id.
    model : nncore.Sequential or nncore.Perceptron
        The trained model (best weights when early stopping restored them).
    history : nncore.History
        Per-epoch metrics at full resolution (RMSE in the target's units).
    metrics : dict
        The returned model scored on both splits (``train_loss``, ``val_loss``,
        ``train_accuracy``, ``val_accuracy`` or ``*_rmse``), plus ``epochs``
        trained, ``best_epoch`` (early stopping) and ``duration_s``.
    dataset : Dataset
        The data it was trained on.
    status : {"FINISHED", "KILLED", "UNTRACKED"}
        KILLED when stopped by ``stop_event`` or a callback.
    stop_reason : str or None
        Why training ended before ``epochs`` (early stopping, converged, stopped).
    tracking_uri : str or None
        The store, credentials removed.
    model_id : str or None
        The MLflow LoggedModel id of the pyfunc model.
    """

    spec: RunSpec
    run_id: str | None
    experiment_id: str | None
    model: Any
    history: Any
    metrics: dict[str, float]
    dataset: Dataset
    status: Status
    stop_reason: str | None = None
    tracking_uri: str | None = None
    model_id: str | None = None
    artifacts: list[str] = field(default_factory=list)

    @property
    def model_uri(self) -> str | None:
        """``runs:/<run_id>/model`` for ``mlflow.pyfunc.load_model`` (None if untracked).

        MLflow resolves it in the store that ``MLFLOW_TRACKING_URI`` (or
        ``mlflow.set_tracking_uri``) names.
        """
        return f"runs:/{self.run_id}/model" if self.run_id else None

    def ui_command(self) -> str | None:
        """The command (or web address) that shows this run, if tracked."""
        if not self.run_id or not self.tracking_uri:
            return None
        from experiments.tracking import ui_command

        return ui_command(self.tracking_uri, self.experiment_id, self.run_id)


# --------------------------------------------------------------------------- building


def output_activation(spec: RunSpec, dataset: Dataset) -> str:
    """The output activation of the spec on this dataset (auto: from the task)."""
    if spec.model.type == "perceptron":
        return "step"
    return spec.model.output_activation or nncore.TASK_OUTPUT[dataset.task]


def build_model(spec: RunSpec, dataset: Dataset) -> Any:
    """The untrained nncore model for a spec on a dataset.

    Checks what only the data can tell: that the output layer and loss suit the
    task (a perceptron needs a binary task; softmax needs classes; cross-entropy
    needs softmax; ...).

    Raises
    ------
    SpecError
        The combination does not fit the dataset's task.
    """
    m, t = spec.model, spec.training
    task = dataset.task
    if m.type == "perceptron":
        if task != "binary":
            raise SpecError(
                f"model.type = 'perceptron' needs a binary task; dataset {dataset.name!r} "
                f"is {task}"
            )
        return nncore.Perceptron(dataset.n_features, lr=t.learning_rate, seed=t.seed,
                                 dtype=m.dtype)
    out = output_activation(spec, dataset)
    try:
        nncore.check_output_for_task(task, out, n_classes=dataset.n_classes)
    except ValueError as e:
        raise SpecError(f"model.output_activation = {out!r}: {e}") from None
    if t.loss is not None:
        try:
            nncore.check_loss_for_output(t.loss, out)
        except ValueError as e:
            raise SpecError(f"training.loss = {t.loss!r} {e} (leave loss = \"auto\" to match "
                            "it)") from None
    n_out = dataset.n_classes if out == "softmax" else 1
    sizes = [dataset.n_features, *m.hidden]
    layers = [
        nncore.Dense(sizes[i], sizes[i + 1], activation=act, init=m.init)
        for i, act in enumerate(m.activations)
    ]
    layers.append(nncore.Dense(sizes[-1], n_out, activation=out, init=m.init))
    return nncore.Sequential(layers, seed=t.seed, dtype=m.dtype)


def architecture(model: Any) -> str:
    """``"6-8-1"``: units per layer, inputs first."""
    if isinstance(model, nncore.Perceptron):
        return f"{model.n_inputs}-1 perceptron"
    return "-".join(str(n) for n in [model.n_inputs, *(layer.n_units for layer in model.layers)])


def _run_name(spec: RunSpec) -> str:
    m, t = spec.model, spec.training
    if m.type == "perceptron":
        return f"perceptron-lr{t.learning_rate:g}"
    if m.hidden:
        acts = "-".join(dict.fromkeys(m.activations))
        arch = "x".join(map(str, m.hidden)) + f"-{acts}"
    else:
        arch = "linear"
    return f"{arch}-{t.optimizer}-lr{t.learning_rate:g}"


# --------------------------------------------------------------------------- callbacks


class _TargetUnits(nncore.Callback):
    """Rewrites the epoch's ``*_rmse`` logs in the target's units, in place.

    The network of a regression task predicts standardised targets, so nncore
    measures RMSE in standard deviations of the target. This is the first callback
    handed to nncore: every later callback (MLflow logging, early stopping, a
    caller's live chart or progress line) and the ``History``, which records the
    logs after all callbacks ran, see the same numbers, in the target's units.
    """

    def __init__(self, target: TargetEncoding) -> None:
        self.target = target

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            if key.endswith("_rmse"):
                logs[key] = self.target.rmse_in_target_units(value)


class _Logging(nncore.Callback):
    """Sends the epochs the :class:`MetricsLogger` picks to MLflow."""

    def __init__(self, logger: MetricsLogger) -> None:
        self.logger = logger

    def on_train_begin(self, model: Any, params: dict) -> None:
        self.logger.begin(int(params.get("epochs", 1)))

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        self.logger.epoch(epoch, logs)

    def on_train_end(self, model: Any, history: Any) -> None:
        # Sent with the run's last batch (RunTracker.end), or flushed there on failure.
        self.logger.finish(flush=False)


class _StopOnEvent(nncore.Callback):
    """Ends training cleanly after the current epoch once ``event`` is set."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        if self.event.is_set() and not model.stop_training:   # keep a caller's own reason
            model.stop_training = True
            model.stop_reason = f"stopped by the user after epoch {epoch}"


class _EarlyStopping(nncore.EarlyStopping):
    """nncore's early stopping, remembering whether it was the one that stopped."""

    triggered = False

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        before = model.stop_training
        super().on_epoch_end(model, epoch, logs)
        if model.stop_training and not before:
            self.triggered = True


class _FunctionCallback(nncore.Callback):
    def __init__(self, fn: EpochCallback) -> None:
        self.fn = fn

    def on_epoch_end(self, model: Any, epoch: int, logs: dict[str, float]) -> None:
        self.fn(epoch, logs)


# --------------------------------------------------------------------------- train


def train(
    spec: RunSpec,
    tracking_uri: str | None = None,
    track: bool = True,
    source: str = "cli",
    callbacks: Sequence[nncore.Callback | EpochCallback] = (),
    stop_event: threading.Event | None = None,
    experiment: str | None = None,
    *,
    run_name: str | None = None,
    dataset: Dataset | None = None,
    tags: Mapping[str, str] | None = None,
    log_model: bool = True,
    max_points: int = 200,
    parent_run_id: str | None = None,
) -> RunResult:
    """Train ``spec`` with nncore and record the run in MLflow.

    Parameters
    ----------
    spec : RunSpec
        What to train.
    tracking_uri : str, optional
        MLflow store; default ``MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db``
        in the working folder.
    track : bool
        False: train only, log nothing.
    source : str
        Who started the run (``"cli"``, ``"dashboard"``, ``"sweep"``); a tag.
    callbacks : sequence
        nncore callbacks, or functions ``fn(epoch, logs)``, called after every epoch
        (a live chart, a progress bar). Their ``logs`` are what the history and
        MLflow record: RMSE of a regression task is in the target's units.
        Setting ``model.stop_training = True`` from one stops the run; it then
        ends KILLED.
    stop_event : threading.Event, optional
        Set it (from another thread) to stop after the current epoch; the run ends
        KILLED, with the model trained so far logged.
    experiment : str, optional
        MLflow experiment; default ``spec.experiment_name``.
    run_name : str, optional
        Display name; default describes the architecture and optimizer.
    dataset : Dataset, optional
        An already loaded dataset for ``spec.dataset`` (e.g. from a cache).
    tags : mapping, optional
        Extra tags.
    log_model : bool
        Log the MLflow pyfunc model (default True).
    max_points : int
        Most MLflow points per metric; the full history goes to ``history.csv``.
    parent_run_id : str, optional
        Nest the run under a parent run (sweeps).

    Returns
    -------
    RunResult

    Raises
    ------
    SpecError, DataError
        Before any run is created.
    TrackingError
        The store cannot be reached, reported before training starts.
    RunFailed
        Training diverged or failed; the run is FAILED with the reason as a tag.
    """
    started = time.perf_counter()
    if dataset is not None:
        wanted = {"test_size": spec.dataset.test_size, "seed": spec.dataset.seed,
                  **spec.dataset.params}
        if dataset.name != spec.dataset.name or dict(dataset.params) != wanted:
            raise SpecError(
                f"dataset= was built as {dataset.name!r} with {dict(dataset.params)}, but the "
                f"spec asks for {spec.dataset.name!r} with {wanted}; pass the matching dataset"
            )
    ds = dataset if dataset is not None else spec.dataset.load()
    model = build_model(spec, ds)
    t = spec.training

    early: _EarlyStopping | None = None
    fit_callbacks: list[nncore.Callback] = []
    if t.patience is not None and spec.model.type != "perceptron":
        early = _EarlyStopping(monitor="val_loss", **t.nncore_kwargs("early_stopping"))
        fit_callbacks.append(early)
    for cb in callbacks:
        fit_callbacks.append(cb if isinstance(cb, nncore.Callback) else _FunctionCallback(cb))
    if stop_event is not None:  # last, so it sees an event set by a callback this epoch
        fit_callbacks.append(_StopOnEvent(stop_event))

    tracker: RunTracker | None = None
    uri = resolve_tracking_uri(tracking_uri) if track else None
    if track:
        run_tags = {
            "dataset": ds.name,
            "task": ds.task,
            "source": source,
            "model_type": spec.model.type,
            "architecture": architecture(model),
            "nncore_version": nncore.__version__,
            "tracking_uri": redact_uri(uri or ""),
            "mlflow.note.content": spec.summary(),
            **(tags or {}),
        }
        if parent_run_id:
            run_tags["mlflow.parentRunId"] = parent_run_id
        tracker = RunTracker.start(
            experiment=experiment or spec.experiment_name,
            tracking_uri=uri,
            run_name=run_name or _run_name(spec),
            tags=run_tags,
        )
        try:
            tracker.log_params(spec.to_params())
            _log_dataset(tracker, ds)
        except BaseException as e:
            tracker.end("FAILED", f"{type(e).__name__}: {e}")
            raise
        fit_callbacks.insert(0, _Logging(MetricsLogger(tracker, max_points=max_points)))
    if ds.task == "regression":  # first: every other callback sees RMSE in target units
        fit_callbacks.insert(0, _TargetUnits(ds.preprocessor.target))

    try:
        history = _fit(model, spec, ds, fit_callbacks)
    except nncore.TrainingDiverged as e:
        if tracker:
            tracker.end("FAILED", str(e))
        raise RunFailed(str(e), tracker.run_id if tracker else None, e.history,
                        e.epoch) from e
    except BaseException as e:
        if tracker:
            tracker.end_after(e)     # KILLED for an interruption, FAILED for an error
        if isinstance(e, Exception) and not isinstance(e, ExperimentError):
            raise RunFailed(f"training failed: {type(e).__name__}: {e}",
                            tracker.run_id if tracker else None) from e
        raise

    # Stopped by the stop event or a caller's callback (not by early stopping): KILLED.
    killed = history.stopped_early and not (early is not None and early.triggered)
    metrics = evaluate_model(model, ds)
    metrics["epochs"] = float(len(history.epochs))
    if history.best_epoch is not None:
        metrics["best_epoch"] = float(history.best_epoch)
    status: Status = "KILLED" if killed else "FINISHED"
    result = RunResult(
        spec=spec, run_id=None, experiment_id=None, model=model, history=history,
        metrics=metrics, dataset=ds, status=status if track else "UNTRACKED",
        stop_reason=history.stop_reason,
    )
    if tracker is None:
        metrics["duration_s"] = time.perf_counter() - started
        return result

    try:
        result.run_id, result.experiment_id = tracker.run_id, tracker.experiment_id
        result.tracking_uri = redact_uri(tracker.tracking_uri)
        result.artifacts = _stage_artifacts(tracker, spec, ds, model, history)
        tracker.upload_artifacts()
        if log_model:
            result.model_id = _log_pyfunc(tracker, model, ds, spec,
                                          step=history.epochs[-1] if history.epochs else 0)
            result.artifacts.append("model")
        metrics["duration_s"] = time.perf_counter() - started
        tracker.log_metrics({f"final_{k}": v for k, v in metrics.items()},
                            step=history.epochs[-1] if history.epochs else 0)
        tracker.end(status, history.stop_reason)
    except Exception as e:
        tracker.end("FAILED", f"recording the run failed: {type(e).__name__}: {e}")
        raise
    except BaseException as e:   # Ctrl+C, SIGTERM, a host stopping its script: KILLED
        tracker.end_after(e)
        raise
    return result


def _fit(model: Any, spec: RunSpec, ds: Dataset, callbacks: list[nncore.Callback]) -> Any:
    """Train with the nncore arguments the settings table maps the spec's settings to."""
    t = spec.training
    fit = t.nncore_kwargs("fit")
    schedule = nncore.get_schedule(t.lr_schedule, **t.nncore_kwargs("schedule"))
    data = {"validation_data": (ds.X_val, ds.y_val), "callbacks": callbacks,
            "lr_schedule": None if t.lr_schedule == "constant" else schedule}
    if spec.model.type == "perceptron":
        return model.fit(ds.X_train, ds.y_train, epochs=fit["epochs"], shuffle=fit["shuffle"],
                         **data)
    optimizer = nncore.get_optimizer(t.optimizer, **t.nncore_kwargs("optimizer"))
    return model.fit(ds.X_train, ds.y_train, optimizer=optimizer, **fit, **data)


def _log_dataset(tracker: RunTracker, ds: Dataset) -> None:
    frame = ds.frame().drop(columns=["label"], errors="ignore")
    items = []
    for split, context, arrays in (("train", "training", (ds.X_train, ds.y_train)),
                                   ("validation", "validation", (ds.X_val, ds.y_val))):
        part = frame[frame["split"] == split].drop(columns=["split"]).reset_index(drop=True)
        items.append({
            "frame": part, "name": f"{ds.name}-{split}", "source": ds.source,
            "context": context, "targets": ds.target_name, "digest": _digest(*arrays),
        })
    tracker.log_datasets(items)


def _digest(*arrays: Any) -> str:
    import hashlib

    import numpy as np

    h = hashlib.sha256()
    for arr in arrays:
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:8]


def _history_csv(history: Any) -> str:
    records = history.records()
    buf = io.StringIO()
    if records:
        writer = csv.DictWriter(buf, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        for row in records:
            writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def _stage_artifacts(tracker: RunTracker, spec: RunSpec, ds: Dataset, model: Any,
                     history: Any) -> list[str]:
    root = tracker.artifact_dir
    nncore.save(model, root / "weights" / "model")
    (root / "history.csv").write_text(_history_csv(history), encoding="utf-8")
    (root / "spec.toml").write_text(spec.to_toml(), encoding="utf-8")
    (root / "preprocessing.json").write_text(
        json.dumps(ds.preprocessor.to_dict(), indent=2), encoding="utf-8"
    )
    names = ["weights/model.npz", "weights/model.json", "history.csv", "spec.toml",
             "preprocessing.json"]
    if ds.is_2d:
        grid = decision_grid(model, ds)
        grid.to_csv(root / "decision_boundary.csv", index=False, float_format="%.6g")
        names.append("decision_boundary.csv")
    return names


def _log_pyfunc(tracker: RunTracker, model: Any, ds: Dataset, spec: RunSpec, step: int) -> str:
    from experiments.pyfunc_model import save_pyfunc_model

    def write(path: str, mlflow_model: Any) -> None:
        save_pyfunc_model(path, model=model, preprocessor=ds.preprocessor,
                          input_example=ds.raw_val, mlflow_model=mlflow_model)

    return tracker.log_model(write, name="model", step=step)
