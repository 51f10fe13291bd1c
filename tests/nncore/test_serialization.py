"""save/load: .npz arrays + .json config, checked on load, never pickled."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nncore
from tests.nncore.helpers import XOR_X, XOR_Y, mlp


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_keeps_architecture_weights_dtype_and_predictions(tmp_path, dtype):
    model = mlp([2, 5, 3, 1], "tanh", "sigmoid", seed=4, dtype=dtype)
    model.fit(XOR_X, XOR_Y, optimizer=nncore.Adam(lr=0.05), epochs=50)
    npz, js = nncore.save(model, tmp_path / "sub" / "xor")
    assert npz.name == "xor.npz" and js.name == "xor.json"
    for name in ("xor", "xor.npz", "xor.json"):
        loaded = nncore.load(tmp_path / "sub" / name)
        assert loaded.get_config() == model.get_config()
        assert loaded.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(loaded.predict_proba(XOR_X), model.predict_proba(XOR_X))
    meta = json.loads(js.read_text())
    assert meta["format"] == "nncore.model" and meta["nncore_version"] == nncore.__version__
    assert meta["arrays"]["layers.0.W"] == {"shape": [2, 5], "dtype": dtype}


def test_from_config_rebuilds_from_logged_params():
    model = mlp([4, 6, 3], "relu", "softmax", seed=9)
    config = json.loads(json.dumps(model.get_config()))      # as if read back from MLflow
    rebuilt = nncore.Sequential.from_config(config)
    assert rebuilt.get_config() == config
    np.testing.assert_array_equal(rebuilt.parameters, model.parameters)   # same seed, same init


def test_perceptron_round_trip(tmp_path):
    p = nncore.Perceptron.from_weights([1.0, 1.0], -1.5)
    nncore.save(p, tmp_path / "and")
    loaded = nncore.load(tmp_path / "and")
    assert isinstance(loaded, nncore.Perceptron) and loaded.b == -1.5
    assert loaded.predict(XOR_X).tolist() == [0, 0, 0, 1]


def save_tiny(tmp_path):
    model = mlp([2, 3, 1], "relu", "sigmoid", seed=0)
    return nncore.save(model, tmp_path / "m")


def test_wrong_shapes_are_refused(tmp_path):
    npz, _ = save_tiny(tmp_path)
    arrays = dict(np.load(npz))
    arrays["layers.0.W"] = np.zeros((3, 2))
    np.savez(npz, **arrays)
    with pytest.raises(ValueError, match=r"array 'layers.0.W' has shape \[3, 2\].*the config says \[2, 3\]"):
        nncore.load(tmp_path / "m")


def test_wrong_dtype_is_refused(tmp_path):
    npz, _ = save_tiny(tmp_path)
    arrays = dict(np.load(npz))
    arrays["layers.1.b"] = arrays["layers.1.b"].astype(np.float32)
    np.savez(npz, **arrays)
    with pytest.raises(ValueError, match=r"'layers.1.b' has shape \[1\] and dtype float32"):
        nncore.load(tmp_path / "m")


def test_missing_or_extra_arrays_are_refused(tmp_path):
    npz, _ = save_tiny(tmp_path)
    arrays = dict(np.load(npz))
    arrays["evil"] = np.zeros(1)
    del arrays["layers.0.b"]
    np.savez(npz, **arrays)
    with pytest.raises(ValueError, match=r"holds arrays .*'evil'.* but m.json lists"):
        nncore.load(tmp_path / "m")


def test_pickled_object_arrays_are_never_loaded(tmp_path):
    npz, js = save_tiny(tmp_path)
    arrays = dict(np.load(npz))
    arrays["layers.0.W"] = np.array([{"payload": 1}] * 6, dtype=object).reshape(2, 3)
    np.savez(npz, **arrays)       # this writes a pickle inside the npz
    meta = json.loads(js.read_text())
    meta["arrays"]["layers.0.W"]["dtype"] = "object"
    js.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"holds data nncore will not load"):
        nncore.load(tmp_path / "m")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", r"is not valid JSON"),
        ('{"format": "keras"}', r"is not an nncore model config"),
        ('{"format": "nncore.model", "format_version": 99}', r"has format_version 99"),
        ('{"format": "nncore.model", "format_version": 1, "config": {"type": "Lambda"}}',
         r"unknown model type 'Lambda'"),
    ],
)
def test_bad_configs_are_refused(tmp_path, content, message):
    save_tiny(tmp_path)
    (tmp_path / "m.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        nncore.load(tmp_path / "m")


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no model config at .*nothing.json"):
        nncore.load(tmp_path / "nothing")
    _, js = save_tiny(tmp_path)
    (tmp_path / "m.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"no model weights at .*m.npz"):
        nncore.load(js)


def test_load_state_dict_checks_names_and_shapes():
    model = mlp([2, 3, 1], "relu", "sigmoid")
    state = {k: v.copy() for k, v in model.state_dict().items()}
    state.pop("layers.1.b")
    state["layers.9.W"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing \['layers.1.b'\], unexpected \['layers.9.W'\]"):
        model.load_state_dict(state)
