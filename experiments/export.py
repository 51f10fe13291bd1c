"""Take a run out of the app: a runnable training script, and the weights as a zip file.

>>> from experiments import RunSpec
>>> script = training_script(RunSpec.from_dict({"dataset": {"name": "xor"}}))
>>> compile(script, "train_run.py", "exec") is not None
True
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from experiments.spec import RunSpec

__all__ = ["training_script", "weights_archive"]

_TEMPLATE = '''\
"""Train {title} again with nncore and experiments.

Exported from the nncore dashboard{origin}.
Run it from the project folder (or anywhere the project is installed):

    python {filename}                    # trains and records the run in MLflow
    python {filename} --no-track         # trains only
    python {filename} --epochs 50        # a quick try with fewer epochs
"""

import argparse

from experiments import RunSpec, train

#: The run's full spec (its MLflow params), so this file needs nothing else.
SPEC = {spec}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-track", action="store_true", help="do not record in MLflow")
    parser.add_argument("--tracking-uri", help="MLflow store (default: MLFLOW_TRACKING_URI, "
                        "else ./mlflow.db)")
    parser.add_argument("--epochs", type=int, help="override the number of epochs")
    args = parser.parse_args()

    spec = RunSpec.from_dict(SPEC)
    if args.epochs:
        spec = spec.with_overrides({{"training.epochs": args.epochs}})
    print(spec.summary())
    result = train(spec, tracking_uri=args.tracking_uri, track=not args.no_track,
                   source="script"{tags})
    for name, value in sorted(result.metrics.items()):
        print(f"{{name}}: {{value:.4f}}")
    if result.run_id:
        print(f"MLflow run: {{result.run_id}} ({{result.status}})")


if __name__ == "__main__":
    main()
'''


def training_script(spec: RunSpec, *, run_id: str | None = None,
                    filename: str = "train_run.py") -> str:
    """A standalone Python script that trains ``spec`` with nncore through experiments.

    Parameters
    ----------
    spec : RunSpec
        What to train (e.g. :func:`experiments.queries.run_spec` of a past run).
    run_id : str, optional
        The run it comes from: named in the docstring and tagged ``reproduces`` on
        the new run.
    filename : str
        The name the script is saved under (used in its usage lines).

    Returns
    -------
    str
        Python source; ``--no-track``, ``--tracking-uri`` and ``--epochs`` options.
    """
    pretty = json.dumps(spec.to_dict(), indent=4)
    pretty = pretty.replace(": true", ": True").replace(": false", ": False").replace(
        ": null", ": None")
    origin = f" (MLflow run {run_id})" if run_id else ""
    tags = f', tags={{"reproduces": "{run_id}"}}' if run_id else ""
    title = spec.summary().splitlines()[0]
    return _TEMPLATE.format(title=title, origin=origin, filename=filename, spec=pretty,
                            tags=tags)


def weights_archive(model: Any, name: str = "model") -> bytes:
    """A zip of the model's ``.npz`` weights and ``.json`` config (``nncore.load`` reads them).

    Parameters
    ----------
    model : nncore.Sequential or nncore.Perceptron
        The trained model.
    name : str
        Base name of the two files in the archive.

    Returns
    -------
    bytes
        The zip file's content.
    """
    import nncore

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="nncore-export-") as tmp:
        nncore.save(model, Path(tmp) / name)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(tmp).iterdir()):
                archive.write(path, path.name)
    return buffer.getvalue()
