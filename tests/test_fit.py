"""Tests for nn.training.fit: convergence, validation, metrics, class weights, errors."""

import math
import weakref

import numpy as np
import pytest

import nn
import nn.functional as F
import tinygrad_dk as tg
from nn import optim
from nn.losses import describe
from nn.training import EarlyStopping, History, TrainingDivergedError, evaluate, fit
from tinygrad_dk import Tensor

TRUE_W = np.array([1.5, -2.0, 0.5])
TRUE_B = 0.3


def linear_data(n=200, seed=0, noise=0.0):
    """y = X @ TRUE_W + TRUE_B (+ noise), features ~ N(0, 1), targets as a column."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = X @ TRUE_W + TRUE_B + noise * rng.normal(size=n)
    return X, y.astype(np.float32).reshape(-1, 1)


def separable_data(n=200, seed=0):
    """Two classes on either side of the line x0 + x1 = 0, with a margin of 0.5."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(4 * n, 2))
    X = X[np.abs(X.sum(axis=1)) > 0.5][:n].astype(np.float32)
    return X, (X.sum(axis=1) > 0).astype(np.int64)


def linear_model(seed=0, n_in=3, n_out=1):
    tg.manual_seed(seed)
    return nn.Linear(n_in, n_out)


# ----------------------------------------------------------------------- convergence
# The regression data has no noise, so a Linear model can reach a loss of exactly 0.
# The initial MSE is about |TRUE_W|^2 + TRUE_B^2 ~ 6.6; a threshold of 1e-3 is almost
# four orders of magnitude below that and far below anything a wrong gradient,
# a missing optimizer step or a mixed-up batch could reach.


def test_full_batch_gradient_descent_converges_on_linear_regression():
    X, y = linear_data()
    model = linear_model()
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.2), X, y,
                  epochs=100, progress=False)
    assert history.history["loss"][0] > 1.0
    assert history.history["loss"][-1] < 1e-3
    np.testing.assert_allclose(model.weight.data.ravel(), TRUE_W, atol=0.02)
    np.testing.assert_allclose(model.bias.data.ravel(), [TRUE_B], atol=0.02)


def test_full_batch_loss_never_rises_with_a_small_learning_rate():
    # Full-batch gradient descent with a step below 1/L decreases the loss every epoch.
    X, y = linear_data(noise=0.5)
    model = linear_model()
    losses = fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), X, y,
                 epochs=30, progress=False).history["loss"]
    assert all(b <= a + 1e-7 for a, b in zip(losses, losses[1:]))


def test_mini_batch_sgd_converges_in_fewer_epochs():
    X, y = linear_data()
    model = linear_model()
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), X, y,
                  epochs=15, batch_size=16, seed=0, progress=False)
    assert history.history["loss"][-1] < 1e-3
    # the same 15 epochs full-batch (15 steps in all) are nowhere near
    model = linear_model()
    full = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), X, y,
               epochs=15, progress=False)
    assert full.history["loss"][-1] > 100 * history.history["loss"][-1]


def test_step_losses_hold_one_loss_per_gradient_step():
    X, y = linear_data(n=200)
    model = linear_model()
    full = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), X, y,
               epochs=3, progress=False)
    assert len(full.step_losses) == 3  # full batch: one step per epoch
    # the first step's loss is the loss of the untouched model on all rows
    fresh = linear_model()
    expected = float(((X @ fresh.weight.data.T + fresh.bias.data - y) ** 2).mean())
    assert full.step_losses[0] == pytest.approx(expected, rel=1e-5)
    model = linear_model()
    sgd = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), X, y,
              epochs=3, batch_size=32, seed=0, progress=False)
    assert len(sgd.step_losses) == 3 * 7  # ceil(200 / 32) = 7 steps per epoch
    assert sgd.step_losses[-1] < sgd.step_losses[0]


class _Watched(nn.Module):
    """A Linear layer that records, at each forward pass, what is still alive then."""

    def __init__(self):
        super().__init__()
        self.inner = linear_model()
        self.last_output = None  # a weak reference to the previous batch's output
        self.seen = []  # per forward: (previous output alive?, any parameter with a .grad?)

    def forward(self, x):
        previous_alive = self.last_output is not None and self.last_output() is not None
        has_grad = any(p.grad is not None for p in self.parameters())
        self.seen.append((previous_alive, has_grad))
        out = self.inner(x)
        self.last_output = weakref.ref(out)
        return out


def test_each_step_is_zero_grad_forward_backward_step_and_frees_the_last_batch():
    # fit's step is the PyTorch loop: the gradients are cleared before the forward pass,
    # and the previous batch's graph (its activations) is gone by then, so the forward
    # pass never allocates beside them (peak memory of W3f: 4.8 -> 3.2 MiB)
    X, y = linear_data(n=64)
    model = _Watched()
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), X, y, epochs=2,
        batch_size=16, seed=0, progress=False)
    training = [s for i, s in enumerate(model.seen) if i % 8 < 4]  # 4 steps, then 4 eval
    assert len(model.seen) == 2 * (4 + 4)
    assert training == [(False, False)] * 8
    # the last step's gradients stay, as after a hand-written loop
    assert model.inner.weight.grad is not None


def test_step_losses_are_python_floats_and_a_value_has_item(monkeypatch):
    # fit reads each batch loss as a number (item()), never as an array handed out of
    # the recorded graph, which tinygrad_dk.saved_data would copy and watch every batch
    from tinygrad_dk import saved_data
    watched = []
    real_watch = saved_data.watch
    monkeypatch.setattr(saved_data, "watch", lambda t: (watched.append(t), real_watch(t)))
    X, y = linear_data(n=40)
    model = linear_model()
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), X, y,
                  epochs=1, batch_size=8, seed=0, progress=False)
    assert watched == []
    assert all(type(v) is float for v in history.step_losses)
    assert tg.Value(2.5).item() == 2.5 and type(tg.Value(2).item()) is float


@pytest.mark.parametrize("batch_size", [None, 32])
def test_separable_classification_reaches_full_accuracy(batch_size):
    X, y = separable_data()
    model = linear_model(n_in=2, n_out=2)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.1), X, y,
                  epochs=40, batch_size=batch_size, seed=1, metrics=["accuracy"],
                  progress=False)
    assert history.history["accuracy"][-1] == 1.0
    assert history.history["loss"][-1] < history.history["loss"][0] / 3


def test_batches_are_reshuffled_each_epoch_and_seeded():
    X, y = linear_data(n=50, noise=0.1)
    seen = []

    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = linear_model()

        def forward(self, x):
            if self.training:
                seen.append(x.data[:, 0].copy())
            return self.inner(x)

    def run(seed):
        seen.clear()
        model = Recorder()
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), X, y, epochs=2,
            batch_size=10, seed=seed, progress=False)
        return [s.copy() for s in seen]

    first = run(0)
    assert len(first) == 10  # 5 batches x 2 epochs
    epoch0, epoch1 = np.concatenate(first[:5]), np.concatenate(first[5:])
    assert sorted(epoch0) == sorted(X[:, 0]) and sorted(epoch1) == sorted(X[:, 0])
    assert not np.array_equal(epoch0, epoch1)           # a new order every epoch
    assert all(np.array_equal(a, b) for a, b in zip(first, run(0)))  # same seed, same order
    assert not np.array_equal(epoch0, np.concatenate(run(1)[:5]))


def test_inputs_as_tensors_and_lists():
    X, y = linear_data(n=40)
    model = linear_model()
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), Tensor(X), Tensor(y),
            epochs=3, progress=False)
    model2 = linear_model()
    h2 = fit(model2, nn.MSELoss(), optim.SGD(model2.parameters(), lr=0.1), X.tolist(),
             y.tolist(), epochs=3, progress=False)
    np.testing.assert_allclose(h.history["loss"], h2.history["loss"], rtol=1e-5)


# ----------------------------------------------------------------------- validation, History


def test_validation_split_takes_the_last_rows():
    X, y = separable_data(n=100)
    sizes = []

    def count(y_true, y_pred):
        sizes.append(np.asarray(y_true).copy())
        return 0.0

    model = linear_model(n_in=2, n_out=2)
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y,
            epochs=2, validation_split=0.25, metrics=[count], progress=False)
    assert set(h.history) == {"loss", "count", "val_loss", "val_count"}
    np.testing.assert_array_equal(sizes[0], y[:75])   # training part first ...
    np.testing.assert_array_equal(sizes[1], y[75:])   # ... validation = the last 25%


def test_validation_data_gives_val_metrics_and_history_is_consistent():
    X, y = separable_data(n=150)
    model = linear_model(n_in=2, n_out=2)
    epochs = 7
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), X[:100],
            y[:100], epochs=epochs, validation_data=(X[100:], y[100:]),
            metrics=["accuracy", "f1", "precision", "recall"], progress=False)
    assert isinstance(h, History)
    assert list(h.history) == ["loss", "accuracy", "f1", "precision", "recall", "val_loss",
                               "val_accuracy", "val_f1", "val_precision", "val_recall"]
    assert h.epochs == list(range(epochs)) and len(h) == epochs
    assert all(len(v) == epochs for v in h.history.values())
    assert h.best_epoch == int(np.argmin(h.history["val_loss"]))
    assert h.stopped_epoch is None and h.monitor == "val_loss"
    assert "History(epochs=7" in repr(h) and "val_loss" in repr(h)
    # the logged val_loss is the loss of the final model on the validation data
    final = evaluate(model, nn.CrossEntropyLoss(), X[100:], y[100:], metrics=["accuracy"])
    assert math.isclose(final["loss"], h.history["val_loss"][-1], rel_tol=1e-5)
    assert final["accuracy"] == h.history["val_accuracy"][-1]


def test_best_epoch_without_validation_uses_the_training_loss():
    X, y = linear_data(n=40)
    model = linear_model()
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=5,
            progress=False)
    assert h.monitor == "loss" and h.best_epoch == 4


def test_training_loss_is_the_loss_over_all_rows_at_the_end_of_the_epoch():
    X, y = linear_data(n=50, noise=0.3)
    model = linear_model()
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), X, y, epochs=2,
            batch_size=8, seed=0, progress=False)
    with tg.no_grad():
        direct = float(F.mse_loss(model(Tensor(X)), Tensor(y)).item())
    assert math.isclose(h.history["loss"][-1], direct, rel_tol=1e-5)


def test_regression_metrics():
    X, y = linear_data(n=80, noise=0.1)
    model = linear_model()
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=30,
            metrics=("r2", "rmse", "mae"), validation_split=0.2, progress=False)
    assert h.history["val_r2"][-1] > 0.95
    assert math.isclose(h.history["rmse"][-1] ** 2, h.history["loss"][-1], rel_tol=1e-3)


def test_model_is_left_in_eval_mode_and_dropout_is_off_during_evaluation():
    X, y = linear_data(n=60)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), X, y, epochs=2,
            progress=False)
    assert model.training is False
    with tg.no_grad():
        direct = float(F.mse_loss(model(Tensor(X)), Tensor(y)).item())
    assert math.isclose(h.history["loss"][-1], direct, rel_tol=1e-5)


# ----------------------------------------------------------------------- predictions


def test_prediction_rule_for_logits_probabilities_and_hinge_targets():
    # Each loss says how outputs become predictions (describe() also covers the functions).
    logits = np.array([[-2.0], [0.0], [3.0]])
    np.testing.assert_array_equal(describe(nn.BCEWithLogitsLoss()).predict(logits), [0, 1, 1])
    np.testing.assert_array_equal(describe(nn.BCELoss()).predict(np.array([0.2, 0.5, 0.7])),
                                  [0, 1, 1])
    np.testing.assert_array_equal(describe(F.hinge_loss).predict(np.array([-0.3, 0.4])),
                                  [-1, 1])
    np.testing.assert_array_equal(describe(nn.CrossEntropyLoss()).predict(
        np.array([[0.1, 0.5, 0.2], [3.0, 0.0, 1.0]])), [1, 0])
    np.testing.assert_array_equal(describe(nn.MSELoss()).predict(np.array([[1.5], [2.5]])),
                                  [1.5, 2.5])
    assert describe(F.cross_entropy).task == "classification"
    assert describe(nn.HuberLoss()).task == "regression"
    assert describe(lambda out, y: ((out - y) ** 2).mean()).task == "regression"


def test_binary_logit_model_and_predict_override():
    X, y = separable_data(n=100)
    yf = y.astype(np.float32).reshape(-1, 1)
    model = linear_model(n_in=2, n_out=1)
    h = fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.1), X, yf,
            epochs=30, metrics=["accuracy"], progress=False)
    assert h.history["accuracy"][-1] == 1.0
    # a predict= rule that always says 0 gives the fraction of zeros as accuracy
    h = fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.1), X, yf,
            epochs=1, metrics=["accuracy"], predict=lambda out: np.zeros(len(out)),
            progress=False)
    assert math.isclose(h.history["accuracy"][0], float(np.mean(y == 0)))


# ----------------------------------------------------------------------- class weights


def imbalanced_data(seed=0, n=1000):
    """95% class 0 around (0, 0), 5% class 1 around (1.5, 1.5): the classes overlap."""
    rng = np.random.default_rng(seed)
    n1 = n // 20
    X = np.vstack([rng.normal(0, 1, size=(n - n1, 2)), rng.normal(1.5, 1, size=(n1, 2))])
    y = np.r_[np.zeros(n - n1), np.ones(n1)].astype(np.int64)
    order = rng.permutation(n)
    return X[order].astype(np.float32), y[order]


@pytest.mark.parametrize("loss_fn", [nn.CrossEntropyLoss(), F.cross_entropy])
def test_class_weights_raise_minority_recall(loss_fn):
    X, y = imbalanced_data()
    X_test, y_test = imbalanced_data(seed=1)

    def minority_recall(class_weight):
        model = linear_model(n_in=2, n_out=2)
        fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.05), X, y, epochs=60,
            class_weight=class_weight, progress=False)
        return evaluate(model, loss_fn, X_test, y_test, metrics=["recall"])["recall"]

    plain, balanced = minority_recall(None), minority_recall("balanced")
    # without weights the model mostly predicts the majority class
    assert plain < 0.5
    assert balanced > plain + 0.4
    assert minority_recall({0: 1.0, 1: 19.0}) > plain + 0.4
    assert minority_recall([1.0, 19.0]) > plain + 0.4
    # the loss module's own reduction is left as it was
    assert getattr(loss_fn, "reduction", "mean") == "mean"


def test_class_weighted_loss_is_the_weighted_mean_of_per_sample_losses():
    X, y = separable_data(n=30)
    model = linear_model(n_in=2, n_out=2)
    h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), X, y,
            epochs=1, class_weight={0: 1.0, 1: 3.0}, progress=False)
    with tg.no_grad():
        per_sample = F.cross_entropy(model(Tensor(X)), Tensor(y), reduction="none").data
    w = np.where(y == 1, 3.0, 1.0)
    assert math.isclose(h.history["loss"][0], float((w * per_sample).sum() / w.sum()),
                        rel_tol=1e-5)


def test_class_weight_errors():
    X, y = separable_data(n=30)
    model = linear_model(n_in=2, n_out=2)
    opt = optim.SGD(model.parameters(), lr=0.1)

    def no_reduction(logits, target):
        return F.cross_entropy(logits, target)

    with pytest.raises(TypeError, match="reduction"):
        fit(model, no_reduction, opt, X, y, epochs=1, class_weight="balanced", progress=False)
    with pytest.raises(ValueError, match="no weight for class 1"):
        fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=1, class_weight={0: 1.0},
            progress=False)
    with pytest.raises(ValueError, match="balanced"):
        fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=1, class_weight="equal",
            progress=False)


# ----------------------------------------------------------------------- errors


def test_divergence_names_the_epoch_and_suggests_a_fix():
    X, y = linear_data(n=50)
    X = X * 100  # unscaled features and a huge learning rate: the weights explode
    model = linear_model()
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+/50") as info:
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=10.0), X, y, epochs=50,
            progress=False)
    assert isinstance(info.value, FloatingPointError)
    message = str(info.value)
    assert "learning rate" in message and "scale" in message
    assert 0 <= info.value.epoch < 50


def test_nan_in_X_is_refused_before_training():
    X, y = linear_data(n=20)
    X[3, 1] = np.nan
    X[7, 1] = np.nan
    X[7, 2] = np.inf
    model = linear_model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"2 of 20 rows \(in 2 columns: 1, 2\)") as info:
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3,
            progress=False)
    assert "imputation" in str(info.value) and "drop" in str(info.value)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_nan_in_y_and_in_validation_data_are_refused():
    X, y = linear_data(n=20)
    model = linear_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    y_bad = y.copy()
    y_bad[0] = np.nan
    with pytest.raises(ValueError, match="y contains NaN in 1 of 20 rows"):
        fit(model, nn.MSELoss(), opt, X, y_bad, epochs=1, progress=False)
    with pytest.raises(ValueError, match="validation"):
        fit(model, nn.MSELoss(), opt, X, y, epochs=1, validation_data=(X, y_bad),
            progress=False)


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"epochs": 0}, ValueError, "epochs=0"),
    ({"epochs": 2.5}, TypeError, "whole number"),
    ({"epochs": 1, "batch_size": 0}, ValueError, "batch_size=0"),
    ({"epochs": 1, "validation_split": 1.5}, ValueError, "between 0 and 1"),
    ({"epochs": 1, "validation_split": 0.2, "validation_data": ([[0, 0, 0]], [[0]])},
     ValueError, "not both"),
    ({"epochs": 1, "metrics": ["acuracy"]}, ValueError, "unknown metric"),
    ({"epochs": 1, "early_stopping": EarlyStopping()}, ValueError, "validation_split"),
])
def test_bad_arguments(kwargs, error, pattern):
    X, y = linear_data(n=20)
    model = linear_model()
    with pytest.raises(error, match=pattern):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y,
            progress=False, **kwargs)


def test_empty_and_mismatched_data():
    model = linear_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        fit(model, nn.MSELoss(), opt, np.zeros((0, 3)), np.zeros((0, 1)), epochs=1)
    with pytest.raises(ValueError, match="same number of samples"):
        fit(model, nn.MSELoss(), opt, np.zeros((5, 3)), np.zeros((4, 1)), epochs=1)


def test_no_progress_output_when_not_a_terminal(capsys):
    X, y = linear_data(n=20)
    model = linear_model()
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# ----------------------------------------------------------------------- scalar engine


def test_scalar_mlp_trains_full_batch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 2))
    y = np.where(X[:, 0] - X[:, 1] > 0, 1.0, -1.0)
    tg.manual_seed(0)
    model = nn.MLP(2, [4, 1])
    h = fit(model, F.hinge_loss, optim.SGD(model.parameters(), lr=0.2), X, y, epochs=20,
            metrics=["accuracy"], progress=False)
    losses = h.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))
    assert h.history["accuracy"][-1] >= 0.9


def test_scalar_mlp_with_mini_batches_and_class_weights():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2))
    y = (X[:, 0] > 0.8).astype(float)
    tg.manual_seed(1)
    model = nn.MLP(2, [3, 1])
    h = fit(model, F.binary_cross_entropy_with_logits, optim.SGD(model.parameters(), lr=0.1),
            X, y, epochs=4, batch_size=5, seed=0, class_weight="balanced",
            validation_split=0.25, metrics=["accuracy"], progress=False)
    assert len(h) == 4 and all(np.isfinite(h.history["val_loss"]))
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_progress_bar_shows_loss_and_val_loss_on_a_terminal(capsys, monkeypatch):
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    X, y = linear_data(n=20)
    model = linear_model()
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3,
        validation_split=0.25)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=" in err and "val_loss=" in err
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3,
        progress=False)
    assert capsys.readouterr().err == ""


def test_validation_split_of_sorted_classes_warns():
    X, y = separable_data(n=40)
    order = np.argsort(y, kind="stable")  # all of class 0 first: the last rows are class 1
    model = linear_model(n_in=2, n_out=2)
    with pytest.warns(UserWarning, match="look sorted"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X[order],
            y[order], epochs=1, validation_split=0.2, progress=False)
