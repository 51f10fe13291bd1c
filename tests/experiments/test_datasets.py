"""The dataset registry: shapes, stratified seeded splits, preprocessing fitted on train only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import DataError, SpecError, dataset_names, get_dataset_info, load_dataset
from experiments.datasets import stratified_split

BUILT_IN = [n for n in dataset_names() if n != "csv"]


def test_registry_lists_every_issue_dataset() -> None:
    assert set(dataset_names()) >= {
        "student_admissions", "blobs", "moons", "circles", "xor", "spiral", "csv",
    }
    for name in dataset_names():
        info = get_dataset_info(name)
        assert info.description and "\n" not in info.description
        assert info.source


@pytest.mark.parametrize("name", BUILT_IN)
def test_shapes_and_types(name: str) -> None:
    ds = load_dataset(name, seed=3)
    n_train, n_val = len(ds.y_train), len(ds.y_val)
    assert ds.X_train.shape == (n_train, len(ds.feature_names))
    assert ds.X_val.shape == (n_val, len(ds.feature_names))
    assert ds.X_train.dtype == np.float64
    assert np.isfinite(ds.X_train).all() and np.isfinite(ds.X_val).all()
    assert ds.y_train.dtype == np.int64
    assert set(np.unique(ds.y_train)) == set(range(ds.n_classes))
    assert abs(n_val / (n_train + n_val) - 0.2) < 0.02
    assert list(ds.raw_train.columns) == ds.raw_feature_names
    assert len(ds.raw_train) == n_train and len(ds.raw_val) == n_val
    # The raw frames and the arrays describe the same rows.
    np.testing.assert_allclose(ds.preprocessor.transform(ds.raw_val), ds.X_val)
    assert ds.task in ("binary", "multiclass")


@pytest.mark.parametrize("name", BUILT_IN)
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    a, b, c = load_dataset(name, seed=1), load_dataset(name, seed=1), load_dataset(name, seed=2)
    for part in ("X_train", "y_train", "X_val", "y_val"):
        np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
    assert not np.array_equal(a.X_train, c.X_train) or not np.array_equal(a.X_val, c.X_val)


@pytest.mark.parametrize("name", BUILT_IN)
@pytest.mark.parametrize("test_size", [0.1, 0.25, 0.5])
def test_split_is_stratified(name: str, test_size: float) -> None:
    ds = load_dataset(name, test_size=test_size, seed=0)
    y = np.concatenate([ds.y_train, ds.y_val])
    for k in range(ds.n_classes):
        expected = (y == k).sum() * test_size
        assert abs((ds.y_val == k).sum() - expected) <= 1.0, (name, k)


def test_stratified_split_keeps_every_class_on_both_sides() -> None:
    y = np.array([0] * 50 + [1] * 3 + [2] * 2)
    train, val = stratified_split(y, 0.2, seed=0)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(y)))
    for k in range(3):
        assert (y[train] == k).any() and (y[val] == k).any()


def test_admissions_course_scaling_and_one_hot_rank() -> None:
    ds = load_dataset("student_admissions", scaling="course")
    assert ds.feature_names == ("gre", "gpa", "rank_1", "rank_2", "rank_3", "rank_4")
    assert ds.raw_feature_names == ["gre", "gpa", "rank"]
    raw = ds.raw_train
    np.testing.assert_allclose(ds.X_train[:, 0], raw["gre"] / 800)
    np.testing.assert_allclose(ds.X_train[:, 1], raw["gpa"] / 4.0)
    one_hot = ds.X_train[:, 2:]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)
    np.testing.assert_array_equal(one_hot.argmax(axis=1) + 1, raw["rank"])
    assert ds.class_names == ("not admitted", "admitted")
    assert len(ds.y_train) + len(ds.y_val) == 400
    # Majority class share of the whole file, as the lesson says.
    y = np.concatenate([ds.y_train, ds.y_val])
    assert (y == 0).mean() == pytest.approx(0.6825)


def test_admissions_standardisation_is_fitted_on_the_training_split_only() -> None:
    ds = load_dataset("student_admissions", scaling="standardize", seed=4)
    np.testing.assert_allclose(ds.X_train[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train[:, :2].std(axis=0), 1.0, rtol=1e-12)
    # The validation split is transformed with the training statistics, not its own.
    assert np.abs(ds.X_val[:, :2].mean(axis=0)).max() > 1e-6
    col = ds.preprocessor.columns[0]
    assert col.shift == pytest.approx(ds.raw_train["gre"].mean())


def test_blobs_task_follows_centres_and_features() -> None:
    two = load_dataset("blobs", centers=2)
    assert two.task == "binary" and two.n_outputs == 1
    four = load_dataset("blobs", centers=4, n_features=5, n_samples=120)
    assert four.task == "multiclass" and four.n_outputs == 4
    assert four.X_train.shape[1] == 5 and not four.is_2d


def test_spiral_arms_are_classes_and_noise_changes_points() -> None:
    three = load_dataset("spiral", classes=3, n_samples=150)
    assert three.task == "multiclass" and three.n_classes == 3
    quiet = load_dataset("spiral", noise=0.0, seed=0)
    noisy = load_dataset("spiral", noise=0.3, seed=0)
    assert not np.allclose(quiet.X_train, noisy.X_train)


def test_xor_labels_follow_the_quadrants_without_noise() -> None:
    ds = load_dataset("xor", noise=0.0, n_samples=100)
    x1, x2 = ds.X_train[:, 0], ds.X_train[:, 1]
    np.testing.assert_array_equal(ds.y_train, ((x1 > 0) != (x2 > 0)).astype(int))


def test_two_dimensional_sets_have_plain_coordinates() -> None:
    for name in ("moons", "circles", "xor", "spiral"):
        ds = load_dataset(name)
        assert ds.is_2d and get_dataset_info(name).two_dimensional
        np.testing.assert_array_equal(ds.X_train, ds.raw_train.to_numpy())


def test_frame_is_tidy() -> None:
    ds = load_dataset("moons", n_samples=50)
    frame = ds.frame()
    assert list(frame.columns) == ["x1", "x2", "y", "label", "split"]
    assert len(frame) == 50
    assert set(frame["split"]) == {"train", "validation"}
    assert set(frame["label"]) == set(ds.class_names)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "moon"}, "unknown dataset (did you mean 'moons'?)"),
        ({"name": "moons", "noise": -1.0}, "dataset.noise = -1.0: must be a finite number in [0, 2]"),
        ({"name": "moons", "n_samples": 10}, "dataset.n_samples = 10: must be a whole number in [20, 100000]"),
        ({"name": "moons", "n_samples": 2.5}, "must be a whole number"),
        ({"name": "moons", "wobble": 1}, "'moons' has no parameter 'wobble'; its parameters"),
        ({"name": "moons", "test_size": 0.95}, "dataset.test_size = 0.95: must be a finite number in [0.05, 0.9]"),
        ({"name": "student_admissions", "scaling": "minmax"}, "allowed values are 'course'"),
        ({"name": "csv"}, "dataset.path is required"),
    ],
)
def test_bad_parameters_name_field_value_and_allowed(kwargs: dict, message: str) -> None:
    name = kwargs.pop("name")
    with pytest.raises(SpecError, match=None) as err:
        load_dataset(name, **kwargs)
    assert message in str(err.value)


def test_csv_dataset_one_hot_encodes_text_and_keeps_raw_columns(tmp_path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "size": rng.normal(10, 2, 60),
        "colour": rng.choice(["red", "green"], 60),
        "kind": rng.choice(["a", "b", "c"], 60),
    })
    frame.to_csv(tmp_path / "things.csv", index=False)
    ds = load_dataset("csv", path=str(tmp_path / "things.csv"), target="kind", seed=0)
    assert ds.task == "multiclass"
    assert ds.feature_names == ("size", "colour_green", "colour_red")
    assert ds.class_names == ("a", "b", "c")
    assert ds.raw_feature_names == ["size", "colour"]
    assert ds.source.endswith("things.csv")
    np.testing.assert_allclose(ds.X_train[:, 0].mean(), 0.0, atol=1e-12)


def test_csv_dataset_regression_scales_the_target(regression_csv) -> None:
    ds = load_dataset("csv", path=str(regression_csv), target="y")
    assert ds.task == "regression" and ds.class_names == () and ds.n_outputs == 1
    assert ds.y_train.dtype == np.float64
    assert abs(ds.y_train.mean()) < 1e-9
    raw = ds.frame()["y"]
    assert raw.std() > 5  # back in the target's units


def test_csv_dataset_reports_bad_file_as_data_error(tmp_path) -> None:
    (tmp_path / "one.csv").write_text("a,b\n1,0\n2,0\n3,0\n4,0\n5,0\n6,0\n7,0\n8,0\n9,0\n10,0\n")
    with pytest.raises(DataError, match="single class"):
        load_dataset("csv", path=str(tmp_path / "one.csv"), target="b")
