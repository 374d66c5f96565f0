"""Tests for nn.training.EarlyStopping: when it stops, and that it restores the best weights."""

import numpy as np
import pytest

import nn
import nn.functional as F
import tinygrad_dk as tg
from nn import optim
from nn.training import EarlyStopping, fit
from nn.training.early_stopping import infer_mode, restore_weights, snapshot_weights
from tinygrad_dk import Tensor, Value


def regression_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -1.0, 2.0]) + 0.5 * rng.normal(size=n)).astype(np.float32)
    return X, y.reshape(-1, 1)


def scripted_metric(val_scores, n_val, model=None, snapshots=None):
    """A metric that returns val_scores[epoch] on the validation rows (0 on training rows).

    The validation set is recognised by its length `n_val`. If `model` is given, the
    weights at the end of every epoch are recorded in `snapshots` (the metric runs
    after the epoch's training steps, so these are exactly the epoch's weights).
    """
    calls = {"epoch": 0}

    def score(y_true, y_pred):
        if len(y_true) != n_val:
            return 0.0
        epoch = calls["epoch"]
        calls["epoch"] += 1
        if snapshots is not None:
            snapshots.append(model.state_dict())
        return float(val_scores[epoch])

    return score


def run_scripted(val_scores, epochs=None, restore_best=True, min_delta=0.0, patience=3,
                 mode="min", lr=0.05):
    """fit a Linear model while early stopping watches a scripted validation score."""
    X, y = regression_data()
    tg.manual_seed(0)
    model = nn.Linear(3, 1)
    snapshots = []
    metric = scripted_metric(val_scores, 15, model, snapshots)
    stopper = EarlyStopping(monitor="val_score", patience=patience, min_delta=min_delta,
                            restore_best=restore_best, mode=mode)
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), X, y,
                  epochs=epochs or len(val_scores), validation_split=0.25,
                  metrics={"score": metric}, early_stopping=stopper, progress=False)
    return model, stopper, history, snapshots


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


# ----------------------------------------------------------------------- when it stops


def test_stops_after_patience_epochs_without_improvement():
    scores = [5, 4, 3, 3.5, 4, 5, 6, 7, 8, 9]  # best at epoch 2
    _, stopper, history, _ = run_scripted(scores, patience=3)
    assert stopper.best_epoch == 2 and stopper.best_score == 3
    assert stopper.stopped_epoch == 5  # epochs 3, 4, 5 without improvement
    assert history.stopped_epoch == 5 and history.best_epoch == 2
    assert len(history) == 6 and history.epochs == list(range(6))
    assert history.history["val_score"] == [5, 4, 3, 3.5, 4, 5]


def test_an_improvement_resets_the_patience_counter():
    scores = [5, 6, 7, 4, 5, 6, 3, 9, 9, 9, 9, 9]
    _, stopper, history, _ = run_scripted(scores, patience=3)
    assert stopper.best_epoch == 6 and stopper.stopped_epoch == 9
    assert len(history) == 10


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
    _, stopper, history, _ = run_scripted([3, 2, 2, 1], patience=0)
    assert stopper.stopped_epoch == 2 and len(history) == 3  # 2 is not better than 2


def test_min_delta_ignores_tiny_improvements():
    scores = [1.0, 0.99, 0.985, 0.98, 0.5, 0.4]
    _, stopper, history, _ = run_scripted(scores, patience=3, min_delta=0.05)
    assert stopper.best_epoch == 0 and stopper.stopped_epoch == 3
    _, stopper, _, _ = run_scripted(scores, patience=3, min_delta=0.0)
    assert stopper.best_epoch == 5 and stopper.stopped_epoch is None


def test_mode_max_for_accuracy_like_scores():
    scores = [0.5, 0.7, 0.9, 0.8, 0.85, 0.6]
    _, stopper, _, _ = run_scripted(scores, patience=3, mode="max")
    assert stopper.best_epoch == 2 and stopper.best_score == 0.9
    assert stopper.stopped_epoch == 5


def test_nan_scores_never_count_as_improvement():
    _, stopper, _, _ = run_scripted([2.0, float("nan"), float("nan")], patience=2)
    assert stopper.best_epoch == 0 and stopper.stopped_epoch == 2


def test_auto_mode():
    assert infer_mode("val_loss") == "min" and infer_mode("loss") == "min"
    assert infer_mode("val_rmse") == "min" and infer_mode("val_mae") == "min"
    assert infer_mode("val_accuracy") == "max" and infer_mode("f1") == "max"
    assert infer_mode("val_r2") == "max" and infer_mode("val_recall") == "max"
    assert EarlyStopping("val_accuracy").mode == "max"
    assert EarlyStopping("val_accuracy", mode="min").mode == "min"
    with pytest.raises(ValueError, match="mode='min'"):
        EarlyStopping("val_wibble")


@pytest.mark.parametrize("kwargs, error", [
    ({"patience": -1}, ValueError), ({"patience": 2.5}, TypeError),
    ({"min_delta": -0.1}, ValueError), ({"mode": "smallest"}, ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        EarlyStopping(**kwargs)


def test_monitoring_something_fit_does_not_log_fails_before_training():
    X, y = regression_data()
    model = nn.Linear(3, 1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="val_accuracy"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3,
            validation_split=0.2, early_stopping=EarlyStopping("val_accuracy"),
            progress=False)
    assert_same_weights(model.state_dict(), before)


# ----------------------------------------------------------------------- the best weights


def test_restores_exactly_the_best_epochs_weights():
    scores = [5, 4, 3, 3.5, 4, 5, 6]
    model, stopper, _, snapshots = run_scripted(scores, patience=3)
    assert len(snapshots) == 6
    # training went on after the best epoch, so the last weights differ from the best ...
    assert not np.array_equal(snapshots[-1]["weight"], snapshots[2]["weight"])
    # ... but the model ends up holding the best epoch's weights, bit for bit
    assert_same_weights(model.state_dict(), snapshots[2])


def test_restore_best_false_keeps_the_last_weights():
    model, _, _, snapshots = run_scripted([5, 4, 3, 3.5, 4, 5, 6], patience=3,
                                          restore_best=False)
    assert_same_weights(model.state_dict(), snapshots[-1])


def test_restores_the_best_weights_even_when_all_epochs_ran():
    model, stopper, history, snapshots = run_scripted([3, 1, 2, 2.5], patience=10)
    assert stopper.stopped_epoch is None and history.stopped_epoch is None
    assert_same_weights(model.state_dict(), snapshots[1])


def test_real_overfitting_run_restores_the_val_loss_minimum():
    # Few noisy samples and a wide network: the validation loss falls, then rises.
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(40, 1)).astype(np.float32)
    y = (np.sin(3 * X) + 0.4 * rng.normal(size=(40, 1))).astype(np.float32)
    tg.manual_seed(3)
    model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                          nn.Linear(64, 1))
    snapshots = []

    def record(y_true, y_pred):  # called on the 12 validation rows once per epoch
        if len(y_true) == 12:
            snapshots.append(model.state_dict())
        return 0.0

    stopper = EarlyStopping(patience=15)
    history = fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.02), X[:28], y[:28],
                  epochs=300, validation_data=(X[28:], y[28:]), metrics=[record],
                  early_stopping=stopper, progress=False)
    val = history.history["val_loss"]
    assert stopper.stopped_epoch is not None and len(val) < 300
    assert stopper.best_epoch == int(np.argmin(val)) == history.best_epoch
    assert stopper.best_score == min(val)
    assert_same_weights(model.state_dict(), snapshots[stopper.best_epoch])
    with tg.no_grad():
        restored = float(F.mse_loss(model(Tensor(X[28:])), Tensor(y[28:])).item())
    assert restored == pytest.approx(min(val), rel=1e-6)


def test_one_object_can_be_reused_for_several_fits():
    stopper = EarlyStopping(monitor="val_loss", patience=1)
    X, y = regression_data()
    for _ in range(2):
        tg.manual_seed(0)
        model = nn.Linear(3, 1)
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=5,
            validation_split=0.2, early_stopping=stopper, progress=False)
        assert stopper.best_epoch == 4 and stopper.stopped_epoch is None
    assert "best_epoch=4" in repr(stopper)


def test_scalar_mlp_weights_are_restored():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 2))
    y = X[:, 0] - X[:, 1]
    tg.manual_seed(0)
    model = nn.MLP(2, [3, 1])
    snapshots = []
    metric = scripted_metric([3, 1, 2, 4, 5], 4, model, snapshots)
    fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), X, y, epochs=5,
        validation_split=0.25, metrics={"score": metric},
        early_stopping=EarlyStopping("val_score", patience=2, mode="min"), progress=False)
    assert len(snapshots) == 4
    assert_same_weights(model.state_dict(), snapshots[1])


def test_snapshot_of_a_model_without_state_dict():
    class Bare:  # only parameters(): the fallback copies each parameter's data
        def __init__(self):
            self.w, self.v = Tensor(np.arange(3.0), requires_grad=True), Value(2.0)

        def parameters(self):
            return [self.w, self.v]

    model = Bare()
    saved = snapshot_weights(model)
    model.w.data[...] = -1.0  # in-place change must not reach the copy
    model.v.data = 7.0
    restore_weights(model, saved)
    np.testing.assert_array_equal(model.w.data, [0.0, 1.0, 2.0])
    assert model.v.data == 2.0
