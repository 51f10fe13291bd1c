"""A registry of named datasets.

Each dataset is a function of its own parameters and a seed. :func:`load_dataset`
builds the raw table, splits it (stratified for classification, seeded), fits the
preprocessing on the training split only and returns a :class:`Dataset`.

>>> from experiments.datasets import load_dataset
>>> ds = load_dataset("moons", n_samples=100, noise=0.1, seed=1)
>>> ds.X_train.shape, ds.task
((80, 2), 'binary')
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

import nncore
from experiments.csv_loading import read_table
from experiments.errors import DataError, SpecError
from experiments.preprocessing import Category, Preprocessor
from experiments.settings import SETTINGS, Setting

__all__ = [
    "Dataset",
    "DatasetInfo",
    "RawData",
    "dataset_names",
    "dataset_param",
    "get_dataset_info",
    "list_datasets",
    "load_dataset",
    "register_dataset",
    "stratified_split",
]

Task = Literal["binary", "multiclass", "regression"]

# --------------------------------------------------------------------------- parameters


def dataset_param(
    name: str,
    default: Any,
    kind: type,
    help: str = "",
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[Any, ...] | None = None,
    required: bool = False,
) -> Setting:
    """One parameter of a dataset builder, as a row of the settings table.

    The row's key is ``dataset.<name>``; forms, ``--set``, URLs and validation treat
    it like every other setting (:mod:`experiments.settings`).

    Parameters
    ----------
    name : str
        Keyword name (also the key in ``[dataset]`` of a config file).
    default : int, float, str or bool, optional
        Default value; ``None`` only for required parameters.
    kind : type
        ``int``, ``float``, ``str`` or ``bool``.
    help : str
        One line for a tooltip.
    low, high : float, optional
        Inclusive bounds for numbers.
    choices : tuple, optional
        Allowed values.
    required : bool
        No default; must be given (e.g. the CSV path).

    Returns
    -------
    Setting
    """
    setting_kind = "choice" if choices is not None else {
        int: "int", float: "float", bool: "bool"}.get(kind, "text")
    bounds = None
    if setting_kind in ("int", "float") and (low is not None or high is not None):
        bounds = nncore.Interval(low, high, "both", integer=setting_kind == "int")
    return Setting(f"dataset.{name}", setting_kind, None if required else default,
                   name.replace("_", " ").capitalize(), help, bounds=bounds, choices=choices,
                   step=1 if setting_kind == "int" else 0.05, required=required)


@dataclass(frozen=True)
class RawData:
    """What a dataset builder returns: a raw table and how to encode it.

    Attributes
    ----------
    features : DataFrame
        Raw feature columns.
    target : Series or array
        Raw target values.
    task : str
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    target_name : str
        Name of the target column.
    class_names : tuple of str
        Readable class names in class-index order (empty for regression).
    labels : tuple, optional
        Raw target values in class-index order (default: sorted unique values).
    categorical : tuple of str
        Columns to one-hot encode.
    categories : mapping
        Known categories of categorical columns.
    scaling : {"standardize", "none"}
        How numeric columns are scaled (fitted on the training split).
    fixed_scales : mapping
        Numeric columns divided by a fixed constant instead.
    source : str, optional
        Overrides the registered source (e.g. the user's file path).
    """

    features: pd.DataFrame
    target: pd.Series | np.ndarray
    task: Task
    target_name: str = "y"
    class_names: tuple[str, ...] = ()
    labels: tuple[Category, ...] | None = None
    categorical: tuple[str, ...] = ()
    categories: Mapping[str, tuple[Category, ...]] = field(default_factory=dict)
    scaling: Literal["standardize", "none"] = "none"
    fixed_scales: Mapping[str, float] = field(default_factory=dict)
    source: str | None = None


Builder = Callable[..., RawData]


@dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset: name, one-line description, source and parameters."""

    name: str
    description: str
    source: str
    params: tuple[Setting, ...]
    builder: Builder = field(repr=False)
    task: str | None = None
    two_dimensional: bool = False
    #: For a dataset whose dimension is a parameter (blobs' ``n_features``): whether
    #: these (complete) parameters give two plain coordinates.
    two_dimensional_when: Callable[[Mapping[str, Any]], bool] | None = field(
        default=None, repr=False)

    def is_plane(self, params: Mapping[str, Any] | None = None) -> bool:
        """Whether a run with these dataset parameters has two plain coordinates.

        ``two_dimensional`` says it for every run of the dataset; otherwise
        ``two_dimensional_when`` decides from the parameters (missing ones take their
        defaults). Parameters it cannot read count as 2-D: look for a boundary anyway.

        >>> get_dataset_info("blobs").is_plane({"n_features": 3})
        False
        >>> get_dataset_info("blobs").is_plane({"n_features": "2"})
        True
        """
        if self.two_dimensional or self.two_dimensional_when is None:
            return self.two_dimensional
        given = {k: v for k, v in (params or {}).items() if not _is_missing(v)}
        try:
            return bool(self.two_dimensional_when({**self.defaults, **given}))
        except (TypeError, ValueError, KeyError):
            return True

    def param(self, name: str) -> Setting:
        """The parameter called ``name``; SpecError listing the allowed ones otherwise."""
        for p in self.params:
            if p.name == name:
                return p
        allowed = ", ".join(p.name for p in self.params) or "none"
        raise SpecError(
            f"dataset.{name}: {self.name!r} has no parameter {name!r}; its parameters are: "
            f"{allowed} (plus test_size and seed)"
        )

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if not p.required}

    def check_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and complete ``params`` with defaults (raises SpecError)."""
        out: dict[str, Any] = {}
        for key, value in params.items():
            out[key] = self.param(key).validate(value)
        for p in self.params:
            if p.name not in out:
                if p.required:
                    raise SpecError(f"dataset.{p.name} is required for dataset {self.name!r}")
                out[p.name] = p.default
        return {p.name: out[p.name] for p in self.params}


_REGISTRY: dict[str, DatasetInfo] = {}


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def register_dataset(
    name: str,
    *,
    description: str,
    source: str,
    params: tuple[Setting, ...] = (),
    task: str | None = None,
    two_dimensional: bool = False,
    two_dimensional_when: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Callable[[Builder], Builder]:
    """Decorator registering a builder ``f(rng, seed, **params) -> RawData``.

    ``two_dimensional``: every run has two plain coordinates (a plane to draw);
    ``two_dimensional_when(params)``: only runs whose parameters say so.
    """

    def decorate(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"dataset {name!r} is already registered")
        _REGISTRY[name] = DatasetInfo(
            name, description, source, params, builder, task, two_dimensional,
            two_dimensional_when,
        )
        return builder

    return decorate


def dataset_names() -> list[str]:
    """Names of the registered datasets, in registration order."""
    return list(_REGISTRY)


def list_datasets() -> list[DatasetInfo]:
    """The registered datasets, in registration order."""
    return list(_REGISTRY.values())


def get_dataset_info(name: str) -> DatasetInfo:
    """The registered dataset ``name``; SpecError listing the known names otherwise."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SpecError(
            f"dataset.name = {name!r}: unknown dataset{hint}; known: {', '.join(_REGISTRY)}"
        ) from None


# --------------------------------------------------------------------------- the dataset


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/validation arrays plus everything needed to describe and reuse them.

    Attributes
    ----------
    name : str
        Registry name.
    X_train, X_val : ndarray, shape (n, n_features), float64
        Model features (already preprocessed).
    y_train, y_val : ndarray, shape (n,)
        Class indices (int64) for classification, scaled targets (float64) for
        regression.
    feature_names : tuple of str
        Model feature names (after one-hot encoding).
    class_names : tuple of str
        Readable class names by class index (empty for regression).
    task : {"binary", "multiclass", "regression"}
        The kind of problem.
    description, source : str
        One line each.
    preprocessor : Preprocessor
        Fitted on the training split; maps raw columns to features.
    raw_train, raw_val : DataFrame
        The raw feature columns of each split (what a saved model accepts).
    params : dict
        The parameters it was built with, including ``test_size`` and ``seed``.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    task: Task
    description: str
    source: str
    preprocessor: Preprocessor
    raw_train: pd.DataFrame = field(repr=False)
    raw_val: pd.DataFrame = field(repr=False)
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Output units a network needs: 1 for binary and regression, K for K classes."""
        return self.n_classes if self.task == "multiclass" else 1

    @property
    def raw_feature_names(self) -> list[str]:
        return self.preprocessor.raw_columns

    @property
    def is_2d(self) -> bool:
        """True when there are exactly two numeric raw features (a plane to draw)."""
        return len(self.raw_feature_names) == 2 and self.n_features == 2

    @property
    def target_name(self) -> str:
        return self.preprocessor.target.name

    def frame(self) -> pd.DataFrame:
        """A tidy table: raw features, the target (raw values), ``split`` and ``label``.

        ``label`` is the readable class name (classification) for plotting.
        """
        parts = []
        for split, raw, y in (
            ("train", self.raw_train, self.y_train),
            ("validation", self.raw_val, self.y_val),
        ):
            part = raw.reset_index(drop=True).copy()
            part[self.target_name] = self._raw_target(y)
            if self.task != "regression":
                part["label"] = [self.class_names[int(i)] for i in y]
            part["split"] = split
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def _raw_target(self, y: np.ndarray) -> np.ndarray:
        if self.task == "regression":
            return self.preprocessor.decode_regression(y)
        labels = np.asarray(self.preprocessor.target.labels, dtype=object)
        values = labels[np.asarray(y, dtype=np.int64)]
        if all(isinstance(v, int) for v in labels):
            return values.astype(np.int64)
        return values

    def summary(self) -> str:
        """One line: name, sizes, task."""
        classes = f", {self.n_classes} classes" if self.task != "regression" else ""
        return (
            f"{self.name}: {len(self.y_train)} train / {len(self.y_val)} validation rows, "
            f"{self.n_features} features, {self.task}{classes}"
        )


# --------------------------------------------------------------------------- splitting


def stratified_split(
    y: np.ndarray, test_size: float, seed: int, *, stratify: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (stratified) split into train and validation row indices.

    Each class keeps its share in both parts (to within one row); every class with
    at least two rows has at least one row on each side. Both index arrays are
    sorted.

    Parameters
    ----------
    y : ndarray
        Labels (anything hashable) or, with ``stratify=False``, any array of length n.
    test_size : float
        Fraction of rows for validation, in (0, 1).
    seed : int
        Seed of the shuffle.
    stratify : bool
        False for regression targets.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    if not stratify:
        order = rng.permutation(n)
        n_val = min(max(1, round(n * test_size)), n - 1)
        return np.sort(order[n_val:]), np.sort(order[:n_val])
    _, codes = np.unique(np.asarray(y), return_inverse=True)
    val_parts = []
    train_parts = []
    for c in range(codes.max() + 1):
        idx = rng.permutation(np.flatnonzero(codes == c))
        k = round(len(idx) * test_size)
        if len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        val_parts.append(idx[:k])
        train_parts.append(idx[k:])
    return np.sort(np.concatenate(train_parts)), np.sort(np.concatenate(val_parts))


def load_dataset(name: str, *, test_size: float = 0.2, seed: int = 0, **params: Any) -> Dataset:
    """Build a registered dataset and split it.

    Parameters
    ----------
    name : str
        Registry name (see :func:`dataset_names`).
    test_size : float
        Validation fraction, 0.05 to 0.9.
    seed : int
        Seeds both the data generation (synthetic sets) and the split.
    **params
        The dataset's own parameters (see ``get_dataset_info(name).params``).

    Returns
    -------
    Dataset

    Raises
    ------
    SpecError
        Unknown dataset or invalid parameter.
    DataError
        The data itself is unusable (e.g. a bad CSV file).
    """
    info = get_dataset_info(name)
    test_size = SETTINGS["dataset.test_size"].validate(test_size)
    seed = SETTINGS["dataset.seed"].validate(seed)
    checked = info.check_params(params)
    raw = info.builder(np.random.default_rng(seed), int(seed), **checked)

    y_raw = pd.Series(np.asarray(raw.target)).reset_index(drop=True)
    features = raw.features.reset_index(drop=True)
    train_idx, val_idx = stratified_split(
        y_raw.to_numpy(), float(test_size), int(seed), stratify=raw.task != "regression"
    )
    if len(val_idx) == 0 or len(train_idx) == 0:
        raise DataError(
            f"dataset {name!r}: test_size={test_size} leaves an empty split "
            f"({len(train_idx)} train / {len(val_idx)} validation rows)"
        )
    raw_train = features.iloc[train_idx].reset_index(drop=True)
    raw_val = features.iloc[val_idx].reset_index(drop=True)
    pre = Preprocessor.fit(
        raw_train,
        y_raw.iloc[train_idx],
        target_name=raw.target_name,
        task=raw.task,
        scaling=raw.scaling,
        categorical=raw.categorical,
        categories=raw.categories,
        fixed_scales=raw.fixed_scales,
        labels=raw.labels if raw.labels is not None else _sorted_labels(y_raw, raw.task),
    )
    try:
        X_train = pre.transform(raw_train)
        X_val = pre.transform(raw_val)
        y_train = pre.encode_target(y_raw.iloc[train_idx])
        y_val = pre.encode_target(y_raw.iloc[val_idx])
    except ValueError as e:  # pragma: no cover - builders are checked; defensive
        raise DataError(f"dataset {name!r}: {e}") from None
    if raw.task == "regression":
        class_names: tuple[str, ...] = ()
    else:
        class_names = raw.class_names or tuple(str(v) for v in pre.target.labels)
    return Dataset(
        name=name,
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        feature_names=tuple(pre.feature_names),
        class_names=class_names,
        task=raw.task,
        description=info.description,
        source=raw.source or info.source,
        preprocessor=pre,
        raw_train=raw_train,
        raw_val=raw_val,
        params={"test_size": float(test_size), "seed": int(seed), **checked},
    )


def _sorted_labels(y: pd.Series, task: str) -> tuple[Category, ...] | None:
    if task == "regression":
        return None
    uniq = pd.unique(y)
    try:
        return tuple(sorted(uniq.tolist()))
    except TypeError:
        return tuple(sorted(uniq.tolist(), key=str))


# --------------------------------------------------------------------------- the datasets

_N_SAMPLES = dataset_param("n_samples", 200, int, "number of points", low=20, high=100_000)


def _noise(default: float) -> Setting:
    return dataset_param(
        "noise", default, float, "standard deviation of Gaussian noise", low=0.0, high=2.0
    )


def _xy(points: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"x1": points[:, 0], "x2": points[:, 1]})


@register_dataset(
    "student_admissions",
    description="Graduate admissions (gre, gpa, rank) -> admit; the course's lesson data",
    source="UCLA binary.csv via Udacity deep-learning-v2-pytorch (MIT); 400 rows, packaged",
    params=(
        dataset_param(
            "scaling",
            "course",
            str,
            "course: gre/800 and gpa/4.0; standardize: mean/std of the training split",
            choices=("course", "standardize"),
        ),
    ),
    task="binary",
)
def _student_admissions(rng: np.random.Generator, seed: int, *, scaling: str) -> RawData:
    with (resources.files("experiments") / "data" / "student_admissions.csv").open() as f:
        frame = pd.read_csv(f)
    return RawData(
        features=frame[["gre", "gpa", "rank"]].astype({"gre": np.int64, "gpa": float}),
        target=frame["admit"].to_numpy(),
        task="binary",
        target_name="admit",
        class_names=("not admitted", "admitted"),
        labels=(0, 1),
        categorical=("rank",),
        categories={"rank": (1, 2, 3, 4)},
        scaling="standardize" if scaling == "standardize" else "none",
        fixed_scales={"gre": 800.0, "gpa": 4.0} if scaling == "course" else {},
    )


@register_dataset(
    "blobs",
    description="Gaussian blobs around random centres (scikit-learn make_blobs)",
    source="sklearn.datasets.make_blobs",
    params=(
        _N_SAMPLES,
        dataset_param("centers", 3, int, "number of blobs (classes)", low=2, high=10),
        dataset_param("n_features", 2, int, "number of features", low=1, high=50),
        dataset_param("cluster_std", 1.0, float, "spread of each blob", low=0.01, high=10.0),
    ),
    two_dimensional_when=lambda params: int(float(params["n_features"])) == 2,
)
def _blobs(
    rng: np.random.Generator, seed: int, *, n_samples: int, centers: int, n_features: int,
    cluster_std: float,
) -> RawData:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=n_samples, centers=centers, n_features=n_features,
        cluster_std=cluster_std, random_state=seed,
    )
    features = pd.DataFrame(X, columns=[f"x{i + 1}" for i in range(n_features)])
    return RawData(
        features=features,
        target=y,
        task="binary" if centers == 2 else "multiclass",
        class_names=tuple(f"blob {k}" for k in range(centers)),
        labels=tuple(range(centers)),
        scaling="standardize",
    )


def _shuffled(rng: np.random.Generator, points: np.ndarray, labels: np.ndarray,
              noise: float) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(labels))
    points = points[order] + rng.normal(0.0, noise, size=points.shape)
    return points, labels[order]


@register_dataset(
    "moons",
    description="Two interleaving half circles",
    source="generated (the recipe of scikit-learn's make_moons)",
    params=(_N_SAMPLES, _noise(0.2)),
    task="binary",
    two_dimensional=True,
)
def _moons(rng: np.random.Generator, seed: int, *, n_samples: int, noise: float) -> RawData:
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    points = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)]),
    ])
    labels = np.repeat([0, 1], [n_out, n_in])
    points, labels = _shuffled(rng, points, labels, noise)
    return RawData(_xy(points), labels, "binary", class_names=("upper moon", "lower moon"),
                   labels=(0, 1))


@register_dataset(
    "circles",
    description="A small circle inside a large one",
    source="generated (the recipe of scikit-learn's make_circles)",
    params=(
        _N_SAMPLES,
        _noise(0.1),
        dataset_param("factor", 0.5, float, "inner radius / outer radius", low=0.05, high=0.95),
    ),
    task="binary",
    two_dimensional=True,
)
def _circles(
    rng: np.random.Generator, seed: int, *, n_samples: int, noise: float, factor: float
) -> RawData:
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0.0, 2.0 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2.0 * np.pi, n_in, endpoint=False)
    points = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
    ])
    labels = np.repeat([0, 1], [n_out, n_in])
    points, labels = _shuffled(rng, points, labels, noise)
    return RawData(_xy(points), labels, "binary", class_names=("outer", "inner"), labels=(0, 1))


@register_dataset(
    "xor",
    description="Four quadrants; opposite corners share a class (not linearly separable)",
    source="generated (TensorFlow Playground's XOR)",
    params=(_N_SAMPLES, _noise(0.1)),
    task="binary",
    two_dimensional=True,
)
def _xor(rng: np.random.Generator, seed: int, *, n_samples: int, noise: float) -> RawData:
    points = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    # Keep points off the axes a little, as the playground does, so labels are clear.
    points += np.sign(points) * 0.05
    labels = ((points[:, 0] > 0) != (points[:, 1] > 0)).astype(np.int64)
    points += rng.normal(0.0, noise, size=points.shape)
    return RawData(
        _xy(points), labels, "binary", class_names=("same sign", "opposite sign"), labels=(0, 1)
    )


@register_dataset(
    "spiral",
    description="Interleaved spiral arms, one per class",
    source="generated (TensorFlow Playground's spiral)",
    params=(
        _N_SAMPLES,
        _noise(0.05),
        dataset_param("classes", 2, int, "number of arms (classes)", low=2, high=6),
        dataset_param("turns", 1.0, float, "turns of each arm", low=0.25, high=4.0),
    ),
    two_dimensional=True,
)
def _spiral(
    rng: np.random.Generator, seed: int, *, n_samples: int, noise: float, classes: int,
    turns: float,
) -> RawData:
    labels = np.arange(n_samples) % classes
    t = rng.uniform(0.05, 1.0, size=n_samples)
    angle = 2.0 * np.pi * (turns * t + labels / classes)
    points = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
    points += rng.normal(0.0, noise, size=points.shape)
    return RawData(
        _xy(points),
        labels,
        "binary" if classes == 2 else "multiclass",
        class_names=tuple(f"arm {k}" for k in range(classes)),
        labels=tuple(range(classes)),
    )


@register_dataset(
    "csv",
    description="Your own CSV file: numeric columns as numbers, text columns one-hot",
    source="a user's CSV file",
    params=(
        dataset_param("path", None, str, "path of the CSV file", required=True),
        dataset_param("target", None, str, "name of the column to predict", required=True),
        dataset_param(
            "task", "auto", str, "auto: text or whole-number target is classification",
            choices=("auto", "binary", "multiclass", "regression"),
        ),
        dataset_param(
            "scaling", "standardize", str,
            "standardize numeric columns with training-split mean/std, or none",
            choices=("standardize", "none"),
        ),
    ),
)
def _csv(
    rng: np.random.Generator, seed: int, *, path: str, target: str, task: str, scaling: str
) -> RawData:
    table = read_table(path, target, task=task)  # type: ignore[arg-type]
    return RawData(
        features=table.features,
        target=table.target,
        task=table.task,
        target_name=target,
        categorical=table.categorical,
        categories={k: tuple(v) for k, v in table.categories.items()},
        scaling=scaling,  # type: ignore[arg-type]
        source=str(table.path),
    )
