"""The fitted preprocessing: JSON round trip and clear errors on bad raw input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from experiments import load_dataset
from experiments.preprocessing import (
    NumericColumn,
    OneHotColumn,
    Preprocessor,
    TargetEncoding,
)


def _admissions() -> Preprocessor:
    return load_dataset("student_admissions").preprocessor


def test_json_round_trip_is_exact() -> None:
    pre = _admissions()
    again = Preprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    assert again == pre
    raw = pd.DataFrame({"gre": [800, 400], "gpa": [4.0, 3.0], "rank": [1, 4]})
    np.testing.assert_array_equal(again.transform(raw), pre.transform(raw))
    assert pre.transform(raw).tolist() == [[1.0, 1.0, 1, 0, 0, 0], [0.5, 0.75, 0, 0, 0, 1]]


@given(
    arrays(np.float64, st.integers(1, 30),
           elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    st.floats(-100, 100),
    st.floats(0.01, 100),
)
def test_numeric_column_is_shift_then_scale(values: np.ndarray, shift: float, scale: float
                                            ) -> None:
    pre = Preprocessor((NumericColumn("v", shift, scale),), TargetEncoding("y", "binary", (0, 1)))
    out = pre.transform(pd.DataFrame({"v": values}))
    np.testing.assert_allclose(out[:, 0], (values - shift) / scale)
    assert Preprocessor.from_dict(json.loads(json.dumps(pre.to_dict()))) == pre


def test_extra_columns_are_ignored_and_order_does_not_matter() -> None:
    pre = _admissions()
    a = pre.transform(pd.DataFrame({"rank": [2], "gpa": [3.5], "gre": [600], "name": ["x"]}))
    b = pre.transform({"gre": [600], "gpa": [3.5], "rank": [2]})
    np.testing.assert_array_equal(a, b)


def test_numbers_given_as_text_are_accepted() -> None:
    pre = _admissions()
    a = pre.transform(pd.DataFrame({"gre": ["600"], "gpa": ["3.5"], "rank": ["2"]}))
    b = pre.transform(pd.DataFrame({"gre": [600], "gpa": [3.5], "rank": [2]}))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"gre": [600], "gpa": [3.5]}, "input is missing column(s) 'rank'; expected columns: "
                                       "gre, gpa, rank"),
        ({"gre": [600], "gpa": [3.5], "rank": [7]},
         "column 'rank' has 1 value(s) the model was not trained on (7); allowed: 1, 2, 3, 4"),
        ({"gre": ["lots"], "gpa": [3.5], "rank": [1]},
         "column 'gre' must be numeric but has 1 non-numeric value(s), first 'lots' at row 0"),
        ({"gre": [600, None], "gpa": [3.5, 3.0], "rank": [1, 2]},
         "column 'gre' has 1 missing value(s) at row(s) 1"),
        ({"gre": [np.inf], "gpa": [3.5], "rank": [1]}, "column 'gre' has a non-finite value"),
    ],
)
def test_bad_input_is_reported_clearly(frame: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        _admissions().transform(pd.DataFrame(frame))
    assert message in str(err.value)


def test_text_categories_and_target_labels() -> None:
    frame = pd.DataFrame({"colour": ["red", "blue", "red"], "size": [1.0, 2.0, 3.0]})
    pre = Preprocessor.fit(frame, pd.Series(["b", "a", "b"]), target_name="t",
                           task="binary", categorical=["colour"])
    assert pre.feature_names == ["colour_blue", "colour_red", "size"]
    assert pre.target.labels == ("a", "b")
    np.testing.assert_array_equal(pre.encode_target(["b", "a"]), [1, 0])
    with pytest.raises(ValueError, match="unknown label 'c'"):
        pre.encode_target(["c"])
    assert isinstance(pre.columns[0], OneHotColumn)
    assert pre.raw_dtypes == {"colour": "string", "size": "double"}


def test_regression_target_scaling_round_trips() -> None:
    y = pd.Series([10.0, 20.0, 30.0, 40.0])
    pre = Preprocessor.fit(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}), y, target_name="y",
                           task="regression")
    encoded = pre.encode_target(y)
    assert encoded.mean() == pytest.approx(0.0)
    np.testing.assert_allclose(pre.decode_regression(encoded), y)
