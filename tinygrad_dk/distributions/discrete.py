"""Distributions of counts and classes: Bernoulli, Categorical, OneHotCategorical, Poisson.

Bernoulli and Categorical take ``probs=`` or ``logits=`` (exactly one) and compute the
other when asked. From logits, the log-probabilities use the engine's stable ops
(``binary_cross_entropy_with_logits``, ``logsumexp``), so a network's raw outputs give a
finite, exact ``log_prob`` even at logits of +-1e30. From probs, the probabilities are
clamped to [eps, 1 - eps] before their log, as PyTorch does (``log(0)`` would be -inf).
None of these has ``rsample``: a discrete draw has no gradient.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk import creation, ops, ops_nn
from tinygrad_dk.distributions import constraints
from tinygrad_dk.distributions.distribution import Distribution, broadcast_all, draw, one_of
from tinygrad_dk.ops_pieces import broadcast_tensors
from tinygrad_dk.primitive import raw
from tinygrad_dk.tensor import Tensor


def _eps(t: Tensor) -> float:
    return float(np.finfo(raw(t).dtype).eps)


class _ProbsOrLogits(Distribution):
    """The shared mechanism: one of probs/logits is given, the other computed on demand."""

    def _given(self, probs: Any, logits: Any) -> tuple[str, Tensor]:
        self._which = one_of(type(self).__name__, probs=probs, logits=logits)
        return self._which, probs if logits is None else logits

    def params(self) -> dict[str, Tensor]:
        return {self._which: getattr(self, self._which)}

    @property
    def probs(self) -> Tensor:
        """The probabilities (computed from the logits if those were given)."""
        if self._probs is None:
            self._probs = self._probs_from(self._logits)
        return self._probs

    @property
    def logits(self) -> Tensor:
        """The log-odds / log-probabilities (computed from the probs if those were given)."""
        if self._logits is None:
            self._logits = self._logits_from(self._probs)
        return self._logits

    @property
    def param_shape(self) -> tuple:
        return tuple(getattr(self, self._which).shape)


class Bernoulli(_ProbsOrLogits):
    """A coin with P(1) = probs = sigmoid(logits); values 0.0 or 1.0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        which, value = self._given(probs, logits)
        (value,) = broadcast_all(value)
        self._probs, self._logits = (value, None) if which == "probs" else (None, value)
        super().__init__(value.shape, (), validate_args)

    def _probs_from(self, logits: Tensor) -> Tensor:
        return logits.sigmoid()

    def _logits_from(self, probs: Tensor) -> Tensor:
        return probs.logit(_eps(probs))  # log(p / (1 - p)), p clamped to [eps, 1 - eps]

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = raw(self.probs)
        return Tensor((creation.generator().random(shape) < p).astype(p.dtype))

    def log_prob(self, value: Any) -> Tensor:
        """-BCE(logits, value): log p for 1, log(1 - p) for 0, from the logits."""
        logits, value = broadcast_tensors(self.logits, self._value(value))
        return -ops_nn.binary_cross_entropy_with_logits(logits, value)

    def entropy(self) -> Tensor:
        return ops_nn.binary_cross_entropy_with_logits(self.logits, self.probs)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = raw(self.probs)
        return Tensor(np.where(p == 0.5, np.nan, p > 0.5).astype(p.dtype))  # a tie: nan

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)


class Categorical(_ProbsOrLogits):
    """One of n classes 0..n-1 with probabilities ``probs`` (last axis; normalised here)
    or ``softmax(logits)``; the other axes are the batch."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    param_event_dims = {"probs": 1, "logits": 1}

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        which, value = self._given(probs, logits)
        (value,) = broadcast_all(value)
        if value.ndim < 1:
            raise ValueError(f"{type(self).__name__}: {which} must have at least one axis (the "
                             f"classes), got a scalar; e.g. {which}=tensor([0.2, 0.8])")
        if which == "probs":
            self._probs, self._logits = value / value.sum(-1, keepdim=True), None
        else:
            self._probs, self._logits = None, value - value.logsumexp(-1, keepdim=True)
        self._num_events = value.shape[-1]
        super().__init__(value.shape[:-1], (), validate_args)

    def _probs_from(self, logits: Tensor) -> Tensor:
        return logits.softmax(-1)

    def _logits_from(self, probs: Tensor) -> Tensor:
        return probs.clamp(_eps(probs), 1 - _eps(probs)).log()

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.integer_interval(0, self._num_events - 1)

    def _indices(self, sample_shape: Any) -> np.ndarray:
        """Class indices drawn by inverting the cumulative probabilities."""
        shape = self._extended_shape(sample_shape)
        cdf = np.cumsum(raw(self.probs), axis=-1)
        u = creation.generator().random((*shape, 1))
        return np.minimum((np.broadcast_to(cdf, (*shape, self._num_events)) < u).sum(-1),
                          self._num_events - 1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return Tensor(self._indices(sample_shape).astype(np.int64))

    def log_prob(self, value: Any) -> Tensor:
        """log softmax(logits)[value]: the normalised logits at the class index."""
        index = raw(self._value(value)).astype(np.int64)[..., None]
        shape = np.broadcast_shapes(index.shape, (*self.logits.shape[:-1], 1))
        logits = self.logits.expand(*shape[:-1], self._num_events)
        return logits.gather(-1, Tensor(np.broadcast_to(index, shape))).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum p log p, with -inf logits clamped (their p is 0: 0 * log 0 = 0)."""
        logits = self.logits.clamp(min=float(np.finfo(raw(self.logits).dtype).min))
        return -(logits * self.probs).sum(-1)

    @property
    def mean(self) -> Tensor:
        return creation.full(tuple(self.batch_shape), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return self.mean


class OneHotCategorical(Distribution):
    """A Categorical whose draws are one-hot vectors of length n (event_shape (n,))."""

    arg_constraints = Categorical.arg_constraints
    param_event_dims = Categorical.param_event_dims
    support = constraints.one_hot

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        n = self._categorical._num_events
        super().__init__(self._categorical.batch_shape, (n,), validate_args=False)
        if validate_args is not None:
            self._validate_args = validate_args

    def params(self) -> dict[str, Tensor]:
        return self._categorical.params()

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    def sample(self, sample_shape: Any = ()) -> Tensor:
        index = self._categorical._indices(sample_shape)
        return Tensor(np.eye(self.event_shape[0], dtype=raw(self.probs).dtype)[index])

    def log_prob(self, value: Any) -> Tensor:
        return self._categorical.log_prob(raw(self._value(value)).argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = raw(self.probs)
        return Tensor(np.eye(p.shape[-1], dtype=p.dtype)[p.argmax(-1)])

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)


class Poisson(Distribution):
    """Counts of events with mean ``rate``: P(k) = rate^k exp(-rate) / k!."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return draw("poisson", shape, raw(self.rate).dtype, rate=raw(self.rate))

    def log_prob(self, value: Any) -> Tensor:
        """k log(rate) - rate - log(k!), with 0 log 0 = 0 (xlogy) for rate 0."""
        rate, value = broadcast_tensors(self.rate, self._value(value))
        return ops.where(raw(value) == 0, 0.0, value.xlogy(rate)) - rate - (value + 1).lgamma()

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate
