"""Regression tests for the silent failures of issue 13: each now raises, warns or repairs.

* writing into a Tensor's numbers between forward and backward (item 12);
* one parameter given twice to an optimizer, or in two parameter groups (13, 14);
* fit whose loss turns NaN mid-training (15).
"""

import math
import warnings

import numpy as np
import pytest

import nn
import tinygrad_dk as tg
from nn import optim
from nn.training import TrainingDivergedError, fit
from tinygrad_dk import Tensor, grad, gradcheck

# --- 12: writes into .data between forward and backward -----------------------------------


def _weights():
    return Tensor(np.array([1.0, 2.0]), requires_grad=True, label="w")


@pytest.mark.parametrize("write", [
    lambda t: t.data.__setitem__(0, 5.0),
    lambda t: np.copyto(t.data, [7.0, 8.0]),
    lambda t: t.numpy().__setitem__(slice(None), 0.0),
    lambda t: np.asarray(t).__setitem__(1, 3.0),
    lambda t: t.data.__imul__(2.0),  # in place through the array (no assignment)
])
def test_element_writes_before_backward_raise(write):
    w, x = _weights(), Tensor(np.array([3.0, 4.0]))
    loss = (w * x).sum()
    write(w)
    with pytest.raises(RuntimeError, match=r"backward through '\*'.*w of shape \(2,\).*"
                                           r"modified.*t\.data\[0\] = 5"):
        loss.backward()


def test_writes_into_an_input_or_a_result_are_caught_too():
    w, x = _weights(), Tensor(np.array([3.0, 4.0]))
    loss = (w * x).sum()
    x.data[0] = 100.0  # x is saved for w's gradient
    with pytest.raises(RuntimeError, match="modified"):
        loss.backward()
    h = (_weights() * 2.0).exp()  # exp's derivative reads its own result
    h.data[0] = 0.0
    with pytest.raises(RuntimeError, match="modified"):
        h.backward(np.ones(2))


def test_reading_data_between_forward_and_backward_is_fine():
    w, x = _weights(), Tensor(np.array([3.0, 4.0]))
    loss = (w * x).exp().sum()
    _ = w.data.sum() + np.asarray(w).max() + w.numpy()[0] + loss.data
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 3 * np.exp([3.0, 8.0]) * [1, 4 / 3])


def test_changing_numbers_and_recomputing_the_forward_pass_is_fine():
    w, x = _weights(), Tensor(np.array([3.0, 4.0]))
    (w * x).sum()  # a graph that is never used
    w.data[0] = 5.0  # legitimate: the next forward pass sees 5
    loss = (w * x).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])
    (w * x).sum()
    view = w.data  # handed out while saved ...
    view[1] = 9.0  # ... then written ...
    loss = (w * x).sum()  # ... and used again: this graph sees 9, and is right
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 8.0])


def test_writes_after_backward_and_optimizer_steps_are_fine():
    w, x = _weights(), Tensor(np.array([3.0, 4.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        loss = (w * x).sum()
        _ = w.data.copy()
        loss.backward()
        opt.step()
        w.data[0] += 0.0  # after backward: allowed
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.1 * 3 * (1 + 1.9 + 2.71), 2.0 - 0.1 * 4 * (
        1 + 1.9 + 2.71)])


def test_gradcheck_grad_and_load_state_dict_are_unaffected():
    w = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    assert gradcheck(lambda t: (t * t.exp()).sum(), [w])
    assert grad(lambda t: (t * t).sum())(w).numpy().tolist() == [1.0, -3.0]
    model = nn.Linear(2, 1)
    out = model(Tensor(np.ones((1, 2), dtype=np.float32))).sum()
    model.load_state_dict({"weight": np.zeros((1, 2), np.float32),
                           "bias": np.zeros(1, np.float32)})
    with pytest.raises(RuntimeError, match="modified"):  # copy_ moved the version, as before
        out.backward()


def test_the_rule_is_documented():
    doc = Tensor.data.__doc__
    assert "t.data[0] = 5" in doc and "np.copyto" in doc and "backward()" in doc
    errors = open(__file__.replace("tests/test_silent_failures.py", "docs/errors.md")).read()
    assert "written into element by element as in t.data[0] = 5" in errors


# --- 13 and 14: a parameter given twice ----------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda params: optim.SGD(params + params, lr=0.1),
    lambda params: optim.Adam(params + params[:1], lr=0.1),
])
def test_a_parameter_listed_twice_warns_and_is_stepped_once(make):
    w = Tensor(np.array([1.0]), requires_grad=True)
    with pytest.warns(UserWarning, match=r"appear more than once.*updated once per step"):
        opt = make([w])
    (w * 2.0).sum().backward()
    opt.step()
    assert sum(len(g["params"]) for g in opt.param_groups) == 1
    if isinstance(opt, optim.SGD):
        assert w.item() == pytest.approx(1.0 - 0.1 * 2.0)


def test_model_parameters_twice_steps_each_once():
    tg.manual_seed(0)
    model = nn.Linear(2, 1)
    before = model.weight.numpy().copy()
    with pytest.warns(UserWarning, match="more than once"):
        opt = optim.SGD(model.parameters() + model.parameters(), lr=1.0)
    model(Tensor(np.ones((1, 2), np.float32))).sum().backward()
    opt.step()
    np.testing.assert_allclose(model.weight.numpy(), before - 1.0)


def test_one_parameter_in_two_groups_is_refused():
    w, b = (Tensor(np.zeros(1), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        optim.SGD([{"params": [w, b]}, {"params": [w], "lr": 0.5}], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)  # fine


# --- 15: the loss turns NaN mid-training ------------------------------------------------------


def test_nan_mid_training_restores_the_best_weights_and_attaches_the_history():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 2)).astype(np.float32)
    y = X.sum(axis=1, keepdims=True)
    tg.manual_seed(0)
    model = nn.Linear(2, 1)

    class CountingSGD(optim.SGD):
        steps = 0

        def step(self):
            super().step()
            CountingSGD.steps += 1

    def loss_fn(pred, target):  # NaN once three epochs (2 steps each) have stepped
        loss = nn.functional.mse_loss(pred, target)
        return loss * math.nan if CountingSGD.steps >= 6 else loss

    stopper = nn.EarlyStopping(monitor="loss", patience=50)
    with pytest.raises(TrainingDivergedError, match=r"nan.*restored") as info:
        fit(model, loss_fn, CountingSGD(model.parameters(), lr=0.05), X, y, epochs=20,
            batch_size=8, early_stopping=stopper, progress=False)
    err = info.value
    assert len(err.history) == 2 and all(np.isfinite(err.history["loss"]))  # epochs 0, 1
    assert err.restored_epoch == stopper.best_epoch
    np.testing.assert_array_equal(model.weight.numpy(), stopper.best_weights["weight"])
    assert np.all(np.isfinite(model.weight.numpy()))
