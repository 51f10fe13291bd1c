"""A user's own CSV file: each bad case gets its own clear, one-line message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import DataError
from experiments.csv_loading import CsvLimits, read_table


def _good_rows(n: int = 12) -> list[str]:
    return [f"{i},{i * 1.5 + 0.25},{'yes' if i % 2 else 'no'}" for i in range(n)]


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path, target: str = "label", **kwargs: object) -> str:
    with pytest.raises(DataError) as err:
        read_table(path, target, **kwargs)
    message = str(err.value)
    assert "\n" not in message  # one line
    assert "Traceback" not in message
    return message


def test_a_good_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "n,x,label\n" + "\n".join(_good_rows()) + "\n")
    table = read_table(path, "label")
    assert table.task == "binary"
    assert list(table.features.columns) == ["n", "x"]
    assert table.n_rows == 12
    assert table.categorical == ()


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in _error(tmp_path / "nope.csv")


def test_empty_file(tmp_path: Path) -> None:
    assert _error(_write(tmp_path, "")) == "data.csv is empty"


def test_whitespace_only_file(tmp_path: Path) -> None:
    assert "empty" in _error(_write(tmp_path, "\n\n  \n"))


def test_header_but_no_rows(tmp_path: Path) -> None:
    assert _error(_write(tmp_path, "n,x,label\n")) == "data.csv has a header line but no data rows"


def test_missing_target_column_lists_columns_and_suggests(tmp_path: Path) -> None:
    path = _write(tmp_path, "n,x,Label\n" + "\n".join(_good_rows()) + "\n")
    message = _error(path, "label")
    assert "has no target column 'label'" in message
    assert "its columns are: n, x, Label" in message
    assert "did you mean 'Label'?" in message


def test_non_numeric_junk_in_a_numeric_column(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[6] = "6,oops,no"
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert message == (
        "data.csv: column 'x' is numeric but has 1 non-numeric value(s), first 'oops' on line 8"
    )


def test_missing_values_say_how_many_and_where(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[2] = "2,,no"
    rows[5] = "5,,yes"
    rows[9] = ",9.5,yes"
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert message.startswith("data.csv has 3 missing value(s):")
    assert "'x': 2 on lines 4, 7" in message
    assert "'n': 1 on line 11" in message


def test_constant_column(tmp_path: Path) -> None:
    rows = [f"{i},7,{'yes' if i % 2 else 'no'}" for i in range(12)]
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert "column 'x' has the same value (7) in every row" in message


def test_single_class(tmp_path: Path) -> None:
    rows = [f"{i},{i * 0.5},yes" for i in range(12)]
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert "target 'label' has a single class ('yes'); classification needs at least two" in (
        message
    )


def test_too_few_rows(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(_good_rows(5)) + "\n"))
    assert message == "data.csv has 5 data rows; at least 10 are needed"


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "n,x,label\n" + "\n".join(_good_rows(200)) + "\n")
    message = _error(path, limits=CsvLimits(max_bytes=1024))
    assert message.startswith("data.csv is ") and message.endswith("the limit is 1.0 KB")


def test_too_many_classes(tmp_path: Path) -> None:
    rows = [f"{i},{i * 0.5},{i % 25}" for i in range(100)]
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert "target 'label' has 25 distinct values; at most 20 classes are supported" in message
    assert 'task = "regression"' in message


def test_class_with_one_row_cannot_be_split(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[0] = "0,0.25,maybe"
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert "class 'maybe' of target 'label' has only one row" in message


def test_identifier_like_text_column(tmp_path: Path) -> None:
    rows = [f"person{i},{i * 0.5},{'yes' if i % 2 else 'no'}" for i in range(80)]
    message = _error(_write(tmp_path, "name,x,label\n" + "\n".join(rows) + "\n"))
    assert "text column 'name' has 80 distinct values" in message


def test_only_the_target(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "label\n" + "\n".join("ab"[i % 2] for i in range(12))))
    assert "no feature columns besides the target 'label'" in message


def test_ragged_rows(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[3] = "3,4.75,no,extra,fields"
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert "is not a well-formed CSV file" in message


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x92" * 50)
    message = _error(path)
    assert "data.csv" in message


def test_task_binary_needs_two_classes(tmp_path: Path) -> None:
    rows = [f"{i},{i * 0.5},{'abc'[i % 3]}" for i in range(30)]
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"), task="binary")
    assert "task 'binary' needs exactly 2 classes" in message


def test_regression_target_must_be_numeric(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(_good_rows()) + "\n"),
                     task="regression")
    assert "regression needs numbers" in message


def test_text_columns_become_categories_and_spaces_are_trimmed(tmp_path: Path) -> None:
    rows = [f"{i}, {'red' if i % 3 else 'blue'} ,{'yes' if i % 2 else 'no'}" for i in range(12)]
    table = read_table(_write(tmp_path, "n,colour,label\n" + "\n".join(rows) + "\n"), "label")
    assert table.categorical == ("colour",)
    assert table.categories == {"colour": ["blue", "red"]}


def test_trailing_commas_are_tolerated(tmp_path: Path) -> None:
    rows = [r + "," for r in _good_rows()]
    table = read_table(_write(tmp_path, "n,x,label,\n" + "\n".join(rows) + "\n"), "label")
    assert list(table.features.columns) == ["n", "x"]


def test_auto_task_detection(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=40), "whole": rng.integers(0, 3, 40),
                          "real": rng.normal(size=40)})
    path = tmp_path / "auto.csv"
    frame.to_csv(path, index=False)
    assert read_table(path, "whole").task == "multiclass"
    assert read_table(path, "real").task == "regression"


# --------------------------------------------------------------------------- issue 14


def test_infinite_values_say_how_many_and_where(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[1] = "1,inf,yes"
    rows[7] = "7,-inf,yes"
    message = _error(_write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n"))
    assert message == "data.csv has 2 infinite value(s) (inf or -inf): 'x': 2 on lines 3, 9"


def test_an_infinite_regression_target_is_refused_too(tmp_path: Path) -> None:
    rows = [f"{i},{i % 3},{i * 1.5 + 0.25}" for i in range(12)]
    rows[4] = "4,1,Infinity"
    message = _error(_write(tmp_path, "n,x,y\n" + "\n".join(rows) + "\n"), "y")
    assert message == "data.csv has 1 infinite value(s) (inf or -inf): 'y': 1 on line 6"


def test_an_infinite_value_is_a_data_error_for_the_csv_dataset(tmp_path: Path) -> None:
    from experiments import load_dataset

    rows = _good_rows()
    rows[1] = "1,inf,yes"
    path = _write(tmp_path, "n,x,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"'x': 1 on line 3"):
        load_dataset("csv", path=str(path), target="label")


@pytest.mark.parametrize(("sep", "word"), [(";", "';'"), ("\t", "tabs"), ("|", "'|'")])
def test_a_file_separated_by_something_else_says_so(tmp_path: Path, sep: str, word: str
                                                     ) -> None:
    rows = [r.replace(",", sep) for r in ["n,x,label", *_good_rows()]]
    message = _error(_write(tmp_path, "\n".join(rows) + "\n"))
    assert message.startswith(f"data.csv looks separated by {word}, not by commas: its header")
    assert message.endswith("save it with commas between the columns")


def test_semicolons_with_decimal_commas_mention_the_decimal_point(tmp_path: Path) -> None:
    rows = ["n;x;label", *[f"{i};{i},5;{'yes' if i % 2 else 'no'}" for i in range(12)]]
    message = _error(_write(tmp_path, "\n".join(rows) + "\n"))
    assert message.startswith("data.csv looks separated by ';', not by commas")
    assert message.endswith("save it with commas between the columns and '.' for decimals")
