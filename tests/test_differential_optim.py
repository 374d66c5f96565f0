"""Every optimizer and learning-rate scheduler against PyTorch: trajectories, not single steps.

The same random gradients (ordinary, integer-valued, +-1e3, +-1e30, tiny, mixed) are fed to
our optimizer and to PyTorch's for several steps, with random settings (momentum,
Nesterov, dampening, weight decay, betas, eps, centered RMSprop, Adagrad's decay), one
or two parameter groups, parameters that sometimes get no gradient, float64 or float32,
and a random schedule; after every step the parameters (and the schedulers' learning
rates) must agree.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import FINITE, Op, values  # noqa: E402

from nn import optim  # noqa: E402
from tinygrad_dk import Tensor, Value  # noqa: E402

D.use_torch(torch)
GRAD_KINDS = D.Domain(kinds=("normal", "ints", "big", "huge", "tiny", "mixed"))
# (in float32 the square of a gradient or weight of 1e30 overflows, in each library's order)
F32_GRADS = D.Domain(kinds=("normal", "ints", "big", "tiny"))
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
#: PyTorch's further optimizers: the same trajectory test (Rprop has no weight decay, so
#: they are not in the Value test below, which gives every optimizer one)
MORE_OPTIMIZERS = ["Adamax", "NAdam", "RAdam", "Adadelta", "Rprop", "ASGD"]
# --- PyTorch names: names2 ---
MORE_OPTIMIZERS += ["Adafactor"]


class _TorchAdafactor(torch.optim.Adafactor):
    """PyTorch's Adafactor, skipping parameters with no elements: PyTorch's own divides
    by their size 0 (ZeroDivisionError); ours has nothing to update there and skips them."""

    def step(self, closure=None):
        empty = [p for g in self.param_groups for p in g["params"]
                 if p.numel() == 0 and p.grad is not None]
        saved = [p.grad for p in empty]
        for p in empty:
            p.grad = None
        try:
            return super().step(closure)
        finally:
            for p, g in zip(empty, saved):
                p.grad = g


TORCH_SUBSTITUTES = {"Adafactor": _TorchAdafactor}  # the reference where PyTorch's fails
# --- end names2 ---


def _settings(data, name):
    """Random settings of optimizer ``name`` (the same for both libraries)."""
    pick = lambda label, options: data.draw(st.sampled_from(options), label=label)  # noqa: E731
    lr = pick("lr", [0.1, 1e-3, 1.0, 0.0])
    wd = pick("weight_decay", [0.0, 0.0, 0.01, 0.5])
    if name == "SGD":
        momentum = pick("momentum", [0.0, 0.9, 0.5])
        nesterov = momentum > 0 and data.draw(st.booleans(), label="nesterov")
        dampening = 0.0 if nesterov else pick("dampening", [0.0, 0.1])
        return {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": wd,
                "nesterov": nesterov}
    if name == "RMSprop":
        return {"lr": lr, "alpha": pick("alpha", [0.99, 0.5]), "eps": pick("eps", [1e-8, 1e-3]),
                "weight_decay": wd, "momentum": pick("momentum", [0.0, 0.9]),
                "centered": data.draw(st.booleans(), label="centered")}
    if name == "Adagrad":
        return {"lr": lr, "lr_decay": pick("lr_decay", [0.0, 0.1]), "weight_decay": wd,
                "initial_accumulator_value": pick("initial", [0.0, 0.5]),
                "eps": pick("eps", [1e-10, 1e-3])}
    if name == "Adafactor":  # PyTorch names: names2
        return {"lr": lr, "beta2_decay": pick("beta2_decay", [-0.8, -0.5, 0.0]),
                "eps": pick("eps", [(None, 1e-3), (1e-6, 0.0), (1e-30, 1e-2)]),
                "d": pick("d", [1.0, 2.0]), "weight_decay": wd,
                "maximize": data.draw(st.booleans(), label="maximize")}
    betas = pick("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)])
    if name == "Adamax":
        return {"lr": lr, "betas": betas, "eps": pick("eps", [1e-8, 1e-3]), "weight_decay": wd}
    if name == "NAdam":
        return {"lr": lr, "betas": betas, "weight_decay": wd,
                "momentum_decay": pick("momentum_decay", [4e-3, 0.1]),
                "decoupled_weight_decay": data.draw(st.booleans(), label="decoupled")}
    if name == "RAdam":
        return {"lr": lr, "betas": betas, "weight_decay": wd, "eps": pick("eps", [1e-8, 1e-3]),
                "decoupled_weight_decay": data.draw(st.booleans(), label="decoupled")}
    if name == "Adadelta":
        return {"lr": lr, "rho": pick("rho", [0.9, 0.5]), "eps": pick("eps", [1e-6, 1e-2]),
                "weight_decay": wd}
    if name == "Rprop":
        return {"lr": lr, "etas": pick("etas", [(0.5, 1.2), (0.1, 2.0)]),
                "step_sizes": pick("step_sizes", [(1e-6, 50.0), (1e-3, 0.5)])}
    if name == "ASGD":
        return {"lr": lr, "lambd": pick("lambd", [1e-4, 0.1]), "alpha": pick("alpha", [0.75, 0.5]),
                "t0": pick("t0", [1e6, 2.0]), "weight_decay": wd}
    settings = {"lr": lr, "betas": betas, "eps": pick("eps", [1e-8, 1e-3, 0.0]),
                "weight_decay": wd}
    if name == "AdamW":
        settings["weight_decay"] = pick("weight_decay (AdamW)", [0.01, 0.0, 0.1])
    return settings


SCHEDULES = {  # name: (our scheduler, PyTorch's), both made from an optimizer
    "none": None,
    "StepLR": lambda m, o: m.StepLR(o, step_size=2, gamma=0.5),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 1.0 / (1 + epoch)),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[1, 3], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.7),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=3, eta_min=1e-4),
    "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o, factor=0.5, patience=1),
}


@pytest.mark.parametrize("name", OPTIMIZERS + MORE_OPTIMIZERS)
@D.SETTINGS
@given(data=st.data())
def test_optimizer_trajectory_matches_torch(name, data):
    dtype = data.draw(st.sampled_from([np.float64, np.float64, np.float32]), label="dtype")
    starts = [values(data, D.shape(data), FINITE if dtype == np.float64 else F32_GRADS)
              .astype(dtype) for _ in range(data.draw(st.integers(1, 3)))]
    settings = _settings(data, name)
    groups = data.draw(st.booleans(), label="two groups") and len(starts) > 1
    schedule = data.draw(st.sampled_from(list(SCHEDULES)), label="schedule")
    ours = [Tensor(a.copy(), requires_grad=True) for a in starts]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in starts]

    def make(module, params):
        if groups:
            params = [{"params": params[:1], "lr": settings["lr"] * 2}, {"params": params[1:]}]
        cls = TORCH_SUBSTITUTES.get(name) if module is torch.optim else None  # names2
        return (cls or getattr(module, name))(params, **settings)

    opt, topt = make(optim, ours), make(torch.optim, theirs)
    sched = tsched = None
    if SCHEDULES[schedule] is not None:
        sched = SCHEDULES[schedule](optim.lr_scheduler, opt)
        tsched = SCHEDULES[schedule](torch.optim.lr_scheduler, topt)
    op = Op(name, None, None, None, rtol=1e-7 if dtype == np.float64 else None)
    scales = [0.0] * len(theirs)
    for step in range(data.draw(st.integers(1, 6), label="steps")):
        opt.zero_grad()
        topt.zero_grad()
        for p, tp in zip(ours, theirs):
            if data.draw(st.integers(0, 5), label="no gradient this step") == 0:
                continue  # a parameter without a gradient is skipped by both
            g = values(data, p.shape, GRAD_KINDS if dtype == np.float64 else F32_GRADS)
            g = g.astype(dtype)
            p.grad = Tensor(g.copy())
            tp.grad = torch.tensor(g.copy())
        # an update is a sum (theta - step): its rounding scales with theta before it,
        # not with the result, which can cancel to nearly 0 (2.0 - 2.0 in float32); and a
        # rounding difference of an earlier step stays when later steps leave theta alone,
        # so the scale is the largest theta of the trajectory so far
        scales = [max(s, D._magnitude(tp.detach().numpy())) for s, tp in zip(scales, theirs)]
        opt.step()
        topt.step()
        if sched is not None:
            if schedule == "ReduceLROnPlateau":
                metric = data.draw(st.sampled_from([1.0, 0.5, 2.0]), label="metric")
                sched.step(metric)
                tsched.step(metric)
            else:
                sched.step()
                tsched.step()
            np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12,
                                       atol=1e-15)  # (PyTorch's cosine: rounding near 0)
        for i, (p, tp) in enumerate(zip(ours, theirs)):
            D.assert_same(f"parameter {i} after step {step + 1}", p, [tp.detach()], dtype, op,
                          max(scales[i], D._magnitude(tp.detach().numpy())))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_value_parameters_follow_the_same_trajectory(name):
    """Optimizers work on scalar Values through the same parameter surface."""
    rng = np.random.default_rng(5)
    start = rng.standard_normal(3)
    ours = [Value(float(v)) for v in start]
    theirs = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in start]
    opt = getattr(optim, name)(ours, lr=0.1, weight_decay=0.01)
    topt = getattr(torch.optim, name)(theirs, lr=0.1, weight_decay=0.01)
    for _ in range(4):
        g = rng.standard_normal(3)
        for p, tp, gi in zip(ours, theirs, g):
            p.grad, tp.grad = float(gi), torch.tensor(gi, dtype=torch.float64)
        opt.step()
        topt.step()
    np.testing.assert_allclose([p.data for p in ours], [tp.item() for tp in theirs],
                               rtol=1e-12)
