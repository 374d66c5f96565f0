"""Tensor operations: each forward formula with its derivative next to it.

Every ``Primitive(name, forward, vjp_for_arg0, vjp_for_arg1, ...)`` line reads as
"the operation, then how its output gradient ``g`` flows back to each argument".
The vjps use the same primitives, Python operators and methods (``@``,
``.swapaxes``, ``.reshape``) as user code, all of which numpy arrays and Tensors
share, so they run on bare numpy arrays in a normal backward pass and on Tensors
when ``create_graph=True`` records second derivatives. They return gradients in the
broadcast shape: the Tensor receiving one (``tensor_base.unbroadcast``) sums it down.

Constant helpers such as masks are computed on raw data with ``raw`` and carry
no gradient, like ``x > 0`` in relu's derivative. A kink passes its gradient with
``pass_where``, never as ``g * mask``: 0 * inf would be nan.

The softmax family is in ``ops_softmax``; shapes in ``ops_shape``.

The Tensor methods (``x.exp()``, ``x.sum(axis=0)``) are defined in
``tinygrad_dk.tensor`` and call these functions.
"""

from __future__ import annotations

import builtins
import math
import os
import sys
import warnings
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
from tinygrad_dk.tensor_base import constant_vector, ndim_of

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
    # d(a/b)/db = -a/b^2, computed as -(a/b)/b (as PyTorch): a/b^2 would overflow (or
    # underflow to 0) for a = b = 1e-170 although the answer, -1e170, is a fine number
    lambda g, out, a, b: -g * (out / b),
)
neg = Primitive("neg", np.negative, lambda g, out, x: -g)


def _pow_vjp_base(g: Any, out: Any, x: Any, e: Any) -> Any:
    # d/dx x^e = e * x^(e-1). Where e == 0 the output is the constant 1, so the gradient
    # is exactly 0, even when g is inf (as PyTorch); x^(e-1) is taken at x = 1 there, so
    # no 0 * inf = nan sneaks into a second derivative either.
    zero = raw(e) == 0
    if not (zero.any() if isinstance(zero, np.ndarray) else zero):
        return g * (e * power(x, e - 1))
    return where(zero, 0.0, g * (e * power(where(zero, 1.0, x), e - 1)))


def _pow_vjp_exponent(g: Any, out: Any, x: Any, e: Any) -> Any:
    # d/de x^e = x^e * ln x. At x == 0 with e >= 0 the output does not change with e
    # (0^e = 0, or 1 for e = 0): 0 there, as PyTorch (not 0 * -inf = nan); for e < 0,
    # 0^e = inf and the slope is -inf, as the formula says. ln is taken of 1 where the
    # result is 0, so no nan reaches a second derivative.
    flat = (raw(x) == 0) & (raw(e) >= 0)
    if not (flat.any() if isinstance(flat, np.ndarray) else flat):
        return g * (out * log(x))
    return g * where(flat, 0.0, out * log(where(flat, 1.0, x)))


def _power_forward(x: np.ndarray, e: Any) -> np.ndarray:
    out = np.power(x, e)
    # At x = -inf, x ** +-0.5 depends on how the exponent is given, in PyTorch: a plain
    # number means sqrt / rsqrt (nan), a tensor C's pow (inf, 0). numpy's shortcut for a
    # number or 0-d exponent gives nan for +0.5 and 0 for -0.5, C's pow otherwise. (A
    # numpy scalar here comes from a tensor: the derivative's e - 1 of a 0-d exponent.)
    if isinstance(e, (np.ndarray, np.generic)):
        at = (x == -np.inf) & (np.abs(e) == 0.5)
        if at.any():
            out = np.where(at, np.where(e > 0, np.inf, 0.0), out).astype(out.dtype, copy=False)
    elif e == -0.5:
        out = np.where(x == -np.inf, np.nan, out)
    return out


power = Primitive("**", quiet(_power_forward), _pow_vjp_base, _pow_vjp_exponent)


def _matmul_vjp_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    if ndim_of(b) == 1:  # (..., n, k) @ (k,) -> (..., n)
        return expand_dims(g, -1) * b if ndim_of(a) > 1 else g * b
    if ndim_of(a) == 1:  # (k,) @ (..., k, m) -> (..., m)
        return matmul(b, expand_dims(g, -1))[..., 0]
    return g @ b.swapaxes(-1, -2)  # methods and operators numpy arrays and Tensors share


def _matmul_vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    if ndim_of(a) == 1:
        return expand_dims(a, -1) * expand_dims(g, -2) if ndim_of(b) > 1 else g * a
    if ndim_of(b) == 1:
        return expand_dims(g, -1) * a  # summed to (k,) by unbroadcast
    if _column_major(b):
        # b is a transposed view, as W.T in x @ W.T: (g^T a)^T equals a^T g but comes
        # out as a view of a row-major array, so after the transpose's own vjp W's
        # gradient is row-major like W itself, and the optimizer's update runs at full
        # speed instead of striding through memory (about 3x faster for big layers).
        return (g.swapaxes(-1, -2) @ a).swapaxes(-1, -2)
    return a.swapaxes(-1, -2) @ g


def _column_major(x: Any) -> bool:
    """True for a matrix stored column by column (Fortran order), not also row by row.

    Such a matrix is the transpose of a row-major one: ``W.T`` in ``x @ W.T``, or
    ``nn.Linear``'s weight itself, which is kept column-major so that the ``W.T`` its
    forward multiplies by is row-major (OpenBLAS multiplies by a row-major right-hand
    matrix faster: 8% for 784 -> 256 and 13% for 256 -> 128 on a 2-core Intel Xeon with
    two threads, 3% and 8% on an AMD EPYC with one). A weight's gradient is produced
    in the weight's own layout (the matmul and linear vjps), since the optimizer's
    update of a row-major array from a column-major gradient strides through memory
    (10x slower for 256 x 784).
    """
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
# log(1 + x) without rounding 1 + x first: log1p(-1e-40) is -1e-40, not log(1.0) = 0
log1p = Primitive("log1p", quiet(np.log1p), lambda g, out, x: g / (x + 1))
sqrt = Primitive("sqrt", quiet(np.sqrt), lambda g, out, x: g * 0.5 / out)
def _abs_vjp(g: Any, out: Any, x: Any) -> Any:
    # d|x|/dx = sign(x), taken as 0 at nan (as PyTorch and Value.abs; numpy's sign says nan)
    rx = raw(x)
    return g * np.subtract(rx > 0, rx < 0, dtype=rx.dtype)


abs = Primitive("abs", np.abs, _abs_vjp)  # noqa: A001
tanh = Primitive("tanh", np.tanh, lambda g, out, x: g * (1 - out * out))


def _sigmoid_forward(x: Any) -> Any:
    # For x below about -88 (float32; -709 in float64) e^-x overflows to inf and the
    # result is 1 / inf = 0: the true value rounded to the nearest normal number, as in
    # PyTorch. (quiet() below keeps numpy from warning about the overflow: it is the answer.)
    if x.dtype.kind in "ub":  # -x wraps around for unsigned numbers: go to numpy's float first
        x = x.astype(np.result_type(x.dtype, np.float16))
    return 1 / (1 + np.exp(-x))


sigmoid = Primitive("sigmoid", quiet(_sigmoid_forward), lambda g, out, x: g * out * (1 - out))


def pass_where(keep: Any, g: Any) -> Any:
    """The gradient through a kink (relu, clip, maximum, max, where): ``g`` where ``keep``,
    exactly 0 elsewhere.

    Not simply ``g * keep``: 0 * inf is nan, and relu(-1) is the constant 0, so an infinite
    slope further on (sqrt or log at 0) must still give it the gradient 0. The product is
    computed first, though (numpy's ``where`` is ten times slower on a random mask), and
    only when it holds a nan, which needs an inf or a nan in ``g``, is ``where`` used.
    """
    if type(g) is not np.ndarray:  # recorded (create_graph): the differentiable where
        return where(keep, g, 0.0)
    if type(keep) is np.ndarray and keep.dtype == np.bool_:
        # the same 0s and 1s as uint8: numpy converts uint8 to float in its multiply loop
        # about 1.5x faster than bool (13 against 18 us for 256 x 256 float32)
        keep = keep.view(np.uint8)
    product = g * keep
    # product . product is nan exactly when some element is (squares are never -inf, so
    # inf + -inf cannot arise): one BLAS pass, no boolean array as isnan(product).any()
    return np.where(keep, g, 0) if np.isnan(np.vdot(product, product)) else product


def _relu_forward(x: Any) -> Any:
    # max(x, 0). numpy 2's float32 maximum runs its fast vectorised loop only when both
    # operands are arrays: against a row of zeros (broadcast down the rows) it takes half
    # the time it takes against the number 0, with the same bits (also for -0, nan, inf).
    if type(x) is np.ndarray and x.dtype == np.float32 and x.ndim:
        return np.maximum(x, constant_vector(0.0, x.shape[-1], x.dtype))
    return np.maximum(x, 0)


# The mask is read off the output: relu(x) > 0 exactly where x > 0 (nan: neither), and
# the output is the array the next layer has just used in its own backward step, so it
# is still in the cache where the input is not.
relu = Primitive("relu", _relu_forward, lambda g, out, x: pass_where(raw(out) > 0, g))
leaky_relu = Primitive(
    "leaky_relu",
    lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
    lambda g, out, x, negative_slope=0.01: g * np.where(raw(x) > 0, 1.0, negative_slope),
)


def _clip_vjp_x(g: Any, out: Any, x: Any, lo: Any, hi: Any) -> Any:
    # the gradient passes where x was inside [lo, hi] (as PyTorch's clamp)
    rx = raw(x)
    inside = True
    if lo is not None:
        inside = rx >= raw(lo)
    if hi is not None:
        inside = inside & (rx <= raw(hi))
    return pass_where(inside, g)


def _clip_vjp_lo(g: Any, out: Any, x: Any, lo: Any, hi: Any) -> Any:
    # a Tensor bound gets the gradient where it was the answer: x below it (and lo < hi)
    chosen = raw(x) < raw(lo)
    if hi is not None:
        chosen = chosen & (raw(lo) < raw(hi))
    return pass_where(chosen, g)


def _clip_vjp_hi(g: Any, out: Any, x: Any, lo: Any, hi: Any) -> Any:
    # x above hi, or hi below lo (then every result is hi, as numpy and PyTorch)
    chosen = raw(x) > raw(hi)
    if lo is not None:
        chosen = chosen | (raw(hi) < raw(lo))
    return pass_where(chosen, g)


clip = Primitive("clip", lambda x, lo, hi: np.clip(x, lo, hi), _clip_vjp_x, _clip_vjp_lo,
                 _clip_vjp_hi)
where = Primitive(
    "where",
    np.where,
    None,
    lambda g, out, cond, a, b: pass_where(raw(cond), g),
    lambda g, out, cond, a, b: pass_where(np.logical_not(raw(cond)), g),
)


def _tie_factor(ra: Any, rb: Any, g: Any) -> Any:
    """1, or 1/2 where the two are equal: a tie shares the gradient (PyTorch's rule)."""
    return (1.0 - 0.5 * (ra == rb)).astype(raw(g).dtype)


def _maximum_vjp(g: Any, a: Any, b: Any) -> Any:
    # the gradient of `a` in maximum(a, b): all of g where a wins, half on a tie (as
    # PyTorch), exactly 0 where b wins
    ra, rb = raw(a), raw(b)
    return pass_where(np.logical_not(ra < rb), g) * _tie_factor(ra, rb, g)


def _minimum_vjp(g: Any, a: Any, b: Any) -> Any:
    ra, rb = raw(a), raw(b)
    return pass_where(np.logical_not(ra > rb), g) * _tie_factor(ra, rb, g)


maximum = Primitive(
    "maximum",
    np.maximum,
    lambda g, out, a, b: _maximum_vjp(g, a, b),
    lambda g, out, a, b: _maximum_vjp(g, b, a),
)
minimum = Primitive(
    "minimum",
    np.minimum,
    lambda g, out, a, b: _minimum_vjp(g, a, b),
    lambda g, out, a, b: _minimum_vjp(g, b, a),
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
    if keepdims or ndim_of(x) == 0:
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


def _mean_forward(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    if x.size == 0:  # numpy would warn "Mean of empty slice"; say it in plain words
        out = np.sum(x, axis=axis, keepdims=keepdims)  # zeros of the right shape
        if _count(x, axis) == 0 and out.size:
            _warn_nothing_to_average("mean", x, axis)
            out = out / 0.0  # 0 / 0: nan, as numpy and PyTorch
        return out
    return np.mean(x, axis=axis, keepdims=keepdims)


def _warn_nothing_to_average(op: str, x: np.ndarray, axis: Any) -> None:
    warnings.warn(
        f"{op} over an axis of length 0 (a tensor of shape {x.shape}, axis={axis}) is nan: "
        "there is nothing to average. Check for an empty batch or selection first",
        RuntimeWarning, stacklevel=_caller_outside_engine(),  # e.g. the line with x.mean()
    )


_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _caller_outside_engine() -> int:
    """The ``stacklevel`` for ``warnings.warn``, called by the function that warns, that
    points at the first line outside tinygrad_dk: the user's, however many of the
    engine's own calls lie between."""
    frame, level = sys._getframe(1), 1  # the warning function itself is level 1
    while frame is not None and frame.f_code.co_filename.startswith(_ENGINE_DIR):
        frame, level = frame.f_back, level + 1
    return level


mean = Primitive(
    "mean",
    quiet(_mean_forward),
    lambda g, out, x, axis=None, keepdims=False: broadcast_to(
        _expand_back(g, x, axis, keepdims), np.shape(raw(x))
    ) / _count(x, axis),
)


def _extreme_forward(name: str, reduce: Any) -> Any:
    def forward(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        if x.size == 0 and (axis is None or _count(x, axis) == 0):
            raise ValueError(
                f"the tensor of shape {x.shape} has no elements along axis={axis}, "
                f"so there is no {name}imum to take (PyTorch refuses too). Check for an "
                "empty batch first, or reduce over a non-empty axis"
            )
        return reduce(x, axis=axis, keepdims=keepdims)

    return forward


def _extreme_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # The gradient goes to the element(s) that were the max (or min); ties share it
    # equally, so the total gradient is the same however many elements tied. Every other
    # element gets exactly 0 (pass_where).
    rx = raw(x)
    best = np.reshape(raw(out), _keepdims_shape(x, axis))
    mask = (rx == best) | (np.isnan(rx) & np.isnan(best))  # a nan maximum is the nan itself
    count = np.sum(mask, axis=_axes(axis, np.ndim(mask)), keepdims=True)
    share = _expand_back(g, x, axis, keepdims) / count.astype(raw(g).dtype)
    return pass_where(mask, share)


max = Primitive(  # noqa: A001
    "max", _extreme_forward("max", np.max), _extreme_vjp,
)
min = Primitive(  # noqa: A001
    "min", _extreme_forward("min", np.min), _extreme_vjp,
)

# --- variance ----------------------------------------------------------------------------


def _centred(x: Any, axis: Any) -> Any:
    """x minus its mean along ``axis``; the mean is summed in float64, because float32
    numbers near their largest value (3.4e38) overflow while being added up."""
    dtype = np.dtype(raw(x).dtype)
    if raw(x).size == 0:  # nothing to centre (and no mean of nothing to warn about)
        return x
    if dtype == np.float64:
        return x - mean(x, axis=axis, keepdims=True)
    return x - astype(mean(astype(x, np.float64), axis=axis, keepdims=True), dtype)


def _var64(x: np.ndarray, axis: Any, keepdims: bool, ddof: int) -> np.ndarray:
    """The variance in float64 (float32's squares of 1e-30 or 1e20 under- or overflow)."""
    if x.size == 0 and _count(x, axis) == 0 and np.sum(x, axis=axis).size:
        _warn_nothing_to_average("var", x, axis)
    c = _centred(x.astype(np.float64), axis)
    return np.sum(c * c, axis=axis, keepdims=keepdims) / np.float64(_count(x, axis) - ddof)


def _var_forward(x: np.ndarray, axis: Any = None, keepdims: bool = False,
                 ddof: int = 0) -> np.ndarray:
    return _var64(x, axis, keepdims, ddof).astype(x.dtype)


def _var_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False,
             ddof: int = 0) -> Any:
    # d/dx_i sum_j (x_j - mean)^2 / (n - ddof) = 2 (x_i - mean) / (n - ddof) (the mean's own
    # derivative adds up to 0), in PyTorch's order: 2/(n - ddof) * g * (x - mean)
    return (float(np.divide(2.0, _count(x, axis) - ddof)) * _expand_back(g, x, axis, keepdims)
            * _centred(x, axis))


# Variance with numpy's convention (``ddof=0``; PyTorch's default is ``ddof=1``).
var = Primitive("var", quiet(_var_forward), _var_vjp)


def _std_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False,
             ddof: int = 0) -> Any:
    # d sqrt(var) = d var / (2 std); where std = 0 (all equal) the slope is taken as 0, as
    # PyTorch, instead of 0 / 0 = nan
    return _var_vjp(where(raw(out) == 0, 0.0, g / (2 * out)), None, x, axis, keepdims, ddof)


std = Primitive("std", quiet(lambda x, axis=None, keepdims=False, ddof=0: np.sqrt(
    _var64(x, axis, keepdims, ddof)).astype(x.dtype)), _std_vjp)
