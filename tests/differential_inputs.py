"""The inputs of the differential harness (``tests/differential.py``): numbers and shapes.

* **numbers**: each array is filled with one *kind* of numbers (``KINDS``): ordinary
  ones, small integers (ties and exact zeros), +-1e3, +-1e30, float32's largest and
  smallest numbers, a mix of everything, a mix with +-inf. A ``Domain`` is the kinds an
  input may take and a map applied after (``POSITIVE``, ``PROBABILITY``).
* **shapes**: 0 to 3 axes of length 0 to 4 (1 often, 0 sometimes); ``broadcast_shapes``
  gives shapes that broadcast together.
* **draws**: a ``Case`` is one example (arrays, options, which arrays get a gradient);
  ``unary``, ``elementwise`` and ``reduction`` build the usual ``draw`` functions.

hypothesis chooses the shapes, the kinds and a seed; numpy fills the arrays from the seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

# --- values ------------------------------------------------------------------------------

F32_MAX = float(np.finfo(np.float32).max)  # 3.4028235e38
F32_TINY = float(np.finfo(np.float32).tiny)  # 1.1754944e-38, smallest normal float32

#: the kinds of numbers an array is filled with (one kind per array)
KINDS = ("normal", "ints", "big", "huge", "f32max", "tiny", "mixed", "inf")


def fill(kind: str, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    sign = rng.choice([-1.0, 1.0], size=n)
    if kind == "normal":
        v = rng.standard_normal(n)
    elif kind == "ints":  # small integers: many ties and exact zeros
        v = rng.integers(-3, 4, size=n).astype(np.float64)
    elif kind == "big":
        v = sign * rng.uniform(0.5, 2.0, size=n) * 1e3
    elif kind == "huge":
        v = sign * rng.uniform(0.5, 2.0, size=n) * 1e30
    elif kind == "f32max":  # float32's largest numbers (and equal ones: ties)
        v = sign * rng.choice([F32_MAX, 0.9 * F32_MAX, 0.5 * F32_MAX], size=n)
    elif kind == "tiny":  # near float32's smallest normal number, and smaller
        v = sign * rng.choice([F32_TINY, 1e-30, 1e-40, 1e-300], size=n)
    elif kind in ("mixed", "inf"):  # every element its own kind
        pool = [0.0, 1.0, -1.0, 0.5, 1e3, -1e3, 1e30, -1e30, 1e-30, F32_MAX, -F32_MAX]
        if kind == "inf":
            pool += [math.inf, -math.inf]
        v = np.where(rng.random(n) < 0.5, rng.choice(pool, size=n), rng.standard_normal(n))
    else:
        raise ValueError(kind)
    return v.reshape(shape)


@dataclass(frozen=True)
class Domain:
    """Which numbers an input may hold: the kinds drawn, and a map applied afterwards."""

    kinds: tuple[str, ...] = KINDS
    map: Callable[[np.ndarray], np.ndarray] | None = None


REAL = Domain()
FINITE = Domain(kinds=tuple(k for k in KINDS if k != "inf"))
MODERATE = Domain(kinds=("normal", "ints", "big"))
WEIGHTS = Domain(kinds=("normal", "ints"))  # the h of a second derivative
POSITIVE = Domain(kinds=("normal", "ints", "big", "huge", "tiny", "mixed"),
                  map=lambda a: np.abs(a) + (a == 0))
PROBABILITY = Domain(kinds=("normal", "ints", "tiny", "mixed"),
                     map=lambda a: np.clip(np.abs(np.tanh(a)), 0.0, 1.0))


def values(data: Any, shape: tuple, domain: Domain = REAL) -> np.ndarray:
    """An array of ``shape`` filled by one kind from ``domain``, seeded by hypothesis."""
    kind = data.draw(st.sampled_from(domain.kinds), label="kind")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    arr = fill(kind, shape, np.random.default_rng(seed))
    return arr if domain.map is None else domain.map(arr)


# --- shapes ------------------------------------------------------------------------------

SIZES = st.sampled_from([1, 1, 2, 3, 4, 0])


def shape(data: Any, min_dims: int = 0, max_dims: int = 3) -> tuple[int, ...]:
    """A shape with 0..3 axes of length 0..4 (lengths 1 often, 0 sometimes)."""
    ndim = data.draw(st.integers(min_dims, max_dims), label="ndim")
    return tuple(data.draw(SIZES) for _ in range(ndim))


def broadcast_shapes(data: Any, n: int, min_dims: int = 0) -> list[tuple[int, ...]]:
    """``n`` shapes that broadcast together: each drops leading axes of a common shape
    and turns some axes into 1."""
    full = shape(data, min_dims=min_dims)
    return [smaller(data, full, min_dims) for _ in range(n)]


def smaller(data: Any, full: tuple[int, ...], min_dims: int = 0) -> tuple[int, ...]:
    """A shape that broadcasts to ``full``: leading axes dropped, some axes made 1."""
    drop = data.draw(st.integers(0, max(len(full) - min_dims, 0)), label="drop")
    ones = [data.draw(st.booleans()) for _ in full[drop:]]
    return tuple(1 if one else d for one, d in zip(ones, full[drop:]))


# --- one example ------------------------------------------------------------------


@dataclass
class Case:
    """One drawn example: the arrays (the op's differentiable inputs, in order), options
    passed to both functions, and constants passed unchanged (labels, indices)."""

    arrays: list[np.ndarray]
    kwargs: dict = field(default_factory=dict)
    grads: Sequence[bool] | None = None  # which arrays get a gradient (default: all)


Draw = Callable[[Any], Case]


def elementwise(n: int = 1, domain: Domain = REAL, *domains: Domain, min_dims: int = 0) -> Draw:
    """``n`` arrays of broadcasting shapes (the i-th from ``domains[i]`` when given)."""
    doms = (domain, *domains) if domains else (domain,) * n

    def draw(data: Any) -> Case:
        shapes = broadcast_shapes(data, n, min_dims)
        return Case([values(data, s, d) for s, d in zip(shapes, doms)])

    return draw


def unary(domain: Domain = REAL, min_dims: int = 0, **options: Any) -> Draw:
    """One array; ``options`` maps keyword names to strategies drawn for each example."""
    def draw(data: Any) -> Case:
        kwargs = {k: data.draw(v, label=k) for k, v in options.items()}
        return Case([values(data, shape(data, min_dims), domain)], kwargs)

    return draw


def axis_for(data: Any, ndim: int, allow_tuple: bool = True, allow_none: bool = True) -> Any:
    """A numpy axis argument valid for ``ndim`` axes: None, an int (maybe negative) or a
    tuple of distinct axes."""
    choices = []
    if allow_none or ndim == 0:
        choices.append(st.none())
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                    unique=True).map(tuple))
    return data.draw(st.one_of(*choices), label="axis")


def reduction(domain: Domain = REAL, allow_tuple: bool = True, allow_none: bool = True,
              keepdims: bool = True, nonempty: bool = False, **options: Any) -> Draw:
    """One array, an ``axis`` (and ``keepdims``); ``nonempty`` keeps the reduced axes
    non-empty (for ops that refuse to reduce nothing)."""
    def draw(data: Any) -> Case:
        s = shape(data)
        axis = axis_for(data, len(s), allow_tuple, allow_none)
        if nonempty:
            s = tuple(max(d, 1) for d in s)
        kwargs = {"axis": axis}
        if keepdims:
            kwargs["keepdims"] = data.draw(st.booleans(), label="keepdims")
        kwargs.update({k: data.draw(v, label=k) for k, v in options.items()})
        return Case([values(data, s, domain)], kwargs)

    return draw


def dims(axis: Any, ndim: int) -> Any:
    """numpy's ``axis`` as PyTorch's ``dim``: None becomes every axis."""
    return tuple(range(ndim)) if axis is None else axis


def upstream(data: Any, out_shape: tuple, dtype: Any, finite: bool = False) -> np.ndarray:
    """A random upstream gradient; sometimes with inf, +-1e30 or exact zeros in it."""
    kinds = ("normal", "normal", "ints", "big") if finite else (
        "normal", "normal", "ints", "big", "huge", "inf_g")
    kind = data.draw(st.sampled_from(kinds), label="upstream kind")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="upstream seed"))
    if kind == "inf_g":
        g = fill("normal", out_shape, rng)
        n = g.size
        g.reshape(-1)[rng.random(n) < 0.3] = math.inf
    else:
        g = fill(kind, out_shape, rng)
    return g.astype(dtype)
