"""The scalar engine's arithmetic on Python floats, with IEEE's answers.

Python's ``math`` raises where IEEE (and NumPy, and PyTorch) give inf or nan:
``math.exp(1000)`` is an OverflowError, ``math.log(0)`` a ValueError. The functions here
translate, so ``Value(1000).exp()`` is ``inf`` and ``Value(0).log()`` is ``-inf``.
``FLAT`` is the local derivative of an output that does not change with its input at
all (relu below 0, ``x ** 0``).
"""

from __future__ import annotations

import math
from typing import Any

INF = math.inf
NAN = math.nan


def ieee_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def ieee_log(x: float) -> float:
    if x > 0 or x != x:  # positive, inf, or nan (nan != nan)
        return math.log(x)
    return -INF if x == 0 else NAN


def ieee_log1p(x: float) -> float:
    """log(1 + x) without rounding 1 + x first; -inf at x = -1, nan below (and for nan)."""
    if x > -1:
        return math.log1p(x)
    return -INF if x == -1 else NAN


def ieee_sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 or x != x else NAN  # (pow(-inf, 0.5) would be +inf)


def ieee_div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def is_odd_integer(e: float) -> bool:
    return math.isfinite(e) and e == int(e) and int(e) % 2 == 1


def ieee_pow(x: float, e: float, number_exponent: bool = True) -> float:
    """x ** e as PyTorch gives it: C's pow, except that an exponent given as a plain number
    takes x ** +-0.5 as a square root (PyTorch's sqrt and rsqrt), so -inf gives nan where
    C's pow gives inf (0 for -0.5). ``number_exponent=False``: the exponent is itself a
    node (``Value ** Value``, PyTorch's tensor ** tensor), plain C pow."""
    if number_exponent and x == -INF and abs(e) == 0.5:
        return NAN
    try:
        return math.pow(x, e)
    except OverflowError:
        # |x| ** e grew past the float range; only an odd power of a negative base is negative.
        return -INF if x < 0 and is_odd_integer(e) else INF
    except ValueError:
        if x == 0:  # 0 ** negative: IEEE gives inf (signed for odd powers of -0.0)
            return math.copysign(INF, x) if is_odd_integer(e) else INF
        return NAN  # negative base, fractional exponent


class Flat:
    """The local derivative where an output does not change with its parent at all:
    relu for x <= 0, x ** 0. It passes exactly 0 back, even when the gradient arriving
    is inf (a plain 0.0 would give 0 * inf = nan), as PyTorch does."""

    __slots__ = ()

    def __mul__(self, other: Any) -> float:
        return 0.0

    __rmul__ = __mul__

    def __float__(self) -> float:
        return 0.0

    def __repr__(self) -> str:
        return "FLAT"


FLAT = Flat()


def pow_slope(x: float, e: float, number_exponent: bool = True) -> Any:
    """d/dx x^e = e x^(e-1); for e = 0, x^0 is the constant 1 (even at x = 0): FLAT."""
    return FLAT if e == 0 else e * ieee_pow(x, e - 1, number_exponent)


def stable_sigmoid(x: float) -> float:
    # Never call exp on a large positive number: for x < 0 use the form
    # e^x / (1 + e^x), whose exp cannot overflow.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
