"""How a runs table reads: empty cells as a dash, a sweep's own row named as a sweep.

A sweep's parent run logs only the settings its search does not vary, and runs of
different datasets log different dataset settings, so a runs table has empty cells.
Streamlit draws them as a faded "None" unless ``st.dataframe`` gets a ``placeholder``:
the pages pass :data:`EMPTY` ("—", :data:`experiments.formatting.MISSING`, as the Home
page writes a missing score). Number columns stay number columns (they sort as numbers).
"""

from __future__ import annotations

import pandas as pd

from experiments.formatting import MISSING

__all__ = ["EMPTY", "sweep_architecture"]

#: What an empty cell of a runs table reads (``st.dataframe(..., placeholder=EMPTY)``).
EMPTY = MISSING


def sweep_architecture(trials_done: object) -> str:
    """What a sweep's parent row says in the architecture column (as on the Home page):
    ``"sweep of N trials"``, N its ``trials_done`` metric (0 before its first trial).

    >>> sweep_architecture(3.0), sweep_architecture(None), sweep_architecture(float("nan"))
    ('sweep of 3 trials', 'sweep of 0 trials', 'sweep of 0 trials')
    """
    n = int(trials_done) if trials_done is not None and pd.notna(trials_done) else 0
    return f"sweep of {n} trials"
