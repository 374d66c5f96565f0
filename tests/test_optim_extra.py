"""The optimizers Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD and Optimizer.state_dict,
against PyTorch: whole trajectories of a small classifier, 20+ steps."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nn.functional as F  # noqa: E402
from nn import optim  # noqa: E402
from tinygrad_dk import Tensor, Value  # noqa: E402

TF = torch.nn.functional

SETTINGS = {  # name: the same settings for both libraries
    "adamax": ("Adamax", {"lr": 0.05}),
    "adamax_wd": ("Adamax", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6,
                             "weight_decay": 0.1}),
    "nadam": ("NAdam", {"lr": 0.05}),
    "nadam_wd": ("NAdam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.1,
                           "momentum_decay": 0.01}),
    "nadam_decoupled": ("NAdam", {"lr": 0.02, "weight_decay": 0.1,
                                  "decoupled_weight_decay": True}),
    "radam": ("RAdam", {"lr": 0.05}),  # rho_t > 5 from step 6 on: both branches
    "radam_wd": ("RAdam", {"lr": 0.02, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    "radam_decoupled": ("RAdam", {"lr": 0.02, "weight_decay": 0.1,
                                  "decoupled_weight_decay": True}),
    "adadelta": ("Adadelta", {}),
    "adadelta_wd": ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    "rprop": ("Rprop", {"lr": 0.01}),
    "rprop_narrow": ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    "asgd": ("ASGD", {"lr": 0.1}),
    "asgd_averaging": ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 5,
                                "weight_decay": 0.1}),
}


def _problem(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((16, 3)), rng.integers(0, 4, 16)
    w0, b0 = rng.standard_normal((4, 3)), rng.standard_normal(4)
    return x.astype(dtype), y, w0.astype(dtype), b0.astype(dtype)


def _run(name, steps=24, dtype=np.float64, halfway_lr=True):
    cls, settings = SETTINGS[name]
    x, y, w0, b0 = _problem(dtype)
    w, b = Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ours, theirs = getattr(optim, cls)([w, b], **settings), getattr(torch.optim, cls)(
        [tw, tb], **settings)
    for step in range(steps):
        if halfway_lr and step == steps // 2:  # as a scheduler would
            ours.lr = ours.lr / 2
            for group in theirs.param_groups:
                group["lr"] /= 2
        ours.zero_grad()
        F.cross_entropy(F.linear(Tensor(x), w, b), y).backward()
        ours.step()
        theirs.zero_grad()
        TF.cross_entropy(TF.linear(torch.tensor(x), tw, tb), torch.tensor(y)).backward()
        theirs.step()
        yield step, (w, b), (tw, tb), ours, theirs


@pytest.mark.parametrize("name", list(SETTINGS))
def test_trajectories_equal_torch_float64(name):
    for _, (w, b), (tw, tb), _, _ in _run(name):
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-6, atol=1e-9)
    assert np.abs(w.data - tw.detach().numpy()).max() < 1e-10


@pytest.mark.parametrize("name", ["adamax", "nadam", "radam", "adadelta", "rprop", "asgd"])
def test_trajectories_equal_torch_float32(name):
    for _, (w, _b), (tw, _tb), _, _ in _run(name, steps=10, dtype=np.float32):
        assert w.dtype == np.float32
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_asgd_average_equals_torch():
    *_, (w, _), (tw, _), ours, theirs = list(_run("asgd_averaging", halfway_lr=False))[-1]
    np.testing.assert_allclose(ours.state[id(w)]["ax"], theirs.state[tw]["ax"].numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("cls", ["Adamax", "NAdam", "RAdam", "Adadelta", "Rprop", "ASGD"])
def test_value_parameters_follow_the_same_trajectory(cls):
    rng = np.random.default_rng(5)
    start = rng.standard_normal(3)
    ours = [Value(float(v)) for v in start]
    theirs = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in start]
    opt, topt = getattr(optim, cls)(ours, lr=0.1), getattr(torch.optim, cls)(theirs, lr=0.1)
    for _ in range(8):
        g = rng.standard_normal(3)
        for p, tp, gi in zip(ours, theirs, g):
            p.grad, tp.grad = float(gi), torch.tensor(gi, dtype=torch.float64)
        opt.step()
        topt.step()
    np.testing.assert_allclose([p.data for p in ours], [tp.item() for tp in theirs], rtol=1e-9)


@pytest.mark.parametrize("name", ["adamax", "nadam", "radam_wd", "adadelta", "rprop",
                                  "asgd_averaging"])
def test_state_dict_round_trip_continues_the_same_trajectory(name):
    """Stop after 7 steps, save, load into a fresh optimizer: the next 7 steps are those
    of an optimizer that never stopped."""
    cls, settings = SETTINGS[name]
    x, y, w0, b0 = _problem()

    def train(opt, w, b, steps):
        for _ in range(steps):
            opt.zero_grad()
            F.cross_entropy(F.linear(Tensor(x), w, b), y).backward()
            opt.step()

    def fresh(lr=None):
        w, b = Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)
        opt = getattr(optim, cls)([w, b], **{**settings, **({} if lr is None else {"lr": lr})})
        return opt, w, b

    opt, w, b = fresh()
    train(opt, w, b, 14)
    reference = w.data.copy()
    opt, w, b = fresh()
    train(opt, w, b, 7)
    saved = opt.state_dict()
    train(opt, w, b, 1)  # a step after saving does not change what was saved
    assert set(saved["state"]) == {0, 1} and saved["param_groups"][0]["params"] == [0, 1]
    restarted, w2, b2 = fresh(lr=123.0)
    restarted.load_state_dict(saved)
    assert restarted.lr == saved["param_groups"][0]["lr"] != 123.0
    start = fresh()
    train(*start, 7)
    w2.data[...], b2.data[...] = start[1].data, start[2].data
    train(restarted, w2, b2, 7)
    np.testing.assert_allclose(w2.data, reference, rtol=1e-12)


def test_state_dict_loads_into_torch_layout():
    """The layout is PyTorch's: our saved Adamax state names match torch's keys."""
    *_, ours, theirs = list(_run("adamax", steps=3))[-1]
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert set(ours_sd["state"][0]) == set(theirs_sd["state"][0])
    assert ours_sd["param_groups"][0]["params"] == theirs_sd["param_groups"][0]["params"]


def test_load_state_dict_refuses_another_model():
    a = optim.NAdam([Tensor(np.zeros(2), requires_grad=True)])
    b = optim.NAdam([Tensor(np.zeros(2), requires_grad=True)] * 1
                    + [Tensor(np.zeros(1), requires_grad=True)])
    with pytest.raises(ValueError, match="same model"):
        b.load_state_dict(a.state_dict())


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.Adamax(p, betas=(1.0, 0.9)), "betas"),
    (lambda p: optim.NAdam(p, momentum_decay=-1), "momentum_decay"),
    (lambda p: optim.RAdam(p, eps=-1.0), "eps"),
    (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
    (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), "etas"),
    (lambda p: optim.Rprop(p, lr="0.1"), "without quotes"),
    (lambda p: optim.ASGD(p, lr=-1), "lr must be >= 0"),
    (lambda p: optim.Adamax(p, weight_decay=-0.1), "weight_decay"),
])
def test_clear_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make([Tensor(np.zeros(2), requires_grad=True)])
