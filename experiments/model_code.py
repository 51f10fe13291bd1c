"""The MLflow model defined by code (MLflow's "models from code").

MLflow copies this file into every logged model and runs it when the model is
loaded; it only names the model class. The class and its logic live in
:mod:`experiments.pyfunc_model`, shipped with the model through ``code_paths`` as one
archive, ``code/project.zip``, which this file puts first on ``sys.path`` (models
logged before that shipped ``code/nncore`` and ``code/experiments`` as folders, which
MLflow puts on the path itself). No Python object is ever pickled.
"""

import sys
from pathlib import Path

from mlflow.models import set_model

_ARCHIVE = Path(__file__).resolve().parent / "code" / "project.zip"
if _ARCHIVE.is_file() and str(_ARCHIVE) not in sys.path:
    sys.path.insert(0, str(_ARCHIVE))

from experiments.pyfunc_model import NNCoreModel  # noqa: E402 (the archive goes on the path first)

set_model(NNCoreModel())
