"""experiments.formatting: the one duration and one value formatter."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import experiments.formatting
from experiments.formatting import MISSING, format_duration, format_value


def test_docstring_examples() -> None:
    result = doctest.testmod(experiments.formatting)
    assert result.attempted >= 4 and result.failed == 0


@pytest.mark.parametrize(("seconds", "text"), [
    (0.0, "0.0 s"), (9.94, "9.9 s"), (10.0, "10 s"), (89.4, "89 s"), (90.0, "1 min 30 s"),
    (100.0, "1 min 40 s"), (3599.6, "60 min 00 s"), (float("inf"), "?"), (float("nan"), "?"),
])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(("value", "text"), [
    (0.05, "0.05"), (1e-5, "1e-05"), (123456.0, "1.235e+05"), (np.float32(0.25), "0.25"),
    (np.float64(np.nan), MISSING), (float("-inf"), MISSING), (None, MISSING),
    (3, "3"), (np.int64(16), "16"), (True, "True"), ("adam", "adam"),
])
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_format_value_digits() -> None:
    assert format_value(0.0123456, digits=6) == "0.0123456"
    assert format_value(2.0, digits=6) == "2"
