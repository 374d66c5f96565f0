"""``tg.special``: PyTorch's ``torch.special`` functions under their names there.

Most are the engine's own operations under a second name (``expit`` is ``sigmoid``,
``gammaln`` is ``lgamma``, ``psi`` is ``digamma``); this module adds the ones the engine
lacked, each forward next to its derivative (written with engine operations, so second
derivatives work):

* ``erfcx(x) = e^(x^2) erfc(x)``, the scaled complementary error function: finite where
  ``e^(x^2)`` overflows and ``erfc`` underflows (its asymptotic series there);
* ``ndtr``, ``log_ndtr`` and ``ndtri``: the standard normal distribution function, its
  logarithm (stable in the far left tail, by ``erfcx``) and its inverse;
* ``i0e``, ``i1e``: the modified Bessel functions times ``e^-|x|``, finite for any x;
* ``entr(x) = -x log x``, ``xlog1py(x, y) = x log(1 + y)``, ``multigammaln`` and the Hurwitz
  ``zeta(x, q)``.

Forwards compute in float64 and round once to the input's dtype (float32 stays float32).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_dk import ops, ops_misc, ops_softmax, toplevel
from tinygrad_dk.ops import pass_where, where
from tinygrad_dk.ops_elementwise import _float_op
from tinygrad_dk.ops_extra import _as_float as _floating  # int or bool -> float32 Tensor
from tinygrad_dk.ops_math import sign
from tinygrad_dk.primitive import Primitive, raw
from tinygrad_dk.toplevel import _t

SQRT_PI = math.sqrt(math.pi)
SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)

# --- the engine's operations under torch.special's names ---------------------------------------

# the very objects tg.* holds (tg.special.erf is tg.erf), so both paths behave alike
expit = ops.sigmoid  # (tg.sigmoid)
erf, erfc, erfinv, exp2, expm1, log1p = (toplevel.erf, toplevel.erfc, toplevel.erfinv,
                                         toplevel.exp2, toplevel.expm1, toplevel.log1p)
xlogy, sinc, i0, logsumexp = toplevel.xlogy, toplevel.sinc, toplevel.i0, toplevel.logsumexp
i1 = ops_misc.i1  # (only here: torch has no torch.i1 either)
digamma, logit, polygamma = toplevel.digamma, toplevel.logit, ops_misc.polygamma
psi = digamma
gammaln = ops_misc.lgamma  # (tg.lgamma's work: a thin wrapper of the one lgamma primitive)


def round(input: Any, *, decimals: int = 0) -> Any:  # noqa: A001, A002 - PyTorch's names
    """``torch.special.round``: ``torch.round`` (halves to even; gradient 0)."""
    x = _t(input)
    if decimals == 0:
        return x.round()
    scale = 10.0 ** decimals  # (as PyTorch: round x * 10^d, then divide)
    return (x * scale).round() / scale


def softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim`` (required here, as in torch.special), stably."""
    x = _t(input) if dtype is None else _t(input).to(dtype)
    return ops_softmax.softmax(x, axis=dim)


def log_softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """log(softmax(x)) along ``dim`` (required here, as in torch.special), stably."""
    x = _t(input) if dtype is None else _t(input).to(dtype)
    return ops_softmax.log_softmax(x, axis=dim)


# --- erfcx: e^(x^2) erfc(x) ------------------------------------------------------------------

_ASYMPTOTIC = 25.0  # above this, erfc(x) nears float64's smallest numbers: the series instead


def _erfcx_series(x: np.ndarray, without_one: bool = False) -> np.ndarray:
    """x sqrt(pi) erfcx(x) for x >= 25: 1 - 1/(2x^2) + 3/(2x^2)^2 - ..., whose terms shrink by
    (2k - 1)/(2x^2) < 0.002 each: 14 terms give float64's precision (``without_one``: the
    series without its first term, the 1, which would swallow the rest at x = 1e30)."""
    inv = 1 / (2 * x * x)
    total, term = np.zeros_like(x), np.ones_like(x)
    for k in range(1, 15):
        term = -term * (2 * k - 1) * inv
        total += term
    return total if without_one else 1 + total


def _erfcx64(x: np.ndarray) -> np.ndarray:
    """erfcx in float64. Below 25: e^(x^2) erfc(x) (both factors finite and exact). Above:
    the asymptotic series (``_erfcx_series``) over x sqrt(pi). For x < 0,
    erfcx(x) = 2 e^(x^2) - erfcx(-x): inf once e^(x^2) overflows (x < -26.6), as PyTorch."""
    a = np.abs(x)
    near = np.minimum(a, _ASYMPTOTIC)
    direct = np.exp(near * near) * ops_misc._erfc_each(near)
    far = np.maximum(a, _ASYMPTOTIC)
    positive = np.where(a < _ASYMPTOTIC, direct, _erfcx_series(far) / (far * SQRT_PI))
    positive = np.where(np.isinf(a), 0.0, positive)  # 1/(x sqrt(pi)) -> 0
    with np.errstate(over="ignore", invalid="ignore"):
        negative = 2 * np.exp(x * x) - positive
    out = np.where(x < 0, negative, positive)
    return np.where(np.isnan(x), np.nan, out)


def _in_float64(fn: Any) -> Any:
    """``fn`` (float64 in, float64 out) rounded once to the input's float dtype."""
    def forward(x: np.ndarray) -> np.ndarray:
        return np.asarray(fn(x.astype(np.float64))).astype(x.dtype)
    return _float_op(forward)


def _erfcx_slope64(x: np.ndarray) -> np.ndarray:
    """erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi), whose two terms cancel for large x (at 1e3,
    six of float32's seven digits): there the series of 2x erfcx(x) sqrt(pi)/2 without its
    leading 1 instead, which cancels nothing."""
    far = np.maximum(x, _ASYMPTOTIC)
    with np.errstate(over="ignore", invalid="ignore"):
        near = 2 * x * _erfcx64(x) - 2 / SQRT_PI
    out = np.where(x < _ASYMPTOTIC, near, 2 / SQRT_PI * _erfcx_series(far, without_one=True))
    return np.where(np.isposinf(x), 0.0, out)


# (erfcx')' = 2 erfcx + 2x erfcx'
_erfcx_slope = Primitive("erfcx'", _in_float64(_erfcx_slope64),
                         lambda g, out, x: g * (2 * erfcx(x) + 2 * x * out))
erfcx = Primitive("erfcx", _in_float64(_erfcx64), lambda g, out, x: g * _erfcx_slope(x))


# --- the standard normal distribution ---------------------------------------------------------


def ndtr(input: Any) -> Any:  # noqa: A002
    """P(Z <= x) for a standard normal Z: erfc(-x / sqrt(2)) / 2 (no cancellation for x < 0)."""
    return 0.5 * erfc(_floating(input) * (-1 / SQRT_2))


def _log_ndtr64(x: np.ndarray) -> np.ndarray:
    """log P(Z <= x): log1p(-erfc(x/sqrt 2)/2) for x > -1 (accurate near 0), and
    log(erfcx(-x/sqrt 2)/2) - x^2/2 below, which never underflows (log_ndtr(-1e30) = -5e59)."""
    t = x / SQRT_2
    right = np.log1p(-0.5 * ops_misc._erfc_each(np.maximum(t, -1.0)))
    s = np.minimum(t, 0.0)
    with np.errstate(over="ignore"):
        left = np.log(0.5 * _erfcx64(-s)) - s * s
    return np.where(x > -1, right, left)


def _log_ndtr_vjp(g: Any, out: Any, x: Any) -> Any:
    # phi(x) / Phi(x): for x <= 0 as sqrt(2/pi) / erfcx(-x / sqrt 2) (no 0/0 in the far tail,
    # where phi and Phi both underflow); for x > 0 as it stands (Phi >= 1/2 there). Each
    # side computed on a safe input, so that neither gives inf or nan to a second derivative.
    right = raw(x) > 0
    left_x, right_x = where(right, 0.0, x), where(right, x, 0.0)
    left = SQRT_2_OVER_PI / erfcx(left_x * (-1 / SQRT_2))
    phi = ops.exp(right_x * right_x * -0.5) / SQRT_2PI
    return g * where(right, phi / ndtr(right_x), left)


log_ndtr = Primitive("log_ndtr", _in_float64(_log_ndtr64), _log_ndtr_vjp)


def _ndtri_lower(p: np.ndarray) -> np.ndarray:
    """x with Phi(x) = p, for 0 < p <= 1/2: Newton's method on log Phi(x) = log p (nearly a
    straight line for the far tail, a concave curve: it converges from either side), from
    the guess -sqrt(-2 log p) (tail) or sqrt(2) erfinv(2p - 1) (centre)."""
    log_p = np.log(p)
    tail = p < 1e-8
    centre = SQRT_2 * ops_misc._erfinv_forward(np.where(tail, 0.0, 2 * p - 1))
    x = np.where(tail, -np.sqrt(-2 * log_p), centre)
    for _ in range(8):
        slope = SQRT_2_OVER_PI / _erfcx64(-x / SQRT_2)  # d log Phi / dx
        x = x - (_log_ndtr64(x) - log_p) / slope
    return x


def _ndtri64(p: np.ndarray) -> np.ndarray:
    """Phi^-1(p): -inf at 0, inf at 1, nan outside [0, 1]; above 1/2 by the symmetry
    Phi^-1(p) = -Phi^-1(1 - p) (1 - p is exact there for p >= 1/2)."""
    inside = (p > 0) & (p < 1)
    q = np.where(inside, np.minimum(p, 1 - p), 0.5)
    x = _ndtri_lower(q)
    x = np.where(p > 0.5, -x, x)
    x = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, x))
    return np.where(inside | (p == 0) | (p == 1), x, np.nan)


# d Phi^-1(p)/dp = 1 / phi(x) = sqrt(2 pi) e^(x^2 / 2) (PyTorch's formula)
ndtri = Primitive("ndtri", _in_float64(_ndtri64),
                  lambda g, out, p: g * SQRT_2PI * ops.exp(out * out / 2))


# --- modified Bessel functions, scaled by e^-|x| -----------------------------------------------

def _bessel_scaled64(x: np.ndarray, nu: int) -> np.ndarray:
    """e^-|x| I_nu(|x|) for nu = 0 or 1, from I_nu's two series (``ops_misc._bessel_series``):
    up to 30 the power series times e^-|x|; above, the asymptotic series, which holds no
    exponential at all, so nothing overflows at any x."""
    a = np.abs(x)
    power, scaled = ops_misc._bessel_series(a, nu)
    near = a <= ops_misc._BESSEL_SWITCH
    out = np.where(near, power * np.exp(-np.minimum(a, ops_misc._BESSEL_SWITCH)), scaled)
    out = np.where(np.isinf(a), 0.0, out)  # -> 1/sqrt(2 pi x) -> 0
    return np.where(np.isnan(x), np.nan, np.copysign(out, x) if nu else out)


def _i1e_vjp(g: Any, out: Any, x: Any) -> Any:
    # i1e' = i0e - i1e (sign(x) + 1/x); 1/2 at x = 0 (i1e / x, not i1e * (1/x): 1/x
    # overflows for float32's smallest x, where i1e / x is 1/2)
    zero = raw(x) == 0
    safe = where(zero, 1.0, x)
    return g * where(zero, 0.5, i0e(x) - out * sign(x) - out / safe)


# i0e' = i1e - sign(x) i0e
i0e = Primitive("i0e", _in_float64(lambda x: _bessel_scaled64(x, 0)),
                lambda g, out, x: g * (i1e(x) - sign(x) * out))
i1e = Primitive("i1e", _in_float64(lambda x: _bessel_scaled64(x, 1)), _i1e_vjp)


# --- entropy, x log(1 + y), the multivariate log-gamma ------------------------------------------


def _entr64(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), -np.inf)
    return np.where(x == 0, 0.0, np.where(np.isnan(x), np.nan, out))


# -x log x (0 at 0, -inf below); the derivative -(1 + log x), PyTorch's formula (inf at 0)
entr = Primitive("entr", _in_float64(_entr64), lambda g, out, x: -g * (1 + ops.log(x)))


def _xlog1py_forward(x: Any, y: Any) -> Any:
    # x log(1 + y), 0 where x == 0 even if log1p(y) is -inf; nan where y is nan (as xlogy)
    dtype = np.result_type(x, y)
    out = np.where(x == 0, 0, x * np.log1p(y))
    return np.where(np.isnan(y), np.nan, out).astype(dtype, copy=False)


def _xlog1py_vjp_x(g: Any, out: Any, x: Any, y: Any) -> Any:
    # d/dx = log1p(y), written xlog1py(g, y) so that g = 0 gives 0 even at y = -1; 0 where
    # x == 0 and y <= -1 (the limit from inside), as PyTorch
    flat = (raw(x) == 0) & (raw(y) <= -1)
    return pass_where(np.logical_not(flat), xlog1py(g, y)) if np.any(flat) else xlog1py(g, y)


xlog1py = Primitive("xlog1py", _float_op(_xlog1py_forward), _xlog1py_vjp_x,
                    lambda g, out, x, y: g * x / (y + 1))


def multigammaln(input: Any, p: int) -> Any:  # noqa: A002
    """log of the multivariate gamma function of dimension ``p``:
    p(p-1)/4 log(pi) + sum_{i<p} lgamma(x - i/2). Every element must exceed (p - 1)/2."""
    x = _floating(input)
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"multigammaln: p must be a whole number >= 1, got {p!r}")
    if not np.all(raw(x) > (p - 1) / 2):
        raise ValueError(f"multigammaln: all elements must be greater than (p-1)/2 = "
                         f"{(p - 1) / 2} (the function is defined there only)")
    total = gammaln(x)
    for i in range(1, p):
        total = total + gammaln(x - i / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


# --- the Hurwitz zeta function ----------------------------------------------------------------

# B_2k / (2k)!, for the Euler-Maclaurin correction terms
_B_OVER_FACT = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160,
                -691 / 1307674368000, 1 / 74724249600, -3617 / 10670622842880000)
_ZETA_TERMS = 9  # terms summed directly before the correction takes over


def _zeta64(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """sum_{k >= 0} (k + q)^-x for x > 1, q > 0: the first 9 terms directly, then the
    Euler-Maclaurin formula at a = q + 9, whose terms shrink fast there.

    x = 1: inf (the harmonic series); x < 1: nan; q a whole number <= 0: inf (a term 0^-x);
    other q <= 0: nan (PyTorch sums such terms for whole x; not done here)."""
    x, q = np.broadcast_arrays(x, q)
    ok = (x > 1) & (q > 0)
    xs, qs = np.where(ok, x, 2.0), np.where(ok, q, 1.0)
    with np.errstate(all="ignore"):
        total = np.zeros_like(xs)
        for k in range(_ZETA_TERMS):
            total += (qs + k) ** -xs
        a = qs + _ZETA_TERMS
        total += a ** (1 - xs) / (xs - 1) + 0.5 * a ** -xs
        rising = xs.copy()  # x (x+1) ... (x + 2j - 2)
        power = a ** (-xs - 1)
        for j, c in enumerate(_B_OVER_FACT):
            total += c * rising * power
            rising = rising * (xs + 2 * j + 1) * (xs + 2 * j + 2)
            power = power / (a * a)
    out = np.where(ok, total, np.nan)
    out = np.where((x == 1) | ((q <= 0) & (q == np.floor(q)) & (x > 1)), np.inf, out)
    return np.where(np.isnan(x) | np.isnan(q), np.nan, out)


def _zeta_forward(x: Any, q: Any) -> Any:
    dtype = np.result_type(x, q)
    return np.asarray(_zeta64(np.asarray(x, np.float64), np.asarray(q, np.float64))).astype(
        dtype, copy=False)


def _zeta_vjp_x(*_: Any) -> Any:
    raise RuntimeError("zeta: no derivative with respect to x, the exponent (as in PyTorch); "
                       "give x without requires_grad (x.detach())")


# d/dq zeta(x, q) = -x zeta(x + 1, q)
_zeta = Primitive("zeta", _float_op(_zeta_forward), _zeta_vjp_x,
                  lambda g, out, x, q: g * (-x * _zeta(x + 1, q)))


def zeta(input: Any, other: Any) -> Any:  # noqa: A002
    """The Hurwitz zeta function sum_{k>=0} (k + q)^-x, x = ``input``, q = ``other``
    (q = 1: Riemann's zeta). Differentiable in q only, as in PyTorch."""
    return _zeta(_floating(input) if not isinstance(input, (int, float)) else input,
                 _floating(other) if not isinstance(other, (int, float)) else other)


__all__ = [
    "expit", "logit", "erf", "erfc", "erfinv", "erfcx", "gammaln", "digamma", "psi",
    "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e", "sinc", "entr", "xlogy", "xlog1py",
    "log1p", "expm1", "exp2", "log_softmax", "softmax", "logsumexp", "ndtr", "ndtri",
    "log_ndtr", "zeta",
]  # (and round, which is a Python builtin's name: see tinygrad_dk/__init__.py)
