"""Saving and loading a model: ``.npz`` arrays plus a ``.json`` config, never pickle.

What this teaches:

1. ``nncore.save(model, "path/name")`` writes ``name.npz`` (the weights by dotted name,
   ``layers.0.W`` ...) and ``name.json`` (the architecture and every array's shape and
   dtype). Both are plain data: nothing executes when they are read.
2. ``nncore.load("path/name")`` rebuilds the network and gives the same predictions.
3. The network inside a scikit-learn estimator is ``clf.model_``: save it the same way.

Run it with ``python examples/save_and_load.py`` (it writes to a temporary folder).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import make_moons

import nncore
from nncore.sklearn import NeuralNetClassifier


def main() -> None:
    """Train, save, load, and compare predictions."""
    X, y = make_moons(n_samples=300, noise=0.2, random_state=1)
    model = nncore.Sequential(
        [nncore.Dense(2, 16, "tanh"), nncore.Dense(16, 1, "sigmoid")], seed=0
    )
    model.fit(X, y, optimizer=nncore.Adam(lr=0.01), epochs=300, batch_size=32)

    with tempfile.TemporaryDirectory() as tmp:
        npz_path, json_path = nncore.save(model, Path(tmp) / "moons")
        print(f"saved {npz_path.name} ({npz_path.stat().st_size} bytes) and {json_path.name}")
        meta = json.loads(json_path.read_text())
        print(f"config: {json.dumps(meta['config'])}")
        for name, spec in meta["arrays"].items():
            print(f"  array {name}: shape {spec['shape']} {spec['dtype']}")
        loaded = nncore.load(Path(tmp) / "moons")

        same = np.array_equal(model.predict_proba(X), loaded.predict_proba(X))
        print(f"loaded model gives identical probabilities: {same}")
        print(f"accuracy before saving {nncore.accuracy(y, model.predict(X)):.3f}, "
              f"after loading {nncore.accuracy(y, loaded.predict(X)):.3f}")

        clf = NeuralNetClassifier(hidden_layer_sizes=(16,), activation="tanh",
                                  learning_rate_init=0.01, max_iter=300, random_state=0)
        clf.fit(X, y)
        nncore.save(clf.model_, Path(tmp) / "estimator")
        network = nncore.load(Path(tmp) / "estimator")
        same = np.array_equal(clf.predict_proba(X)[:, 1], network.predict_proba(X)[:, 0])
        print(f"the estimator's network, saved and loaded, agrees with the estimator: {same}")


if __name__ == "__main__":
    main()
