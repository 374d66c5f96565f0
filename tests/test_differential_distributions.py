"""tg.distributions against torch.distributions by the differential harness
(``tests/differential.py``): log-densities and the KL term on hypothesis-drawn shapes and
values (extremes, inf, float32), their gradients in every parameter and the second
derivatives. The parameters are the differentiable inputs; values scored by a discrete
distribution (labels, class indices) are constants.

Where PyTorch's own formula squares the scale (``(x - loc)^2 / (2 scale^2)``, the KL's
``log(var_ratio)``) float32 and float64 overflow or underflow long before the answer
does; ours works with ``z = (x - loc) / scale`` and differences of logs. The ``alt``
reference is PyTorch computing the same density that way, so both are accepted.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import differential as D  # noqa: E402
from differential import MODERATE, POSITIVE, REAL, Case, Op, values  # noqa: E402
from differential_inputs import Domain  # noqa: E402

import tinygrad_dk as tg  # noqa: E402

D.use_torch(torch)
TD = torch.distributions


def _dist(lib):
    return tg.distributions if lib is tg else TD


def _log_prob(name):
    def make(lib):
        def fn(*params_and_value, **kwargs):
            *params, value = params_and_value
            return getattr(_dist(lib), name)(*params, **kwargs).log_prob(value)
        return fn
    return make


def _three(domain_x=REAL):
    def draw(data):
        shapes = D.broadcast_shapes(data, 3)
        return Case([values(data, shapes[0], REAL), values(data, shapes[1], POSITIVE),
                     values(data, shapes[2], domain_x)])
    return draw


def _normal_by_z(loc, scale, x):
    z = (x - loc) / scale
    return -0.5 * z * z - scale.log() - 0.5 * math.log(2 * math.pi)


def _bernoulli_draw(data):
    shapes = D.broadcast_shapes(data, 2)
    labels = (values(data, shapes[1], MODERATE) > 0).astype(np.float64)
    return Case([values(data, shapes[0], REAL), labels], grads=(True, False))


def _bernoulli(lib):
    def fn(logits, value):
        return _dist(lib).Bernoulli(logits=logits).log_prob(value)
    return fn


def _bernoulli_by_softplus(logits, value):
    f = torch.nn.functional
    return -(value * f.softplus(-logits) + (1 - value) * f.softplus(logits))


def _categorical_draw(data):
    # no empty batch: PyTorch's Categorical fails to reshape 0 elements there (ours is fine)
    batch = tuple(max(b, 1) for b in D.shape(data, max_dims=2))
    n = data.draw(st.integers(1, 4), label="classes")
    logits = values(data, (*batch, n), REAL)
    index = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=int(np.prod(batch)),
                                          max_size=int(np.prod(batch)))), np.int64)
    return Case([logits, index.reshape(batch)], grads=(True, False))


def _categorical(lib):
    def fn(logits, value):
        return _dist(lib).Categorical(logits=logits).log_prob(value)
    return fn


def _categorical_by_log_softmax(logits, value):
    return torch.log_softmax(logits, -1).gather(-1, value.unsqueeze(-1)).squeeze(-1)


# Scales within a factor of about 1e6 of each other: the derivatives go through r = sp / sq
# (exact 0 at p = q), and a second derivative at r = 1e-32 keeps a rounding residue of
# ~1e-46 where the answer is ~1e-61: harmless, but beyond the harness's absolute tolerance.
# Means of moderate size too: a mean broadcast over a batch gets the sum of +-g (mp - mq)
# / sq^2 terms, which at 1e30 cancel catastrophically in float32 in any order of summation.
# The KL at scales 1e30 apart is checked in test_distributions.py (finite where PyTorch's
# is not).
SPREADS = Domain(kinds=("normal", "ints", "big"), map=lambda a: np.abs(a) + 0.01)


def _kl_draw(data):
    shapes = D.broadcast_shapes(data, 4)
    return Case([values(data, shapes[0], MODERATE), values(data, shapes[1], SPREADS),
                 values(data, shapes[2], MODERATE), values(data, shapes[3], SPREADS)])


def _kl(lib):
    def fn(mp, sp, mq, sq):
        d = _dist(lib)
        return d.kl_divergence(d.Normal(mp, sp), d.Normal(mq, sq))
    return fn


def _kl_by_logs(mp, sp, mq, sq):
    return 0.5 * ((sp / sq) ** 2 + ((mp - mq) / sq) ** 2 - 1) - (sp.log() - sq.log())


def _mvn_draw(data):
    batch = tuple(max(b, 1) for b in D.shape(data, max_dims=1))  # as _categorical_draw
    k = data.draw(st.integers(1, 3), label="k")
    a = values(data, (*batch, k, k), MODERATE)
    tril = np.tril(a, -1) + np.eye(k) * (np.abs(a) + 0.5)  # a positive diagonal
    return Case([values(data, (k,), MODERATE), tril, values(data, (*batch, k), MODERATE)])


def _mvn(lib):
    def fn(loc, scale_tril, x):
        return _dist(lib).MultivariateNormal(loc, scale_tril=scale_tril).log_prob(x)
    return fn


SQUARES = ("PyTorch squares the scale (scale ** 2 overflows past 1e19 in float32, 1e154 in "
           "float64; inf / inf = nan) where the standardised z stays finite")

DISTRIBUTION_OPS = [
    Op("Normal.log_prob", _log_prob("Normal")(tg), _log_prob("Normal")(torch), _three(),
       alt=_normal_by_z, alt_why=SQUARES, nan_ok=SQUARES, covers=("distributions.Normal",),
       sums=2),  # z^2: at 'huge' values second derivatives cancel terms ~1e60 to rounding noise
    Op("Laplace.log_prob", _log_prob("Laplace")(tg), _log_prob("Laplace")(torch), _three(),
       nan_ok="at x = loc with a scale of 1e-300, PyTorch's second derivative multiplies the "
              "kink's 0 by 1 / scale^2 = inf; ours keeps the 0",
       covers=("distributions.Laplace",)),
    Op("Bernoulli.log_prob(logits)", _bernoulli(tg), _bernoulli(torch), _bernoulli_draw,
       alt=_bernoulli_by_softplus,
       alt_why="PyTorch's BCE-with-logits loses log1p(exp(-|x|)) below 1e-16 (gives -0.0 "
               "for exp(-529)); softplus keeps it, as ours does",
       covers=("distributions.Bernoulli",)),
    Op("Categorical.log_prob(logits)", _categorical(tg), _categorical(torch), _categorical_draw,
       alt=_categorical_by_log_softmax, grad_sums=True,
       alt_why="PyTorch's logits - logsumexp(logits) differentiates logsumexp as exp(x - lse) "
               "with lse rounded to x at 1e38 (every weight 1); log_softmax's derivative is "
               "exact",
       covers=("distributions.Categorical",)),
    Op("kl_divergence(Normal, Normal)", _kl(tg), _kl(torch), _kl_draw, alt=_kl_by_logs,
       alt_why="PyTorch takes log(var_ratio), which overflows (inf - inf = nan) or "
               "underflows (log 0) where the difference of the logs of the scales does not",
       nan_ok=SQUARES, covers=("distributions.kl_divergence",),
       grad_sums=True),  # a loc broadcast over a batch sums +-g/sq^2 terms to an exact 0
    Op("MultivariateNormal.log_prob(scale_tril)", _mvn(tg), _mvn(torch), _mvn_draw, sums=2,
       finite_upstream="the derivative in L sums products of the upstream gradient (the "
                       "solve's and the log-determinant's): inf - inf orders differ",
       covers=("distributions.MultivariateNormal",)),
]


@pytest.mark.parametrize("op", DISTRIBUTION_OPS, ids=lambda op: op.name)
@D.SETTINGS
@given(data=st.data())
def test_distribution_matches_torch(op, data):
    D.check(op, data)
