"""NeuralNetClassifier and NeuralNetRegressor: behaviour a scikit-learn user relies on."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs, make_moons, make_multilabel_classification
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import nncore
from nncore.sklearn import NeuralNetClassifier, NeuralNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y


def quick(**kwargs) -> dict:
    """Small, fast settings that converge on the toy sets."""
    return {"hidden_layer_sizes": (16,), "learning_rate_init": 0.02, "max_iter": 200,
            "n_iter_no_change": 30, "random_state": 0, **kwargs}


# --------------------------------------------------------------------------- imports
def test_import_nncore_does_not_import_sklearn():
    code = ("import sys, nncore; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys, nncore.sklearn; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "True"


def test_docstring_examples_run():
    import doctest

    import nncore.sklearn

    result = doctest.testmod(nncore.sklearn)
    assert result.attempted >= 8
    assert result.failed == 0


# ------------------------------------------------------------------- classification
def test_binary_uses_one_sigmoid_unit_and_string_labels(moons):
    X, y = moons
    labels = np.array(["rejected", "admitted"])[y]
    clf = NeuralNetClassifier(**quick()).fit(X, labels)
    assert_array_equal(clf.classes_, ["admitted", "rejected"])
    assert clf.model_.n_outputs == 1
    assert clf.model_.output_activation == "sigmoid"
    assert clf.out_activation_ == "logistic"
    P = clf.predict_proba(X)
    assert P.shape == (200, 2)
    assert_allclose(P.sum(axis=1), 1.0)
    # the sigmoid unit is P(classes_[1])
    assert_allclose(P[:, 1], clf.model_.predict_proba(X)[:, 0])
    pred = clf.predict(X)
    assert set(pred) <= {"admitted", "rejected"}
    assert_array_equal(pred, clf.classes_[P.argmax(axis=1)])
    assert clf.score(X, labels) > 0.95
    assert_allclose(clf.predict_log_proba(X), np.log(P))


def test_multiclass_uses_softmax(blobs):
    X, y = blobs
    labels = np.array([10, 20, 30])[y]
    clf = NeuralNetClassifier(**quick()).fit(X, labels)
    assert_array_equal(clf.classes_, [10, 20, 30])
    assert clf.model_.output_activation == "softmax"
    assert clf.n_outputs_ == 3
    assert clf.predict_proba(X).shape == (150, 3)
    assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    assert clf.score(X, labels) > 0.95
    assert clf.predict(X).dtype == labels.dtype


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = NeuralNetClassifier(**quick(max_iter=300)).fit(X, Y)
    assert clf.model_.output_activation == "sigmoid"
    assert clf.n_outputs_ == 4
    assert_array_equal(clf.classes_, np.arange(4))
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    assert np.mean(pred == Y) > 0.85


def test_one_class_is_refused_with_a_message_naming_classes():
    with pytest.raises(ValueError, match="at least 2 classes"):
        NeuralNetClassifier().fit(np.zeros((5, 2)), np.ones(5))


def test_regression_target_is_refused_by_the_classifier():
    with pytest.raises(ValueError, match="Unknown label type"):
        NeuralNetClassifier().fit(np.zeros((5, 2)), np.linspace(0, 1, 5))


def test_no_hidden_layer_is_logistic_regression(admissions):
    from sklearn.linear_model import LogisticRegression

    X, y = admissions
    clf = NeuralNetClassifier(hidden_layer_sizes=(), solver="sgd", learning_rate_init=0.5,
                              momentum=0.9, alpha=0.0, batch_size=None, max_iter=3000,
                              tol=1e-9, n_iter_no_change=50, random_state=0).fit(X, y)
    assert len(clf.model_.layers) == 1
    reference = LogisticRegression(C=1e6, max_iter=10_000).fit(X, y)
    # the rank one-hot columns and the bias are collinear, so compare probabilities
    assert_allclose(clf.predict_proba(X), reference.predict_proba(X), atol=0.01)
    assert_array_equal(clf.predict(X), reference.predict(X))


# ------------------------------------------------------------------------ regression
def test_regression_single_and_multi_output():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    reg = NeuralNetRegressor(hidden_layer_sizes=(32,), activation="tanh",
                             learning_rate_init=0.01, max_iter=400, random_state=0).fit(X, y)
    assert reg.model_.output_activation == "identity"
    assert reg.predict(X).shape == (300,)
    assert reg.score(X, y) > 0.95
    Y = np.column_stack([y, -2 * y + 1])
    reg2 = NeuralNetRegressor(hidden_layer_sizes=(32,), activation="tanh",
                              learning_rate_init=0.01, max_iter=400, random_state=0).fit(X, Y)
    assert reg2.n_outputs_ == 2
    assert reg2.predict(X).shape == (300, 2)
    assert reg2.score(X, Y) > 0.95
    reg3 = NeuralNetRegressor(hidden_layer_sizes=(4,), max_iter=5).fit(X, y[:, None])
    assert reg3.predict(X).shape == (300, 1)


# ------------------------------------------------------------------------------ dtype
def test_dtype_follows_float32_input_unless_given(moons):
    X, y = moons
    X32 = X.astype(np.float32)
    clf = NeuralNetClassifier(**quick(max_iter=20)).fit(X32, y)
    assert clf.model_.dtype == np.float32
    assert clf.predict_proba(X32).dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float64  # float64 in, float64 out
    clf64 = NeuralNetClassifier(**quick(max_iter=20, dtype="float64")).fit(X32, y)
    assert clf64.model_.dtype == np.float64
    clf32 = NeuralNetClassifier(**quick(max_iter=20, dtype=np.float32)).fit(X, y)
    assert clf32.model_.dtype == np.float32
    reg = NeuralNetRegressor(max_iter=5, dtype="float32").fit(X, X[:, 0])
    assert reg.model_.dtype == np.float32
    assert reg.predict(X).dtype == np.float64
    assert NeuralNetClassifier(max_iter=5).fit(X.astype(int), y).model_.dtype == np.float64


# ---------------------------------------------------------------- stopping and curves
def test_loss_curve_is_the_objective_with_the_l2_penalty(moons):
    X, y = moons
    clf = NeuralNetClassifier(**quick(alpha=5.0, batch_size=None, max_iter=50, tol=0.0,
                                      n_iter_no_change=np.inf)).fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_ == 50
    assert clf.t_ == 50 * len(y)
    data_loss = clf.model_.evaluate(X, y)["loss"]
    penalty = 0.5 * 5.0 / len(y) * sum(float(np.sum(W * W)) for W in clf.coefs_)
    # the curve's last entry was measured before the last step; the two agree closely
    assert clf.loss_ == pytest.approx(data_loss + penalty, rel=0.02)
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None


def test_tol_stops_training_and_max_iter_warns(moons):
    X, y = moons
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = NeuralNetClassifier(**quick(tol=0.5, n_iter_no_change=3)).fit(X, y)
    # epoch 1 improves on infinity; epochs 2-5 do not improve by 0.5: 4 > 3 stops
    assert clf.n_iter_ == 5
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(7\\)"):
        clf = NeuralNetClassifier(**quick(max_iter=7)).fit(X, y)
    assert clf.n_iter_ == 7


def test_early_stopping_tracks_validation_accuracy_and_keeps_the_best(blobs):
    X, y = blobs
    clf = NeuralNetClassifier(**quick(early_stopping=True, validation_fraction=0.2,
                                      n_iter_no_change=5, max_iter=500)).fit(X, y)
    assert clf.n_iter_ < 500
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # accuracies on the held-out 30 of 150 samples: whole counts out of 30
    assert all(abs(s * 30 - round(s * 30)) < 1e-9 for s in clf.validation_scores_)
    assert clf.best_loss_ is None
    reg = NeuralNetRegressor(**quick(early_stopping=True, max_iter=300)).fit(X, X[:, 0])
    assert reg.best_validation_score_ == max(reg.validation_scores_) > 0.9  # R^2


def test_early_stopping_needs_a_big_enough_validation_set():
    with pytest.raises(ValueError, match="validation set is too small"):
        NeuralNetRegressor(early_stopping=True).fit(np.zeros((10, 2)), np.arange(10.0))


def test_verbose_prints_the_loss(moons, capsys):
    X, y = moons
    NeuralNetClassifier(**quick(max_iter=3, verbose=True)).fit(X, y)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out
    assert "Iteration 3, loss = " in out


def test_a_too_large_learning_rate_warns_or_raises():
    X = np.linspace(0, 100, 50)[:, None]
    reg = NeuralNetRegressor(hidden_layer_sizes=(), solver="sgd", learning_rate_init=2.2e-4,
                             max_iter=200, random_state=0)
    # the stopping rule sees the loss rising (300-fold) and stops: that must not pass silently
    with pytest.warns(ConvergenceWarning,
                      match="learning_rate_init=0.00022 is probably too large"):
        reg.fit(X, X[:, 0] * 1000)
    assert reg.n_iter_ == 12
    # a loss that grows a millionfold is nncore's divergence, with or without the rule
    for rule in (10, np.inf):
        reg.set_params(learning_rate_init=10.0, n_iter_no_change=rule)
        with pytest.raises(nncore.TrainingDiverged, match="smaller learning rate"):
            reg.fit(X, X[:, 0] * 1000)


# -------------------------------------------------------------- incremental training
def test_partial_fit_equals_fit_epoch_for_epoch(moons):
    X, y = moons
    settings = quick(batch_size=None, shuffle=False, max_iter=30, tol=0.0,
                     n_iter_no_change=np.inf)
    full = NeuralNetClassifier(**settings).fit(X, y)
    inc = NeuralNetClassifier(**settings)
    for _ in range(30):
        inc.partial_fit(X, y, classes=[0, 1])
    assert inc.n_iter_ == 30
    for a, b in zip(full.coefs_, inc.coefs_, strict=True):
        assert_allclose(a, b, rtol=1e-10)
    assert_allclose(full.loss_curve_, inc.loss_curve_, rtol=1e-10)


def test_partial_fit_needs_classes_first_and_refuses_new_labels(moons):
    X, y = moons
    clf = NeuralNetClassifier(**quick())
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert clf.model_.output_activation == "softmax"  # 3 classes announced
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:5], np.full(5, 7))
    reg = NeuralNetRegressor(**quick())
    reg.partial_fit(X, y.astype(float)).partial_fit(X, y.astype(float))
    assert reg.n_iter_ == 2


def test_warm_start_continues_from_the_previous_weights(moons):
    X, y = moons
    clf = NeuralNetClassifier(**quick(warm_start=True, max_iter=20, tol=0.0,
                                      n_iter_no_change=np.inf)).fit(X, y)
    first = clf.model_
    clf.fit(X, y)
    assert clf.model_ is first
    assert clf.n_iter_ == 40
    assert len(clf.loss_curve_) == 40
    assert clf.loss_curve_[20] < clf.loss_curve_[0]
    cold = NeuralNetClassifier(**quick(max_iter=20)).fit(X, y)
    assert clf.loss_ < cold.loss_


# ---------------------------------------------------------------- sklearn plumbing
def test_pickle_and_deepcopy_keep_a_trainable_network(moons):
    X, y = moons
    clf = NeuralNetClassifier(**quick(max_iter=20)).fit(X, y)
    for clone_ in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        assert_array_equal(clone_.predict_proba(X), clf.predict_proba(X))
        before = clone_.predict_proba(X)
        clone_.partial_fit(X, y)  # training after unpickling must still move the weights
        assert not np.allclose(clone_.predict_proba(X), before)
        assert np.shares_memory(clone_.coefs_[0], clone_.model_.parameters)
    assert_array_equal(clf.predict_proba(X), before)  # the original is untouched


def test_feature_names_from_a_dataframe(moons):
    X, y = moons
    frame = pd.DataFrame(X, columns=["gre", "gpa"])
    clf = NeuralNetClassifier(**quick(max_iter=5)).fit(frame, y)
    assert_array_equal(clf.feature_names_in_, ["gre", "gpa"])
    assert clf.n_features_in_ == 2
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(frame.to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no feature names: tested above
        with pytest.raises(ValueError, match="3 features"):
            clf.predict(np.zeros((3, 3)))


def test_a_failed_refit_leaves_the_estimator_unfitted(moons):
    clf = NeuralNetClassifier(**quick(max_iter=5)).fit(*moons)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(moons[0], np.zeros(len(moons[1])))
    with pytest.raises(NotFittedError):
        clf.predict(moons[0])


def test_unfitted_estimator_raises_not_fitted():
    with pytest.raises(NotFittedError):
        NeuralNetClassifier().predict(np.zeros((2, 2)))
    with pytest.raises(NotFittedError):
        _ = NeuralNetRegressor().coefs_


@pytest.mark.parametrize(
    ("params", "name"),
    [({"solver": "lbfgs"}, "solver"), ({"momentum": 1.0}, "momentum"),
     ({"activation": "softmax"}, "activation"), ({"batch_size": 0}, "batch_size"),
     ({"dtype": "float16"}, "dtype"), ({"validation_fraction": 0.0}, "validation_fraction")],
)
def test_invalid_parameters_name_the_parameter(moons, params, name):
    with pytest.raises(InvalidParameterError, match=name):
        NeuralNetClassifier(**params).fit(*moons)


def test_bad_hidden_layer_sizes_are_refused(moons):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        NeuralNetClassifier(hidden_layer_sizes=(8, 0)).fit(*moons)


def test_sgd_without_momentum_ignores_nesterov(moons):
    X, y = moons
    clf = NeuralNetClassifier(**quick(solver="sgd", momentum=0.0, learning_rate_init=0.3))
    assert clf.fit(X, y).score(X, y) > 0.9
    assert clf._optimizer.nesterov is False


def test_grid_search_over_hidden_layer_sizes_and_learning_rate(moons):
    X, y = moons
    grid = {"hidden_layer_sizes": [(1,), (16,)], "learning_rate_init": [1e-4, 0.03]}
    search = GridSearchCV(
        NeuralNetClassifier(activation="tanh", max_iter=150, batch_size=32, random_state=0),
        grid, cv=3,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    # one hidden unit draws one line, and lr=1e-4 barely moves in 150 epochs
    assert search.best_params_ == {"hidden_layer_sizes": (16,), "learning_rate_init": 0.03}
    assert search.best_score_ > 0.93
    scores = dict(zip(map(str, search.cv_results_["params"]),
                      search.cv_results_["mean_test_score"], strict=True))
    assert min(scores.values()) < search.best_score_ - 0.05
    # the refit best estimator has the best parameters and was trained on all of X
    assert search.best_estimator_.model_.layers[0].n_units == 16
    assert search.best_estimator_.t_ == search.best_estimator_.n_iter_ * len(y)


def test_pipeline_and_cross_val_score():
    X, y = make_moons(n_samples=300, noise=0.25, random_state=1)
    X = X * [1000.0, 0.01]  # badly scaled on purpose: the pipeline's scaler fixes it
    pipe = make_pipeline(StandardScaler(), NeuralNetClassifier(**quick(batch_size=32)))
    scores = cross_val_score(pipe, X, y, cv=5)
    baseline = cross_val_score(DummyClassifier(), X, y, cv=5)
    assert scores.shape == (5,)
    assert scores.mean() > 0.88
    assert scores.mean() > baseline.mean() + 0.3


@pytest.mark.slow
def test_cross_val_score_in_parallel_processes():
    """joblib pickles the estimator to worker processes and back."""
    X, y = make_moons(n_samples=300, noise=0.25, random_state=1)
    serial = cross_val_score(NeuralNetClassifier(**quick()), X, y, cv=3)
    parallel = cross_val_score(NeuralNetClassifier(**quick()), X, y, cv=3, n_jobs=2)
    assert_allclose(serial, parallel)
