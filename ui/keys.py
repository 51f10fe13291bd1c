"""Session-state and widget keys, in one place.

Widget keys are what the URL round trip and the tests address
(``at.number_input(key=EPOCHS)``); session keys hold objects that live across
reruns (the training job, the last outcome).
"""

from __future__ import annotations

# --- Train page: dataset -------------------------------------------------------------
DATASET = "dataset"
TEST_SIZE = "test_size"
DATA_SEED = "data_seed"
CSV_FILE = "csv_file"

# --- Train page: model ---------------------------------------------------------------
MODEL_KIND = "model_kind"
N_LAYERS = "n_layers"
OUTPUT = "output_activation"
LOSS = "loss"

# --- Train page: training ------------------------------------------------------------
OPTIMIZER = "optimizer"
LEARNING_RATE = "learning_rate"
MOMENTUM = "momentum"
BATCH_SIZE = "batch_size"
FULL_BATCH = "full_batch"
EPOCHS = "epochs"
L2 = "l2"
INIT = "init"
EARLY_STOPPING = "early_stopping"
PATIENCE = "patience"
SEED = "seed"
EXPERIMENT = "experiment"

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


def dataset_param(dataset: str, name: str) -> str:
    """Widget key of one of a dataset's own parameters (``ds.moons.noise``)."""
    return f"ds.{dataset}.{name}"


def units(layer: int) -> str:
    """Widget key of the units of hidden layer ``layer`` (from 0)."""
    return f"units.{layer}"


def activation(layer: int) -> str:
    """Widget key of the activation of hidden layer ``layer`` (from 0)."""
    return f"activation.{layer}"
