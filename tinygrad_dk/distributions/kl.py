"""``kl_divergence(p, q)``: KL(p || q) = E_p[log p(x) - log q(x)], in closed form.

Formulas live in a registry keyed by the pair of classes; ``register_kl(P, Q)`` adds one
(as a decorator, as in PyTorch). A pair without a formula is a NotImplementedError
that lists the pairs there are. Each formula is written with Tensor operations, so the KL
term of a VAE (Normal against Normal(0, 1)) trains the encoder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_dk import ops, ops_lu, ops_nn
from tinygrad_dk.distributions.continuous import Normal
from tinygrad_dk.distributions.discrete import Bernoulli, Categorical
from tinygrad_dk.distributions.distribution import Distribution
from tinygrad_dk.distributions.multivariate import (
    Independent,
    MultivariateNormal,
    half_log_det,
    mahalanobis,
)
from tinygrad_dk.primitive import raw
from tinygrad_dk.tensor import Tensor

_KL: dict[tuple[type, type], Callable[[Any, Any], Tensor]] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...`` makes kl_divergence use it."""
    def decorate(fn: Callable) -> Callable:
        _KL[type_p, type_q] = fn
        return fn
    return decorate


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) for each distribution of the (broadcast) batch."""
    for tp in type(p).__mro__:  # the most specific registered pair (subclasses inherit)
        for tq in type(q).__mro__:
            if (tp, tq) in _KL:
                return _KL[tp, tq](p, q)
    pairs = ", ".join(f"({a.__name__}, {b.__name__})" for a, b in _KL)
    raise NotImplementedError(
        f"kl_divergence: no formula for KL({type(p).__name__} || {type(q).__name__}); the pairs "
        f"with one: {pairs}. Add yours with @register_kl({type(p).__name__}, "
        f"{type(q).__name__}), or estimate it as (p.log_prob(x) - q.log_prob(x)).mean() over "
        "samples x = p.sample((n,))")


def _where(mask: np.ndarray, value: float, x: Tensor) -> Tensor:
    return ops.where(np.broadcast_to(mask, x.shape), value, x)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    """(((mp - mq) / sq)^2 + r^2 - 1 - log r^2) / 2 with r = sp / sq.

    For near-equal scales r^2 - 1 and log r^2 nearly cancel, so they are taken as u and
    log1p(u) with u = r^2 - 1 = (sp - sq) / sq * (r + 1), which keeps its digits (r * r - 1
    lost them: float32 was 1% off at KL = 4e-6); the derivative u / (1 + u) du is then
    exactly 0 at p = q. Further from 1, log r^2 is 2 log r (log1p near u = -1 would read
    the rounding of u). Where r over- or underflows, (r^2 - 1) / 2 - (log sp - log sq)
    instead (finite), the scales swapped out of the other branch so no inf reaches it."""
    r = p.scale / q.scale
    gap = ((p.loc - q.loc) / q.scale).pow(2)
    usable = np.isfinite(raw(r)) & (raw(r) > 0)
    sp = p.scale if usable.all() else ops.where(usable, p.scale, q.scale)
    r_safe = sp / q.scale
    u = (sp - q.scale) / q.scale * (r_safe + 1)
    log_r2 = ops.where(np.abs(raw(u)) < 0.5, u.log1p(), 2 * r_safe.log())
    near = 0.5 * (gap + u - log_r2)
    if usable.all():
        return near
    far = 0.5 * (r * r + gap - 1) - (p.scale.log() - q.scale.log())
    return ops.where(usable, near, far)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    """p log(p/q) + (1-p) log((1-p)/(1-q)) from the logits (softplus: no log of 0);
    a q that rules out what p allows gives inf, a term p rules out gives 0."""
    pp, qp = raw(p.probs), raw(q.probs)
    t1 = p.probs * (ops_nn.softplus(-q.logits) - ops_nn.softplus(-p.logits))
    t1 = _where(pp == 0, 0.0, _where(qp == 0, math.inf, t1))
    t2 = (1 - p.probs) * (ops_nn.softplus(q.logits) - ops_nn.softplus(p.logits))
    t2 = _where(pp == 1, 0.0, _where(qp == 1, math.inf, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    """sum_i p_i (log p_i - log q_i) over the classes (0 log 0 = 0; p_i > 0 = q_i: inf)."""
    t = p.probs * (p.logits - q.logits)
    t = _where(raw(p.probs) == 0, 0.0, _where(raw(q.probs) == 0, math.inf, t))
    return t.sum(-1)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    """(tr(Sq^-1 Sp) + |Lq^-1 (mq - mp)|^2 - k) / 2 + log det Lq - log det Lp, with
    tr(Sq^-1 Sp) = |Lq^-1 Lp|_F^2 (triangular solves only)."""
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: the MultivariateNormals have event shapes "
                         f"{tuple(p.event_shape)} and {tuple(q.event_shape)}; they must match")
    lp, lq = p._scale_tril, q._scale_tril
    trace = ops_lu.solve_triangular(lq, lp, upper=False).pow(2).sum((-2, -1))
    return (half_log_det(lq) - half_log_det(lp)
            + 0.5 * (trace + mahalanobis(lq, q.loc - p.loc) - p.event_shape[0]))


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    """The KL of the bases, summed over the reinterpreted axes."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            f"kl_divergence: Independent distributions with different "
            f"reinterpreted_batch_ndims ({p.reinterpreted_batch_ndims} and "
            f"{q.reinterpreted_batch_ndims}) are not supported (as in PyTorch)")
    return p._sum_rightmost(kl_divergence(p.base_dist, q.base_dist))
