"""The nntrain additions against PyTorch, by the differential harness: the losses of
``nn.losses_extra`` (as functions and modules, every reduction and option, plain and
second derivatives, extreme values), the optimizers Adamax, NAdam, RAdam, Adadelta,
Rprop and ASGD (trajectories on random gradients) and the schedulers of
``nn.optim.schedulers_extra`` (learning rates and momenta over 30+ steps).
``test_differential_coverage.py`` reads ``LOSSES``, ``OPTIMIZERS`` and ``SCHEDULES``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import (  # noqa: E402
    FINITE,
    MODERATE,
    PROBABILITY,
    REAL,
    WEIGHTS,
    Case,
    Domain,
    Op,
    values,
)

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from nn import optim  # noqa: E402
from tinygrad_dk import Tensor  # noqa: E402

D.use_torch(torch)
TF = torch.nn.functional
# fewer examples per row than the other tables (D.EXAMPLES): the rows are many, each cheap
# to get right once the formula is; DIFFERENTIAL_EXAMPLES=300 still runs a long hunt
FEW = settings(D.SETTINGS, max_examples=max(D.EXAMPLES // 3, 1))
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
FORMS = st.sampled_from(["functional", "module"])

#: losses written for Tensors only (they refuse Values with a clear error), so they have
#: no row in the scalar engine's table (test_differential_scalar.py)
TENSOR_ONLY_LOSSES = {"smooth_l1_loss", "poisson_nll_loss", "margin_ranking_loss",
                      "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
                      "multi_margin_loss", "triplet_margin_loss", "cosine_embedding_loss"}


def _shape(data, min_dims=1, max_dims=3):
    return tuple(max(n, 1) for n in D.shape(data, min_dims, max_dims))


def _signs(data, shape):
    return np.where(values(data, shape, WEIGHTS) >= 0, 1.0, -1.0)


def _t(a, like):
    return None if a is None else torch.tensor(a, dtype=like.dtype)


def _ours(functional, module, n_inputs=2):
    """Call the function, or the module made with the options, on the inputs; constants
    (signs, labels) come as keyword ``const`` and go last."""
    def run(*tensors, form, const=None, **options):
        args = (*tensors, const) if const is not None else tensors
        if form == "functional":
            return functional(*args, **options)
        reduction = options.pop("reduction")
        return module(reduction=reduction, **options)(*args)
    return run


def _theirs(fn, weight_like=False):
    def run(*tensors, form, const=None, weight=None, **options):
        args = tensors if const is None else (*tensors, torch.tensor(const) if const.dtype.kind
                                               in "iu" else _t(const, tensors[0]))
        if weight_like:
            options["weight"] = _t(weight, tensors[0])
        return fn(*args, **options)
    return run


def _pair(domain_x=REAL, domain_y=REAL, **extra):
    def draw(data):
        s = _shape(data)
        kwargs = {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS)}
        kwargs.update({k: data.draw(v, label=k) for k, v in extra.items()})
        return Case([values(data, s, domain_x), values(data, s, domain_y)], kwargs)
    return draw


def _kl(data):
    s = _shape(data)
    log_target = data.draw(st.booleans(), label="log_target")
    kwargs = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none", "batchmean"])),
              "form": data.draw(FORMS), "log_target": log_target}
    if log_target:
        return Case([values(data, s, FINITE), values(data, s, MODERATE)], kwargs)
    return Case([values(data, s, FINITE), values(data, s, PROBABILITY)], kwargs,
                grads=(True, False))


def _poisson(data):
    s = _shape(data)
    log_input = data.draw(st.booleans(), label="log_input")
    counts = np.abs(np.round(values(data, s, WEIGHTS))) * data.draw(st.sampled_from([1, 3]))
    x = values(data, s, WEIGHTS)
    return Case([x if log_input else np.abs(x), counts],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
                 "log_input": log_input, "full": data.draw(st.booleans(), label="full"),
                 "eps": data.draw(st.sampled_from([1e-8, 0.1]))}, grads=(True, False))


def _with_signs(n_inputs, domain, label_shape=lambda s: s, **extra):
    def draw(data):
        s = _shape(data, min_dims=2 if label_shape(()) is None else 1)
        kwargs = {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS)}
        kwargs.update({k: data.draw(v, label=k) for k, v in extra.items()})
        kwargs["const"] = _signs(data, label_shape(s))
        return Case([values(data, s, domain) for _ in range(n_inputs)], kwargs)
    return draw


def _multilabel(data):
    s = _shape(data, min_dims=1, max_dims=2)
    weight = np.abs(values(data, s[-1:], WEIGHTS)) if data.draw(st.booleans()) else None
    return Case([values(data, s, FINITE), (values(data, s, WEIGHTS) > 0).astype(np.float64)],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS), "weight": weight},
                grads=(True, False))


def _multi_margin(data):
    single = data.draw(st.booleans(), label="one example")
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    labels = rng.integers(0, c, size=() if single else n)
    weight = np.abs(values(data, (c,), WEIGHTS)) if data.draw(st.booleans()) else None
    return Case([values(data, (c,) if single else (n, c), FINITE)],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS), "const": labels,
                 "p": data.draw(st.sampled_from([1, 2])),
                 "margin": data.draw(st.sampled_from([1.0, 0.5])), "weight": weight})


def _torch_multi_margin(x, form, const, weight=None, **options):
    single = x.ndim == 1  # PyTorch takes one example as (C,) with a 0-d label too
    y = torch.tensor(const).reshape(1) if single else torch.tensor(const)
    loss = TF.multi_margin_loss(x.reshape(1, -1) if single else x, y,
                                weight=_t(weight, x), **options)
    return loss.reshape(()) if single and options["reduction"] == "none" else loss


def _triplet(data):
    s = _shape(data, min_dims=1, max_dims=2)
    return Case([values(data, s, MODERATE) for _ in range(3)],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
                 "margin": data.draw(st.sampled_from([1.0, 0.3])),
                 "p": data.draw(st.sampled_from([2.0, 1.0, 3.0])),
                 "swap": data.draw(st.booleans(), label="swap")})


def _ours_triplet(a, p, n, form, **options):
    if form == "functional":
        return F.triplet_margin_loss(a, p, n, **options)
    return nn.TripletMarginLoss(**options)(a, p, n)


#: random directions: two vectors of one element, or of small integers, can be parallel,
#: where cos = +-1 and its derivative (~1e-12) is the rounding of the 1e-12 in the
#: denominator alone, different in every formulation
DIRECTIONS = Domain(kinds=("normal", "big"))


def _cosine(data):
    s = (*_shape(data, min_dims=0, max_dims=1), data.draw(st.integers(2, 4), label="D"))
    return Case([values(data, s, DIRECTIONS), values(data, s, DIRECTIONS)],
                {"reduction": data.draw(REDUCTIONS), "form": data.draw(FORMS),
                 "const": _signs(data, s[:-1]),
                 "margin": data.draw(st.sampled_from([0.0, 0.5, -0.2]))})


def _reduce(loss, reduction):
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


KINK = "at d = +-inf: inf - inf, as in huber_loss's row"

LOSSES = [
    Op("smooth_l1_loss", _ours(F.smooth_l1_loss, nn.SmoothL1Loss), _theirs(TF.smooth_l1_loss),
       _pair(beta=st.sampled_from([1.0, 0.5, 2.0, 0.0])), sums=2, nan_ok=KINK,
       covers=("F.smooth_l1_loss", "nn.SmoothL1Loss")),
    Op("kl_div", _ours(F.kl_div, nn.KLDivLoss), _theirs(TF.kl_div), _kl, sums=2,
       covers=("F.kl_div", "nn.KLDivLoss")),
    Op("poisson_nll_loss", _ours(F.poisson_nll_loss, nn.PoissonNLLLoss),
       _theirs(TF.poisson_nll_loss), _poisson, sums=2,
       covers=("F.poisson_nll_loss", "nn.PoissonNLLLoss")),
    Op("margin_ranking_loss", _ours(F.margin_ranking_loss, nn.MarginRankingLoss),
       _theirs(TF.margin_ranking_loss), _with_signs(2, FINITE, margin=st.sampled_from(
           [0.0, 0.5])), sums=1, covers=("F.margin_ranking_loss", "nn.MarginRankingLoss")),
    Op("hinge_embedding_loss", _ours(F.hinge_embedding_loss, nn.HingeEmbeddingLoss),
       _theirs(TF.hinge_embedding_loss), _with_signs(1, REAL, margin=st.sampled_from(
           [1.0, 0.5])), sums=1, covers=("F.hinge_embedding_loss", "nn.HingeEmbeddingLoss")),
    Op("soft_margin_loss", _ours(F.soft_margin_loss, nn.SoftMarginLoss),
       _theirs(TF.soft_margin_loss), _with_signs(1, WEIGHTS), sums=1,
       alt=lambda x, form, const, reduction: _reduce(TF.softplus(-_t(const, x) * x), reduction),
       alt_why="PyTorch's kernel computes log(1 + exp(-y x)), inf in float32 from -y x = 89 "
               "on; softplus gives the finite answer",
       covers=("F.soft_margin_loss", "nn.SoftMarginLoss")),
    Op("multilabel_soft_margin_loss",
       _ours(F.multilabel_soft_margin_loss, nn.MultiLabelSoftMarginLoss),
       _theirs(TF.multilabel_soft_margin_loss, weight_like=True), _multilabel, sums=1,
       rtol=1e-6, covers=("F.multilabel_soft_margin_loss", "nn.MultiLabelSoftMarginLoss")),
    Op("multi_margin_loss", _ours(F.multi_margin_loss, nn.MultiMarginLoss),
       _torch_multi_margin, _multi_margin, sums=2, second=False,
       nan_ok="an infinite upstream gradient where the derivative is 0 (the true class, or "
              "a wrong class inside the margin): PyTorch's kernel multiplies (inf * 0 = nan), "
              "ours has no such term",
       covers=("F.multi_margin_loss", "nn.MultiMarginLoss")),
    Op("triplet_margin_loss", _ours_triplet, lambda a, p, n, form, **o: TF.triplet_margin_loss(
        a, p, n, **o), _triplet, sums=1, rtol=1e-6,
       covers=("F.triplet_margin_loss", "nn.TripletMarginLoss")),
    Op("cosine_embedding_loss", _ours(F.cosine_embedding_loss, nn.CosineEmbeddingLoss),
       _theirs(TF.cosine_embedding_loss), _cosine, sums=2, rtol=1e-6,
       covers=("F.cosine_embedding_loss", "nn.CosineEmbeddingLoss")),
]


@pytest.mark.filterwarnings("ignore:reduction")  # PyTorch's note on kl_div's 'mean'
@pytest.mark.parametrize("op", LOSSES, ids=lambda op: op.name)
@FEW
@given(data=st.data())
def test_loss_matches_torch(op, data):
    D.check(op, data)


# --- schedulers ------------------------------------------------------------------------


def _halving(module):
    """A scheduler of one's own, made from the base class LRScheduler (the protocol)."""
    class Halving(module.LRScheduler):
        def get_lr(self):
            return [base * 0.5 ** (self.last_epoch // 3) for base in self.base_lrs]
    return Halving


SCHEDULES = {  # class name: a scheduler made from (lr_scheduler module, optimizer)
    "LRScheduler": lambda m, o: _halving(m)(o),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=8),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=25, power=0.5),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=2.0, total_steps=40),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.01, 0.5, step_size_up=4, mode="triangular2"),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 4, 2, 1e-3),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=4), m.CosineAnnealingLR(o, T_max=30)], [4]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, 0.5, total_iters=5), m.StepLR(o, 4, 0.7)]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
@FEW
@given(data=st.data())
def test_scheduler_matches_torch(name, data):
    kind = data.draw(st.sampled_from(["SGD", "Adam"]), label="optimizer")
    lr = data.draw(st.sampled_from([0.1, 1.0, 3e-4]), label="lr")
    groups = data.draw(st.integers(1, 2), label="groups")

    def make(module):
        params = [{"params": [(Tensor if module is optim else torch.tensor)(
            np.zeros(1), requires_grad=True)], "lr": lr * (i + 1)} for i in range(groups)]
        extra = {"momentum": 0.9} if kind == "SGD" else {}
        return getattr(module, kind)(params, lr=lr, **extra)

    opt, topt = make(optim), make(torch.optim)
    sched = SCHEDULES[name](optim.lr_scheduler, opt)
    tsched = SCHEDULES[name](torch.optim.lr_scheduler, topt)
    for _ in range(data.draw(st.integers(30, 39), label="steps")):
        topt.step()
        sched.step()
        tsched.step()
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12,
                                   atol=1e-16)
        for g, tg_ in zip(opt.param_groups, topt.param_groups):
            key = "momentum" if kind == "SGD" else "betas"
            np.testing.assert_allclose(g[key], tg_[key], rtol=1e-12)


__all__ = ["LOSSES", "SCHEDULES", "TENSOR_ONLY_LOSSES", "Domain"]
