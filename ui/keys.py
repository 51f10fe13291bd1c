"""Session-state and widget keys, in one place.

Widget keys are what the URL round trip and the tests address
(``at.number_input(key=EPOCHS)``); session keys hold objects that live across
reruns (the training job, the last outcome).
"""

from __future__ import annotations

# --- Train page ----------------------------------------------------------------------
# A widget that shows one setting of the table (experiments.settings) has the setting's
# dotted name as its key; the page's own composite widgets have short names.
DATASET = "dataset.name"
TEST_SIZE = "dataset.test_size"
DATA_SEED = "dataset.seed"
CSV_FILE = "csv_file"
MODEL_KIND = "model_kind"            # network / linear / perceptron: type + hidden
N_LAYERS = "n_layers"
OUTPUT = "model.output_activation"
INIT = "model.init"
LOSS = "training.loss"
OPTIMIZER = "training.optimizer"
LEARNING_RATE = "training.learning_rate"
MOMENTUM = "training.momentum"
BATCH_SIZE = "training.batch_size"
EPOCHS = "training.epochs"
L2 = "training.l2"
PATIENCE = "training.patience"
SEED = "training.seed"
EXPERIMENT = "name"
EARLY_STOPPING = "early_stopping"    # on: training.patience is set
JOB_PARAM = "job"                    # URL: the running job this page watches (reload)


# --- buttons -------------------------------------------------------------------------
TRAIN = "train"
STOP = "stop"
LOWER_LR = "lower_lr"

# --- session objects (not widgets) ---------------------------------------------------
JOB = "_training_job"
OUTCOME = "_training_outcome"
SAVED_FORM = "_train_form"
URL_ERRORS = "_url_errors"
NOTICE = "_notice"


def unset(setting: str) -> str:
    """Key of the checkbox that unsets an optional number (``full`` batch size)."""
    return f"unset:{setting}"


FULL_BATCH = unset(BATCH_SIZE)


def dataset_param(dataset: str, name: str) -> str:
    """Widget key of one of a dataset's own parameters (``ds.moons.noise``)."""
    return f"ds.{dataset}.{name}"


def units(layer: int) -> str:
    """Widget key of the units of hidden layer ``layer`` (from 0)."""
    return f"units.{layer}"


def activation(layer: int) -> str:
    """Widget key of the activation of hidden layer ``layer`` (from 0)."""
    return f"activation.{layer}"
