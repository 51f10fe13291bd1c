"""The MLflow pyfunc model of a trained nncore network.

A logged model holds the weights (``model.npz`` + ``model.json``, written by
:func:`nncore.save`), the fitted preprocessing (``preprocessing.json``) and
code, never pickled objects. The code (``nncore`` and ``experiments``) ships as one
archive, ``code/project.zip``, that ``model_code.py`` puts on ``sys.path`` (Python
imports from a zip file): one upload instead of one per source file, which a tracking
server takes one HTTP request each for. It accepts a DataFrame of the dataset's *raw*
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

__all__ = ["CODE_ARCHIVE", "NNCoreModel", "model_signature", "pip_requirements",
           "predict_frame", "save_pyfunc_model", "write_code_archive"]

_PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_CODE = _PACKAGE_DIR / "model_code.py"
#: The model's code, in its ``code/`` folder (the name ``model_code.py`` looks for).
CODE_ARCHIVE = "project.zip"
_SKIP_DIRS = frozenset({"__pycache__", "data", "configs"})


def _archived_files(packages: list[Path]) -> list[tuple[Path, str]]:
    """The files a code archive of ``packages`` holds: ``(file, name in the archive)``."""
    files = []
    for package in packages:
        for file in sorted(package.rglob("*")):
            rel = file.relative_to(package.parent)
            if (not file.is_file() or file.suffix == ".pyc"
                    or _SKIP_DIRS.intersection(rel.parts[1:-1])):
                continue
            files.append((file, rel.as_posix()))
    return files


#: The last archive built, keyed by its files' names, sizes and modification times: a
#: process that logs run after run (a sweep worker, the dashboard) zips its code once.
_ARCHIVE_CACHE: dict[tuple[tuple[str, int, int], ...], bytes] = {}


def write_code_archive(target: Path, packages: list[Path]) -> Path:
    """Zip the ``packages`` (their ``.py`` files and package data, no caches, datasets or
    configs) into ``target``; the same code gives the same bytes.

    The bytes are built once per process and version of the code (a file edited since
    changes its size or modification time, and the archive is built again).

    Parameters
    ----------
    target : Path
        The ``.zip`` file to write.
    packages : list of Path
        Package folders; each is stored under its own name (``nncore/...``).

    Returns
    -------
    Path
        ``target``.
    """
    import io
    import zipfile

    files = _archived_files(packages)
    key = tuple((name, st.st_size, st.st_mtime_ns)
                for file, name in files for st in (file.stat(),))
    data = _ARCHIVE_CACHE.get(key)
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file, name in files:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, file.read_bytes())
        data = buffer.getvalue()
        _ARCHIVE_CACHE.clear()
        _ARCHIVE_CACHE[key] = data
    Path(target).write_bytes(data)
    return target


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
    import tempfile

    import nncore

    example = input_example[preprocessor.raw_columns].head(5).reset_index(drop=True)
    with tempfile.TemporaryDirectory(prefix="experiments-pyfunc-") as tmp:
        npz_path, json_path = nncore.save(model, Path(tmp) / "model")
        pre_path = Path(tmp) / "preprocessing.json"
        pre_path.write_text(json.dumps(preprocessor.to_dict(), indent=2), encoding="utf-8")
        signature = model_signature(preprocessor, predict_frame(model, preprocessor, example))
        # The code the model runs: nncore and this package, without caches or data.
        archive = write_code_archive(Path(tmp) / CODE_ARCHIVE,
                                     [Path(nncore.__file__).resolve().parent, _PACKAGE_DIR])
        code_paths = [str(archive)]
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
