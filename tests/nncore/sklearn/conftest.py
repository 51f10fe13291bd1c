"""Data shared by the scikit-learn estimator tests."""

from __future__ import annotations

import numpy as np
import pytest

from tests.nncore.helpers import admissions as course_admissions


@pytest.fixture(scope="session")
def admissions() -> tuple[np.ndarray, np.ndarray]:
    """The admissions data with the course preprocessing: rank one-hot, gre/800, gpa/4."""
    return course_admissions()
