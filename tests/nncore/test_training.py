"""Training behaviour: XOR, the admissions lesson, reproducibility, callbacks, divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nncore
from nncore.training import Diverged, run_epochs
from tests.nncore.helpers import XOR_X, XOR_Y, admissions, mlp


def test_xor_needs_a_hidden_layer_and_is_solved_with_one():
    linear = nncore.Sequential([nncore.Dense(2, 1, "sigmoid")], seed=0)
    linear.fit(XOR_X, XOR_Y, optimizer=nncore.Adam(lr=0.05), epochs=500)
    assert nncore.accuracy(XOR_Y, linear.predict(XOR_X)) <= 0.75
    for hidden, opt in [("tanh", nncore.Adam(lr=0.05)), ("sigmoid", nncore.SGD(lr=2.0, momentum=0.9))]:
        model = mlp([2, 4, 1], hidden, "sigmoid", seed=1)
        history = model.fit(XOR_X, XOR_Y, optimizer=opt, epochs=1000)
        assert model.predict(XOR_X).tolist() == [0, 1, 1, 0]
        assert history.history["train_loss"][-1] < 0.1 < history.history["train_loss"][0]


def ten_fold_accuracy(hidden: list[int]) -> float:
    X, y = admissions()
    folds = np.array_split(np.random.default_rng(42).permutation(len(X)), 10)
    scores = []
    for k, test in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        model = mlp([6, *hidden, 1], "sigmoid", "sigmoid", seed=k)
        model.fit(X[train], y[train], optimizer=nncore.SGD(lr=0.5, momentum=0.9), epochs=1000)
        scores.append(nncore.accuracy(y[test], model.predict(X[test])))
    return float(np.mean(scores))


def test_admissions_reaches_the_accuracy_the_course_reports():
    """Majority class 0.6825; the course's models land around 0.70-0.75 (LESSONS 7)."""
    assert 0.69 <= ten_fold_accuracy([]) <= 0.76
    assert 0.68 <= ten_fold_accuracy([8]) <= 0.76


def test_softmax_separates_blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [4, 0], [0, 4]])
    y = rng.integers(0, 3, 300)
    X = centers[y] + rng.normal(scale=0.7, size=(300, 2))
    model = mlp([2, 16, 3], "relu", "softmax", seed=0)
    history = model.fit(X, y, optimizer=nncore.Adam(lr=0.01), epochs=60, batch_size=32,
                        validation_data=(X[:50], y[:50]))
    assert history.history["val_accuracy"][-1] > 0.95
    assert np.allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_regression_learns_a_linear_function_and_reports_rmse():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.3
    model = nncore.Sequential([nncore.Dense(3, 1)], seed=0)
    history = model.fit(X, y, optimizer=nncore.SGD(lr=0.1), epochs=200)
    assert history.history["train_rmse"][-1] < 1e-3
    np.testing.assert_allclose(model.layers[0].W[:, 0], [1.0, -2.0, 0.5], atol=1e-3)
    assert model.predict(X).shape == (200,)


BASE_RATE_LOSS = 0.6253  # log-loss of always predicting the admission rate 0.3175


@pytest.mark.parametrize(("batch_size", "lr"), [(None, 0.5), (1, 0.005), (7, 0.02), (32, 0.05)])
def test_every_batch_size_learns(batch_size, lr):
    """Full batch, one sample at a time and mini-batches all beat the base rate."""
    X, y = admissions()
    model = mlp([6, 8, 1], "relu", "sigmoid", seed=0)
    history = model.fit(X, y, optimizer=nncore.SGD(lr=lr, momentum=0.9), epochs=30,
                        batch_size=batch_size)
    assert len(history) == 30
    assert model.evaluate(X, y)["loss"] < 0.6 < BASE_RATE_LOSS


def test_the_same_seed_gives_identical_weights_and_another_seed_does_not():
    X, y = admissions()

    def train(seed: int) -> dict[str, np.ndarray]:
        model = mlp([6, 8, 1], "relu", "sigmoid", seed=seed)
        model.fit(X, y, optimizer=nncore.SGD(lr=0.05, momentum=0.9), epochs=5, batch_size=16)
        return {k: v.copy() for k, v in model.state_dict().items()}

    first, again, other = train(7), train(7), train(8)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first["layers.0.W"], other["layers.0.W"])


def test_float32_stays_float32_and_explicit_dtype_wins():
    X, y = admissions()
    model = mlp([6, 8, 1], "relu", "sigmoid", seed=0)
    model.fit(X.astype(np.float32), y, epochs=3, batch_size=32)
    assert model.dtype == np.float32 and model.parameters.dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32  # float64 input is cast to the model
    explicit = mlp([6, 8, 1], "relu", "sigmoid", seed=0, dtype="float64")
    explicit.fit(X.astype(np.float32), y, epochs=1)
    assert explicit.layers[0].W.dtype == np.float64


def test_l2_shrinks_the_weights():
    X, y = admissions()
    norms = []
    for l2 in (0.0, 0.1):
        model = mlp([6, 8, 1], "tanh", "sigmoid", seed=0)
        model.fit(X, y, optimizer=nncore.SGD(lr=0.5), epochs=200, l2=l2)
        norms.append(sum(float((layer.W**2).sum()) for layer in model.layers))
    assert norms[1] < 0.5 * norms[0]


def test_a_callback_stops_training_cleanly():
    X, y = admissions()
    seen: list[int] = []

    def stop_at_three(model, epoch, logs):
        seen.append(epoch)
        if epoch == 3:
            model.stop_training = True

    model = mlp([6, 4, 1], "relu", "sigmoid", seed=0)
    history = model.fit(X, y, epochs=50, callbacks=[nncore.LambdaCallback(on_epoch_end=stop_at_three)])
    assert seen == [1, 2, 3] and history.epochs == [1, 2, 3]
    assert history.stopped_early and history.stop_reason == "stopped by a callback"


class BatchCounter(nncore.Callback):
    def __init__(self) -> None:
        self.batches = 0
        self.ended = False

    def on_batch_end(self, model, batch, logs):
        self.batches += 1
        if self.batches == 5:
            model.stop_training = True

    def on_train_end(self, model, history):
        self.ended = True


def test_per_batch_callbacks_can_stop_mid_epoch():
    X, y = admissions()
    counter = BatchCounter()
    history = mlp([6, 4, 1], "relu", "sigmoid").fit(X, y, epochs=10, batch_size=50,
                                                     callbacks=[counter])
    assert counter.batches == 5 and counter.ended
    assert history.epochs == [1] and history.stopped_early


def test_early_stopping_stops_and_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = rng.integers(0, 2, 60)                       # pure noise: validation loss soon rises
    Xv, yv = rng.normal(size=(60, 5)), rng.integers(0, 2, 60)
    stopper = nncore.EarlyStopping(patience=5)
    model = mlp([5, 32, 1], "relu", "sigmoid", seed=0)
    history = model.fit(X, y, optimizer=nncore.Adam(lr=0.01), epochs=500,
                        validation_data=(Xv, yv), callbacks=[stopper])
    assert history.stopped_early and len(history) < 500
    assert history.best_epoch == stopper.best_epoch == len(history) - 5
    assert "val_loss did not improve for 5 epochs" in history.stop_reason
    assert model.evaluate(Xv, yv)["loss"] == pytest.approx(min(history.history["val_loss"]))


def test_early_stopping_without_validation_data_is_explained():
    X, y = admissions()
    with pytest.raises(ValueError, match="monitors 'val_loss' but fit got no validation_data"):
        mlp([6, 4, 1], "relu", "sigmoid").fit(X, y, callbacks=[nncore.EarlyStopping()])


def test_divergence_raises_names_the_epoch_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 10
    y = X @ [3.0, -2.0, 1.0] * 100
    ended = []
    model = mlp([3, 8, 1], "relu", "identity", seed=0)
    with pytest.raises(nncore.TrainingDiverged, match=r"epoch \d+.*smaller learning rate") as info:
        model.fit(X, y, optimizer=nncore.SGD(lr=10.0), epochs=100,
                  callbacks=[nncore.LambdaCallback(on_train_end=lambda m, h: ended.append(len(h)))])
    err = info.value
    assert err.history.epochs == list(range(1, err.epoch))      # every epoch before it
    assert np.isfinite(err.history.history["train_loss"]).all()
    assert "lr=10" in str(err) and ended == [err.epoch - 1]
    assert np.isfinite(model.parameters).all()


def test_history_records_form_a_tidy_table():
    X, y = admissions()
    history = mlp([6, 4, 1], "relu", "sigmoid").fit(X, y, epochs=3, validation_data=(X, y))
    records = history.records()
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert set(records[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert history.last()["val_loss"] == records[-1]["val_loss"]


def test_evaluate_matches_the_loss_function():
    X, y = admissions()
    model = mlp([6, 4, 1], "relu", "sigmoid", seed=0)
    scores = model.evaluate(X, y)
    p = model.predict_proba(X)[:, 0]
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert scores["loss"] == pytest.approx(expected)
    assert scores["accuracy"] == nncore.accuracy(y, model.predict(X))


def test_summary_and_repr_show_layers_and_parameter_counts():
    model = nncore.Sequential([nncore.Dense(6, 8, activation="relu"),
                               nncore.Dense(8, 1, activation="sigmoid")], seed=0)
    text = model.summary()
    assert "65 parameters" in text and "6 -> 8" in text and "relu" in text and "56" in text
    assert repr(model).startswith("Sequential([Dense(6, 8, activation='relu')")
    assert model.n_params == 65


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_model_keeps_its_weights_and_still_trains(how):
    """joblib pickles models and sklearn clones them: views must survive the copy."""
    import copy
    import pickle

    X, y = admissions()
    model = mlp([6, 4, 1], "relu", "sigmoid", seed=0)
    model.fit(X, y, epochs=2)
    twin = pickle.loads(pickle.dumps(model)) if how == "pickle" else copy.deepcopy(model)
    np.testing.assert_array_equal(twin.predict_proba(X), model.predict_proba(X))
    assert np.shares_memory(twin.layers[0].W, twin.parameters)
    before = twin.layers[0].W.copy()
    twin.fit(X, y, optimizer=nncore.SGD(lr=0.5), epochs=3)
    assert not np.array_equal(before, twin.layers[0].W)
    np.testing.assert_array_equal(model.layers[0].W, model.state_dict()["layers.0.W"])


# --------------------------------------------------------------------------- the callback contract


def regression_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    return X, X @ [1.0, -2.0, 0.5] + rng.normal(scale=0.1, size=60)


def test_callbacks_share_one_logs_dict_and_the_history_records_it_after_them():
    """A callback rewrites train_rmse in place: later callbacks and the history see it."""
    X, y = regression_data()
    plain = mlp([3, 4, 1], "tanh", "identity", seed=0).fit(X, y, epochs=6)

    def in_tens(model, epoch, logs):
        logs["train_rmse"] *= 10
        logs["added"] = float(epoch)

    seen_later: list[tuple[float, float]] = []
    stopper = nncore.EarlyStopping(monitor="train_rmse", patience=50)
    scaled = mlp([3, 4, 1], "tanh", "identity", seed=0).fit(
        X, y, epochs=6,
        callbacks=[nncore.LambdaCallback(on_epoch_end=in_tens),
                   nncore.LambdaCallback(on_epoch_end=lambda m, e, logs: seen_later.append(
                       (logs["train_rmse"], logs["added"]))),
                   stopper])
    assert scaled.history["train_rmse"] == [10 * v for v in plain.history["train_rmse"]]
    assert seen_later == list(zip(scaled.history["train_rmse"], [1.0, 2, 3, 4, 5, 6],
                                  strict=True))
    assert scaled.history["added"] == [1.0, 2, 3, 4, 5, 6]
    assert stopper.best == min(scaled.history["train_rmse"])      # it read the rewritten value
    assert scaled.history["train_loss"] == plain.history["train_loss"]


def test_the_perceptron_keeps_the_same_callback_contract():
    def halve(model, epoch, logs):
        logs["train_accuracy"] /= 2

    seen: list[float] = []
    history = nncore.Perceptron(2, seed=0).fit(
        XOR_X, XOR_Y, epochs=4,
        callbacks=[nncore.LambdaCallback(on_epoch_end=halve),
                   nncore.LambdaCallback(on_epoch_end=lambda m, e, logs: seen.append(
                       logs["train_accuracy"]))])
    plain = nncore.Perceptron(2, seed=0).fit(XOR_X, XOR_Y, epochs=4)
    assert history.history["train_accuracy"] == seen == [
        a / 2 for a in plain.history["train_accuracy"]]
    with pytest.raises(ValueError, match=r"callbacks must be nncore\.Callback instances"):
        nncore.Perceptron(2).fit(XOR_X, XOR_Y, callbacks=[print])


def test_history_columns_stay_one_entry_per_epoch_when_keys_come_and_go():
    X, y = regression_data()

    def sometimes(model, epoch, logs):
        if epoch >= 2:
            logs["late"] = float(epoch)
        if epoch == 2:
            del logs["train_rmse"]

    history = mlp([3, 1], "tanh", "identity").fit(
        X, y, epochs=3, callbacks=[nncore.LambdaCallback(on_epoch_end=sometimes)])
    late = history.history["late"]
    assert math.isnan(late[0]) and late[1:] == [2.0, 3.0]
    rmse = history.history["train_rmse"]
    assert len(rmse) == 3 and math.isnan(rmse[1]) and not math.isnan(rmse[2])
    assert [r["epoch"] for r in history.records()] == [1, 2, 3]


class Toy:
    """The least a model needs to run in run_epochs: stop flags and an lr to schedule."""

    def __init__(self) -> None:
        self.stop_training = False
        self.stop_reason: str | None = None
        self.lr = 1.0


class Recorder(nncore.Callback):
    def __init__(self, events: list) -> None:
        self.events = events

    def on_train_begin(self, model, params):
        self.events.append(("begin", params))

    def on_epoch_end(self, model, epoch, logs):
        self.events.append(("epoch", epoch, dict(logs)))

    def on_train_end(self, model, history):
        self.events.append(("end", len(history), model.lr))


def test_run_epochs_is_the_one_loop_in_order():
    toy, events = Toy(), []

    def step(epoch):
        events.append(("step", epoch, toy.lr))
        return {"x": float(epoch)}, ("all done" if epoch == 3 else None)

    history = run_epochs(toy, step, epochs=10, callbacks=[Recorder(events)], params={"a": 1},
                         lr_owner=toy, lr_schedule=nncore.StepDecay(0.5, 1))
    assert events == [
        ("begin", {"epochs": 10, "a": 1,
                   "lr_schedule": {"name": "step", "decay_rate": 0.5, "decay_epochs": 1}}),
        ("step", 1, 1.0), ("epoch", 1, {"x": 1.0, "lr": 1.0}),
        ("step", 2, 0.5), ("epoch", 2, {"x": 2.0, "lr": 0.5}),
        ("step", 3, 0.25), ("epoch", 3, {"x": 3.0, "lr": 0.25}),
        ("end", 3, 1.0),                               # the lr is back before on_train_end
    ]
    assert history.stop_reason == "all done" and not history.stopped_early


def test_run_epochs_turns_a_diverged_step_into_training_diverged():
    toy, events = Toy(), []

    def step(epoch):
        if epoch == 3:
            raise Diverged("the training loss is nan")
        return {"x": float(epoch)}, None

    with pytest.raises(nncore.TrainingDiverged,
                       match=r"^Training diverged at epoch 3: the training loss is nan\. "
                             r"Try a smaller learning rate \(lr=1 now; try 0\.1\)\.$") as info:
        run_epochs(toy, step, epochs=5, callbacks=[Recorder(events)], lr_owner=toy)
    assert info.value.history.epochs == [1, 2]
    assert [e[0] for e in events] == ["begin", "epoch", "epoch", "end"]
    with pytest.raises(ValueError, match="lr_schedule needs a learning rate to change"):
        run_epochs(toy, step, epochs=1, lr_schedule="cosine")


# --------------------------------------------------------------------------- issue 14, 11d


def _weights_after(model_factory, X, y, epochs, **fit):
    model = model_factory()
    model.fit(X, y, epochs=epochs, **fit)
    return model.parameters.copy()


def test_a_loss_that_grows_a_millionfold_is_a_divergence_even_while_finite():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ [3.0, -2.0, 1.0]
    fit = {"optimizer": nncore.SGD(lr=1.0), "batch_size": None}
    model = mlp([3, 1], "identity", "identity", seed=0)
    with pytest.raises(nncore.TrainingDiverged) as info:
        model.fit(X, y, epochs=200, **fit)     # the loss reached 2.9e97, finite, and FINISHED
    err = info.value
    losses = err.history.history["train_loss"]
    first = losses[0]
    assert str(err).startswith(f"Training diverged at epoch {err.epoch}: the training loss grew "
                               "to ")
    assert f"more than a million times its first value ({first:.4g})" in str(err)
    assert "Try a smaller learning rate (lr=1 now; try 0.1)." in str(err)
    assert err.history.epochs == list(range(1, err.epoch))
    assert max(losses) <= 1e6 * first and 2 < err.epoch < 40
    # The weights are those of the last epoch before it.
    expected = _weights_after(lambda: mlp([3, 1], "identity", "identity", seed=0), X, y,
                              err.epoch - 1, optimizer=nncore.SGD(lr=1.0), batch_size=None)
    np.testing.assert_array_equal(model.parameters, expected)


@pytest.mark.parametrize("batch_size", [None, 32])
def test_a_network_stuck_at_the_clipping_ceiling_is_a_divergence(batch_size):
    X, y = admissions()
    model = mlp([6, 8, 1], "sigmoid", "sigmoid", seed=0)
    with pytest.raises(nncore.TrainingDiverged) as info:
        model.fit(X, y, optimizer=nncore.SGD(lr=1e6), epochs=50, batch_size=batch_size)
    err = info.value
    assert err.epoch <= 5
    assert "wrong predictions are certain" in str(err) and "lr=1e+06 now" in str(err)
    assert err.history.epochs == list(range(1, err.epoch))
    assert np.isfinite(model.parameters).all()


def test_xor_stuck_at_18_is_reported_at_epoch_two():
    """The loss sat at 18.02 = -log(eps) / 2: half the outputs certain and wrong."""
    model = mlp([2, 4, 1], "tanh", "sigmoid", seed=0)
    with pytest.raises(nncore.TrainingDiverged,
                       match=r"^Training diverged at epoch 2: the network is stuck: its wrong "
                             r"predictions are certain \(training loss 18\.02 at accuracy 0\.5: "
                             r"every wrong output sits at binary_cross_entropy's clipping "
                             r"ceiling, -log\(eps\) = 36\.04\)\. Try") as info:
        model.fit(XOR_X, XOR_Y, loss="binary_cross_entropy", optimizer=nncore.SGD(lr=1e6),
                  epochs=500)
    expected = _weights_after(lambda: mlp([2, 4, 1], "tanh", "sigmoid", seed=0), XOR_X, XOR_Y, 1,
                              loss="binary_cross_entropy", optimizer=nncore.SGD(lr=1e6))
    np.testing.assert_array_equal(model.parameters, expected)
    assert info.value.history.epochs == [1]


def test_softmax_stuck_at_the_ceiling_is_a_divergence_in_float32_too():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(loc=c, size=(40, 2)) for c in ((0, 4), (4, 0), (-4, -4))])
    y = np.repeat([0, 1, 2], 40)
    model = mlp([2, 16, 3], "tanh", "softmax", seed=0, dtype="float32")
    with pytest.raises(nncore.TrainingDiverged, match="wrong predictions are certain"):
        model.fit(X.astype(np.float32), y, optimizer=nncore.SGD(lr=1e6), epochs=50)
    # With mini-batches the same run lands on 99% accuracy, saturated but right: no error.
    mlp([2, 16, 3], "tanh", "softmax", seed=0, dtype="float32").fit(
        X.astype(np.float32), y, optimizer=nncore.SGD(lr=1e6), epochs=10, batch_size=16)


def test_the_guard_stays_quiet_on_healthy_and_badly_initialised_runs():
    X, y = admissions()
    for dtype in ("float64", "float32"):
        model = mlp([6, 8, 1], "sigmoid", "sigmoid", seed=0, dtype=dtype)
        model.fit(X.astype(dtype), y, optimizer=nncore.SGD(lr=5.0, momentum=0.9), epochs=300,
                  batch_size=8)
    # Many classes: a starting cross-entropy of log(200) = 5.3 is not a stuck network.
    rng = np.random.default_rng(1)
    Xm = rng.normal(size=(400, 5)).astype(np.float32)
    ym = np.arange(400) % 200
    mlp([5, 200], "identity", "softmax", seed=0, dtype="float32").fit(
        Xm, ym, optimizer=nncore.Adam(lr=0.01), epochs=20)
    # Large weights at the start: saturated, partly wrong, but it recovers.
    big = mlp([6, 1], "identity", "sigmoid", seed=0)
    big.layers[0].W *= 12
    big.fit(X, y, optimizer=nncore.SGD(lr=0.1), epochs=50)
