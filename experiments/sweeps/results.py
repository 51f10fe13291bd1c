"""A sweep's results as tidy frames: its trials, best so far, top runs, importance.

What the dashboard's Sweep page draws, computed here (no streamlit, no altair) from the
trials table a sweep returns (:attr:`~experiments.sweeps.engine.SweepResult.trials`) or
reads back from MLflow for a past sweep (:func:`load_sweep_record`).

Parameter importance is Optuna's (:mod:`optuna.importance`) on a study rebuilt from the
trials table with :func:`optuna.trial.create_trial`: fANOVA (a random forest fitted to
objective ~ parameters, with its variance decomposed per parameter) by default.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from experiments.settings import SETTINGS

__all__ = ["EVALUATORS", "Importance", "SweepRecord", "best_so_far", "load_sweep_record",
           "objective_by_param", "param_importance", "space_from_json", "top_run_ids",
           "trials_from_children"]

#: Optuna importance evaluators by the name the page shows.
EVALUATORS = {"fanova": "fANOVA (Optuna's FanovaImportanceEvaluator)",
              "mean_decrease_impurity": "mean decrease in impurity of a random forest "
                                        "(Optuna's MeanDecreaseImpurityImportanceEvaluator)"}


@dataclass(frozen=True)
class SweepRecord:
    """A sweep as MLflow keeps it: the parent's settings and its trials table.

    Attributes
    ----------
    run_id : str
        The parent run.
    name : str
    status : str
        The parent's MLflow status (RUNNING, FINISHED, KILLED, FAILED).
    objective : str
    direction : {"minimize", "maximize"}
    space : dict
        The searched settings as the ``sweep.space`` tag holds them
        (``{"training.learning_rate": {"log_uniform": [0.0001, 1.0]}}``).
    summary : str
        ``"tpe · 24 trials · minimize val_loss"``.
    trials : DataFrame
        As :func:`experiments.sweeps.engine.trials_frame` makes it.
    """

    run_id: str
    name: str
    status: str
    objective: str
    direction: str
    space: dict[str, dict[str, Any]]
    summary: str
    trials: pd.DataFrame

    @property
    def params(self) -> list[str]:
        """The searched settings, in the space's order."""
        return list(self.space)


def space_from_json(text: str | None) -> dict[str, dict[str, Any]]:
    """The ``sweep.space`` tag back as a dict (empty when missing or unreadable)."""
    try:
        space = json.loads(text or "{}")
    except ValueError:
        return {}
    return space if isinstance(space, dict) else {}


def _complete(trials: pd.DataFrame) -> pd.DataFrame:
    done = trials[trials["state"] == "COMPLETE"] if "state" in trials else trials
    return done[pd.to_numeric(done["objective"], errors="coerce").notna()]


def best_so_far(trials: pd.DataFrame, direction: str) -> pd.DataFrame:
    """Every trial's objective and the best objective up to it.

    Parameters
    ----------
    trials : DataFrame
        ``trial``, ``objective``, ``state`` (other columns are kept).
    direction : {"minimize", "maximize"}

    Returns
    -------
    DataFrame
        The trials in order with a ``best`` column (NaN until a trial completes) and
        ``is_best`` (True for the trial that set the final best).
    """
    frame = trials.sort_values("trial").reset_index(drop=True).copy()
    values = pd.to_numeric(frame["objective"], errors="coerce")
    if "state" in frame:
        values = values.where(frame["state"] == "COMPLETE")
    best = values.cummin() if direction == "minimize" else values.cummax()
    frame["objective"] = values
    frame["best"] = best.ffill()
    frame["is_best"] = False
    if values.notna().any():
        frame.loc[values.idxmin() if direction == "minimize" else values.idxmax(),
                  "is_best"] = True
    return frame


def top_run_ids(trials: pd.DataFrame, direction: str, n: int = 5) -> list[str]:
    """The first run of each of the ``n`` best complete trials, best first."""
    done = _complete(trials)
    done = done.assign(objective=pd.to_numeric(done["objective"]))
    done = done.sort_values("objective", ascending=direction == "minimize")
    return [str(r) for r in done["run_id"].head(n) if isinstance(r, str) and r]


def objective_by_param(trials: pd.DataFrame, params: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per searched setting, the complete trials' ``value`` and ``objective``.

    Returns
    -------
    dict of str to DataFrame
        ``trial``, ``value`` (a number for numeric settings, text otherwise) and
        ``objective`` per setting, for small multiples.
    """
    done = _complete(trials)
    out: dict[str, pd.DataFrame] = {}
    for key in params:
        if key not in done:
            continue
        values = done[key]
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all() and SETTINGS.get(key) is not None and \
                SETTINGS[key].kind in ("int", "float"):
            values = numeric
        else:
            values = values.map(lambda v: "—" if v is None or (isinstance(v, float)
                                                               and math.isnan(v)) else str(v))
        out[key] = pd.DataFrame({"trial": done["trial"].to_numpy(), "value": values.to_numpy(),
                                 "objective": pd.to_numeric(done["objective"]).to_numpy()})
    return out


@dataclass(frozen=True)
class Importance:
    """Parameter importances, or why there are none.

    Attributes
    ----------
    frame : DataFrame
        ``param`` and ``importance`` (summing to 1), most important first; empty
        when they could not be computed.
    evaluator : str
        Which Optuna evaluator computed them (a key of :data:`EVALUATORS`).
    reason : str or None
        Why the frame is empty.
    """

    frame: pd.DataFrame
    evaluator: str
    reason: str | None = None


def _choice_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return str(value)


def _distributions(space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    import optuna

    out: dict[str, Any] = {}
    for key, dim in space.items():
        row = SETTINGS.get(key)
        integer = row is not None and row.kind == "int"
        if "choice" in dim:
            out[key] = optuna.distributions.CategoricalDistribution(
                [_choice_text(v) for v in dim["choice"]])
            continue
        kind = "log_uniform" if "log_uniform" in dim else "uniform"
        low, high = dim[kind]
        step = dim.get("step")
        if integer:
            out[key] = optuna.distributions.IntDistribution(
                int(low), int(high), log=kind == "log_uniform", step=int(step or 1))
        else:
            out[key] = optuna.distributions.FloatDistribution(
                float(low), float(high), log=kind == "log_uniform",
                step=float(step) if step else None)
    return out


def _param_value(dist: Any, value: Any) -> Any:
    import optuna

    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        text = _choice_text(value)
        if text in dist.choices:
            return text
        for choice in dist.choices:  # 0.05 read back from a CSV as "0.05" or 0.05
            try:
                if float(choice) == float(text):
                    return choice
            except ValueError:
                continue
        raise ValueError(f"{value!r} is not one of the choices {dist.choices}")
    if isinstance(dist, optuna.distributions.IntDistribution):
        return int(float(value))
    return float(value)


def param_importance(trials: pd.DataFrame, space: Mapping[str, Mapping[str, Any]],
                     direction: str, evaluator: str = "fanova", seed: int = 0) -> Importance:
    """How much each searched setting explains the objective (Optuna's importance).

    The complete trials become a study again (:func:`optuna.trial.create_trial` with
    the space's distributions), which :func:`optuna.importance.get_param_importances`
    evaluates.

    Parameters
    ----------
    trials : DataFrame
        The sweep's trials table.
    space : mapping
        The space as in the ``sweep.space`` tag (:func:`space_from_json`).
    direction : {"minimize", "maximize"}
    evaluator : {"fanova", "mean_decrease_impurity"}
        See :data:`EVALUATORS`.
    seed : int
        Seeds the evaluator's random forest (the same trials give the same answer).

    Returns
    -------
    Importance
    """
    import optuna

    from experiments.sweeps.search import quiet_optuna

    empty = pd.DataFrame(columns=["param", "importance"])
    if evaluator not in EVALUATORS:
        raise ValueError(f"evaluator = {evaluator!r}: allowed values are "
                         f"{', '.join(map(repr, EVALUATORS))}")
    done = _complete(trials)
    if len(space) < 2:
        return Importance(empty, evaluator, "Importance compares settings: this sweep "
                                            "varies only one.")
    if len(done) < 2:
        return Importance(empty, evaluator, "Importance needs at least two complete trials.")
    distributions = _distributions(space)
    with quiet_optuna():
        study = optuna.create_study(direction=direction)
    for _, row in done.iterrows():
        try:
            params = {k: _param_value(d, row[k]) for k, d in distributions.items()}
        except (KeyError, ValueError, TypeError):
            continue  # a row this space cannot describe (an edited CSV): left out
        study.add_trial(optuna.trial.create_trial(
            params=params, distributions=distributions, value=float(row["objective"])))
    if len(study.trials) < 2:
        return Importance(empty, evaluator, "Importance needs at least two complete trials.")
    kind = (optuna.importance.FanovaImportanceEvaluator if evaluator == "fanova"
            else optuna.importance.MeanDecreaseImpurityImportanceEvaluator)
    try:
        with quiet_optuna():
            scores = optuna.importance.get_param_importances(study, evaluator=kind(seed=seed))
    except (RuntimeError, ValueError) as e:  # e.g. every trial has the same objective
        return Importance(empty, evaluator, f"Optuna could not evaluate it: {e}")
    frame = pd.DataFrame({"param": list(scores), "importance": [float(v) for v in
                                                                 scores.values()]})
    return Importance(frame.sort_values("importance", ascending=False, ignore_index=True),
                      evaluator)


def _number_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text \
        else number


def trials_from_children(children: Sequence[Any], space: Sequence[str], objective: str
                         ) -> pd.DataFrame:
    """A trials table from a sweep's child runs (a sweep still running elsewhere).

    Parameters
    ----------
    children : sequence of mlflow.entities.Run
        The runs tagged ``mlflow.parentRunId`` = the sweep.
    space : sequence of str
        The searched settings.
    objective : str

    Returns
    -------
    DataFrame
        The columns of :func:`experiments.sweeps.engine.trials_frame`; a trial's
        objective is the mean of its finished replicates' ``final_<objective>``.
    """
    from experiments.sweeps.trial import REPLICATE_TAG, TRIAL_TAG

    by_trial: dict[int, list[Any]] = {}
    for run in children:
        number = run.data.tags.get(TRIAL_TAG)
        if number is None:
            continue
        by_trial.setdefault(int(number), []).append(run)
    rows = []
    for number, runs in sorted(by_trial.items()):
        runs = sorted(runs, key=lambda r: int(r.data.tags.get(REPLICATE_TAG, 0)))
        first = runs[0]
        values = [r.data.metrics.get(f"final_{objective}") for r in runs
                  if r.info.status == "FINISHED"]
        values = [v for v in values if v is not None]
        statuses = {r.info.status for r in runs}
        reason = first.data.tags.get("stop_reason")
        if "RUNNING" in statuses:
            state = "RUNNING"
        elif "FAILED" in statuses:
            state = "FAILED"
        elif "KILLED" in statuses:
            state = "PRUNED" if (reason or "").startswith("pruned") else "KILLED"
        else:
            state = "COMPLETE"
        value = sum(values) / len(values) if values and state == "COMPLETE" else math.nan
        row: dict[str, Any] = {"trial": number}
        for key in space:
            param = first.data.params.get(key)
            row[key] = _number_or_text(param)
        row.update(objective=value, objective_std=(pd.Series(values).std(ddof=0)
                                                   if len(values) > 1 else 0.0),
                   state=state, run_id=first.info.run_id,
                   run_ids=",".join(r.info.run_id for r in runs),
                   seconds=sum(((r.info.end_time or r.info.start_time) - r.info.start_time)
                               / 1000.0 for r in runs), reason=reason)
        rows.append(row)
    columns = ["trial", *space, "objective", "objective_std", "state", "run_id", "run_ids",
               "seconds", "reason"]
    return pd.DataFrame(rows, columns=columns)


def load_sweep_record(parent_run_id: str, tracking_uri: str | None = None) -> SweepRecord:
    """A past (or running) sweep read back from MLflow.

    The parent's ``trials.csv`` artifact when the sweep has ended, its child runs
    otherwise (or when the artifact is missing).

    Parameters
    ----------
    parent_run_id : str
    tracking_uri : str, optional

    Returns
    -------
    SweepRecord
    """
    from experiments.sweeps.engine import PARENT_TAG
    from experiments.tracking import mlflow_client

    client = mlflow_client(tracking_uri)
    parent = client.get_run(parent_run_id)
    tags = parent.data.tags
    space = space_from_json(tags.get("sweep.space"))
    objective = tags.get("sweep.objective", "val_loss")
    trials = None
    if parent.info.status != "RUNNING":
        from experiments._quiet import quiet_mlflow_hints
        from experiments.queries import _artifact_text
        from experiments.tracking import resolve_tracking_uri

        with quiet_mlflow_hints():  # no "Downloading artifacts" bar
            text = _artifact_text(client, resolve_tracking_uri(tracking_uri), parent_run_id,
                                  "trials.csv")
        if text:  # none: a sweep that failed early; its children tell what ran
            trials = pd.read_csv(io.StringIO(text))
    if trials is None:
        children = client.search_runs(
            [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent_run_id}'",
            max_results=5000)
        trials = trials_from_children(children, list(space), objective)
    note = tags.get("mlflow.note.content", "")
    summary = note.split("\n")[0].partition(": ")[2] if note.startswith("Sweep ") else ""
    return SweepRecord(run_id=parent_run_id, name=tags.get(PARENT_TAG, "sweep"),
                       status=parent.info.status, objective=objective,
                       direction=tags.get("sweep.direction", "minimize"), space=space,
                       summary=summary, trials=trials)
