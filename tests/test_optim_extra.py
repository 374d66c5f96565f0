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
# PyTorch's advice to call optimizer.step() first: these tests step schedulers alone
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step")

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


def _run(name, steps=20, dtype=np.float64, halfway_lr=True):
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


# --- learning-rate schedulers ----------------------------------------------------------

def _two_groups(module, make_opt):
    """An optimizer with two parameter groups (different lr), in either library."""
    tensor = Tensor if module is optim else torch.tensor
    a, b = (tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    return make_opt(module)([{"params": [a]}, {"params": [b], "lr": 0.05}])


SGD = lambda m: lambda p: m.SGD(p, lr=0.1, momentum=0.9)  # noqa: E731
ADAM = lambda m: lambda p: m.Adam(p, lr=0.1)  # noqa: E731

SCHEDULES = {  # name: (optimizer, scheduler made from (lr_scheduler module, optimizer))
    "LinearLR": (SGD, lambda s, o: s.LinearLR(o, start_factor=0.25, total_iters=7)),
    "LinearLR down": (SGD, lambda s, o: s.LinearLR(o, 1.0, 0.1, total_iters=10)),
    "ConstantLR": (SGD, lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=4)),
    "MultiplicativeLR": (SGD, lambda s, o: s.MultiplicativeLR(o, lambda e: 0.9 + 0.001 * e)),
    "PolynomialLR": (SGD, lambda s, o: s.PolynomialLR(o, total_iters=20, power=2.0)),
    "OneCycleLR cos SGD": (SGD, lambda s, o: s.OneCycleLR(o, max_lr=[1.0, 0.5],
                                                           total_steps=40)),
    "OneCycleLR linear Adam": (ADAM, lambda s, o: s.OneCycleLR(
        o, max_lr=0.3, epochs=4, steps_per_epoch=10, anneal_strategy="linear",
        pct_start=0.25, div_factor=10.0)),
    "OneCycleLR three_phase": (SGD, lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=40,
                                                               three_phase=True)),
    "CyclicLR triangular": (SGD, lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                                          step_size_down=6)),
    "CyclicLR triangular2 Adam": (ADAM, lambda s, o: s.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.2], step_size_up=5, mode="triangular2")),
    "CyclicLR exp_range": (SGD, lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                         mode="exp_range", gamma=0.95)),
    "CyclicLR scale_fn": (SGD, lambda s, o: s.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations",
        cycle_momentum=False)),
    "CosineAnnealingWarmRestarts": (SGD, lambda s, o: s.CosineAnnealingWarmRestarts(
        o, T_0=5, eta_min=0.001)),
    "CosineAnnealingWarmRestarts T_mult": (SGD, lambda s, o: s.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2)),
    "SequentialLR warm-up + cosine": (SGD, lambda s, o: s.SequentialLR(
        o, [s.LinearLR(o, start_factor=0.1, total_iters=5), s.CosineAnnealingLR(o, T_max=25)],
        milestones=[5])),
    "SequentialLR three": (SGD, lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, factor=0.1, total_iters=3), s.ExponentialLR(o, gamma=0.9),
            s.StepLR(o, step_size=4, gamma=0.5)], milestones=[3, 12])),
    "ChainedScheduler": (SGD, lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.1, total_iters=2), s.ExponentialLR(o, gamma=0.9)])),
    "ChainedScheduler warm-up + steps": (SGD, lambda s, o: s.ChainedScheduler(
        [s.LinearLR(o, start_factor=0.5, total_iters=4), s.MultiStepLR(o, [5, 9], 0.3),
         s.CosineAnnealingLR(o, T_max=10)])),
}


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_scheduler_learning_rates_equal_torch(name):
    make_opt, make_sched = SCHEDULES[name]
    opt, topt = _two_groups(optim, make_opt), _two_groups(torch.optim, make_opt)
    sched = make_sched(optim.lr_scheduler, opt)
    tsched = make_sched(torch.optim.lr_scheduler, topt)
    assert isinstance(sched, optim.lr_scheduler.LRScheduler)
    np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)
    for _ in range(34 if "OneCycle" not in name else 39):
        topt.step()
        sched.step()
        tsched.step()
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12,
                                   atol=1e-16)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups],
                                   [g["lr"] for g in topt.param_groups], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(_momenta(opt), _momenta(topt), rtol=1e-12)


def test_warm_restarts_with_fractional_epochs_equal_torch():
    opt, topt = _two_groups(optim, SGD), _two_groups(torch.optim, SGD)
    ours = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, eta_min=0.01)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=2, T_mult=3,
                                                                  eta_min=0.01)
    for epoch in range(12):
        for i in range(4):  # four batches per epoch
            ours.step(epoch + i / 4)
            theirs.step(epoch + i / 4)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
    with pytest.raises(ValueError, match=">= 0"):
        ours.step(-1)


@pytest.mark.filterwarnings("ignore:The epoch parameter")
@pytest.mark.parametrize("name", ["LinearLR", "ConstantLR", "PolynomialLR"])
def test_step_to_an_epoch_uses_the_closed_form_as_torch(name):
    make_opt, make_sched = SCHEDULES[name]
    opt, topt = _two_groups(optim, make_opt), _two_groups(torch.optim, make_opt)
    sched, tsched = make_sched(optim.lr_scheduler, opt), make_sched(torch.optim.lr_scheduler,
                                                                    topt)
    for epoch in (3, 1, 9, 4):
        sched.step(epoch)
        tsched.step(epoch)
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("name", ["LinearLR", "OneCycleLR cos SGD", "CyclicLR triangular",
                                  "CosineAnnealingWarmRestarts T_mult",
                                  "SequentialLR warm-up + cosine", "ChainedScheduler"])
def test_scheduler_state_dict_round_trip(name):
    """Save after 7 steps, go on 5 more, load into a new scheduler: it goes on from 7."""
    make_opt, make_sched = SCHEDULES[name]
    opt = _two_groups(optim, make_opt)
    sched = make_sched(optim.lr_scheduler, opt)
    for _ in range(7):
        sched.step()
    saved, lrs = sched.state_dict(), [g["lr"] for g in opt.param_groups]
    assert "optimizer" not in saved
    expected = []
    for _ in range(5):
        sched.step()
        expected.append(sched.get_last_lr())
    opt2 = _two_groups(optim, make_opt)
    sched2 = make_sched(optim.lr_scheduler, opt2)
    sched2.load_state_dict(saved)
    for group, lr in zip(opt2.param_groups, lrs):
        group["lr"] = lr  # (the optimizer's own state: its state_dict holds the lr)
    for want in expected:
        sched2.step()
        np.testing.assert_allclose(sched2.get_last_lr(), want, rtol=1e-12)


def test_existing_schedulers_share_the_protocol():
    """StepLR and the others are LRSchedulers with state_dict, and resume as PyTorch."""
    opt, topt = _two_groups(optim, SGD), _two_groups(torch.optim, SGD)
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    assert isinstance(sched, optim.lr_scheduler.LRScheduler)
    assert isinstance(optim.lr_scheduler.ReduceLROnPlateau(opt), optim.lr_scheduler.LRScheduler)
    for _ in range(5):
        sched.step()
    assert sched.state_dict()["last_epoch"] == 5
    opt = _two_groups(optim, SGD)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
    for group in opt.param_groups + topt.param_groups:
        group["initial_lr"] = 0.2
    resumed = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
    tresumed = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10, last_epoch=4)
    for _ in range(8):
        resumed.step()
        tresumed.step()
        np.testing.assert_allclose(resumed.get_last_lr(), tresumed.get_last_lr(), rtol=1e-12)


@pytest.mark.parametrize("make, error, message", [
    (lambda s, o: s.LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda s, o: s.ConstantLR(o, factor=2.0), ValueError, "factor"),
    (lambda s, o: s.MultiplicativeLR(o, 0.9), TypeError, "function"),
    (lambda s, o: s.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps"),
    (lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1), ValueError,
     "pct_start"),
    (lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     ValueError, "anneal_strategy"),
    (lambda s, o: s.OneCycleLR(o, max_lr=[0.1], total_steps=10), ValueError, "one per"),
    (lambda s, o: s.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "mode"),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError, "T_mult"),
    (lambda s, o: s.SequentialLR(o, [s.ConstantLR(o)], milestones=[3]), ValueError,
     "milestones"),
    (lambda s, o: s.SequentialLR(o, [s.ReduceLROnPlateau(o), s.ConstantLR(o)], [3]),
     ValueError, "metric"),
    (lambda s, o: s.ChainedScheduler([]), ValueError, "at least one"),
    (lambda s, o: s.StepLR("not an optimizer", 3), TypeError, "optimizer"),
])
def test_scheduler_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(optim.lr_scheduler, _two_groups(optim, SGD))


def test_one_cycle_refuses_steps_past_the_end():
    sched = optim.lr_scheduler.OneCycleLR(_two_groups(optim, SGD), max_lr=1.0, total_steps=3)
    sched.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        sched.step()


def test_cycle_momentum_needs_momentum():
    opt = optim.Adagrad([Tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False)
