"""Distributions of one real number: Normal, LogNormal, Laplace, Uniform, Exponential.

Each is written with Tensor operations, so every result is differentiable in the
parameters (and twice). The formulas are arranged to stay finite: the Gaussian
log-density uses the standardised ``z = (x - loc) / scale`` (never ``scale ** 2``, which
overflows at 1e20 in float32), and the cdfs use ``erf``/``expm1``/``log1p``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk import creation, ops
from tinygrad_dk.distributions import constraints
from tinygrad_dk.distributions.distribution import Distribution, broadcast_all, draw
from tinygrad_dk.primitive import raw
from tinygrad_dk.tensor import Tensor

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)  # the normal density's constant


class _LocScale(Distribution):
    """A location-scale family: loc real, scale > 0, both broadcast to the batch shape."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    def _z(self, value: Any) -> Tensor:
        """The standardised (value - loc) / scale, of a checked value."""
        return (self._value(value) - self.loc) / self.scale

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc


class Normal(_LocScale):
    """The Gaussian N(loc, scale^2): ``scale`` is the standard deviation, not the variance."""

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        eps = draw("normal", self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        """-z^2/2 - log(scale) - log(sqrt(2 pi)), z = (value - loc) / scale."""
        z = self._z(value)
        return -0.5 * z * z - self.scale.log() - LOG_SQRT_2PI

    def cdf(self, value: Any) -> Tensor:
        z = self._z(value)
        return 0.5 * (1 + (z / math.sqrt(2)).erf())

    def icdf(self, value: Any) -> Tensor:
        value = self._probability(value)
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + LOG_SQRT_2PI + self.scale.log()

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)


class LogNormal(Distribution):
    """exp(X) with X ~ Normal(loc, scale): a positive quantity whose log is Gaussian."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        self.loc, self.scale = self.base_dist.loc, self.base_dist.scale
        super().__init__(self.loc.shape, (), validate_args)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value: Any) -> Tensor:
        """The normal log-density of log(value), minus log(value) (the change of variables)."""
        log_value = self._value(value).log()
        return self.base_dist.log_prob(log_value) - log_value

    def cdf(self, value: Any) -> Tensor:
        return self.base_dist.cdf(self._value(value).log())

    def icdf(self, value: Any) -> Tensor:
        return self.base_dist.icdf(value).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.pow(2)).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()


class Laplace(_LocScale):
    """The double exponential: density exp(-|x - loc| / scale) / (2 scale)."""

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        dtype = raw(self.loc).dtype
        u = draw("uniform", self._extended_shape(sample_shape), dtype,
                 low=np.finfo(dtype).eps - 1)  # in (-1, 1): log1p(-|u|) stays finite
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value: Any) -> Tensor:
        z = self._z(value)
        return -(2 * self.scale).log() - z.abs()

    def cdf(self, value: Any) -> Tensor:
        z = self._z(value)
        return 0.5 - 0.5 * z.sign() * (-z.abs()).expm1()

    def icdf(self, value: Any) -> Tensor:
        term = self._probability(value) - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale


class Uniform(Distribution):
    """Uniform on [low, high): density 1 / (high - low) inside, 0 outside."""

    has_rsample = True

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:  # type: ignore[override]
        return {"low": constraints.less_than(self.high),
                "high": constraints.greater_than(self.low)}

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.interval(self.low, self.high)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = draw("uniform", self._extended_shape(sample_shape), raw(self.low).dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value)
        inside = (raw(self.low) <= raw(value)) & (raw(value) < raw(self.high))
        return ops.where(inside, -(self.high - self.low).log(), -math.inf)

    def cdf(self, value: Any) -> Tensor:
        value = self._value(value)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value: Any) -> Tensor:
        return self.low + self._probability(value) * (self.high - self.low)

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return self.high * math.nan  # every point is a mode: PyTorch says nan

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / math.sqrt(12)

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low).pow(2) / 12


class Exponential(Distribution):
    """Waiting times with ``rate`` events per unit: density rate * exp(-rate x), x >= 0."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        e = draw("exponential", self._extended_shape(sample_shape), raw(self.rate).dtype)
        return e / self.rate

    def log_prob(self, value: Any) -> Tensor:
        return self.rate.log() - self.rate * self._value(value)

    def cdf(self, value: Any) -> Tensor:
        return -(-self.rate * self._value(value)).expm1()

    def icdf(self, value: Any) -> Tensor:
        return -(-self._probability(value)).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return creation.zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)
