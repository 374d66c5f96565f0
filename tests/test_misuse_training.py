"""Misuse of the training loop and of viz: bad data is refused before training starts,
a blow-up names the epoch, and drawing without a renderer still saves the graph.
"""

import importlib
import warnings

import numpy as np
import pytest

import nn
import viz
from nn import optim
from nn.training.fit import TrainingDivergedError
from tinygrad_dk import Tensor, Value

vr = importlib.import_module("viz.renderer")  # the Graphviz plumbing; viz.render is a function


@pytest.fixture
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    return X, X[:, :1] * 2.0 - X[:, 1:]


def _fit(X, y, model=None, lr=0.1, **kwargs):
    model = model or nn.Sequential(nn.Linear(2, 1))
    kwargs.setdefault("epochs", 2)
    return nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), X, y,
                  progress=False, **kwargs)


def test_nan_in_X_is_caught_before_training_and_located(regression):
    X, y = regression
    X = X.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN in 1 of 20 rows \(in 1 column: 1\).*"
                                         r"imputation"):
        _fit(X, y)


def test_infinity_in_y_is_caught_before_training(regression):
    X, y = regression
    y = y.copy()
    y[0] = np.inf
    with pytest.raises(ValueError, match=r"y contains infinity in 1 of 20 rows"):
        _fit(X, y)


def test_nan_in_validation_data_is_caught(regression):
    X, y = regression
    X_val = X.copy()
    X_val[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X \(validation\) contains NaN"):
        _fit(X, y, validation_data=(X_val, y))


def test_loss_blowing_up_names_the_epoch_and_the_fix(regression):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the blow-up must not leak numpy RuntimeWarnings
        with pytest.raises(TrainingDivergedError, match=r"loss became (nan|inf) at epoch \d+/50 "
                                                        r".*Lower the learning rate"):
            _fit(X * 1e3, y, lr=1e3, epochs=50)


def test_divergence_error_is_a_floating_point_error_with_the_epoch(regression):
    X, y = regression
    with pytest.raises(FloatingPointError) as info:
        _fit(X * 1e3, y, lr=1e3, epochs=50, batch_size=5)
    assert info.value.epoch >= 0 and not np.isfinite(info.value.loss)


def test_empty_training_data():
    with pytest.raises(ValueError, match=r"training data is empty \(0 samples\)"):
        _fit(np.ones((0, 2)), np.ones((0, 1)))


def test_x_and_y_of_different_lengths(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"same number of samples.*X has 20, y has 5"):
        _fit(X, y[:5])


def test_model_expecting_other_features(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"in_features=3.*got shape \(20, 2\)"):
        _fit(X, y, model=nn.Sequential(nn.Linear(3, 1)))


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, r"epochs=0 must be at least 1"),
    ({"batch_size": 0}, r"batch_size=0 must be at least 1"),
    ({"validation_split": 1.5}, r"validation_split=1.5 must lie strictly between 0 and 1"),
])
def test_bad_fit_arguments(regression, kwargs, message):
    X, y = regression
    with pytest.raises(ValueError, match=message):
        _fit(X, y, **kwargs)


def test_both_validation_data_and_split(regression):
    X, y = regression
    with pytest.raises(ValueError, match="validation_data or validation_split, not both"):
        _fit(X, y, validation_split=0.2, validation_data=(X, y))


def test_text_targets(regression):
    X, _ = regression
    with pytest.raises(TypeError, match=r"y has dtype <U1; training needs numbers.*np.unique"):
        _fit(X, np.array(["a"] * 20))


def test_early_stopping_on_val_loss_without_validation_data(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"monitors 'val_loss'.*validation_data or "
                                         r"validation_split"):
        _fit(X, y, early_stopping=nn.EarlyStopping(monitor="val_loss"))


def test_early_stopping_with_negative_patience():
    with pytest.raises(ValueError, match=r"patience=-1 must be 0 or more"):
        nn.EarlyStopping(patience=-1)


# --- viz ---------------------------------------------------------------------------------


def test_render_without_a_renderer_writes_the_dot_file(monkeypatch, tmp_path):
    monkeypatch.setattr(vr, "find_renderer", lambda: None)
    a = Value(2.0, label="a")
    out = a * a
    out.backward()
    target = tmp_path / "graph.svg"
    with pytest.raises(RuntimeError, match=r"No Graphviz renderer found.*graph\.dot.*"
                                           r"pip install graphviz-pure"):
        viz.render(out, target)
    assert not target.exists()
    assert "digraph" in (tmp_path / "graph.dot").read_text()


def test_renderer_override_pointing_nowhere(monkeypatch, tmp_path):
    monkeypatch.setenv(vr.ENV_VAR, str(tmp_path / "no-such-dot"))
    with pytest.raises(RuntimeError, match=r"is not an executable program.*unset it"):
        vr.find_renderer()


def test_draw_graph_of_something_that_is_not_a_node():
    with pytest.raises(TypeError, match=r"draw_graph: expected a Value or a Tensor.*float"):
        viz.draw_graph(3.0)


def test_draw_graph_with_a_bad_rankdir():
    with pytest.raises(ValueError, match=r"rankdir must be 'LR', 'RL', 'TB' or 'BT'"):
        viz.draw_graph(Tensor([1.0]), rankdir="XY")
