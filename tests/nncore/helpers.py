"""Small builders shared by the nncore tests."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

import nncore

ADMISSIONS_CSV = Path(__file__).resolve().parents[2] / "experiments" / "data" / "student_admissions.csv"

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([0, 1, 1, 0])


def mlp(sizes: list[int], hidden: str, output: str, seed: int = 0, dtype: str | None = None,
        ) -> nncore.Sequential:
    """A network with the given layer sizes, one hidden activation and an output activation."""
    layers = [nncore.Dense(a, b, hidden) for a, b in itertools.pairwise(sizes[:-1])]
    layers.append(nncore.Dense(sizes[-2], sizes[-1], output))
    return nncore.Sequential(layers, seed=seed, dtype=dtype)


def admissions() -> tuple[np.ndarray, np.ndarray]:
    """The course's preprocessing: gre/800, gpa/4.0, rank one-hot; y = admit."""
    raw = np.loadtxt(ADMISSIONS_CSV, delimiter=",", skiprows=1)
    admit, gre, gpa, rank = raw.T
    X = np.column_stack([gre / 800, gpa / 4.0, np.eye(4)[rank.astype(int) - 1]])
    return X, admit.astype(int)
