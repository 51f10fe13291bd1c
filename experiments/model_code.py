"""The MLflow model defined by code (MLflow's "models from code").

MLflow copies this file into every logged model and runs it when the model is
loaded; it only names the model class. The class and its logic live in
:mod:`experiments.pyfunc_model`, shipped with the model through ``code_paths``.
No Python object is ever pickled.
"""

from mlflow.models import set_model

from experiments.pyfunc_model import NNCoreModel

set_model(NNCoreModel())
