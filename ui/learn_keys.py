"""Widget, session-state and URL keys of the Learn page, in one place.

Widget keys start with ``learn_`` so they never meet the Train page's (whose form reads
the session's keys); session objects start with ``_learn``.
"""

from __future__ import annotations

# --- widgets ---------------------------------------------------------------------------
SOURCE = "learn_source"             # fresh / run / train
RUN = "learn_run"
DATASET = "learn_dataset"
KIND = "learn_kind"                 # network / perceptron (fresh)
HIDDEN = "learn_hidden"
ACTIVATION = "learn_activation"
SEED = "learn_seed"
MODE = "learn_mode"                 # how the sample is chosen
INDEX = "learn_index"
BATCH = "learn_batch"
GRE, GPA, RANK, ADMIT = "learn_gre", "learn_gpa", "learn_rank", "learn_admit"
OPTIMIZER = "learn_optimizer"
LR = "learn_lr"
MOMENTUM = "learn_momentum"
CHECK = "learn_check"               # run the finite-difference check on a big network
NEURON_RES = "learn_neuron_res"
VIEW = "learn_view"                 # the open tab: only its view is built on a rerun
WEIGHTS_OPEN = "learn_weights_open_"  # + layer number: a forward layer's W and b expander
CHANGE_OPEN = "learn_change_open_"    # + layer number: the step's W before → after expander

# --- buttons ---------------------------------------------------------------------------
STEP = "learn_step"
NEXT_SAMPLE = "learn_next_sample"
NEXT_10 = "learn_next_10"
RESET = "learn_reset"
TRICK = "learn_trick"

# --- session objects -------------------------------------------------------------------
LESSON = "_learn_lesson"
SIGNATURE = "_learn_signature"      # what the lesson was built from
RANDOM_ROW = "_learn_random_row"
CHECKS = "_learn_checks"            # cached finite differences
PENDING_NEXT = "_learn_pending_next"  # "Next sample" moved the index: step there
URL_READ = "_learn_url_read"
URL_WRITTEN = "_learn_url_written"  # the query this page last put in the URL

# --- URL -------------------------------------------------------------------------------
Q_SOURCE, Q_RUN, Q_INDEX = "source", "run", "sample"
