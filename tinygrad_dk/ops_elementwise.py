"""Elementwise math with PyTorch's names: logarithms and powers in other bases, the rest of
trigonometry, ``erf``, rounding toward zero, functions of two tensors (``atan2``, ``fmod``,
``remainder``, ``hypot``, ``logaddexp``, ``xlogy``, ``lerp``), the yes/no questions
(``logical_and``, ``signbit``) and ``nan_to_num``.

As everywhere, each forward sits next to its derivative, written with engine operations so
that second derivatives work. Where the textbook derivative overflows or cancels at extreme
inputs, a formula that does not is used (``(1 - x)(1 + x)`` for ``1 - x^2``, ``hypot``
for ``sqrt(x^2 + y^2)``). Integer and bool inputs of the float-valued functions become
float32 first, as in PyTorch (``torch.log2`` of an int tensor is float32).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk import ops
from tinygrad_dk.ops import pass_where, sqrt, where
from tinygrad_dk.ops_math import _flat, _no_slope, _test
from tinygrad_dk.primitive import Primitive, quiet, raw

LN2, LN10 = math.log(2.0), math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # erf'(x) = 2/sqrt(pi) e^(-x^2)


def _as_float(a: Any) -> Any:
    """An integer or bool array as float32 (PyTorch's default float); anything else as is."""
    if isinstance(a, np.ndarray) and a.dtype.kind in "biu":
        return a.astype(np.float32)
    return a


def _float_op(fn: Any) -> Any:
    """``fn`` on float arrays (integers become float32 first), without numpy's warnings
    about inf and nan: they are the answers (log2(0) = -inf)."""
    def forward(*args: Any, **kwargs: Any) -> Any:
        return fn(*(_as_float(a) for a in args), **kwargs)

    return quiet(forward)


def _python_float_fn(fn: Any) -> Any:
    """A function of one Python float (``math.erf``) applied to every element, in float64
    and rounded to the array's dtype: exact to the last digit, if not fast."""
    each = np.frompyfunc(fn, 1, 1)

    def forward(x: np.ndarray) -> np.ndarray:
        return np.asarray(each(x), dtype=x.dtype)

    return _float_op(forward)


def _nonzero_where(zero: Any, value: Any) -> Any:
    """``value``, with exactly 0 where ``zero`` holds (only built when some element does)."""
    return where(zero, 0.0, value) if np.any(zero) else value


def _without_zeros(r: Any) -> tuple[Any, Any]:
    """``r`` with 1 in place of its zeros, and where they were: a derivative that divides by
    ``r`` is computed everywhere without 0/0 (not even in a second derivative), then set to
    0 at those places by ``_nonzero_where``."""
    zero = raw(r) == 0
    return (where(zero, 1.0, r) if np.any(zero) else r), zero


# --- logarithms and exponentials ---------------------------------------------------------

log2 = Primitive("log2", _float_op(np.log2), lambda g, out, x: g / (x * LN2))
log10 = Primitive("log10", _float_op(np.log10), lambda g, out, x: g / (x * LN10))
# e^x - 1 without rounding e^x first: expm1(1e-20) is 1e-20, not exp(1e-20) - 1 = 0
expm1 = Primitive("expm1", _float_op(np.expm1), lambda g, out, x: g * (out + 1))
exp2 = Primitive("exp2", _float_op(np.exp2), lambda g, out, x: g * out * LN2)
reciprocal = Primitive("reciprocal", _float_op(np.reciprocal),
                       lambda g, out, x: -g * (out * out))  # d(1/x) = -1/x^2
rsqrt = Primitive("rsqrt", _float_op(lambda x: 1 / np.sqrt(x)),
                  lambda g, out, x: -0.5 * g * (out * out * out))  # d x^-1/2 = -x^-3/2 / 2

# --- trigonometry and hyperbolic functions -------------------------------------------------


# 1 - x^2 and x^2 - 1 as (1 - x)(1 + x) and (x - 1)(x + 1): no digits lost for x near +-1.
# Each has its own derivative, -2x and 2x: differentiated as a product, the second
# derivatives of asin, atanh, acosh would be inf * 0 = nan at x = +-1 (PyTorch: +-inf).
_one_minus_square = Primitive("1 - x^2", quiet(lambda x: (1 - x) * (1 + x)),
                              lambda g, out, x: -2 * g * x)
_square_minus_one = Primitive("x^2 - 1", quiet(lambda x: (x - 1) * (x + 1) + 0.0),  # -0 -> 0
                              lambda g, out, x: 2 * g * x)

tan = Primitive("tan", _float_op(np.tan), lambda g, out, x: g * (1 + out * out))
sinh = Primitive("sinh", _float_op(np.sinh), lambda g, out, x: g * cosh(x))
cosh = Primitive("cosh", _float_op(np.cosh), lambda g, out, x: g * sinh(x))
asin = Primitive("asin", _float_op(np.arcsin),
                 lambda g, out, x: g / sqrt(_one_minus_square(x)))
acos = Primitive("acos", _float_op(np.arccos),
                 lambda g, out, x: -g / sqrt(_one_minus_square(x)))
atan = Primitive("atan", _float_op(np.arctan), lambda g, out, x: g / (1 + x * x))
# 1 / sqrt(x^2 + 1) as 1 / hypot(x, 1): x^2 would overflow for |x| > 1e154
asinh = Primitive("asinh", _float_op(np.arcsinh), lambda g, out, x: g / hypot(x, 1.0))
acosh = Primitive("acosh", _float_op(np.arccosh),
                  lambda g, out, x: g / sqrt(_square_minus_one(x)))
atanh = Primitive("atanh", _float_op(np.arctanh), lambda g, out, x: g / _one_minus_square(x))

# --- the error function -----------------------------------------------------------------------
# numpy has no erf; Python's math.erf and math.erfc are exact, element by element

erf = Primitive("erf", _python_float_fn(math.erf),
                lambda g, out, x: g * (TWO_OVER_SQRT_PI * ops.exp(-(x * x))))
erfc = Primitive("erfc", _python_float_fn(math.erfc),
                 lambda g, out, x: g * (-TWO_OVER_SQRT_PI * ops.exp(-(x * x))))

# --- rounding toward zero ---------------------------------------------------------------------

trunc = _flat("trunc", np.trunc)  # gradient 0, as floor and ceil
# x - trunc(x): the gradient passes unchanged (trunc's own slope is 0)
frac = Primitive("frac", quiet(lambda x: x - np.trunc(x)), lambda g, out, x: g)

# --- functions of two tensors -------------------------------------------------------------


def _hypot_vjp(g: Any, out: Any, a: Any, b: Any) -> Any:
    # d hypot(a, b)/da = a / hypot(a, b), the ratio taken first (a * g could overflow). At
    # a = b = 0, the corner of a cone, the slope is taken as 0, as for norm (PyTorch: nan).
    r, zero = _without_zeros(out)
    return _nonzero_where(zero, g * (a / r))


hypot = Primitive("hypot", _float_op(np.hypot), _hypot_vjp,
                  lambda g, out, a, b: _hypot_vjp(g, out, b, a))


def _atan2_vjp(g: Any, y: Any, x: Any, sign: float, top: Any) -> Any:
    # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2), computed on x and y divided by
    # s = max(|x|, |y|): the formula's value does not depend on s (so s is a constant), no
    # square over- or underflows, and the denominator lies in [1, 2]. 0 at y = x = 0, as
    # PyTorch. (g times the ratio first: g = 0 then gives 0 even where 1/s overflows.)
    s = np.maximum(np.abs(raw(y)), np.abs(raw(x)))
    s = np.where((s > 0) & np.isfinite(s), s, 1).astype(raw(g).dtype)
    u, v = x / s, y / s
    d, zero = _without_zeros(u * u + v * v)
    return _nonzero_where(zero, sign * (g * ((top / s) / d)) / s)


atan2 = Primitive("atan2", _float_op(np.arctan2),
                  lambda g, out, y, x: _atan2_vjp(g, y, x, 1.0, x),
                  lambda g, out, y, x: _atan2_vjp(g, y, x, -1.0, y))


def _integer_division(name: str, forward: Any) -> Any:
    """``forward`` refusing integer division by zero, as PyTorch does (numpy gives 0)."""
    def checked(a: Any, b: Any) -> Any:
        if np.result_type(a, b).kind in "iub" and not np.all(b):
            raise ZeroDivisionError(
                f"{name}: integer division by zero (PyTorch raises too); divide floats "
                "to get inf or nan there, or replace the zeros first (torch.where)")
        return forward(a, b)
    return checked


def _remainder_forward(a: Any, b: Any) -> Any:
    # Python's a % b: the sign of b. C's fmod has the sign of a; where they differ (and
    # the remainder is not 0), b is added. (The same as PyTorch, also at +-0 and inf.)
    m = np.fmod(a, b)
    return np.where((m != 0) & ((m < 0) != (b < 0)), m + b, m)


# a - b * q with q = trunc(a / b) (fmod) or floor(a / b) (remainder), q taken as constant
fmod = Primitive("fmod", quiet(_integer_division("fmod", np.fmod)), lambda g, out, a, b: g,
                 lambda g, out, a, b: -g * np.trunc(raw(a) / raw(b)))
remainder = Primitive("remainder", quiet(_integer_division("remainder", _remainder_forward)),
                      lambda g, out, a, b: g,
                      lambda g, out, a, b: -g * np.floor_divide(raw(a), raw(b)))
# floor(a / b) with Python's rounding (np.floor_divide, as PyTorch). A step function:
# gradient 0, as PyTorch's div(rounding_mode="floor") (its floor_divide has no backward)
floor_divide = Primitive("floor_divide", quiet(_integer_division("floor_divide",
                                                                np.floor_divide)),
                         _no_slope, _no_slope)


def _trunc_divide_forward(a: Any, b: Any) -> Any:
    q = np.divide(a, b)
    if q.dtype.kind == "f" and np.result_type(a, b).kind in "iu":  # integers stay integers
        return np.sign(a) * np.sign(b) * np.floor_divide(np.abs(a), np.abs(b))
    return np.trunc(q)


trunc_divide = Primitive("trunc_divide",
                         quiet(_integer_division("div", _trunc_divide_forward)),
                         _no_slope, _no_slope)


def float_power(x: Any, exponent: Any) -> Any:
    """x ** exponent in float64, whatever the inputs' dtypes (PyTorch's ``float_power``)."""
    return ops.power(_float64(x), _float64(exponent))


def _float64(a: Any) -> Any:
    if isinstance(a, (int, float)) or np.asarray(raw(a)).dtype == np.float64:
        return a
    return ops.astype(a, np.dtype(np.float64))


# log(e^a + e^b) by numpy's stable formula. Its slopes are softmax's, e^a / (e^a + e^b) =
# 1 / (1 + e^(b - a)): for b - a large e^(b - a) overflows to inf and the slope is 0, as it
# should (sigmoid(a - b) would be the same number, but its own derivative s (1 - s) loses
# the digits of 1 - s near 1, where e^(b - a) keeps them)
logaddexp = Primitive("logaddexp", _float_op(np.logaddexp),
                      lambda g, out, a, b: g / (1 + ops.exp(b - a)),
                      lambda g, out, a, b: g / (1 + ops.exp(a - b)))


def _xlogy_forward(x: Any, y: Any) -> Any:
    # x log y, but 0 where x == 0 even if log y is -inf or inf; nan where y is nan
    dtype = np.result_type(x, y)  # (a Python number y keeps x's dtype; np.log(y) would not)
    out = np.where(x == 0, 0, x * np.log(y))
    return np.where(np.isnan(y), np.nan, out).astype(dtype, copy=False)


def _xlogy_vjp_x(g: Any, out: Any, x: Any, y: Any) -> Any:
    # d/dx = log y, written xlogy(g, y) so that g = 0 gives 0 even at y = 0; 0 where x == 0
    # and y <= 0 (the limit from inside), as PyTorch
    flat = (raw(x) == 0) & (raw(y) <= 0)
    return pass_where(np.logical_not(flat), xlogy(g, y)) if np.any(flat) else xlogy(g, y)


xlogy = Primitive("xlogy", _float_op(_xlogy_forward), _xlogy_vjp_x,
                  lambda g, out, x, y: g * x / y)


def _widened(fn: Any) -> Any:
    """``fn`` computed in float64 for smaller floats and rounded once at the end, so that no
    step overflows midway (float32's 3e38 - -3e38 or 2 * 3e38 would) and the result is the
    float32 nearest the exact one."""
    def forward(*args: Any, **kwargs: Any) -> Any:
        dtype = np.result_type(*args)
        wide = np.float64 if dtype.kind == "f" and dtype.itemsize < 8 else dtype
        out = fn(*(a.astype(wide) if isinstance(a, np.ndarray) else a for a in args), **kwargs)
        return np.asarray(out).astype(dtype, copy=False)

    return quiet(forward)


def _lerp_forward(start: Any, end: Any, weight: Any) -> Any:
    # start + w (end - start), or from the other end for |w| >= 1/2, as PyTorch: each form
    # is exact at its own end (w = 0 gives start, w = 1 gives end)
    diff = end - start
    return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))


lerp = Primitive("lerp", _widened(_lerp_forward),
                 lambda g, out, start, end, w: g * (1 - w),
                 lambda g, out, start, end, w: g * w,
                 lambda g, out, start, end, w: g * (end - start))

# x + value * t1 * t2 and x + value * t1 / t2, what optimizers' running averages and Adam's
# step use: ``v.addcmul_(g, g, value=1 - beta2)``, ``p.addcdiv_(m, v.sqrt() + eps, value=-lr)``
addcmul = Primitive("addcmul", _widened(lambda x, t1, t2, value=1: x + value * t1 * t2),
                    lambda g, out, x, t1, t2, value=1: g,
                    lambda g, out, x, t1, t2, value=1: g * t2 * value,
                    lambda g, out, x, t1, t2, value=1: g * t1 * value)
addcdiv = Primitive("addcdiv", _widened(lambda x, t1, t2, value=1: x + value * t1 / t2),
                    lambda g, out, x, t1, t2, value=1: g,
                    lambda g, out, x, t1, t2, value=1: g * value / t2,
                    # d(t1/t2)/dt2 = -(t1/t2)/t2: the ratio first, as div's (no t2^2 to overflow)
                    lambda g, out, x, t1, t2, value=1: -g * value * (t1 / t2) / t2)


# --- nan and inf ------------------------------------------------------------------------------


def _nan_to_num_forward(x: np.ndarray, nan: float = 0.0, posinf: float | None = None,
                        neginf: float | None = None) -> np.ndarray:
    # posinf/neginf None: the dtype's largest and smallest numbers (numpy's and PyTorch's)
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


# the gradient passes where x was finite; a replaced element is a constant: 0 (PyTorch
# multiplies by the mask instead, so an infinite upstream gradient gives it nan)
nan_to_num = Primitive(
    "nan_to_num", _nan_to_num_forward,
    lambda g, out, x, nan=0.0, posinf=None, neginf=None: pass_where(np.isfinite(raw(x)), g),
)

# --- yes/no questions: bool tensors, no gradient ------------------------------------------


logical_and, logical_or, logical_xor, logical_not = (
    _test(np.logical_and), _test(np.logical_or), _test(np.logical_xor),
    _test(np.logical_not))
signbit = _test(np.signbit)  # True for negative numbers, -0.0 and -inf


def divide(a: Any, b: Any, rounding_mode: str | None = None) -> Any:
    """a / b; ``rounding_mode="floor"`` or ``"trunc"`` rounds the quotient (gradient 0),
    as PyTorch's ``div``."""
    if rounding_mode is None:
        return ops.div(a, b)
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return trunc_divide(a, b)
    raise ValueError(f"div: rounding_mode={rounding_mode!r} is not one of None (true "
                     "division), 'trunc' (round toward zero) or 'floor' (round down)")
