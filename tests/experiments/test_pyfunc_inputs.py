"""The logged pyfunc model takes ordinary numbers: ints and floats in any numeric column.

Issue 14, item 10: ``gre=700`` with ``gpa=4`` failed ("Can not safely convert int64 to
float64") and ``gre=700.0`` failed the other way, because the signature pinned each
column to the dtype the training data happened to have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from experiments import load_spec, train

CONFIGS = Path(__file__).resolve().parents[2] / "experiments" / "configs"

INTS = {"gre": [700, 300], "gpa": [4, 3], "rank": [1, 4]}
FLOATS = {"gre": [700.0, 300.0], "gpa": [4.0, 3.0], "rank": [1.0, 4.0]}
MIXED = {"gre": [700.0, 300.0], "gpa": [4, 3], "rank": [1, 4]}


@pytest.fixture
def admissions_run(experiment_name):
    spec = load_spec(CONFIGS / "admissions_mlp.toml").with_overrides({"training.epochs": 5})
    return train(spec, experiment=experiment_name)


def test_ints_and_floats_both_predict_through_pyfunc(admissions_run) -> None:
    model = mlflow.pyfunc.load_model(admissions_run.model_uri)
    outs = [model.predict(pd.DataFrame(cols)) for cols in (INTS, FLOATS, MIXED)]
    for out in outs[1:]:
        pd.testing.assert_frame_equal(out, outs[0])
    expected = admissions_run.model.predict_proba(
        admissions_run.dataset.preprocessor.transform(pd.DataFrame(FLOATS)))[:, 0]
    np.testing.assert_allclose(outs[0]["probability_1"], expected, rtol=1e-12)
    # The signature still names the raw columns, in order.
    assert model.metadata.get_input_schema().input_names() == ["gre", "gpa", "rank"]
    # Text in a numeric column is still refused, naming the column.
    with pytest.raises(Exception, match="gre"):
        model.predict(pd.DataFrame({"gre": ["high"], "gpa": [4.0], "rank": [1]}))


@pytest.mark.slow
def test_ints_and_floats_both_predict_through_mlflow_models_predict(admissions_run,
                                                                    tmp_path) -> None:
    rows = [[700, 4, 1], [700.0, 4.0, 1.0], [700.5, 3, 2]]
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"dataframe_split": {"columns": ["gre", "gpa", "rank"],
                                                    "data": rows}}))
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    out = subprocess.run(
        [sys.executable, "-m", "mlflow", "models", "predict", "-m",
         f"runs:/{admissions_run.run_id}/model", "-i", str(path), "-t", "json",
         "--env-manager", "local", "-o", str(tmp_path / "out.json")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    predictions = json.loads((tmp_path / "out.json").read_text())["predictions"]
    assert len(predictions) == 3
    got = [p["probability_1"] for p in predictions]
    frame = pd.DataFrame(rows, columns=["gre", "gpa", "rank"]).astype(float)
    expected = admissions_run.model.predict_proba(
        admissions_run.dataset.preprocessor.transform(frame))[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
