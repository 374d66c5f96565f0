"""The base class every distribution shares (``torch.distributions.Distribution``).

Shapes follow PyTorch. A distribution holds a *batch* of independent distributions
(``batch_shape``, the broadcast shape of its parameters); each draws *events* of
``event_shape`` (``()`` for a number, ``(k,)`` for a k-vector). ``sample(sample_shape)``
returns ``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` returns one
number per event, ``value.shape`` without the event axes.

Parameters are Tensors, so ``log_prob``, ``entropy``, ``mean``, ... are differentiable in
them: ``-Normal(mu, sigma).log_prob(y).mean()`` is a loss. ``rsample`` (where
``has_rsample``) is the reparameterised draw ``loc + scale * eps`` with a gradient;
``sample`` is the same draw without one. Random numbers come from the engine's seeded
generator (``manual_seed``).

With ``validate_args`` (on by default, as in PyTorch) the parameters are checked against
``arg_constraints`` when the distribution is made, and values against ``support`` in
``log_prob``/``cdf``: a bad input is a ValueError naming the parameter and the fix, not a
silent NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import creation
from tinygrad_dk.distributions import constraints
from tinygrad_dk.dtypes import get_default_dtype
from tinygrad_dk.grad_mode import no_grad
from tinygrad_dk.ops_pieces import broadcast_tensors
from tinygrad_dk.primitive import raw
from tinygrad_dk.spelling import Size
from tinygrad_dk.tensor import Tensor


def as_tensors(*values: Any) -> list[Tensor]:
    """Parameters as Tensors: numbers take the dtype of the tensors among them (else the
    default float dtype), as PyTorch's ``broadcast_all`` does; tensors are kept (graph and
    all), so gradients reach them."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    dtype = tensors[0].dtype if tensors else get_default_dtype()
    out = []
    for v in values:
        if not isinstance(v, Tensor):
            v = creation.tensor(v, dtype=dtype if isinstance(v, (int, float)) else None)
        if v.dtype.kind != "f":  # integer parameters (rate=3) become floats
            v = v.to(dtype if dtype.kind == "f" else get_default_dtype())
        out.append(v)
    return out


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """The parameters as Tensors broadcast to one shape (the batch shape)."""
    return tuple(broadcast_tensors(*as_tensors(*values)))


def draw(kind: str, shape: tuple, dtype: Any, **params: Any) -> Tensor:
    """Random numbers from the engine's shared generator (seeded by ``manual_seed``)."""
    rng = creation.generator()
    data = {"normal": lambda: rng.standard_normal(shape),
            "uniform": lambda: rng.uniform(params.get("low", 0.0), 1.0, shape),
            "exponential": lambda: rng.standard_exponential(shape),
            "poisson": lambda: rng.poisson(np.broadcast_to(params.get("rate"), shape))}[kind]()
    return Tensor(np.asarray(data, dtype=dtype))


def one_of(name: str, **given: Any) -> str:
    """The one parameter given of two alternatives (``probs=`` or ``logits=``, ...)."""
    names = [k for k, v in given.items() if v is not None]
    if len(names) != 1:
        options = " or ".join(f"{k}=" for k in given)
        raise ValueError(f"{name}: give exactly one of {options}, got "
                         f"{', '.join(names) if names else 'none'}")
    return names[0]


class Distribution:
    """A batch of probability distributions: shapes, sampling, validation, ``expand``."""

    has_rsample = False
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: constraints.Constraint | None = None
    param_event_dims: dict[str, int] = {}  # axes of a parameter beyond the batch (probs: 1)
    _validate_args = True  # PyTorch's default (its __debug__)

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Switch argument validation on or off for distributions made from now on."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: give True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape: Any = (), event_shape: Any = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for name, value in self.params().items():
                self._check(self.arg_constraints[name], value, f"parameter {name}")

    # --- shapes -------------------------------------------------------------------------

    @property
    def batch_shape(self) -> Size:
        """The shape of the batch of independent distributions."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of one draw."""
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> Size:
        if isinstance(sample_shape, (int, np.integer)):
            sample_shape = (sample_shape,)
        return Size((*sample_shape, *self._batch_shape, *self._event_shape))

    def params(self) -> dict[str, Tensor]:
        """The parameters the distribution was made with, by name (for checks, repr, expand)."""
        return {name: getattr(self, name) for name in self.arg_constraints}

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """The same distribution repeated over a larger ``batch_shape`` (no copy of data)."""
        batch_shape = Size(batch_shape)
        new = {}
        for name, value in self.params().items():
            extra = self.param_event_dims.get(name, 0)
            new[name] = value.expand(*batch_shape, *value.shape[value.ndim - extra:])
        out = type(self)(**new, validate_args=False)
        out._validate_args = self._validate_args
        return out

    # --- sampling -----------------------------------------------------------------------

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A draw that carries the parameters' gradient (the reparameterisation trick)."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (no reparameterised "
                                  "draw); use sample(), which has no gradient")

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape + event_shape``, without gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def sample_n(self, n: int) -> Tensor:
        """``n`` draws (PyTorch's old spelling of ``sample((n,))``)."""
        return self.sample((n,))

    # --- what each distribution defines -------------------------------------------------

    def log_prob(self, value: Any) -> Tensor:
        """The log density (or log probability) of ``value``."""
        raise NotImplementedError(f"{type(self).__name__} has no log_prob")

    def entropy(self) -> Tensor:
        """The entropy of each distribution of the batch, in nats."""
        raise NotImplementedError(f"{type(self).__name__} has no entropy")

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value)."""
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def icdf(self, value: Any) -> Tensor:
        """The value with cdf(value) = the probability ``value`` (the quantile)."""
        raise NotImplementedError(f"{type(self).__name__} has no icdf")

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation: the square root of the variance."""
        return self.variance.sqrt()

    # --- validation ---------------------------------------------------------------------

    def _value(self, value: Any) -> Tensor:
        """``value`` as a Tensor of the parameters' dtype, checked when validating: its last
        axes must be the event shape, the rest must broadcast with the batch shape, and it
        must lie in the support."""
        value = self._as_tensor(value)
        if not self._validate_args:
            return value
        shape, event, batch = tuple(value.shape), tuple(self._event_shape), self._batch_shape
        name = type(self).__name__
        if len(shape) < len(event) or shape[len(shape) - len(event):] != event:
            raise ValueError(f"{name}: the last axes of the value (shape {shape}) must be the "
                             f"event shape {event}")
        for i, j in zip(reversed(shape[:len(shape) - len(event)]), reversed(batch)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"{name}: a value of shape {shape} does not broadcast with "
                                 f"batch_shape + event_shape = {tuple(batch) + event}")
        self._check(self.support, value, "value")
        return value

    def _as_tensor(self, value: Any) -> Tensor:
        """``value`` as it is if a Tensor, else as one of the parameters' dtype."""
        if isinstance(value, Tensor):
            return value
        return creation.tensor(value, dtype=next(iter(self.params().values())).dtype)

    def _probability(self, value: Any) -> Tensor:
        """The argument of ``icdf``: a probability, checked to lie in [0, 1]."""
        value = self._as_tensor(value)
        if self._validate_args:
            self._check(constraints.unit_interval, value, "probability")
        return value

    def _check(self, constraint: Any, value: Any, what: str) -> None:
        ok = np.asarray(constraint.check(value)) if constraint is not None else True
        if np.all(ok):
            return
        v = np.asarray(raw(value))
        bad = v[~ok] if ok.shape == v.shape[:ok.ndim] else v  # the offending entries
        raise ValueError(
            f"{type(self).__name__}: {what} (shape {v.shape}) must satisfy {constraint!r}, "
            f"but it holds {bad.ravel()[:5].tolist()}{' ...' * (bad.size > 5)}. Fix: "
            f"{constraint.fix}; or pass validate_args=False to skip this check")

    def __repr__(self) -> str:
        parts = []
        for name, value in self.params().items():
            v = raw(value)
            parts.append(f"{name}: {v.item() if np.size(v) == 1 else Size(np.shape(v))}")
        return f"{type(self).__name__}({', '.join(parts)})"
