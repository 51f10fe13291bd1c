"""The MLflow pyfunc model of a trained nncore network.

A logged model holds the weights (``model.npz`` + ``model.json``, written by
:func:`nncore.save`), the fitted preprocessing (``preprocessing.json``) and
code, never pickled objects. It accepts a DataFrame of the dataset's *raw*
columns (for student admissions: ``gre``, ``gpa``, ``rank``), applies the
training preprocessing and returns a DataFrame:

* classification: ``prediction`` (the original label) and one
  ``probability_<label>`` column per class (a perceptron gives no probabilities);
* regression: ``prediction`` in the target's units.

>>> import mlflow, pandas as pd                                    # doctest: +SKIP
>>> model = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")      # doctest: +SKIP
>>> model.predict(pd.DataFrame({"gre": [700], "gpa": [3.7], "rank": [1]}))  # doctest: +SKIP
   prediction  probability_0  probability_1
0           1           0.38           0.62
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from experiments._quiet import quiet_mlflow_hints
from experiments.prediction import predict_frame
from experiments.preprocessing import Preprocessor

__all__ = ["NNCoreModel", "model_signature", "pip_requirements", "predict_frame",
           "save_pyfunc_model"]

_PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_CODE = _PACKAGE_DIR / "model_code.py"


class NNCoreModel(mlflow.pyfunc.PythonModel):
    """Pyfunc wrapper: loads the ``.npz``/``.json`` weights and the preprocessing JSON."""

    def load_context(self, context: Any) -> None:
        import nncore

        self.model = nncore.load(context.artifacts["weights"])
        text = Path(context.artifacts["preprocessing"]).read_text(encoding="utf-8")
        self.preprocessor = Preprocessor.from_dict(json.loads(text))

    # A DataFrame hint: MLflow derives no schema from it (the saved signature
    # describes the raw columns) and hands the input over as a DataFrame.
    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Predict from a DataFrame (or dict / list of rows) of raw feature columns."""
        return predict_frame(self.model, self.preprocessor, model_input)


def pip_requirements() -> list[str]:
    """Explicit requirements of the served model (its code ships with it)."""
    import mlflow

    return [
        f"mlflow=={mlflow.__version__}",
        f"numpy=={np.__version__}",
        f"pandas=={pd.__version__}",
    ]


def model_signature(preprocessor: Preprocessor, example_output: pd.DataFrame) -> Any:
    """Input schema from the raw columns, output schema from an example prediction.

    A text column is a ``string``. A numeric column accepts any number: its type is
    MLflow's ``Any``, and the model's own preprocessing turns it into float64 (naming
    the column for a value that is not a number). A fixed ``long`` or ``double`` would
    make MLflow refuse ``gpa=4`` (int64 to double is "not safe") or ``gre=700.0``, and
    make ``mlflow models predict`` truncate ``gre=700.5`` to 700 without a word.
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema
    from mlflow.types.schema import AnyType

    inputs = Schema([
        ColSpec("string" if preprocessor.raw_dtypes.get(name) == "string" else AnyType(), name)
        for name in preprocessor.raw_columns
    ])
    out_cols = []
    for name in example_output.columns:
        col = example_output[name]
        if pd.api.types.is_integer_dtype(col.dtype):
            kind = "long"
        elif pd.api.types.is_float_dtype(col.dtype):
            kind = "double"
        else:
            kind = "string"
        out_cols.append(ColSpec(kind, str(name)))
    return ModelSignature(inputs=inputs, outputs=Schema(out_cols))


def save_pyfunc_model(
    path: str | Path,
    *,
    model: Any,
    preprocessor: Preprocessor,
    input_example: pd.DataFrame,
    mlflow_model: Any = None,
) -> None:
    """Save a trained nncore model as an MLflow pyfunc model folder.

    Parameters
    ----------
    path : str or Path
        Folder to create (must not exist or be empty).
    model : nncore.Sequential or nncore.Perceptron
        The trained model.
    preprocessor : Preprocessor
        Its fitted preprocessing.
    input_example : DataFrame
        A few rows of raw feature columns (stored with the model).
    mlflow_model : mlflow.models.Model, optional
        Metadata holder (run id, model id) when logging to a tracking store.
    """
    import shutil
    import tempfile

    import nncore

    example = input_example[preprocessor.raw_columns].head(5).reset_index(drop=True)
    with tempfile.TemporaryDirectory(prefix="experiments-pyfunc-") as tmp:
        npz_path, json_path = nncore.save(model, Path(tmp) / "model")
        pre_path = Path(tmp) / "preprocessing.json"
        pre_path.write_text(json.dumps(preprocessor.to_dict(), indent=2), encoding="utf-8")
        signature = model_signature(preprocessor, predict_frame(model, preprocessor, example))
        # The code the model runs: nncore and this package, without caches or data.
        code = Path(tmp) / "code"
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", "data", "configs")
        code_paths = []
        for package in (Path(nncore.__file__).resolve().parent, _PACKAGE_DIR):
            shutil.copytree(package, code / package.name, ignore=skip)
            code_paths.append(str(code / package.name))
        with quiet_mlflow_hints():
            mlflow.pyfunc.save_model(
                path=str(path),
                python_model=str(MODEL_CODE),
                artifacts={
                    "weights": str(npz_path),
                    "weights_config": str(json_path),
                    "preprocessing": str(pre_path),
                },
                code_paths=code_paths,
                pip_requirements=pip_requirements(),
                signature=signature,
                input_example=example,
                mlflow_model=mlflow_model,
            )
