"""The MLflow model defined by code (MLflow's "models from code").

MLflow copies this file into every logged model and runs it when the model is
loaded; it only names the model class. The class and its logic live in
:mod:`experiments.pyfunc_model`, shipped with the model through ``code_paths`` as one
archive, ``code/project.zip``, which this file puts first on ``sys.path`` while it
imports them (models logged before that shipped ``code/nncore`` and ``code/experiments``
as folders, which MLflow puts on the path itself). No Python object is ever pickled.
"""

import sys
from pathlib import Path

from mlflow.models import set_model

_ARCHIVE = str(Path(__file__).resolve().parent / "code" / "project.zip")
# On the path only while the packages are imported: they keep their own ``__path__``
# inside the archive for later imports, and nothing else (a process spawned later, which
# inherits ``sys.path``) imports from a model's temporary folder.
_ADDED = Path(_ARCHIVE).is_file() and _ARCHIVE not in sys.path
if _ADDED:
    sys.path.insert(0, _ARCHIVE)
try:
    import nncore  # noqa: F401  (imported here, from the archive, not later from elsewhere)
    from experiments.pyfunc_model import NNCoreModel
finally:
    if _ADDED:
        sys.path.remove(_ARCHIVE)

set_model(NNCoreModel())
