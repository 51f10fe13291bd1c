"""scikit-learn's own estimator checks, in full, with no expected failures.

``parametrize_with_checks`` runs every check of ``check_estimator`` as its own test, for
the default parameters and for configurations that exercise the other code paths (SGD
with Nesterov momentum, no hidden layer with full-batch training, explicit float64).
One more test runs ``check_estimator`` itself in a fresh interpreter with
``SCIPY_ARRAY_API=1``, the only way its array-API check runs instead of skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from nncore.sklearn import NeuralNetClassifier, NeuralNetRegressor

# the checks train with few epochs on purpose; the warning says so, nothing more
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CONFIGS = [
    {},
    {"solver": "sgd", "learning_rate_init": 0.002, "activation": "tanh"},
    {"hidden_layer_sizes": (), "batch_size": None, "learning_rate_init": 0.05,
     "activation": "logistic", "dtype": "float64"},
]
ESTIMATORS = [cls(**config) for config in CONFIGS
              for cls in (NeuralNetClassifier, NeuralNetRegressor)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


FULL_RUN = textwrap.dedent("""
    import json, warnings
    warnings.simplefilter("ignore")
    from sklearn.utils.estimator_checks import check_estimator
    from nncore.sklearn import NeuralNetClassifier, NeuralNetRegressor
    report = {}
    for estimator in (NeuralNetClassifier(), NeuralNetRegressor()):
        results = check_estimator(estimator, on_fail=None, on_skip=None)
        report[type(estimator).__name__] = [
            [r["check_name"], r["status"], repr(r["exception"])[:500]] for r in results]
    print(json.dumps(report))
""")

# The one check that cannot apply: MLPClassifier has no decision_function, nor do we.
NOT_APPLICABLE = {"check_classifiers_multilabel_output_format_decision_function"}


def test_check_estimator_in_full_with_array_api_dispatch():
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    out = subprocess.run([sys.executable, "-c", FULL_RUN], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    for name, results in report.items():
        assert len(results) > 40, f"{name}: only {len(results)} checks ran"
        failed = [r for r in results if r[1] == "failed"]
        assert not failed, f"{name} failed: {failed}"
        skipped = {r[0] for r in results if r[1] == "skipped"}
        assert skipped <= NOT_APPLICABLE, f"{name} skipped {skipped - NOT_APPLICABLE}"
        assert {r[1] for r in results} <= {"passed", "skipped"}
        assert "check_array_api_input" in {r[0] for r in results if r[1] == "passed"}


@pytest.mark.parametrize("cls", [NeuralNetClassifier, NeuralNetRegressor])
def test_parameters_match_mlp_names(cls):
    """Every MLP parameter we take has scikit-learn's name and default."""
    from sklearn.neural_network import MLPClassifier

    ours = cls().get_params()
    mlp = MLPClassifier().get_params()
    shared = set(ours) & set(mlp)
    assert shared >= {"hidden_layer_sizes", "activation", "solver", "alpha", "batch_size",
                      "learning_rate_init", "max_iter", "shuffle", "random_state", "tol",
                      "momentum", "nesterovs_momentum", "early_stopping",
                      "validation_fraction", "beta_1", "beta_2", "epsilon",
                      "n_iter_no_change", "warm_start", "verbose"}
    assert {k: ours[k] for k in shared} == {k: mlp[k] for k in shared}
    assert set(ours) - set(mlp) == {"dtype"}
