"""Data shared by the scikit-learn estimator tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ADMISSIONS_CSV = (
    Path(__file__).resolve().parents[2] / "experiments" / "data" / "student_admissions.csv"
)


@pytest.fixture(scope="session")
def admissions() -> tuple[np.ndarray, np.ndarray]:
    """The admissions data with the course preprocessing: rank one-hot, gre/800, gpa/4."""
    data = pd.read_csv(ADMISSIONS_CSV)
    X = pd.concat(
        [data[["gre", "gpa"]], pd.get_dummies(data["rank"], prefix="rank", dtype=float)],
        axis=1,
    )
    X["gre"] = X["gre"] / 800.0
    X["gpa"] = X["gpa"] / 4.0
    return X.to_numpy(dtype=float), data["admit"].to_numpy()
