"""Tensor operations: each forward formula with its derivative next to it.

Every ``Primitive(name, forward, vjp_for_arg0, vjp_for_arg1, ...)`` line reads as
"the operation, then how its output gradient ``g`` flows back to each argument".
The vjps use the same primitives, Python operators and methods (``@``,
``.swapaxes``, ``.reshape``) as user code, all of which numpy arrays and Tensors
share, so they run on bare numpy arrays in a normal backward pass and on Tensors
when ``create_graph=True`` records second derivatives. They return gradients in the
broadcast shape: the backward driver (``autograd.unbroadcast``) sums them down.

Constant helpers such as masks are computed on raw data with ``raw`` and carry
no gradient, like ``x > 0`` in relu's derivative.

The Tensor methods (``x.exp()``, ``x.sum(axis=0)``) are defined in
``tinygrad_dk.tensor`` and call these functions.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from tinygrad_dk.ops_shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    normalize_index,
    reshape,
    squeeze,
    stack,
)
from tinygrad_dk.primitive import Primitive, quiet, raw

# Shape operations live in ops_shape; they are re-exported so that ``ops`` is the one
# place to find every operation.
__all__ = [
    "normalize_index", "concatenate", "stack", "flatten", "squeeze", "expand_dims", "getitem",
]


# --- arithmetic -------------------------------------------------------------------------

add = Primitive("+", quiet(np.add), lambda g, out, a, b: g, lambda g, out, a, b: g)
sub = Primitive("-", quiet(np.subtract), lambda g, out, a, b: g, lambda g, out, a, b: -g)
mul = Primitive("*", quiet(np.multiply), lambda g, out, a, b: g * b, lambda g, out, a, b: g * a)
div = Primitive(
    "/",
    quiet(np.divide),
    lambda g, out, a, b: g / b,  # d(a/b)/da = 1/b
    lambda g, out, a, b: -g * out / b,  # d(a/b)/db = -a/b^2 = -out/b
)
neg = Primitive("neg", np.negative, lambda g, out, x: -g)


def _pow_vjp_base(g: Any, out: Any, x: Any, e: Any) -> Any:
    # d/dx x^e = e * x^(e-1); where e == 0 the derivative is 0 (not 0 * inf at x = 0).
    d = e * power(x, e - 1)
    return g * where(raw(e) == 0, 0.0, d)


def _pow_vjp_exponent(g: Any, out: Any, x: Any, e: Any) -> Any:
    # d/de x^e = x^e * ln x; taken as 0 where x == 0 (as PyTorch), avoiding 0 * -inf.
    return g * where(raw(x) == 0, 0.0, out * log(x))


power = Primitive("**", quiet(np.power), _pow_vjp_base, _pow_vjp_exponent)


def _matmul_vjp_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    if np.ndim(raw(b)) == 1:  # (..., n, k) @ (k,) -> (..., n)
        return expand_dims(g, -1) * b if np.ndim(raw(a)) > 1 else g * b
    if np.ndim(raw(a)) == 1:  # (k,) @ (..., k, m) -> (..., m)
        return matmul(b, expand_dims(g, -1))[..., 0]
    return g @ b.swapaxes(-1, -2)  # methods and operators numpy arrays and Tensors share


def _matmul_vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    if np.ndim(raw(a)) == 1:
        return expand_dims(a, -1) * expand_dims(g, -2) if np.ndim(raw(b)) > 1 else g * a
    if np.ndim(raw(b)) == 1:
        return expand_dims(g, -1) * a  # summed to (k,) by unbroadcast
    if _is_transposed_matrix(b):
        # b is a transposed view, as W.T in x @ W.T: (g^T a)^T equals a^T g but comes
        # out as a view of a row-major array, so after the transpose's own vjp W's
        # gradient is row-major like W itself, and the optimizer's update runs at full
        # speed instead of striding through memory (about 3x faster for big layers).
        return (g.swapaxes(-1, -2) @ a).swapaxes(-1, -2)
    return a.swapaxes(-1, -2) @ g


def _is_transposed_matrix(x: Any) -> bool:
    data = raw(x)
    return data.ndim == 2 and data.flags.f_contiguous and not data.flags.c_contiguous


def _matmul_explain(a: Any, b: Any) -> ValueError:
    """The error for shapes that do not fit, saying which axes must agree."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return ValueError("matmul needs arrays of at least 1 dimension; use * for scalars")
    a_k = np.shape(a)[-1]
    b_k = np.shape(b)[-2] if np.ndim(b) > 1 else np.shape(b)[0]
    if a_k != b_k:
        return ValueError(
            f"shapes {np.shape(a)} @ {np.shape(b)} do not fit: the last axis of the left "
            f"({a_k}) must equal the {'second-to-last' if np.ndim(b) > 1 else 'only'} axis of "
            f"the right ({b_k}); transpose one of them (.T) or check the layer sizes"
        )
    return ValueError(  # the inner axes fit, so the batch axes do not broadcast
        f"shapes {np.shape(a)} @ {np.shape(b)}: the leading (batch) axes "
        f"{np.shape(a)[:-2]} and {np.shape(b)[:-2]} do not broadcast together"
    )


def _matmul_plain(a: Any, b: Any) -> Any:
    try:
        return np.matmul(a, b)
    except ValueError:
        raise _matmul_explain(a, b) from None


_matmul_forward = quiet(_matmul_plain)


matmul = Primitive("@", _matmul_forward, _matmul_vjp_a, _matmul_vjp_b)

# --- elementwise functions ------------------------------------------------------------

exp = Primitive("exp", quiet(np.exp), lambda g, out, x: g * out)
log = Primitive("log", quiet(np.log), lambda g, out, x: g / x)
sqrt = Primitive("sqrt", quiet(np.sqrt), lambda g, out, x: g * 0.5 / out)
abs = Primitive("abs", np.abs, lambda g, out, x: g * np.sign(raw(x)))  # noqa: A001
tanh = Primitive("tanh", np.tanh, lambda g, out, x: g * (1 - out * out))


def _sigmoid_forward(x: Any) -> Any:
    # 1 / (1 + e^-x) overflows in exp for large negative x. Both branches below
    # only ever take exp of a non-positive number: e = e^-|x| lies in (0, 1].
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = Primitive("sigmoid", _sigmoid_forward, lambda g, out, x: g * out * (1 - out))
# (the mask is cast to g's dtype first: float * float is faster than float * bool)
relu = Primitive(
    "relu", lambda x: np.maximum(x, 0), lambda g, out, x: g * (raw(x) > 0).astype(g.dtype)
)
leaky_relu = Primitive(
    "leaky_relu",
    lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
    lambda g, out, x, negative_slope=0.01: g * np.where(raw(x) > 0, 1.0, negative_slope),
)
clip = Primitive(
    "clip",
    lambda x, lo, hi: np.clip(x, lo, hi),
    # the gradient passes where the value was inside [lo, hi] (as PyTorch's clamp)
    lambda g, out, x, lo, hi: g * ((raw(x) >= raw(lo) if lo is not None else True)
                                   & (raw(x) <= raw(hi) if hi is not None else True)),
)
where = Primitive(
    "where",
    np.where,
    None,
    lambda g, out, cond, a, b: where(cond, g, 0.0),
    lambda g, out, cond, a, b: where(cond, 0.0, g),
)


def _tie_share(a: Any, b: Any) -> Any:
    # gradient share of `a` in maximum(a, b): 1 where a wins, 1/2 on a tie (as PyTorch)
    ra, rb = raw(a), raw(b)
    return (ra > rb) + 0.5 * (ra == rb)


maximum = Primitive(
    "maximum",
    np.maximum,
    lambda g, out, a, b: g * _tie_share(a, b),
    lambda g, out, a, b: g * _tie_share(b, a),
)
minimum = Primitive(
    "minimum",
    np.minimum,
    lambda g, out, a, b: g * _tie_share(b, a),
    lambda g, out, a, b: g * _tie_share(a, b),
)
astype = Primitive("astype", lambda x, dtype: x.astype(dtype), lambda g, out, x, dtype: g)

# --- reductions --------------------------------------------------------------------------


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Normalise numpy's axis argument (None, int or tuple) to a tuple of positive axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(int(a) % builtins.max(ndim, 1) for a in axes)


def _keepdims_shape(x: Any, axis: Any) -> tuple[int, ...]:
    """The shape of a reduction of x over ``axis`` with keepdims=True."""
    shape = list(np.shape(raw(x)))
    for a in _axes(axis, len(shape)):
        shape[a] = 1
    return tuple(shape)


def _expand_back(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Give a reduced gradient its reduced axes back (as size 1) so it broadcasts over x."""
    if keepdims or np.ndim(raw(x)) == 0:
        return g
    return reshape(g, _keepdims_shape(x, axis))


sum = Primitive(  # noqa: A001
    "sum",
    quiet(lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims)),
    lambda g, out, x, axis=None, keepdims=False: broadcast_to(
        _expand_back(g, x, axis, keepdims), np.shape(raw(x))
    ),
)


def _count(x: Any, axis: Any) -> int:
    shape = np.shape(raw(x))
    return math.prod(shape[a] for a in _axes(axis, len(shape)))


mean = Primitive(
    "mean",
    quiet(lambda x, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims)),
    lambda g, out, x, axis=None, keepdims=False: broadcast_to(
        _expand_back(g, x, axis, keepdims), np.shape(raw(x))
    ) / _count(x, axis),
)


def _extreme_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # The gradient goes to the element(s) that were the max (or min); ties share it
    # equally, so the total gradient is the same however many elements tied.
    best = np.reshape(raw(out), _keepdims_shape(x, axis))
    mask = raw(x) == best
    share = mask / np.sum(mask, axis=_axes(axis, np.ndim(mask)), keepdims=True)
    return _expand_back(g, x, axis, keepdims) * share


max = Primitive(  # noqa: A001
    "max", lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
    _extreme_vjp,
)
min = Primitive(  # noqa: A001
    "min", lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims),
    _extreme_vjp,
)

# --- composites: built from the primitives above, so their derivatives come for free -----


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """Variance with numpy's convention (``ddof=0``; PyTorch's default is ``ddof=1``)."""
    centred = x - mean(x, axis=axis, keepdims=True)
    return sum(centred * centred, axis=axis, keepdims=keepdims) / (_count(x, axis) - ddof)


# --- softmax and friends: the stable formulas of the Tensor engine, written once ---------


def _shift(x: np.ndarray, axis: int | tuple | None) -> np.ndarray:
    """x minus its maximum along ``axis``, so that every exp(x - max) is at most 1.

    Any shift gives the same softmax; the maximum keeps e^1000 from overflowing. A row
    that is all -inf (or empty) is shifted by 0, so it stays -inf instead of nan.
    """
    if x.size == 0:
        return x
    m = x.max(axis=axis, keepdims=True)  # the method: np.max's Python wrapper costs 2x more
    return x - np.where(np.isfinite(m), m, 0.0)


def _logsumexp_forward(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    # log sum e^x = m + log sum e^(x - m), with m the maximum: no overflow for x = 1000.
    m = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros(_keepdims_shape(x, axis))
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.reshape(out, np.sum(x, axis=axis).shape)


logsumexp = Primitive(
    "logsumexp",
    quiet(_logsumexp_forward),
    # d/dx_i log sum e^x = e^x_i / sum e^x = softmax(x)_i (computed by the stable softmax)
    lambda g, out, x, axis=None, keepdims=False: _expand_back(g, x, axis, keepdims)
    * softmax(x, axis=axis),
)


def _log_softmax_forward(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # (x - m) - log sum e^(x - m): computed on the shifted numbers, so logits of 1e30
    # keep their differences (x - (m + log s) would round m + log s back to m).
    z = _shift(x, axis)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


log_softmax = Primitive(
    "log_softmax",
    quiet(_log_softmax_forward),
    # y = x - lse(x): dy_j/dx_i = [i = j] - softmax_i, so the vjp is g - softmax * sum(g)
    lambda g, out, x, axis=-1: g - exp(out) * sum(g, axis=axis, keepdims=True),
)


def _softmax_forward(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(_shift(x, axis))
    return e / e.sum(axis=axis, keepdims=True)


softmax = Primitive(
    "softmax",
    quiet(_softmax_forward),
    # ds_j/dx_i = s_j ([i = j] - s_i), so the vjp is s * (g - sum(g * s))
    lambda g, out, x, axis=-1: out * (g - sum(g * out, axis=axis, keepdims=True)),
)
