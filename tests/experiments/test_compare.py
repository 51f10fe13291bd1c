"""experiments.compare: filtering, typed params, tables, replicates, epochs, smoothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import compare


def _runs() -> pd.DataFrame:
    t0 = pd.Timestamp("2024-05-01 10:00", tz="UTC")
    rows = []
    for i, (lr, seed, opt) in enumerate([("0.1", "0", "sgd"), ("0.1", "1", "sgd"),
                                         ("0.01", "0", "sgd"), ("0.01", "1", "sgd"),
                                         ("1.0", "0", "adam")]):
        rows.append({
            "run_id": f"r{i}", "run_name": f"run-{i}", "experiment": "moons",
            "status": "FINISHED" if i != 4 else "FAILED",
            "start_time": t0 + pd.Timedelta(days=i), "dataset": "moons" if i < 4 else "xor",
            "architecture": "2-8-1",
            "params.training.learning_rate": lr, "params.training.seed": seed,
            "params.training.optimizer": opt, "params.model.hidden": "[8, 8]",
            "params.training.batch_size": "full" if i == 0 else "32",
            "params.dataset.name": "moons", "params.training.nesterov": "false",
            "metrics.final_val_accuracy": 0.8 + i / 100, "metrics.val_loss": 0.5 - i / 100,
        })
    return pd.DataFrame(rows)


def _history() -> pd.DataFrame:
    rows = []
    t0 = pd.Timestamp("2024-05-01 10:00", tz="UTC")
    for r, scale in (("a", 1.0), ("b", 2.0)):
        for step in (1, 5, 10, 15, 20):
            val = scale * (1.0 / step + (0.02 * step if step > 10 else 0))  # best at 10
            rows.append((r, "val_loss", step, val, t0 + pd.Timedelta(seconds=step * scale)))
            rows.append((r, "val_accuracy", step, 0.5 + step / 100,
                         t0 + pd.Timedelta(seconds=step * scale)))
    return pd.DataFrame(rows, columns=["run_id", "metric", "step", "value", "timestamp"])


def test_parse_param():
    assert compare.parse_param("0.1") == 0.1
    assert compare.parse_param("200") == 200 and isinstance(compare.parse_param("200"), int)
    assert compare.parse_param("1e-3") == pytest.approx(1e-3)
    assert compare.parse_param("true") is True
    assert compare.parse_param("[8, 8]") == "8x8"
    assert compare.parse_param("[]") == "none"
    assert compare.parse_param("full") == "full"


def test_typed_params_sort_as_numbers_not_text():
    typed = compare.typed_params(_runs())
    lr = typed["params.training.learning_rate"]
    assert lr.dtype == np.float64
    # As text, "1.0" < "0.1" is false but "0.01" < "0.1" < "1.0" is the same; 10 vs 9 is not:
    assert lr.sort_values().tolist() == [0.01, 0.01, 0.1, 0.1, 1.0]
    assert str(typed["params.training.seed"].dtype) == "Int64"
    assert typed["params.model.hidden"].iloc[0] == "8x8"
    assert str(typed["params.training.nesterov"].dtype) == "boolean"
    # mixed "full" and numbers stay text
    assert typed["params.training.batch_size"].tolist() == ["full", "32", "32", "32", "32"]
    seeds = pd.DataFrame({"run_id": list("abc"), "params.x": ["9", "10", "100"]})
    assert compare.typed_params(seeds).sort_values("params.x")["run_id"].tolist() == list("abc")


def test_filter_runs_every_condition():
    runs = _runs()
    assert compare.filter_runs(runs)["run_id"].tolist() == [f"r{i}" for i in range(5)]
    assert compare.filter_runs(runs, datasets=["xor"])["run_id"].tolist() == ["r4"]
    assert compare.filter_runs(runs, statuses=["FINISHED"])["run_id"].tolist() == [
        "r0", "r1", "r2", "r3"]
    got = compare.filter_runs(runs, since="2024-05-02", until="2024-05-03")
    assert got["run_id"].tolist() == ["r1", "r2"]  # until is inclusive of its day
    got = compare.filter_runs(runs, params={"params.training.learning_rate": [0.1]})
    assert got["run_id"].tolist() == ["r0", "r1"]
    typed = compare.typed_params(runs)
    got = compare.filter_runs(typed, params={"params.training.learning_rate": ["0.10"]})
    assert got["run_id"].tolist() == ["r0", "r1"]
    got = compare.filter_runs(runs, metric_min={"metrics.final_val_accuracy": 0.82},
                              metric_max={"metrics.val_loss": 0.475})
    assert got["run_id"].tolist() == ["r3", "r4"]
    assert compare.filter_runs(runs, metric_min={"metrics.nope": 0}).empty
    assert compare.filter_runs(runs, text="RUN-3")["run_id"].tolist() == ["r3"]


def test_differing_columns_and_comparison_table():
    runs = _runs()
    diff = compare.differing_columns(runs, compare.param_columns(runs))
    assert set(diff) == {"params.training.learning_rate", "params.training.seed",
                         "params.training.optimizer", "params.training.batch_size"}
    table = compare.comparison_table(runs, only_differences=True)
    assert list(table.columns) == ["run_id", "run_name", "status", "dataset",
                                   "training.batch_size", "training.learning_rate",
                                   "training.optimizer", "training.seed", "val_accuracy"]
    assert table["training.learning_rate"].dtype == np.float64
    full = compare.comparison_table(runs)
    assert "model.hidden" in full.columns
    # the dataset's name is the identity column "dataset", not also a param column
    runs["params.dataset.name"] = runs["dataset"]
    assert "dataset.name" not in compare.comparison_table(runs).columns
    assert compare.differing_columns(runs.head(1), ["status"]) == ["status"]


def test_replicate_groups_and_summary():
    runs = _runs()
    runs["params.training.batch_size"] = "32"
    groups = compare.replicate_groups(runs)
    assert groups["run_id"].tolist() == ["r0", "r1", "r2", "r3", "r4"]
    g = dict(zip(groups["run_id"], groups["group"], strict=True))
    assert g["r0"] == g["r1"] != g["r2"] == g["r3"] != g["r4"]
    assert "learning_rate=0.1" in g["r0"] and "seed" not in g["r0"]
    assert groups["replicates"].tolist() == [2, 2, 2, 2, 1]
    runs.loc[4, "params.dataset.noise"] = "0.2"  # a param only one run has (another dataset)
    with_missing = compare.replicate_groups(runs)
    assert with_missing["replicates"].tolist() == [2, 2, 2, 2, 1]
    values = pd.DataFrame({"run_id": runs["run_id"], "acc": [0.8, 0.9, 0.6, 0.7, 0.5]})
    summary = compare.replicate_summary(values, groups, ["acc"])
    row = summary[summary["group"] == g["r0"]].iloc[0]
    assert row["n"] == 2
    assert row["acc_mean"] == pytest.approx(0.85)
    assert row["acc_std"] == pytest.approx(np.std([0.8, 0.9], ddof=1))
    assert summary[summary["group"] == g["r4"]]["acc_std"].iloc[0] == 0.0
    assert summary["acc_mean"].is_monotonic_increasing


def test_replicate_bands():
    history = _history()
    groups = pd.DataFrame({"run_id": ["a", "b"], "group": ["g", "g"], "replicates": [2, 2]})
    bands = compare.replicate_bands(history, groups)
    row = bands[(bands["metric"] == "val_loss") & (bands["step"] == 1)].iloc[0]
    assert row["mean"] == pytest.approx(1.5)
    assert row["std"] == pytest.approx(np.std([1.0, 2.0], ddof=1))
    assert row["lower"] == pytest.approx(row["mean"] - row["std"])
    assert row["n"] == 2


def test_values_at_last_best_and_k():
    history = _history()
    last = compare.values_at(history, "last")
    assert last["run_id"].tolist() == ["a", "b"]
    assert last["epoch"].tolist() == [20, 20]
    assert last.loc[0, "val_accuracy"] == pytest.approx(0.7)
    best = compare.values_at(history, "best")
    assert best["epoch"].tolist() == [10, 10]
    assert best.loc[1, "val_loss"] == pytest.approx(0.2)
    k = compare.values_at(history, 12)  # the last logged epoch at or before 12
    assert k["epoch"].tolist() == [10, 10]
    assert compare.values_at(history, 0).empty
    no_val = history[history["metric"] != "val_loss"]
    assert compare.values_at(no_val, "best")["epoch"].tolist() == [20, 20]


def test_smooth_is_debiased_ema_per_curve():
    history = _history()
    same = compare.smooth(history, 0.0)
    assert np.allclose(same["value"], same["raw"])
    smoothed = compare.smooth(history, 0.6)
    curve = smoothed[(smoothed["run_id"] == "a") & (smoothed["metric"] == "val_loss")]
    raw = curve["raw"].to_numpy()
    assert curve["value"].iloc[0] == pytest.approx(raw[0])  # starts at the first value
    expected = (0.4 * raw[1] + 0.4 * 0.6 * raw[0]) / (0.4 + 0.4 * 0.6)
    assert curve["value"].iloc[1] == pytest.approx(expected)
    other = smoothed[(smoothed["run_id"] == "b") & (smoothed["metric"] == "val_loss")]
    assert other["value"].iloc[0] == pytest.approx(2.0)  # no bleed between runs
    with pytest.raises(ValueError, match="weight"):
        compare.smooth(history, 1.0)


def test_add_elapsed():
    out = compare.add_elapsed(_history())
    b = out[(out["run_id"] == "b") & (out["metric"] == "val_loss")]
    assert b["elapsed_s"].tolist() == [0.0, 8.0, 18.0, 28.0, 38.0]


def test_run_labels_are_unique():
    labels = compare.run_labels(_runs())
    assert len(set(labels.values())) == 5
    assert labels["r0"].startswith("run-0")


def test_replicate_group_labels_leave_out_params_a_run_does_not_have():
    """Runs on two datasets: one dataset's params are missing (NaN) for the other's runs."""
    runs = pd.DataFrame({
        "run_id": ["m0", "m1", "b0", "b1"],
        "params.dataset.name": ["moons", "moons", "blobs", "blobs"],
        "params.dataset.noise": ["0.2", "0.2", None, None],
        "params.dataset.centers": [np.nan, np.nan, "3", "3"],
        "params.training.seed": ["0", "1", "0", "1"],
    })
    groups = compare.replicate_groups(compare.typed_params(runs))
    labels = dict(zip(groups["run_id"], groups["group"], strict=True))
    assert labels["m0"] == labels["m1"] == "dataset=moons, noise=0.2"
    assert labels["b0"] == labels["b1"] == "dataset=blobs, centers=3"
    # When leaving a missing param out would merge two labels, it reads "—".
    twins = pd.DataFrame({"run_id": ["a", "b"], "params.dataset.noise": ["0.2", None],
                          "params.training.seed": ["0", "0"]})
    assert compare.replicate_groups(twins)["group"].tolist() == ["noise=0.2", "noise=—"]
