"""Saving and loading models as ``.npz`` arrays plus a ``.json`` config. Never pickle.

``save(model, "runs/admissions")`` writes ``runs/admissions.npz`` (the parameters by
dotted name) and ``runs/admissions.json`` (format, nncore version, architecture, and
the name, shape and dtype of every array). ``load`` reads the arrays with
``allow_pickle=False`` and refuses anything that does not match the JSON exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from nncore._version import __version__
from nncore.network import Sequential
from nncore.perceptron import Perceptron

FORMAT = "nncore.model"
FORMAT_VERSION = 1
MODEL_TYPES: dict[str, type] = {"Sequential": Sequential, "Perceptron": Perceptron}
Model = Sequential | Perceptron


def _paths(path: str | Path) -> tuple[Path, Path]:
    base = Path(path)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    return base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")


def save(model: Model, path: str | Path) -> tuple[Path, Path]:
    """Write ``<path>.npz`` and ``<path>.json``.

    Parameters
    ----------
    model : Sequential or Perceptron
    path : str or Path
        A base name; a ``.npz`` or ``.json`` suffix is dropped.

    Returns
    -------
    (npz_path, json_path)
    """
    if not isinstance(model, tuple(MODEL_TYPES.values())):
        raise ValueError(f"model must be a Sequential or a Perceptron; got {type(model).__name__}")
    npz_path, json_path = _paths(path)
    npz_path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {name: np.asarray(a, order="C") for name, a in model.state_dict().items()}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "nncore_version": __version__,
        "config": model.get_config(),
        "arrays": {n: {"shape": list(a.shape), "dtype": a.dtype.name} for n, a in arrays.items()},
    }
    with open(npz_path, "wb") as fh:
        np.savez(fh, **arrays)
    json_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return npz_path, json_path


def _read_meta(json_path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"no model config at {json_path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{json_path} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{json_path} is not an nncore model config (format {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{json_path} has format_version {meta.get('format_version')!r}; "
                         f"this nncore reads version {FORMAT_VERSION}")
    return meta


def load(path: str | Path) -> Model:
    """Read a model written by :func:`save`.

    Raises
    ------
    ValueError
        If the arrays' names, shapes or dtypes differ from the config, or the files are
        not an nncore model. Object arrays are never loaded (``allow_pickle=False``).
    """
    npz_path, json_path = _paths(path)
    meta = _read_meta(json_path)
    config = meta.get("config", {})
    model_type = MODEL_TYPES.get(config.get("type"))
    if model_type is None:
        raise ValueError(f"{json_path} describes an unknown model type {config.get('type')!r}")
    expected = meta.get("arrays", {})
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"no model weights at {npz_path}") from None
    except ValueError as exc:
        raise ValueError(f"{npz_path} holds data nncore will not load: {exc}") from None
    if set(arrays) != set(expected):
        raise ValueError(f"{npz_path} holds arrays {sorted(arrays)} but {json_path.name} "
                         f"lists {sorted(expected)}")
    for name, spec in expected.items():
        a = arrays[name]
        if list(a.shape) != spec.get("shape") or a.dtype.name != spec.get("dtype"):
            raise ValueError(f"array {name!r} has shape {list(a.shape)} and dtype {a.dtype.name}; "
                             f"the config says {spec.get('shape')} and {spec.get('dtype')}")
        if a.dtype.name not in ("float32", "float64"):
            raise ValueError(f"array {name!r} has dtype {a.dtype.name}; only floats are loaded")
    model = model_type.from_config(config, seed=config.get("seed") or 0)
    model.load_state_dict(arrays)
    return model
