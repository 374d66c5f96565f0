"""Random numbers under PyTorch's names: in-place fills (``w.normal_(0, 0.01)``,
``mask.bernoulli_(0.8)``), sampling functions (``multinomial``, ``bernoulli``,
``poisson``, ``randint_like``) and the shared generator's seed and state.

Everything draws from the generator of ``tinygrad_dk.creation`` (or the ``generator=``
given), so ``manual_seed`` makes it repeatable, and ``get_rng_state()`` /
``set_rng_state(state)`` save and restore the exact point of the stream (numpy's
bit-generator state, a dict).

An in-place fill follows ``tinygrad_dk.inplace``'s rules: refused on a parameter while
the graph is recorded (fill it inside ``no_grad()``, as ``nn.init`` does); on a computed
tensor, the new numbers carry no gradient to the old ones.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from tinygrad_dk import inplace
from tinygrad_dk.device import check as check_device
from tinygrad_dk.node import Node
from tinygrad_dk.tensor_base import TensorBase


def _rng(generator: Any) -> np.random.Generator:
    from tinygrad_dk import creation  # (creation imports the Tensor class, which imports us)

    return creation.rng_of(generator)


def _fill(t: TensorBase, op: str, samples: Any, continuous: bool = True) -> Any:
    """Write ``samples`` (an array of ``t``'s shape) into ``t`` in place, in its dtype."""
    if continuous and t.dtype.kind != "f":
        raise TypeError(
            f"{op}: draws real numbers, but this tensor is {t.dtype}; call it on a "
            "floating-point tensor (t.float()), or use random_(low, high) for integers"
        )
    return inplace.fill(t, op, np.asarray(samples).astype(t.dtype))


def _check(op: str, ok: bool, what: str, **values: Any) -> None:
    if not ok:
        given = ", ".join(f"{k}={v!r}" for k, v in values.items())
        raise ValueError(f"{op}: expects {what}, got {given}")


# --- in-place fills (Tensor methods) ----------------------------------------------------------


def normal_(self: TensorBase, mean: float = 0.0, std: float = 1.0, *,
            generator: Any = None) -> Any:
    """Fill with samples of N(mean, std^2), in place."""
    _check("normal_", std >= 0, "std >= 0", std=std)
    return _fill(self, "normal_", _rng(generator).normal(mean, std, self.shape))


def uniform_(self: TensorBase, a: float = 0.0, b: float = 1.0, *, generator: Any = None,
             **bounds: Any) -> Any:
    """Fill with samples uniform in [a, b), in place (PyTorch's ``from``/``to`` also work as
    keywords: ``uniform_(**{"from": -1, "to": 1})``)."""
    a, b = bounds.pop("from", a), bounds.pop("to", b)
    if bounds:
        raise TypeError(f"uniform_: unexpected arguments {sorted(bounds)}; give (a, b), "
                        "the bounds of the interval [a, b)")
    _check("uniform_", a <= b, "from <= to (the interval [from, to))", **{"from": a, "to": b})
    return _fill(self, "uniform_", _rng(generator).uniform(a, b, self.shape))


def bernoulli_(self: TensorBase, p: Any = 0.5, *, generator: Any = None) -> Any:
    """Fill with 1 (probability ``p``, a number or a tensor of probabilities) or 0, in place."""
    probs = np.asarray(p._data if isinstance(p, TensorBase) else p, dtype=np.float64)
    _check("bernoulli_", bool(np.all((probs >= 0) & (probs <= 1))), "p in [0, 1]", p=p)
    draws = _rng(generator).random(self.shape) < probs
    return _fill(self, "bernoulli_", draws, continuous=False)


def _whole_range(dtype: np.dtype) -> int:
    """``random_()``'s upper end (exclusive): every integer the dtype holds exactly."""
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1) + 1
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max) + (1 if dtype.kind == "u" else 0)


def random_(self: TensorBase, from_: int = 0, to: int | None = None, *,
            generator: Any = None, **bounds: Any) -> Any:
    """Fill with integers in [from, to), in place: ``random_(to)`` or ``random_(from, to)``;
    ``random_()`` uses every integer the dtype holds exactly (from 0)."""
    from_ = bounds.pop("from", from_)
    if bounds:
        raise TypeError(f"random_: unexpected arguments {sorted(bounds)}; give (from, to)")
    if to is None and from_ != 0:  # random_(to)
        from_, to = 0, from_
    high = _whole_range(self.dtype) if to is None else int(to)
    _check("random_", int(from_) < high, "from < to", **{"from": from_, "to": to})
    draws = _rng(generator).integers(int(from_), high, self.shape, dtype=np.int64)
    return _fill(self, "random_", draws, continuous=False)


def exponential_(self: TensorBase, lambd: float = 1.0, *, generator: Any = None) -> Any:
    """Fill with samples of the exponential distribution of rate ``lambd``, in place."""
    _check("exponential_", lambd > 0, "lambd > 0", lambd=lambd)
    return _fill(self, "exponential_", _rng(generator).exponential(1.0 / lambd, self.shape))


def geometric_(self: TensorBase, p: float, *, generator: Any = None) -> Any:
    """Fill with the number of tries up to the first success (1, 2, ...), each a success with
    probability ``p``, in place."""
    _check("geometric_", 0 < p < 1, "p in (0, 1)", p=p)
    return _fill(self, "geometric_", _rng(generator).geometric(p, self.shape), continuous=False)


def log_normal_(self: TensorBase, mean: float = 1.0, std: float = 2.0, *,
                generator: Any = None) -> Any:
    """Fill with exp(N(mean, std^2)) samples, in place (``mean``/``std`` of the logarithm)."""
    _check("log_normal_", std > 0, "std > 0", std=std)
    return _fill(self, "log_normal_", _rng(generator).lognormal(mean, std, self.shape))


def cauchy_(self: TensorBase, median: float = 0.0, sigma: float = 1.0, *,
            generator: Any = None) -> Any:
    """Fill with samples of the Cauchy distribution (``median``, scale ``sigma``), in place."""
    _check("cauchy_", sigma > 0, "sigma > 0", sigma=sigma)
    draws = median + sigma * _rng(generator).standard_cauchy(self.shape)
    return _fill(self, "cauchy_", draws)


# --- sampling functions ----------------------------------------------------------------------


def _array(x: Any, op: str) -> np.ndarray:
    arr = np.asarray(x._data if isinstance(x, TensorBase) else x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected numbers, got dtype {arr.dtype}")
    return arr


def _tensor(arr: np.ndarray) -> Any:
    from tinygrad_dk.tensor import Tensor

    return Tensor(arr)


def bernoulli(input: Any, p: float | None = None, *, generator: Any = None) -> Any:  # noqa: A002
    """1 with probability ``input`` (elementwise, in [0, 1]), else 0, in ``input``'s dtype;
    with ``p``, every element has probability ``p``."""
    probs = _array(input, "bernoulli")
    chance = probs if p is None else np.full(probs.shape, p, np.float64)
    _check("bernoulli", bool(np.all((chance >= 0) & (chance <= 1))),
           "probabilities in [0, 1]", input=input if p is None else p)
    draws = _rng(generator).random(probs.shape) < chance
    return _tensor(draws.astype(probs.dtype if probs.dtype.kind == "f" else np.float32))


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None) -> Any:
    """Draw ``num_samples`` category indices (int64) from each row of weights ``input``
    (1-D: one row; 2-D: one row per distribution). Weights need not sum to 1; without
    ``replacement`` each category is drawn at most once."""
    weights = _array(input, "multinomial").astype(np.float64)
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ValueError(f"multinomial: input must be a 1-D or 2-D tensor of weights with at "
                         f"least one category, got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("multinomial: the weights contain inf, nan or a negative number; "
                         "give non-negative finite weights (e.g. softmax probabilities)")
    rows = weights.reshape(-1, weights.shape[-1])
    totals = rows.sum(axis=1)
    if np.any(totals <= 0):
        raise ValueError("multinomial: a row of weights sums to 0; every row needs a "
                         "positive weight somewhere")
    n = int(num_samples)
    if n < 1:
        raise ValueError(f"multinomial: num_samples must be >= 1, got {num_samples}")
    positive = int(np.count_nonzero(rows, axis=1).min())
    if not replacement and n > positive:
        raise ValueError(
            f"multinomial: cannot draw {n} samples without replacement when a row has only "
            f"{positive} categories of positive weight; draw fewer, or pass replacement=True"
        )
    rng = _rng(generator)
    out = np.stack([rng.choice(rows.shape[1], n, replace=bool(replacement), p=row / total)
                    for row, total in zip(rows, totals)])
    return _tensor(out.reshape(weights.shape[:-1] + (n,)).astype(np.int64))


def poisson(input: Any, generator: Any = None) -> Any:  # noqa: A002
    """Samples of the Poisson distribution, elementwise with rates ``input`` (>= 0), in
    ``input``'s dtype."""
    rates = _array(input, "poisson")
    _check("poisson", bool(np.all(rates >= 0)), "rates >= 0", input=input)
    draws = _rng(generator).poisson(rates)
    return _tensor(draws.astype(rates.dtype if rates.dtype.kind == "f" else np.float32))


def randint_like(input: Any, low: int = 0, high: int | None = None, *,  # noqa: A002
                 dtype: Any = None, requires_grad: bool = False, device: Any = None,
                 generator: Any = None) -> Any:
    """Random integers in [low, high) with ``input``'s shape and dtype (or ``dtype``):
    ``randint_like(x, 10)`` or ``randint_like(x, 5, 10)``."""
    check_device(device)
    shape_of = _array(input, "randint_like")
    if high is None:
        low, high = 0, low
    _check("randint_like", int(low) < int(high), "low < high", low=low, high=high)
    draws = _rng(generator).integers(int(low), int(high), shape_of.shape)
    result = _tensor(draws.astype(shape_of.dtype if dtype is None else dtype))
    return result.requires_grad_(True) if requires_grad else result


# --- the shared generator's seed and state ------------------------------------------------------


def seed() -> int:
    """Seed the shared generator with a fresh random number, and return that number."""
    from tinygrad_dk import creation

    fresh = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    creation.manual_seed(fresh)
    return fresh


def get_rng_state() -> dict:
    """Where the shared generator is in its stream (a copy of numpy's bit-generator state,
    a dict); ``set_rng_state`` goes back to exactly that point."""
    return copy.deepcopy(_rng(None).bit_generator.state)


def set_rng_state(new_state: dict) -> None:
    """Put the shared generator back where ``get_rng_state()`` found it."""
    if not isinstance(new_state, dict) or "bit_generator" not in new_state:
        raise TypeError(f"set_rng_state: expected a state from get_rng_state() (a dict), got "
                        f"{type(new_state).__name__}")
    bit_generator = _rng(None).bit_generator
    if new_state["bit_generator"] != type(bit_generator).__name__:
        raise ValueError(f"set_rng_state: this state belongs to a {new_state['bit_generator']} "
                         f"generator, the shared one is {type(bit_generator).__name__}")
    bit_generator.state = copy.deepcopy(new_state)


# --- dropout (tinygrad_dk.dropout; nn.functional.dropout and nn.Dropout call it) ------------


def dropout(input: Any, p: float = 0.5, train: bool = True) -> Any:  # noqa: A002
    """Zero each element with probability ``p`` while training ("inverted" dropout).

    The survivors are multiplied by 1 / (1 - p), so the expected value of every
    element stays the same; at evaluation time (``train=False``) the input passes
    through unchanged and nothing needs rescaling. The random mask comes from the
    shared generator, so ``tinygrad_dk.manual_seed`` makes it repeatable.
    """
    if isinstance(p, bool) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    if not train or p == 0:
        return input
    x = input if isinstance(input, Node) else _tensor(input)
    if p == 1:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = _rng(None).random(x.shape) >= p
    scale = np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    return x * (keep.astype(x.dtype) * scale)
