"""Tests for nn.training.cross_validate: folds, summaries, reproducibility, no leakage."""

import numpy as np
import pytest

import nn
from nn import optim
from nn.data import MinMaxScaler, StandardScaler
from nn.training import CrossValidationResult, EarlyStopping, History, cross_validate


def blobs(n=60, seed=0):
    """Two Gaussian classes, 2:1, in two features on very different scales."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 3 == 0).astype(np.int64)
    X = rng.normal(size=(n, 2)) + 1.5 * y[:, None]
    X[:, 1] *= 1000.0
    return X.astype(np.float32), y


def make_classifier():
    return nn.Linear(2, 2)


def make_adam(params):
    return optim.Adam(params, lr=0.1)


def run(X, y, **kwargs):
    kwargs.setdefault("epochs", 10)
    return cross_validate(make_classifier, make_adam, nn.CrossEntropyLoss(), X, y, **kwargs)


def test_one_score_per_fold_and_summaries_from_them():
    X, y = blobs()
    result = run(X, y, k=4, metrics=("accuracy", "f1"), seed=0)
    assert isinstance(result, CrossValidationResult)
    assert set(result.scores) == {"loss", "accuracy", "f1"}
    assert all(len(v) == 4 for v in result.scores.values())
    for name, values in result.scores.items():
        assert result.mean[name] == pytest.approx(np.mean(values))
        assert result.std[name] == pytest.approx(np.std(values))
    assert len(result.histories) == 4
    assert all(isinstance(h, History) and len(h) == 10 for h in result.histories)
    assert result["mean"] is result.mean
    assert result.mean["accuracy"] > 0.75  # the classes are well apart once scaled
    assert "accuracy:" in repr(result) and "+/-" in repr(result)


def test_every_sample_is_tested_exactly_once_and_folds_are_stratified():
    X, y = blobs()
    result = run(X, y, k=5, seed=1, epochs=1)
    tested = np.concatenate([test for _, test in result.folds])
    assert sorted(tested.tolist()) == list(range(len(X)))
    for train, test in result.folds:
        assert not set(train) & set(test)
        assert np.mean(y[test]) == pytest.approx(np.mean(y), abs=0.1)


def test_the_same_seed_gives_the_same_scores():
    X, y = blobs()
    a = run(X, y, k=3, seed=7, batch_size=8)
    b = run(X, y, k=3, seed=7, batch_size=8)
    assert a.scores == b.scores
    for (ta, sa), (tb, sb) in zip(a.folds, b.folds):
        np.testing.assert_array_equal(ta, tb)
        np.testing.assert_array_equal(sa, sb)


class SpyScaler(StandardScaler):
    """A StandardScaler that records the rows it is fitted on and the rows it transforms."""

    fitted_on: list = []
    transformed: list = []

    def fit(self, X):
        SpyScaler.fitted_on.append(np.asarray(X)[:, 0].copy())
        return super().fit(X)

    def transform(self, X):
        SpyScaler.transformed.append(np.asarray(X)[:, 0].copy())
        return super().transform(X)


def test_the_scaler_is_fitted_inside_each_fold_on_training_rows_only():
    X, y = blobs()
    X[:, 0] = np.arange(len(X))  # column 0 is now the row number: a row's identity
    SpyScaler.fitted_on, SpyScaler.transformed = [], []
    result = run(X, y, k=4, seed=0, epochs=1, scale=SpyScaler)
    assert len(SpyScaler.fitted_on) == 4  # a fresh fit in every fold
    for seen, (train, test) in zip(SpyScaler.fitted_on, result.folds):
        assert sorted(seen.astype(int).tolist()) == sorted(train.tolist())
        assert not set(seen.astype(int).tolist()) & set(test.tolist())
    # each fold's test rows are transformed with that fold's training statistics
    tested = [rows for rows in SpyScaler.transformed if len(rows) < len(X) // 2]
    assert [sorted(r.astype(int).tolist()) for r in tested] == [
        sorted(test.tolist()) for _, test in result.folds]


def test_scaling_makes_unscaled_features_learnable():
    # feature 1 is in the thousands: without scaling its gradient swamps feature 0's
    X, y = blobs()
    scaled = run(X, y, k=3, seed=0, epochs=20, scale=True)
    assert scaled.mean["accuracy"] > 0.75
    unscaled = run(X, y, k=3, seed=0, epochs=20, scale=False)
    assert unscaled.mean["accuracy"] < scaled.mean["accuracy"] - 0.15
    minmax = run(X, y, k=3, seed=0, epochs=20, scale=MinMaxScaler)
    assert minmax.mean["accuracy"] > 0.7


def test_regression_with_plain_kfold():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    y = (X @ np.array([1.0, 2.0, -1.0]) + 0.1 * rng.normal(size=50)).astype(np.float32)
    result = cross_validate(lambda: nn.Linear(3, 1), lambda p: optim.SGD(p, lr=0.1),
                            nn.MSELoss(), X, y.reshape(-1, 1), k=5, stratified=False,
                            metrics=("r2", "rmse"), seed=0, epochs=40)
    assert len(result.scores["r2"]) == 5 and result.mean["r2"] > 0.95
    # By default cross_validate asks the loss: a regression loss gets plain KFold and R^2.
    default = cross_validate(lambda: nn.Linear(3, 1), lambda p: optim.SGD(p, lr=0.1),
                             nn.MSELoss(), X, y.reshape(-1, 1), k=5, seed=0, epochs=40)
    assert default.scores["r2"] == result.scores["r2"]
    with pytest.raises(ValueError, match="stratified=False"):
        cross_validate(lambda: nn.Linear(3, 1), lambda p: optim.SGD(p, lr=0.1),
                       nn.MSELoss(), X, y.reshape(-1, 1), k=5, stratified=True, epochs=1)


def test_early_stopping_inside_folds_uses_a_validation_split_of_the_training_part():
    X, y = blobs(n=90)
    result = run(X, y, k=3, seed=0, epochs=200, validation_split=0.2,
                 early_stopping=EarlyStopping(patience=3))
    for history in result.histories:
        assert "val_loss" in history.history and "val_accuracy" in history.history
        assert len(history) < 200 and history.stopped_epoch is not None


def test_argument_errors():
    X, y = blobs()
    with pytest.raises(TypeError, match="epochs"):
        cross_validate(make_classifier, make_adam, nn.CrossEntropyLoss(), X, y)
    with pytest.raises(TypeError, match="validation_data"):
        run(X, y, validation_data=(X, y))
    with pytest.raises(TypeError, match="scaler class"):
        run(X, y, scale=StandardScaler().fit(X))
    with pytest.raises(ValueError, match="n_splits"):
        run(X, y, k=1)
