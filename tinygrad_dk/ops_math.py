"""More operations that PyTorch programs reach for: ``sin``, ``cos``, ``clone`` and the
vector norm. As everywhere, each forward sits next to its derivative, written with
engine operations (so second derivatives work).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_dk import ops
from tinygrad_dk.ops import _expand_back, where
from tinygrad_dk.primitive import Primitive, quiet, raw

sin = Primitive("sin", quiet(np.sin), lambda g, out, x: g * cos(x))
cos = Primitive("cos", quiet(np.cos), lambda g, out, x: -g * sin(x))

square = Primitive("square", quiet(np.square), lambda g, out, x: 2 * g * x)


def _no_slope(g: Any, out: Any, *args: Any, **kwargs: Any) -> Any:
    """The derivative of a piecewise constant function of any arguments (rounding, sign,
    the rounding divisions): 0 wherever it exists, as PyTorch takes it. Selected with
    where, since g * 0 would make an infinite g nan."""
    return where(np.zeros(np.shape(raw(out)), bool), g, 0.0)


def _flat(name: str, fn: Any) -> Primitive:
    """A piecewise constant function of one argument, with derivative 0 (``_no_slope``)."""
    return Primitive(name, fn, _no_slope)


round = _flat("round", np.round)  # noqa: A001 - PyTorch's name
floor, ceil, sign = _flat("floor", np.floor), _flat("ceil", np.ceil), _flat("sign", np.sign)


def _test(fn: Any) -> Any:
    """An elementwise yes/no question about one or two operands (``isnan``,
    ``logical_and``): a bool Tensor, no gradient."""
    def ask(x: Any, *other: Any) -> Any:
        return type(x)._from_op(fn(raw(x), *(raw(o) for o in other)))

    ask.__name__ = ask.__qualname__ = fn.__name__
    ask.__doc__ = f"numpy's ``{fn.__name__}`` as a bool tensor (no gradient)."
    return ask


isnan, isinf, isfinite = _test(np.isnan), _test(np.isinf), _test(np.isfinite)

# A copy that stays in the graph (``detach`` is the copy that leaves it): the gradient
# passes straight through.
clone = Primitive("clone", lambda x: np.array(x, copy=True), lambda g, out, x: g)


def _largest_abs(x: np.ndarray, axis: Any) -> np.ndarray:
    """The largest |x| along ``axis`` (kept as length 1), or 1 where that is 0 or not finite.

    sum x^2 overflows for |x| > 1e19 in float32; x divided by its largest |x| first has
    every power at most 1 (the same trick as a stable logsumexp).
    """
    m = np.max(np.abs(x), axis=axis, keepdims=True)
    return np.where((m > 0) & np.isfinite(m), m, 1).astype(x.dtype)


def _norm2_forward(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    # sqrt(sum x^2), on x divided by its largest |x| first: no overflow
    if x.size == 0:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    scale = _largest_abs(x, axis)
    out = scale * np.sqrt(np.sum((x / scale) ** 2, axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _norm2_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # d||x||/dx = x / ||x||; at x = 0 (where the norm has a corner) the gradient is 0,
    # as in PyTorch, instead of 0/0.
    norm = _expand_back(out, x, axis, keepdims)
    return _expand_back(g, x, axis, keepdims) * x / where(raw(norm) == 0, 1.0, norm)


norm2 = Primitive("norm", quiet(_norm2_forward), _norm2_vjp)


def norm(x: Any, p: Any = "fro", axis: Any = None, keepdims: bool = False) -> Any:
    """The vector p-norm over ``axis``: (sum |x|^p)^(1/p); p = 2 (or "fro") is Euclidean,
    1 the sum of |x|, inf the largest |x|, 0 the number of non-zeros; a negative p gives
    the same formula (0 when an element is 0), as PyTorch."""
    if p in (2, 2.0, "fro"):
        return norm2(x, axis=axis, keepdims=keepdims)
    if p == 1:
        return ops.sum(ops.abs(x), axis=axis, keepdims=keepdims)
    if p == np.inf:
        return ops.max(ops.abs(x), axis=axis, keepdims=keepdims)
    if p == -np.inf:
        return ops.min(ops.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(p, str) or np.isnan(p):
        raise ValueError(f"norm: p={p!r} is not supported; use a number, inf, -inf or 'fro'")
    if p == 0:  # the number of non-zero elements (as PyTorch; no gradient: a count)
        return count_nonzero(x, axis=axis, keepdims=keepdims)
    if p < 0 and np.size(raw(x)) == 0:
        raise RuntimeError(f"norm: the {p} norm of an empty tensor is undefined (the smallest "
                           "of no numbers; as PyTorch); use p > 0, or check for empty input")
    return normp(x, float(p), axis=axis, keepdims=keepdims)


def _smallest_abs(x: np.ndarray, axis: Any) -> np.ndarray:
    """The smallest non-zero |x| along ``axis`` (kept as length 1), or 1 where there is none
    or it is not finite: for a negative p, |x / it|^p is then at most 1."""
    a = np.abs(x)
    m = np.min(np.where(a > 0, a, np.inf), axis=axis, keepdims=True)
    return np.where((m > 0) & np.isfinite(m), m, 1).astype(x.dtype)


# the number of non-zero elements, as the "0-norm" (a count: derivative 0 everywhere)
count_nonzero = Primitive(
    "norm", lambda x, axis=None, keepdims=False: np.sum(
        x != 0, axis=axis, keepdims=keepdims).astype(x.dtype),
    lambda g, out, x, **_: np.zeros(np.shape(raw(x)), raw(x).dtype))


def _normp_forward(x: np.ndarray, p: float, axis: Any = None, keepdims: bool = False) -> Any:
    # (sum |x|^p)^(1/p), on x divided by its largest |x| first (as the 2-norm): no overflow;
    # for a negative p by its smallest non-zero |x| (a 0 gives inf^(1/p) = 0, as PyTorch)
    if x.size == 0:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    scale = _largest_abs(x, axis) if p > 0 else _smallest_abs(x, axis)
    out = scale * np.sum(np.abs(x / scale) ** p, axis=axis, keepdims=True) ** (1.0 / p)
    return out if keepdims else np.squeeze(out, axis=axis)


def _normp_vjp(g: Any, out: Any, x: Any, p: float, axis: Any = None,
               keepdims: bool = False) -> Any:
    # d/dx_i = sign(x_i) (|x_i| / norm)^(p-1): the ratio is at most 1, so no power of a tiny
    # or a huge number under- or overflows. 0 where the norm is 0 (all of x is 0), as
    # PyTorch, and at x_i = 0 (where for p < 1 the formula's 0^(p-1) would be inf).
    # The power is taken as exp((p-1) (log|x_i| - log norm)): then a second derivative
    # divides by |x_i| and by the norm separately, instead of forming ratio^(p-2), which
    # overflows for a ratio of 1e-263 although the product it is part of does not.
    norm, gg = _expand_back(out, x, axis, keepdims), _expand_back(g, x, axis, keepdims)
    zero = (raw(x) == 0) | (raw(norm) == 0)
    log_ratio = (ops.log(where(zero, 1.0, ops.abs(x)))
                 - ops.log(where(raw(norm) == 0, 1.0, norm)))
    return where(zero, 0.0, gg * np.sign(raw(x)) * ops.exp((p - 1) * log_ratio))


normp = Primitive("norm", quiet(_normp_forward), _normp_vjp)
