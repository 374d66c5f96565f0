"""More of PyTorch's elementwise functions: ``logit``, ``sinc``, ``copysign``, the
nan-ignoring ``fmax``/``fmin``, ``logaddexp2``, ``ldexp``, ``frexp``, ``nextafter``, the
yes/no questions ``isposinf``/``isneginf``/``isreal``, integer ``gcd``/``lcm`` and the
special functions ``lgamma``, ``digamma``, ``polygamma``, ``erfinv`` and ``i0``.

As everywhere, each forward sits next to its derivative, written with engine operations so
that second derivatives work: lgamma' is digamma, digamma' is polygamma(1), polygamma(n)'
is polygamma(n + 1), i0' is i1 and i1' is i0 - i1/x, erfinv' is sqrt(pi)/2 e^(erfinv^2).

numpy has no gamma functions. The forward of ``lgamma`` is Python's ``math.lgamma``
applied to each element (exact, not fast); the polygamma functions are computed here,
by the recurrence psi(x) = psi(x + 1) - 1/x that moves x above 10 and the asymptotic
(Stirling) series there, and, for negative x, the reflection formula.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from tinygrad_dk import ops
from tinygrad_dk.ops import where
from tinygrad_dk.ops_elementwise import _as_float, _float_op, _python_float_fn, exp2
from tinygrad_dk.ops_extra import _as_float as _floating  # int or bool -> float32 Tensor
from tinygrad_dk.ops_extra import _tensor
from tinygrad_dk.ops_math import _test, cos
from tinygrad_dk.primitive import Primitive, quiet, raw

SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2  # erfinv'(y) = sqrt(pi)/2 e^(erfinv(y)^2)


def _no_derivative(name: str) -> Any:
    def refuse(*_: Any, **__: Any) -> Any:
        raise RuntimeError(f"{name} has no derivative (as in PyTorch): compute it on "
                           "x.detach(), or under torch.no_grad()")
    return refuse


# --- log-odds, sinc, signs ---------------------------------------------------------------------


def logit(x: Any, eps: float | None = None) -> Any:
    """log(x / (1 - x)), the inverse of sigmoid; with ``eps``, x is first clamped to
    [eps, 1 - eps] (so 0 and 1 give finite log-odds; the gradient is 0 outside)."""
    x = _floating(x)
    if eps is not None:
        x = x.clamp(eps, 1 - eps)
    # log(x) - log1p(-x): 1 - x is exact, and no division of two tiny numbers
    return ops.log(x) - ops.log1p(-x)


def _sinc_vjp(g: Any, out: Any, x: Any) -> Any:
    # d/dx sin(pi x)/(pi x) = (cos(pi x) - sinc(x)) / x, whose two terms cancel near 0:
    # there its Taylor series -pi^2 x/3 + pi^4 x^3/30 - pi^6 x^5/840 instead (0 at the top
    # of the curve, and the right second derivative, -pi^2/3). The series is exact to
    # float64 below 1e-3 and to float32 below 0.1, where the formula has lost 3 digits.
    r = raw(x)
    small = np.abs(r) < (1e-3 if np.asarray(r).dtype == np.float64 else 0.1)
    safe = where(small, 1.0, x)
    p2 = math.pi ** 2 * (x * x)
    taylor = (-math.pi ** 2 / 3) * x * (1 - p2 / 10 + p2 * p2 / 280)
    slope = where(small, taylor, (cos(math.pi * safe) - where(small, 1.0, out)) / safe)
    # 0 where pi x^2 underflows to 0 (as PyTorch's mask: the slope is below any float there)
    return g * where(r * r * math.pi == 0, 0.0, slope)


# sin(pi x) / (pi x), 1 at 0 (numpy's np.sinc is this normalised sinc too)
sinc = Primitive("sinc", _float_op(np.sinc), _sinc_vjp)


def _copysign_vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
    # |x| with y's sign: the gradient is g times out / x (+-1, whether the sign flipped),
    # 0 at x = 0 (PyTorch's formula)
    zero = raw(x) == 0
    return where(zero, 0.0, g * (out / where(zero, 1.0, x)))


copysign = Primitive("copysign", _float_op(np.copysign), _copysign_vjp, None)


def positive(x: Any) -> Any:
    """x itself (PyTorch's unary +); bool tensors are refused, as in PyTorch."""
    x = _tensor(x)
    if x.dtype == np.bool_:
        raise TypeError("positive: a bool tensor has no unary +; convert it first (x.int())")
    return x


def rsub(x: Any, other: Any, alpha: Any = 1) -> Any:
    """other - alpha * x (subtraction with the operands reversed)."""
    x = _tensor(x)
    return other - (x if alpha == 1 else alpha * x)


# --- nan-ignoring extremes -----------------------------------------------------------------


def _fmax_vjp(first: bool, larger: bool) -> Any:
    # The gradient goes to the element chosen: x where x >= y (ties: x, as PyTorch) or y is
    # nan; else y.
    def vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
        rx, ry = raw(x), raw(y)
        with np.errstate(invalid="ignore"):
            x_wins = ((rx >= ry) if larger else (rx <= ry)) | np.isnan(ry)
        return where(x_wins if first else ~x_wins, g, 0.0)
    return vjp


# the larger (smaller) of the two, where a nan counts as missing (nan only where both are)
fmax = Primitive("fmax", quiet(np.fmax), _fmax_vjp(True, True), _fmax_vjp(False, True))
fmin = Primitive("fmin", quiet(np.fmin), _fmax_vjp(True, False), _fmax_vjp(False, False))


# log2(2^x + 2^y), stably (numpy's logaddexp2); d/dx = 2^x / (2^x + 2^y) = 1 / (1 + 2^(y-x)),
# which is 0, not nan, where 2^(y-x) overflows
logaddexp2 = Primitive("logaddexp2", _float_op(np.logaddexp2),
                       lambda g, out, x, y: g / (1 + ops.power(2.0, y - x)),
                       lambda g, out, x, y: g / (1 + ops.power(2.0, x - y)))


def ldexp(x: Any, other: Any) -> Any:
    """x * 2^other (PyTorch's composite, differentiable in both)."""
    return _floating(x) * exp2(_floating(other))


class Frexp(NamedTuple):
    """``frexp``'s result, as PyTorch's: x = mantissa * 2^exponent, 0.5 <= |mantissa| < 1."""

    mantissa: Any
    exponent: Any


def _frexp_vjp(g: Any, out: Any, x: Any) -> Any:
    return g * np.ldexp(np.ones((), raw(x).dtype), -np.frexp(raw(x))[1])  # g / 2^exponent


_mantissa = Primitive("frexp", lambda x: np.frexp(x)[0], _frexp_vjp)


def frexp(x: Any) -> Frexp:
    """(mantissa, exponent) with x = mantissa * 2^exponent: the float's two parts
    (exponent int32; the mantissa's gradient is 1 / 2^exponent)."""
    x = _tensor(x)
    if not x.is_floating_point():
        raise TypeError(f"frexp: needs a floating-point tensor, got {x.dtype}; convert it first "
                        "(x.float())")
    return Frexp(_mantissa(x), type(x)(np.frexp(raw(x))[1].astype(np.int32)))


def _nextafter_forward(x: np.ndarray, other: Any) -> np.ndarray:
    if x.dtype.kind != "f" or np.asarray(other).dtype.kind != "f":
        raise TypeError(f"nextafter: the next float needs floats, got {x.dtype} and "
                        f"{np.asarray(other).dtype}; convert with .float() or .double()")
    return np.nextafter(x, other)


# the next float after x towards other (no derivative, as in PyTorch)
nextafter = Primitive("nextafter", _nextafter_forward, _no_derivative("nextafter"),
                      _no_derivative("nextafter"))

isposinf = _test(np.isposinf)
isneginf = _test(np.isneginf)


def isreal(x: Any) -> Any:
    """True everywhere: real tensors hold real numbers (PyTorch's test for complex ones)."""
    x = _tensor(x)
    return type(x)(np.ones(x.shape, dtype=bool))


def _integers(fn: Any, name: str) -> Any:
    def integer_fn(x: Any, other: Any) -> Any:
        x = _tensor(x)
        a, b = raw(x), np.asarray(raw(other))
        if a.dtype.kind not in "iub" or b.dtype.kind not in "iub":
            raise TypeError(f"{name}: integers only, got {a.dtype} and {b.dtype}; convert with "
                            ".long() (or round first)")
        return type(x)(fn(a, b))

    integer_fn.__name__ = integer_fn.__qualname__ = name
    integer_fn.__doc__ = f"numpy's ``{fn.__name__}`` of integer tensors (no gradient)."
    return integer_fn


gcd, lcm = _integers(np.gcd, "gcd"), _integers(np.lcm, "lcm")


# --- gamma functions ---------------------------------------------------------------------

# Bernoulli numbers B_2, B_4, ... B_20, for the asymptotic series of the polygamma functions
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)
_SHIFT = 10.0  # the recurrence moves x above this, where the series converges fast


def _lgamma_one(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # a pole (0, -1, -2, ...): Gamma is infinite there, as PyTorch says
        return math.inf


def _cot_derivative(n: int, c: np.ndarray) -> np.ndarray:
    """d^n/dx^n cot(pi x) / pi^n, as a polynomial in c = cot(pi x): P_0 = c and
    P_(k+1) = -(1 + c^2) P_k'(c), since d cot(pi x) / dx = -pi (1 + cot^2)."""
    poly = np.polynomial.Polynomial([0.0, 1.0])
    for _ in range(n):
        poly = -np.polynomial.Polynomial([1.0, 0.0, 1.0]) * poly.deriv()
    return poly(c)


def _polygamma_forward(x: np.ndarray, n: int) -> np.ndarray:
    """psi^(n)(x), the n-th derivative of digamma = (log Gamma)', in float64.

    For x < 0, the reflection formula psi(1 - x) - psi(x) = pi cot(pi x), differentiated
    n times: psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)); 1 - x > 1."""
    x = np.asarray(x, dtype=np.float64)
    pole = (x <= 0) & (x == np.floor(x))
    neg = (x < 0) & ~pole
    y = np.where(neg, 1 - x, np.where(pole, 1.0, x))
    out = _psi_positive(y, n)
    if np.any(neg):
        c = 1 / np.tan(math.pi * np.where(neg, x, 0.5))
        reflected = (-1) ** n * out - math.pi ** (n + 1) * _cot_derivative(n, c)
        out = np.where(neg, reflected, out)
    if n == 0:  # -inf at +0, +inf at -0 (Gamma's pole, from either side), nan at -1, -2, ...
        at_pole = np.where(x == 0, np.where(np.signbit(x), np.inf, -np.inf), np.nan)
    else:  # (-1)^(n+1) n! / 0^(n+1): +inf for odd n, -inf for even n
        at_pole = np.full(x.shape, np.inf if n % 2 else -np.inf)
    return np.where(pole, np.where(x == -np.inf, np.nan, at_pole), out)


def _psi_positive(x: np.ndarray, n: int) -> np.ndarray:
    """psi^(n)(x) by the recurrence (x moved to >= _SHIFT) and the asymptotic series.

    psi^(n)(x) = psi^(n)(x + 1) + (-1)^n n! / x^(n+1) moves x up one step at a time
    (x >= 0 here: at most 10 steps)."""
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)^(n+1)
    fact = math.factorial(n)
    finite = np.isfinite(x)
    y = np.where(finite, x, _SHIFT)
    steps = np.where(y < _SHIFT, np.ceil(_SHIFT - y), 0)
    total = np.zeros_like(y)
    with np.errstate(all="ignore"):
        for k in range(int(steps.max(initial=0))):  # the terms 1/(x+k)^(n+1)
            z = y + k
            total += np.where(k < steps, sign * fact / z ** (n + 1), 0.0)
        z = y + steps
        if n == 0:
            series = np.log(z) - 0.5 / z
            power, term_power = 1 / (z * z), 1 / (z * z)
            for k, b in enumerate(_BERNOULLI, start=1):
                series -= b / (2 * k) * term_power
                term_power = term_power * power
        else:
            # (n-1)!/z^n + n!/(2 z^(n+1)) + sum B_2k (2k+n-1)!/(2k)! / z^(2k+n)
            series = math.factorial(n - 1) / z ** n + fact / (2 * z ** (n + 1))
            for k, b in enumerate(_BERNOULLI, start=1):
                series += b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / z ** (
                    2 * k + n)
            series = sign * series
    out = total + series
    # at +inf: log(inf) for digamma, 0 for the rest; -inf: nan
    at_inf = np.inf if n == 0 else 0.0
    return np.where(finite, out, np.where(x > 0, at_inf, np.nan))


def _polygamma_raw(x: Any, n: int) -> np.ndarray:
    x = _as_float(np.asarray(x))
    return _polygamma_forward(x, n).astype(x.dtype)


_polygamma = Primitive("polygamma", quiet(_polygamma_raw),
                       lambda g, out, x, n: g * _polygamma(x, n=n + 1))


def polygamma(n: int, x: Any) -> Any:
    """The n-th derivative of digamma (n = 0: digamma itself), PyTorch's argument order."""
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: n must be a whole number >= 0, got {n!r}")
    return _polygamma(_floating(x), n=int(n))


def digamma(x: Any) -> Any:
    """psi(x) = Gamma'(x) / Gamma(x), the derivative of lgamma (-inf at 0, nan at -1, -2, ...)."""
    return polygamma(0, x)


_lgamma = Primitive("lgamma", _python_float_fn(_lgamma_one),
                    lambda g, out, x: g * _polygamma(x, n=0))


def lgamma(x: Any) -> Any:
    """log |Gamma(x)|: log((x-1)!) for whole numbers, without overflow (inf at the poles)."""
    return _lgamma(_floating(x))


# --- the inverse error function --------------------------------------------------------------

_erf_frompy, _erfc_frompy = np.frompyfunc(math.erf, 1, 1), np.frompyfunc(math.erfc, 1, 1)


def _erf_each(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erf_frompy(x), dtype=np.float64)  # (a 0-d input gives a Python float)


def _erfc_each(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erfc_frompy(x), dtype=np.float64)


def _erfinv_guess(y: np.ndarray) -> np.ndarray:
    """M. Giles' single-precision approximation of erfinv (about 1e-7 relative), in float64."""
    w = -np.log((1 - y) * (1 + y))
    central, tail = w - 2.5, np.sqrt(np.maximum(w, 5)) - 3
    p1 = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p1 = p1 * central + c
    p2 = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p2 = p2 * tail + c
    return np.where(w < 5, p1, p2) * y


def _erfinv_forward(y: np.ndarray) -> np.ndarray:
    """erfinv(y): the guess, refined by Newton steps on erf to float64 precision.

    Each step solves erf(x) = y for x; for |y| > 0.5 it solves log erfc(|x|) = log(1 - |y|)
    instead, since 1 - |y| is exact there while erf(x) - y would cancel its digits."""
    y = _as_float(np.asarray(y))
    y64 = y.astype(np.float64)
    inside = np.abs(y64) < 1
    a = np.where(inside, np.abs(y64), 0.0)
    x = _erfinv_guess(a)
    tail = a > 0.5
    for _ in range(4):  # the guess has 7 digits; Newton doubles them each step
        slope = (2 / math.sqrt(math.pi)) * np.exp(-x * x)  # erf'(x)
        with np.errstate(all="ignore"):
            c = _erfc_each(x)
            # tail: Newton on log erfc(x) = log(1 - |y|), nearly a straight line in x there
            step_tail = (np.log(c) - np.log1p(-a)) * c / slope
            step_mid = (_erf_each(x) - a) / slope
        x = x + np.where(tail, step_tail, -step_mid)
    out = np.copysign(x, y64)
    out = np.where(np.abs(y64) == 1, np.copysign(np.inf, y64), out)
    return np.where(inside | (np.abs(y64) == 1), out, np.nan).astype(y.dtype)


erfinv = Primitive("erfinv", quiet(_erfinv_forward),
                   lambda g, out, y: g * SQRT_PI_OVER_2 * ops.exp(out * out))


# --- modified Bessel functions of the first kind, I0 and I1 ----------------------------------

_BESSEL_SWITCH = 30.0  # power series below, asymptotic series above


def _bessel_series(a: np.ndarray, nu: int) -> tuple[np.ndarray, np.ndarray]:
    """The two series of I_nu(a), nu = 0 or 1, a = |x| >= 0 in float64, each at the inputs
    it serves (``tinygrad_dk.special``'s i0e and i1e use them too):

    * the power series sum (a/2)^(2k+nu) / (k! (k+nu)!) at min(a, 30) (all terms positive:
      no cancellation), which is I_nu itself;
    * the asymptotic series 1/sqrt(2 pi a) sum_k (-1)^k prod_j (4nu^2 - (2j-1)^2) / (k! (8a)^k)
      at max(a, 30) (its terms shrink fast there), which is I_nu(a) e^-a: no exponential
      appears, so it is finite at any a."""
    small = np.minimum(a, _BESSEL_SWITCH)
    term = (small / 2) ** nu / math.factorial(nu)
    power = term.copy()
    for k in range(1, 80):  # term_k = term_(k-1) * (a/2)^2 / (k (k+nu))
        term = term * (small / 2) ** 2 / (k * (k + nu))
        power += term
    big = np.maximum(a, _BESSEL_SWITCH)
    with np.errstate(invalid="ignore"):  # (a = inf: inf / inf in the terms)
        series, term = np.ones_like(big), np.ones_like(big)
        for k in range(1, 25):
            term = -term * (4 * nu * nu - (2 * k - 1) ** 2) / (k * 8 * big)
            series += term
        return power, series / np.sqrt(2 * math.pi * big)


def _bessel_forward(x: np.ndarray, nu: int) -> np.ndarray:
    """I_nu(x), nu = 0 (even in x) or 1 (odd): the power series for |x| <= 30, e^|x| times
    the asymptotic series above (``_bessel_series``), in float64; inf at +-inf."""
    x = _as_float(np.asarray(x))
    a = np.abs(x.astype(np.float64))
    power, scaled = _bessel_series(a, nu)
    with np.errstate(over="ignore", invalid="ignore"):
        # e^x as e^(x/2) twice: finite until the result itself overflows
        half = np.exp(np.maximum(a, _BESSEL_SWITCH) / 2)
        asym = np.where(a == np.inf, np.inf, half * scaled * half)  # (inf * 0 * inf at inf)
    out = np.where(a <= _BESSEL_SWITCH, power, asym)
    if nu == 1:
        out = np.copysign(out, x)
    return np.where(np.isnan(x), np.nan, out).astype(x.dtype)


def _i1_vjp(g: Any, out: Any, x: Any) -> Any:
    # I1'(x) = I0(x) - I1(x)/x, 1/2 at x = 0
    zero = raw(x) == 0
    safe = where(zero, 1.0, x)
    return g * where(zero, 0.5, i0(x) - out / safe)


i1 = Primitive("i1", quiet(lambda x: _bessel_forward(x, 1)), _i1_vjp)
i0 = Primitive("i0", quiet(lambda x: _bessel_forward(x, 0)), lambda g, out, x: g * i1(x))
