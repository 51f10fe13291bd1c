"""RMSE of a regression run in one unit, the target's, wherever it is read.

The network predicts standardised targets, so nncore measures RMSE in standard
deviations of the target. A caller's callback (the dashboard's live chart), the
CLI's progress line, ``result.history``, the MLflow metrics and ``result.metrics``
must all report the same numbers, in the target's units (issue 12: a probe showed
0.94 live against 26.5 recorded, for a target of scale 28.3).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import RunSpec, predict_frame, train
from experiments.cli import main

TOL = 1e-9
KEYS = ("train_loss", "val_loss", "train_rmse", "val_rmse")


@pytest.fixture
def price_csv(tmp_path: Path) -> Path:
    """A regression CSV whose target has a standard deviation of about 30."""
    rng = np.random.default_rng(7)
    n = 160
    area = rng.uniform(0, 10, n)
    rooms = rng.integers(1, 6, n)
    price = 200 + 10 * area + 5 * rooms + rng.normal(scale=3.0, size=n)
    path = tmp_path / "prices.csv"
    pd.DataFrame({"area": area, "rooms": rooms, "price": price}).to_csv(path, index=False)
    return path


def _spec(csv: Path, **training: object) -> RunSpec:
    return RunSpec.from_dict({
        "dataset": {"name": "csv", "path": str(csv), "target": "price"},
        "model": {"hidden": [8], "activation": "tanh"},
        "training": {"optimizer": "adam", "learning_rate": 0.01, "epochs": 30,
                     "batch_size": 16, **training},
    })


def _close(a: object, b: object) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=0, atol=TOL)


@pytest.mark.parametrize("early", [False, True], ids=["all-epochs", "early-stopping-restores"])
def test_callbacks_history_mlflow_and_metrics_agree_in_target_units(
        price_csv, experiment_name, client, early) -> None:
    # Early stopping that keeps epoch 1 as the best (no later epoch improves val_loss
    # by 1e6) stops at epoch 3 and restores epoch 1's weights.
    stopping = {"patience": 2, "min_delta": 1e6} if early else {}
    seen: dict[int, dict[str, float]] = {}

    def watch(epoch: int, logs: dict[str, float]) -> None:  # e.g. the live chart
        seen[epoch] = dict(logs)

    result = train(_spec(price_csv, **stopping), experiment=experiment_name,
                   callbacks=[watch], log_model=False)
    scale = result.dataset.preprocessor.target.scale
    assert 25 < scale < 40
    history = result.history.history
    epochs = result.history.epochs
    assert epochs == ([1, 2, 3] if early else list(range(1, 31)))
    assert sorted(seen) == epochs

    # The same epoch has the same value for a caller's callback, the history and MLflow.
    for key in KEYS:
        _close([seen[e][key] for e in epochs], history[key])
        logged = client.get_metric_history(result.run_id, key)
        assert [m.step for m in logged] == epochs
        _close([m.value for m in logged], history[key])

    # result.metrics scores the returned model: the last epoch's weights, or the best
    # epoch's when early stopping restored them. Validation metrics are measured after
    # the epoch's updates, so they match that epoch exactly (train metrics are averages
    # over the epoch's batches while the weights moved, so they are not compared).
    kept = result.metrics["best_epoch"] if early else epochs[-1]
    assert (kept, len(epochs)) == ((1, 3) if early else (30, 30))
    i = epochs.index(int(kept))
    _close(result.metrics["val_rmse"], history["val_rmse"][i])
    _close(result.metrics["val_loss"], history["val_loss"][i])
    if early:  # the restored weights are not the last epoch's
        assert abs(history["val_rmse"][-1] - result.metrics["val_rmse"]) > 1e-6

    # MLflow's final_* metrics are result.metrics.
    final = client.get_run(result.run_id).data.metrics
    for key in KEYS:
        _close(final[f"final_{key}"], result.metrics[key])

    # And the unit is the target's: the RMSE of the model's predictions in prices.
    frame = result.dataset.frame()
    val = frame[frame["split"] == "validation"]
    predicted = predict_frame(result.model, result.dataset.preprocessor, val)["prediction"]
    rmse = float(np.sqrt(np.mean((predicted.to_numpy() - val["price"].to_numpy()) ** 2)))
    assert result.metrics["val_rmse"] == pytest.approx(rmse, rel=1e-9)
    # (not the standardised value, which is `scale` times smaller)
    assert result.metrics["val_rmse"] > 1.0 and seen[epochs[-1]]["val_rmse"] > 1.0


_PROGRESS = re.compile(r"^epoch\s+(\d+)/\d+ .*?train_loss (\S+)\s+val_loss (\S+)\s+"
                       r"val_rmse (\S+)")


def test_the_cli_progress_line_shows_what_mlflow_records(price_csv, tmp_path, tracking_uri,
                                                         experiment_name, client) -> None:
    config = tmp_path / "prices.toml"
    config.write_text(_spec(price_csv).to_toml(), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()  # not a terminal: a line every tenth of the run
    code = main(["run", str(config), "--tracking-uri", tracking_uri,
                 "--experiment", experiment_name], out=out, err=err)
    assert code == 0, err.getvalue()
    run_id = next(line.split()[1] for line in out.getvalue().splitlines()
                  if line.startswith("run "))
    logged = {key: {m.step: m.value for m in client.get_metric_history(run_id, key)}
              for key in ("train_loss", "val_loss", "val_rmse")}
    lines = [m for m in map(_PROGRESS.match, err.getvalue().splitlines()) if m]
    assert len(lines) >= 3 and int(lines[-1][1]) == 30
    for match in lines:
        epoch = int(match[1])
        shown = dict(zip(("train_loss", "val_loss", "val_rmse"), match.groups()[1:],
                         strict=True))
        for key, text in shown.items():
            assert text == f"{logged[key][epoch]:.4g}", (epoch, key)
    assert float(lines[-1][4]) > 1.0  # target units (the target's scale is about 30)
    # The final line prints result.metrics, which MLflow keeps as final_*.
    final = client.get_run(run_id).data.metrics
    final_line = next(line for line in out.getvalue().splitlines()
                      if line.startswith("final"))
    assert f"val_rmse {final['final_val_rmse']:.4f}" in final_line
